"""Training pages and the /api/v1/trainings router: who reaches what, uploads, the permission-checked certificate
download; refusals answer 404 and change nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.api.tests.conftest import API, TokenClient, token_client_for
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.workforce.choices import TrainingStatus
from openpractice.workforce.models import Course, TrainingAssignment, WorkforceSettings
from openpractice.workforce.services import training as services
from openpractice.workforce.tests.factories import CourseFactory, EmployeeFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "uploads"


@pytest.fixture
def hr(make_user: Callable[..., User]) -> User:
    return make_user(Role.HR)


def _assign(hr: User, **employee: Any) -> TrainingAssignment:
    return services.training_assign(actor=hr, course=CourseFactory(), employee=EmployeeFactory(**employee),
                                    assigned_on=dt.date(2025, 1, 1), due_on=dt.date(2025, 2, 1)).created[0]


def test_workforce_viewers_list_and_filter_overdue(hr: User, signed_in: Callable[[User], Client]) -> None:
    late = _assign(hr)
    client = signed_in(hr)
    for name in ("workforce:training_list", "workforce:training_overdue", "workforce:course_list",
                 "workforce:training_assign", "workforce:course_create", "workforce:training_settings"):
        assert client.get(reverse(name)).status_code == 200, name
    response = client.get(reverse("workforce:training_list"), {"overdue": "1"})
    assert list(response.context["table"].page.object_list) == [late]
    assert late.employee.last_name in client.get(reverse("workforce:training_overdue")).content.decode()


def test_staff_without_workforce_view_get_404_on_hr_pages_but_reach_their_own_training(
        hr: User, make_user: Callable[..., User], signed_in: Callable[[User], Client]) -> None:
    desk = make_user(Role.FRONT_DESK)
    own = _assign(hr, user=desk)
    other = _assign(hr)
    client = signed_in(desk)
    assert client.get(reverse("workforce:training_list")).status_code == 404
    assert client.get(reverse("workforce:course_create")).status_code == 404
    assert client.get(reverse("workforce:training_detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("workforce:training_detail", args=[own.pk])).status_code == 200
    mine = client.get(reverse("workforce:training_mine"))
    assert list(mine.context["assignments"]) == [own]


def test_an_employee_completes_their_own_training_with_a_certificate_and_downloads_it(
        hr: User, make_user: Callable[..., User], signed_in: Callable[[User], Client]) -> None:
    desk = make_user(Role.FRONT_DESK)
    own = _assign(hr, user=desk)
    client = signed_in(desk)
    url = reverse("workforce:training_complete", args=[own.pk])
    refused = client.post(url, {"completed_on": "2025-01-20",
                                "evidence": SimpleUploadedFile("c.pdf", b"GIF89a not a certificate")})
    assert refused.status_code == 400
    own.refresh_from_db()
    assert own.status == TrainingStatus.ASSIGNED
    response = client.post(url, {"completed_on": "2025-01-20", "evidence": SimpleUploadedFile("c.pdf", PDF)})
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.status == TrainingStatus.COMPLETED
    download = client.get(reverse("workforce:training_certificate", args=[own.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert AuditEvent.objects.filter(action="workforce.training_certificate_viewed", actor_id=desk.pk).exists()


def test_a_certificate_is_not_served_to_a_colleague_out_of_scope(
        hr: User, north: Location, south: Location, make_user: Callable[..., User],
        signed_in: Callable[[User], Client]) -> None:
    assignment = _assign(hr, location=south)
    services.training_complete(actor=hr, assignment=assignment, completed_on=dt.date(2025, 1, 5),
                               evidence=SimpleUploadedFile("c.pdf", PDF))
    local = make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    response = signed_in(local).get(reverse("workforce:training_certificate", args=[assignment.pk]))
    assert response.status_code == 404
    assert AuditEvent.objects.filter(actor_id=local.pk, outcome="denied").exists()
    assert not AuditEvent.objects.filter(action="workforce.training_certificate_viewed").exists()


def test_a_colleague_posting_a_completion_for_someone_else_gets_404_and_nothing_changes(
        hr: User, make_user: Callable[..., User], signed_in: Callable[[User], Client]) -> None:
    desk = make_user(Role.FRONT_DESK)
    EmployeeFactory(user=desk)
    other = _assign(hr)
    response = signed_in(desk).post(reverse("workforce:training_complete", args=[other.pk]),
                                    {"completed_on": "2025-01-20", "evidence": SimpleUploadedFile("c.pdf", PDF)})
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.status == TrainingStatus.ASSIGNED
    assert not other.evidence


def test_managers_assign_create_courses_and_switch_the_phi_block(
        hr: User, signed_in: Callable[[User], Client]) -> None:
    client = signed_in(hr)
    response = client.post(reverse("workforce:course_create"), {
        "title": "HIPAA privacy and security", "code": "HIPAA", "recurrence_months": "12", "due_within_days": "30",
        "is_hipaa": "on", "is_active": "on"})
    assert response.status_code == 302
    course = Course.objects.get(code="HIPAA")
    employee = EmployeeFactory()
    response = client.post(reverse("workforce:training_assign"), {"course": course.pk, "employee": employee.pk})
    assert response.status_code == 302
    assert TrainingAssignment.objects.filter(course=course, employee=employee).exists()
    response = client.post(reverse("workforce:training_settings"), {"block_phi_without_hipaa_training": "on"})
    assert response.status_code == 302
    assert WorkforceSettings.objects.get(pk=1).block_phi_without_hipaa_training


def test_a_location_scoped_manager_gets_404_on_the_practice_wide_setting(
        north: Location, make_user: Callable[..., User], signed_in: Callable[[User], Client]) -> None:
    local = make_user(Role.OFFICE_MANAGER, Tier.EXPERIENCED, locations=[north])
    response = signed_in(local).post(reverse("workforce:training_settings"),
                                     {"block_phi_without_hipaa_training": "on"})
    assert response.status_code == 404
    assert not WorkforceSettings.objects.filter(block_phi_without_hipaa_training=True).exists()


# --- API -----------------------------------------------------------------------------------------------------


@pytest.fixture
def api_as() -> Callable[[User], TokenClient]:
    return token_client_for


def test_the_api_lists_what_the_caller_reaches_and_their_own(
        hr: User, north: Location, south: Location, make_user: Callable[..., User],
        api_as: Callable[[User], TokenClient]) -> None:
    here, there = _assign(hr, location=north), _assign(hr, location=south)
    local = make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    body = api_as(local).get(f"{API}/trainings").json()
    assert [row["id"] for row in body["items"]] == [here.pk]
    assert body["items"][0]["overdue"] is True
    assert api_as(local).get(f"{API}/trainings/{there.pk}").status_code == 404
    desk = make_user(Role.FRONT_DESK)
    own = _assign(hr, user=desk)
    assert [row["id"] for row in api_as(desk).get(f"{API}/trainings").json()["items"]] == [own.pk]


def test_the_api_assigns_and_moves_due_dates_for_managers_only(
        hr: User, make_user: Callable[..., User], api_as: Callable[[User], TokenClient]) -> None:
    course, employee = CourseFactory(due_within_days=10), EmployeeFactory()
    created = api_as(hr).post(f"{API}/trainings", {"employee_id": employee.pk, "course_id": course.pk})
    assert created.status_code == 201, created.content
    training_id = created.json()["id"]
    again = api_as(hr).post(f"{API}/trainings", {"employee_id": employee.pk, "course_id": course.pk})
    assert again.status_code == 422
    moved = api_as(hr).patch(f"{API}/trainings/{training_id}", {"due_on": "2099-01-01"})
    assert moved.status_code == 200
    assert moved.json()["due_on"] == "2099-01-01"
    viewer = make_user(Role.OFFICE_MANAGER, Tier.MID)
    assert api_as(viewer).patch(f"{API}/trainings/{training_id}", {"due_on": "2100-01-01"}).status_code == 404
    assert api_as(viewer).post(f"{API}/trainings", {"employee_id": employee.pk,
                                                    "course_id": CourseFactory().pk}).status_code == 404
    assert TrainingAssignment.objects.get(pk=training_id).due_on == dt.date(2099, 1, 1)
    assert TrainingAssignment.objects.count() == 1
