"""Notes decided per location on the day view, day sheet and waitlist; patient searches in the booking and
waitlist pickers audited; ids in query strings and forms parsed safely."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import give_role
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.patients.tests.factories import PatientFactory
from openpractice.scheduling import selectors, services
from openpractice.scheduling.models import Appointment, TimeOff, WaitlistEntry
from openpractice.scheduling.params import parse_id

from .factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    ProviderFactory,
    TimeOffFactory,
    WaitlistEntryFactory,
)

pytestmark = pytest.mark.django_db
NY = zoneinfo.ZoneInfo("America/New_York")
DAY = dt.date(2030, 3, 4)  # a Monday


@pytest.fixture
def desk_north_viewer_south(make_user: Callable[..., User], north: Location, south: Location) -> User:
    """Front desk at North (may see notes there), office manager entry level at South (schedule.view only)."""
    user = make_user(Role.FRONT_DESK, locations=[north], username="split")
    give_role(user, Role.OFFICE_MANAGER, Tier.ENTRY, locations=[south])
    return user


@pytest.fixture
def two_sites(north: Location, south: Location) -> tuple[Appointment, Appointment]:
    """One appointment at each location, same day, each with a front-desk note."""
    both = ProviderFactory(locations=[north, south], first_name="Maya", last_name="Chen")
    at_north = AppointmentFactory(patient=PatientFactory(home_location=north, last_name="Northrop"), provider=both,
                                  location=north, notes="North wheelchair",
                                  starts_at=dt.datetime.combine(DAY, dt.time(9), tzinfo=NY))
    at_south = AppointmentFactory(patient=PatientFactory(home_location=south, last_name="Southey"), provider=both,
                                  location=south, notes="South interpreter",
                                  starts_at=dt.datetime.combine(DAY, dt.time(14), tzinfo=NY))
    return at_north, at_south


# --- 1. notes on the day view and the day sheet, per location ------------------------------------------------


@pytest.mark.parametrize("route", ["scheduling:schedule_day", "scheduling:schedule_sheet"])
def test_the_day_view_and_sheet_show_notes_only_where_the_user_may_see_them(
    route: str, desk_north_viewer_south: User, two_sites: tuple[Appointment, Appointment],
    signed_in: Callable[[User], Client],
) -> None:
    page = signed_in(desk_north_viewer_south).get(reverse(route), {"date": DAY.isoformat()}).content.decode()

    assert "Northrop" in page  # both appointments are on the page
    assert "Southey" in page
    assert "North wheelchair" in page
    assert "South interpreter" not in page


def test_the_day_sheet_of_a_view_only_user_has_no_note_column(
    north: Location, south: Location, two_sites: tuple[Appointment, Appointment],
    make_user: Callable[..., User], signed_in: Callable[[User], Client],
) -> None:
    viewer = make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north, south])

    page = signed_in(viewer).get(reverse("scheduling:schedule_sheet"), {"date": DAY.isoformat()}).content.decode()

    assert "Southey" in page
    assert "North wheelchair" not in page
    assert "South interpreter" not in page
    assert '<th scope="col">Note</th>' not in page


def test_detail_locations_are_where_the_user_manages_the_schedule_or_sees_finances(
    north: Location, south: Location, desk_north_viewer_south: User, make_user: Callable[..., User],
) -> None:
    assert selectors.detail_location_ids(desk_north_viewer_south) == {north.pk}
    everywhere = make_user(Role.FRONT_DESK, username="desk-all")
    assert selectors.detail_location_ids(everywhere) == {north.pk, south.pk}
    assert selectors.detail_location_ids(make_user(Role.OFFICE_MANAGER, Tier.ENTRY, username="om")) == set()


# --- 5. waitlist notes, per location -------------------------------------------------------------------------


def test_the_waitlist_hides_notes_at_locations_where_the_user_only_views_the_schedule(
    north: Location, south: Location, desk_north_viewer_south: User, signed_in: Callable[[User], Client],
) -> None:
    kind = AppointmentTypeFactory()
    WaitlistEntryFactory(patient=PatientFactory(home_location=north, last_name="Northrop"), location=north,
                         appointment_type=kind, notes="mornings only")
    WaitlistEntryFactory(patient=PatientFactory(home_location=south, last_name="Southey"), location=south,
                         appointment_type=kind, notes="afternoons only")

    page = signed_in(desk_north_viewer_south).get(reverse("scheduling:waitlist")).content.decode()
    fragment = signed_in(desk_north_viewer_south).get(
        reverse("scheduling:waitlist"), {"sort": "location"},
        headers={"HX-Request": "true", "HX-Target": "waitlist-table"}).content.decode()

    for html in (page, fragment):
        assert "Northrop" in html
        assert "Southey" in html
        assert "mornings only" in html
        assert "afternoons only" not in html


def test_the_waitlist_suggestions_hide_notes_from_the_office_manager_entry(
    south: Location, make_user: Callable[..., User], signed_in: Callable[[User], Client],
) -> None:
    kind = AppointmentTypeFactory(duration_minutes=30)
    provider = ProviderFactory(locations=[south])
    start = (timezone.now() + dt.timedelta(days=3)).replace(hour=15, minute=0, second=0, microsecond=0)
    appointment = AppointmentFactory(patient=PatientFactory(home_location=south), provider=provider, location=south,
                                     appointment_type=kind, starts_at=start)
    services.appointment_cancel(actor=make_user(Role.FRONT_DESK, username="desk"), appointment=appointment,
                                reason="patient called")
    day = start.astimezone(NY).date()
    WaitlistEntryFactory(patient=PatientFactory(home_location=south, last_name="Southey"), location=south,
                         appointment_type=kind, earliest=day, latest=day, notes="afternoons only")
    url = reverse("scheduling:appointment_waitlist", kwargs={"pk": appointment.pk})

    viewer = signed_in(make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[south], username="om")).get(url)
    assert "Southey" in viewer.content.decode()
    assert "afternoons only" not in viewer.content.decode()

    desk = signed_in(make_user(Role.FRONT_DESK, locations=[south], username="desk-south")).get(url)
    assert "afternoons only" in desk.content.decode()


# --- 4. patient searches in the pickers are audited ----------------------------------------------------------


@pytest.mark.parametrize(("route", "picker"), [("scheduling:schedule_book", "booking picker"),
                                                ("scheduling:waitlist_add", "waitlist picker")])
def test_a_picker_search_writes_one_patients_searched_event_with_the_count_and_not_the_text(
    route: str, picker: str, north: Location, make_user: Callable[..., User], signed_in: Callable[[User], Client],
) -> None:
    PatientFactory(home_location=north, last_name="Zelinski", first_name="Ann")
    PatientFactory(home_location=north, last_name="Zelinski", first_name="Bo")
    PatientFactory(home_location=north, last_name="Other")
    desk = make_user(Role.FRONT_DESK, locations=[north])
    client = signed_in(desk)

    page = client.get(reverse(route), {"q": "zelinski"})

    assert page.status_code == 200
    assert "Zelinski" in page.content.decode()
    event = AuditEvent.objects.get(actor=desk, action="patients.searched")
    assert event.reason == f"{picker}: 2 shown"
    assert "zelinski" not in str(event.__dict__).lower()
    client.get(reverse(route))  # no search: nothing shown, nothing recorded
    assert AuditEvent.objects.filter(action="patients.searched").count() == 1


# --- 6. ids parsed safely ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["42", 42])
def test_parse_id_reads_ascii_digits(value: object) -> None:
    assert parse_id(value) == 42


@pytest.mark.parametrize("value", [None, "", "abc", "-1", "0", "4.2", " 4", "²", "4²", "٤٢", "１２", "9" * 19,
                                   True, 0, -3, 4.0])
def test_parse_id_refuses_anything_that_is_not_a_plain_positive_id(value: object) -> None:
    assert parse_id(value) is None


@pytest.mark.parametrize(("route", "params"), [
    ("scheduling:schedule_day", {"provider": "²"}),
    ("scheduling:schedule_day", {"location": "²"}),
    ("scheduling:schedule_sheet", {"provider": "²", "location": "³"}),
    ("scheduling:schedule_week", {"provider": "²"}),
    ("scheduling:schedule_book", {"patient": "²"}),
    ("scheduling:schedule_book", {"appointment_type": "²", "provider": "²", "location": "²"}),
    ("scheduling:waitlist_add", {"patient": "²"}),
])
def test_superscript_digits_in_the_query_string_are_ignored_not_a_server_error(
    route: str, params: dict[str, str], north: Location, make_user: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    client = signed_in(make_user(Role.FRONT_DESK, locations=[north]))

    assert client.get(reverse(route), params).status_code == 200


def test_superscript_digits_in_posted_ids_change_nothing(
    north: Location, make_user: Callable[..., User], signed_in: Callable[[User], Client],
) -> None:
    provider = ProviderFactory.create(locations=[north])
    TimeOffFactory(provider=provider, starts_at=dt.datetime.combine(DAY, dt.time(8), tzinfo=NY),
                   ends_at=dt.datetime.combine(DAY, dt.time(12), tzinfo=NY))
    entry = WaitlistEntryFactory(patient=PatientFactory(home_location=north), location=north)
    client = signed_in(make_user(Role.FRONT_DESK, locations=[north]))

    removed = client.post(reverse("scheduling:provider_time_off_remove", args=[provider.pk]), {"time_off": "²"})
    booked = client.post(reverse("scheduling:waitlist_book", args=[entry.pk]), {"appointment": "²"})
    chosen = client.post(reverse("scheduling:schedule_book"), {"patient": "²"})

    assert (removed.status_code, booked.status_code) == (302, 302)
    assert chosen.status_code == 400
    assert TimeOff.objects.count() == 1
    assert WaitlistEntry.objects.get().status == "open"
    assert not Appointment.objects.exists()
