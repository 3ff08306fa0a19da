"""Employees: the HR record (create, edit), the personnel folder (documents with retention dates) and
termination, which ends the person's system access at once and starts their offboarding checklist.

Who may write: ``workforce.manage`` at the employee's main location (for an employee with no main location, held
for all locations). Refusals are audited (outcome "denied") before any transaction opens, so the denial row stays
while nothing else changes. Every change is audited in its own transaction, with the names of the changed fields
only: SSN and bank details never reach the audit trail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.models import User
from openpractice.accounts.permissions import can, has_all_locations, refuse
from openpractice.accounts.roles import Perm
from openpractice.accounts.selectors import manage_refusal
from openpractice.accounts.services.users import user_deactivate_for_termination
from openpractice.audit.services import record
from openpractice.core.files import read_checked
from openpractice.core.selectors import practice_today

from ..choices import ChecklistKind, DocumentKind, EmployeeStatus
from ..models import Employee, EmployeeDocument

# What the HR record form and the API may set. Status and termination go through employee_terminate.
EMPLOYEE_FIELDS: tuple[str, ...] = (
    "employee_number", "user", "first_name", "last_name", "preferred_name", "email", "personal_email", "phone",
    "date_of_birth", "address_line1", "address_line2", "city", "state", "postal_code", "emergency_contact",
    "position", "position_since", "location", "manager", "employment_type", "flsa_status", "education",
    "hire_date", "pto_hours_per_year",
)
SENSITIVE_FIELDS: tuple[str, ...] = ("ssn", "bank_routing_number", "bank_account_number")
WRITABLE_FIELDS: tuple[str, ...] = (*EMPLOYEE_FIELDS, *SENSITIVE_FIELDS, "status")

DOCUMENT_MAX_BYTES = 10 * 1024 * 1024


# --- permission ----------------------------------------------------------------------------------------------


def may_manage(actor: Any, location_id: int | None) -> bool:
    """workforce.manage where the employee works; an employee with no main location needs it everywhere."""
    if location_id is None:
        return has_all_locations(actor, Perm.WORKFORCE_MANAGE)
    return can(actor, Perm.WORKFORCE_MANAGE, location_id)


def _authorize(*, actor: Any, action: str, location_ids: list[int | None], target: Model | None = None) -> None:
    for location_id in location_ids:
        if not may_manage(actor, location_id):
            raise refuse(actor=actor, permission=Perm.WORKFORCE_MANAGE, action=action, target=target)


def _fk_id(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return value.pk if isinstance(value, Model) else int(value)


# --- sensitive values ----------------------------------------------------------------------------------------


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def _aba_checksum_ok(digits: str) -> bool:
    weights = (3, 7, 1) * 3
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 10 == 0


def _clean_sensitive(name: str, value: str) -> str:
    """Normalised SSN / routing / account number, or ValidationError on that field. Empty clears it."""
    value = (value or "").strip()
    if not value:
        return ""
    digits = _digits(value)
    if name == "ssn":
        if len(digits) != 9 or len(value) > 11 or digits[:3] in ("000", "666") or digits[0] == "9" \
                or digits[3:5] == "00" or digits[5:] == "0000":
            raise ValidationError({"ssn": _("Enter a valid SSN (123-45-6789).")}, code="ssn")
        return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"
    if name == "bank_routing_number":
        if len(digits) != 9 or digits != value or not _aba_checksum_ok(digits):
            raise ValidationError({name: _("Enter the bank's 9-digit ABA routing number.")}, code="routing")
        return digits
    if len(digits) < 4 or len(digits) > 17 or digits != value:
        raise ValidationError({name: _("Enter the account number: 4 to 17 digits.")}, code="account")
    return digits


def mask_last4(value: str) -> str:
    """"•••• 6789" for a stored sensitive value, "" when none is stored."""
    digits = _digits(value or "")
    return f"•••• {digits[-4:]}" if digits else ""


# --- create and edit -----------------------------------------------------------------------------------------


def _check_keys(data: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError(_("Unknown or read-only field(s): %(fields)s.") % {"fields": ", ".join(unknown)},
                              code="unknown_field")


def _apply(employee: Employee, data: Mapping[str, Any]) -> list[str]:
    """Set `data` on `employee`; the names of the fields whose value really changed."""
    changed: list[str] = []
    for name, value in data.items():
        field = employee._meta.get_field(name)
        if name in SENSITIVE_FIELDS:
            value = _clean_sensitive(name, value)
        elif isinstance(value, str):
            value = value.strip()
        if field.is_relation:
            attname = field.attname  # type: ignore[union-attr]
            new_id = _fk_id(value)
            if getattr(employee, attname) != new_id:
                setattr(employee, attname, new_id)
                changed.append(name)
        elif getattr(employee, name) != value:
            setattr(employee, name, value)
            changed.append(name)
    return changed


def _check_manager(employee: Employee) -> None:
    """No one manages themselves, directly or through a chain of managers."""
    seen: set[int] = set()
    manager_id = employee.manager_id
    while manager_id is not None:
        if manager_id == employee.pk or manager_id in seen:
            raise ValidationError({"manager": _("This manager would make a circle of managers.")}, code="cycle")
        seen.add(manager_id)
        manager_id = Employee.objects.filter(pk=manager_id).values_list("manager_id", flat=True).first()


def _check_account_link(actor: Any, employee: Employee, data: Mapping[str, Any]) -> None:
    """Linking an OpenPractice account to an HR record needs the authority to manage that account
    (users.manage over all its roles): terminating the record deactivates the account, so HR must not be able
    to reach accounts by linking them. Checked before any transaction, so the refusal's audit event stays."""
    if "user" not in data:
        return
    user_id = _fk_id(data["user"])
    if user_id is None or user_id == employee.user_id:
        return
    reason = manage_refusal(actor=actor, user=User.objects.filter(pk=user_id).first())
    if reason:
        raise refuse(actor=actor, permission=Perm.USERS_MANAGE, action="workforce.employee_link_user",
                     target=employee if employee.pk else None, reason=reason)


