"""Business associate writes: the register of associates (a minimal vendor reference until the vendors module links
its own records), their agreements (draft -> active -> terminated), the signed document, and the daily review and
expiry reminders.

compliance.manage changes everything here. A refusal is audited before any transaction opens (so it is kept) and
changes nothing. Two invariants have no database constraint behind them, so the services hold them under a lock:
- an associate's name is unique ignoring case (the column is unique only as typed): writers of names take turns on
  a PostgreSQL advisory lock (SQLite transactions take the write lock up front);
- one active agreement per associate: activation locks the associate row first, so two activations take turns and
  the second sees the first.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import smtplib
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.models import AuditEvent
from openpractice.audit.services import record
from openpractice.core.files import CONTENT_TYPES, read_checked
from openpractice.core.selectors import practice_settings, practice_today

from ..choices import AgreementStatus
from ..models import BusinessAssociate, BusinessAssociateAgreement
from ..selectors.associates import REVIEW_HORIZON_DAYS, reminder_recipients

logger = logging.getLogger(__name__)

ASSOCIATE_FIELDS: tuple[str, ...] = (
    "name", "services", "handles_phi", "contact_name", "contact_email", "contact_phone", "is_active",
)  # fmt: skip
DRAFT_FIELDS: tuple[str, ...] = ("signed_on", "effective_on", "expires_on", "review_on", "notes")
# Once in force, only what a review or an amendment changes.
ACTIVE_FIELDS: tuple[str, ...] = ("expires_on", "review_on", "notes")
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
DOCUMENT_TYPES: tuple[str, ...] = ("pdf",)
REMINDER_ACTION = "compliance.baa_reminder_sent"
REVIEW, EXPIRY = "review", "expiry"
_NAME_LOCK_KEY = 7_000_101  # pg_advisory_xact_lock: writers of associate names take turns


def _require_manage(actor: Any, action: str, target: Any = None) -> None:
    if not can(actor, Perm.COMPLIANCE_MANAGE):
        raise refuse(actor=actor, permission=Perm.COMPLIANCE_MANAGE, action=action, target=target)


def _check_keys(data: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError(_("Unknown or read-only field(s): %(fields)s.") % {"fields": ", ".join(unknown)},
                              code="unknown_field")


def _stripped(data: Mapping[str, Any]) -> dict[str, Any]:
    return {name: (value.strip() if isinstance(value, str) else value) for name, value in data.items()}


# --- associates ------------------------------------------------------------------------------------------------


def _lock_names() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_NAME_LOCK_KEY])


def _check_name_free(name: str, *, exclude_pk: int | None = None) -> None:
    """Call with the name lock held."""
    taken = BusinessAssociate.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    existing = taken.values_list("name", flat=True).first()
    if existing is not None:
        raise ValidationError({"name": _("“%(name)s” is already in the register.") % {"name": existing}},
                              code="duplicate_name")


def _save_guarded(obj: BusinessAssociate, **save: Any) -> None:
    try:
        with transaction.atomic():
            obj.save(**save)
    except IntegrityError as exc:  # the exact-case unique column, should the lock ever be bypassed
        raise ValidationError({"name": _("“%(name)s” is already in the register.") % {"name": obj.name}},
                              code="duplicate_name") from exc


def associate_create(*, actor: Any, data: Mapping[str, Any]) -> BusinessAssociate:
    """Add an associate to the register. The name is unique ignoring case."""
    _require_manage(actor, "compliance.associate_create")
    _check_keys(data, ASSOCIATE_FIELDS)
    associate = BusinessAssociate(created_by=actor, **_stripped(data))
    associate.full_clean(validate_unique=False)
    with transaction.atomic():
        _lock_names()
        _check_name_free(associate.name)
        _save_guarded(associate, force_insert=True)
        record(actor=actor, action="compliance.associate_created", target=associate,
               changed_fields=[name for name in ASSOCIATE_FIELDS if name in data])
    return associate


def associate_update(*, actor: Any, associate: BusinessAssociate, data: Mapping[str, Any]) -> BusinessAssociate:
    """Change an associate's details (name, services, PHI, contact, whether still in use)."""
    _require_manage(actor, "compliance.associate_update", associate)
    _check_keys(data, ASSOCIATE_FIELDS)
    cleaned = _stripped(data)
    with transaction.atomic():
        if "name" in cleaned:
            _lock_names()
        locked = BusinessAssociate.objects.select_for_update().get(pk=associate.pk)
        changed = [name for name, value in cleaned.items() if getattr(locked, name) != value]
        if not changed:
            return locked
        for name in changed:
            setattr(locked, name, cleaned[name])
        locked.full_clean(validate_unique=False)
        if "name" in changed:
            _check_name_free(locked.name, exclude_pk=locked.pk)
        _save_guarded(locked, update_fields=[*changed, "updated_at"])
        record(actor=actor, action="compliance.associate_updated", target=locked, changed_fields=changed)
    return locked


