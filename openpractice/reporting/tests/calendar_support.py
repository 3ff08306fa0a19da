"""Builders for the compliance calendar tests: one dated obligation of every module at a location, made with each
app's own factories, dated from `today` so every one falls in [today - 30, today + 90]."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from openpractice.billing.models import Claim
from openpractice.billing.tests.factories import make_claim
from openpractice.cases.tests.factories import CaseFactory
from openpractice.compliance.choices import AgreementStatus
from openpractice.compliance.models import BusinessAssociate, BusinessAssociateAgreement, PolicyVersion
from openpractice.compliance.tests.factories_incidents import IncidentFactory, breach
from openpractice.compliance.tests.factories_policies import published_version
from openpractice.facilities.choices import SafetyFrequency
from openpractice.facilities.tests.factories_assets import make_asset, make_plan, make_work_order
from openpractice.facilities.tests.factories_safety import make_check
from openpractice.inventory.models import Lot, StockLevel
from openpractice.inventory.tests.factories import ItemFactory, place_at
from openpractice.vendors.tests.factories_ui import make_contract, make_vendor
from openpractice.workforce.models import PayPeriod
from openpractice.workforce.tests.factories import EmployeeCredentialFactory, EmployeeFactory
from openpractice.workforce.tests.factories_training import TrainingAssignmentFactory

RANGE_BEFORE, RANGE_AFTER = 30, 90
_numbers = itertools.count(1)


@dataclass
class Made:
    """What a build made: objects by kind, and the patients' names that must never show."""

    objects: dict[str, list[Any]] = field(default_factory=dict)
    patient_names: list[str] = field(default_factory=list)

    def add(self, kind: str, obj: Any) -> None:
        self.objects.setdefault(kind, []).append(obj)


def calendar_range(today: dt.date) -> tuple[dt.date, dt.date]:
    return today - dt.timedelta(days=RANGE_BEFORE), today + dt.timedelta(days=RANGE_AFTER)


def located_obligations(*, location: Any, actor: Any, today: dt.date, made: Made | None = None) -> Made:
    """One obligation of each module that belongs to a location."""
    made = made or Made()
    n = next(_numbers)
    employee = EmployeeFactory(location=location)
    made.add("credential_expiry", EmployeeCredentialFactory(
        employee=employee, issued_on=today - dt.timedelta(days=700), expires_on=today + dt.timedelta(days=10)))
    made.add("training_due", TrainingAssignmentFactory(
        employee=employee, assigned_on=today - dt.timedelta(days=20), due_on=today + dt.timedelta(days=5),
        evidence=""))
    incident = IncidentFactory(location=location, discovered_on=today - dt.timedelta(days=10),
                               occurred_on=today - dt.timedelta(days=12), reported_by=actor)
    made.add("breach_notice", breach(incident))
    asset = make_asset(location=location, name=f"Autoclave {n}")
    made.add("maintenance_due", make_plan(asset=asset, title=f"Spore test service {n}",
                                          next_due_on=today + dt.timedelta(days=3)))
    made.add("safety_check", make_check(location=location, name=f"Eyewash station {n}",
                                        frequency=SafetyFrequency.MONTHLY))
    made.add("work_order_due", make_work_order(asset=asset, title=f"Door does not close {n}",
                                               resolve_by=timezone.now() + dt.timedelta(days=2)))
    claim = make_claim(location=location, actor=actor)
    Claim.objects.filter(pk=claim.pk).update(
        date_of_service=today + dt.timedelta(days=10) - dt.timedelta(days=claim.payer.timely_filing_days))
    made.add("timely_filing", claim)
    made.patient_names += [claim.patient.first_name, claim.patient.last_name]
    case = CaseFactory(location=location, received_on=today, filed_by=actor)
    made.add("case_due", case)
    item = ItemFactory(name=f"Tetanus vaccine {n}")
    lot = Lot.objects.create(item=item, number=f"LOT{n:04d}", expires_on=today + dt.timedelta(days=15))
    made.add("lot_expiry", StockLevel.objects.create(item=item, place=place_at(location, f"Fridge {n}"), lot=lot,
                                                     quantity=5))
    return made


def practice_wide_obligations(*, actor: Any, today: dt.date, made: Made | None = None) -> Made:
    """One obligation of each module that belongs to the whole practice."""
    made = made or Made()
    n = next(_numbers)
    version = published_version(effective_on=today - dt.timedelta(days=300), title=f"Privacy policy {n}")
    PolicyVersion.objects.filter(pk=version.pk).update(next_review_on=today + dt.timedelta(days=20))
    made.add("policy_review", version)
    associate = BusinessAssociate.objects.create(name=f"Billing Service {n}", services="Claims processing",
                                                 created_by=actor)
    made.add("baa_review", BusinessAssociateAgreement.objects.create(
        associate=associate, status=AgreementStatus.ACTIVE, signed_on=today - dt.timedelta(days=300),
        effective_on=today - dt.timedelta(days=300), review_on=today + dt.timedelta(days=7),
        expires_on=today + dt.timedelta(days=60), created_by=actor))
    made.add("baa_expiry", made.objects["baa_review"][-1])
    contract = make_contract(vendor=make_vendor(), title=f"Cleaning services {n}",
                             ends_on=today + dt.timedelta(days=70), notice_days=30)
    made.add("contract_end", contract)
    made.add("contract_notice", contract)
    # Two-week periods back from one ending tomorrow (the third one made still ends in the range).
    starts = today - dt.timedelta(days=12 + 14 * PayPeriod.objects.count())
    made.add("pay_period_close", PayPeriod.objects.create(starts_on=starts, ends_on=starts + dt.timedelta(days=13)))
    return made
