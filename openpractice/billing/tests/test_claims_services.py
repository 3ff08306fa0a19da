"""Claim services: build for the payer in force on the date of service, rebuild, the lifecycle moves a biller
makes, corrected and void claims, the secondary claim after the primary paid. Refusals change nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.billing.choices import BatchStatus, ChargeStatus, ClaimFrequency, ClaimStatus
from openpractice.billing.models import (
    Charge,
    ChargeLine,
    Claim,
    ClaimAdjustment,
    ClaimBatch,
    ClaimIssue,
    ClaimLine,
    ClaimStatusChange,
)
from openpractice.billing.selectors.claims import claim_is_editable, coverage_for_claim
from openpractice.billing.services import charges as charge_services
from openpractice.billing.services import claims as services
from openpractice.billing.services.scrubbing import claim_scrub, claims_scrub
from openpractice.billing.tests.factories import make_charge, make_claim
from openpractice.billing.tests.scrub_samples import clean_claim
from openpractice.core.models import Location
from openpractice.patients.tests.factories import CoverageFactory, PatientFactory, PayerFactory

pytestmark = pytest.mark.django_db

DOS = dt.date(2026, 11, 2)


@pytest.fixture
def biller(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.BILLER, locations=[north], username="biller-north")


def claims_state() -> tuple[Any, ...]:
    """Every claim row and what hangs off it, to prove a refusal changed nothing."""
    return (
        list(Claim.objects.order_by("pk").values()),
        list(ClaimLine.objects.order_by("pk").values()),
        list(ClaimStatusChange.objects.order_by("pk").values()),
        list(ClaimAdjustment.objects.order_by("pk").values()),
        list(Charge.objects.order_by("pk").values()),
    )


def denied(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def sent_claim(*, location: Location, actor: User, status: str = ClaimStatus.ACCEPTED, **kwargs: Any) -> Claim:
    claim = make_claim(location=location, actor=actor, status=status, **kwargs)
    Claim.objects.filter(pk=claim.pk).update(submitted_at=dt.datetime(2026, 11, 5, 12, tzinfo=dt.UTC),
                                             payer_claim_number="PAYER-123")
    Charge.objects.filter(pk=claim.charge_id).update(status=ChargeStatus.BILLED)
    claim.refresh_from_db()
    return claim


# --- build ------------------------------------------------------------------------------------------------------


def test_a_claim_snapshots_the_charge_for_the_primary_payer(biller: User, north: Location) -> None:
    charge = make_charge(location=north, actor=biller, prior_authorization="AUTH1",
                         lines=(("99213", Decimal("125.00")), ("J1100", Decimal("25.00"))))
    coverage = charge.patient.coverages.get()

    claim = services.claim_build(actor=biller, charge=charge)

    assert claim.claim_number.startswith("OP")
    assert len(claim.claim_number) == 9
    assert (claim.payer, claim.coverage, claim.payer_rank) == (coverage.payer, coverage, 1)
    assert (claim.status, claim.frequency_code) == (ClaimStatus.DRAFT, ClaimFrequency.ORIGINAL)
    assert claim.diagnosis_codes == ["E119", "I10"]
    assert claim.total_charge == Decimal("150.00")
    assert (claim.date_of_service, claim.place_of_service, claim.prior_authorization) == (DOS, "11", "AUTH1")
    assert claim.rendering_provider_id == charge.rendering_provider_id
    assert list(claim.lines.values_list("line_number", "procedure_code", "amount", "pointers")) == [
        (1, "99213", Decimal("125.00"), [1]), (2, "J1100", Decimal("25.00"), [1])]
    history = claim.status_changes.get()
    assert (history.from_status, history.to_status, history.actor) == ("", ClaimStatus.DRAFT, biller)
    charge.refresh_from_db()
    assert charge.status == ChargeStatus.BILLED
    event = AuditEvent.objects.get(action="billing.claim_built")
    assert (event.patient_id, event.location_id) == (charge.patient_id, north.pk)


def test_claim_numbers_are_never_reused(biller: User, north: Location) -> None:
    first = services.claim_build(actor=biller, charge=make_charge(location=north, actor=biller))
    second = services.claim_build(actor=biller, charge=make_charge(location=north, actor=biller))
    assert int(second.claim_number[2:]) == int(first.claim_number[2:]) + 1


def test_without_coverage_in_force_on_the_date_of_service_no_claim_is_built(biller: User, north: Location) -> None:
    patient = PatientFactory(home_location=north)
    CoverageFactory(patient=patient, effective_from=dt.date(2026, 11, 10))  # starts after the visit
    charge = make_charge(location=north, actor=biller, coverage=CoverageFactory(
        patient=patient, rank=2, effective_from=dt.date(2024, 1, 1)))
    with pytest.raises(ValidationError, match="no primary insurance in force on 11/02/2026"):
        services.claim_build(actor=biller, charge=charge)
    assert not Claim.objects.exists()
    assert Charge.objects.get(pk=charge.pk).status == ChargeStatus.OPEN


@pytest.mark.parametrize(("fields", "found"), [
    ({}, True),
    ({"effective_to": dt.date(2026, 11, 15), "is_active": False}, True),  # ended since: covered the visit
    ({"effective_to": DOS, "is_active": False}, True),  # its last day
    ({"effective_to": dt.date(2026, 11, 1), "is_active": False}, False),  # ended the day before
    ({"is_active": False}, False),  # switched off without an end date (merged away)
    ({"effective_from": dt.date(2026, 11, 3)}, False),  # starts after the visit
])
def test_the_coverage_billed_is_the_one_in_force_on_the_date_of_service(biller: User, north: Location,
                                                                        fields: dict[str, Any], found: bool) -> None:
    coverage = CoverageFactory(patient=PatientFactory(home_location=north),
                               **{"effective_from": dt.date(2024, 1, 1), **fields})
    assert coverage.is_in_force_on(DOS) is found
    assert coverage_for_claim(patient=coverage.patient, on_date=DOS, rank=1) == (coverage if found else None)


def test_of_two_policies_in_force_the_active_one_is_billed(biller: User, north: Location) -> None:
    patient = PatientFactory(home_location=north)
    CoverageFactory(patient=patient, effective_from=dt.date(2026, 1, 1), effective_to=dt.date(2026, 12, 31),
                    is_active=False)
    active = CoverageFactory(patient=patient, effective_from=dt.date(2025, 1, 1))
    assert coverage_for_claim(patient=patient, on_date=DOS, rank=1) == active


def test_a_coverage_ended_after_the_visit_still_pays_for_it(biller: User, north: Location) -> None:
    patient = PatientFactory(home_location=north)
    old = CoverageFactory(patient=patient, effective_to=dt.date(2026, 11, 15), is_active=False)
    CoverageFactory(patient=patient, effective_from=dt.date(2026, 11, 16))
    charge = make_charge(location=north, actor=biller, coverage=old)
    assert services.claim_build(actor=biller, charge=charge).coverage == old


@pytest.mark.parametrize(("diagnoses", "lines", "message"), [
    ((), (("99213", Decimal(1)),), "at least one diagnosis"),
    (("I10",), (), "at least one procedure line"),
])
def test_a_claim_needs_a_diagnosis_and_a_line(biller: User, north: Location, diagnoses: tuple[str, ...],
                                              lines: tuple[Any, ...], message: str) -> None:
    charge = make_charge(location=north, actor=biller, diagnoses=diagnoses, lines=lines)
    with pytest.raises(ValidationError, match=message):
        services.claim_build(actor=biller, charge=charge)
    assert not Claim.objects.exists()


def test_one_open_claim_per_charge_and_payer(biller: User, north: Location) -> None:
    charge = make_charge(location=north, actor=biller)
    first = services.claim_build(actor=biller, charge=charge)
    before = claims_state()
    with pytest.raises(ValidationError, match=f"Claim {first.claim_number} is already open") as error:
        services.claim_build(actor=biller, charge=charge)
    assert error.value.params == {"claim_id": first.pk}
    assert claims_state() == before


def test_a_new_claim_may_be_built_once_the_old_one_was_closed(biller: User, north: Location) -> None:
    charge = make_charge(location=north, actor=biller)
    first = services.claim_build(actor=biller, charge=charge)
    services.claim_change_status(actor=biller, claim=first, to_status=ClaimStatus.CLOSED, reason="wrong payer")
    second = services.claim_build(actor=biller, charge=charge)
    assert second.pk != first.pk


def test_a_void_charge_is_not_billed(biller: User, north: Location) -> None:
    charge = charge_services.charge_void(actor=biller, charge=make_charge(location=north, actor=biller))
    with pytest.raises(ValidationError, match="void"):
        services.claim_build(actor=biller, charge=charge)
    assert not Claim.objects.exists()


@pytest.mark.parametrize(("role", "tier"), [(Role.FRONT_DESK, Tier.STANDARD), (Role.PRACTICE_MANAGER, Tier.ENTRY)])
def test_people_without_billing_manage_cannot_build_claims(make_user: Callable[..., User], north: Location,
                                                           biller: User, role: str, tier: str) -> None:
    charge = make_charge(location=north, actor=biller)
    user = make_user(role, tier, locations=[north])
    with pytest.raises(PermissionDenied):
        services.claim_build(actor=user, charge=charge)
    assert not Claim.objects.exists()
    assert Charge.objects.get(pk=charge.pk).status == ChargeStatus.OPEN
    assert denied(user) == 1


def test_a_biller_at_south_cannot_touch_a_north_claim(make_user: Callable[..., User], north: Location,
                                                      south: Location, biller: User) -> None:
    claim = sent_claim(location=north, actor=biller)
    draft = make_claim(location=north, actor=biller)
    south_biller = make_user(Role.BILLER, locations=[south])
    before = claims_state()
    attempts: list[Callable[[], Any]] = [
        lambda: services.claim_build(actor=south_biller, charge=draft.charge),
        lambda: services.claim_rebuild(actor=south_biller, claim=draft),
        lambda: services.claim_change_status(actor=south_biller, claim=claim, to_status="paid"),
        lambda: services.claim_correct(actor=south_biller, claim=claim),
        lambda: services.claim_void(actor=south_biller, claim=claim),
        lambda: services.claim_build_secondary(actor=south_biller, claim=claim),
        lambda: services.claim_set_payer_claim_number(actor=south_biller, claim=claim, payer_claim_number="X"),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    assert claims_state() == before
    assert denied(south_biller) == len(attempts)


# --- rebuild ----------------------------------------------------------------------------------------------------


def test_rebuilding_copies_the_fixed_charge_and_sends_the_claim_back_to_draft(biller: User, north: Location) -> None:
    charge = make_charge(location=north, actor=biller)
    claim = services.claim_build(actor=biller, charge=charge)
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.HELD)
    ClaimIssue.objects.create(claim=claim, rule="npi", severity="error", message="Bad NPI")
    charge_services.charge_line_add(actor=biller, charge=charge, procedure_code="J1100", amount="20.00")

    rebuilt = services.claim_rebuild(actor=biller, claim=claim)

    assert rebuilt.status == ClaimStatus.DRAFT
    assert rebuilt.total_charge == Decimal("145.00")
    assert list(rebuilt.lines.values_list("procedure_code", flat=True)) == ["99213", "J1100"]
    assert not rebuilt.issues.exists()
    # The charge's change already sent the held claim back to draft; the rebuild is audited.
    last = rebuilt.status_changes.order_by("-pk").first()
    assert (last.from_status, last.to_status, last.actor, last.reason) == ("held", "draft", biller,
                                                                           "charge changed: rebuild the claim")
    assert AuditEvent.objects.filter(action="billing.claim_rebuilt", object_id=str(claim.pk)).count() == 1


def test_rebuilding_a_held_claim_sends_it_back_to_draft(biller: User, north: Location) -> None:
    claim = make_claim(location=north, actor=biller, status=ClaimStatus.HELD)
    rebuilt = services.claim_rebuild(actor=biller, claim=claim)
    last = rebuilt.status_changes.order_by("-pk").first()
    assert (last.from_status, last.to_status, last.reason) == ("held", "draft", "rebuilt from the charge")


@pytest.mark.parametrize("status", [ClaimStatus.SUBMITTED, ClaimStatus.PAID, ClaimStatus.CLOSED])
def test_a_claim_that_left_the_office_is_not_rebuilt(biller: User, north: Location, status: str) -> None:
    claim = make_claim(location=north, actor=biller, status=status)
    before = claims_state()
    with pytest.raises(ValidationError, match="can no longer change"):
        services.claim_rebuild(actor=biller, claim=claim)
    assert claims_state() == before


def test_a_claim_in_a_batch_is_not_rebuilt(biller: User, north: Location) -> None:
    claim = make_claim(location=north, actor=biller, status=ClaimStatus.READY)
    batch = ClaimBatch.objects.create(interchange_control_number=7, group_control_number=7, file_name="b.837",
                                      usage_indicator="T", created_by=biller)
    Claim.objects.filter(pk=claim.pk).update(batch=batch)
    claim.refresh_from_db()
    before = claims_state()
    with pytest.raises(ValidationError, match="in batch"):
        services.claim_rebuild(actor=biller, claim=claim)
    with pytest.raises(ValidationError, match="in batch"):
        services.claim_change_status(actor=biller, claim=claim, to_status=ClaimStatus.DRAFT)
    assert claims_state() == before


def in_batch(claim: Claim, status: str) -> ClaimBatch:
    number = ClaimBatch.objects.count() + 100
    batch = ClaimBatch.objects.create(interchange_control_number=number, group_control_number=number,
                                      file_name=f"b{number}.837", usage_indicator="T", status=status)
    Claim.objects.filter(pk=claim.pk).update(batch=batch)
    claim.refresh_from_db()
    return batch


def rejected_after_sending(location: Location, actor: User, batch_status: str = BatchStatus.SUBMITTED,
                           **fields: Any) -> Claim:
    """A claim sent in a batch, then rejected by the 999 or 277CA: it keeps its link to the sent batch."""
    claim = fields.pop("claim", None) or make_claim(location=location, actor=actor, status=ClaimStatus.REJECTED,
                                                    **fields)
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.REJECTED,
                                             submitted_at=dt.datetime(2026, 11, 5, tzinfo=dt.UTC))
    Charge.objects.filter(pk=claim.charge_id).update(status=ChargeStatus.BILLED)
    in_batch(claim, batch_status)
    return claim


@pytest.mark.parametrize("batch_status", [BatchStatus.SUBMITTED, BatchStatus.DISCARDED])
def test_a_claim_rejected_after_its_batch_was_sent_is_rebuilt_and_moved_by_hand(biller: User, north: Location,
                                                                                batch_status: str) -> None:
    claim = rejected_after_sending(north, biller, batch_status)
    assert claim_is_editable(claim)

    rebuilt = services.claim_rebuild(actor=biller, claim=claim)
    assert rebuilt.status == ClaimStatus.DRAFT

    services.claim_change_status(actor=biller, claim=claim, to_status=ClaimStatus.CLOSED, reason="billed in error")
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.CLOSED


def test_a_rejected_claim_goes_back_to_draft_by_hand_after_its_batch_was_sent(biller: User,
                                                                              north: Location) -> None:
    claim = rejected_after_sending(north, biller)
    services.claim_change_status(actor=biller, claim=claim, to_status=ClaimStatus.DRAFT)
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.DRAFT


def test_a_claim_rejected_after_its_batch_was_sent_is_scrubbed_again(biller: User, north: Location) -> None:
    claim = rejected_after_sending(north, biller, claim=clean_claim(location=north, actor=biller))
    issues = claim_scrub(actor=biller, claim=claim)
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.READY, [i.message for i in issues]
    other = rejected_after_sending(north, biller, claim=clean_claim(location=north, actor=biller))
    run = claims_scrub(actor=biller, claims=[other])
    assert (run.scrubbed, run.ready, run.skipped) == (1, 1, 0)


@pytest.mark.parametrize("batch_status", [BatchStatus.BUILT, BatchStatus.FAILED])
def test_a_claim_waiting_in_an_unsent_batch_is_not_scrubbed_rebuilt_or_moved(biller: User, north: Location,
                                                                            batch_status: str) -> None:
    claim = clean_claim(location=north, actor=biller, status=ClaimStatus.READY)
    in_batch(claim, batch_status)
    assert not claim_is_editable(claim)
    before = claims_state()
    with pytest.raises(ValidationError, match="in a batch waiting to be sent"):
        claim_scrub(actor=biller, claim=claim)
    assert claims_scrub(actor=biller, claims=[claim]).skipped == 1
    with pytest.raises(ValidationError, match="waiting to be sent"):
        services.claim_rebuild(actor=biller, claim=claim)
    with pytest.raises(ValidationError, match="waiting to be sent"):
        services.claim_change_status(actor=biller, claim=claim, to_status=ClaimStatus.DRAFT)
    assert claims_state() == before


# --- lifecycle --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "to_status", "reason"), [
    (ClaimStatus.SUBMITTED, ClaimStatus.ACCEPTED, ""),
    (ClaimStatus.ACCEPTED, ClaimStatus.PAID, ""),
    (ClaimStatus.ACCEPTED, ClaimStatus.PARTIAL, ""),
    (ClaimStatus.ACCEPTED, ClaimStatus.DENIED, "CO-50 not medically necessary"),
    (ClaimStatus.DENIED, ClaimStatus.APPEALED, "appeal letter sent"),
    (ClaimStatus.PAID, ClaimStatus.CLOSED, "paid in full"),
    (ClaimStatus.REJECTED, ClaimStatus.DRAFT, ""),
    (ClaimStatus.READY, ClaimStatus.DRAFT, ""),
])
def test_a_biller_moves_a_claim_along_the_lifecycle_and_the_history_says_who_and_why(
    biller: User, north: Location, start: str, to_status: str, reason: str
) -> None:
    claim = make_claim(location=north, actor=biller, status=start)

    change = services.claim_change_status(actor=biller, claim=claim, to_status=to_status, reason=reason)

    assert change is not None
    claim.refresh_from_db()
    assert claim.status == to_status
    row = claim.status_changes.get()
    assert (row.from_status, row.to_status, row.actor, row.reason, row.source) == (start, to_status, biller,
                                                                                   reason, "user")


@pytest.mark.parametrize(("start", "to_status", "message"), [
    (ClaimStatus.DRAFT, ClaimStatus.PAID, "A claim that is draft cannot become paid"),
    (ClaimStatus.CLOSED, ClaimStatus.DRAFT, "cannot become draft"),
    (ClaimStatus.PAID, ClaimStatus.REJECTED, "cannot become rejected"),
    (ClaimStatus.DRAFT, ClaimStatus.READY, "scrubber's verdict"),
    (ClaimStatus.HELD, ClaimStatus.HELD, "scrubber's verdict"),
    (ClaimStatus.READY, ClaimStatus.SUBMITTED, "when its batch is sent"),
    (ClaimStatus.DRAFT, "lost", "Choose a status"),
])
def test_moves_the_lifecycle_does_not_allow_are_refused(biller: User, north: Location, start: str, to_status: str,
                                                        message: str) -> None:
    claim = make_claim(location=north, actor=biller, status=start)
    before = claims_state()
    with pytest.raises(ValidationError, match=message):
        services.claim_change_status(actor=biller, claim=claim, to_status=to_status, reason="because")
    assert claims_state() == before


@pytest.mark.parametrize("to_status", [ClaimStatus.DENIED, ClaimStatus.CLOSED, ClaimStatus.APPEALED])
def test_denying_closing_and_appealing_need_a_reason(biller: User, north: Location, to_status: str) -> None:
    start = ClaimStatus.DENIED if to_status == ClaimStatus.APPEALED else ClaimStatus.ACCEPTED
    claim = make_claim(location=north, actor=biller, status=start)
    before = claims_state()
    with pytest.raises(ValidationError, match="Say why"):
        services.claim_change_status(actor=biller, claim=claim, to_status=to_status, reason="  ")
    assert claims_state() == before


def test_a_practice_manager_entry_cannot_change_a_claims_status(make_user: Callable[..., User], north: Location,
                                                                biller: User) -> None:
    claim = make_claim(location=north, actor=biller, status=ClaimStatus.ACCEPTED)
    manager = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY, locations=[north])
    before = claims_state()
    with pytest.raises(PermissionDenied):
        services.claim_change_status(actor=manager, claim=claim, to_status=ClaimStatus.PAID)
    assert claims_state() == before
    assert denied(manager) == 1


def test_the_manual_status_choices_follow_the_lifecycle() -> None:
    assert services.manual_statuses_from(ClaimStatus.DRAFT) == [ClaimStatus.CLOSED]
    assert services.manual_statuses_from(ClaimStatus.ACCEPTED) == [
        ClaimStatus.REJECTED, ClaimStatus.PAID, ClaimStatus.PARTIAL, ClaimStatus.DENIED, ClaimStatus.CLOSED]
    assert services.manual_statuses_from(ClaimStatus.CLOSED) == []


# --- corrected and void claims ----------------------------------------------------------------------------------


def test_a_corrected_claim_replaces_the_one_the_payer_has(biller: User, north: Location) -> None:
    original = sent_claim(location=north, actor=biller)

    corrected = services.claim_correct(actor=biller, claim=original)

    assert (corrected.frequency_code, corrected.original_claim, corrected.status) == (
        ClaimFrequency.CORRECTED, original, ClaimStatus.DRAFT)
    assert (corrected.payer, corrected.coverage, corrected.payer_rank) == (original.payer, original.coverage, 1)
    assert corrected.claim_number != original.claim_number
    original.refresh_from_db()
    assert original.status == ClaimStatus.CLOSED
    assert original.status_changes.get().reason == f"replaced by {corrected.claim_number}"
    # The charge may be fixed now, and the corrected claim rebuilt from it.
    charge_services.charge_update(actor=biller, charge=original.charge, prior_authorization="NEWAUTH")
    assert services.claim_rebuild(actor=biller, claim=corrected).prior_authorization == "NEWAUTH"


def test_a_void_claim_repeats_the_claim_it_cancels(biller: User, north: Location) -> None:
    original = sent_claim(location=north, actor=biller, status=ClaimStatus.PAID)

    void = services.claim_void(actor=biller, claim=original)

    assert (void.frequency_code, void.original_claim, void.status) == (ClaimFrequency.VOID, original,
                                                                       ClaimStatus.DRAFT)
    assert void.total_charge == original.total_charge
    assert list(void.lines.values_list("procedure_code", "amount")) == list(
        original.lines.values_list("procedure_code", "amount"))
    original.refresh_from_db()
    assert original.status == ClaimStatus.CLOSED
    assert original.status_changes.get().reason == f"voided by {void.claim_number}"
    with pytest.raises(ValidationError, match="nothing to rebuild"):
        services.claim_rebuild(actor=biller, claim=void)


@pytest.mark.parametrize("action", ["claim_correct", "claim_void"])
def test_only_a_claim_the_payer_has_is_corrected_or_voided(biller: User, north: Location, action: str) -> None:
    claim = make_claim(location=north, actor=biller, status=ClaimStatus.READY)
    before = claims_state()
    with pytest.raises(ValidationError, match="Only a claim the payer has"):
        getattr(services, action)(actor=biller, claim=claim)
    assert claims_state() == before


@pytest.mark.parametrize("action", ["claim_correct", "claim_void"])
def test_correcting_or_voiding_needs_the_payers_claim_number(biller: User, north: Location, action: str) -> None:
    claim = sent_claim(location=north, actor=biller)
    Claim.objects.filter(pk=claim.pk).update(payer_claim_number="")
    claim.refresh_from_db()
    before = claims_state()
    with pytest.raises(ValidationError, match="payer's claim number"):
        getattr(services, action)(actor=biller, claim=claim)
    assert claims_state() == before


def test_the_payers_claim_number_is_recorded_once_the_claim_was_sent(biller: User, north: Location) -> None:
    claim = sent_claim(location=north, actor=biller)
    updated = services.claim_set_payer_claim_number(actor=biller, claim=claim, payer_claim_number=" ICN-99 ")
    assert updated.payer_claim_number == "ICN-99"
    draft = make_claim(location=north, actor=biller)
    with pytest.raises(ValidationError, match="once the claim was sent"):
        services.claim_set_payer_claim_number(actor=biller, claim=draft, payer_claim_number="ICN-1")
    with pytest.raises(ValidationError, match="letters, digits and hyphens"):
        services.claim_set_payer_claim_number(actor=biller, claim=claim, payer_claim_number="a b")


# --- secondary claims -------------------------------------------------------------------------------------------


@pytest.fixture
def two_coverages(north: Location) -> Any:
    patient = PatientFactory(home_location=north)
    primary = CoverageFactory(patient=patient, rank=1)
    secondary = CoverageFactory(patient=patient, rank=2, payer=PayerFactory(name="Second Payer"))
    return primary, secondary


def test_the_secondary_claim_follows_a_paid_primary_with_what_the_primary_paid(
    biller: User, north: Location, two_coverages: Any
) -> None:
    primary_coverage, secondary_coverage = two_coverages
    primary = sent_claim(location=north, actor=biller, status=ClaimStatus.PARTIAL, coverage=primary_coverage)

    secondary = services.claim_build_secondary(
        actor=biller, claim=primary, paid="80.00", paid_on=dt.date(2026, 11, 20),
        adjustments=[("CO", "45", "20.00"), ("pr", "2", "25.00")])

    assert (secondary.payer_rank, secondary.coverage, secondary.payer) == (2, secondary_coverage,
                                                                          secondary_coverage.payer)
    assert (secondary.prior_payer_paid, secondary.prior_payer_paid_on) == (Decimal("80.00"), dt.date(2026, 11, 20))
    assert list(secondary.prior_adjustments.values_list("group_code", "reason_code", "amount")) == [
        ("CO", "45", Decimal("20.00")), ("PR", "2", Decimal("25.00"))]
    assert secondary.total_charge == primary.total_charge
    assert secondary.status_changes.get().reason == f"secondary to {primary.claim_number}"


def test_the_primarys_payment_may_be_recorded_on_the_secondary_afterwards(biller: User, north: Location,
                                                                          two_coverages: Any) -> None:
    primary = sent_claim(location=north, actor=biller, status=ClaimStatus.PAID, coverage=two_coverages[0])
    secondary = services.claim_build_secondary(actor=biller, claim=primary)
    assert secondary.prior_payer_paid is None

    services.claim_prior_payment_record(actor=biller, claim=secondary, paid=Decimal("100.00"),
                                        paid_on=dt.date(2026, 11, 20), adjustments=[("CO", "45", Decimal("25.00"))])

    secondary.refresh_from_db()
    assert secondary.prior_payer_paid == Decimal("100.00")
    assert secondary.prior_adjustments.count() == 1
    assert AuditEvent.objects.filter(action="billing.claim_prior_payment_recorded").count() == 1


def test_a_secondary_claim_waits_for_the_primarys_decision(biller: User, north: Location,
                                                           two_coverages: Any) -> None:
    primary = sent_claim(location=north, actor=biller, status=ClaimStatus.ACCEPTED, coverage=two_coverages[0])
    before = claims_state()
    with pytest.raises(ValidationError, match="follows the primary payer's decision"):
        services.claim_build_secondary(actor=biller, claim=primary)
    assert claims_state() == before


def test_a_denied_primary_leads_to_a_secondary_when_its_zero_payment_is_entered(
    biller: User, north: Location, two_coverages: Any
) -> None:
    primary = sent_claim(location=north, actor=biller, status=ClaimStatus.DENIED, coverage=two_coverages[0])
    secondary = services.claim_build_secondary(actor=biller, claim=primary, paid="0", paid_on=dt.date(2026, 11, 20),
                                               adjustments=[("CO", "96", "125.00")])
    assert secondary.prior_payer_paid == Decimal("0.00")


def test_no_secondary_claim_without_a_secondary_coverage(biller: User, north: Location) -> None:
    primary = sent_claim(location=north, actor=biller, status=ClaimStatus.PAID)
    before = claims_state()
    with pytest.raises(ValidationError, match="no secondary insurance"):
        services.claim_build_secondary(actor=biller, claim=primary)
    assert claims_state() == before


@pytest.mark.parametrize(("paid", "adjustments", "message"), [
    ("80.00", [("CO", "45", "20.00")], r"Paid \$80.00 plus adjustments \$20.00 make \$100.00, but claim"),
    ("80.00", [("XX", "45", "45.00")], "the group code is one of CO, PR, OA, PI, CR"),
    ("80.00", [("CO", "4555", "45.00")], "not a claim adjustment reason code"),
    ("80.00", [("CO", "45", "abc")], "not a sum of money"),
    ("80.00", [("CO", "45", "0")], r"\$0.00 says nothing"),
    ("-1", [], "what the primary payer paid"),
    ("80.00", [("CO", "45")], "give a group code, a reason code and an amount"),
])
def test_an_unbalanced_or_malformed_primary_payment_is_refused(biller: User, north: Location, two_coverages: Any,
                                                               paid: str, adjustments: list[Any],
                                                               message: str) -> None:
    primary = sent_claim(location=north, actor=biller, status=ClaimStatus.PAID, coverage=two_coverages[0])
    before = claims_state()
    with pytest.raises(ValidationError, match=message):
        services.claim_build_secondary(actor=biller, claim=primary, paid=paid, paid_on=dt.date(2026, 11, 20),
                                       adjustments=adjustments)
    assert claims_state() == before


def test_the_primarys_payment_is_not_recorded_on_the_primary(biller: User, north: Location) -> None:
    primary = sent_claim(location=north, actor=biller, status=ClaimStatus.PAID)
    before = claims_state()
    with pytest.raises(ValidationError, match="on the secondary claim"):
        services.claim_prior_payment_record(actor=biller, claim=primary, paid="125.00",
                                            paid_on=dt.date(2026, 11, 20))
    assert claims_state() == before


def test_one_open_secondary_claim_per_charge(biller: User, north: Location, two_coverages: Any) -> None:
    primary = sent_claim(location=north, actor=biller, status=ClaimStatus.PAID, coverage=two_coverages[0])
    services.claim_build_secondary(actor=biller, claim=primary)
    before = claims_state()
    with pytest.raises(ValidationError, match="already open"):
        services.claim_build_secondary(actor=biller, claim=primary)
    assert claims_state() == before


def test_a_corrected_claim_keeps_the_charge_lines_it_billed(biller: User, north: Location) -> None:
    original = sent_claim(location=north, actor=biller)
    corrected = services.claim_correct(actor=biller, claim=original)
    assert set(corrected.lines.values_list("charge_line_id", flat=True)) == set(
        ChargeLine.objects.filter(charge=original.charge).values_list("pk", flat=True))