# --- agreements ------------------------------------------------------------------------------------------------


def _check_dates(values: Mapping[str, Any], today: dt.date) -> None:
    signed, effective, expires = values.get("signed_on"), values.get("effective_on"), values.get("expires_on")
    errors: dict[str, str] = {}
    if signed is not None and signed > today:
        errors["signed_on"] = _("The signature date cannot be in the future.")
    if effective is not None and expires is not None and expires < effective:
        errors["expires_on"] = _("The agreement cannot end before it takes effect.")
    if errors:
        raise ValidationError(errors, code="dates")


def _store_document(agreement: BusinessAssociateAgreement, upload: UploadedFile) -> str:
    """Type-check the upload (a PDF from its bytes, at most 10 MB) and store it under a random name outside the web
    root; set the agreement's document fields (not saved). Returns the stored name, to delete if the caller fails."""
    checked = read_checked(upload, field="document", max_bytes=DOCUMENT_MAX_BYTES, allowed=DOCUMENT_TYPES,
                           type_message=_("Upload the signed agreement as a PDF file."))
    agreement.document.save(f"{secrets.token_hex(16)}.{checked.extension}", ContentFile(checked.content),
                            save=False)
    agreement.document_content_type = checked.content_type
    agreement.document_size = len(checked.content)
    return agreement.document.name or ""


def _delete_file(storage: Any, name: str) -> None:
    if name:
        storage.delete(name)


def agreement_create(*, actor: Any, associate: BusinessAssociate, data: Mapping[str, Any],
                     upload: UploadedFile | None = None) -> BusinessAssociateAgreement:
    """Start an agreement with an associate (a draft, being negotiated), optionally with the document so far."""
    _require_manage(actor, "compliance.agreement_create", associate)
    _check_keys(data, DRAFT_FIELDS)
    cleaned = _stripped(data)
    _check_dates(cleaned, practice_today())
    agreement = BusinessAssociateAgreement(associate=associate, status=AgreementStatus.DRAFT, created_by=actor,
                                           **cleaned)
    agreement.full_clean(exclude=["document"])
    stored = _store_document(agreement, upload) if upload is not None else ""
    try:
        with transaction.atomic():
            BusinessAssociate.objects.select_for_update().get(pk=associate.pk)
            agreement.save(force_insert=True)
            fields = [name for name in DRAFT_FIELDS if getattr(agreement, name) not in ("", None)]
            record(actor=actor, action="compliance.agreement_created", target=agreement,
                   changed_fields=[*fields, *(["document"] if stored else [])])
    except Exception:
        _delete_file(agreement.document.storage, stored)  # no orphan file
        raise
    return agreement


def agreement_update(*, actor: Any, agreement: BusinessAssociateAgreement,
                     data: Mapping[str, Any]) -> BusinessAssociateAgreement:
    """Edit a draft (every date, notes) or an agreement in force (end date, review date, notes: an amendment or a
    review). A terminated agreement is history and does not change."""
    _require_manage(actor, "compliance.agreement_update", agreement)
    cleaned = _stripped(data)
    with transaction.atomic():
        locked = BusinessAssociateAgreement.objects.select_for_update().get(pk=agreement.pk)
        if locked.status == AgreementStatus.TERMINATED:
            raise ValidationError(_("A terminated agreement cannot be changed."), code="terminated")
        _check_keys(cleaned, DRAFT_FIELDS if locked.status == AgreementStatus.DRAFT else ACTIVE_FIELDS)
        changed = [name for name, value in cleaned.items() if getattr(locked, name) != value]
        if not changed:
            return locked
        for name in changed:
            setattr(locked, name, cleaned[name])
        _check_dates({name: getattr(locked, name) for name in DRAFT_FIELDS}, practice_today())
        locked.full_clean(exclude=["document"])
        locked.save(update_fields=changed)
        record(actor=actor, action="compliance.agreement_updated", target=locked, changed_fields=changed)
    return locked


