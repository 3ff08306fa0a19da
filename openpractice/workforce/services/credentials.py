"""Writes to the credential catalog and to employees' credentials; verification, renewals, evidence files, the
expiry alerts, and the booking check for providers whose licence has lapsed.

Permission is checked here as well as in the views (the API cannot skip it); a refusal is audited BEFORE any
write transaction opens, so the audit row is not rolled back with it. HR (workforce.manage over the employee's
location) adds, corrects and verifies credentials; an employee may upload a renewal of their own credential,
which stays unverified until someone else with that permission verifies it.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import smtplib
from collections.abc import Mapping
from typing import Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Model, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.models import User
from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm, Role
from openpractice.audit.services import record, record_denied
from openpractice.core.files import CONTENT_TYPES, read_checked
from openpractice.core.selectors import practice_today
from openpractice.scheduling.booking_checks import BookingIssue

from ..choices import EmployeeStatus, VerificationMethod
from ..models import CredentialAlert, CredentialType, Employee, EmployeeCredential, WorkforceSettings
from ..selectors.credentials import alert_candidates, provider_lapsed_licences
from ..selectors.scope import employees_scoped

logger = logging.getLogger(__name__)

TYPE_FIELDS: tuple[str, ...] = (
    "code", "name", "issuer", "kind", "renewal_months", "required_to_see_patients", "is_active",
)
CREDENTIAL_FIELDS: tuple[str, ...] = ("credential_type", "number", "state", "issued_on", "expires_on")
RENEWAL_FIELDS: tuple[str, ...] = ("number", "state", "issued_on", "expires_on")
# A change to any of these makes an earlier verification meaningless.
VERIFIED_FIELDS: frozenset[str] = frozenset({"credential_type", "number", "state", "issued_on", "expires_on"})

EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EXPIRED_THRESHOLD = 0  # CredentialAlert.days_before of the alert sent once the credential has expired


# --- helpers -------------------------------------------------------------------------------------------------


def _refuse(*, actor: Any, permission: str, action: str, target: Model | None = None) -> PermissionDenied:
    record_denied(actor=actor, action=action,
                  object_type=target._meta.label_lower if target is not None else "",
                  object_id=str(target.pk) if target is not None and target.pk else "",
                  reason=f"{permission} required")
    return PermissionDenied(_("You may not make this change."))


def reaches(actor: Any, permission: str, employee: Employee) -> bool:
    """Whether `actor` holds `permission` over this employee (not counting their own record)."""
    return employees_scoped(actor=actor, permission=permission, include_self=False).filter(pk=employee.pk).exists()


def is_own(actor: Any, employee: Employee) -> bool:
    return bool(getattr(actor, "is_authenticated", False)) and employee.user_id == actor.pk


def _authorize_employee(*, actor: Any, employee: Employee, action: str, target: Model | None = None) -> None:
    if not reaches(actor, Perm.WORKFORCE_MANAGE, employee):
        raise _refuse(actor=actor, permission=Perm.WORKFORCE_MANAGE, action=action, target=target or employee)


def _check_keys(data: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError(
            _("Unknown or read-only field(s): %(fields)s.") % {"fields": ", ".join(unknown)}, code="unknown_field")


def _apply(instance: Model, data: Mapping[str, Any]) -> list[str]:
    """Set `data` on `instance`, validate, and return the names of the fields whose value really changed."""
    changed: list[str] = []
    for name, value in data.items():
        if isinstance(value, str):
            value = value.strip()
        field = instance._meta.get_field(name)
        attname = field.attname  # type: ignore[union-attr]
        if field.is_relation and isinstance(value, Model):
            value = value.pk
        if getattr(instance, attname) != value:
            changed.append(name)
        setattr(instance, attname, value)
    instance.full_clean()
    return changed


def _default_expiry(credential: EmployeeCredential, data: Mapping[str, Any]) -> None:
    """No expiry given: issued date + the type's renewal period (types that never expire stay empty)."""
    if "expires_on" in data and data["expires_on"] is not None:
        return
    months = credential.credential_type.renewal_months
    if months and credential.issued_on and credential.expires_on is None:
        credential.expires_on = credential.issued_on + relativedelta(months=months)