def _validate_and_save(employee: Employee, *, create: bool, changed: list[str]) -> None:
    if employee.status == EmployeeStatus.TERMINATED and "status" in changed:
        raise ValidationError({"status": _("Terminate an employee with “Terminate”, which also ends their "
                                           "system access.")}, code="terminate_separately")
    employee.full_clean()
    _check_manager(employee)
    try:
        with transaction.atomic():
            if create:
                employee.save(force_insert=True)
            else:
                employee.save(update_fields=[*changed, "updated_at"])
    except IntegrityError as error:
        raise ValidationError(_("Another employee already has this number or this user account."),
                              code="duplicate") from error


def employee_create(*, actor: Any, data: Mapping[str, Any]) -> Employee:
    """A new HR record (status active unless `data` says on leave)."""
    _check_keys(data, WRITABLE_FIELDS)
    _authorize(actor=actor, action="workforce.employee_create", location_ids=[_fk_id(data.get("location"))])
    employee = Employee()
    _check_account_link(actor, employee, data)
    changed = _apply(employee, data)
    with transaction.atomic():
        _validate_and_save(employee, create=True, changed=changed)
        record(actor=actor, action="workforce.employee_created", target=employee, location_id=employee.location_id,
               changed_fields=changed)
    return employee


def employee_update(*, actor: Any, employee: Employee, data: Mapping[str, Any]) -> Employee:
    """Change the fields in `data`. Moving someone to another location needs the permission at both."""
    _check_keys(data, WRITABLE_FIELDS)
    locations = [employee.location_id]
    if "location" in data:
        locations.append(_fk_id(data["location"]))
    _authorize(actor=actor, action="workforce.employee_update", location_ids=locations, target=employee)
    _check_account_link(actor, employee, data)
    with transaction.atomic():
        current = Employee.objects.select_for_update().get(pk=employee.pk)
        if current.location_id != employee.location_id:
            # Moved meanwhile: the check above was made for the old location.
            raise PermissionDenied(_("This record changed meanwhile; open it again."))
        changed = _apply(current, data)
        if changed:
            _validate_and_save(current, create=False, changed=changed)
            record(actor=actor, action="workforce.employee_updated", target=current,
                   location_id=current.location_id, changed_fields=changed)
    return current


# --- termination ---------------------------------------------------------------------------------------------


