"""A provider's weekly hours and time off on the provider pages, and booking outside those hours."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core.models import Location
from openpractice.patients.tests.factories import PatientFactory
from openpractice.scheduling import services
from openpractice.scheduling.models import Appointment, Provider, ProviderTemplate, TimeOff

from .factories import AppointmentTypeFactory, ProviderFactory, ProviderTemplateFactory, TimeOffFactory

pytestmark = pytest.mark.django_db
NY = zoneinfo.ZoneInfo("America/New_York")
MONDAY = dt.date(2030, 3, 4)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=NY)


@pytest.fixture
def provider(north: Location) -> Provider:
    return ProviderFactory(locations=[north], first_name="Maya", last_name="Chen")


@pytest.fixture
def manager(make_user: Callable[..., User]) -> User:
    return make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, username="manager")


@pytest.fixture
def desk(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.FRONT_DESK, locations=[north], username="desk")


def denied(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def periods(provider: Provider) -> list[tuple[int, int, dt.time, dt.time]]:
    return list(provider.templates.order_by("weekday", "start").values_list("weekday", "location_id", "start", "end"))


# --- weekly hours -------------------------------------------------------------------------------------------


def test_the_editor_saves_up_to_two_periods_a_day_and_replaces_the_old_ones(
    north: Location, provider: Provider, manager: User, signed_in: Callable[[User], Client]
) -> None:
    ProviderTemplateFactory(provider=provider, location=north, weekday=4, start=dt.time(7), end=dt.time(9))
    client = signed_in(manager)
    url = reverse("scheduling:provider_hours", args=[provider.pk])
    page = client.get(url).content.decode()
    assert 'value="07:00"' in page  # the current Friday period is filled in
    response = client.post(url, {
        "d0_0_location": north.pk, "d0_0_start": "08:00", "d0_0_end": "12:00",
        "d0_1_location": north.pk, "d0_1_start": "13:00", "d0_1_end": "17:00",
        "d2_0_location": north.pk, "d2_0_start": "09:00", "d2_0_end": "15:30",
    })
    assert response.status_code == 302
    assert periods(provider) == [
        (0, north.pk, dt.time(8), dt.time(12)), (0, north.pk, dt.time(13), dt.time(17)),
        (2, north.pk, dt.time(9), dt.time(15, 30)),
    ]
    assert AuditEvent.objects.filter(actor=manager, action="provider.templates_set").count() == 1
    detail = client.get(provider.get_absolute_url()).content.decode()
    assert "13:00–17:00" in detail


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"d1_0_start": "12:00", "d1_0_end": "08:00"}, "d1_0_end", "The end must be after the start."),
    ({"d1_0_start": "09:00", "d1_0_end": "09:00"}, "d1_0_end", "The end must be after the start."),
    ({"d1_0_start": "08:00", "d1_0_end": "12:00", "d1_1_start": "11:00", "d1_1_end": "14:00"}, "d1_1_start",
     "This period overlaps 08:00–12:00."),
    ({"d1_0_start": "08:00"}, "d1_0_end", "Give both the start and the end, or neither."),
    ({"d1_0_start": "8 o'clock", "d1_0_end": "12:00"}, "d1_0_start", "Enter a valid time."),
])
def test_bad_hours_are_refused_on_the_field_and_nothing_changes(
    north: Location, provider: Provider, manager: User, signed_in: Callable[[User], Client],
    data: dict[str, str], field: str, message: str,
) -> None:
    ProviderTemplateFactory(provider=provider, location=north, weekday=4)
    before = periods(provider)
    prefixed = {**data, **{k.replace("start", "location"): north.pk for k in data if k.endswith("_start")}}
    response = signed_in(manager).post(reverse("scheduling:provider_hours", args=[provider.pk]), prefixed)
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert periods(provider) == before


def test_a_period_at_a_location_the_provider_does_not_work_at_is_refused(
    north: Location, south: Location, provider: Provider, manager: User, signed_in: Callable[[User], Client]
) -> None:
    response = signed_in(manager).post(reverse("scheduling:provider_hours", args=[provider.pk]),
                                       {"d0_0_location": south.pk, "d0_0_start": "08:00", "d0_0_end": "12:00"})
    assert response.status_code == 400
    assert "d0_0_location" in response.context["form"].errors
    assert not ProviderTemplate.objects.exists()


def test_the_front_desk_may_not_edit_weekly_hours(
    north: Location, provider: Provider, desk: User, signed_in: Callable[[User], Client]
) -> None:
    """provider_set_templates needs PRACTICE_MANAGE, which the front desk does not hold."""
    ProviderTemplateFactory(provider=provider, location=north, weekday=0)
    before, refusals = periods(provider), denied(desk)
    client = signed_in(desk)
    response = client.post(reverse("scheduling:provider_hours", args=[provider.pk]), {})
    assert response.status_code == 404
    assert periods(provider) == before
    assert denied(desk) == refusals + 1
    assert "Edit weekly hours" not in client.get(provider.get_absolute_url()).content.decode()


# --- time off -------------------------------------------------------------------------------------------------


def test_the_front_desk_adds_time_off_in_practice_time_and_removes_it(
    provider: Provider, desk: User, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(desk)
    assert "Add time off" in client.get(provider.get_absolute_url()).content.decode()
    response = client.post(reverse("scheduling:provider_time_off_add", args=[provider.pk]),
                           {"starts_at": "2030-03-04T08:00", "ends_at": "2030-03-05T17:30", "reason": "Conference"})
    assert response.status_code == 302
    off = TimeOff.objects.get()
    assert (off.starts_at, off.ends_at, off.reason) == (at(MONDAY, 8), at(MONDAY + dt.timedelta(days=1), 17, 30),
                                                        "Conference")
    assert AuditEvent.objects.filter(actor=desk, action="time_off.created").count() == 1

    response = client.post(reverse("scheduling:provider_time_off_remove", args=[provider.pk]), {"time_off": off.pk})
    assert response.status_code == 302
    assert not TimeOff.objects.exists()
    event = AuditEvent.objects.get(actor=desk, action="time_off.deleted")
    assert event.object_id == str(off.pk)
    assert "2030-03-04T13:00:00+00:00" in event.reason  # what was removed stays in the trail


def test_time_off_that_ends_before_it_starts_is_refused_and_nothing_is_saved(
    provider: Provider, desk: User, signed_in: Callable[[User], Client]
) -> None:
    response = signed_in(desk).post(reverse("scheduling:provider_time_off_add", args=[provider.pk]),
                                    {"starts_at": "2030-03-05T08:00", "ends_at": "2030-03-04T17:00"})
    assert response.status_code == 400
    assert response.context["time_off_form"].errors["ends_at"] == ["The end must be after the start."]
    assert "The end must be after the start." in response.content.decode()
    assert not TimeOff.objects.exists()


def test_time_off_of_a_provider_who_also_works_elsewhere_needs_the_permission_there(
    north: Location, south: Location, desk: User, signed_in: Callable[[User], Client]
) -> None:
    shared = ProviderFactory(locations=[north, south])
    existing = TimeOffFactory(provider=shared, starts_at=at(MONDAY, 8), ends_at=at(MONDAY, 12))
    client = signed_in(desk)
    refusals = denied(desk)
    added = client.post(reverse("scheduling:provider_time_off_add", args=[shared.pk]),
                        {"starts_at": "2030-03-06T08:00", "ends_at": "2030-03-06T12:00"})
    removed = client.post(reverse("scheduling:provider_time_off_remove", args=[shared.pk]), {"time_off": existing.pk})
    assert (added.status_code, removed.status_code) == (404, 404)
    assert list(TimeOff.objects.values_list("pk", flat=True)) == [existing.pk]
    assert denied(desk) == refusals + 2
    assert "Add time off" not in client.get(shared.get_absolute_url()).content.decode()


def test_removing_another_providers_time_off_through_this_provider_finds_nothing(
    north: Location, provider: Provider, desk: User, signed_in: Callable[[User], Client]
) -> None:
    other = TimeOffFactory(provider=ProviderFactory(locations=[north]), starts_at=at(MONDAY, 8),
                           ends_at=at(MONDAY, 12))
    response = signed_in(desk).post(reverse("scheduling:provider_time_off_remove", args=[provider.pk]),
                                    {"time_off": other.pk}, follow=True)
    assert "That time off no longer exists." in response.content.decode()
    assert TimeOff.objects.filter(pk=other.pk).exists()


def test_time_off_delete_refuses_a_user_without_the_permission_and_audits_it(
    provider: Provider, make_user: Callable[..., User]
) -> None:
    off = TimeOffFactory(provider=provider, starts_at=at(MONDAY, 8), ends_at=at(MONDAY, 12))
    viewer = make_user(Role.OFFICE_MANAGER, Tier.ENTRY)
    with pytest.raises(PermissionDenied):
        services.time_off_delete(actor=viewer, time_off=off)
    assert TimeOff.objects.filter(pk=off.pk).exists()
    assert AuditEvent.objects.filter(actor=viewer, action="time_off.delete", outcome=Outcome.DENIED).count() == 1


# --- booking outside the weekly hours -------------------------------------------------------------------------


def _booking(north: Location, provider: Provider, time: str, **extra: Any) -> dict[str, Any]:
    return {"patient": PatientFactory(home_location=north).pk, "appointment_type": AppointmentTypeFactory().pk,
            "provider": provider.pk, "location": north.pk, "date": MONDAY.isoformat(), "time": time, **extra}


def test_booking_outside_the_hours_warns_and_books_only_once_confirmed(
    north: Location, provider: Provider, desk: User, signed_in: Callable[[User], Client]
) -> None:
    ProviderTemplateFactory(provider=provider, location=north, weekday=0, start=dt.time(8), end=dt.time(12))
    client = signed_in(desk)
    data = _booking(north, provider, "12:30")
    response = client.post(reverse("scheduling:schedule_book"), data)
    assert response.status_code == 400
    text = response.content.decode()
    assert "Outside the provider's hours" in text
    assert "12:30–13:00 is outside Maya Chen, MD&#x27;s hours at North Clinic on Monday (08:00–12:00)." in text
    assert not Appointment.objects.exists()

    confirmed = client.post(reverse("scheduling:schedule_book"), {**data, "book_outside_hours": "on"})
    assert confirmed.status_code == 302
    appointment = Appointment.objects.get()
    assert appointment.starts_at == at(MONDAY, 12, 30)
    assert AuditEvent.objects.filter(action="appointment.booked_outside_hours", object_id=str(appointment.pk),
                                     patient_id=appointment.patient_id).count() == 1


@pytest.mark.parametrize("time", ["11:45", "07:45"])
def test_a_visit_that_only_partly_fits_the_hours_is_outside_them(
    north: Location, provider: Provider, desk: User, signed_in: Callable[[User], Client], time: str
) -> None:
    ProviderTemplateFactory(provider=provider, location=north, weekday=0, start=dt.time(8), end=dt.time(12))
    response = signed_in(desk).post(reverse("scheduling:schedule_book"), _booking(north, provider, time))
    assert response.status_code == 400
    assert "book_outside_hours" in response.context["form"].errors
    assert not Appointment.objects.exists()


def test_hours_at_another_location_do_not_count(
    north: Location, south: Location, make_user: Callable[..., User]
) -> None:
    provider = ProviderFactory(locations=[north, south], first_name="Sam", last_name="Ito")
    ProviderTemplateFactory(provider=provider, location=south, weekday=0, start=dt.time(8), end=dt.time(17))
    with pytest.raises(ValidationError) as caught:
        services.appointment_book_checking_hours(
            actor=make_user(Role.FRONT_DESK), patient=PatientFactory(home_location=north), provider=provider,
            location=north, appointment_type=AppointmentTypeFactory(), starts_at=at(MONDAY, 9))
    assert caught.value.message_dict["book_outside_hours"] == ["Sam Ito, MD has no hours at North Clinic on Monday."]
    assert not Appointment.objects.exists()


def test_booking_inside_the_hours_needs_no_confirmation_and_is_not_flagged(
    north: Location, provider: Provider, desk: User
) -> None:
    ProviderTemplateFactory(provider=provider, location=north, weekday=0, start=dt.time(8), end=dt.time(12))
    appointment = services.appointment_book_checking_hours(
        actor=desk, patient=PatientFactory(home_location=north), provider=provider, location=north,
        appointment_type=AppointmentTypeFactory(duration_minutes=30), starts_at=at(MONDAY, 11, 30))
    assert appointment.ends_at == at(MONDAY, 12)
    assert not AuditEvent.objects.filter(action="appointment.booked_outside_hours").exists()


def test_a_confirmed_out_of_hours_booking_still_refuses_a_double_booking(
    north: Location, provider: Provider, desk: User
) -> None:
    kind = AppointmentTypeFactory(duration_minutes=30)
    first = services.appointment_book_checking_hours(
        actor=desk, patient=PatientFactory(home_location=north), provider=provider, location=north,
        appointment_type=kind, starts_at=at(MONDAY, 18), outside_hours_confirmed=True)
    with pytest.raises(services.SlotTaken):
        services.appointment_book_checking_hours(
            actor=desk, patient=PatientFactory(home_location=north), provider=provider, location=north,
            appointment_type=kind, starts_at=at(MONDAY, 18, 15), outside_hours_confirmed=True)
    assert list(Appointment.objects.values_list("pk", flat=True)) == [first.pk]
    assert AuditEvent.objects.filter(action="appointment.booked_outside_hours").count() == 1


# --- rescheduling outside the weekly hours ---------------------------------------------------------------------


def _booked_at_nine(north: Location, provider: Provider) -> Appointment:
    from .factories import AppointmentFactory

    ProviderTemplateFactory(provider=provider, location=north, weekday=0, start=dt.time(8), end=dt.time(12))
    return AppointmentFactory(patient=PatientFactory(home_location=north), provider=provider, location=north,
                              appointment_type=AppointmentTypeFactory(duration_minutes=30), starts_at=at(MONDAY, 9))


def test_rescheduling_outside_the_hours_is_refused_until_confirmed_and_then_audited_as_such(
    north: Location, provider: Provider, desk: User
) -> None:
    appointment = _booked_at_nine(north, provider)

    with pytest.raises(ValidationError) as caught:
        services.appointment_reschedule(actor=desk, appointment=appointment, starts_at=at(MONDAY, 12, 30))

    assert caught.value.message_dict["outside_hours"] == [
        "12:30–13:00 is outside Maya Chen, MD's hours at North Clinic on Monday (08:00–12:00)."]
    appointment.refresh_from_db()
    assert appointment.starts_at == at(MONDAY, 9)
    assert not AuditEvent.objects.filter(action__startswith="appointment.rescheduled").exists()

    moved = services.appointment_reschedule(actor=desk, appointment=appointment, starts_at=at(MONDAY, 12, 30),
                                            outside_hours_confirmed=True)

    assert moved.starts_at == at(MONDAY, 12, 30)
    event = AuditEvent.objects.get(action="appointment.rescheduled_outside_hours")
    assert (event.actor_id, event.object_id, event.patient_id) == (desk.pk, str(moved.pk), moved.patient_id)
    assert "outside Maya Chen" in event.reason


def test_rescheduling_inside_the_hours_needs_no_confirmation_and_is_not_flagged(
    north: Location, provider: Provider, desk: User
) -> None:
    appointment = _booked_at_nine(north, provider)

    moved = services.appointment_reschedule(actor=desk, appointment=appointment, starts_at=at(MONDAY, 11, 30))

    assert moved.starts_at == at(MONDAY, 11, 30)
    assert AuditEvent.objects.filter(action="appointment.rescheduled").count() == 1
    assert not AuditEvent.objects.filter(action="appointment.rescheduled_outside_hours").exists()


def test_moving_to_a_provider_without_hours_then_is_outside_the_hours(
    north: Location, provider: Provider, desk: User
) -> None:
    appointment = _booked_at_nine(north, provider)
    other = ProviderFactory(locations=[north], first_name="Sam", last_name="Ito")

    with pytest.raises(ValidationError) as caught:
        services.appointment_reschedule(actor=desk, appointment=appointment, starts_at=at(MONDAY, 9), provider=other)

    assert caught.value.message_dict["outside_hours"] == ["Sam Ito, MD has no hours at North Clinic on Monday."]
    appointment.refresh_from_db()
    assert appointment.provider == provider


def test_the_reschedule_form_warns_outside_the_hours_and_moves_once_confirmed(
    north: Location, provider: Provider, desk: User, signed_in: Callable[[User], Client]
) -> None:
    appointment = _booked_at_nine(north, provider)
    client = signed_in(desk)
    url = reverse("scheduling:appointment_reschedule", args=[appointment.pk])
    data = {"date": MONDAY.isoformat(), "time": "12:30", "provider": ""}

    refused = client.post(url, data)

    assert refused.status_code == 400
    assert "outside Maya Chen, MD&#x27;s hours" in refused.content.decode()
    assert "outside_hours" in refused.context["form"].errors
    appointment.refresh_from_db()
    assert appointment.starts_at == at(MONDAY, 9)

    confirmed = client.post(url, {**data, "outside_hours": "on"})

    assert confirmed.status_code == 302
    appointment.refresh_from_db()
    assert appointment.starts_at == at(MONDAY, 12, 30)
    assert AuditEvent.objects.filter(action="appointment.rescheduled_outside_hours",
                                     object_id=str(appointment.pk)).count() == 1
