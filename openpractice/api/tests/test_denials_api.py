"""/denials: the worklist and one denial for billing.view at the claim's location, every patient shown audited;
assign / note / appeal / corrected / close for billing.manage there through the same services as the web page.
Out of role or out of scope answers 404, audited, and nothing changes; bad input is a 422."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.billing.choices import ClaimFrequency, ClaimStatus, DenialCategory, DenialStatus
from openpractice.billing.models import Claim, Denial
from openpractice.billing.tests.test_receivables_selectors import claim_for, denial_of
from openpractice.core.models import Location
from openpractice.patients.models import Payer
from openpractice.patients.tests.factories import PayerFactory

from .conftest import API, TokenClient

pytestmark = pytest.mark.django_db

Api = Callable[[User], TokenClient]
DENIALS = f"{API}/denials"


@pytest.fixture
def biller(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.BILLER, locations=[north], username="biller-north")


@pytest.fixture
def viewer(make_user: Callable[..., User], north: Location) -> User:
    """Sees billing at North (billing.view) but may not work denials."""
    return make_user(Role.PRACTICE_MANAGER, Tier.ENTRY, locations=[north], username="pm-entry")


@pytest.fixture
def payer() -> Payer:
    return PayerFactory(name="Acme Health")


@pytest.fixture
def denial(north: Location, biller: User, payer: Payer) -> Denial:
    claim = claim_for(north, biller, payer=payer, status=ClaimStatus.DENIED, amount="180.00", code="99214")
    return denial_of(claim, biller, amount="180.00")


@pytest.fixture
def south_denial(south: Location, biller: User, payer: Payer) -> Denial:
    return denial_of(claim_for(south, biller, payer=payer, status=ClaimStatus.DENIED), biller)


def refusals(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def views_of(user: User, patient_id: int) -> int:
    return AuditEvent.objects.filter(actor=user, action="patients.viewed", patient_id=patient_id).count()


def state(denial: Denial) -> tuple[Any, ...]:
    denial.refresh_from_db()
    denial.claim.refresh_from_db()
    return (denial.status, denial.assigned_to_id, denial.note, denial.resolved_at, denial.claim.status)


# --- reading ---------------------------------------------------------------------------------------------------


def test_the_worklist_shows_denials_at_the_callers_locations_and_audits_each_patient(
        biller: User, denial: Denial, south_denial: Denial, api_as: Api) -> None:
    response = api_as(biller).get(DENIALS)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 1
    row = body["items"][0]
    assert row["id"] == denial.pk
    assert row["claim_number"] == denial.claim.claim_number
    assert row["category"] == DenialCategory.AUTHORIZATION
    assert row["amount"] == "180.00"
    assert row["reason_codes"] == ["197"]
    assert "authorization" in row["next_step"].lower()
    assert "note" not in row
    assert views_of(biller, denial.claim.patient_id) == 1
    assert views_of(biller, south_denial.claim.patient_id) == 0


def test_the_worklist_filters_by_status_category_payer_and_assignee(
        biller: User, north: Location, payer: Payer, denial: Denial, api_as: Api) -> None:
    other = PayerFactory(name="Blue Plan")
    coding = denial_of(claim_for(north, biller, payer=other, status=ClaimStatus.DENIED), biller,
                       category=DenialCategory.CODING, reasons=("4",), remarks=())
    client = api_as(biller)
    assert client.post(f"{DENIALS}/{denial.pk}/assign", {"assignee_id": biller.pk}).status_code == 200
    assert client.post(f"{DENIALS}/{coding.pk}/close", {"outcome": "resolved"}).status_code == 200

    def ids(**query: Any) -> set[int]:
        response = client.get(DENIALS, query)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["items"]}

    assert ids() == {denial.pk}  # a closed denial is no longer worked
    assert ids(status="resolved") == {coding.pk}
    assert ids(status="resolved", category="authorization") == set()
    assert ids(payer_id=payer.pk) == {denial.pk}
    assert ids(payer_id=other.pk) == set()
    assert ids(assigned="me") == {denial.pk}
    assert ids(assigned="none") == set()
    assert ids(assigned_to_id=biller.pk) == {denial.pk}


@pytest.mark.parametrize("query", [{"status": "lost"}, {"category": "billing"}, {"assigned": "them"},
                                   {"payer_id": "x"}, {"limit": 0}, {"limit": 201}, {"offset": -1}])
def test_the_worklist_refuses_values_outside_its_allowlists(biller: User, api_as: Api,
                                                            query: dict[str, Any]) -> None:
    response = api_as(biller).get(DENIALS, query)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "validation_error"


def test_the_worklist_runs_the_same_queries_for_many_rows(
        biller: User, north: Location, payer: Payer, denial: Denial, api_as: Api) -> None:
    client = api_as(biller)
    patient = denial.claim.patient  # one patient: one audit event per page whatever the number of rows
    client.get(DENIALS)  # warm up: token lookup, content types
    with CaptureQueriesContext(connection) as few:
        assert client.get(DENIALS).status_code == 200
    for _ in range(6):
        denial_of(claim_for(north, biller, payer=payer, status=ClaimStatus.DENIED, patient=patient), biller)
    with CaptureQueriesContext(connection) as many:
        response = client.get(DENIALS)
    assert response.json()["count"] == 7
    assert len(many.captured_queries) == len(few.captured_queries)


def test_one_denial_shows_its_notes_and_claim_and_the_read_is_audited(biller: User, denial: Denial,
                                                                       api_as: Api) -> None:
    response = api_as(biller).get(f"{DENIALS}/{denial.pk}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["claim_id"] == denial.claim_id
    assert body["claim_status"] == ClaimStatus.DENIED
    assert body["total_charge"] == "180.00"
    assert body["corrected_claim_ids"] == []
    assert body["note"] == ""
    assert views_of(biller, denial.claim.patient_id) == 1


def test_a_denial_at_another_location_is_404_and_the_refusal_audited(
        biller: User, south_denial: Denial, api_as: Api) -> None:
    before = refusals(biller)
    response = api_as(biller).get(f"{DENIALS}/{south_denial.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert refusals(biller) == before + 1
    assert views_of(biller, south_denial.claim.patient_id) == 0
    assert api_as(biller).get(f"{DENIALS}/999999").status_code == 404


def test_a_role_without_billing_sees_no_denials(make_user: Callable[..., User], denial: Denial,
                                                api_as: Api) -> None:
    desk = make_user(Role.FRONT_DESK)
    client = api_as(desk)
    assert client.get(DENIALS).status_code == 404
    assert client.get(f"{DENIALS}/{denial.pk}").status_code == 404
    assert refusals(desk) == 2
    assert views_of(desk, denial.claim.patient_id) == 0


# --- working a denial ------------------------------------------------------------------------------------------


def test_a_biller_assigns_notes_and_appeals_a_denial(biller: User, denial: Denial, api_as: Api) -> None:
    client = api_as(biller)
    response = client.post(f"{DENIALS}/{denial.pk}/assign", {"assignee_id": biller.pk})
    assert response.status_code == 200, response.content
    assert response.json()["assigned_to_id"] == biller.pk
    response = client.post(f"{DENIALS}/{denial.pk}/notes", {"text": "Called Acme, ref 55102."})
    assert response.status_code == 200, response.content
    assert "Called Acme, ref 55102." in response.json()["note"]
    response = client.post(f"{DENIALS}/{denial.pk}/appeal", {"argument": "Authorization 4471-A was on file."})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == DenialStatus.APPEALED
    assert body["claim_status"] == ClaimStatus.APPEALED
    actions = set(AuditEvent.objects.filter(actor=biller, object_id=str(denial.pk)).values_list("action", flat=True))
    assert {"billing.denial_assigned", "billing.denial_note_added", "billing.denial_appealed"} <= actions
    response = client.post(f"{DENIALS}/{denial.pk}/assign", {"assignee_id": None})
    assert response.status_code == 200, response.content
    assert response.json()["assigned_to_id"] is None


def test_closing_a_denial_resolves_it_and_a_closed_denial_refuses_more_work(biller: User, denial: Denial,
                                                                            api_as: Api) -> None:
    client = api_as(biller)
    response = client.post(f"{DENIALS}/{denial.pk}/close", {"outcome": "written_off"})
    assert response.status_code == 422  # writing off needs the reason
    assert state(denial)[0] == DenialStatus.OPEN
    response = client.post(f"{DENIALS}/{denial.pk}/close", {"outcome": "written_off", "note": "Past filing limit."})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == DenialStatus.WRITTEN_OFF
    assert response.json()["resolved_at"] is not None
    before = state(denial)
    response = client.post(f"{DENIALS}/{denial.pk}/appeal", {"argument": "Try again."})
    assert response.status_code == 422
    assert state(denial) == before


def test_marking_corrected_needs_a_corrected_claim(biller: User, denial: Denial, api_as: Api) -> None:
    client = api_as(biller)
    response = client.post(f"{DENIALS}/{denial.pk}/corrected")
    assert response.status_code == 422, response.content
    assert state(denial)[0] == DenialStatus.OPEN
    original = denial.claim
    replacement = claim_for(original.location, biller, payer=original.payer, patient=original.patient)
    Claim.objects.filter(pk=replacement.pk).update(original_claim=original, frequency_code=ClaimFrequency.CORRECTED)
    response = client.post(f"{DENIALS}/{denial.pk}/corrected")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == DenialStatus.CORRECTED
    assert response.json()["corrected_claim_ids"] == [replacement.pk]


@pytest.mark.parametrize(("path", "body"), [
    ("assign", {"assignee_id": "nobody"}), ("assign", {}), ("notes", {"text": ""}), ("notes", {"text": "x" * 2001}),
    ("appeal", {}), ("close", {"outcome": "open"}), ("close", {"outcome": "resolved", "note": "x" * 2001}),
])
def test_bad_input_is_a_422_and_changes_nothing(biller: User, denial: Denial, api_as: Api, path: str,
                                                body: dict[str, Any]) -> None:
    before = state(denial)
    response = api_as(biller).post(f"{DENIALS}/{denial.pk}/{path}", body)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "validation_error"
    assert state(denial) == before


def test_a_denial_cannot_go_to_someone_who_does_not_manage_billing_there(
        biller: User, denial: Denial, make_user: Callable[..., User], south: Location, api_as: Api) -> None:
    elsewhere = make_user(Role.BILLER, locations=[south])
    desk = make_user(Role.FRONT_DESK)
    before = state(denial)
    for person in (elsewhere.pk, desk.pk, 999999):
        response = api_as(biller).post(f"{DENIALS}/{denial.pk}/assign", {"assignee_id": person})
        assert response.status_code == 422, response.content
        assert "assignee" in {tuple(error["loc"])[-1] for error in response.json()["errors"]}
    assert state(denial) == before


@pytest.mark.parametrize(("path", "body"), [
    ("assign", {"assignee_id": None}), ("notes", {"text": "A note."}), ("appeal", {"argument": "An argument."}),
    ("corrected", {}), ("close", {"outcome": "resolved"}),
])
def test_billing_view_alone_cannot_work_a_denial_and_nothing_changes(
        viewer: User, biller: User, denial: Denial, api_as: Api, path: str, body: dict[str, Any]) -> None:
    denial.assigned_to = biller
    denial.save(update_fields=["assigned_to"])
    before = state(denial)
    assert api_as(viewer).get(f"{DENIALS}/{denial.pk}").status_code == 200  # reading is allowed
    response = api_as(viewer).post(f"{DENIALS}/{denial.pk}/{path}", body)
    assert response.status_code == 404
    assert refusals(viewer) == 1
    assert state(denial) == before


@pytest.mark.parametrize("path", ["assign", "notes", "appeal", "corrected", "close"])
def test_working_a_denial_at_another_location_is_404_audited_and_changes_nothing(
        biller: User, south_denial: Denial, api_as: Api, path: str) -> None:
    body = {"assign": {"assignee_id": biller.pk}, "notes": {"text": "n"}, "appeal": {"argument": "a"},
            "corrected": {}, "close": {"outcome": "resolved"}}[path]
    before = state(south_denial)
    response = api_as(biller).post(f"{DENIALS}/{south_denial.pk}/{path}", body)
    assert response.status_code == 404
    assert refusals(biller) == 1
    assert state(south_denial) == before