def _read_evidence(upload: UploadedFile) -> tuple[bytes, str]:
    """The file's bytes and extension; the client's name and content type are ignored (the type comes from the
    bytes, the stored name is random)."""
    # A scan or photo of the certificate, or the issuer's PDF.
    checked = read_checked(upload, field="evidence", max_bytes=EVIDENCE_MAX_BYTES, type_code="evidence_type",
                           type_message=_("Upload the copy as a PDF, JPEG or PNG file."))
    return checked.content, checked.extension


def evidence_opened(*, actor: Any, credential: EmployeeCredential) -> None:
    """Audit that someone opened a credential's copy (the caller has checked they may)."""
    record(actor=actor, action="credentials.evidence_viewed", target=credential,
           location_id=credential.employee.location_id)


def evidence_content_type(credential: EmployeeCredential) -> str:
    extension = (credential.evidence.name or "").rsplit(".", 1)[-1].lower()
    return CONTENT_TYPES.get(extension, "application/octet-stream")


def _save_with_evidence(credential: EmployeeCredential, upload: UploadedFile | None, *, save: Any) -> None:
    """Store the evidence under a random name (MEDIA_ROOT is outside the web root), then run `save()` (the
    transaction writing the row and its audit event); no orphan file when that fails."""
    old_name = credential.evidence.name if upload is not None else ""
    if upload is not None:
        content, extension = _read_evidence(upload)
        credential.evidence.save(f"{secrets.token_hex(16)}.{extension}", ContentFile(content), save=False)
    try:
        save()
    except Exception:
        if upload is not None:
            credential.evidence.delete(save=False)
        raise
    if old_name:  # replaced: the old copy goes once the row points at the new one
        credential.evidence.storage.delete(old_name)


# --- catalog -------------------------------------------------------------------------------------------------


def credential_type_create(*, actor: Any, data: Mapping[str, Any]) -> CredentialType:
    if not can(actor, Perm.WORKFORCE_MANAGE):
        raise _refuse(actor=actor, permission=Perm.WORKFORCE_MANAGE, action="credential_types.create")
    _check_keys(data, TYPE_FIELDS)
    credential_type = CredentialType()
    _apply(credential_type, data)
    with transaction.atomic():
        credential_type.save(force_insert=True)
        record(actor=actor, action="credential_types.created", target=credential_type,
               changed_fields=[name for name in data if data[name] not in ("", None)])
    return credential_type


def credential_type_update(*, actor: Any, credential_type: CredentialType,
                           data: Mapping[str, Any]) -> CredentialType:
    if not can(actor, Perm.WORKFORCE_MANAGE):
        raise _refuse(actor=actor, permission=Perm.WORKFORCE_MANAGE, action="credential_types.update",
                      target=credential_type)
    _check_keys(data, TYPE_FIELDS)
    with transaction.atomic():
        current = CredentialType.objects.select_for_update().get(pk=credential_type.pk)
        changed = _apply(current, data)
        if changed:
            current.save(update_fields=changed)
            record(actor=actor, action="credential_types.updated", target=current, changed_fields=changed)
    return current


# --- employees' credentials ----------------------------------------------------------------------------------


def _verification(credential: EmployeeCredential, *, actor: Any, method: str, note: str) -> None:
    if method not in VerificationMethod.values:
        raise ValidationError({"verification_method": _("Choose how the credential was verified.")})
    if method == VerificationMethod.DOCUMENT and not credential.evidence:
        raise ValidationError({"evidence": _("Verifying from a copy needs the copy: upload it.")},
                              code="evidence_required")
    credential.verified_by = actor
    credential.verified_at = timezone.now()
    credential.verification_method = method
    credential.verification_note = (note or "").strip()