def _revoke_access(*, actor: Any, employee: Employee) -> str:
    """End the linked account's access now (inactive, sessions deleted, tokens and invitations revoked) on HR's
    authority, through accounts; the practice keeps at least one administrator."""
    if employee.user_id is None:
        return "no user account"
    user = User.objects.get(pk=employee.user_id)
    if user.deactivated_at is not None and not user.is_active:
        return "user account already deactivated"
    user_deactivate_for_termination(actor=actor, user=user)
    return "user account deactivated, sessions ended"


def employee_terminate(*, actor: Any, employee: Employee, termination_date: dt.date, reason: str) -> Employee:
    """Terminate: status, date and reason set; the person's OpenPractice account deactivated at once (all their
    sessions end); the offboarding checklist started (from the position's template, else the general one)."""
    from .onboarding import start_checklist_locked  # the onboarding module imports this one's permission rule

    _authorize(actor=actor, action="workforce.employee_terminate", location_ids=[employee.location_id],
               target=employee)
    if employee.user_id is not None and employee.user_id == getattr(actor, "pk", None):
        raise ValidationError(_("You cannot terminate your own employment record."), code="self")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"termination_reason": _("Give the reason for the termination.")}, code="reason")
    with transaction.atomic():
        current = Employee.objects.select_for_update().get(pk=employee.pk)
        if current.status == EmployeeStatus.TERMINATED:
            raise ValidationError(_("This employee is already terminated."), code="terminated")
        if termination_date < current.hire_date:
            raise ValidationError({"termination_date": _("The termination date is before the hire date.")},
                                  code="before_hire")
        current.status = EmployeeStatus.TERMINATED
        current.termination_date = termination_date
        current.termination_reason = reason
        current.full_clean()
        current.save(update_fields=["status", "termination_date", "termination_reason", "updated_at"])
        access = _revoke_access(actor=actor, employee=current)
        checklist = start_checklist_locked(actor=actor, employee=current, kind=ChecklistKind.OFFBOARDING,
                                           starts_on=termination_date)
        record(actor=actor, action="workforce.employee_terminated", target=current, location_id=current.location_id,
               changed_fields=["status", "termination_date", "termination_reason"],
               reason=f"{access}; offboarding " + (f"checklist {checklist.pk}" if checklist else "template missing"))
    return current


# --- documents -----------------------------------------------------------------------------------------------


def document_upload(*, actor: Any, employee: Employee, kind: str, title: str, upload: UploadedFile,
                    retain_until: dt.date | None = None) -> EmployeeDocument:
    """File a document in the personnel folder. The type comes from the bytes, the stored name is random, and
    the file lives under MEDIA_ROOT (outside the web root), served only by the permission-checked download."""
    _authorize(actor=actor, action="workforce.document_upload", location_ids=[employee.location_id],
               target=employee)
    if kind not in DocumentKind.values:
        raise ValidationError({"kind": _("Choose the kind of document.")}, code="kind")
    checked = read_checked(upload, field="file", max_bytes=DOCUMENT_MAX_BYTES,
                           type_message=_("Upload a PDF, PNG or JPEG file."))
    document = EmployeeDocument(employee=employee, kind=kind, title=(title or "").strip(),
                                content_type=checked.content_type, size=len(checked.content),
                                retain_until=retain_until, uploaded_by=actor, uploaded_at=timezone.now())
    document.full_clean(exclude=["file"])
    document.file.save(checked.random_name(), ContentFile(checked.content), save=False)
    try:
        with transaction.atomic():
            document.save(force_insert=True)
            record(actor=actor, action="workforce.document_uploaded", target=document,
                   location_id=employee.location_id, changed_fields=[f"document.{kind}"])
    except Exception:
        document.file.delete(save=False)  # no orphan file when the row could not be written
        raise
    return document


def document_delete(*, actor: Any, document: EmployeeDocument) -> None:
    """Remove a document whose retention date has passed (one without a date may go at any time)."""
    employee = document.employee
    _authorize(actor=actor, action="workforce.document_delete", location_ids=[employee.location_id],
               target=document)
    today = practice_today()
    if document.retain_until is not None and document.retain_until >= today:
        raise ValidationError(_("This document must be kept until %(date)s.")
                              % {"date": document.retain_until.isoformat()}, code="retained")
    name = document.file.name
    with transaction.atomic():
        record(actor=actor, action="workforce.document_deleted", target=document, location_id=employee.location_id,
               changed_fields=[f"document.{document.kind}"])
        document.delete()
    transaction.on_commit(lambda: document.file.storage.delete(name) if name else None)
