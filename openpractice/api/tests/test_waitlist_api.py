"""/waitlist-entries: patients waiting for an earlier visit (PHI). Read at the caller's schedule locations, each
patient shown audited once per page; notes only where the caller sees front-desk notes. Added, removed and booked
with schedule.manage through the waitlist services. Out of scope or out of role is 404 and the refusal audited;
refusals and bad input change nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core.models import Location
from openpractice.patients.models import Patient
from openpractice.patients.tests.factories import PatientFactory
from openpractice.scheduling import services
from openpractice.scheduling.choices import AppointmentStatus
from openpractice.scheduling.models import Appointment, AppointmentType, Provider, WaitlistEntry, WaitlistStatus
from openpractice.scheduling.tests.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    ProviderFactory,
    WaitlistEntryFactory,
)

from .conftest import API, TokenClient

pytestmark = pytest.mark.django_db

Api = Callable[[User], TokenClient]
WAITLIST = f"{API}/waitlist-entries"


@pytest.fixture
def desk(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.FRONT_DESK, locations=[north])


@pytest.fixture
def checkup() -> AppointmentType:
    return AppointmentTypeFactory(name="Check-up", duration_minutes=30)


@pytest.fixture
def provider(north: Location) -> Provider:
    return ProviderFactory(locations=[north])


@pytest.fixture
def patient(north: Location) -> Patient:
    return PatientFactory(home_location=north)


def entry_at(location: Location, kind: AppointmentType, patient: Patient | None = None,
             **fields: Any) -> WaitlistEntry:
    return WaitlistEntryFactory(patient=patient or PatientFactory(home_location=location), location=location,
                                appointment_type=kind, **fields)


def refusals(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def viewed(user: User) -> list[int]:
    return sorted(pk for pk in AuditEvent.objects.filter(actor=user, action="patients.viewed").values_list(
        "patient_id", flat=True) if pk is not None)


def rows() -> list[tuple[Any, ...]]:
    return list(WaitlistEntry.objects.order_by("pk").values_list("pk", "patient_id", "location_id", "status",
                                                                 "appointment_id", "earliest", "latest"))


def test_the_waitlist_lists_the_entries_at_the_callers_locations_and_audits_each_patient_once(
        desk: User, north: Location, south: Location, checkup: AppointmentType, patient: Patient,
        api_as: Api) -> None:
    first = entry_at(north, checkup, patient, notes="mornings only")
    again = entry_at(north, checkup, patient, status=WaitlistStatus.REMOVED)
    other = entry_at(north, checkup)
    elsewhere = entry_at(south, checkup)
    client = api_as(desk)
    response = client.get(WAITLIST)
    assert response.status_code == 200, response.content
    assert [row["id"] for row in response.json()["items"]] == [first.pk, again.pk, other.pk]
    assert response.json()["items"][0]["patient"] == {
        "id": patient.pk, "account_number": patient.account_number, "first_name": patient.first_name,
        "last_name": patient.last_name}
    assert response.json()["items"][0]["notes"] == "mornings only"
    assert response.json()["items"][0]["status"] == "open"
    assert viewed(desk) == sorted([patient.pk, other.patient_id])  # one event per patient shown

    before = AuditEvent.objects.filter(action="patients.viewed").count()
    assert [row["id"] for row in client.get(WAITLIST, {"status": "open"}).json()["items"]] == [first.pk, other.pk]
    assert AuditEvent.objects.filter(action="patients.viewed").count() == before + 2
    assert client.get(WAITLIST, {"location_id": south.pk}).json() == {"items": [], "count": 0}
    assert client.get(WAITLIST, {"patient_id": patient.pk}).json()["count"] == 2
    assert elsewhere.patient_id not in viewed(desk)


def test_reading_one_entry_is_audited_and_another_locations_entry_is_not_found_and_audited(
        desk: User, north: Location, south: Location, checkup: AppointmentType, patient: Patient,
        api_as: Api) -> None:
    mine = entry_at(north, checkup, patient)
    theirs = entry_at(south, checkup)
    client = api_as(desk)
    assert client.get(f"{WAITLIST}/{mine.pk}").json()["id"] == mine.pk
    assert viewed(desk) == [patient.pk]
    assert client.get(f"{WAITLIST}/{theirs.pk}").status_code == 404
    assert refusals(desk) == 1
    assert theirs.patient_id not in viewed(desk)


def test_notes_are_hidden_from_whoever_does_not_see_front_desk_notes(
        make_user: Callable[..., User], north: Location, checkup: AppointmentType, api_as: Api) -> None:
    entry = entry_at(north, checkup, notes="mornings only")
    office = make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])
    client = api_as(office)
    assert client.get(WAITLIST).json()["items"][0]["notes"] is None
    assert client.get(f"{WAITLIST}/{entry.pk}").json()["notes"] is None


def test_someone_without_the_schedule_sees_no_waitlist(make_user: Callable[..., User], north: Location,
                                                       checkup: AppointmentType, api_as: Api) -> None:
    entry = entry_at(north, checkup)
    hr = make_user(Role.HR, locations=[north])
    assert api_as(hr).get(WAITLIST).status_code == 404
    assert api_as(hr).get(f"{WAITLIST}/{entry.pk}").status_code == 404
    assert refusals(hr) == 2
    assert viewed(hr) == []


def test_the_waitlist_runs_the_same_queries_for_many_rows(desk: User, north: Location, checkup: AppointmentType,
                                                          provider: Provider, api_as: Api) -> None:
    client = api_as(desk)
    entry_at(north, checkup, provider=provider)
    client.get(WAITLIST)
    with CaptureQueriesContext(connection) as few:
        client.get(WAITLIST)
    for _ in range(10):
        entry_at(north, AppointmentTypeFactory(), provider=ProviderFactory(locations=[north]))
    with CaptureQueriesContext(connection) as many:
        response = client.get(WAITLIST)
    assert response.json()["count"] == 11
    assert len(many.captured_queries) == len(few.captured_queries)
    assert AuditEvent.objects.filter(actor=desk, action="patients.viewed").count() == 1 + 1 + 11


def test_the_front_desk_puts_a_patient_on_the_waitlist_and_removes_them(
        desk: User, north: Location, checkup: AppointmentType, provider: Provider, patient: Patient,
        api_as: Api) -> None:
    client = api_as(desk)
    today = timezone.localdate()
    response = client.post(WAITLIST, {
        "patient_id": patient.pk, "location_id": north.pk, "appointment_type_id": checkup.pk,
        "provider_id": provider.pk, "earliest": today.isoformat(),
        "latest": (today + dt.timedelta(days=14)).isoformat(), "notes": "mornings only"})
    assert response.status_code == 201, response.content
    entry = WaitlistEntry.objects.get(pk=response.json()["id"])
    assert (entry.patient, entry.location, entry.provider, entry.status, entry.notes, entry.created_by) == (
        patient, north, provider, WaitlistStatus.OPEN, "mornings only", desk)
    assert response.json()["provider"] == {"id": provider.pk, "display_name": provider.display_name}

    response = client.patch(f"{WAITLIST}/{entry.pk}", {"action": "remove"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "removed"
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.REMOVED
    actions = set(AuditEvent.objects.filter(actor=desk, patient_id=patient.pk).values_list("action", flat=True))
    assert {"waitlist.added", "waitlist.removed"} <= actions

    before = rows()
    assert client.patch(f"{WAITLIST}/{entry.pk}", {"action": "remove"}).status_code == 422  # no longer open
    assert rows() == before


def test_booking_an_entry_fills_a_cancelled_appointments_time(
        desk: User, north: Location, checkup: AppointmentType, provider: Provider, api_as: Api) -> None:
    start = (timezone.now() + dt.timedelta(days=3)).replace(hour=15, minute=0, second=0, microsecond=0)
    freed = AppointmentFactory(patient=PatientFactory(home_location=north), provider=provider, location=north,
                               appointment_type=checkup, starts_at=start)
    services.appointment_cancel(actor=desk, appointment=freed, reason="patient called")
    entry = entry_at(north, checkup)
    client = api_as(desk)
    before = rows()
    assert client.patch(f"{WAITLIST}/{entry.pk}", {"action": "book"}).status_code == 422
    assert client.patch(f"{WAITLIST}/{entry.pk}", {"action": "book", "cancelled_appointment_id": 999999}
                        ).status_code == 422
    assert rows() == before

    response = client.patch(f"{WAITLIST}/{entry.pk}", {"action": "book", "cancelled_appointment_id": freed.pk})
    assert response.status_code == 200, response.content
    booked = Appointment.objects.get(patient=entry.patient)
    assert (booked.provider, booked.starts_at, booked.status) == (provider, start, AppointmentStatus.BOOKED)
    assert (response.json()["status"], response.json()["appointment_id"]) == ("booked", booked.pk)
    assert AuditEvent.objects.filter(action="waitlist.booked", patient_id=entry.patient_id).count() == 1


def test_an_entry_that_does_not_fit_the_freed_time_is_a_422_and_books_nothing(
        desk: User, north: Location, checkup: AppointmentType, provider: Provider, api_as: Api) -> None:
    start = (timezone.now() + dt.timedelta(days=3)).replace(hour=15, minute=0, second=0, microsecond=0)
    freed = AppointmentFactory(patient=PatientFactory(home_location=north), provider=provider, location=north,
                               appointment_type=checkup, starts_at=start)
    services.appointment_cancel(actor=desk, appointment=freed, reason="patient called")
    too_long = entry_at(north, AppointmentTypeFactory(duration_minutes=60))
    before, appointments = rows(), Appointment.objects.count()
    response = api_as(desk).patch(f"{WAITLIST}/{too_long.pk}", {"action": "book",
                                                               "cancelled_appointment_id": freed.pk})
    assert response.status_code == 422, response.content
    assert (rows(), Appointment.objects.count()) == (before, appointments)


@pytest.mark.parametrize("change", [
    {"patient_id": "elsewhere"}, {"patient_id": 999999}, {"location_id": "elsewhere"},
    {"appointment_type_id": 999999}, {"appointment_type_id": "retired"}, {"provider_id": "elsewhere"},
    {"latest": "yesterday"}, {"earliest": "in a week"}, {"latest": "2026-02-30"}, {"notes": "x" * 121},
    {"notes": "a\x00b"}, {"patient_id": None},
])
def test_a_bad_waitlist_entry_is_a_422_and_adds_nothing(
        desk: User, north: Location, south: Location, checkup: AppointmentType, patient: Patient, api_as: Api,
        change: dict[str, Any]) -> None:
    today = timezone.localdate()
    samples = {
        "elsewhere": {"patient_id": PatientFactory(home_location=south).pk, "location_id": south.pk,
                      "provider_id": ProviderFactory(locations=[south]).pk},
        "retired": {"appointment_type_id": AppointmentTypeFactory(is_active=False).pk},
        "yesterday": {"latest": (today - dt.timedelta(days=1)).isoformat()},
        "in a week": {"earliest": (today + dt.timedelta(days=30)).isoformat()},  # after latest
    }
    body: dict[str, Any] = {"patient_id": patient.pk, "location_id": north.pk, "appointment_type_id": checkup.pk,
                            "earliest": today.isoformat(), "latest": (today + dt.timedelta(days=14)).isoformat()}
    for name, value in change.items():
        body[name] = samples[value][name] if isinstance(value, str) and value in samples else value
    body = {name: value for name, value in body.items() if value is not None}
    before = rows()
    response = api_as(desk).post(WAITLIST, body)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "validation_error"
    assert rows() == before


def test_adding_where_the_caller_does_not_manage_the_schedule_is_404_audited_and_adds_nothing(
        make_user: Callable[..., User], north: Location, checkup: AppointmentType, patient: Patient,
        api_as: Api) -> None:
    today = timezone.localdate()
    body = {"patient_id": patient.pk, "location_id": north.pk, "appointment_type_id": checkup.pk,
            "earliest": today.isoformat(), "latest": (today + dt.timedelta(days=14)).isoformat()}
    nurse = make_user(Role.CLINICAL_STAFF, locations=[north])
    assert api_as(nurse).post(WAITLIST, body).status_code == 404
    assert refusals(nurse) == 1
    assert WaitlistEntry.objects.count() == 0


def test_another_locations_entry_cannot_be_removed_or_booked_and_the_refusal_is_audited(
        desk: User, make_user: Callable[..., User], north: Location, south: Location, checkup: AppointmentType,
        api_as: Api) -> None:
    theirs = entry_at(south, checkup)
    mine = entry_at(north, checkup)
    before = rows()
    assert api_as(desk).patch(f"{WAITLIST}/{theirs.pk}", {"action": "remove"}).status_code == 404
    assert refusals(desk) == 1
    nurse = make_user(Role.CLINICAL_STAFF, locations=[north])
    assert api_as(nurse).patch(f"{WAITLIST}/{mine.pk}", {"action": "remove"}).status_code == 404
    assert refusals(nurse) == 1
    assert rows() == before
