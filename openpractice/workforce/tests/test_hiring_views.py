"""Hiring pages: the requisition list (filters, search, flat query count), the detail page's trail and pipeline
board (flat query count), the draft -> submit -> approve flow through the pages, applicants with résumé upload
and the permission-checked download, stage moves; every denial answers 404, is audited and changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import sign_in
from openpractice.audit.models import AuditEvent
from openpractice.core.selectors import practice_today
from openpractice.workforce.choices import ApplicantStage, RequisitionStatus
from openpractice.workforce.models import Applicant, Interview, Requisition
from openpractice.workforce.services import hiring_applicants

from .factories import PositionFactory
from .factories_hiring import ApplicantFactory, RequisitionFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "uploads"


@pytest.fixture
def om_mid(make_user: Any, north: Any) -> Any:
    return make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north])


@pytest.fixture
def pm(make_user: Any, north: Any) -> Any:
    return make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED, locations=[north])


def _requisitions() -> list[tuple[Any, ...]]:
    return list(Requisition.objects.order_by("pk").values_list("pk", "status", "decided_by_id", "openings"))


def _applicants() -> list[tuple[Any, ...]]:
    return list(Applicant.objects.order_by("pk").values_list("pk", "stage", "email", "resume"))


def _denials() -> int:
    return AuditEvent.objects.filter(outcome="denied").count()


def _form(location: Any, position: Any, **changes: Any) -> dict[str, Any]:
    data = {"position": position.pk, "location": location.pk, "openings": "1", "reason": "new",
            "pay_min": "45000", "pay_max": "50000", "justification": "Growth"}
    data.update(changes)
    return data


def _applicant_form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"first_name": "Robin", "last_name": "Ellis", "email": "robin@example.org",
                            "phone": "", "source": "job_board", "applied_on": practice_today().isoformat(),
                            "notes": ""}
    data.update(changes)
    return data


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_list_filters_search_and_scope(om_mid: Any, north: Any, south: Any) -> None:
    RequisitionFactory(location=north, position=PositionFactory(title="Medical assistant"))
    RequisitionFactory(location=north, position=PositionFactory(title="Billing clerk"),
                       status=RequisitionStatus.PENDING)
    RequisitionFactory(location=south, position=PositionFactory(title="South receptionist"))
    client = sign_in(Client(), om_mid)
    url = reverse("workforce:requisition_list")
    page = client.get(url).content.decode()
    assert "Medical assistant" in page
    assert "Billing clerk" in page
    assert "South receptionist" not in page
    page = client.get(url, {"status": "pending"}).content.decode()
    assert "Billing clerk" in page
    assert "Medical assistant" not in page
    page = client.get(url, {"q": "medical"}).content.decode()
    assert "Medical assistant" in page
    assert "Billing clerk" not in page
    page = client.get(url, {"location": south.pk}).content.decode()
    assert "Medical assistant" not in page
    assert "South receptionist" not in page


def test_list_and_board_query_counts_do_not_grow_with_rows(om_mid: Any, north: Any) -> None:
    client = sign_in(Client(), om_mid)
    board = RequisitionFactory(location=north)

    def add(n: int) -> None:
        for _i in range(n):
            requisition = RequisitionFactory(location=north, hiring_manager=om_mid)
            ApplicantFactory(requisition=requisition)
            ApplicantFactory(requisition=board, stage=ApplicantStage.SCREENING)

    add(2)
    client.get(reverse("workforce:requisition_list"))  # warm-up: session and practice caches
    list_few = _count(client, reverse("workforce:requisition_list"))
    board_few = _count(client, reverse("workforce:requisition_detail", args=[board.pk]))
    add(8)
    assert _count(client, reverse("workforce:requisition_list")) == list_few
    assert _count(client, reverse("workforce:requisition_detail", args=[board.pk])) == board_few


def test_draft_submit_and_approve_through_the_pages(om_mid: Any, pm: Any, north: Any) -> None:
    position = PositionFactory(location=north)
    client = sign_in(Client(), om_mid)
    response = client.post(reverse("workforce:requisition_create"), _form(north, position))
    assert response.status_code == 302, response.content.decode()[:3000]
    requisition = Requisition.objects.get()
    response = client.post(reverse("workforce:requisition_create"), _form(north, position, pay_max="70000"))
    assert response.status_code == 400
    assert "pay range" in response.content.decode()
    client.post(reverse("workforce:requisition_submit", args=[requisition.pk]))
    requisition.refresh_from_db()
    assert requisition.status == RequisitionStatus.PENDING
    # The requester (not an approver) gets no decision form, and the decide page is out of their role.
    detail = client.get(reverse("workforce:requisition_detail", args=[requisition.pk])).content.decode()
    assert reverse("workforce:requisition_decide", args=[requisition.pk]) not in detail
    approver = sign_in(Client(), pm)
    detail = approver.get(reverse("workforce:requisition_detail", args=[requisition.pk])).content.decode()
    assert reverse("workforce:requisition_decide", args=[requisition.pk]) in detail
    response = approver.post(reverse("workforce:requisition_decide", args=[requisition.pk]), {"decision": "reject"})
    assert response.status_code == 400
    response = approver.post(reverse("workforce:requisition_decide", args=[requisition.pk]), {"decision": "approve"})
    assert response.status_code == 302
    requisition.refresh_from_db()
    assert requisition.status == RequisitionStatus.OPEN
    detail = approver.get(reverse("workforce:requisition_detail", args=[requisition.pk])).content.decode()
    assert "Approval trail" in detail
    assert "Approved" in detail


def test_office_manager_entry_cannot_create_requisition_or_applicant(make_user: Any, north: Any) -> None:
    entry = make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])
    requisition = RequisitionFactory(location=north)
    client = sign_in(Client(), entry)
    before = (_requisitions(), _applicants(), _denials())
    assert client.post(reverse("workforce:requisition_create"),
                       _form(north, PositionFactory(location=north))).status_code == 404
    assert client.post(reverse("workforce:requisition_applicant_create", args=[requisition.pk]),
                       _applicant_form()).status_code == 404
    assert (_requisitions(), _applicants()) == before[:2]
    assert _denials() == before[2] + 2


def test_office_manager_mid_cannot_approve(om_mid: Any, make_user: Any, north: Any) -> None:
    requisition = RequisitionFactory(location=north, status=RequisitionStatus.PENDING, decided_by=None,
                                     decided_at=None, opened_at=None, requested_by=make_user(Role.HR))
    client = sign_in(Client(), om_mid)
    before = (_requisitions(), _denials())
    response = client.post(reverse("workforce:requisition_decide", args=[requisition.pk]), {"decision": "approve"})
    assert response.status_code == 404
    assert _requisitions() == before[0]
    assert _denials() == before[1] + 1


def test_requester_cannot_approve_own_pending_requisition(make_user: Any, north: Any) -> None:
    senior = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north])
    requisition = RequisitionFactory(location=north, status=RequisitionStatus.PENDING, decided_by=None,
                                     decided_at=None, opened_at=None, requested_by=senior)
    client = sign_in(Client(), senior)
    before = (_requisitions(), _denials())
    response = client.post(reverse("workforce:requisition_decide", args=[requisition.pk]), {"decision": "approve"})
    assert response.status_code == 404
    assert _requisitions() == before[0]
    assert AuditEvent.objects.filter(outcome="denied", action="workforce.requisition_decide").count() == 1


def test_north_only_hiring_user_cannot_touch_south(om_mid: Any, south: Any) -> None:
    requisition = RequisitionFactory(location=south, status=RequisitionStatus.DRAFT)
    open_south = RequisitionFactory(location=south)
    applicant = ApplicantFactory(requisition=open_south)
    client = sign_in(Client(), om_mid)
    before = (_requisitions(), _applicants(), _denials())
    assert client.get(reverse("workforce:requisition_detail", args=[requisition.pk])).status_code == 404
    assert client.post(reverse("workforce:requisition_submit", args=[requisition.pk])).status_code == 404
    assert client.post(reverse("workforce:requisition_cancel", args=[requisition.pk])).status_code == 404
    assert client.post(reverse("workforce:requisition_applicant_create", args=[open_south.pk]),
                       _applicant_form()).status_code == 404
    assert client.get(reverse("workforce:applicant_detail", args=[applicant.pk])).status_code == 404
    assert client.post(reverse("workforce:applicant_stage", args=[applicant.pk]),
                       {"stage": "screening"}).status_code == 404
    assert client.get(reverse("workforce:applicant_resume", args=[applicant.pk])).status_code == 404
    assert (_requisitions(), _applicants()) == before[:2]
    assert _denials() == before[2] + 7


def _with_resume(om_mid: Any, north: Any) -> Applicant:
    requisition = RequisitionFactory(location=north)
    return hiring_applicants.applicant_create(
        actor=om_mid, requisition=requisition,
        data={"first_name": "Robin", "last_name": "Ellis", "email": "r@example.org", "applied_on": practice_today()},
        resume=SimpleUploadedFile("cv.pdf", PDF))


def test_resume_download_for_hiring_staff_is_an_audited_attachment(om_mid: Any, north: Any) -> None:
    applicant = _with_resume(om_mid, north)
    client = sign_in(Client(), om_mid)
    response = client.get(reverse("workforce:applicant_resume", args=[applicant.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert AuditEvent.objects.filter(action="workforce.resume_viewed", actor_id=om_mid.pk,
                                     object_id=str(applicant.pk)).count() == 1


def test_biller_cannot_download_a_resume(make_user: Any, om_mid: Any, north: Any) -> None:
    applicant = _with_resume(om_mid, north)
    biller = make_user(Role.BILLER, locations=[north])
    client = sign_in(Client(), biller)
    before = _denials()
    assert client.get(reverse("workforce:applicant_resume", args=[applicant.pk])).status_code == 404
    assert _denials() == before + 1
    assert not AuditEvent.objects.filter(action="workforce.resume_viewed").exists()


def test_an_interviewer_may_download_the_resume_of_their_applicant(make_user: Any, om_mid: Any, north: Any) -> None:
    applicant = _with_resume(om_mid, north)
    other = _with_resume(om_mid, north)
    provider = make_user(Role.PROVIDER, locations=[north])
    interview = Interview.objects.create(applicant=applicant, starts_at=timezone.now(), created_by=om_mid)
    interview.interviewers.add(provider)
    client = sign_in(Client(), provider)
    assert client.get(reverse("workforce:applicant_resume", args=[applicant.pk])).status_code == 200
    assert client.get(reverse("workforce:applicant_resume", args=[other.pk])).status_code == 404
    # The applicant page itself (with pay and offers) stays with hiring staff.
    assert client.get(reverse("workforce:applicant_detail", args=[applicant.pk])).status_code == 404


def test_add_applicant_with_resume_and_duplicate_message(om_mid: Any, north: Any) -> None:
    requisition = RequisitionFactory(location=north)
    client = sign_in(Client(), om_mid)
    url = reverse("workforce:requisition_applicant_create", args=[requisition.pk])
    response = client.post(url, {**_applicant_form(), "resume": SimpleUploadedFile("cv.pdf", PDF)})
    assert response.status_code == 302, response.content.decode()[:3000]
    applicant = Applicant.objects.get()
    assert applicant.resume_size == len(PDF)
    before = _applicants()
    response = client.post(url, {**_applicant_form(email="ROBIN@example.org")})
    assert response.status_code == 400
    assert "already on this requisition" in response.content.decode()
    response = client.post(url, {**_applicant_form(email="x@example.org"),
                                 "resume": SimpleUploadedFile("cv.pdf", b"not a pdf")})
    assert response.status_code == 400
    assert "PDF or Word" in response.content.decode()
    assert _applicants() == before


def test_applicant_page_offers_only_allowed_moves_and_moves(om_mid: Any, north: Any) -> None:
    applicant = ApplicantFactory(requisition=RequisitionFactory(location=north), stage=ApplicantStage.INTERVIEW)
    client = sign_in(Client(), om_mid)
    page = client.get(reverse("workforce:applicant_detail", args=[applicant.pk])).content.decode()
    assert 'value="screening"' in page
    assert 'value="rejected"' in page
    assert 'value="offer"' not in page
    assert 'value="hired"' not in page
    url = reverse("workforce:applicant_stage", args=[applicant.pk])
    before = _applicants()
    assert client.post(url, {"stage": "offer"}).status_code == 400
    assert client.post(url, {"stage": "rejected", "note": ""}).status_code == 400
    assert _applicants() == before
    assert client.post(url, {"stage": "rejected", "note": "Chose another"}).status_code == 302
    applicant.refresh_from_db()
    assert applicant.stage == ApplicantStage.REJECTED
    page = client.get(reverse("workforce:applicant_detail", args=[applicant.pk])).content.decode()
    assert "Chose another" in page