def credential_add(*, actor: Any, employee: Employee, data: Mapping[str, Any], evidence: UploadedFile | None = None,
                   verification_method: str = "", verification_note: str = "") -> EmployeeCredential:
    """Record a credential an employee holds (HR). With a verification method it is verified at once."""
    _authorize_employee(actor=actor, employee=employee, action="credentials.add")
    _check_keys(data, CREDENTIAL_FIELDS)
    if verification_method and is_own(actor, employee):
        raise ValidationError({"verification_method": _("Someone else must verify your own credentials.")},
                              code="self_verification")
    credential = EmployeeCredential(employee=employee, added_by=actor, added_at=timezone.now())
    _apply(credential, data)
    if not credential.credential_type.is_active:
        raise ValidationError({"credential_type": _("This credential is no longer in the catalog.")})
    _default_expiry(credential, data)

    def save() -> None:
        if verification_method:
            _verification(credential, actor=actor, method=verification_method, note=verification_note)
        credential.full_clean()
        with transaction.atomic():
            credential.save(force_insert=True)
            record(actor=actor, action="credentials.added", target=credential, location_id=employee.location_id,
                   changed_fields=[*[n for n in CREDENTIAL_FIELDS if getattr(credential, n, None) not in ("", None)],
                                   *(["evidence"] if credential.evidence else []),
                                   *(["verified_at"] if credential.verified_at else [])])

    _save_with_evidence(credential, evidence, save=save)
    return credential


def credential_update(*, actor: Any, credential: EmployeeCredential, data: Mapping[str, Any],
                      evidence: UploadedFile | None = None) -> EmployeeCredential:
    """Correct a credential (HR). A change to what was verified clears the verification; a new expiry date
    forgets the alerts sent for the old one."""
    employee = credential.employee
    _authorize_employee(actor=actor, employee=employee, action="credentials.update", target=credential)
    _check_keys(data, CREDENTIAL_FIELDS)
    current = EmployeeCredential.objects.select_related("credential_type").get(pk=credential.pk)
    changed = _apply(current, data)
    if evidence is not None:
        changed.append("evidence")

    def save() -> None:
        with transaction.atomic():
            locked = EmployeeCredential.objects.select_for_update().get(pk=current.pk)
            if not changed:
                return
            if locked.verified_at is not None and (VERIFIED_FIELDS & set(changed) or "evidence" in changed):
                current.verified_by, current.verified_at = None, None
                current.verification_method, current.verification_note = "", ""
                changed.extend(["verified_by", "verified_at", "verification_method", "verification_note"])
            current.save(update_fields=changed)
            if "expires_on" in changed:
                CredentialAlert.objects.filter(credential=current).delete()
            record(actor=actor, action="credentials.updated", target=current, location_id=employee.location_id,
                   changed_fields=changed)

    _save_with_evidence(current, evidence, save=save)
    return current


def credential_verify(*, actor: Any, credential: EmployeeCredential, method: str, note: str = "",
                      evidence: UploadedFile | None = None) -> EmployeeCredential:
    """Record who verified the credential, when and how (HR; never one's own)."""
    employee = credential.employee
    _authorize_employee(actor=actor, employee=employee, action="credentials.verify", target=credential)
    if is_own(actor, employee):
        raise ValidationError(_("Someone else must verify your own credentials."), code="self_verification")
    current = EmployeeCredential.objects.get(pk=credential.pk)

    def save() -> None:
        _verification(current, actor=actor, method=method, note=note)
        current.full_clean()
        fields = ["verified_by", "verified_at", "verification_method", "verification_note",
                  *(["evidence"] if evidence is not None else [])]
        with transaction.atomic():
            EmployeeCredential.objects.select_for_update().filter(pk=current.pk).values_list("pk").first()
            current.save(update_fields=fields)
            record(actor=actor, action="credentials.verified", target=current, location_id=employee.location_id,
                   changed_fields=fields, reason=method)

    _save_with_evidence(current, evidence, save=save)
    return current


def may_renew(actor: Any, credential: EmployeeCredential) -> bool:
    return is_own(actor, credential.employee) or reaches(actor, Perm.WORKFORCE_MANAGE, credential.employee)