def agreement_activate(*, actor: Any, agreement: BusinessAssociateAgreement, signed_on: dt.date | None,
                       effective_on: dt.date | None, expires_on: dt.date | None = None,
                       review_on: dt.date | None = None,
                       upload: UploadedFile | None = None) -> BusinessAssociateAgreement:
    """Put a draft in force: it needs the signature date and the date it takes effect; the signed PDF may come with
    it. One active agreement per associate: the one in force must be terminated first."""
    _require_manage(actor, "compliance.agreement_activate", agreement)
    errors: dict[str, str] = {}
    if signed_on is None:
        errors["signed_on"] = _("Enter the date the agreement was signed.")
    if effective_on is None:
        errors["effective_on"] = _("Enter the date the agreement takes effect.")
    if errors:
        raise ValidationError(errors, code="required")
    _check_dates({"signed_on": signed_on, "effective_on": effective_on, "expires_on": expires_on},
                 practice_today())
    staged = BusinessAssociateAgreement(pk=agreement.pk, associate_id=agreement.associate_id)
    stored = _store_document(staged, upload) if upload is not None else ""
    try:
        with transaction.atomic():
            # The associate's row is the lock every activation takes: two at once take turns.
            BusinessAssociate.objects.select_for_update().get(pk=agreement.associate_id)
            locked = BusinessAssociateAgreement.objects.select_for_update().get(pk=agreement.pk)
            if locked.status != AgreementStatus.DRAFT:
                raise ValidationError(_("Only a draft can be put in force."), code="wrong_status")
            other = (BusinessAssociateAgreement.objects.filter(associate_id=locked.associate_id,
                                                               status=AgreementStatus.ACTIVE)
                     .exclude(pk=locked.pk).first())
            if other is not None:
                raise ValidationError(
                    _("This associate already has an active agreement (in force from %(date)s): terminate it "
                      "before putting another in force.") % {"date": other.effective_on}, code="one_active")
            previous_document = locked.document.name or ""
            locked.status = AgreementStatus.ACTIVE
            locked.signed_on, locked.effective_on = signed_on, effective_on
            locked.expires_on, locked.review_on = expires_on, review_on
            fields = ["status", "signed_on", "effective_on", "expires_on", "review_on"]
            if stored:
                locked.document.name = stored
                locked.document_content_type = staged.document_content_type
                locked.document_size = staged.document_size
                fields += ["document", "document_content_type", "document_size"]
            locked.full_clean(exclude=["document"])
            locked.save(update_fields=fields)
            record(actor=actor, action="compliance.agreement_activated", target=locked, changed_fields=fields)
            if stored and previous_document:
                storage = locked.document.storage
                transaction.on_commit(lambda: _delete_file(storage, previous_document))
    except Exception:
        _delete_file(staged.document.storage, stored)
        raise
    return locked


def agreement_terminate(*, actor: Any, agreement: BusinessAssociateAgreement, terminated_on: dt.date | None,
                        reason: str) -> BusinessAssociateAgreement:
    """End an agreement in force: the date and the reason (kept in the notes). It stops counting from then."""
    _require_manage(actor, "compliance.agreement_terminate", agreement)
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if terminated_on is None:
        errors["terminated_on"] = _("Enter the date the agreement ended.")
    elif terminated_on > practice_today():
        errors["terminated_on"] = _("Record a termination once it has happened (the date cannot be in the future).")
    if not reason:
        errors["reason"] = _("Say why the agreement ended.")
    if errors:
        raise ValidationError(errors, code="required")
    assert terminated_on is not None  # checked above
    with transaction.atomic():
        locked = BusinessAssociateAgreement.objects.select_for_update().get(pk=agreement.pk)
        if locked.status != AgreementStatus.ACTIVE:
            raise ValidationError(_("Only an agreement in force can be terminated."), code="wrong_status")
        if locked.effective_on is not None and terminated_on < locked.effective_on:
            raise ValidationError({"terminated_on": _("The agreement cannot end before it took effect (%(date)s).")
                                   % {"date": locked.effective_on}}, code="dates")
        line = _("Terminated on %(date)s: %(reason)s") % {"date": terminated_on.isoformat(), "reason": reason}
        locked.notes = f"{locked.notes.rstrip()}\n\n{line}" if locked.notes.strip() else line
        locked.status, locked.terminated_on = AgreementStatus.TERMINATED, terminated_on
        fields = ["status", "terminated_on", "notes"]
        locked.save(update_fields=fields)
        record(actor=actor, action="compliance.agreement_terminated", target=locked, changed_fields=fields)
    return locked


