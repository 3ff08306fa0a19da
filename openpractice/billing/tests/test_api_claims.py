"""/api/v1/claims: list and read at your locations (lines, diagnoses, the scrubber's findings), the status
history, and a status move by hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.api.tests.conftest import API, TokenClient, token_client_for
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.billing.choices import ClaimStatus
from openpractice.billing.models import Claim, ClaimIssue, ClaimStatusChange
from openpractice.billing.services import claims as services
from openpractice.billing.tests.factories import make_charge, make_claim
from openpractice.core.models import Location
from openpractice.patients.tests.factories import CoverageFactory, PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def biller(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.BILLER, locations=[north], username="biller-north")


@pytest.fixture
def api(biller: User) -> TokenClient:
    return token_client_for(biller)


def denied(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def accepted(claim: Claim) -> Claim:
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.ACCEPTED,
                                             submitted_at=dt.datetime(2026, 11, 5, tzinfo=dt.UTC))
    claim.refresh_from_db()
    return claim


def state() -> tuple[Any, ...]:
    return list(Claim.objects.order_by("pk").values()), list(ClaimStatusChange.objects.order_by("pk").values())


# --- read ------------------------------------------------------------------------------------------------------


def test_the_list_shows_claims_of_your_locations_with_their_findings(api: TokenClient, biller: User,
                                                                     north: Location, south: Location) -> None:
    claim = make_claim(location=north, actor=biller, status=ClaimStatus.HELD)
    ClaimIssue.objects.create(claim=claim, rule="npi", severity="error", message="Bad NPI")
    make_claim(location=south, actor=biller)
    body = api.get(f"{API}/claims").json()
    assert body["count"] == 1
    item = body["items"][0]
    assert (item["claim_number"], item["status"], item["error_count"], item["payer_rank"]) == (
        claim.claim_number, "held", 1, 1)
    assert AuditEvent.objects.filter(actor=biller, action="patients.viewed", patient_id=claim.patient_id).exists()


def test_the_list_filters_by_status_and_payer(api: TokenClient, biller: User, north: Location) -> None:
    held = make_claim(location=north, actor=biller, status=ClaimStatus.HELD)
    make_claim(location=north, actor=biller, status=ClaimStatus.READY)
    assert [i["id"] for i in api.get(f"{API}/claims", {"status": "held"}).json()["items"]] == [held.pk]
    assert [i["id"] for i in api.get(f"{API}/claims", {"payer_id": held.payer_id}).json()["items"]] == [held.pk]


def _queries(api: TokenClient) -> int:
    api.get(f"{API}/claims")
    with CaptureQueriesContext(connection) as queries:
        assert api.get(f"{API}/claims").status_code == 200
    return len(queries)


def test_the_list_costs_the_same_queries_for_2_or_8_claims(api: TokenClient, biller: User, north: Location) -> None:
    # One patient: each distinct patient shown writes its own patients.viewed event (by design, like the
    # appointments API); what must not grow is the reading.
    coverage = CoverageFactory(patient=PatientFactory(home_location=north))
    for _ in range(2):
        make_claim(location=north, actor=biller, coverage=coverage)
    few = _queries(api)
    for _ in range(6):
        make_claim(location=north, actor=biller, coverage=coverage)
    assert _queries(api) == few


def test_one_claim_is_read_with_lines_diagnoses_and_findings(api: TokenClient, biller: User,
                                                             north: Location) -> None:
    claim = make_claim(location=north, actor=biller)
    ClaimIssue.objects.create(claim=claim, rule="zip4", severity="warning", message="ZIP+4 missing",
                              fix_hint="Add the 4 digits.")
    body = api.get(f"{API}/claims/{claim.pk}").json()
    assert body["diagnoses"] == ["E11.9", "I10"]
    assert body["lines"][0]["procedure_code"] == "99213"
    assert body["issues"] == [{"rule": "zip4", "severity": "warning", "line_number": None,
                               "message": "ZIP+4 missing", "fix_hint": "Add the 4 digits."}]
    assert body["warning_count"] == 1


def test_the_history_says_who_moved_the_claim_and_why(api: TokenClient, biller: User, north: Location) -> None:
    claim = services.claim_build(actor=biller, charge=make_charge(location=north, actor=biller))
    services.claim_change_status(actor=biller, claim=claim, to_status=ClaimStatus.CLOSED, reason="wrong payer")
    history = api.get(f"{API}/claims/{claim.pk}/history").json()
    assert [(h["from_status"], h["to_status"], h["actor"]["username"], h["reason"]) for h in history] == [
        ("", "draft", "biller-north", f"built from charge {claim.charge_id}"),
        ("draft", "closed", "biller-north", "wrong payer"),
    ]


def test_a_south_claim_is_not_found_for_a_north_biller(api: TokenClient, biller: User, south: Location) -> None:
    claim = make_claim(location=south, actor=biller)
    assert api.get(f"{API}/claims/{claim.pk}").status_code == 404
    assert api.get(f"{API}/claims/{claim.pk}/history").status_code == 404
    before = state()
    assert api.post(f"{API}/claims/{claim.pk}/status", {"to_status": "closed", "reason": "x"}).status_code == 404
    assert state() == before
    assert denied(biller) == 3


# --- status ----------------------------------------------------------------------------------------------------


def test_a_biller_records_that_the_payer_paid(api: TokenClient, biller: User, north: Location) -> None:
    claim = accepted(make_claim(location=north, actor=biller))
    response = api.post(f"{API}/claims/{claim.pk}/status", {"to_status": "paid"})
    assert response.status_code == 200
    assert response.json()["status"] == "paid"
    change = ClaimStatusChange.objects.get(claim=claim)
    assert (change.from_status, change.to_status, change.actor) == ("accepted", "paid", biller)


@pytest.mark.parametrize(("payload", "field"), [
    ({"to_status": "draft"}, "to_status"),
    ({"to_status": "denied", "reason": ""}, "reason"),
    ({"to_status": "ready"}, "to_status"),
    ({"to_status": "nonsense"}, "to_status"),
])
def test_a_move_the_lifecycle_refuses_is_a_422_and_changes_nothing(api: TokenClient, biller: User,
                                                                   north: Location, payload: dict[str, Any],
                                                                   field: str) -> None:
    claim = accepted(make_claim(location=north, actor=biller))
    before = state()
    response = api.post(f"{API}/claims/{claim.pk}/status", payload)
    assert response.status_code == 422
    assert field in [error["loc"][-1] for error in response.json()["errors"]]
    assert state() == before


@pytest.mark.parametrize(("role", "tier"), [(Role.PRACTICE_MANAGER, Tier.ENTRY), (Role.PROVIDER, Tier.STANDARD)])
def test_readers_of_billing_cannot_move_a_claim(make_user: Callable[..., User], biller: User, north: Location,
                                                role: str, tier: str) -> None:
    claim = accepted(make_claim(location=north, actor=biller))
    user = make_user(role, tier, locations=[north])
    client = token_client_for(user)
    assert client.get(f"{API}/claims/{claim.pk}").status_code == 200
    before = state()
    assert client.post(f"{API}/claims/{claim.pk}/status", {"to_status": "paid"}).status_code == 404
    assert state() == before
    assert denied(user) == 1