def credential_renew(*, actor: Any, credential: EmployeeCredential, data: Mapping[str, Any],
                     evidence: UploadedFile | None = None) -> EmployeeCredential:
    """Record the renewal of a credential: a new row replacing it (same employee and type), unverified until
    HR verifies it. HR, or the employee for their own (self-service, where the copy is required)."""
    employee = credential.employee
    if not may_renew(actor, credential):
        raise _refuse(actor=actor, permission=Perm.WORKFORCE_MANAGE, action="credentials.renew", target=credential)
    _check_keys(data, RENEWAL_FIELDS)
    if EmployeeCredential.objects.filter(replaces=credential).exists():
        raise ValidationError(_("This credential has already been renewed: renew the newest one."),
                              code="already_renewed")
    hr = reaches(actor, Perm.WORKFORCE_MANAGE, employee)
    if not hr and evidence is None:
        raise ValidationError({"evidence": _("Upload a copy of the renewed credential.")}, code="evidence_required")
    renewal = EmployeeCredential(employee=employee, credential_type=credential.credential_type,
                                 replaces=credential, added_by=actor, added_at=timezone.now(),
                                 number=credential.number, state=credential.state)
    _apply(renewal, data)
    _default_expiry(renewal, data)
    if renewal.issued_on and credential.issued_on and renewal.issued_on < credential.issued_on:
        raise ValidationError({"issued_on": _("A renewal cannot be issued before the credential it renews.")})

    def save() -> None:
        with transaction.atomic():
            old = EmployeeCredential.objects.select_for_update().get(pk=credential.pk)
            if EmployeeCredential.objects.filter(replaces=old).exists():
                raise ValidationError(_("This credential has already been renewed: renew the newest one."),
                                      code="already_renewed")
            renewal.save(force_insert=True)
            record(actor=actor, action="credentials.renewed", target=renewal, location_id=employee.location_id,
                   changed_fields=["replaces", *RENEWAL_FIELDS, *(["evidence"] if renewal.evidence else [])],
                   reason="self-service" if not hr else "")

    _save_with_evidence(renewal, evidence, save=save)
    return renewal


# --- expiry alerts -------------------------------------------------------------------------------------------


def alert_thresholds() -> list[int]:
    """The practice's thresholds (days before expiry, largest first) and 0 for "has expired"."""
    days = {int(day) for day in WorkforceSettings.load().credential_alert_days if int(day) > 0}
    return sorted(days | {EXPIRED_THRESHOLD}, reverse=True)


def due_threshold(*, expires_on: dt.date, today: dt.date, thresholds: list[int]) -> int | None:
    """The most urgent threshold reached: 30 when 25 days are left (not 90 and 60 as well: one alert a run,
    and the earlier ones are moot), 0 once expired, None when none is reached yet."""
    left = (expires_on - today).days
    reached = [day for day in thresholds if left <= day]
    return min(reached) if reached else None


def alert_recipients(employee: Employee) -> tuple[list[int], list[str]]:
    """(user ids, addresses): the employee, their manager, and the HR users whose role covers the employee's
    location."""
    users: list[User] = []
    addresses: list[str] = []
    if employee.user_id and employee.user and employee.user.is_active:
        users.append(employee.user)
    elif employee.email:
        addresses.append(employee.email)
    manager = employee.manager
    if manager is not None and manager.status != EmployeeStatus.TERMINATED:
        if manager.user_id and manager.user and manager.user.is_active:
            users.append(manager.user)
        elif manager.email:
            addresses.append(manager.email)
    # One filter() call: the role and its locations must be the same assignment.
    covers = Q(role_assignments__all_locations=True)
    if employee.location_id:
        covers |= Q(role_assignments__locations=employee.location_id)
    hr = User.objects.filter(covers, is_active=True, role_assignments__role=Role.HR).distinct().order_by("pk")
    users.extend(hr)
    ids: list[int] = []
    for user in users:
        if user.pk not in ids:
            ids.append(user.pk)
            if user.email:
                addresses.append(user.email)
    unique = list(dict.fromkeys(address.lower() for address in addresses if address))
    return ids, unique