def agreement_document_set(*, actor: Any, agreement: BusinessAssociateAgreement,
                           upload: UploadedFile) -> BusinessAssociateAgreement:
    """Attach (or replace) the agreement's PDF, on a draft or an agreement in force."""
    _require_manage(actor, "compliance.agreement_document", agreement)
    staged = BusinessAssociateAgreement(pk=agreement.pk, associate_id=agreement.associate_id)
    stored = _store_document(staged, upload)
    try:
        with transaction.atomic():
            locked = BusinessAssociateAgreement.objects.select_for_update().get(pk=agreement.pk)
            if locked.status == AgreementStatus.TERMINATED:
                raise ValidationError(_("A terminated agreement cannot be changed."), code="terminated")
            previous = locked.document.name or ""
            locked.document.name = stored
            locked.document_content_type = staged.document_content_type
            locked.document_size = staged.document_size
            fields = ["document", "document_content_type", "document_size"]
            locked.save(update_fields=fields)
            record(actor=actor, action="compliance.agreement_document_added", target=locked, changed_fields=fields,
                   reason="replaced the previous document" if previous else "")
            if previous:
                storage = locked.document.storage
                transaction.on_commit(lambda: _delete_file(storage, previous))
    except Exception:
        _delete_file(staged.document.storage, stored)
        raise
    return locked


def agreement_document_opened(*, actor: Any, agreement: BusinessAssociateAgreement) -> None:
    """Audit that someone downloaded the agreement's document (the caller has checked they may)."""
    record(actor=actor, action="compliance.agreement_document_viewed", target=agreement)


def agreement_document_content_type(agreement: BusinessAssociateAgreement) -> str:
    extension = (agreement.document.name or "").rsplit(".", 1)[-1].lower()
    return CONTENT_TYPES.get(extension, "application/octet-stream")


# --- reminders -------------------------------------------------------------------------------------------------


def _reminder_key(kind: str, on: dt.date) -> str:
    """The audit reason that marks one reminder as sent: the kind, the date it is about, the threshold."""
    return f"{kind} {on.isoformat()} {REVIEW_HORIZON_DAYS}d"


def baa_reminders_send(*, today: dt.date | None = None) -> int:
    """The daily run: email compliance.manage holders about each agreement in force whose review date or end date
    is 30 days away or less, once per agreement, kind and date (a missed day is caught up the next; a new review
    date gets its own reminder). Returns how many reminders went out."""
    today = today or practice_today()
    horizon = today + dt.timedelta(days=REVIEW_HORIZON_DAYS)
    candidates = BusinessAssociateAgreement.objects.filter(
        Q(review_on__lte=horizon) | Q(expires_on__lte=horizon),
        status=AgreementStatus.ACTIVE, associate__is_active=True).order_by("pk").values_list("pk", "review_on", "expires_on")
    sent = 0
    for pk, review_on, expires_on in candidates:
        for kind, on in ((REVIEW, review_on), (EXPIRY, expires_on)):
            if on is not None and on <= horizon:
                sent += _reminder_send(agreement_id=pk, kind=kind, today=today)
    return sent


