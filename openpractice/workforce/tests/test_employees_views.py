"""Employee pages: list (search, status, flat query count), record with masked values, audited reveal,
documents served only to those allowed, termination through the page, My profile."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import UserFactory, sign_in
from openpractice.audit.models import AuditEvent
from openpractice.workforce.models import Employee
from openpractice.workforce.services import employees as services

from .factories import EmployeeFactory, PositionFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "uploads"


@pytest.fixture
def hr(make_user: Any, north: Any) -> Any:
    return make_user(Role.HR, locations=[north])


def _list_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("workforce:employee_list"))
    assert response.status_code == 200
    return len(queries)


def test_list_search_status_and_flat_query_count(hr: Any, north: Any, south: Any) -> None:
    client = sign_in(Client(), hr)
    boss = EmployeeFactory(location=north, last_name="Boss", position=PositionFactory())
    EmployeeFactory(location=north, last_name="Quincy", manager=boss, position=PositionFactory())
    EmployeeFactory(location=south, last_name="Elsewhere")
    EmployeeFactory(location=north, last_name="Gone", status="terminated", termination_date=dt.date(2025, 1, 1))
    page = client.get(reverse("workforce:employee_list")).content.decode()
    assert "Quincy" in page
    assert "Boss" in page
    assert "Elsewhere" not in page
    assert "Gone" not in page
    page = client.get(reverse("workforce:employee_list"), {"q": "quin"}).content.decode()
    assert "Quincy" in page
    assert "Boss, " not in page
    page = client.get(reverse("workforce:employee_list"), {"status": "terminated"}).content.decode()
    assert "Gone" in page
    assert "Quincy" not in page
    few = _list_queries(client)
    for n in range(20):
        EmployeeFactory(location=north, manager=boss, position=PositionFactory(), last_name=f"Extra{n}")
    assert _list_queries(client) == few


def test_list_and_record_need_view(make_user: Any, north: Any) -> None:
    front = make_user(Role.FRONT_DESK, locations=[north])
    employee = EmployeeFactory(location=north)
    client = sign_in(Client(), front)
    assert client.get(reverse("workforce:employee_list")).status_code == 404
    assert client.get(reverse("workforce:employee_detail", args=[employee.pk])).status_code == 404
    assert AuditEvent.objects.filter(outcome="denied", action="access.denied").count() == 2


def test_record_masks_sensitive_values_for_view_only(make_user: Any, north: Any) -> None:
    employee = EmployeeFactory(location=north, ssn="123-45-6789", bank_account_number="000123456789")
    office_mid = make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    client = sign_in(Client(), office_mid)
    page = client.get(reverse("workforce:employee_detail", args=[employee.pk])).content.decode()
    assert "6789" in page
    assert "123-45-6789" not in page
    assert "000123456789" not in page
    assert reverse("workforce:employee_sensitive", args=[employee.pk, "ssn"]) not in page
    response = client.post(reverse("workforce:employee_sensitive", args=[employee.pk, "ssn"]))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="workforce.sensitive_viewed").exists()


def test_reveal_for_manage_is_audited(hr: Any, north: Any) -> None:
    employee = EmployeeFactory(location=north, ssn="123-45-6789")
    client = sign_in(Client(), hr)
    assert client.get(reverse("workforce:employee_sensitive", args=[employee.pk, "ssn"])).status_code == 405
    response = client.post(reverse("workforce:employee_sensitive", args=[employee.pk, "ssn"]))
    assert response.status_code == 200
    assert "123-45-6789" in response.content.decode()
    assert response["Cache-Control"] == "private, no-store"
    assert AuditEvent.objects.filter(action="workforce.sensitive_viewed", actor_id=hr.pk).count() == 1


def test_create_and_edit_through_the_form(hr: Any, north: Any) -> None:
    client = sign_in(Client(), hr)
    response = client.post(reverse("workforce:employee_create"), {
        "employee_number": "E777", "first_name": "Lee", "last_name": "Park", "location": north.pk,
        "hire_date": "2025-02-03", "employment_type": "full_time", "flsa_status": "non_exempt",
        "education": "none", "pto_hours_per_year": "80", "status": "active", "ssn": "123-45-6789",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    employee = Employee.objects.get(employee_number="E777")
    assert employee.ssn == "123-45-6789"
    edit = client.get(reverse("workforce:employee_edit", args=[employee.pk])).content.decode()
    assert "123-45-6789" not in edit
    response = client.post(reverse("workforce:employee_edit", args=[employee.pk]), {
        "employee_number": "E777", "first_name": "Lee", "last_name": "Parker", "location": north.pk,
        "hire_date": "2025-02-03", "employment_type": "full_time", "flsa_status": "non_exempt",
        "education": "none", "pto_hours_per_year": "80", "status": "active", "ssn": "",
    })
    assert response.status_code == 302
    employee.refresh_from_db()
    assert employee.last_name == "Parker"
    assert employee.ssn == "123-45-6789"


def test_documents_served_to_hr_and_the_employee_only(hr: Any, north: Any, make_user: Any) -> None:
    person = UserFactory()
    employee = EmployeeFactory(location=north, user=person)
    document = services.document_upload(actor=hr, employee=employee, kind="w4", title="W-4",
                                        upload=SimpleUploadedFile("w4.pdf", PDF))
    url = reverse("workforce:employee_document_download", args=[document.pk])
    response = sign_in(Client(), hr).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert sign_in(Client(), person).get(url).status_code == 200
    stranger = make_user(Role.FRONT_DESK, locations=[north])
    assert sign_in(Client(), stranger).get(url).status_code == 404
    assert AuditEvent.objects.filter(action="workforce.document_viewed").count() == 2
    assert AuditEvent.objects.filter(action="access.denied", object_id=str(document.pk)).exists()
    # Upload through the page: wrong type answers 400 and files nothing.
    client = sign_in(Client(), hr)
    response = client.post(reverse("workforce:employee_document_upload", args=[employee.pk]), {
        "kind": "other", "title": "Script", "file": SimpleUploadedFile("x.pdf", b"<script>")})
    assert response.status_code == 400
    assert employee.documents.count() == 1


def test_terminate_page_ends_the_leavers_session(hr: Any, north: Any) -> None:
    person = UserFactory()
    employee = EmployeeFactory(location=north, user=person)
    leaver = sign_in(Client(), person)
    assert leaver.get(reverse("workforce:my_profile")).status_code == 200
    client = sign_in(Client(), hr)
    response = client.post(reverse("workforce:employee_terminate", args=[employee.pk]), {
        "termination_date": "2025-06-30", "termination_reason": "Resigned", "confirm": "on"})
    assert response.status_code == 302
    assert leaver.get(reverse("workforce:my_profile")).status_code == 302
    assert AuditEvent.objects.filter(action="workforce.employee_terminated").exists()


def test_my_profile_shows_own_record_masked(north: Any) -> None:
    person = UserFactory()
    EmployeeFactory(location=north, user=person, last_name="Selfie", ssn="123-45-6789")
    EmployeeFactory(location=north, last_name="Otherone")
    page = sign_in(Client(), person).get(reverse("workforce:my_profile")).content.decode()
    assert "Selfie" in page
    assert "6789" in page
    assert "123-45-6789" not in page
    assert "Otherone" not in page
    # Without an HR permission, the person's own record is not an HR page for them.
    own = Employee.objects.get(user=person)
    assert sign_in(Client(), person).get(reverse("workforce:employee_detail", args=[own.pk])).status_code == 404
