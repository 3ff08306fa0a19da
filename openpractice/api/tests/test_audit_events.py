"""GET /audit-events: the audit trail for audit.view holders, with filters and pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.accounts.roles import Perm, Role, permissions_for, role_tier_pairs
from openpractice.audit.models import AuditEvent
from openpractice.audit.services import record
from openpractice.core.models import Location

from .conftest import API, TokenClient

pytestmark = pytest.mark.django_db


def _ids(pair: tuple[str, str]) -> str:
    return f"{pair[0]}-{pair[1]}"


@pytest.mark.parametrize("role_tier", role_tier_pairs(), ids=_ids)
def test_reading_the_audit_trail_follows_the_permission_table(
    make_user: Callable[..., User], api_as: Callable[[User], TokenClient], role_tier: tuple[str, str]
) -> None:
    user = make_user(*role_tier)
    record(actor=user, action="test.something", object_type="test", object_id="1")

    response = api_as(user).get(f"{API}/audit-events")

    if Perm.AUDIT_VIEW in permissions_for(*role_tier):
        assert response.status_code == 200
        assert "test.something" in [row["action"] for row in response.json()["items"]]
    else:
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert AuditEvent.objects.filter(actor=user, outcome="denied").exists()


@pytest.fixture
def trail(make_user: Callable[..., User]) -> dict[str, User]:
    alice = make_user(Role.FRONT_DESK, username="alice")
    bob = make_user(Role.BILLER, username="bob")
    record(actor=alice, action="patients.viewed", object_type="patients.patient", object_id="7", patient_id=7)
    record(actor=bob, action="billing.claim_submitted", object_type="billing.claim", object_id="3", patient_id=8)
    record(actor=alice, action="accounts.token_created", object_type="accounts.apitoken", object_id="1",
           changed_fields=["name", "prefix"])
    return {"alice": alice, "bob": bob}


def _actions(client: TokenClient, **params: object) -> list[str]:
    response = client.get(f"{API}/audit-events", params)
    assert response.status_code == 200, response.content
    return [row["action"] for row in response.json()["items"]]


def test_events_come_newest_first_with_their_details(
    trail: dict[str, User], auditor: User, api_as: Callable[[User], TokenClient]
) -> None:
    params = {"action": "accounts.token_created", "user": trail["alice"].pk}
    body = api_as(auditor).get(f"{API}/audit-events", params).json()
    assert body["count"] == 1
    event = body["items"][0]
    assert event["actor_label"] == "alice"
    assert event["actor_id"] == trail["alice"].pk
    assert event["changed_fields"] == ["name", "prefix"]
    assert event["outcome"] == "allowed"
    assert len(event["hash"]) == 64
    seqs = [row["seq"] for row in api_as(auditor).get(f"{API}/audit-events").json()["items"]]
    assert seqs == sorted(seqs, reverse=True)


def test_filter_by_user(trail: dict[str, User], auditor: User, api_as: Callable[[User], TokenClient]) -> None:
    assert _actions(api_as(auditor), user=trail["bob"].pk) == ["billing.claim_submitted"]


def test_filter_by_patient(trail: dict[str, User], auditor: User, api_as: Callable[[User], TokenClient]) -> None:
    assert _actions(api_as(auditor), patient_id=7) == ["patients.viewed"]


def test_filter_by_action_and_action_prefix(
    trail: dict[str, User], auditor: User, api_as: Callable[[User], TokenClient]
) -> None:
    client = api_as(auditor)
    assert _actions(client, action="billing.claim_submitted") == ["billing.claim_submitted"]
    assert _actions(client, action="patients.*") == ["patients.viewed"]


def test_filter_by_time_window(make_user: Callable[..., User], auditor: User,
                               api_as: Callable[[User], TokenClient]) -> None:
    client = api_as(auditor)
    record(actor=None, action="test.before")
    middle = timezone.now()
    record(actor=None, action="test.after")

    assert _actions(client, action="test.*", since=middle.isoformat()) == ["test.after"]
    assert _actions(client, action="test.*", until=middle.isoformat()) == ["test.before"]
    assert _actions(client, action="test.*", since=middle.isoformat(), until=middle.isoformat()) == []


def test_a_time_without_an_offset_is_read_as_utc(
    trail: dict[str, User], auditor: User, api_as: Callable[[User], TokenClient]
) -> None:
    future = (timezone.now() + dt.timedelta(hours=1)).replace(tzinfo=None).isoformat()
    assert _actions(api_as(auditor), since=future) == []


@pytest.mark.parametrize(
    ("params", "field"),
    [({"since": "yesterday"}, "since"), ({"user": "bob"}, "user"), ({"limit": 0}, "limit"), ({"offset": -1}, "offset")],
)
def test_bad_filters_answer_422(
    auditor: User, api_as: Callable[[User], TokenClient], params: dict[str, object], field: str
) -> None:
    response = api_as(auditor).get(f"{API}/audit-events", params)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", field]


def test_pages_of_events(trail: dict[str, User], auditor: User, api_as: Callable[[User], TokenClient]) -> None:
    client = api_as(auditor)
    everything = client.get(f"{API}/audit-events").json()
    page = client.get(f"{API}/audit-events", {"limit": 1, "offset": 1}).json()
    assert page["count"] == everything["count"]
    assert page["items"] == everything["items"][1:2]


def test_an_auditor_of_one_location_sees_only_that_locations_events(
    north: Location, south: Location, make_user: Callable[..., User], api_as: Callable[[User], TokenClient]
) -> None:
    local_auditor = make_user(Role.AUDITOR, locations=[north])
    record(actor=None, action="test.north", location_id=north.pk)
    record(actor=None, action="test.south", location_id=south.pk)
    assert _actions(api_as(local_auditor), action="test.*") == ["test.north"]


def _queries_for_list(client: TokenClient, actor: User, rows: int) -> int:
    existing = AuditEvent.objects.filter(action="test.row").count()
    for number in range(rows - existing):
        record(actor=actor, action="test.row", object_id=number)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{API}/audit-events", {"action": "test.row", "limit": 200})
    assert response.json()["count"] == rows
    return len(queries.captured_queries)


def test_the_audit_list_query_count_does_not_grow_with_rows(
    auditor: User, make_user: Callable[..., User], api_as: Callable[[User], TokenClient]
) -> None:
    client = api_as(auditor)
    client.get(f"{API}/me")  # the token's last-used time is now fresh: no UPDATE in the measured calls
    actors = [make_user(Role.FRONT_DESK) for _ in range(3)]
    assert _queries_for_list(client, actors[0], 3) == _queries_for_list(client, actors[1], 30)