def _reminder_send(*, agreement_id: int, kind: str, today: dt.date) -> int:
    """Send one reminder at most once, however many workers run the job.

    The claim is the audit event itself (the model has no column to keep reminders in): under a lock on the
    agreement's row, look for a REMINDER_ACTION event for this agreement, kind and date; send only when there is
    none, and write it in the same transaction. A second worker waits on the row lock, then (read committed: each
    statement sees what committed before it) finds the first one's event and sends nothing. The mail goes before
    the event is written, so the audit chain's lock is not held while the mail server talks; a refusal raises and
    rolls everything back, so the next run tries again."""
    try:
        with transaction.atomic():
            agreement = (BusinessAssociateAgreement.objects.select_for_update(of=("self",))
                         .select_related("associate").filter(pk=agreement_id).first())
            if agreement is None or agreement.status != AgreementStatus.ACTIVE or not agreement.associate.is_active:
                return 0
            on = agreement.review_on if kind == REVIEW else agreement.expires_on
            if on is None or (on - today).days > REVIEW_HORIZON_DAYS:
                return 0
            if kind == REVIEW and agreement.expires_on is not None and agreement.expires_on < today:
                return 0  # it has ended: the expiry reminder said so, a review is moot
            key = _reminder_key(kind, on)
            if AuditEvent.objects.filter(action=REMINDER_ACTION, object_type=agreement._meta.label_lower,
                                         object_id=str(agreement.pk), reason=key).exists():
                return 0
            addresses = list(dict.fromkeys(user.email.lower() for user in reminder_recipients()))
            if not addresses:
                return 0
            get_connection(fail_silently=False).send_messages(
                _reminder_messages(agreement, kind=kind, on=on, today=today, addresses=addresses))
            record(actor=None, action=REMINDER_ACTION, target=agreement, reason=key)
    except (OSError, smtplib.SMTPException):
        logger.warning("BAA %s reminder for agreement %s not sent: mail server unavailable", kind, agreement_id,
                       exc_info=True)
        return 0
    return 1


def _reminder_messages(agreement: BusinessAssociateAgreement, *, kind: str, on: dt.date, today: dt.date,
                       addresses: list[str]) -> list[EmailMessage]:
    context = {
        "agreement": agreement, "associate": agreement.associate, "kind": kind, "on": on,
        "days_left": (on - today).days, "practice_name": practice_settings().name,
        "link": str(settings.OPENPRACTICE_BASE_URL or "").rstrip("/")
        + reverse("compliance:associate_detail", kwargs={"pk": agreement.associate_id}),
    }
    subject = " ".join(render_to_string("compliance/associates/email/reminder_subject.txt", context).split())
    body = render_to_string("compliance/associates/email/reminder.txt", context)
    # One message each: recipients do not see each other.
    return [EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[address])
            for address in addresses]


# --- the feed from the vendors module --------------------------------------------------------------------------


def associate_for_vendor(*, actor: Any, vendor: Any) -> BusinessAssociate:
    """Put a vendor that handles PHI into the register (or link the entry of the same name already there). Whoever
    may mark a vendor as handling PHI may do this: it only records that an agreement is needed; the agreements
    themselves still need compliance.manage. Returns the register entry."""
    with transaction.atomic():
        _lock_names()
        linked = BusinessAssociate.objects.select_for_update().filter(vendor=vendor).first()
        if linked is not None:
            if not linked.handles_phi or not linked.is_active:
                linked.handles_phi = linked.is_active = True
                linked.save(update_fields=["handles_phi", "is_active", "updated_at"])
                record(actor=actor, action="compliance.associate_updated", target=linked,
                       changed_fields=["handles_phi", "is_active"], reason="vendor handles PHI")
            return linked
        same_name = BusinessAssociate.objects.select_for_update().filter(name__iexact=vendor.name,
                                                                         vendor__isnull=True).first()
        if same_name is not None:
            same_name.vendor, same_name.handles_phi, same_name.is_active = vendor, True, True
            same_name.save(update_fields=["vendor", "handles_phi", "is_active", "updated_at"])
            record(actor=actor, action="compliance.associate_updated", target=same_name,
                   changed_fields=["vendor", "handles_phi", "is_active"], reason="linked to the vendor record")
            return same_name
        associate = BusinessAssociate(name=vendor.name[:200], services=_("Vendor: see the vendor record"),
                                      handles_phi=True, contact_email=vendor.order_email, contact_phone=vendor.phone,
                                      vendor=vendor, created_by=actor)
        associate.full_clean(validate_unique=False)
        _save_guarded(associate, force_insert=True)
        record(actor=actor, action="compliance.associate_created", target=associate,
               changed_fields=["name", "services", "handles_phi", "vendor"], reason="from the vendor record")
    return associate
