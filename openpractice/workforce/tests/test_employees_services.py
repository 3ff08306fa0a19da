"""Employee services: create/update with scope, encrypted SSN and bank details, audited reveals, documents."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.workforce.models import Employee, EmployeeDocument
from openpractice.workforce.selectors import employees as selectors
from openpractice.workforce.services import employees as services

from .factories import EmployeeFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "uploads"


@pytest.fixture
def hr(make_user: Any, north: Any) -> Any:
    return make_user(Role.HR, locations=[north])


def _data(location: Any, **extra: Any) -> dict[str, Any]:
    return {"employee_number": "E90001", "first_name": "Ana", "last_name": "Reyes", "location": location,
            "hire_date": dt.date(2025, 1, 6), **extra}


def test_create_encrypts_sensitive_values_and_audits_field_names_only(hr: Any, north: Any) -> None:
    employee = services.employee_create(actor=hr, data=_data(north, ssn="123456789",
                                                             bank_routing_number="021000021",
                                                             bank_account_number="000123456789"))
    employee.refresh_from_db()
    assert employee.ssn == "123-45-6789"
    assert employee.bank_routing_number == "021000021"
    with connection.cursor() as cursor:
        cursor.execute("SELECT ssn, bank_account_number FROM workforce_employee WHERE id = %s", [employee.pk])
        raw_ssn, raw_account = cursor.fetchone()
    assert "6789" not in raw_ssn
    assert "123456789" not in raw_account
    event = AuditEvent.objects.get(action="workforce.employee_created")
    assert "ssn" in event.changed_fields
    assert "6789" not in str(event.changed_fields) + event.reason


@pytest.mark.parametrize(("field", "value"), [
    ("ssn", "123-45-678"), ("ssn", "000-12-3456"), ("bank_routing_number", "021000022"),
    ("bank_account_number", "12a45"),
])
def test_bad_sensitive_values_are_refused(hr: Any, north: Any, field: str, value: str) -> None:
    with pytest.raises(ValidationError) as error:
        services.employee_create(actor=hr, data=_data(north, **{field: value}))
    assert field in error.value.error_dict
    assert not Employee.objects.exists()


def test_out_of_scope_create_and_update_change_nothing_and_are_audited(hr: Any, north: Any, south: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.employee_create(actor=hr, data=_data(south))
    assert not Employee.objects.exists()
    employee = EmployeeFactory(location=south, first_name="Sam")
    with pytest.raises(PermissionDenied):
        services.employee_update(actor=hr, employee=employee, data={"first_name": "Changed"})
    # Moving someone in scope to a location outside it is refused as well.
    mine = EmployeeFactory(location=north)
    with pytest.raises(PermissionDenied):
        services.employee_update(actor=hr, employee=mine, data={"location": south})
    employee.refresh_from_db()
    mine.refresh_from_db()
    assert employee.first_name == "Sam"
    assert mine.location_id == north.pk
    assert AuditEvent.objects.filter(outcome="denied", action__startswith="workforce.employee_").count() == 3
    assert not AuditEvent.objects.filter(outcome="allowed", action__startswith="workforce.employee_").exists()


def test_view_only_role_may_not_write(make_user: Any, north: Any) -> None:
    office_mid = make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    employee = EmployeeFactory(location=north, last_name="Kept")
    with pytest.raises(PermissionDenied):
        services.employee_update(actor=office_mid, employee=employee, data={"last_name": "Gone"})
    employee.refresh_from_db()
    assert employee.last_name == "Kept"


def test_update_records_changed_fields_and_blocks_manager_cycles(hr: Any, north: Any) -> None:
    boss = EmployeeFactory(location=north)
    worker = EmployeeFactory(location=north, manager=boss)
    services.employee_update(actor=hr, employee=worker, data={"phone": "555-0100", "last_name": worker.last_name})
    event = AuditEvent.objects.get(action="workforce.employee_updated")
    assert event.changed_fields == "phone"
    with pytest.raises(ValidationError):
        services.employee_update(actor=hr, employee=boss, data={"manager": worker})
    boss.refresh_from_db()
    assert boss.manager_id is None


def test_status_cannot_be_set_to_terminated_by_editing(hr: Any, north: Any) -> None:
    employee = EmployeeFactory(location=north)
    with pytest.raises(ValidationError):
        services.employee_update(actor=hr, employee=employee, data={"status": "terminated"})
    employee.refresh_from_db()
    assert employee.status == "active"


def test_sensitive_reveal_only_for_manage_and_audited(hr: Any, make_user: Any, north: Any) -> None:
    employee = EmployeeFactory(location=north, ssn="123-45-6789")
    office_mid = make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    assert selectors.sensitive_reveal(actor=office_mid, employee=employee, field="ssn") is None
    assert not AuditEvent.objects.filter(action="workforce.sensitive_viewed").exists()
    assert selectors.sensitive_reveal(actor=hr, employee=employee, field="ssn") == "123-45-6789"
    event = AuditEvent.objects.get(action="workforce.sensitive_viewed")
    assert event.changed_fields == "ssn"
    assert event.actor_id == hr.pk
    assert services.mask_last4(employee.ssn) == "•••• 6789"


def test_document_upload_checks_type_and_size_and_stores_under_media_root(hr: Any, north: Any, settings: Any) -> None:
    employee = EmployeeFactory(location=north)
    upload = SimpleUploadedFile("contract.exe", PDF, content_type="application/x-msdownload")
    document = services.document_upload(actor=hr, employee=employee, kind="contract", title="Contract",
                                        upload=upload, retain_until=dt.date(2032, 1, 1))
    assert document.content_type == "application/pdf"
    assert document.file.name.endswith(".pdf")
    assert "contract" not in (document.file.name or "")
    assert Path(document.file.path).is_relative_to(Path(settings.MEDIA_ROOT))
    html = SimpleUploadedFile("x.pdf", b"<html><script>alert(1)</script>", content_type="application/pdf")
    with pytest.raises(ValidationError):
        services.document_upload(actor=hr, employee=employee, kind="other", title="Bad", upload=html)
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * services.DOCUMENT_MAX_BYTES, content_type="application/pdf")
    with pytest.raises(ValidationError):
        services.document_upload(actor=hr, employee=employee, kind="other", title="Big", upload=big)
    assert EmployeeDocument.objects.count() == 1


def test_document_kept_until_retention_date(hr: Any, north: Any, django_capture_on_commit_callbacks: Any) -> None:
    employee = EmployeeFactory(location=north)
    upload = SimpleUploadedFile("i9.pdf", PDF)
    document = services.document_upload(actor=hr, employee=employee, kind="i9", title="I-9", upload=upload,
                                        retain_until=dt.date(2999, 1, 1))
    with pytest.raises(ValidationError):
        services.document_delete(actor=hr, document=document)
    assert EmployeeDocument.objects.filter(pk=document.pk).exists()
    EmployeeDocument.objects.filter(pk=document.pk).update(retain_until=dt.date(2000, 1, 1))
    document.refresh_from_db()
    path = Path(document.file.path)
    with django_capture_on_commit_callbacks(execute=True):  # the file goes once the row is gone for good
        services.document_delete(actor=hr, document=document)
    assert not EmployeeDocument.objects.filter(pk=document.pk).exists()
    assert not path.exists()
    assert AuditEvent.objects.filter(action="workforce.document_deleted").exists()
