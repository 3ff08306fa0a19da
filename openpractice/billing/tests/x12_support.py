"""Test helpers for the 837P writer, batches and the billing command: a practice and billing settings a real
file needs (EIN, group NPI, ZIP+4), and ready claims for a patient who is the subscriber, a dependent, or with a
secondary coverage after the primary paid."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from openpractice.accounts.models import User
from openpractice.billing.models import BillingSettings, Claim, ClaimAdjustment, ClaimBatch
from openpractice.billing.tests.factories import BillingSettingsFactory, make_claim
from openpractice.core.models import Location, Practice
from openpractice.patients.models import Coverage, Patient, Payer
from openpractice.patients.tests.factories import CoverageFactory, PatientFactory, PayerFactory

DOS = dt.date(2026, 11, 2)


def ready_practice(practice: Practice) -> BillingSettings:
    """The practice as a billing provider needs it (ZIP+4) and the billing settings."""
    practice.postal_code = "27601-1234"
    practice.save(update_fields=["postal_code"])
    return BillingSettingsFactory()


def patient_at(location: Location, **fields: Any) -> Patient:
    return PatientFactory(home_location=location, **fields)


def coverage_for(patient: Patient, payer: Payer | None = None, *, rank: int = 1, relationship: str = "self",
                 **fields: Any) -> Coverage:
    values: dict[str, Any] = {"patient": patient, "payer": payer or PayerFactory(), "rank": rank,
                              "subscriber_relationship": relationship}
    if relationship != "self":
        values.update(subscriber_first_name="Jordan", subscriber_last_name="Keller",
                      subscriber_date_of_birth=dt.date(1975, 6, 15), subscriber_sex="M",
                      subscriber_address_line1="12 Elm Street", subscriber_city="Raleigh", subscriber_state="NC",
                      subscriber_postal_code="27601")
    values.update(fields)
    return CoverageFactory(**values)


def ready_claim(location: Location, actor: User, *, coverage: Coverage | None = None, payer: Payer | None = None,
                **fields: Any) -> Claim:
    """A ready claim at `location` (a new patient who is the subscriber, unless a coverage is given)."""
    if coverage is None:
        coverage = coverage_for(patient_at(location), payer)
    return make_claim(location=location, actor=actor, status="ready", coverage=coverage, date_of_service=DOS,
                      **fields)


def secondary_claim(location: Location, actor: User, *, primary_payer: Payer | None = None,
                    secondary_payer: Payer | None = None, paid: Decimal = Decimal("80.00")) -> Claim:
    """A ready claim to the secondary payer after the primary paid `paid` of 125.00 (the rest adjusted): the
    primary payer's claim (paid) and the secondary claim bill the same charge."""
    patient = patient_at(location)
    primary = make_claim(location=location, actor=actor, status="paid", date_of_service=DOS,
                         coverage=coverage_for(patient, primary_payer, rank=1))
    secondary = coverage_for(patient, secondary_payer, rank=2, member_id="SEC778899")
    claim = make_claim(location=location, actor=actor, status="ready", coverage=secondary, charge=primary.charge)
    claim.prior_payer_paid = paid
    claim.prior_payer_paid_on = dt.date(2026, 11, 20)
    claim.save(update_fields=["prior_payer_paid", "prior_payer_paid_on"])
    remaining = claim.total_charge - paid
    ClaimAdjustment.objects.create(claim=claim, group_code="CO", reason_code="45", amount=remaining - Decimal(10))
    ClaimAdjustment.objects.create(claim=claim, group_code="PR", reason_code="1", amount=Decimal(10))
    return claim


def route_batches(world: Any, actor: Any = None) -> tuple[ClaimBatch, ClaimBatch]:
    """For tests/test_routes.py: a batch of a North claim and a batch of a South claim, built once per world."""
    cached = world.__dict__.get("_billing_batches")
    if cached is None:
        from openpractice.accounts.roles import Role
        from openpractice.accounts.tests.factories import user_with_role
        from openpractice.billing.services.batches import batch_build

        builder = user_with_role(Role.BILLER, username="batch-builder")
        ready_practice(world.practice)
        batches = []
        for location in (world.north, world.south):
            ready_claim(location, builder)
            batches.append(batch_build(actor=builder))
        cached = world.__dict__["_billing_batches"] = tuple(batches)
    return cached
