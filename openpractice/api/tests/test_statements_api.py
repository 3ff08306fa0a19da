"""/statement-runs, /statements and /claim-batches: statement runs (read by billing.view, made practice-wide by
billing.manage through the statements page's service), the statements a person may see (audited per guarantor),
and 837P batches' own records (read only). Out of role or out of scope answers 404 (audited); nothing changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.billing.models import BillingSettings, ClaimBatch, Statement, StatementRun
from openpractice.billing.services.batches import batch_build, batch_submit
from openpractice.billing.tests.test_statements_services import owe, person, run, today
from openpractice.billing.tests.x12_support import ready_claim, ready_practice
from openpractice.billing.transports import DirectoryDropTransport
from openpractice.core.models import Location, Practice
from openpractice.patients.tests.factories import PayerFactory

from .conftest import API, TokenClient, token_client_for

pytestmark = pytest.mark.django_db

RUNS, STATEMENTS, BATCHES = f"{API}/statement-runs", f"{API}/statements", f"{API}/claim-batches"


def denied(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def viewed(user: User, patient_id: int) -> int:
    return AuditEvent.objects.filter(actor=user, action="patients.viewed", patient_id=patient_id).count()


def list_queries(client: TokenClient, url: str, params: dict[str, Any] | None = None) -> int:
    """Queries of one list call, the audit trail's own rows aside (one INSERT per page whatever its size)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
        assert response.status_code == 200, response.content
    return sum(1 for query in captured.captured_queries if "audit_auditevent" not in query["sql"])


def runs_state() -> tuple[int, int]:
    return StatementRun.objects.count(), Statement.objects.count()


@pytest.fixture
def biller(make_user: Callable[..., User]) -> User:
    """A biller of every location: runs statements."""
    return make_user(Role.BILLER, username="biller")


@pytest.fixture
def north_biller(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.BILLER, locations=[north], username="biller-north")


@pytest.fixture
def nurse(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.CLINICAL_STAFF, locations=[north], username="nurse-north")


# --- statement runs and statements ------------------------------------------------------------------------------


