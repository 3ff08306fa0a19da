"""Services: providers, templates, booking without double booking, check-in/out, free slots."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.patients.tests.factories import CoverageFactory, PatientFactory
from openpractice.scheduling import selectors, services
from openpractice.scheduling.models import Appointment, CopayPayment, Provider

from .factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    ProviderFactory,
    ProviderTemplateFactory,
    RoomFactory,
    TimeOffFactory,
    npi_for,
)

pytestmark = pytest.mark.django_db
NY = zoneinfo.ZoneInfo("America/New_York")


def next_monday(at: int = 9) -> dt.datetime:
    today = timezone.now().astimezone(NY).date()
    monday = today + dt.timedelta(days=7 - today.weekday())
    return dt.datetime.combine(monday, dt.time(at, 0), tzinfo=NY)


@pytest.fixture
def desk(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.FRONT_DESK, locations=[north], username="desk")


@pytest.fixture
def provider(north: Location) -> Provider:
    return ProviderFactory(locations=[north], first_name="Maya", last_name="Chen")


def book(actor: User, provider: Provider, location: Location, start: dt.datetime, **kwargs: object) -> Appointment:
    kwargs.setdefault("appointment_type", AppointmentTypeFactory())
    kwargs.setdefault("patient", PatientFactory(home_location=location))
    return services.appointment_book(actor=actor, provider=provider, location=location, starts_at=start,
                                     **kwargs)  # type: ignore[arg-type]


# --- providers ---------------------------------------------------------------------------------------------


def test_a_provider_with_a_wrong_npi_check_digit_is_refused_and_nothing_is_saved(
    make_user: Callable[..., User], north: Location
) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)
    data = {"first_name": "Ann", "last_name": "Lee", "credential": "MD", "kind": "physician",
            "npi": "1234567890", "taxonomy_code": "207Q00000X"}
    with pytest.raises(ValidationError) as error:
        services.provider_create(actor=manager, data=data, locations=[north])
    assert "npi" in error.value.message_dict
    assert not Provider.objects.exists()


def test_a_taxonomy_code_must_have_the_nucc_format(make_user: Callable[..., User], north: Location) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)
    data = {"first_name": "Ann", "last_name": "Lee", "credential": "MD", "kind": "physician",
            "npi": npi_for(1), "taxonomy_code": "207Q0000"}
    with pytest.raises(ValidationError) as error:
        services.provider_create(actor=manager, data=data, locations=[north])
    assert "taxonomy_code" in error.value.message_dict


def test_a_practice_manager_adds_a_provider_and_it_is_audited(make_user: Callable[..., User], north: Location) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)
    data = {"first_name": "Ann", "last_name": "Lee", "credential": "NP", "kind": "np",
            "npi": npi_for(2), "taxonomy_code": "363LF0000X"}
    provider = services.provider_create(actor=manager, data=data, locations=[north])
    assert list(provider.locations.all()) == [north]
    assert AuditEvent.objects.filter(action="provider.created", object_id=str(provider.pk)).exists()


def test_front_desk_may_not_add_providers_and_the_refusal_is_audited(desk: User, north: Location) -> None:
    data = {"first_name": "Ann", "last_name": "Lee", "credential": "MD", "kind": "physician",
            "npi": npi_for(3), "taxonomy_code": "207Q00000X"}
    with pytest.raises(PermissionDenied):
        services.provider_create(actor=desk, data=data, locations=[north])
    assert not Provider.objects.exists()
    assert AuditEvent.objects.filter(actor=desk, outcome="denied", action="provider.create").exists()


def test_overlapping_template_periods_on_one_day_are_refused(
    make_user: Callable[..., User], provider: Provider, north: Location
) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)
    with pytest.raises(ValidationError, match="overlaps"):
        services.provider_set_templates(actor=manager, provider=provider, periods=[
            (0, north, dt.time(8), dt.time(12)), (0, north, dt.time(11), dt.time(15))])
    assert not provider.templates.exists()
    services.provider_set_templates(actor=manager, provider=provider, periods=[
        (0, north, dt.time(8), dt.time(12)), (0, north, dt.time(13), dt.time(17))])
    assert provider.templates.count() == 2


def test_a_third_period_on_a_day_is_refused_by_every_writer(
    make_user: Callable[..., User], provider: Provider, north: Location
) -> None:
    """The weekly-hours page shows two periods a day: a third saved elsewhere would be dropped on its next save."""
    manager = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)
    with pytest.raises(ValidationError, match="at most 2 periods"):
        services.provider_set_templates(actor=manager, provider=provider, periods=[
            (0, north, dt.time(7), dt.time(8)), (0, north, dt.time(9), dt.time(10)),
            (0, north, dt.time(11), dt.time(12))])
    morning = services.provider_template_save(actor=manager, provider=provider,
                                              period=(0, north, dt.time(7), dt.time(8)))
    services.provider_template_save(actor=manager, provider=provider, period=(0, north, dt.time(9), dt.time(10)))
    with pytest.raises(ValidationError, match="at most 2 periods"):
        services.provider_template_save(actor=manager, provider=provider,
                                        period=(0, north, dt.time(11), dt.time(12)))
    # Moving one of the two within the day is no third period; it keeps its row.
    moved = services.provider_template_save(actor=manager, provider=provider,
                                            period=(0, north, dt.time(6), dt.time(7)), template=morning)
    assert moved.pk == morning.pk
    assert sorted(provider.templates.values_list("start", flat=True)) == [dt.time(6), dt.time(9)]


# --- booking -----------------------------------------------------------------------------------------------


def test_booking_sets_the_end_from_the_type_and_audits_with_the_patient(
    desk: User, provider: Provider, north: Location
) -> None:
    kind = AppointmentTypeFactory(duration_minutes=40)
    appointment = book(desk, provider, north, next_monday(), appointment_type=kind)
    assert appointment.ends_at - appointment.starts_at == dt.timedelta(minutes=40)
    event = AuditEvent.objects.get(action="appointment.booked")
    assert event.patient_id == appointment.patient_id


def test_an_overlapping_booking_of_the_provider_is_refused_with_a_clear_error(
    desk: User, provider: Provider, north: Location
) -> None:
    start = next_monday()
    book(desk, provider, north, start)
    with pytest.raises(services.SlotTaken) as error:
        book(desk, provider, north, start + dt.timedelta(minutes=15))
    assert "already booked" in error.value.message_dict["starts_at"][0]
    assert Appointment.objects.count() == 1


def test_back_to_back_bookings_are_fine_and_a_cancelled_slot_can_be_booked_again(
    desk: User, provider: Provider, north: Location
) -> None:
    start = next_monday()
    first = book(desk, provider, north, start)
    book(desk, provider, north, start + dt.timedelta(minutes=30))
    services.appointment_cancel(actor=desk, appointment=first, reason="Patient called")
    book(desk, provider, north, start)
    assert Appointment.objects.filter(status="booked").count() == 2


def test_a_room_cannot_be_double_booked_across_providers(desk: User, north: Location) -> None:
    room = RoomFactory(location=north)
    kind = AppointmentTypeFactory(needs_room=True)
    start = next_monday()
    book(desk, ProviderFactory(locations=[north]), north, start, room=room, appointment_type=kind)
    with pytest.raises(services.SlotTaken) as error:
        book(desk, ProviderFactory(locations=[north]), north, start, room=room, appointment_type=kind)
    assert "room" in error.value.message_dict


def test_a_type_that_needs_a_room_cannot_be_booked_without_one(desk: User, provider: Provider, north: Location) -> None:
    with pytest.raises(ValidationError) as error:
        book(desk, provider, north, next_monday(), appointment_type=AppointmentTypeFactory(needs_room=True))
    assert "room" in error.value.message_dict


def test_booking_during_time_off_is_refused(desk: User, provider: Provider, north: Location) -> None:
    start = next_monday()
    TimeOffFactory(provider=provider, starts_at=start - dt.timedelta(hours=1), ends_at=start + dt.timedelta(hours=3))
    with pytest.raises(services.SlotTaken, match="off"):
        book(desk, provider, north, start)


def test_booking_at_a_location_the_provider_does_not_work_at_is_refused(
    desk: User, provider: Provider, make_user: Callable[..., User], south: Location
) -> None:
    anywhere = make_user(Role.FRONT_DESK, username="anywhere")
    with pytest.raises(ValidationError) as error:
        book(anywhere, provider, south, next_monday())
    assert "provider" in error.value.message_dict


def test_booking_outside_the_users_locations_is_refused_audited_and_changes_nothing(
    make_user: Callable[..., User], north: Location, south: Location
) -> None:
    desk_south = make_user(Role.FRONT_DESK, locations=[south], username="south-desk")
    provider = ProviderFactory(locations=[north])
    with pytest.raises(PermissionDenied):
        book(desk_south, provider, north, next_monday(), patient=PatientFactory(home_location=south))
    assert not Appointment.objects.exists()
    assert AuditEvent.objects.filter(actor=desk_south, outcome="denied", action="appointment.book").exists()


def test_an_office_manager_entry_may_view_but_not_book(
    make_user: Callable[..., User], provider: Provider, north: Location
) -> None:
    manager = make_user(Role.OFFICE_MANAGER, Tier.ENTRY)
    with pytest.raises(PermissionDenied):
        book(manager, provider, north, next_monday())
    assert not Appointment.objects.exists()


# --- changes -----------------------------------------------------------------------------------------------


def test_rescheduling_refuses_an_overlap_but_may_overlap_its_own_old_time(
    desk: User, provider: Provider, north: Location
) -> None:
    start = next_monday()
    ProviderTemplateFactory(provider=provider, location=north, weekday=0)  # Mondays 8:00–12:00
    first = book(desk, provider, north, start)
    book(desk, provider, north, start + dt.timedelta(hours=1))
    moved = services.appointment_reschedule(actor=desk, appointment=first, starts_at=start + dt.timedelta(minutes=15))
    assert moved.starts_at == start + dt.timedelta(minutes=15)
    with pytest.raises(services.SlotTaken):
        services.appointment_reschedule(actor=desk, appointment=first, starts_at=start + dt.timedelta(minutes=50))
    first.refresh_from_db()
    assert first.starts_at == start + dt.timedelta(minutes=15)
    assert AuditEvent.objects.filter(action="appointment.rescheduled", patient_id=first.patient_id).count() == 1


def test_cancelling_needs_a_reason(desk: User, provider: Provider, north: Location) -> None:
    appointment = book(desk, provider, north, next_monday())
    with pytest.raises(ValidationError):
        services.appointment_cancel(actor=desk, appointment=appointment, reason="  ")
    appointment.refresh_from_db()
    assert appointment.status == "booked"
    services.appointment_cancel(actor=desk, appointment=appointment, reason="Feeling better")
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason) == ("cancelled", "Feeling better")


def test_no_show_only_after_the_start_and_only_once(desk: User, provider: Provider, north: Location) -> None:
    future = book(desk, provider, north, next_monday())
    with pytest.raises(ValidationError, match="start time"):
        services.appointment_mark_no_show(actor=desk, appointment=future)
    past = AppointmentFactory(patient=PatientFactory(home_location=north), provider=provider, location=north,
                              starts_at=timezone.now() - dt.timedelta(hours=2))
    services.appointment_mark_no_show(actor=desk, appointment=past)
    with pytest.raises(ValidationError):
        services.appointment_mark_no_show(actor=desk, appointment=past)
    past.refresh_from_db()
    assert past.status == "no_show"


# --- check-in and check-out ---------------------------------------------------------------------------------


def test_check_in_without_active_coverage_warns_but_checks_in(desk: User, provider: Provider, north: Location) -> None:
    patient = PatientFactory(home_location=north)
    CoverageFactory(patient=patient, effective_from=dt.date(2000, 1, 1), effective_to=dt.date(2001, 1, 1))
    appointment = book(desk, provider, north, next_monday(), patient=patient)
    result = services.appointment_check_in(actor=desk, appointment=appointment)
    assert result.appointment.status == "checked_in"
    assert result.copay_due is None
    assert len(result.warnings) == 1
    assert "No insurance coverage" in result.warnings[0]


def test_check_in_shows_the_primary_copay_and_records_the_payment(
    desk: User, provider: Provider, north: Location
) -> None:
    patient = PatientFactory(home_location=north)
    CoverageFactory(patient=patient, rank=2, copay=Decimal("10.00"))
    CoverageFactory(patient=patient, rank=1, copay=Decimal("35.00"))
    appointment = book(desk, provider, north, next_monday(), patient=patient)
    result = services.appointment_check_in(actor=desk, appointment=appointment, copay_amount="35.00",
                                           copay_method="card")
    assert result.warnings == []
    assert result.copay_due == Decimal("35.00")
    payment = CopayPayment.objects.get()
    assert (payment.amount, payment.method, payment.received_by) == (Decimal("35.00"), "card", desk)
    assert payment.receipt_number.startswith("CP")
    assert AuditEvent.objects.filter(action="copay.received", patient_id=patient.pk).exists()


@pytest.mark.parametrize("amount", ["0", "-5", "abc", "12.345", "NaN"])
def test_a_bad_copay_amount_is_refused_and_nothing_changes(
    desk: User, provider: Provider, north: Location, amount: str
) -> None:
    appointment = book(desk, provider, north, next_monday())
    with pytest.raises(ValidationError) as error:
        services.appointment_check_in(actor=desk, appointment=appointment, copay_amount=amount, copay_method="cash")
    assert "copay_amount" in error.value.message_dict
    appointment.refresh_from_db()
    assert appointment.status == "booked"
    assert not CopayPayment.objects.exists()


def test_check_out_completes_a_checked_in_visit_only(desk: User, provider: Provider, north: Location) -> None:
    appointment = book(desk, provider, north, next_monday())
    with pytest.raises(ValidationError):
        services.appointment_check_out(actor=desk, appointment=appointment)
    services.appointment_check_in(actor=desk, appointment=appointment)
    done = services.appointment_check_out(actor=desk, appointment=appointment)
    assert done.status == "completed"
    assert done.checked_out_at is not None


# --- free slots ------------------------------------------------------------------------------------------------


def test_next_free_slots_follow_templates_skip_bookings_and_time_off(
    desk: User, provider: Provider, north: Location
) -> None:
    monday = next_monday(8)
    ProviderTemplateFactory(provider=provider, location=north, weekday=0, start=dt.time(8), end=dt.time(10))
    kind = AppointmentTypeFactory(duration_minutes=30)
    book(desk, provider, north, monday, appointment_type=kind)  # 8:00-8:30 taken
    TimeOffFactory(provider=provider, starts_at=monday + dt.timedelta(hours=1),
                   ends_at=monday + dt.timedelta(hours=1, minutes=30))  # 9:00-9:30 off
    after = monday - dt.timedelta(days=1)
    slots = selectors.next_free_slots(actor=desk, appointment_type=kind, after=after, limit=5)
    local_starts = [slot.starts_at.astimezone(NY) for slot in slots]
    # Only Mondays (the template's day); on the first Monday 8:00 is booked and 9:00-9:30 is off.
    assert all(start.weekday() == 0 for start in local_starts)
    assert [start.time() for start in local_starts if start.date() == monday.date()] == [dt.time(8, 30), dt.time(9, 30)]
    assert local_starts[2] == monday + dt.timedelta(days=7)


def test_next_free_slots_for_a_room_type_need_a_free_room(desk: User, provider: Provider, north: Location) -> None:
    monday = next_monday(8)
    ProviderTemplateFactory(provider=provider, location=north, weekday=0, start=dt.time(8), end=dt.time(9))
    kind = AppointmentTypeFactory(duration_minutes=30, needs_room=True)
    room = RoomFactory(location=north)
    other = ProviderFactory(locations=[north])
    book(desk, other, north, monday, room=room, appointment_type=kind)
    slots = selectors.next_free_slots(actor=desk, appointment_type=kind, after=monday - dt.timedelta(hours=1),
                                      limit=1)
    assert slots[0].starts_at == monday + dt.timedelta(minutes=30)
    assert slots[0].room == room


def test_next_free_slots_only_at_the_users_locations(
    make_user: Callable[..., User], provider: Provider, north: Location, south: Location
) -> None:
    ProviderTemplateFactory(provider=provider, location=north, weekday=0)
    south_desk = make_user(Role.FRONT_DESK, locations=[south], username="south-only")
    assert selectors.next_free_slots(actor=south_desk, appointment_type=AppointmentTypeFactory()) == []


def test_merging_two_patient_records_moves_the_duplicates_appointments_to_the_survivor(
    make_user: Callable[..., User], desk: User, provider: Provider, north: Location
) -> None:
    from openpractice.patients.services import patient_merge
    from openpractice.scheduling.tests.factories import WaitlistEntryFactory

    survivor = PatientFactory(home_location=north)
    duplicate = PatientFactory(home_location=north)
    appointment = book(desk, provider, north, next_monday(10), patient=duplicate)
    entry = WaitlistEntryFactory(patient=duplicate, location=north)
    manager = make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED)

    patient_merge(actor=manager, survivor=survivor, duplicate=duplicate)

    appointment.refresh_from_db()
    entry.refresh_from_db()
    assert appointment.patient_id == survivor.pk
    assert entry.patient_id == survivor.pk
    event = AuditEvent.objects.get(action="appointments.moved_on_merge")
    assert event.patient_id == survivor.pk
