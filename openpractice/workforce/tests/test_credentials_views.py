"""Credential pages and the /api/v1/credentials router: self-service renewal with upload, HR pages, the evidence
download behind the permission check, the expiring dashboard, and denials that change nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.accounts.tests.factories import sign_in
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.workforce.models import CredentialType, Employee, EmployeeCredential

from .factories import EmployeeCredentialFactory, EmployeeFactory
from .factories_credentials import PDF_BYTES, pdf_upload, text_upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "uploads"


@pytest.fixture
def hr(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.HR, locations=[north], username="hr")


@pytest.fixture
def nurse_user(make_user: Callable[..., User]) -> User:
    return make_user(Role.CLINICAL_STAFF, username="nurse")


@pytest.fixture
def nurse(nurse_user: User, north: Location) -> Employee:
    return EmployeeFactory(user=nurse_user, location=north)


@pytest.fixture
def licence(nurse: Employee, hr: User) -> EmployeeCredential:
    return EmployeeCredentialFactory(employee=nurse, credential_type=CredentialType.objects.get(code="RN"),
                                     added_by=hr, expires_on=practice_today() + dt.timedelta(days=40))


def client_for(user: User) -> Client:
    return sign_in(Client(), user)


def test_employee_renews_own_credential_on_the_web(nurse_user: User, licence: EmployeeCredential) -> None:
    client = client_for(nurse_user)
    page = client.get(reverse("workforce:my_credentials"))
    assert page.status_code == 200
    assert b"RN" in page.content
    url = reverse("workforce:credential_renew", kwargs={"pk": licence.pk})
    refused = client.post(url, {"issued_on": "2026-12-01", "evidence": text_upload()})
    assert refused.status_code == 400
    assert not EmployeeCredential.objects.filter(replaces=licence).exists()
    response = client.post(url, {"issued_on": "2026-12-01", "evidence": pdf_upload()})
    renewal = EmployeeCredential.objects.get(replaces=licence)
    assert response.status_code == 302
    assert renewal.verified_at is None
    detail = client.get(reverse("workforce:credential_detail", kwargs={"pk": renewal.pk}))
    assert detail.status_code == 200
    assert b"Not verified" in detail.content
    download = client.get(reverse("workforce:credential_evidence", kwargs={"pk": renewal.pk}))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == PDF_BYTES  # type: ignore[attr-defined]
    # Verification is HR's, not the employee's.
    assert client.get(reverse("workforce:credential_verify", kwargs={"pk": renewal.pk})).status_code == 404


def test_other_peoples_credentials_are_404_and_audited(make_user: Callable[..., User], south: Location,
                                                       licence: EmployeeCredential) -> None:
    stranger = make_user(Role.CLINICAL_STAFF, username="stranger")
    EmployeeFactory(user=stranger, location=south)
    client = client_for(stranger)
    before = list(EmployeeCredential.objects.values_list("pk", "number", "verified_at"))
    for name in ("credential_detail", "credential_evidence", "credential_renew"):
        assert client.get(reverse(f"workforce:{name}", kwargs={"pk": licence.pk})).status_code == 404
    response = client.post(reverse("workforce:credential_renew", kwargs={"pk": licence.pk}),
                           {"issued_on": "2026-12-01", "evidence": pdf_upload()})
    assert response.status_code == 404
    assert client.get(reverse("workforce:employee_credentials",
                              kwargs={"employee_pk": licence.employee_id})).status_code == 404
    assert client.get(reverse("workforce:credential_expiring")).status_code == 404
    assert list(EmployeeCredential.objects.values_list("pk", "number", "verified_at")) == before
    assert AuditEvent.objects.filter(actor=stranger, outcome="denied").count() >= 6


def test_hr_pages_add_verify_and_dashboard(hr: User, nurse: Employee, licence: EmployeeCredential) -> None:
    client = client_for(hr)
    for name, kwargs in [("credential_type_list", {}), ("credential_type_create", {}),
                         ("credential_type_edit", {"pk": licence.credential_type_id}),
                         ("employee_credentials", {"employee_pk": nurse.pk}),
                         ("credential_add", {"employee_pk": nurse.pk}), ("credential_edit", {"pk": licence.pk}),
                         ("credential_verify", {"pk": licence.pk})]:
        assert client.get(reverse(f"workforce:{name}", kwargs=kwargs)).status_code == 200, name
    dashboard = client.get(reverse("workforce:credential_expiring"))
    assert dashboard.status_code == 200
    assert b"40 days left" in dashboard.content
    response = client.post(reverse("workforce:credential_add", kwargs={"employee_pk": nurse.pk}), {
        "credential_type": CredentialType.objects.get(code="BLS").pk, "number": "BLS-9", "issued_on": "2025-05-01",
        "verification_method": "document", "evidence": pdf_upload()})
    assert response.status_code == 302
    added = EmployeeCredential.objects.get(number="BLS-9")
    assert added.verified_by == hr
    assert added.expires_on == dt.date(2027, 5, 1)
    response = client.post(reverse("workforce:credential_verify", kwargs={"pk": licence.pk}),
                           {"verification_method": "primary_source", "verification_note": "Nursys"})
    licence.refresh_from_db()
    assert response.status_code == 302
    assert licence.verification_note == "Nursys"


def test_api_list_read_create_update(hr: User, nurse_user: User, nurse: Employee, licence: EmployeeCredential,
                                     make_user: Callable[..., User], south: Location) -> None:
    hr_client = client_for(hr)
    listed = hr_client.get("/api/v1/credentials?expiring_within_days=60").json()
    assert listed["count"] == 1
    assert listed["items"][0]["credential_type"] == "RN"
    own = client_for(nurse_user).get(f"/api/v1/credentials/{licence.pk}")
    assert own.status_code == 200
    assert own.json()["verified"] is False
    created = hr_client.post("/api/v1/credentials", {
        "employee_id": nurse.pk, "credential_type": "bls", "number": "B1", "issued_on": "2025-01-10"},
        content_type="application/json")
    assert created.status_code == 201
    assert created.json()["expires_on"] == "2027-01-10"
    patched = hr_client.patch(f"/api/v1/credentials/{licence.pk}", {"number": "RN-NEW"},
                              content_type="application/json")
    assert patched.status_code == 200
    assert patched.json()["number"] == "RN-NEW"
    # The employee may read, not write; HR of another clinic reaches nothing.
    before = list(EmployeeCredential.objects.order_by("pk").values_list("pk", "number"))
    denied = client_for(nurse_user).patch(f"/api/v1/credentials/{licence.pk}", {"number": "X"},
                                          content_type="application/json")
    assert denied.status_code == 404
    south_hr = make_user(Role.HR, locations=[south], username="hrs")
    assert client_for(south_hr).get(f"/api/v1/credentials/{licence.pk}").status_code == 404
    assert client_for(south_hr).post("/api/v1/credentials", {
        "employee_id": nurse.pk, "credential_type": "BLS"}, content_type="application/json").status_code == 404
    assert list(EmployeeCredential.objects.order_by("pk").values_list("pk", "number")) == before
