"""The calendar page: month grid and agenda list, filters, the empty calendar's explanation, bad input, and a number
of queries that does not grow with the number of items."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.reporting.models import CalendarDigest
from openpractice.workforce.models import TrainingAssignment

from .calendar_support import calendar_range, located_obligations, practice_wide_obligations

pytestmark = pytest.mark.django_db
URL = "/calendar/"


@pytest.fixture
def manager(make_user: Callable[..., User]) -> User:
    return make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, username="senior-pm")


def _agenda(client: Client, **params: str) -> str:
    today = practice_today()
    start, end = calendar_range(today)
    response = client.get(URL, {"view": "agenda", "start": start.isoformat(), "end": end.isoformat(), **params})
    assert response.status_code == 200
    return response.content.decode()


def test_the_agenda_lists_each_modules_obligation_with_a_link_to_its_page(
        signed_in: Callable[[User], Client], manager: User, north: Location) -> None:
    today = practice_today()
    made = located_obligations(location=north, actor=manager, today=today)
    practice_wide_obligations(actor=manager, today=today, made=made)

    html = _agenda(signed_in(manager))

    claim = made.objects["timely_filing"][0]
    assert f'href="/billing/claims/{claim.pk}/"' in html
    assert claim.claim_number in html
    assert f'href="/workforce/credentials/{made.objects["credential_expiry"][0].pk}/"' in html
    assert f'href="/facilities/maintenance/plans/{made.objects["maintenance_due"][0].pk}/"' in html
    assert f'href="/vendors/contracts/{made.objects["contract_end"][0].pk}/"' in html
    assert f'href="/compliance/associates/agreements/{made.objects["baa_review"][0].pk}/"' in html
    assert f'href="/cases/{made.objects["case_due"][0].pk}/"' in html
    assert "Whole practice" in html
    for name in made.patient_names:
        assert name not in html


def test_the_month_grid_shows_this_months_items_on_their_day(
        signed_in: Callable[[User], Client], manager: User, north: Location) -> None:
    today = practice_today()
    made = located_obligations(location=north, actor=manager, today=today)
    plan = made.objects["maintenance_due"][0]
    plan.next_due_on = today.replace(day=1) + dt.timedelta(days=40)  # next month: not on this month's grid
    plan.save()
    training = made.objects["training_due"][0]
    TrainingAssignment.objects.filter(pk=training.pk).update(due_on=today)

    response = signed_in(manager).get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert today.strftime("%B %Y") in html
    assert 'aria-current="date"' in html
    assert training.course.title in html
    assert plan.title not in html
    next_month = signed_in(manager).get(URL, {"month": (today.replace(day=1) + dt.timedelta(days=40))
                                              .strftime("%Y-%m")})
    assert plan.title in next_month.content.decode()


def test_filters_keep_only_what_was_asked(
        signed_in: Callable[[User], Client], manager: User, north: Location, south: Location) -> None:
    today = practice_today()
    located_obligations(location=north, actor=manager, today=today)
    south_made = located_obligations(location=south, actor=manager, today=today)
    client = signed_in(manager)

    only_lots = _agenda(client, kind="lot_expiry")
    assert "Tetanus vaccine" in only_lots
    assert "Door does not close" not in only_lots

    at_north = _agenda(client, location=str(north.pk))
    assert south_made.objects["work_order_due"][0].title not in at_north
    assert "North Clinic" in at_north

    facilities = _agenda(client, module="facilities")
    assert "Door does not close" in facilities
    assert "Tetanus vaccine" not in facilities


@pytest.mark.parametrize("params", [
    {"view": "agenda", "start": "2026-01-01", "end": "2027-06-01"},  # more than 366 days
    {"view": "agenda", "start": "2026-03-01", "end": "2026-02-01"},  # ends before it starts
    {"view": "agenda", "start": "yesterday"},
    {"month": "2026-13"},
    {"kind": "parking_tickets"},
    {"module": "astrology"},
    {"view": "week"},
])
def test_bad_filters_answer_400_with_the_errors_shown(
        signed_in: Callable[[User], Client], manager: User, params: dict[str, str]) -> None:
    response = signed_in(manager).get(URL, params)

    assert response.status_code == 400
    assert "Please correct the following" in response.content.decode()


def test_a_location_the_user_does_not_reach_is_refused(
        signed_in: Callable[[User], Client], make_user: Callable[..., User], north: Location,
        south: Location) -> None:
    north_manager = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north])

    response = signed_in(north_manager).get(URL, {"location": str(south.pk)})

    assert response.status_code == 400


def test_someone_whose_roles_open_no_source_sees_an_empty_calendar_that_says_why(
        signed_in: Callable[[User], Client], administrator: User, manager: User, north: Location) -> None:
    located_obligations(location=north, actor=manager, today=practice_today())

    html = signed_in(administrator).get(URL).content.decode()

    assert "Nothing for you to follow here" in html
    assert "Door does not close" not in html


def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("view", ["agenda", "month"])
def test_the_page_costs_the_same_number_of_queries_with_three_times_the_items(
        signed_in: Callable[[User], Client], manager: User, north: Location, south: Location, view: str) -> None:
    today = practice_today()
    client = signed_in(manager)
    located_obligations(location=north, actor=manager, today=today)
    practice_wide_obligations(actor=manager, today=today)
    params = {"view": view}
    if view == "agenda":
        start, end = calendar_range(today)
        params.update(start=start.isoformat(), end=end.isoformat())
    client.get(URL, params)  # warm the caches (practice settings, templates)

    with CaptureQueriesContext(connection) as small:
        first = client.get(URL, params)
    for location in (north, south):
        located_obligations(location=location, actor=manager, today=today)
    practice_wide_obligations(actor=manager, today=today)
    with CaptureQueriesContext(connection) as large:
        second = client.get(URL, params)

    assert first.status_code == second.status_code == 200
    shown = 'href="/facilities/' if view == "agenda" else '<li class="cal-'
    assert second.content.decode().count(shown) > first.content.decode().count(shown)
    assert len(large) == len(small)


def test_the_digest_setting_turns_the_digest_off_and_on(
        signed_in: Callable[[User], Client], manager: User) -> None:
    client = signed_in(manager)

    response = client.post("/calendar/digest/", {"enabled": "off"})

    assert response.status_code == 302
    assert CalendarDigest.objects.get(user=manager).enabled is False
    assert "is <strong>off</strong>" in client.get(URL).content.decode()
    client.post("/calendar/digest/", {"enabled": "on"})
    assert CalendarDigest.objects.get(user=manager).enabled is True


@pytest.mark.parametrize("data", [{}, {"enabled": "sometimes"}])
def test_a_bad_digest_setting_answers_400_and_saves_nothing(
        signed_in: Callable[[User], Client], manager: User, data: dict[str, str]) -> None:
    response = signed_in(manager).post("/calendar/digest/", data)

    assert response.status_code == 400
    assert "Please correct the following" in response.content.decode()
    assert not CalendarDigest.objects.exists()
