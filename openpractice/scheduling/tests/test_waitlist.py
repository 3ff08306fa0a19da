"""The waitlist: adding and removing patients, the suggestions for a cancelled appointment, booking from one."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core.models import Location
from openpractice.patients.models import Patient
from openpractice.patients.tests.factories import PatientFactory
from openpractice.scheduling import services, waitlist
from openpractice.scheduling.choices import AppointmentStatus
from openpractice.scheduling.models import Appointment, AppointmentType, Provider, WaitlistEntry, WaitlistStatus
from openpractice.scheduling.tests.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    ProviderFactory,
    WaitlistEntryFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(make_user: Callable[..., User]) -> User:
    return make_user(Role.FRONT_DESK, username="desk")


@pytest.fixture
def provider(north: Location) -> Provider:
    return ProviderFactory(locations=[north])


@pytest.fixture
def checkup() -> AppointmentType:
    return AppointmentTypeFactory(name="Check-up", duration_minutes=30)


@pytest.fixture
def cancelled(desk: User, north: Location, provider: Provider, checkup: AppointmentType) -> Appointment:
    """A check-up in three days at North, just cancelled: its half hour is free."""
    start = (timezone.now() + dt.timedelta(days=3)).replace(hour=15, minute=0, second=0, microsecond=0)
    appointment = AppointmentFactory(patient=PatientFactory(home_location=north), provider=provider, location=north,
                                     appointment_type=checkup, starts_at=start)
    return services.appointment_cancel(actor=desk, appointment=appointment, reason="patient called")


def _entry(location: Location, appointment_type: AppointmentType, **fields: Any) -> WaitlistEntry:
    return WaitlistEntryFactory(patient=PatientFactory(home_location=location), location=location,
                                appointment_type=appointment_type, **fields)


def test_the_front_desk_adds_a_patient_to_the_waitlist_and_sees_them_listed(
    signed_in: Callable[[User], Client], desk: User, north: Location, checkup: AppointmentType,
) -> None:
    patient = PatientFactory(home_location=north, last_name="Ablewhite")
    client = signed_in(desk)
    today = timezone.localdate()
    assert client.get(reverse("scheduling:waitlist_add"), {"q": "Ablewhite"}).status_code == 200

    response = client.post(reverse("scheduling:waitlist_add"), {
        "patient": patient.pk, "appointment_type": checkup.pk, "location": north.pk, "provider": "",
        "earliest": today.isoformat(), "latest": (today + dt.timedelta(days=14)).isoformat(),
        "notes": "mornings only",
    })

    assert response.status_code == 302
    entry = WaitlistEntry.objects.get()
    assert (entry.patient, entry.status, entry.provider, entry.created_by) == (patient, WaitlistStatus.OPEN, None, desk)
    event = AuditEvent.objects.get(action="waitlist.added")
    assert event.patient_id == patient.pk
    assert event.location_id == north.pk
    page = client.get(reverse("scheduling:waitlist"))
    assert "Ablewhite" in page.content.decode()
    assert "mornings only" in page.content.decode()


def test_a_latest_date_before_the_earliest_is_refused_on_the_field_and_nothing_is_saved(
    signed_in: Callable[[User], Client], desk: User, north: Location, checkup: AppointmentType,
) -> None:
    patient = PatientFactory(home_location=north)
    today = timezone.localdate()

    response = signed_in(desk).post(reverse("scheduling:waitlist_add"), {
        "patient": patient.pk, "appointment_type": checkup.pk, "location": north.pk,
        "earliest": (today + dt.timedelta(days=5)).isoformat(), "latest": today.isoformat(),
    })

    assert response.status_code == 400
    assert "The latest date must be on or after the earliest date." in response.content.decode()
    assert not WaitlistEntry.objects.exists()


def test_adding_at_a_location_where_one_may_not_manage_the_schedule_is_refused_and_audited(
    make_user: Callable[..., User], north: Location, south: Location, checkup: AppointmentType,
) -> None:
    north_desk = make_user(Role.FRONT_DESK, locations=[north], username="north-desk")
    patient: Patient = PatientFactory.create(home_location=north)
    today = timezone.localdate()

    with pytest.raises(PermissionDenied):
        waitlist.waitlist_add(actor=north_desk, patient=patient, location=south, appointment_type=checkup,
                              earliest=today, latest=today + dt.timedelta(days=7))

    assert not WaitlistEntry.objects.exists()
    assert AuditEvent.objects.filter(actor=north_desk, outcome=Outcome.DENIED, action="waitlist.add").exists()


def test_the_waitlist_shows_only_open_entries_at_the_users_locations(
    signed_in: Callable[[User], Client], make_user: Callable[..., User], north: Location, south: Location,
    checkup: AppointmentType,
) -> None:
    shown = _entry(north, checkup)
    _entry(south, checkup)
    _entry(north, checkup, status=WaitlistStatus.REMOVED)
    viewer = make_user(Role.CLINICAL_STAFF, locations=[north], username="north-nurse")

    response = signed_in(viewer).get(reverse("scheduling:waitlist"))

    assert response.status_code == 200
    assert list(response.context["table"].page.object_list) == [shown]
    assert "Remove" not in response.content.decode()  # viewing only: no schedule.manage


def test_removing_an_entry_keeps_it_as_removed_and_audits_it(
    signed_in: Callable[[User], Client], desk: User, north: Location, checkup: AppointmentType,
) -> None:
    entry = _entry(north, checkup)

    response = signed_in(desk).post(reverse("scheduling:waitlist_remove", kwargs={"pk": entry.pk}))

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.REMOVED
    assert AuditEvent.objects.filter(action="waitlist.removed", patient_id=entry.patient_id).count() == 1


def test_a_cancelled_appointment_suggests_the_open_entries_that_fit_its_time(
    desk: User, north: Location, south: Location, provider: Provider, checkup: AppointmentType,
    cancelled: Appointment,
) -> None:
    day = cancelled.starts_at.astimezone(zoneinfo.ZoneInfo("America/New_York")).date()  # practice time
    any_provider = _entry(north, checkup, earliest=day, latest=day)
    this_provider = _entry(north, AppointmentTypeFactory(duration_minutes=15), provider=provider)
    _entry(south, checkup)  # another location
    _entry(north, checkup, provider=ProviderFactory(locations=[north]))  # waiting for someone else
    _entry(north, AppointmentTypeFactory(duration_minutes=60))  # does not fit in half an hour
    _entry(north, checkup, earliest=day + dt.timedelta(days=1), latest=day + dt.timedelta(days=9))  # too early
    _entry(north, checkup, status=WaitlistStatus.REMOVED)

    matches = waitlist.waitlist_matches(actor=desk, appointment=cancelled)

    assert matches == [any_provider, this_provider]


def test_an_appointment_that_is_not_cancelled_suggests_nobody(
    signed_in: Callable[[User], Client], desk: User, north: Location, provider: Provider, checkup: AppointmentType,
) -> None:
    booked = AppointmentFactory(patient=PatientFactory(home_location=north), provider=provider, location=north,
                                appointment_type=checkup, starts_at=timezone.now() + dt.timedelta(days=2))
    _entry(north, checkup)

    assert waitlist.waitlist_matches(actor=desk, appointment=booked) == []
    page = signed_in(desk).get(reverse("scheduling:appointment_waitlist", kwargs={"pk": booked.pk}))
    assert page.status_code == 200
    assert "not cancelled" in page.content.decode()


def test_booking_from_an_entry_fills_the_freed_time_and_marks_the_entry_booked(
    signed_in: Callable[[User], Client], desk: User, north: Location, provider: Provider,
    checkup: AppointmentType, cancelled: Appointment,
) -> None:
    entry = _entry(north, checkup, notes="any afternoon")
    client = signed_in(desk)
    page = client.get(reverse("scheduling:appointment_waitlist", kwargs={"pk": cancelled.pk}))
    assert entry.patient.last_name in page.content.decode()

    response = client.post(reverse("scheduling:waitlist_book", kwargs={"pk": entry.pk}),
                           {"appointment": cancelled.pk})

    booked = Appointment.objects.get(patient=entry.patient)
    assert response.status_code == 302
    assert response["Location"] == booked.get_absolute_url()
    assert (booked.provider, booked.location, booked.starts_at, booked.status) == (
        provider, north, cancelled.starts_at, AppointmentStatus.BOOKED)
    entry.refresh_from_db()
    assert (entry.status, entry.appointment) == (WaitlistStatus.BOOKED, booked)
    assert AuditEvent.objects.filter(action="waitlist.booked", patient_id=entry.patient_id).count() == 1
    assert waitlist.waitlist_matches(actor=desk, appointment=cancelled) == []  # the time is taken again


def test_booking_an_entry_that_does_not_fit_the_freed_time_changes_nothing(
    signed_in: Callable[[User], Client], desk: User, north: Location, cancelled: Appointment,
) -> None:
    too_long = _entry(north, AppointmentTypeFactory(duration_minutes=90))
    appointments = Appointment.objects.count()

    response = signed_in(desk).post(reverse("scheduling:waitlist_book", kwargs={"pk": too_long.pk}),
                                    {"appointment": cancelled.pk}, follow=True)

    assert "does not fit the freed time" in response.content.decode()
    assert Appointment.objects.count() == appointments
    too_long.refresh_from_db()
    assert too_long.status == WaitlistStatus.OPEN


def test_booking_from_an_entry_at_another_location_is_not_found_and_audited(
    signed_in: Callable[[User], Client], make_user: Callable[..., User], north: Location, south: Location,
    checkup: AppointmentType, cancelled: Appointment,
) -> None:
    north_desk = make_user(Role.FRONT_DESK, locations=[north], username="north-desk")
    elsewhere = _entry(south, checkup)
    appointments = Appointment.objects.count()

    response = signed_in(north_desk).post(reverse("scheduling:waitlist_book", kwargs={"pk": elsewhere.pk}),
                                          {"appointment": cancelled.pk})

    assert response.status_code == 404
    assert Appointment.objects.count() == appointments
    elsewhere.refresh_from_db()
    assert elsewhere.status == WaitlistStatus.OPEN
    assert AuditEvent.objects.filter(actor=north_desk, outcome=Outcome.DENIED).exists()
