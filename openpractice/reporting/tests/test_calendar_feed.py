"""The personal iCalendar feed: a secret address shown once, stored as its SHA-256, revocable at once, read with the
person's permissions of the moment, and dead for a deactivated person."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar

from openpractice.accounts.models import User
from openpractice.accounts.permissions import forget
from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.services.users import user_deactivate
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.reporting.models import CalendarFeed
from openpractice.reporting.services_calendar import calendar_feed_create, calendar_feed_revoke

from .calendar_support import located_obligations, practice_wide_obligations

pytestmark = pytest.mark.django_db
FEED_PATH = re.compile(r"http://[^/\s\"]+(/calendar/feed/[A-Za-z0-9_-]+\.ics)")


@pytest.fixture
def manager(make_user: Callable[..., User]) -> User:
    return make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, username="senior-pm")


def _path(token: str) -> str:
    return f"/calendar/feed/{token}.ics"


def _events(response: object) -> list:
    calendar = Calendar.from_ical(response.content)  # type: ignore[attr-defined]
    return list(calendar.walk("VEVENT"))


def test_the_feed_address_is_shown_once_and_only_its_sha256_is_kept(
        signed_in: Callable[[User], Client], manager: User) -> None:
    client = signed_in(manager)

    response = client.post("/calendar/feed/new/")

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    match = FEED_PATH.search(response.content.decode())
    assert match is not None
    token = match.group(1).removeprefix("/calendar/feed/").removesuffix(".ics")
    feed = CalendarFeed.objects.get(user=manager)
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(list(CalendarFeed.objects.values_list()))
    page = client.get("/calendar/").content.decode()
    assert token not in page
    assert "Stop the feed" in page
    assert AuditEvent.objects.filter(action="reporting.calendar_feed_created", actor=manager).count() == 1


def test_the_feed_is_valid_icalendar_with_all_day_events_and_stable_uids(
        manager: User, north: Location) -> None:
    today = practice_today()
    made = located_obligations(location=north, actor=manager, today=today)
    practice_wide_obligations(actor=manager, today=today, made=made)
    _feed, token = calendar_feed_create(actor=manager)

    first = Client().get(_path(token))  # no session: the address is the key

    assert first.status_code == 200
    assert first["Content-Type"].startswith("text/calendar")
    assert first["Cache-Control"].startswith("private")
    events = _events(first)
    assert len(events) >= 16
    claim = made.objects["timely_filing"][0]
    filing = next(event for event in events if claim.claim_number in str(event["SUMMARY"]))
    assert isinstance(filing.decoded("DTSTART"), dt.date)
    assert not isinstance(filing.decoded("DTSTART"), dt.datetime)
    assert filing.decoded("DTEND") == filing.decoded("DTSTART") + dt.timedelta(days=1)
    assert str(filing["URL"]) == f"http://127.0.0.1:8000/billing/claims/{claim.pk}/"
    assert "Billing" in filing["CATEGORIES"].to_ical().decode()
    for event in events:
        assert "DTSTAMP" in event
        assert "UID" in event
    text = first.content.decode()
    for name in made.patient_names:
        assert name not in text
    uids = sorted(str(event["UID"]) for event in events)
    assert len(set(uids)) == len(uids)
    assert sorted(str(event["UID"]) for event in _events(Client().get(_path(token)))) == uids
    assert CalendarFeed.objects.get(user=manager).last_used_at is not None


def test_a_revoked_address_answers_404_at_once_and_a_new_one_works(manager: User) -> None:
    _feed, old = calendar_feed_create(actor=manager)
    assert Client().get(_path(old)).status_code == 200

    _feed, new = calendar_feed_create(actor=manager)  # regenerate: the old one stops

    assert Client().get(_path(old)).status_code == 404
    assert Client().get(_path(new)).status_code == 200
    assert CalendarFeed.objects.filter(user=manager, revoked_at__isnull=True).count() == 1
    calendar_feed_revoke(actor=manager)
    assert Client().get(_path(new)).status_code == 404
    assert AuditEvent.objects.filter(action="reporting.calendar_feed_revoked", actor=manager).count() == 2


def test_stopping_the_feed_from_the_page_revokes_it(signed_in: Callable[[User], Client], manager: User) -> None:
    _feed, token = calendar_feed_create(actor=manager)

    response = signed_in(manager).post("/calendar/feed/stop/")

    assert response.status_code == 302
    assert Client().get(_path(token)).status_code == 404


@pytest.mark.parametrize("token", ["not-a-token", "x" * 300, ""])
def test_an_unknown_address_answers_404(db: None, token: str) -> None:
    assert Client().get(f"/calendar/feed/{token}.ics").status_code == 404


def test_a_feed_shows_only_its_owners_items_never_another_persons(
        make_user: Callable[..., User], manager: User, north: Location, south: Location) -> None:
    today = practice_today()
    located_obligations(location=north, actor=manager, today=today)
    south_made = located_obligations(location=south, actor=manager, today=today)
    north_manager = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north], username="north-pm")
    _feed, everything = calendar_feed_create(actor=manager)
    _feed, north_only = calendar_feed_create(actor=north_manager)

    north_text = Client().get(_path(north_only)).content.decode()
    all_text = Client().get(_path(everything)).content.decode()

    south_claim = south_made.objects["timely_filing"][0].claim_number
    assert south_claim in all_text
    assert south_claim not in north_text
    assert "South Clinic" not in north_text


def test_the_feed_follows_the_owners_permissions_of_the_moment(
        make_user: Callable[..., User], north: Location) -> None:
    hr = make_user(Role.HR, username="hr")
    located_obligations(location=north, actor=hr, today=practice_today())
    _feed, token = calendar_feed_create(actor=hr)
    assert _events(Client().get(_path(token)))

    hr.role_assignments.all().delete()
    forget(hr)

    response = Client().get(_path(token))
    assert response.status_code == 200
    assert _events(response) == []


def test_a_deactivated_persons_feed_answers_404(administrator: User, manager: User) -> None:
    _feed, token = calendar_feed_create(actor=manager)

    user_deactivate(actor=administrator, user=manager)

    assert Client().get(_path(token)).status_code == 404


def test_signed_out_visitors_cannot_make_or_stop_a_feed(client: Client, manager: User) -> None:
    for path in ("/calendar/feed/new/", "/calendar/feed/stop/"):
        response = client.post(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert not CalendarFeed.objects.exists()


def test_reading_the_feed_costs_the_same_number_of_queries_with_three_times_the_items(
        manager: User, north: Location, south: Location) -> None:
    today = practice_today()
    located_obligations(location=north, actor=manager, today=today)
    practice_wide_obligations(actor=manager, today=today)
    _feed, token = calendar_feed_create(actor=manager)
    reader = Client()
    reader.get(_path(token))  # warm the caches (practice settings)

    with CaptureQueriesContext(connection) as small:
        first = reader.get(_path(token))
    for location in (north, south):
        located_obligations(location=location, actor=manager, today=today)
    practice_wide_obligations(actor=manager, today=today)
    with CaptureQueriesContext(connection) as large:
        second = reader.get(_path(token))

    assert len(_events(second)) > len(_events(first))
    assert len(large) == len(small)


def test_an_inactive_account_cannot_get_a_feed(make_user: Callable[..., User]) -> None:
    gone = make_user(Role.HR, username="gone", is_active=False)

    with pytest.raises(ValidationError):
        calendar_feed_create(actor=gone)

    assert not CalendarFeed.objects.exists()


def test_a_calendar_program_may_ask_head_first_but_may_not_post(manager: User) -> None:
    _feed, token = calendar_feed_create(actor=manager)

    assert Client().head(_path(token)).status_code == 200
    assert Client().post(_path(token)).status_code == 405
