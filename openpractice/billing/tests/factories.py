"""Billing test data. `make_claim()` builds a consistent charge + claim (lines, diagnoses, totals) directly,
without the services, so every billing test can start from a claim in any status."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, cast

import factory

from openpractice.accounts.models import User
from openpractice.billing.models import (
    BillingSettings,
    Charge,
    ChargeDiagnosis,
    ChargeLine,
    Claim,
    ClaimLine,
    FeeSchedule,
    FeeScheduleEntry,
    ProcedureCode,
    ScrubRule,
)
from openpractice.billing.services.numbers import CLAIM_NUMBER, claim_number_format, control_number_next
from openpractice.core.models import Location
from openpractice.patients.models import Coverage
from openpractice.patients.tests.factories import CoverageFactory, PatientFactory
from openpractice.scheduling.tests.factories import ProviderFactory


class BillingSettingsFactory(factory.django.DjangoModelFactory[BillingSettings]):
    class Meta:
        model = BillingSettings
        django_get_or_create = ("singleton",)

    singleton = True
    submitter_name = "Riverbend Family Medicine"
    submitter_id = "RIVERBEND01"
    contact_name = "Billing Office"
    contact_phone = "9195550100"
    contact_email = "billing@riverbend.example"
    receiver_name = "Demo Clearinghouse"
    receiver_id = "CLEARHOUSE01"
    usage_indicator = "T"


class ProcedureCodeFactory(factory.django.DjangoModelFactory[ProcedureCode]):
    class Meta:
        model = ProcedureCode
        django_get_or_create = ("code",)

    code = "99213"
    kind = "CPT"


class FeeScheduleFactory(factory.django.DjangoModelFactory[FeeSchedule]):
    class Meta:
        model = FeeSchedule

    name = factory.Sequence(lambda n: f"Fee schedule {n}")
    effective_from = dt.date(2024, 1, 1)


class FeeScheduleEntryFactory(factory.django.DjangoModelFactory[FeeScheduleEntry]):
    class Meta:
        model = FeeScheduleEntry

    schedule = factory.SubFactory(FeeScheduleFactory)
    procedure_code = "99213"
    amount = Decimal("125.00")


class ScrubRuleFactory(factory.django.DjangoModelFactory[ScrubRule]):
    class Meta:
        model = ScrubRule

    name = factory.Sequence(lambda n: f"Rule {n}")
    message = "This payer needs modifier 25 on this code."
    fix_hint = "Add modifier 25 to the line."


def make_charge(
    *,
    location: Location,
    actor: User,
    coverage: Coverage | None = None,
    date_of_service: dt.date | None = None,
    diagnoses: tuple[str, ...] = ("E119", "I10"),
    lines: tuple[tuple[str, Decimal], ...] = (("99213", Decimal("125.00")),),
    **fields: Any,
) -> Charge:
    """An open charge with diagnoses and lines (each line points at diagnosis 1)."""
    dos = date_of_service or dt.date(2026, 11, 2)
    if coverage is None:
        coverage = cast(Coverage, CoverageFactory(patient=PatientFactory(home_location=location)))
    provider = fields.pop("rendering_provider", None) or ProviderFactory(locations=[location])
    charge = Charge.objects.create(
        patient=coverage.patient, location=location, place_of_service=location.place_of_service,
        rendering_provider=provider, date_of_service=dos, created_by=actor, **fields,
    )
    for position, code in enumerate(diagnoses, start=1):
        ChargeDiagnosis.objects.create(charge=charge, position=position, code=code)
    for number, (code, amount) in enumerate(lines, start=1):
        ChargeLine.objects.create(charge=charge, line_number=number, procedure_code=code, units=Decimal(1),
                                  service_date_from=dos, service_date_to=dos, pointer1=1, amount=amount)
    return charge


def make_claim(
    *,
    location: Location,
    actor: User,
    status: str = "draft",
    coverage: Coverage | None = None,
    charge: Charge | None = None,
    **charge_fields: Any,
) -> Claim:
    """A claim snapshotting `charge` (made with make_charge(**charge_fields) when not given) for its coverage."""
    if charge is None:
        charge = make_charge(location=location, actor=actor, coverage=coverage, **charge_fields)
    if coverage is None:
        coverage = charge.patient.coverages.filter(is_active=True).order_by("rank").first()
    assert coverage is not None, "the patient needs a coverage"
    lines = list(charge.lines.all())
    claim = Claim.objects.create(
        claim_number=claim_number_format(control_number_next(CLAIM_NUMBER)),
        charge=charge, patient=charge.patient, location=charge.location, coverage=coverage, payer=coverage.payer,
        payer_rank=coverage.rank, status=status, date_of_service=charge.date_of_service,
        place_of_service=charge.place_of_service, rendering_provider=charge.rendering_provider,
        billing_provider=charge.billing_provider, referring_provider=charge.referring_provider,
        prior_authorization=charge.prior_authorization,
        diagnosis_codes=[d.code for d in charge.diagnoses.all()],
        total_charge=sum((line.amount for line in lines), Decimal(0)), created_by=actor,
    )
    ClaimLine.objects.bulk_create(
        ClaimLine(claim=claim, charge_line=line, line_number=line.line_number, procedure_code=line.procedure_code,
                  modifiers=line.modifiers, units=line.units, service_date_from=line.service_date_from,
                  service_date_to=line.service_date_to, pointers=line.pointers, amount=line.amount)
        for line in lines
    )
    return claim
