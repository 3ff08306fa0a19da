"""/job-requisitions and /applicants: workforce.hiring at a requisition's location reaches it and its applicants,
through the hiring pages' services (draft, submit, approval by someone else, applicants added to open requisitions,
stage moves). Applicants are personal data: nobody else lists or reads them (not schedulers, not interviewers), and
the answers carry what the applicant page shows, never the résumé file. Out of scope or role: 404, audited, nothing
changed; bad input: 422, nothing written; lists cost the same queries whatever their length."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.workforce.choices import ApplicantStage, RequisitionStatus
from openpractice.workforce.models import Applicant, ApplicantStageChange, Interview, Position, Requisition
from openpractice.workforce.tests.factories import EmployeeFactory, PositionFactory
from openpractice.workforce.tests.factories_hiring import ApplicantFactory, RequisitionFactory

from .conftest import API, TokenClient

pytestmark = pytest.mark.django_db

Api = Callable[[User], TokenClient]
REQUISITIONS = f"{API}/job-requisitions"
APPLICANTS = f"{API}/applicants"


@pytest.fixture
def hr_north(make_user: Callable[..., User], north: Location) -> User:
    """workforce.hiring at North, without approval authority."""
    return make_user(Role.HR, locations=[north], username="hr-north")


@pytest.fixture
def pm_north(make_user: Callable[..., User], north: Location) -> User:
    """workforce.hiring and workforce.approve_hiring at North."""
    return make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED, locations=[north], username="pm-north")


@pytest.fixture
def hr_south(make_user: Callable[..., User], south: Location) -> User:
    return make_user(Role.HR, locations=[south], username="hr-south")


@pytest.fixture
def position(north: Location) -> Position:
    return PositionFactory(location=north, title="Medical Assistant")


@pytest.fixture
def requisition(north: Location, pm_north: User) -> Requisition:
    return RequisitionFactory(location=north, requested_by=pm_north)


@pytest.fixture
def applicant(requisition: Requisition) -> Applicant:
    return ApplicantFactory(requisition=requisition, first_name="Casey", email="casey@applicant.example")


def snapshot() -> list[tuple[Any, ...]]:
    return [*Requisition.objects.order_by("pk").values_list("status", "openings", "pay_min", "pay_max",
                                                            "location_id", "position_id", "updated_at"),
            *Applicant.objects.order_by("pk").values_list("first_name", "email", "stage", "rejection_reason",
                                                          "notes", "updated_at"),
            *ApplicantStageChange.objects.order_by("pk").values_list("applicant_id", "to_stage")]


def denials(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def draft_body(position: Position, **changes: Any) -> dict[str, Any]:
    return {"position_id": position.pk, "location_id": position.location_id, "openings": 2,
            "pay_min": "45000.00", "pay_max": "50000.00", "justification": "Saturday clinic.", **changes}


# --- the flow --------------------------------------------------------------------------------------------------


def test_a_requisition_is_raised_approved_by_someone_else_and_filled_with_applicants(
        hr_north: User, pm_north: User, position: Position, api_as: Api) -> None:
    hr = api_as(hr_north)
    created = hr.post(REQUISITIONS, draft_body(position))
    assert created.status_code == 201, created.content
    body = created.json()
    requisition_id = body["id"]
    assert (body["status"], body["reference"], body["position_title"], body["active_applicants"]) == (
        "draft", f"REQ-{requisition_id:05d}", "Medical Assistant", 0)
    edited = hr.patch(f"{REQUISITIONS}/{requisition_id}", {"openings": 3, "target_start": None})
    assert edited.status_code == 200, edited.content
    assert edited.json()["openings"] == 3
    submitted = hr.post(f"{REQUISITIONS}/{requisition_id}/submit")
    assert submitted.json()["status"] == "pending"
    # Not editable once submitted, and the requester's colleague without approval authority cannot decide.
    assert hr.patch(f"{REQUISITIONS}/{requisition_id}", {"openings": 1}).status_code == 422
    assert hr.post(f"{REQUISITIONS}/{requisition_id}/decide", {"decision": "approve"}).status_code == 404

    pm = api_as(pm_north)
    assert pm.post(f"{REQUISITIONS}/{requisition_id}/decide", {"decision": "reject"}).status_code == 422
    approved = pm.post(f"{REQUISITIONS}/{requisition_id}/decide", {"decision": "approve"})
    assert approved.status_code == 200, approved.content
    assert (approved.json()["status"], approved.json()["decided_by_id"]) == ("open", pm_north.pk)

    added = hr.post(APPLICANTS, {"requisition_id": requisition_id, "first_name": "Casey", "last_name": "Morgan",
                                 "email": "casey@example.org", "source": "website"})
    assert added.status_code == 201, added.content
    applicant = added.json()
    assert (applicant["stage"], applicant["applied_on"], applicant["has_resume"], applicant["location_id"]) == (
        "applied", practice_today().isoformat(), False, position.location_id)
    assert [change["to_stage"] for change in applicant["history"]] == ["applied"]
    assert "screening" in applicant["moves"]
    assert "offer" not in applicant["moves"]
    assert hr.get(f"{REQUISITIONS}/{requisition_id}").json()["active_applicants"] == 1

    listed = hr.get(APPLICANTS, {"requisition_id": requisition_id})
    assert [row["id"] for row in listed.json()["items"]] == [applicant["id"]]
    assert "email" not in listed.json()["items"][0]  # the list is the pipeline board: names and stages

    fixed = hr.patch(f"{APPLICANTS}/{applicant['id']}", {"phone": "919-555-0101", "notes": "Bilingual."})
    assert fixed.status_code == 200, fixed.content
    assert (fixed.json()["phone"], fixed.json()["notes"]) == ("919-555-0101", "Bilingual.")

    moved = hr.post(f"{APPLICANTS}/{applicant['id']}/stage", {"stage": "screening", "note": "Phone screen."})
    assert moved.status_code == 200, moved.content
    assert [change["to_stage"] for change in moved.json()["history"]] == ["applied", "screening"]
    rejected = hr.post(f"{APPLICANTS}/{applicant['id']}/stage", {"stage": "rejected", "note": "No certificate."})
    assert (rejected.json()["stage"], rejected.json()["rejection_reason"]) == ("rejected", "No certificate.")
    assert hr.get(APPLICANTS, {"stage": "rejected"}).json()["count"] == 1

    actions = set(AuditEvent.objects.filter(outcome=Outcome.ALLOWED).values_list("action", flat=True))
    assert {"workforce.requisition_created", "workforce.requisition_updated", "workforce.requisition_submitted",
            "workforce.requisition_approved", "workforce.applicant_created", "workforce.applicant_updated",
            "workforce.applicant_stage_changed"} <= actions


def test_a_requisition_raised_by_an_approver_opens_at_submission_and_is_cancelled(
        pm_north: User, position: Position, api_as: Api) -> None:
    client = api_as(pm_north)
    requisition_id = client.post(REQUISITIONS, draft_body(position)).json()["id"]
    assert client.post(f"{REQUISITIONS}/{requisition_id}/submit").json()["status"] == "open"
    # Its own raiser never decides it.
    before = denials(pm_north)
    assert client.post(f"{REQUISITIONS}/{requisition_id}/submit").status_code == 422
    cancelled = client.post(f"{REQUISITIONS}/{requisition_id}/cancel", {"note": "Budget frozen."})
    assert cancelled.json()["status"] == "cancelled"
    assert client.post(f"{REQUISITIONS}/{requisition_id}/cancel", {}).status_code == 422
    assert denials(pm_north) == before


def test_the_requester_does_not_approve_their_own_pending_requisition(
        pm_north: User, hr_north: User, north: Location, api_as: Api) -> None:
    pending = RequisitionFactory(location=north, requested_by=pm_north, status=RequisitionStatus.PENDING,
                                 decided_by=None, decided_at=None, opened_at=None)
    before, denied = snapshot(), denials(pm_north)
    assert api_as(pm_north).post(f"{REQUISITIONS}/{pending.pk}/decide",
                                 {"decision": "approve"}).status_code == 404
    assert denials(pm_north) == denied + 1
    assert snapshot() == before


# --- what the answers show -------------------------------------------------------------------------------------


def test_an_applicant_answer_says_a_resume_exists_but_never_where(hr_north: User, applicant: Applicant,
                                                                  api_as: Api) -> None:
    Applicant.objects.filter(pk=applicant.pk).update(resume="workforce/resumes/0f3a9c.pdf", resume_size=48211,
                                                     resume_content_type="application/pdf")
    response = api_as(hr_north).get(f"{APPLICANTS}/{applicant.pk}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["has_resume"], body["resume_size"]) == (True, 48211)
    assert "0f3a9c" not in response.content.decode()
    assert not {"resume", "resume_content_type", "employee_id", "created_by_id"} & set(body)
    # Reading an applicant writes no access event (the page does not either); the résumé download does, there.
    assert not AuditEvent.objects.filter(actor=hr_north, action="workforce.resume_viewed").exists()


# --- refusals --------------------------------------------------------------------------------------------------


def test_hiring_staff_elsewhere_get_404_audited_and_nothing_changes(
        hr_south: User, requisition: Requisition, applicant: Applicant, api_as: Api) -> None:
    client = api_as(hr_south)
    assert client.get(REQUISITIONS).json()["count"] == 0
    assert client.get(APPLICANTS).json()["count"] == 0
    before, denied = snapshot(), denials(hr_south)
    calls: tuple[tuple[str, str, dict[str, Any] | None], ...] = (("get", f"{REQUISITIONS}/{requisition.pk}", None),
             ("patch", f"{REQUISITIONS}/{requisition.pk}", {"openings": 4}),
             ("post", f"{REQUISITIONS}/{requisition.pk}/cancel", {}),
             ("get", f"{APPLICANTS}/{applicant.pk}", None),
             ("patch", f"{APPLICANTS}/{applicant.pk}", {"notes": "x"}),
             ("post", f"{APPLICANTS}/{applicant.pk}/stage", {"stage": "screening"}),
             ("post", APPLICANTS, {"requisition_id": requisition.pk, "first_name": "A", "last_name": "B"}))
    for method, path, body in calls:
        response = client.get(path) if method == "get" else getattr(client, method)(path, body)
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "not_found"
    assert denials(hr_south) == denied + len(calls)
    assert snapshot() == before


def test_applicants_are_for_hiring_staff_only_not_schedulers_nor_interviewers(
        make_user: Callable[..., User], north: Location, applicant: Applicant, requisition: Requisition,
        api_as: Api) -> None:
    scheduler = make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])  # workforce.schedule there
    interviewer = make_user(Role.CLINICAL_STAFF, locations=[north])
    interview = Interview.objects.create(applicant=applicant, starts_at=timezone.now() + dt.timedelta(days=2),
                                         created_by=requisition.requested_by)
    interview.interviewers.add(interviewer)
    desk = make_user(Role.FRONT_DESK, locations=[north])
    before = snapshot()
    for user in (scheduler, interviewer, desk):
        client = api_as(user)
        for method, path, body in (("get", APPLICANTS, None), ("get", f"{APPLICANTS}/{applicant.pk}", None),
                                   ("get", REQUISITIONS, None),
                                   ("post", f"{APPLICANTS}/{applicant.pk}/stage", {"stage": "screening"})):
            denied = denials(user)
            response = client.get(path) if method == "get" else getattr(client, method)(path, body)
            assert response.status_code == 404, (user.username, path)
            assert denials(user) == denied + 1
    assert snapshot() == before


def test_hiring_staff_elsewhere_who_interview_an_applicant_still_do_not_reach_them_here(
        hr_south: User, applicant: Applicant, requisition: Requisition, api_as: Api) -> None:
    interview = Interview.objects.create(applicant=applicant, starts_at=timezone.now() + dt.timedelta(days=2),
                                         created_by=requisition.requested_by)
    interview.interviewers.add(hr_south)
    client = api_as(hr_south)
    denied = denials(hr_south)
    assert client.get(APPLICANTS).json()["count"] == 0
    assert client.get(f"{APPLICANTS}/{applicant.pk}").status_code == 404
    assert denials(hr_south) == denied + 1


def test_missing_records_are_404(hr_north: User, api_as: Api) -> None:
    client = api_as(hr_north)
    assert client.get(f"{REQUISITIONS}/999999").status_code == 404
    assert client.get(f"{APPLICANTS}/999999").status_code == 404
    assert client.post(APPLICANTS, {"requisition_id": 999999, "first_name": "A", "last_name": "B"}).status_code == 404


# --- bad input -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("changes", [
    {"pay_min": "30000.00"},  # below the position's range
    {"pay_min": "52000.00", "pay_max": "48000.00"},
    {"reason": "replacement"},  # without naming who
    {"reason": "transfer"},
    {"target_start": "2001-01-01"},
    {"position_id": 999999},
    {"location_id": 999999},
    {"openings": 0},
    {"justification": "a\x00b"},
    {"hiring_manager_id": 999999},
    {"replaces_id": 999999, "reason": "replacement"},
])
def test_bad_requisitions_are_422_and_nothing_is_written(hr_north: User, position: Position, api_as: Api,
                                                         changes: dict[str, Any]) -> None:
    before = snapshot()
    response = api_as(hr_north).post(REQUISITIONS, draft_body(position, **changes))
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "validation_error"
    assert snapshot() == before


def test_a_requisition_elsewhere_or_of_another_locations_position_is_refused(
        hr_north: User, position: Position, south: Location, api_as: Api) -> None:
    client = api_as(hr_north)
    before = snapshot()
    assert client.post(REQUISITIONS, draft_body(position, location_id=south.pk)).status_code == 422
    south_position = PositionFactory(location=south, pay_min=Decimal("40000"), pay_max=Decimal("60000"))
    assert client.post(REQUISITIONS, draft_body(south_position, location_id=position.location_id)).status_code == 422
    draft = client.post(REQUISITIONS, draft_body(position)).json()["id"]
    middle = snapshot()
    for body in ({"position_id": None}, {"openings": None}, {"location_id": south.pk}):
        assert client.patch(f"{REQUISITIONS}/{draft}", body).status_code == 422, body
    assert snapshot() == middle
    assert len(middle) == len(before) + 1


@pytest.mark.parametrize("changes", [
    {"applied_on": "2999-01-01"},
    {"email": "CASEY@applicant.example"},  # already on this requisition
    {"first_name": "Ca\tsey"},
    {"first_name": ""},
    {"last_name": "x" * 61},
    {"email": "not an email"},
    {"referred_by_id": 999999, "source": "referral"},
    {"source": "billboard"},
    {"notes": "a\x00b"},
])
def test_bad_applicants_are_422_and_nothing_is_written(hr_north: User, applicant: Applicant, api_as: Api,
                                                       changes: dict[str, Any]) -> None:
    before = snapshot()
    response = api_as(hr_north).post(APPLICANTS, {"requisition_id": applicant.requisition_id, "first_name": "Dana",
                                                  "last_name": "Reyes", **changes})
    assert response.status_code == 422, response.content
    assert snapshot() == before


def test_a_referral_names_a_current_employee_and_only_referrals_do(hr_north: User, applicant: Applicant,
                                                                   north: Location, api_as: Api) -> None:
    colleague = EmployeeFactory(location=north)
    client = api_as(hr_north)
    before = snapshot()
    assert client.patch(f"{APPLICANTS}/{applicant.pk}", {"referred_by_id": colleague.pk}).status_code == 422
    assert client.patch(f"{APPLICANTS}/{applicant.pk}", {"first_name": None}).status_code == 422
    assert snapshot() == before
    referred = client.patch(f"{APPLICANTS}/{applicant.pk}", {"referred_by_id": colleague.pk, "source": "referral"})
    assert referred.status_code == 200, referred.content
    assert referred.json()["referred_by_id"] == colleague.pk


def test_applicants_join_open_requisitions_only(hr_north: User, north: Location, api_as: Api) -> None:
    draft = RequisitionFactory(location=north, status=RequisitionStatus.DRAFT, decided_by=None, decided_at=None,
                               submitted_at=None, opened_at=None)
    before = snapshot()
    response = api_as(hr_north).post(APPLICANTS, {"requisition_id": draft.pk, "first_name": "A", "last_name": "B"})
    assert response.status_code == 422, response.content
    assert snapshot() == before


@pytest.mark.parametrize("body", [
    {"stage": "offer"}, {"stage": "hired"}, {"stage": "promoted"}, {"stage": "applied"},
    {"stage": "rejected"}, {"stage": "withdrawn", "note": " "}, {},
])
def test_stage_moves_outside_the_pipeline_rules_are_422_and_change_nothing(
        hr_north: User, applicant: Applicant, api_as: Api, body: dict[str, Any]) -> None:
    before = snapshot()
    response = api_as(hr_north).post(f"{APPLICANTS}/{applicant.pk}/stage", body)
    assert response.status_code == 422, response.content
    assert snapshot() == before


def test_on_a_cancelled_requisition_only_rejection_and_withdrawal_remain(
        hr_north: User, applicant: Applicant, api_as: Api) -> None:
    Requisition.objects.filter(pk=applicant.requisition_id).update(status=RequisitionStatus.CANCELLED)
    client = api_as(hr_north)
    assert client.get(f"{APPLICANTS}/{applicant.pk}").json()["moves"] == ["rejected", "withdrawn"]
    assert client.post(f"{APPLICANTS}/{applicant.pk}/stage", {"stage": "screening"}).status_code == 422
    moved = client.post(f"{APPLICANTS}/{applicant.pk}/stage", {"stage": "withdrawn", "note": "Took another job."})
    assert moved.json()["stage"] == ApplicantStage.WITHDRAWN


# --- lists -----------------------------------------------------------------------------------------------------


def test_the_lists_refuse_unlisted_filter_values(hr_north: User, api_as: Api) -> None:
    client = api_as(hr_north)
    for path, query in ((REQUISITIONS, {"status": "approved"}), (APPLICANTS, {"stage": "phone"}),
                        (APPLICANTS, {"requisition_id": "x"}), (REQUISITIONS, {"limit": 201})):
        assert client.get(path, query).status_code == 422, (path, query)


def test_the_lists_filter_and_run_the_same_queries_for_many_rows(hr_north: User, north: Location,
                                                                 api_as: Api) -> None:
    def make(count: int) -> None:
        for _ in range(count):
            requisition = RequisitionFactory(location=north)
            ApplicantFactory(requisition=requisition)
            ApplicantFactory(requisition=requisition, stage=ApplicantStage.SCREENING)

    client = api_as(hr_north)
    make(1)
    for path in (REQUISITIONS, APPLICANTS):
        client.get(path)
        with CaptureQueriesContext(connection) as few:
            client.get(path)
        make(5)
        with CaptureQueriesContext(connection) as many:
            response = client.get(path)
        assert response.status_code == 200
        assert len(response.json()["items"]) > 5
        assert len(many.captured_queries) == len(few.captured_queries), path
    assert client.get(APPLICANTS, {"stage": "screening"}).json()["count"] == 11
    first = client.get(REQUISITIONS, {"limit": 1}).json()["items"][0]
    assert first["active_applicants"] == 2
    assert client.get(REQUISITIONS, {"q": first["reference"]}).json()["count"] == 1
    assert client.get(REQUISITIONS, {"status": "draft"}).json()["count"] == 0