def _alert_messages(credential: EmployeeCredential, days_before: int, addresses: list[str],
                    today: dt.date) -> list[EmailMessage]:
    from openpractice.core.selectors import practice_settings

    context = {
        "credential": credential, "employee": credential.employee, "days_before": days_before,
        "days_left": (credential.expires_on - today).days if credential.expires_on else None,
        "expired": days_before == EXPIRED_THRESHOLD, "practice_name": practice_settings().name,
        "link": str(settings.OPENPRACTICE_BASE_URL or "").rstrip("/")
        + reverse("workforce:credential_detail", kwargs={"pk": credential.pk}),
    }
    subject = " ".join(render_to_string("workforce/credentials/email/expiry_subject.txt", context).split())
    body = render_to_string("workforce/credentials/email/expiry.txt", context)
    # One message each: people see neither each other's addresses nor who else was told.
    return [EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[address])
            for address in addresses]


def credential_alert_send(*, credential_id: int, days_before: int, today: dt.date) -> bool:
    """Claim the alert (the unique row makes it go once, however many workers run), then mail it. When the mail
    server refuses, the claim is released so the next run tries again."""
    credential = (EmployeeCredential.objects.select_related("employee__user", "employee__manager__user",
                                                            "credential_type").get(pk=credential_id))
    ids, addresses = alert_recipients(credential.employee)
    try:
        with transaction.atomic():
            alert = CredentialAlert.objects.create(credential=credential, days_before=days_before, recipients=ids)
    except IntegrityError:
        return False
    try:
        messages = _alert_messages(credential, days_before, addresses, today)
        if messages:
            get_connection(fail_silently=False).send_messages(messages)
    except (OSError, smtplib.SMTPException):
        alert.delete()
        logger.warning("Expiry alert for credential %s not sent: mail server unavailable", credential_id,
                       exc_info=True)
        return False
    record(actor=None, action="credentials.expiry_alert_sent", target=credential,
           location_id=credential.employee.location_id, changed_fields=["alerts"],
           reason=f"{days_before} days before expiry; {len(addresses)} recipient(s)")
    return True


def credential_alerts_send(*, today: dt.date | None = None) -> int:
    """The daily run: send each alert that has come due and was not sent yet; returns how many went out."""
    today = today or practice_today()
    thresholds = alert_thresholds()
    due: dict[int, int] = {}
    for pk, expires_on in alert_candidates(today=today, horizon_days=max(thresholds)).values_list(
            "pk", "expires_on"):
        if expires_on is None:  # excluded by the query; keeps the type checker informed
            continue
        threshold = due_threshold(expires_on=expires_on, today=today, thresholds=thresholds)
        if threshold is not None:
            due[pk] = threshold
    # The most urgent alert each credential has had; a less urgent one would be moot (a new expiry date
    # forgets the alerts, see credential_update).
    most_urgent: dict[int, int] = {}
    for pk, day in CredentialAlert.objects.filter(credential_id__in=list(due)).values_list(
            "credential_id", "days_before"):
        most_urgent[pk] = min(day, most_urgent.get(pk, day))
    sent = 0
    for pk, threshold in due.items():
        if pk in most_urgent and most_urgent[pk] <= threshold:
            continue
        sent += credential_alert_send(credential_id=pk, days_before=threshold, today=today)
    return sent


# --- booking check (registered into scheduling.booking_checks by WorkforceConfig.ready) -----------------------


def licence_booking_check(provider: Any, on: dt.date) -> list[BookingIssue]:
    """An expired licence needed to see patients flags the booking, or refuses it when the practice says so."""
    lapsed = provider_lapsed_licences(provider_id=provider.pk, on=on)
    if not lapsed:
        return []
    block = WorkforceSettings.load().block_booking_with_expired_licence
    return [BookingIssue(
        message=_("%(provider)s's %(licence)s licence expired on %(date)s.") % {
            "provider": getattr(provider, "display_name", str(provider)), "licence": row.credential_type.code,
            "date": row.expires_on.strftime("%m/%d/%Y") if row.expires_on else ""},
        blocking=block, code="licence_expired") for row in lapsed]
