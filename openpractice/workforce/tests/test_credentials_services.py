"""Credential services: catalog, adding, verification, renewal chains, evidence files, and refusals that
change nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.workforce.models import CredentialAlert, CredentialType, Employee, EmployeeCredential
from openpractice.workforce.selectors.credentials import renewal_chain
from openpractice.workforce.services import credentials as services

from .factories import EmployeeCredentialFactory, EmployeeFactory
from .factories_credentials import pdf_upload, text_upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def hr(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.HR, locations=[north], username="hr", email="hr@example.com")


@pytest.fixture
def nurse_user(make_user: Callable[..., User]) -> User:
    return make_user(Role.CLINICAL_STAFF, username="nurse", email="nurse@example.com")


@pytest.fixture
def nurse(nurse_user: User, north: Location) -> Employee:
    return EmployeeFactory(user=nurse_user, location=north, first_name="Nina")


def rn() -> CredentialType:
    return CredentialType.objects.get(code="RN")


def snapshot() -> list[tuple[Any, ...]]:
    return list(EmployeeCredential.objects.order_by("pk").values_list(
        "pk", "number", "issued_on", "expires_on", "verified_at", "replaces_id", "evidence"))


def test_catalog_is_seeded_with_issuers() -> None:
    codes = set(CredentialType.objects.values_list("code", flat=True))
    assert {"CEHRS", "CMM", "CMPE", "CPPM", "CAP", "MOS", "PACE", "MD-DO", "RN", "LPN", "DEA", "BLS"} <= codes
    assert CredentialType.objects.get(code="CMPE").issuer.startswith("American College of Medical Practice")
    assert CredentialType.objects.get(code="RN").required_to_see_patients


def test_catalog_managed_by_hr_only(hr: User, make_user: Callable[..., User]) -> None:
    created = services.credential_type_create(actor=hr, data={
        "code": "CPC", "name": "Certified Professional Coder", "issuer": "AAPC", "kind": "certification",
        "renewal_months": 12})
    services.credential_type_update(actor=hr, credential_type=created, data={"renewal_months": 24})
    assert CredentialType.objects.get(code="CPC").renewal_months == 24
    biller = make_user(Role.BILLER, username="biller")
    with pytest.raises(PermissionDenied):
        services.credential_type_update(actor=biller, credential_type=created, data={"renewal_months": 1})
    assert CredentialType.objects.get(code="CPC").renewal_months == 24
    assert AuditEvent.objects.filter(action="credential_types.update", outcome="denied", actor=biller).exists()


def test_add_with_default_expiry_and_verification(hr: User, nurse: Employee, media: Path) -> None:
    credential = services.credential_add(
        actor=hr, employee=nurse, data={"credential_type": rn(), "number": "RN123", "state": "OH",
                                        "issued_on": dt.date(2025, 2, 1)},
        evidence=pdf_upload(), verification_method="document", verification_note="Board look-up")
    credential.refresh_from_db()
    assert credential.expires_on == dt.date(2027, 2, 1)  # RN renews every 24 months
    assert credential.verified_by == hr
    assert credential.verified_at is not None
    assert credential.verification_method == "document"
    stored = Path(credential.evidence.path)
    assert stored.is_file()
    assert stored.suffix == ".pdf"
    assert media in stored.parents
    assert "licence" not in stored.name  # the client's file name is not used
    assert not str(stored).startswith(str(settings.STATIC_ROOT))
    assert AuditEvent.objects.filter(action="credentials.added", object_id=str(credential.pk)).exists()


def test_evidence_type_and_size_are_checked(hr: User, nurse: Employee, media: Path, settings: Any) -> None:
    with pytest.raises(ValidationError) as error:
        services.credential_add(actor=hr, employee=nurse, data={"credential_type": rn(), "number": "X"},
                                evidence=text_upload())
    assert "evidence" in error.value.message_dict
    monkey_limit = services.EVIDENCE_MAX_BYTES
    try:
        services.EVIDENCE_MAX_BYTES = 10
        with pytest.raises(ValidationError):
            services.credential_add(actor=hr, employee=nurse, data={"credential_type": rn(), "number": "X"},
                                    evidence=pdf_upload())
    finally:
        services.EVIDENCE_MAX_BYTES = monkey_limit
    assert not EmployeeCredential.objects.exists()
    assert not media.exists() or not any(path.is_file() for path in media.rglob("*"))


def test_verifying_from_a_copy_needs_the_copy(hr: User, nurse: Employee) -> None:
    credential = EmployeeCredentialFactory(employee=nurse, credential_type=rn(), added_by=hr)
    with pytest.raises(ValidationError):
        services.credential_verify(actor=hr, credential=credential, method="document")
    services.credential_verify(actor=hr, credential=credential, method="primary_source", note="Nursys")
    credential.refresh_from_db()
    assert credential.verification_method == "primary_source"
    assert credential.verified_by == hr


def test_nobody_verifies_their_own(make_user: Callable[..., User], north: Location) -> None:
    hr_user = make_user(Role.HR, username="hr2")
    own = EmployeeFactory(user=hr_user, location=north)
    credential = EmployeeCredentialFactory(employee=own, added_by=hr_user)
    with pytest.raises(ValidationError):
        services.credential_verify(actor=hr_user, credential=credential, method="primary_source")
    credential.refresh_from_db()
    assert credential.verified_at is None


def test_refusals_change_nothing_and_are_audited(hr: User, nurse: Employee, nurse_user: User, south: Location,
                                                 make_user: Callable[..., User]) -> None:
    credential = EmployeeCredentialFactory(employee=nurse, credential_type=rn(), added_by=hr)
    other = EmployeeFactory(location=south)
    office_entry = make_user(Role.OFFICE_MANAGER, Tier.ENTRY, username="om")
    before = snapshot()
    attempts = [
        # HR for the north clinic only: a south employee is out of reach.
        lambda: services.credential_add(actor=hr, employee=other, data={"credential_type": rn(), "number": "1"}),
        # An employee cannot add, correct or verify their own credentials.
        lambda: services.credential_add(actor=nurse_user, employee=nurse,
                                        data={"credential_type": rn(), "number": "2"}),
        lambda: services.credential_update(actor=nurse_user, credential=credential, data={"number": "HACK"}),
        lambda: services.credential_verify(actor=nurse_user, credential=credential, method="other"),
        # Office manager entry has no HR rights, nor a renewal of someone else's.
        lambda: services.credential_update(actor=office_entry, credential=credential, data={"number": "HACK"}),
        lambda: services.credential_renew(actor=office_entry, credential=credential,
                                          data={"issued_on": dt.date(2026, 12, 1)}, evidence=pdf_upload()),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    assert snapshot() == before
    assert AuditEvent.objects.filter(outcome="denied", action__startswith="credentials.").count() == len(attempts)


def test_self_service_renewal_chain(hr: User, nurse: Employee, nurse_user: User) -> None:
    first = EmployeeCredentialFactory(employee=nurse, credential_type=rn(), number="RN1", added_by=hr,
                                      issued_on=dt.date(2023, 1, 1), expires_on=dt.date(2025, 1, 1))
    with pytest.raises(ValidationError):  # the employee must send the copy
        services.credential_renew(actor=nurse_user, credential=first, data={"issued_on": dt.date(2025, 1, 1)})
    second = services.credential_renew(actor=nurse_user, credential=first, data={"issued_on": dt.date(2025, 1, 1)},
                                       evidence=pdf_upload())
    second.refresh_from_db()
    assert second.replaces == first
    assert second.number == "RN1"
    assert second.expires_on == dt.date(2027, 1, 1)
    assert second.verified_at is None
    assert second.added_by == nurse_user
    with pytest.raises(ValidationError):  # renew the newest one, not the replaced one
        services.credential_renew(actor=hr, credential=first, data={"issued_on": dt.date(2025, 2, 1)})
    third = services.credential_renew(actor=hr, credential=second,
                                      data={"issued_on": dt.date(2027, 1, 1), "number": "RN2"})
    assert [row.pk for row in renewal_chain(second)] == [third.pk, second.pk, first.pk]
    assert [row.pk for row in renewal_chain(first)] == [third.pk, second.pk, first.pk]
    services.credential_verify(actor=hr, credential=second, method="document")
    second.refresh_from_db()
    assert second.verified_by == hr
    assert AuditEvent.objects.filter(action="credentials.renewed", reason="self-service").count() == 1


def test_correction_clears_verification_and_forgets_alerts(hr: User, nurse: Employee) -> None:
    credential = EmployeeCredentialFactory(employee=nurse, credential_type=rn(), added_by=hr)
    services.credential_verify(actor=hr, credential=credential, method="primary_source")
    CredentialAlert.objects.create(credential=credential, days_before=90)
    services.credential_update(actor=hr, credential=credential, data={"expires_on": dt.date(2028, 1, 1)})
    credential.refresh_from_db()
    assert credential.verified_at is None
    assert credential.verification_method == ""
    assert not CredentialAlert.objects.filter(credential=credential).exists()
    with pytest.raises(ValidationError):  # dates out of order
        services.credential_update(actor=hr, credential=credential, data={"issued_on": dt.date(2029, 1, 1)})
    credential.refresh_from_db()
    assert credential.issued_on == dt.date(2025, 1, 1)