def test_a_run_made_through_the_api_makes_one_statement_per_guarantor(biller: User, north: Location) -> None:
    parent = person(north)
    owe(parent, "30.00", actor=biller)
    owe(person(north, guarantor=parent), "20.00", actor=biller, days_ago=45)
    owe(person(north), "12.00", actor=biller)
    client = token_client_for(biller)
    response = client.post(RUNS, {"statement_date": today().isoformat(), "minimum_balance": "0.00"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["statement_count"], body["total_due"], body["cycle_day"]) == (2, "62.00", None)
    assert body["created_by"]["username"] == "biller"
    made = StatementRun.objects.get()
    assert made.statements.count() == 2
    family = client.get(STATEMENTS, {"run_id": made.pk, "guarantor_id": parent.pk}).json()
    assert family["count"] == 1
    [statement] = family["items"]
    assert (statement["amount_due"], statement["guarantor"]["id"], statement["delivery"]) == (
        "50.00", parent.pk, "print")
    assert {row["bucket"]: row["amount"] for row in statement["aging"]}["31-60"] == "20.00"
    # Nobody is due another statement within 25 days: a second run finds nobody and keeps nothing.
    again = client.post(RUNS, {"statement_date": today().isoformat()})
    assert again.status_code == 422
    assert runs_state() == (1, 2)


def test_a_biller_of_one_location_may_not_run_statements(north_biller: User, biller: User, north: Location) -> None:
    owe(person(north), "30.00", actor=biller)
    response = token_client_for(north_biller).post(RUNS, {"statement_date": today().isoformat()})
    assert response.status_code == 403
    assert "every location" in response.json()["message"]
    assert runs_state() == (0, 0)
    assert denied(north_biller) == 1


@pytest.mark.parametrize(("body", "field"), [
    ({"statement_date": (dt.date.today() + dt.timedelta(days=30)).isoformat()}, "statement_date"),
    ({"statement_date": "2026-11-01", "cycle_day": 29}, "cycle_day"),
    ({"statement_date": "2026-11-01", "minimum_balance": "-5"}, "minimum_balance"),
    ({"cycle_day": 3}, "statement_date"),
])
def test_a_run_that_makes_no_sense_is_422_and_nothing_is_kept(biller: User, north: Location, body: dict[str, Any],
                                                              field: str) -> None:
    owe(person(north), "30.00", actor=biller)
    response = token_client_for(biller).post(RUNS, body)
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["loc"][-1] == field
    assert runs_state() == (0, 0)


def test_runs_are_read_by_billing_view_and_statements_only_where_the_whole_family_lives(
        biller: User, north_biller: User, north: Location, south: Location) -> None:
    north_family = person(north)
    owe(north_family, "30.00", actor=biller)
    mixed = person(north)
    owe(person(south, guarantor=mixed), "25.00", actor=biller)
    made = run(biller)
    client = token_client_for(north_biller)
    runs = client.get(RUNS).json()
    assert [item["id"] for item in runs["items"]] == [made.pk]
    assert runs["items"][0]["statement_count"] == 2  # practice-wide counts, no patient data
    assert client.get(f"{RUNS}/{made.pk}").json()["total_due"] == "55.00"
    listed = client.get(STATEMENTS).json()
    assert [item["guarantor"]["id"] for item in listed["items"]] == [north_family.pk]
    assert viewed(north_biller, north_family.pk) == 1
    assert viewed(north_biller, mixed.pk) == 0
    mixed_statement = Statement.objects.get(guarantor=mixed)
    assert client.get(f"{STATEMENTS}/{mixed_statement.pk}").status_code == 404
    assert denied(north_biller) == 1
    mine = Statement.objects.get(guarantor=north_family)
    detail = client.get(f"{STATEMENTS}/{mine.pk}")
    assert (detail.status_code, detail.json()["run_id"], detail.json()["statement_date"]) == (
        200, made.pk, made.statement_date.isoformat())
    assert viewed(north_biller, north_family.pk) == 2
    assert client.get(STATEMENTS, {"delivery": "fax"}).status_code == 422


def test_a_role_without_billing_view_gets_404_on_statements_and_runs(nurse: User, biller: User,
                                                                     north: Location) -> None:
    owe(person(north), "30.00", actor=biller)
    made = run(biller)
    statement = Statement.objects.get()
    client = token_client_for(nurse)
    for url in (RUNS, f"{RUNS}/{made.pk}", STATEMENTS, f"{STATEMENTS}/{statement.pk}"):
        assert client.get(url).status_code == 404, url
    assert client.post(RUNS, {"statement_date": today().isoformat()}).status_code == 404
    assert runs_state() == (1, 1)
    assert denied(nurse) == 5
    assert not AuditEvent.objects.filter(actor=nurse, action="patients.viewed").exists()


def test_the_statement_and_run_lists_take_the_same_queries_whatever_the_rows(biller: User,
                                                                              north: Location) -> None:
    client = token_client_for(biller)
    owe(person(north), "30.00", actor=biller)
    run(biller, on=today() - dt.timedelta(days=60))
    client.get(STATEMENTS)
    few = (list_queries(client, STATEMENTS), list_queries(client, RUNS))
    for _ in range(4):
        owe(person(north), "30.00", actor=biller)
    run(biller)
    run(biller, on=today() - dt.timedelta(days=120))
    assert Statement.objects.count() > 5
    assert (list_queries(client, STATEMENTS), list_queries(client, RUNS)) == few


# --- claim batches ----------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def billing(practice: Practice) -> BillingSettings:
    return ready_practice(practice)


def test_a_batch_reads_with_its_verdict_and_submissions_and_shows_no_patient(
        billing: BillingSettings, biller: User, north: Location, tmp_path: Path) -> None:
    ready_claim(north, biller)
    ready_claim(north, biller)
    batch = batch_build(actor=biller, validate=True)
    assert batch is not None
    batch_submit(actor=biller, batch=batch, transport=DirectoryDropTransport(tmp_path / "outbound"))
    client = token_client_for(biller)
    listed = client.get(BATCHES).json()
    assert [(item["id"], item["claim_count"], item["total_charge"]) for item in listed["items"]] == [
        (batch.pk, 2, "250.00")]
    detail = client.get(f"{BATCHES}/{batch.pk}")
    assert detail.status_code == 200
    body = detail.json()
    assert (body["status"], body["validation"]["ok"], body["validation"]["error_count"]) == ("submitted", True, 0)
    assert [(row["succeeded"], row["actor"]["username"]) for row in body["submissions"]] == [(True, "biller")]
    assert "patient" not in body
    assert not AuditEvent.objects.filter(actor=biller, action="patients.viewed").exists()
    assert client.get(BATCHES, {"status": "built"}).json()["count"] == 0
    assert client.get(BATCHES, {"status": "sent"}).status_code == 422


def test_a_batch_with_claims_of_another_location_is_404_and_audited(
        billing: BillingSettings, biller: User, north_biller: User, nurse: User, north: Location,
        south: Location) -> None:
    ready_claim(north, biller)
    ready_claim(south, biller)
    mixed = batch_build(actor=biller)
    assert mixed is not None
    client = token_client_for(north_biller)
    assert client.get(BATCHES).json()["count"] == 0
    assert client.get(f"{BATCHES}/{mixed.pk}").status_code == 404
    assert denied(north_biller) == 1
    assert token_client_for(nurse).get(BATCHES).status_code == 404
    assert token_client_for(nurse).get(f"{BATCHES}/{mixed.pk}").status_code == 404
    assert denied(nurse) == 2


def test_the_batch_list_takes_the_same_queries_whatever_the_rows(billing: BillingSettings, biller: User,
                                                                  north: Location) -> None:
    client = token_client_for(biller)
    payers = [PayerFactory() for _ in range(5)]
    ready_claim(north, biller, payer=payers[0])
    assert batch_build(actor=biller) is not None
    client.get(BATCHES)
    few = list_queries(client, BATCHES)
    for payer in payers[1:]:
        ready_claim(north, biller, payer=payer)
        assert batch_build(actor=biller, payer=payer) is not None
    assert ClaimBatch.objects.count() == 5
    assert list_queries(client, BATCHES) == few
