"""The scheduling lists export to CSV and XLSX: providers, referring providers, the waitlist and the day sheet.
Waitlist and day sheet rows are patients (one audited read each); a note is exported only where the person
sees notes on the page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.core.tests.list_exports import (
    FORMATS,
    assert_export_matches_list,
    assert_export_queries_constant,
    column,
    exported,
    exported_patients,
)
from openpractice.patients.tests.factories import PatientFactory
from openpractice.scheduling.models import Appointment, AppointmentType, Provider, WaitlistEntry
from openpractice.scheduling.tests.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    ProviderFactory,
    ReferringProviderFactory,
    WaitlistEntryFactory,
)

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 11, 2)


@pytest.fixture
def desk(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.FRONT_DESK, locations=[north], username="desk")


@pytest.fixture
def provider(north: Location) -> Provider:
    return ProviderFactory(locations=[north], first_name="Ana", last_name="Lima")


@pytest.fixture
def checkup() -> AppointmentType:
    return AppointmentTypeFactory(name="Check-up", duration_minutes=30)


def _entry(location: Location, kind: AppointmentType, notes: str = "mornings only") -> WaitlistEntry:
    return WaitlistEntryFactory(patient=PatientFactory(home_location=location), location=location,
                                appointment_type=kind, notes=notes)


def _appointment(location: Location, provider: Provider, kind: AppointmentType, hour: int,
                 notes: str = "bring the referral") -> Appointment:
    start = dt.datetime(DAY.year, DAY.month, DAY.day, hour, 0, tzinfo=dt.UTC)
    return AppointmentFactory(patient=PatientFactory(home_location=location), provider=provider, location=location,
                              appointment_type=kind, starts_at=start, notes=notes)


def test_the_provider_export_holds_the_searched_providers_with_their_locations(
        desk: User, signed_in: Callable[[User], Client], north: Location, south: Location) -> None:
    ProviderFactory(locations=[north, south], first_name="Ana", last_name="Lima")
    ProviderFactory(locations=[north], first_name="Bo", last_name="Lindqvist")
    ProviderFactory(locations=[north], first_name="Cy", last_name="Okafor")
    rows = assert_export_matches_list(signed_in(desk), reverse("scheduling:provider_list"), {"q": "li"})
    assert [(row[1], row[6]) for row in rows[1:]] == [("Ana Lima, MD", "North Clinic, South Clinic"),
                                                     ("Bo Lindqvist, MD", "North Clinic")]


def test_the_provider_export_costs_the_same_queries_for_more_providers(
        desk: User, signed_in: Callable[[User], Client], north: Location, south: Location) -> None:
    ProviderFactory(locations=[north])
    assert_export_queries_constant(signed_in(desk), reverse("scheduling:provider_list"),
                                   lambda: [ProviderFactory(locations=[north, south]) for _ in range(3)])


def test_the_referring_provider_export_matches_the_list(desk: User, signed_in: Callable[[User], Client]) -> None:
    ReferringProviderFactory(last_name="Adams", phone="919-555-0101")
    ReferringProviderFactory(last_name="Baker")
    rows = assert_export_matches_list(signed_in(desk), reverse("scheduling:referring_list"), {"sort": "-name"})
    assert [row[1] for row in rows[1:]] == ["Baker", "Adams"]


@pytest.mark.parametrize("file_format", FORMATS)
def test_the_waitlist_export_holds_my_locations_entries_and_audits_each_patient(
        desk: User, signed_in: Callable[[User], Client], north: Location, south: Location, checkup: AppointmentType,
        file_format: str) -> None:
    mine = [_entry(north, checkup), _entry(north, checkup)]
    _entry(south, checkup)
    rows = exported(signed_in(desk), reverse("scheduling:waitlist"), {"sort": "added"}, file_format)
    assert column(rows, "ID") == [str(entry.pk) for entry in mine]
    assert column(rows, "Note") == ["mornings only", "mornings only"]
    assert exported_patients(desk) == sorted(entry.patient_id for entry in mine)


def test_the_waitlist_export_matches_the_list(desk: User, signed_in: Callable[[User], Client], north: Location,
                                              checkup: AppointmentType) -> None:
    for _ in range(3):
        _entry(north, checkup)
    assert_export_matches_list(signed_in(desk), reverse("scheduling:waitlist"), {"sort": "-added"})


def test_an_office_manager_who_sees_no_notes_gets_none_in_the_waitlist_export(
        make_user: Callable[..., User], signed_in: Callable[[User], Client], north: Location,
        checkup: AppointmentType) -> None:
    _entry(north, checkup, notes="call after 5")
    office = make_user(Role.OFFICE_MANAGER, tier="entry", locations=[north])
    page = signed_in(office).get(reverse("scheduling:waitlist"))
    assert b"call after 5" not in page.content
    assert column(exported(signed_in(office), reverse("scheduling:waitlist")), "Note") == [""]


def test_the_waitlist_export_costs_the_same_queries_for_more_entries(
        desk: User, signed_in: Callable[[User], Client], north: Location, checkup: AppointmentType) -> None:
    _entry(north, checkup)
    assert_export_queries_constant(signed_in(desk), reverse("scheduling:waitlist"),
                                   lambda: [_entry(north, checkup) for _ in range(3)])


@pytest.mark.parametrize("file_format", FORMATS)
def test_the_day_sheet_exports_the_days_appointments_at_my_locations(
        desk: User, signed_in: Callable[[User], Client], north: Location, south: Location, provider: Provider,
        checkup: AppointmentType, file_format: str) -> None:
    shown = [_appointment(north, provider, checkup, 14), _appointment(north, provider, checkup, 15)]
    elsewhere = ProviderFactory(locations=[south])
    _appointment(south, elsewhere, checkup, 14)
    url = reverse("scheduling:schedule_sheet")
    page = signed_in(desk).get(url, {"date": DAY.isoformat()})
    assert "export=csv" in page.content.decode()
    rows = exported(signed_in(desk), url, {"date": DAY.isoformat()}, file_format)
    assert column(rows, "ID") == [str(item.pk) for item in shown]
    assert column(rows, "Note") == ["bring the referral", "bring the referral"]
    assert exported_patients(desk) == sorted(item.patient_id for item in shown)


def test_the_day_sheet_export_has_no_note_column_for_who_sees_no_notes(
        make_user: Callable[..., User], signed_in: Callable[[User], Client], north: Location, provider: Provider,
        checkup: AppointmentType) -> None:
    _appointment(north, provider, checkup, 14)
    office = make_user(Role.OFFICE_MANAGER, tier="entry", locations=[north])
    rows = exported(signed_in(office), reverse("scheduling:schedule_sheet"), {"date": DAY.isoformat()})
    assert "Note" not in rows[0]
    assert not any("referral" in cell for row in rows for cell in row)


def test_the_day_sheet_export_costs_the_same_queries_for_more_appointments(
        desk: User, signed_in: Callable[[User], Client], north: Location, provider: Provider,
        checkup: AppointmentType) -> None:
    _appointment(north, provider, checkup, 13)
    assert_export_queries_constant(
        signed_in(desk), reverse("scheduling:schedule_sheet"),
        lambda: [_appointment(north, provider, checkup, hour) for hour in (15, 16, 17)], {"date": DAY.isoformat()})


@pytest.mark.parametrize("route", ["scheduling:provider_list", "scheduling:referring_list", "scheduling:waitlist",
                                   "scheduling:schedule_sheet"])
def test_someone_without_the_schedule_cannot_export_its_lists(route: str, make_user: Callable[..., User],
                                                              signed_in: Callable[[User], Client],
                                                              north: Location, checkup: AppointmentType) -> None:
    _entry(north, checkup)
    hr = make_user(Role.HR)
    assert signed_in(hr).get(reverse(route), {"export": "csv"}).status_code == 404
    assert AuditEvent.objects.filter(actor=hr, outcome="denied").count() == 1
    assert not AuditEvent.objects.filter(action__in=["reports.list_exported", "patients.exported"]).exists()
