"""/business-associates and /business-associate-agreements: compliance.view reads the register, compliance.manage
adds and changes associates and takes agreements from draft to in force to terminated, through the pages' services.
Without the permission: 404, audited, nothing changed; bad input: 422, nothing written; lists cost the same queries
whatever their length."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.compliance.choices import AgreementStatus
from openpractice.compliance.models import BusinessAssociate, BusinessAssociateAgreement
from openpractice.compliance.tests.route_samples_associates import make_agreement, make_associate
from openpractice.core.selectors import practice_today

from .conftest import API, TokenClient

pytestmark = pytest.mark.django_db

Api = Callable[[User], TokenClient]
ASSOCIATES = f"{API}/business-associates"
AGREEMENTS = f"{API}/business-associate-agreements"


@pytest.fixture
def officer(make_user: Callable[..., User]) -> User:
    return make_user(Role.PRIVACY_OFFICER, username="officer")


@pytest.fixture
def hr(make_user: Callable[..., User]) -> User:
    """compliance.view without compliance.manage."""
    return make_user(Role.HR, username="hr")


def snapshot() -> list[tuple[Any, ...]]:
    return [*BusinessAssociate.objects.order_by("pk").values_list(
                "name", "services", "handles_phi", "contact_email", "is_active", "updated_at"),
            *BusinessAssociateAgreement.objects.order_by("pk").values_list(
                "associate_id", "status", "signed_on", "effective_on", "expires_on", "review_on", "notes",
                "terminated_on")]


def denials(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


# --- associates ------------------------------------------------------------------------------------------------


def test_an_officer_adds_reads_lists_and_changes_an_associate(officer: User, api_as: Api) -> None:
    client = api_as(officer)
    response = client.post(ASSOCIATES, {"name": "Cloud Billing", "services": "Clearinghouse",
                                        "contact_email": "pat@cloud.example"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["name"], body["handles_phi"], body["standing"], body["agreement_in_force_id"]) == (
        "Cloud Billing", True, "flagged", None)
    associate_id = body["id"]
    assert AuditEvent.objects.filter(actor=officer, action="compliance.associate_created",
                                     object_id=str(associate_id)).exists()
    assert client.get(f"{ASSOCIATES}/{associate_id}").json()["name"] == "Cloud Billing"
    assert [row["id"] for row in client.get(ASSOCIATES, {"flagged": True}).json()["items"]] == [associate_id]

    changed = client.patch(f"{ASSOCIATES}/{associate_id}", {"handles_phi": False, "contact_phone": "919-555-0100"})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["standing"], changed.json()["contact_phone"]) == ("not_needed", "919-555-0100")
    assert client.get(ASSOCIATES, {"flagged": True}).json()["count"] == 0
    assert client.get(ASSOCIATES, {"standing": "not_needed", "q": "cloud"}).json()["count"] == 1
    event = AuditEvent.objects.get(actor=officer, action="compliance.associate_updated")
    assert sorted(event.changed_fields.split(",")) == ["contact_phone", "handles_phi"]


@pytest.mark.parametrize("body", [
    {"name": "", "services": "x"}, {"name": "x" * 201, "services": "x"}, {"name": "A\x00B", "services": "x"},
    {"name": "New", "services": ""}, {"name": "New", "services": "x", "contact_email": "not an email"},
    {"name": "New", "services": "x", "handles_phi": "maybe"}, {"name": "new associate", "services": "x"},
    {"services": "x"},
])
def test_bad_associates_are_422_and_nothing_is_written(officer: User, api_as: Api, body: dict[str, Any]) -> None:
    make_associate(created_by=officer, name="New Associate")
    before = snapshot()
    response = api_as(officer).post(ASSOCIATES, body)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "validation_error"
    assert snapshot() == before


@pytest.mark.parametrize("body", [{"name": None}, {"name": "other one"}, {"contact_email": "@"},
                                  {"is_active": None}])
def test_bad_changes_are_422_and_change_nothing(officer: User, api_as: Api, body: dict[str, Any]) -> None:
    associate = make_associate(created_by=officer, name="Shred Right")
    make_associate(created_by=officer, name="Other One")
    before = snapshot()
    response = api_as(officer).patch(f"{ASSOCIATES}/{associate.pk}", body)
    assert response.status_code == 422, response.content
    assert snapshot() == before


def test_viewers_read_but_may_not_change_and_the_refusal_is_audited(officer: User, hr: User, api_as: Api) -> None:
    associate = make_associate(created_by=officer)
    agreement = make_agreement(associate=associate, status=AgreementStatus.DRAFT, effective_on=None)
    client = api_as(hr)
    assert client.get(f"{ASSOCIATES}/{associate.pk}").status_code == 200
    assert client.get(f"{AGREEMENTS}/{agreement.pk}").status_code == 200
    before, denied = snapshot(), denials(hr)
    for method, path, body in (
            ("post", ASSOCIATES, {"name": "Sneaky", "services": "x"}),
            ("patch", f"{ASSOCIATES}/{associate.pk}", {"is_active": False}),
            ("post", AGREEMENTS, {"business_associate_id": associate.pk}),
            ("patch", f"{AGREEMENTS}/{agreement.pk}", {"notes": "x"}),
            ("post", f"{AGREEMENTS}/{agreement.pk}/activate", {"signed_on": "2025-01-01",
                                                              "effective_on": "2025-01-01"}),
            ("post", f"{AGREEMENTS}/{agreement.pk}/terminate", {"terminated_on": "2025-01-01", "reason": "x"})):
        response = getattr(client, method)(path, body)
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "not_found"
    assert denials(hr) == denied + 6
    assert snapshot() == before


def test_people_without_compliance_view_see_nothing_audited(officer: User, make_user: Callable[..., User],
                                                            api_as: Api) -> None:
    associate = make_associate(created_by=officer)
    agreement = make_agreement(associate=associate)
    desk = make_user(Role.FRONT_DESK)
    client = api_as(desk)
    for path in (ASSOCIATES, f"{ASSOCIATES}/{associate.pk}", AGREEMENTS, f"{AGREEMENTS}/{agreement.pk}"):
        before = denials(desk)
        assert client.get(path).status_code == 404, path
        assert denials(desk) == before + 1
    assert client.get(f"{ASSOCIATES}/999999").status_code == 404


def test_a_missing_associate_is_404(officer: User, api_as: Api) -> None:
    assert api_as(officer).get(f"{ASSOCIATES}/999999").status_code == 404
    assert api_as(officer).patch(f"{ASSOCIATES}/999999", {"is_active": False}).status_code == 404


# --- agreements ------------------------------------------------------------------------------------------------


def test_an_agreement_goes_from_draft_to_in_force_to_terminated(officer: User, api_as: Api) -> None:
    associate = make_associate(created_by=officer)
    client = api_as(officer)
    today = practice_today()
    created = client.post(AGREEMENTS, {"business_associate_id": associate.pk, "notes": "v1 from counsel"})
    assert created.status_code == 201, created.content
    agreement_id = created.json()["id"]
    assert (created.json()["status"], created.json()["in_force"], created.json()["has_document"]) == (
        "draft", False, False)
    assert client.get(f"{ASSOCIATES}/{associate.pk}").json()["has_draft"] is True

    edited = client.patch(f"{AGREEMENTS}/{agreement_id}", {"effective_on": today.isoformat(), "notes": "v2"})
    assert edited.status_code == 200, edited.content
    assert (edited.json()["effective_on"], edited.json()["notes"]) == (today.isoformat(), "v2")

    active = client.post(f"{AGREEMENTS}/{agreement_id}/activate", {
        "signed_on": today.isoformat(), "effective_on": today.isoformat(),
        "review_on": (today + dt.timedelta(days=300)).isoformat()})
    assert active.status_code == 200, active.content
    assert (active.json()["status"], active.json()["in_force"]) == ("active", True)
    standing = client.get(f"{ASSOCIATES}/{associate.pk}").json()
    assert (standing["standing"], standing["agreement_in_force_id"]) == ("covered", agreement_id)
    # In force, the effective date is no longer editable.
    before = snapshot()
    assert client.patch(f"{AGREEMENTS}/{agreement_id}", {"effective_on": "2020-01-01"}).status_code == 422
    assert snapshot() == before
    assert client.patch(f"{AGREEMENTS}/{agreement_id}", {"notes": "Reviewed."}).status_code == 200

    ended = client.post(f"{AGREEMENTS}/{agreement_id}/terminate", {"terminated_on": today.isoformat(),
                                                                  "reason": "Contract ended."})
    assert ended.status_code == 200, ended.content
    assert ended.json()["status"] == "terminated"
    assert "Contract ended." in ended.json()["notes"]
    assert client.patch(f"{AGREEMENTS}/{agreement_id}", {"notes": "again"}).status_code == 422
    actions = set(AuditEvent.objects.filter(actor=officer, object_id=str(agreement_id)).values_list("action",
                                                                                                     flat=True))
    assert {"compliance.agreement_created", "compliance.agreement_updated", "compliance.agreement_activated",
            "compliance.agreement_terminated"} <= actions
    listed = client.get(AGREEMENTS, {"business_associate_id": associate.pk, "status": "terminated"})
    assert [row["id"] for row in listed.json()["items"]] == [agreement_id]


def test_a_second_agreement_is_not_put_in_force_while_one_is(officer: User, api_as: Api) -> None:
    associate = make_associate(created_by=officer)
    make_agreement(associate=associate)
    draft = make_agreement(associate=associate, status=AgreementStatus.DRAFT, effective_on=None)
    before = snapshot()
    response = api_as(officer).post(f"{AGREEMENTS}/{draft.pk}/activate",
                                    {"signed_on": "2025-01-02", "effective_on": "2025-01-02"})
    assert response.status_code == 422, response.content
    assert snapshot() == before


@pytest.mark.parametrize("body", [
    {"business_associate_id": 999999},
    {"business_associate_id": 0},
    {"signed_on": "2999-01-01"},
    {"effective_on": "2026-02-01", "expires_on": "2026-01-01"},
    {"effective_on": "soon"},
    {"notes": "a\x00b"},
])
def test_bad_agreements_are_422_and_nothing_is_written(officer: User, api_as: Api, body: dict[str, Any]) -> None:
    associate = make_associate(created_by=officer)
    before = snapshot()
    response = api_as(officer).post(AGREEMENTS, {"business_associate_id": associate.pk, **body})
    assert response.status_code == 422, response.content
    assert snapshot() == before


def test_termination_needs_a_reason_and_a_past_date(officer: User, api_as: Api) -> None:
    agreement = make_agreement(associate=make_associate(created_by=officer))
    client = api_as(officer)
    before = snapshot()
    for body in ({"terminated_on": "2999-01-01", "reason": "x"}, {"terminated_on": "2025-01-01", "reason": ""},
                 {"terminated_on": "2023-01-01", "reason": "before it took effect"}, {"reason": "x"}):
        assert client.post(f"{AGREEMENTS}/{agreement.pk}/terminate", body).status_code == 422, body
    assert snapshot() == before


# --- lists -----------------------------------------------------------------------------------------------------


def test_the_lists_refuse_unlisted_filter_values(officer: User, api_as: Api) -> None:
    client = api_as(officer)
    for path, query in ((ASSOCIATES, {"standing": "great"}), (AGREEMENTS, {"status": "signed"}),
                        (ASSOCIATES, {"limit": 0}), (AGREEMENTS, {"business_associate_id": "x"})):
        assert client.get(path, query).status_code == 422, (path, query)


def test_the_lists_run_the_same_queries_for_many_rows(officer: User, api_as: Api) -> None:
    def make(count: int) -> None:
        for _ in range(count):
            associate = make_associate(created_by=officer)
            make_agreement(associate=associate)
            make_agreement(associate=associate, status=AgreementStatus.DRAFT, effective_on=None)

    client = api_as(officer)
    make(1)
    for path in (ASSOCIATES, AGREEMENTS):
        client.get(path)
        with CaptureQueriesContext(connection) as few:
            client.get(path)
        make(6)
        with CaptureQueriesContext(connection) as many:
            response = client.get(path)
        assert response.status_code == 200
        assert len(response.json()["items"]) > 6
        assert len(many.captured_queries) == len(few.captured_queries), path


def test_a_senior_practice_manager_may_manage_too(make_user: Callable[..., User], api_as: Api) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED)
    response = api_as(manager).post(ASSOCIATES, {"name": "Answering Co", "services": "After-hours calls"})
    assert response.status_code == 201, response.content
