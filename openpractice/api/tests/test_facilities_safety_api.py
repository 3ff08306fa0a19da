"""/safety-logs: facilities.view reads the entries of its locations (filters from an allowlist, paginated, at a
constant query count) and records readings through the same service as the daily round (pass/fail computed by the
server, one entry per slot, the managers alerted by mail). An entry or checkpoint elsewhere is a 404, audited, and
changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.facilities.models import SafetyLogEntry
from openpractice.facilities.tests.factories_safety import denials, make_check, make_entry, make_fridge, rows

from .conftest import API
from .supply_support import Api, errors_on, ids, list_queries

pytestmark = pytest.mark.django_db

LOGS = f"{API}/safety-logs"


@pytest.fixture
def nurse(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.CLINICAL_STAFF, locations=[north], username="nurse")


def test_the_list_shows_only_my_locations_with_filters_and_pagination(
        nurse: User, north: Location, south: Location, api_as: Api) -> None:
    today = practice_today()
    fridge, eyewash = make_fridge(location=north), make_check(location=north)
    warm = make_entry(checkpoint=fridge, log_date=today, slot="pm", recorded_by=nurse, value="48.0", passed=False)
    cool = make_entry(checkpoint=fridge, log_date=today - dt.timedelta(days=3), recorded_by=nurse, value="40.0")
    check = make_entry(checkpoint=eyewash, log_date=today - dt.timedelta(days=1), recorded_by=nurse)
    make_entry(checkpoint=make_fridge(location=south), log_date=today, recorded_by=nurse, value="40.0")
    client = api_as(nurse)

    assert ids(client.get(LOGS)) == [warm.pk, check.pk, cool.pk]
    assert ids(client.get(LOGS, {"out_of_range": "true"})) == [warm.pk]
    assert ids(client.get(LOGS, {"checkpoint_id": eyewash.pk})) == [check.pk]
    assert ids(client.get(LOGS, {"since": (today - dt.timedelta(days=2)).isoformat()})) == [warm.pk, check.pk]
    assert ids(client.get(LOGS, {"location_id": south.pk})) == []
    page = client.get(LOGS, {"limit": 1, "offset": 1}).json()
    assert (page["count"], [row["id"] for row in page["items"]]) == (3, [check.pk])
    row = client.get(f"{LOGS}/{warm.pk}").json()
    assert (row["value"], row["out_of_range"], row["needs_action"], row["checkpoint"]["unit"]) == (
        "48.0", True, True, "°F")
    few = list_queries(client, LOGS)
    for days in range(4, 10):
        make_entry(checkpoint=make_check(location=north, name=f"Check {days}"), log_date=today, recorded_by=nurse)
    assert list_queries(client, LOGS) == few


def test_recording_computes_the_result_alerts_the_managers_and_refuses_a_second_entry(
        nurse: User, north: Location, make_user: Callable[..., User], api_as: Api, smtp_server: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north], username="om", email="om@example.test")
    fridge = make_fridge(location=north)
    client = api_as(nurse)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(LOGS, {"checkpoint_id": fridge.pk, "slot": "am", "value": "47.5", "passed": True})

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["passed"], body["slot"], body["log_date"]) == (False, "am", practice_today().isoformat())
    assert [message["To"] for message in smtp_server.messages] == ["om@example.test"]
    assert "slot" in errors_on(client.post(LOGS, {"checkpoint_id": fridge.pk, "value": "40.0"}))
    duplicate = client.post(LOGS, {"checkpoint_id": fridge.pk, "slot": "am", "value": "40.0"})
    assert duplicate.status_code == 422
    assert "already logged" in duplicate.json()["errors"][0]["msg"]
    assert SafetyLogEntry.objects.count() == 1


def test_a_checkpoint_or_entry_of_another_location_is_not_found_and_nothing_changes(
        nurse: User, south: Location, api_as: Api) -> None:
    south_fridge = make_fridge(location=south)
    entry = make_entry(checkpoint=south_fridge, log_date=practice_today(), recorded_by=nurse, value="40.0")
    client = api_as(nurse)
    before, refused = rows(), denials(nurse)

    created = client.post(LOGS, {"checkpoint_id": south_fridge.pk, "slot": "pm", "value": "40.0"})
    read = client.get(f"{LOGS}/{entry.pk}")

    assert (created.status_code, read.status_code) == (404, 404)
    assert created.json()["code"] == "not_found"
    assert denials(nurse) == refused + 2
    assert rows() == before
