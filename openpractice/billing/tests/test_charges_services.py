"""Charge capture services: from a checked-out visit or stand-alone, header, diagnoses, lines, void.
Every refusal leaves the data exactly as it was."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.billing.choices import BatchStatus, ChargeStatus, ClaimFrequency, ClaimStatus
from openpractice.billing.models import Charge, ChargeDiagnosis, ChargeLine, Claim, ClaimBatch, ClaimStatusChange
from openpractice.billing.selectors.charges import charge_is_editable
from openpractice.billing.services import charges as services
from openpractice.billing.services import claims as claim_services
from openpractice.billing.services.batches import batch_build, batch_submit
from openpractice.billing.services.scrubbing import claim_scrub
from openpractice.billing.tests.factories import FeeScheduleEntryFactory, FeeScheduleFactory, make_charge, make_claim
from openpractice.billing.tests.scrub_samples import CLEAN_LINES, clean_coverage, clean_practice, today
from openpractice.core.models import Location
from openpractice.patients.tests.factories import PatientFactory
from openpractice.scheduling.tests.factories import AppointmentFactory, ProviderFactory, ReferringProviderFactory

pytestmark = pytest.mark.django_db

DOS = dt.date(2026, 11, 2)


@pytest.fixture
def biller(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.BILLER, locations=[north], username="biller-north")


@pytest.fixture
def provider(north: Location) -> Any:
    return ProviderFactory(locations=[north])


@pytest.fixture
def fees(biller: User) -> Any:
    schedule = FeeScheduleFactory(created_by=biller, name="Standard")
    FeeScheduleEntryFactory(schedule=schedule, procedure_code="99213", amount=Decimal("125.00"))
    FeeScheduleEntryFactory(schedule=schedule, procedure_code="99214", amount=Decimal("180.00"))
    FeeScheduleEntryFactory(schedule=schedule, procedure_code="J1100", amount=Decimal("12.50"))
    FeeScheduleEntryFactory(schedule=schedule, procedure_code="99213", modifier="25", amount=Decimal("130.00"))
    return schedule


def visit(location: Location, provider: Any, *, status: str = "completed",
          starts_at: dt.datetime | None = None) -> Any:
    start = starts_at or dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)
    return AppointmentFactory(patient=PatientFactory(home_location=location), provider=provider, location=location,
                              starts_at=start, status=status,
                              cancel_reason="patient called" if status == "cancelled" else "")


def charge_state(charge: Charge) -> tuple[Any, ...]:
    """Everything a charge holds, to prove a refusal changed nothing."""
    fresh = Charge.objects.get(pk=charge.pk)
    return (
        tuple(getattr(fresh, f.attname) for f in Charge._meta.concrete_fields),
        list(ChargeDiagnosis.objects.filter(charge=charge).order_by("position").values_list("position", "code")),
        list(ChargeLine.objects.filter(charge=charge).order_by("line_number").values()),
    )


def denied(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def in_batch(claim: Claim, status: str, *, number: int = 1) -> ClaimBatch:
    """Put `claim` in a batch of `status` (built: waiting to be sent; submitted: the file went out)."""
    batch = ClaimBatch.objects.create(interchange_control_number=number, group_control_number=number,
                                      file_name=f"b{number}.837", usage_indicator="T", status=status)
    Claim.objects.filter(pk=claim.pk).update(batch=batch)
    claim.refresh_from_db()
    return batch


def billed(claim: Claim) -> Charge:
    Charge.objects.filter(pk=claim.charge_id).update(status=ChargeStatus.BILLED)
    return Charge.objects.get(pk=claim.charge_id)


# --- from a checked-out visit -----------------------------------------------------------------------------------


def test_a_checked_out_visit_becomes_a_charge_with_the_visit_filled_in(biller: User, north: Location) -> None:
    doctor = ProviderFactory(locations=[north], is_billing=True)
    appointment = visit(north, doctor)

    charge = services.charge_create_from_appointment(actor=biller, appointment=appointment)

    assert charge.patient_id == appointment.patient_id
    assert charge.location == north
    assert charge.place_of_service == north.place_of_service
    assert charge.rendering_provider == doctor
    assert charge.billing_provider == doctor
    assert charge.date_of_service == DOS
    assert charge.status == ChargeStatus.OPEN
    assert charge.created_by == biller
    event = AuditEvent.objects.get(action="billing.charge_created")
    assert (event.patient_id, event.location_id, event.actor) == (appointment.patient_id, north.pk, biller)


def test_the_group_bills_when_the_visits_provider_does_not_bill_under_their_own_npi(
    biller: User, north: Location, provider: Any
) -> None:
    charge = services.charge_create_from_appointment(actor=biller, appointment=visit(north, provider))
    assert charge.billing_provider is None


def test_the_date_of_service_is_the_practice_local_day_of_the_visit(biller: User, north: Location,
                                                                   provider: Any) -> None:
    # 02:30 UTC on 3 November is 21:30 on 2 November in New York.
    late = visit(north, provider, starts_at=dt.datetime(2026, 11, 3, 2, 30, tzinfo=dt.UTC))
    charge = services.charge_create_from_appointment(actor=biller, appointment=late)
    assert charge.date_of_service == dt.date(2026, 11, 2)


@pytest.mark.parametrize("status", ["booked", "checked_in", "cancelled", "no_show"])
def test_only_a_checked_out_visit_can_be_charged(biller: User, north: Location, provider: Any, status: str) -> None:
    appointment = visit(north, provider, status=status)
    with pytest.raises(ValidationError, match="Only a checked-out visit"):
        services.charge_create_from_appointment(actor=biller, appointment=appointment)
    assert not Charge.objects.exists()


def test_a_visit_gets_one_charge_and_the_second_attempt_points_to_the_first(
    biller: User, north: Location, provider: Any
) -> None:
    appointment = visit(north, provider)
    first = services.charge_create_from_appointment(actor=biller, appointment=appointment)

    with pytest.raises(ValidationError) as error:
        services.charge_create_from_appointment(actor=biller, appointment=appointment)

    assert error.value.code == "charge_exists"
    assert error.value.params == {"charge_id": first.pk}
    assert str(first.pk) in error.value.messages[0]
    assert Charge.objects.count() == 1


@pytest.mark.parametrize(("role", "tier"), [(Role.FRONT_DESK, Tier.STANDARD), (Role.PRACTICE_MANAGER, Tier.ENTRY),
                                            (Role.PROVIDER, Tier.STANDARD)])
def test_people_without_billing_manage_cannot_start_a_charge(
    make_user: Callable[..., User], north: Location, provider: Any, role: str, tier: str
) -> None:
    user = make_user(role, tier, locations=[north])
    with pytest.raises(PermissionDenied):
        services.charge_create_from_appointment(actor=user, appointment=visit(north, provider))
    assert not Charge.objects.exists()
    assert denied(user) == 1


def test_a_biller_at_south_cannot_charge_a_north_visit(make_user: Callable[..., User], north: Location,
                                                       south: Location, provider: Any) -> None:
    south_biller = make_user(Role.BILLER, locations=[south])
    with pytest.raises(PermissionDenied):
        services.charge_create_from_appointment(actor=south_biller, appointment=visit(north, provider))
    assert not Charge.objects.exists()
    assert denied(south_biller) == 1


# --- stand-alone ------------------------------------------------------------------------------------------------


def test_a_stand_alone_charge_takes_the_locations_place_of_service(biller: User, north: Location,
                                                                  provider: Any) -> None:
    patient = PatientFactory(home_location=north)
    referring = ReferringProviderFactory()
    charge = services.charge_create(actor=biller, patient=patient, location=north, rendering_provider=provider,
                                    date_of_service=DOS, referring_provider=referring, prior_authorization=" PA-1 ")
    assert charge.place_of_service == "11"
    assert charge.appointment is None
    assert charge.referring_provider == referring
    assert charge.prior_authorization == "PA-1"
    assert charge.billing_provider is None


def test_a_stand_alone_charge_needs_a_provider_who_works_at_the_location(
    biller: User, north: Location, south: Location
) -> None:
    elsewhere = ProviderFactory(locations=[south])
    with pytest.raises(ValidationError, match="does not work at North Clinic"):
        services.charge_create(actor=biller, patient=PatientFactory(home_location=north), location=north,
                               rendering_provider=elsewhere, date_of_service=DOS)
    assert not Charge.objects.exists()


def test_a_stand_alone_charge_needs_a_patient_the_biller_can_reach(biller: User, north: Location, south: Location,
                                                                   provider: Any) -> None:
    with pytest.raises(ValidationError, match="patient registered at your locations"):
        services.charge_create(actor=biller, patient=PatientFactory(home_location=south), location=north,
                               rendering_provider=provider, date_of_service=DOS)
    assert not Charge.objects.exists()


@pytest.mark.parametrize(("fields", "message"), [
    ({"date_of_service": dt.date(2099, 1, 1)}, "cannot be in the future"),
    ({"place_of_service": "99X"}, "not a CMS place-of-service code"),
    ({"prior_authorization": "A" * 51}, "at most 50 characters"),
])
def test_a_stand_alone_charge_refuses_bad_header_values(biller: User, north: Location, provider: Any,
                                                        fields: dict[str, Any], message: str) -> None:
    values = {"date_of_service": DOS, **fields}
    with pytest.raises(ValidationError, match=message):
        services.charge_create(actor=biller, patient=PatientFactory(home_location=north), location=north,
                               rendering_provider=provider, **values)
    assert not Charge.objects.exists()


def test_a_front_desk_clerk_cannot_create_a_stand_alone_charge(make_user: Callable[..., User], north: Location,
                                                              provider: Any) -> None:
    clerk = make_user(Role.FRONT_DESK, locations=[north])
    with pytest.raises(PermissionDenied):
        services.charge_create(actor=clerk, patient=PatientFactory(home_location=north), location=north,
                               rendering_provider=provider, date_of_service=DOS)
    assert not Charge.objects.exists()
    assert denied(clerk) == 1


# --- header -----------------------------------------------------------------------------------------------------


def test_the_header_changes_and_the_audit_names_the_fields(biller: User, north: Location) -> None:
    charge = make_charge(location=north, actor=biller)
    updated = services.charge_update(actor=biller, charge=charge, place_of_service="02", prior_authorization="AUTH9")
    assert (updated.place_of_service, updated.prior_authorization) == ("02", "AUTH9")
    event = AuditEvent.objects.get(action="billing.charge_updated")
    assert set(event.changed_fields.split(",")) >= {"place_of_service", "prior_authorization"}
    assert "AUTH9" not in event.reason


def test_a_new_date_of_service_moves_the_lines_with_it(biller: User, north: Location) -> None:
    charge = make_charge(location=north, actor=biller)
    services.charge_update(actor=biller, charge=charge, date_of_service=dt.date(2026, 10, 30))
    line = charge.lines.get()
    assert (line.service_date_from, line.service_date_to) == (dt.date(2026, 10, 30), dt.date(2026, 10, 30))


def test_a_new_date_of_service_must_keep_every_diagnosis_valid_in_its_code_set(biller: User,
                                                                               north: Location) -> None:
    charge = make_charge(location=north, actor=biller)
    before = charge_state(charge)
    # No ICD-10-CM release is loaded for dates before FY2026 (1 October 2025).
    with pytest.raises(ValidationError, match="On 09/01/2025: No ICD-10-CM code set is loaded"):
        services.charge_update(actor=biller, charge=charge, date_of_service=dt.date(2025, 9, 1))
    assert charge_state(charge) == before


def test_only_a_provider_who_bills_under_their_own_npi_may_be_the_billing_provider(biller: User,
                                                                                    north: Location) -> None:
    charge = make_charge(location=north, actor=biller)
    before = charge_state(charge)
    with pytest.raises(ValidationError, match="does not bill under their own NPI"):
        services.charge_update(actor=biller, charge=charge, billing_provider=ProviderFactory(is_billing=False))
    assert charge_state(charge) == before


def test_a_charge_whose_claim_went_to_the_payer_no_longer_changes(biller: User, north: Location) -> None:
    claim = make_claim(location=north, actor=biller, status=ClaimStatus.SUBMITTED)
    charge = claim.charge
    Charge.objects.filter(pk=charge.pk).update(status=ChargeStatus.BILLED)
    before = charge_state(charge)
    with pytest.raises(ValidationError, match="corrected with a corrected claim"):
        services.charge_update(actor=biller, charge=charge, prior_authorization="X")
    with pytest.raises(ValidationError, match="corrected with a corrected claim"):
        services.charge_line_add(actor=biller, charge=charge, procedure_code="99213", amount="10")
    assert charge_state(charge) == before


def test_a_billed_charge_whose_claim_is_still_a_draft_may_change(biller: User, north: Location) -> None:
    claim = make_claim(location=north, actor=biller, status=ClaimStatus.HELD)
    Charge.objects.filter(pk=claim.charge_id).update(status=ChargeStatus.BILLED)
    updated = services.charge_update(actor=biller, charge=claim.charge, prior_authorization="AUTH1")
    assert updated.prior_authorization == "AUTH1"


def test_a_charge_whose_claim_waits_in_a_batch_no_longer_changes(biller: User, north: Location) -> None:
    claim = make_claim(location=north, actor=biller, status=ClaimStatus.READY)
    batch = ClaimBatch.objects.create(interchange_control_number=1, group_control_number=1, file_name="b.837",
                                      usage_indicator="T", created_by=biller)
    Claim.objects.filter(pk=claim.pk).update(batch=batch)
    Charge.objects.filter(pk=claim.charge_id).update(status=ChargeStatus.BILLED)
    charge = Charge.objects.get(pk=claim.charge_id)
    before = charge_state(charge)
    with pytest.raises(ValidationError, match="corrected claim"):
        services.charge_update(actor=biller, charge=charge, prior_authorization="X")
    assert charge_state(charge) == before


def test_a_charge_whose_corrected_claim_replaced_a_claim_sent_in_a_batch_may_change_again(
        biller: User, north: Location, settings: Any, tmp_path: Path) -> None:
    """Built, scrubbed, batched, submitted, corrected: the original keeps its link to the submitted batch, which
    no longer freezes the charge, so the charge is fixed and the corrected claim rebuilt from it."""
    settings.DATA_DIR = tmp_path
    clean_practice(north.practice)
    Location.objects.filter(pk=north.pk).update(postal_code="27603-4321")  # a service address with ZIP+4
    charge = make_charge(location=north, actor=biller, coverage=clean_coverage(north),
                         date_of_service=today() - dt.timedelta(days=10), lines=CLEAN_LINES)
    original = claim_services.claim_build(actor=biller, charge=charge)
    claim_scrub(actor=biller, claim=original)
    assert original.status == ClaimStatus.READY
    batch = batch_build(actor=biller)
    assert batch is not None
    assert batch_submit(actor=biller, batch=batch).succeeded
    claim_services.claim_set_payer_claim_number(actor=biller, claim=original, payer_claim_number="ICN-1")
    corrected = claim_services.claim_correct(actor=biller, claim=original)
    assert Claim.objects.get(pk=original.pk).batch_id == batch.pk

    assert charge_is_editable(Charge.objects.get(pk=charge.pk))
    services.charge_update(actor=biller, charge=charge, prior_authorization="AUTH1")

    assert Charge.objects.get(pk=charge.pk).prior_authorization == "AUTH1"
    assert claim_services.claim_rebuild(actor=biller, claim=corrected).prior_authorization == "AUTH1"


def test_a_charge_whose_claim_was_rejected_after_its_batch_was_sent_may_be_fixed(biller: User,
                                                                                 north: Location) -> None:
    claim = make_claim(location=north, actor=biller, status=ClaimStatus.REJECTED)
    in_batch(claim, BatchStatus.SUBMITTED)
    charge = billed(claim)
    assert charge_is_editable(charge)
    services.charge_line_add(actor=biller, charge=charge, procedure_code="J1100", amount="20.00")
    assert charge.lines.count() == 2


@pytest.mark.parametrize("batch_status", [BatchStatus.BUILT, BatchStatus.FAILED])
def test_a_charge_whose_claim_waits_in_an_unsent_batch_stays_frozen(biller: User, north: Location,
                                                                     batch_status: str) -> None:
    claim = make_claim(location=north, actor=biller, status=ClaimStatus.READY)
    in_batch(claim, batch_status)
    charge = billed(claim)
    before = charge_state(charge)
    assert not charge_is_editable(charge)
    with pytest.raises(ValidationError, match="corrected claim"):
        services.charge_update(actor=biller, charge=charge, prior_authorization="X")
    assert charge_state(charge) == before
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.READY


# --- a change sends the claims not yet sent back to draft -------------------------------------------------------


@pytest.mark.parametrize("status", [ClaimStatus.READY, ClaimStatus.HELD, ClaimStatus.REJECTED])
def test_changing_a_billed_charge_sends_its_unsent_claim_back_to_draft(biller: User, north: Location,
                                                                       status: str) -> None:
    claim = make_claim(location=north, actor=biller, status=status)
    charge = billed(claim)

    services.charge_update(actor=biller, charge=charge, prior_authorization="AUTH1")

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.DRAFT
    change = ClaimStatusChange.objects.get(claim=claim)
    assert (change.from_status, change.to_status, change.actor, change.reason) == (
        status, ClaimStatus.DRAFT, biller, "charge changed: rebuild the claim")
    event = AuditEvent.objects.get(action="billing.claim_status_changed")
    assert (event.object_id, event.patient_id, event.location_id) == (str(claim.pk), claim.patient_id, north.pk)
    assert event.changed_fields == "status"


@pytest.mark.parametrize("change", ["diagnoses", "line_add", "line_update", "line_delete"])
def test_every_kind_of_charge_change_sends_a_ready_claim_back_to_draft(biller: User, north: Location,
                                                                       change: str) -> None:
    claim = make_claim(location=north, actor=biller, status=ClaimStatus.READY,
                       lines=(("99213", Decimal("125.00")), ("J1100", Decimal("20.00"))))
    charge = billed(claim)
    first, second = charge.lines.order_by("line_number")
    if change == "diagnoses":
        services.charge_set_diagnoses(actor=biller, charge=charge, codes=["I10", "E11.9"])
    elif change == "line_add":
        services.charge_line_add(actor=biller, charge=charge, procedure_code="99214", amount="180.00")
    elif change == "line_update":
        services.charge_line_update(actor=biller, line=first, amount="130.00")
    else:
        services.charge_line_delete(actor=biller, line=second)
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.DRAFT


def test_a_change_that_changes_nothing_leaves_the_ready_claim_alone(biller: User, north: Location) -> None:
    claim = make_claim(location=north, actor=biller, status=ClaimStatus.READY, prior_authorization="AUTH1")
    charge = billed(claim)
    services.charge_update(actor=biller, charge=charge, prior_authorization="AUTH1")
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.READY
    assert not ClaimStatusChange.objects.exists()


def test_a_charge_change_leaves_closed_and_void_claims_alone(biller: User, north: Location) -> None:
    original = make_claim(location=north, actor=biller, status=ClaimStatus.CLOSED)
    Claim.objects.filter(pk=original.pk).update(submitted_at=dt.datetime(2026, 11, 5, tzinfo=dt.UTC))
    void = make_claim(location=north, actor=biller, status=ClaimStatus.READY, charge=original.charge)
    Claim.objects.filter(pk=void.pk).update(frequency_code=ClaimFrequency.VOID, original_claim=original)
    charge = billed(original)

    services.charge_update(actor=biller, charge=charge, prior_authorization="AUTH1")

    assert list(Claim.objects.order_by("pk").values_list("status", flat=True)) == [ClaimStatus.CLOSED,
                                                                                   ClaimStatus.READY]
    assert not ClaimStatusChange.objects.exists()


def test_a_refused_charge_change_leaves_the_ready_claim_ready(biller: User, north: Location) -> None:
    claim = make_claim(location=north, actor=biller, status=ClaimStatus.READY)
    charge = billed(claim)
    with pytest.raises(ValidationError, match="does not bill under their own NPI"):
        services.charge_update(actor=biller, charge=charge, billing_provider=ProviderFactory(is_billing=False))
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.READY
    assert not ClaimStatusChange.objects.exists()


def test_a_biller_at_south_cannot_change_a_north_charge(make_user: Callable[..., User], north: Location,
                                                        south: Location) -> None:
    charge = make_charge(location=north, actor=make_user(Role.BILLER))
    south_biller = make_user(Role.BILLER, locations=[south])
    before = charge_state(charge)
    with pytest.raises(PermissionDenied):
        services.charge_update(actor=south_biller, charge=charge, prior_authorization="X")
    with pytest.raises(PermissionDenied):
        services.charge_set_diagnoses(actor=south_biller, charge=charge, codes=["I10"])
    with pytest.raises(PermissionDenied):
        services.charge_line_delete(actor=south_biller, line=charge.lines.get())
    with pytest.raises(PermissionDenied):
        services.charge_void(actor=south_biller, charge=charge)
    assert charge_state(charge) == before
    assert denied(south_biller) == 4


# --- diagnoses --------------------------------------------------------------------------------------------------


def test_diagnoses_are_stored_without_the_dot_in_the_order_given(biller: User, north: Location) -> None:
    charge = make_charge(location=north, actor=biller, diagnoses=(), lines=())
    services.charge_set_diagnoses(actor=biller, charge=charge, codes=["e11.9", " I10 ", "", "J45.909"])
    assert list(charge.diagnoses.values_list("position", "code")) == [(1, "E119"), (2, "I10"), (3, "J45909")]
    assert AuditEvent.objects.filter(action="billing.charge_diagnoses_set", patient_id=charge.patient_id).exists()


@pytest.mark.parametrize(("codes", "message"), [
    ([], "at least one diagnosis"),
    (["E11.9", "E119"], "E11.9 is listed twice"),
    (["E11"], "E11 is a category, not a billable code"),
    (["Q99.99"], "not an ICD-10-CM code"),
    (["250.00"], "looks like an ICD-9 code"),
    (["I10", "E119", "J45909", "R05", "R0602", "M545", "N390", "K219", "F419", "G4700", "L309", "H1031", "Z0000"],
     "at most 12 diagnoses"),
])
def test_diagnoses_that_cannot_go_on_a_claim_are_refused_with_a_reason(biller: User, north: Location,
                                                                       codes: list[str], message: str) -> None:
    charge = make_charge(location=north, actor=biller)
    before = charge_state(charge)
    with pytest.raises(ValidationError, match=message):
        services.charge_set_diagnoses(actor=biller, charge=charge, codes=codes)
    assert charge_state(charge) == before


def test_reordering_diagnoses_keeps_each_line_pointing_at_the_same_code(biller: User, north: Location) -> None:
    charge = make_charge(location=north, actor=biller, diagnoses=("E119", "I10"))  # the line points at 1: E119
    services.charge_set_diagnoses(actor=biller, charge=charge, codes=["I10", "J45909", "E119"])
    line = charge.lines.get()
    assert line.pointers == [3]


def test_removing_a_diagnosis_a_line_points_at_is_refused(biller: User, north: Location) -> None:
    charge = make_charge(location=north, actor=biller, diagnoses=("E119", "I10"))
    before = charge_state(charge)
    with pytest.raises(ValidationError, match=r"Line 1 \(99213\) points at E11.9, which you removed"):
        services.charge_set_diagnoses(actor=biller, charge=charge, codes=["I10"])
    assert charge_state(charge) == before


# --- lines ------------------------------------------------------------------------------------------------------


def test_a_line_is_priced_from_the_standard_fee_schedule_times_the_units(biller: User, north: Location,
                                                                         fees: Any) -> None:
    charge = make_charge(location=north, actor=biller, lines=())
    line = services.charge_line_add(actor=biller, charge=charge, procedure_code="j1100", units="3",
                                    pointers=[1, 2])
    assert (line.line_number, line.procedure_code, line.units, line.amount) == (1, "J1100", Decimal(3),
                                                                                Decimal("37.50"))
    assert line.pointers == [1, 2]
    assert (line.service_date_from, line.service_date_to) == (DOS, DOS)


def test_a_fee_for_the_code_with_its_modifier_wins(biller: User, north: Location, fees: Any) -> None:
    charge = make_charge(location=north, actor=biller, lines=())
    line = services.charge_line_add(actor=biller, charge=charge, procedure_code="99213", modifiers=["25"])
    assert line.amount == Decimal("130.00")
    assert line.modifiers == ["25"]


def test_an_amount_entered_by_hand_is_kept(biller: User, north: Location) -> None:
    charge = make_charge(location=north, actor=biller, lines=())
    line = services.charge_line_add(actor=biller, charge=charge, procedure_code="99215", amount="240.00")
    assert line.amount == Decimal("240.00")


def test_a_code_without_a_fee_and_without_an_amount_says_what_to_do(biller: User, north: Location,
                                                                    fees: Any) -> None:
    charge = make_charge(location=north, actor=biller, lines=())
    with pytest.raises(ValidationError) as error:
        services.charge_line_add(actor=biller, charge=charge, procedure_code="99215")
    assert error.value.messages == ["No standard fee for 99215: enter the charge or add it to the fee schedule."]
    assert not charge.lines.exists()


@pytest.mark.parametrize(("fields", "message"), [
    ({"procedure_code": "9921Z"}, "not a CPT or HCPCS code"),
    ({"procedure_code": "992135"}, "exactly 5 digits"),
    ({"modifiers": ["ZZ"]}, "not a modifier we know"),
    ({"modifiers": ["LT", "RT"]}, "cannot be on the same line"),
    ({"modifiers": ["25", "59", "76", "77", "GA"]}, "at most 4 modifiers"),
    ({"units": "0"}, "greater than 0"),
    ({"units": "-1"}, "greater than 0"),
    ({"units": "abc"}, "greater than 0"),
    ({"pointers": [3]}, "Pointer 3 does not match a diagnosis"),
    ({"pointers": [1, 1]}, "only once"),
    ({"pointers": [1, 2, 1, 2, 1]}, "at most at 4"),
    ({"pointers": []}, "Point the line at 1 to 4 diagnoses"),
    ({"amount": "-5"}, "0 or more"),
    ({"amount": "1.234"}, "dollars and cents"),
    ({"service_date_from": DOS, "service_date_to": DOS - dt.timedelta(days=1)}, "cannot be before"),
    ({"service_date_from": dt.date(2099, 1, 1)}, "cannot be in the future"),
])
def test_a_line_that_cannot_be_billed_is_refused(biller: User, north: Location, fees: Any,
                                                 fields: dict[str, Any], message: str) -> None:
    charge = make_charge(location=north, actor=biller)
    before = charge_state(charge)
    values = {"procedure_code": "99213", **fields}
    with pytest.raises(ValidationError, match=message):
        services.charge_line_add(actor=biller, charge=charge, **values)
    assert charge_state(charge) == before


def test_a_line_needs_the_diagnoses_first(biller: User, north: Location, fees: Any) -> None:
    charge = make_charge(location=north, actor=biller, diagnoses=(), lines=())
    with pytest.raises(ValidationError, match="Add the diagnoses first"):
        services.charge_line_add(actor=biller, charge=charge, procedure_code="99213")
    assert not charge.lines.exists()


def test_changing_the_units_reprices_the_line(biller: User, north: Location, fees: Any) -> None:
    charge = make_charge(location=north, actor=biller)
    line = services.charge_line_update(actor=biller, line=charge.lines.get(), units="2")
    assert line.amount == Decimal("250.00")


def test_changing_only_the_pointers_keeps_the_amount(biller: User, north: Location, fees: Any) -> None:
    charge = make_charge(location=north, actor=biller, lines=(("99213", Decimal("99.00")),))
    line = services.charge_line_update(actor=biller, line=charge.lines.get(), pointers=[2, 1])
    assert (line.amount, line.pointers) == (Decimal("99.00"), [2, 1])
    event = AuditEvent.objects.get(action="billing.charge_line_updated")
    assert event.changed_fields == "pointers"


def test_removing_a_line_renumbers_the_ones_after_it(biller: User, north: Location) -> None:
    charge = make_charge(location=north, actor=biller, lines=(("99213", Decimal(1)), ("99214", Decimal(2)),
                                                               ("J1100", Decimal(3))))
    services.charge_line_delete(actor=biller, line=charge.lines.get(line_number=1))
    assert list(charge.lines.values_list("line_number", "procedure_code")) == [(1, "99214"), (2, "J1100")]


def test_a_practice_manager_entry_cannot_add_a_line(make_user: Callable[..., User], north: Location,
                                                    biller: User) -> None:
    charge = make_charge(location=north, actor=biller)
    manager = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY, locations=[north])
    before = charge_state(charge)
    with pytest.raises(PermissionDenied):
        services.charge_line_add(actor=manager, charge=charge, procedure_code="99213", amount="1")
    assert charge_state(charge) == before
    assert denied(manager) == 1


# --- void -------------------------------------------------------------------------------------------------------


def test_voiding_a_charge_closes_the_claims_that_never_left_the_office(biller: User, north: Location) -> None:
    claim = make_claim(location=north, actor=biller, status=ClaimStatus.HELD)
    Charge.objects.filter(pk=claim.charge_id).update(status=ChargeStatus.BILLED)

    charge = services.charge_void(actor=biller, charge=claim.charge)

    assert charge.status == ChargeStatus.VOID
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CLOSED
    assert claim.status_changes.get().reason == "the charge was voided"


def test_a_void_charge_no_longer_changes(biller: User, north: Location) -> None:
    charge = services.charge_void(actor=biller, charge=make_charge(location=north, actor=biller))
    before = charge_state(charge)
    with pytest.raises(ValidationError, match="void"):
        services.charge_set_diagnoses(actor=biller, charge=charge, codes=["I10"])
    with pytest.raises(ValidationError, match="void"):
        services.charge_void(actor=biller, charge=charge)
    assert charge_state(charge) == before


def test_a_charge_whose_claim_the_payer_has_cannot_be_voided(biller: User, north: Location) -> None:
    claim = make_claim(location=north, actor=biller, status=ClaimStatus.ACCEPTED)
    Charge.objects.filter(pk=claim.charge_id).update(status=ChargeStatus.BILLED)
    before = charge_state(claim.charge)
    with pytest.raises(ValidationError, match="corrected claim"):
        services.charge_void(actor=biller, charge=claim.charge)
    assert charge_state(claim.charge) == before
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.ACCEPTED


def sent_with_replacement(biller: User, north: Location, frequency: str,
                          replacement_status: str = ClaimStatus.DRAFT) -> tuple[Claim, Claim]:
    """A claim the payer had (closed once replaced) and its corrected or void claim in `replacement_status`."""
    original = make_claim(location=north, actor=biller, status=ClaimStatus.ACCEPTED)
    Claim.objects.filter(pk=original.pk).update(submitted_at=dt.datetime(2026, 11, 5, tzinfo=dt.UTC),
                                                payer_claim_number="ICN-1")
    billed(original)
    original.refresh_from_db()
    action = claim_services.claim_void if frequency == ClaimFrequency.VOID else claim_services.claim_correct
    replacement = action(actor=biller, claim=original)
    Claim.objects.filter(pk=replacement.pk).update(status=replacement_status)
    replacement.refresh_from_db()
    return original, replacement


@pytest.mark.parametrize(("frequency", "status", "kind"), [
    (ClaimFrequency.VOID, ClaimStatus.DRAFT, "Void claim"),
    (ClaimFrequency.VOID, ClaimStatus.READY, "Void claim"),
    (ClaimFrequency.VOID, ClaimStatus.REJECTED, "Void claim"),
    (ClaimFrequency.CORRECTED, ClaimStatus.HELD, "Corrected claim"),
])
def test_a_charge_is_not_voided_while_a_claim_replacing_the_payers_claim_is_unsent(
        biller: User, north: Location, frequency: str, status: str, kind: str) -> None:
    original, replacement = sent_with_replacement(biller, north, frequency, status)
    charge = Charge.objects.get(pk=original.charge_id)
    before = (charge_state(charge), list(Claim.objects.order_by("pk").values()),
              ClaimStatusChange.objects.count())

    with pytest.raises(ValidationError) as refused:
        services.charge_void(actor=biller, charge=charge)

    assert refused.value.messages == [refused.value.messages[0]]
    message = refused.value.messages[0]
    assert message.startswith(f"{kind} {replacement.claim_number}, which ")
    assert f"leave the payer with {original.claim_number}" in message
    assert (charge_state(charge), list(Claim.objects.order_by("pk").values()),
            ClaimStatusChange.objects.count()) == before


def test_a_charge_is_voided_once_its_replacing_claim_was_closed_by_hand(biller: User, north: Location) -> None:
    original, replacement = sent_with_replacement(biller, north, ClaimFrequency.CORRECTED)
    claim_services.claim_change_status(actor=biller, claim=replacement, to_status=ClaimStatus.CLOSED,
                                       reason="billed in error")
    charge = services.charge_void(actor=biller, charge=Charge.objects.get(pk=original.charge_id))
    assert charge.status == ChargeStatus.VOID


def test_coverage_is_not_needed_to_capture_a_charge(biller: User, north: Location, provider: Any) -> None:
    patient = PatientFactory(home_location=north)
    assert not patient.coverages.exists()
    charge = services.charge_create(actor=biller, patient=patient, location=north, rendering_provider=provider,
                                    date_of_service=DOS)
    assert Charge.objects.filter(pk=charge.pk, status=ChargeStatus.OPEN).exists()
