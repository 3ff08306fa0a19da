"""GET /api/v1/calendar: the compliance calendar through the API, scoped like the page, with JSON 422 on bad input."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.reporting.calendar import KINDS
from openpractice.reporting.tests.calendar_support import (
    calendar_range,
    located_obligations,
    practice_wide_obligations,
)

from .conftest import API, TokenClient

pytestmark = pytest.mark.django_db
URL = f"{API}/calendar"


def _range(**params: Any) -> dict[str, Any]:
    start, end = calendar_range(practice_today())
    return {"start": start.isoformat(), "end": end.isoformat(), "limit": 200, **params}


@pytest.fixture
def manager(make_user: Callable[..., User]) -> User:
    return make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, username="senior-pm")


def test_the_calendar_lists_every_modules_items_with_absolute_links(
        api_as: Callable[[User], TokenClient], manager: User, north: Location) -> None:
    today = practice_today()
    made = located_obligations(location=north, actor=manager, today=today)
    practice_wide_obligations(actor=manager, today=today, made=made)

    response = api_as(manager).get(URL, _range())

    assert response.status_code == 200
    body = response.json()
    assert {item["kind"] for item in body["items"]} == set(KINDS)
    assert body["count"] == len(body["items"])
    assert "timely_filing" in body["sources"]
    claim = made.objects["timely_filing"][0]
    filing = next(item for item in body["items"] if item["kind"] == "timely_filing")
    assert filing == {
        "date": (today + dt.timedelta(days=10)).isoformat(), "kind": "timely_filing", "module": "billing",
        "title": f"File claim {claim.claim_number} with {claim.payer.name}", "status": "due_soon",
        "location_id": north.pk, "location_name": "North Clinic",
        "url": f"http://127.0.0.1:8000/billing/claims/{claim.pk}/", "uid": f"claim-filing-{claim.pk}"}
    dates = [item["date"] for item in body["items"]]
    assert dates == sorted(dates)
    for name in made.patient_names:
        assert name not in response.content.decode()


def test_filters_and_pages(api_as: Callable[[User], TokenClient], manager: User, north: Location,
                           south: Location) -> None:
    today = practice_today()
    located_obligations(location=north, actor=manager, today=today)
    located_obligations(location=south, actor=manager, today=today)
    client = api_as(manager)

    lots = client.get(URL, _range(kind="lot_expiry")).json()
    assert lots["count"] == 2
    assert {item["kind"] for item in lots["items"]} == {"lot_expiry"}
    at_south = client.get(URL, _range(location_id=south.pk)).json()
    assert {item["location_id"] for item in at_south["items"]} == {south.pk}
    facilities = client.get(URL, _range(module="facilities")).json()
    assert {item["module"] for item in facilities["items"]} == {"facilities"}
    first_page = client.get(URL, _range(limit=3)).json()
    second_page = client.get(URL, _range(limit=3, offset=3)).json()
    assert len(first_page["items"]) == 3
    assert first_page["count"] == second_page["count"] > 6
    assert not {item["uid"] for item in first_page["items"]} & {item["uid"] for item in second_page["items"]}


def test_a_north_only_caller_gets_nothing_from_south_and_an_hr_caller_no_claim(
        api_as: Callable[[User], TokenClient], make_user: Callable[..., User], manager: User, north: Location,
        south: Location) -> None:
    today = practice_today()
    located_obligations(location=north, actor=manager, today=today)
    located_obligations(location=south, actor=manager, today=today)
    north_manager = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north], username="north-pm")

    north_items = api_as(north_manager).get(URL, _range()).json()["items"]
    hr_items = api_as(make_user(Role.HR, username="hr")).get(URL, _range()).json()["items"]

    assert {item["location_id"] for item in north_items} == {north.pk}
    assert "credential_expiry" in {item["kind"] for item in hr_items}
    assert "timely_filing" not in {item["kind"] for item in hr_items}


def test_a_caller_whose_roles_open_no_source_gets_an_empty_list(
        api_as: Callable[[User], TokenClient], administrator: User, north: Location) -> None:
    located_obligations(location=north, actor=administrator, today=practice_today())

    body = api_as(administrator).get(URL, _range()).json()

    assert body == {"items": [], "count": 0, "sources": [], "truncated": []}


@pytest.mark.parametrize("params", [
    {"start": "2026-01-01", "end": "2027-01-02"},  # 367 days
    {"start": "2026-03-01", "end": "2026-02-01"},
    {"start": "tomorrow"},
    {"start": "2026-02-30"},
    {"kind": "parking_tickets"},
    {"module": "astrology"},
    {"location_id": "0"},
    {"location_id": "north"},
    {"limit": "500"},
])
def test_bad_input_answers_422_json(api_as: Callable[[User], TokenClient], manager: User,
                                    params: dict[str, str]) -> None:
    response = api_as(manager).get(URL, params)

    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "validation_error"


def test_a_location_out_of_reach_answers_422(api_as: Callable[[User], TokenClient],
                                            make_user: Callable[..., User], north: Location,
                                            south: Location) -> None:
    north_manager = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north])

    response = api_as(north_manager).get(URL, {"location_id": south.pk})

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][-1] == "location_id"


def test_the_default_range_is_the_next_thirty_days(api_as: Callable[[User], TokenClient], manager: User,
                                                   north: Location) -> None:
    today = practice_today()
    made = located_obligations(location=north, actor=manager, today=today)
    plan = made.objects["maintenance_due"][0]
    plan.next_due_on = today + dt.timedelta(days=31)
    plan.save()

    items = api_as(manager).get(URL).json()["items"]

    assert items
    assert all(today.isoformat() <= item["date"] <= (today + dt.timedelta(days=30)).isoformat() for item in items)
    assert plan.title not in {item["title"].split(":")[0] for item in items}


def test_anonymous_callers_get_401_json(client: Client, practice: Any) -> None:
    response = client.get(URL)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
