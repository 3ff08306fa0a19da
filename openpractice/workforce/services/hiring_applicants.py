"""Writes to applicants: added to an OPEN requisition by hiring staff (workforce.hiring at its location), edited,
their résumé replaced, moved through the early pipeline stages. The OFFER and HIRED stages belong to the offer
and hire services; every stage move goes through hiring_stages.stage_move_locked.

Résumés are PDF or DOCX (typed from their bytes), at most 5 MB, stored under MEDIA_ROOT (outside the web root)
with a random name; a row that cannot be written leaves no file behind.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.files import CheckedFile, read_checked
from openpractice.core.selectors import practice_today

from ..choices import ApplicantSource, ApplicantStage, OfferStatus, RequisitionStatus
from ..models import Applicant, Offer, Requisition
from ..selectors.offers import LIVE_STATUSES
from .hiring_stages import CLOSED_STAGES, stage_first_locked, stage_move_locked

APPLICANT_FIELDS: tuple[str, ...] = (
    "first_name", "last_name", "email", "phone", "source", "referred_by", "applied_on", "notes",
)  # fmt: skip
RESUME_MAX_BYTES = 5 * 1024 * 1024
RESUME_TYPES: tuple[str, ...] = ("pdf", "docx")
# Stages this module never sets: an offer and a hire are made by their own services.
NOT_HERE: frozenset[str] = frozenset({ApplicantStage.OFFER, ApplicantStage.HIRED})
NEEDS_REASON: frozenset[str] = frozenset({ApplicantStage.REJECTED, ApplicantStage.WITHDRAWN})
# Names end up in file names, email headers and letters: no control characters (NUL, CR, LF, tab, DEL …).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _authorize(*, actor: Any, action: str, requisition: Requisition, target: Any = None) -> None:
    if not can(actor, Perm.WORKFORCE_HIRING, requisition.location_id):
        raise refuse(actor=actor, permission=Perm.WORKFORCE_HIRING, action=action, target=target or requisition)


def _check_keys(data: Mapping[str, Any]) -> None:
    unknown = sorted(set(data) - set(APPLICANT_FIELDS))
    if unknown:
        raise ValidationError(_("Unknown or read-only field(s): %(fields)s.") % {"fields": ", ".join(unknown)},
                              code="unknown_field")


def _clean_text(applicant: Applicant) -> None:
    applicant.first_name = (applicant.first_name or "").strip()
    applicant.last_name = (applicant.last_name or "").strip()
    applicant.email = (applicant.email or "").strip()
    applicant.phone = (applicant.phone or "").strip()
    applicant.notes = (applicant.notes or "").strip()


def _validate(applicant: Applicant) -> None:
    errors: dict[str, str] = {}
    if applicant.applied_on is not None and applicant.applied_on > practice_today():
        errors["applied_on"] = _("The application date cannot be in the future.")
    for name in ("first_name", "last_name"):
        if _CONTROL.search(getattr(applicant, name)):
            errors[name] = _("Use letters, spaces, hyphens and apostrophes only (no control characters).")
    if applicant.referred_by_id is not None and applicant.source != ApplicantSource.REFERRAL:
        errors["referred_by"] = _("Only an employee referral names who referred the applicant.")
    if errors:
        raise ValidationError(errors, code="invalid")


def _refuse_duplicate(applicant: Applicant) -> None:
    """The same email twice on one requisition (case-insensitive) is one person applying twice. Called with the
    requisition row locked, so two clerks adding the same person at once cannot both pass."""
    if not applicant.email:
        return
    twins = Applicant.objects.filter(requisition_id=applicant.requisition_id, email__iexact=applicant.email)
    if applicant.pk:
        twins = twins.exclude(pk=applicant.pk)
    if twins.exists():
        raise ValidationError({"email": _("An applicant with this email is already on this requisition.")},
                              code="duplicate")


def _read_resume(upload: UploadedFile) -> CheckedFile:
    return read_checked(upload, field="resume", max_bytes=RESUME_MAX_BYTES, allowed=RESUME_TYPES,
                        what=_("The résumé"), type_message=_("Upload the résumé as a PDF or Word (DOCX) file."))


def applicant_create(*, actor: Any, requisition: Requisition, data: Mapping[str, Any],
                     resume: UploadedFile | None = None) -> Applicant:
    """Add an applicant (stage APPLIED) to an OPEN requisition, with an optional résumé."""
    action = "workforce.applicant_create"
    _check_keys(data)
    _authorize(actor=actor, action=action, requisition=requisition)
    checked = _read_resume(resume) if resume is not None else None
    applicant = Applicant(requisition=requisition, created_by=actor, stage=ApplicantStage.APPLIED)
    for name, value in data.items():
        setattr(applicant, name, value)
    _clean_text(applicant)
    if checked is not None:
        applicant.resume_content_type, applicant.resume_size = checked.content_type, len(checked.content)
    applicant.full_clean(exclude=["resume"])
    _validate(applicant)
    if checked is not None:
        applicant.resume.save(checked.random_name(), ContentFile(checked.content), save=False)
    try:
        with transaction.atomic():
            locked = Requisition.objects.select_for_update().get(pk=requisition.pk)
            if locked.status != RequisitionStatus.OPEN:
                raise ValidationError(_("Applicants can be added only to an open (approved) requisition."),
                                      code="requisition_not_open")
            _refuse_duplicate(applicant)
            applicant.save(force_insert=True)
            stage_first_locked(actor=actor, applicant=applicant)
            record(actor=actor, action="workforce.applicant_created", target=applicant,
                   location_id=requisition.location_id,
                   changed_fields=sorted({*data, *(["resume"] if checked is not None else [])}))
    except Exception:
        if applicant.resume:
            applicant.resume.delete(save=False)  # no orphan file when the row could not be written
        raise
    return applicant


def applicant_update(*, actor: Any, applicant: Applicant, data: Mapping[str, Any]) -> Applicant:
    """Correct an applicant's details (not their stage, not their résumé)."""
    action = "workforce.applicant_update"
    _check_keys(data)
    _authorize(actor=actor, action=action, requisition=applicant.requisition, target=applicant)
    with transaction.atomic():
        Requisition.objects.select_for_update().get(pk=applicant.requisition_id)
        locked = Applicant.objects.select_for_update().get(pk=applicant.pk)
        changed = [name for name in data if getattr(locked, name) != data[name]]
        for name in changed:
            setattr(locked, name, data[name])
        _clean_text(locked)
        locked.full_clean(exclude=["resume"])
        _validate(locked)
        _refuse_duplicate(locked)
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
            record(actor=actor, action="workforce.applicant_updated", target=locked,
                   location_id=applicant.requisition.location_id, changed_fields=sorted(changed))
    return locked


def applicant_resume_replace(*, actor: Any, applicant: Applicant, upload: UploadedFile) -> Applicant:
    """Store a new résumé; the old file goes once the change is committed."""
    action = "workforce.applicant_resume_replace"
    _authorize(actor=actor, action=action, requisition=applicant.requisition, target=applicant)
    checked = _read_resume(upload)
    holder = Applicant(pk=applicant.pk)
    holder.resume.save(checked.random_name(), ContentFile(checked.content), save=False)
    new_name = holder.resume.name
    try:
        with transaction.atomic():
            locked = Applicant.objects.select_for_update().get(pk=applicant.pk)
            old_name = locked.resume.name
            locked.resume.name = new_name
            locked.resume_content_type, locked.resume_size = checked.content_type, len(checked.content)
            locked.save(update_fields=["resume", "resume_content_type", "resume_size", "updated_at"])
            record(actor=actor, action="workforce.applicant_resume_replaced", target=locked,
                   location_id=applicant.requisition.location_id, changed_fields=["resume"])
    except Exception:
        holder.resume.delete(save=False)
        raise
    if old_name:
        storage = locked.resume.storage
        transaction.on_commit(lambda: storage.delete(old_name))
    return locked


def _withdraw_live_offers_locked(*, actor: Any, applicant: Applicant, to_stage: str, location_id: int) -> None:
    """An applicant moved by this module (never to OFFER or HIRED) is no longer at the offer stage: any draft,
    extended or accepted offer is withdrawn with the move, so no live offer (and no hire on it) outlives it."""
    offers = list(Offer.objects.select_for_update().filter(applicant=applicant, status__in=LIVE_STATUSES)
                  .order_by("pk"))
    for offer in offers:
        offer.status = OfferStatus.WITHDRAWN
        offer.save(update_fields=["status"])
        record(actor=actor, action="workforce.offer_withdrawn", target=offer, location_id=location_id,
               changed_fields=["status"], reason=f"applicant moved to {to_stage}")


def applicant_move(*, actor: Any, applicant: Applicant, to_stage: str, note: str = "") -> Applicant:
    """Move an applicant along the pipeline (not to OFFER or HIRED: offers and hires do that). Rejection and
    withdrawal need a reason; on a requisition that is no longer open, only those two moves remain. A live offer
    (draft, extended or accepted) is withdrawn with the move, audited."""
    action = "workforce.applicant_move"
    _authorize(actor=actor, action=action, requisition=applicant.requisition, target=applicant)
    note = (note or "").strip()
    if to_stage in NOT_HERE:
        raise ValidationError({"stage": _("Offers and hires move an applicant to that stage.")}, code="stage_elsewhere")
    if to_stage in NEEDS_REASON and not note:
        raise ValidationError({"note": _("Give the reason.")}, code="reason_required")
    with transaction.atomic():
        requisition = Requisition.objects.select_for_update().get(pk=applicant.requisition_id)
        locked = Applicant.objects.select_for_update().get(pk=applicant.pk)
        if requisition.status != RequisitionStatus.OPEN and to_stage not in NEEDS_REASON:
            raise ValidationError({"stage": _("The requisition is no longer open.")}, code="requisition_not_open")
        from_stage = locked.stage
        stage_move_locked(actor=actor, applicant=locked, to_stage=to_stage, note=note)
        _withdraw_live_offers_locked(actor=actor, applicant=locked, to_stage=to_stage,
                                     location_id=requisition.location_id)
        # The reason belongs to a closed stage; reconsidering clears it.
        locked.rejection_reason = note[:300] if to_stage in CLOSED_STAGES else ""
        locked.save(update_fields=["rejection_reason"])
        record(actor=actor, action="workforce.applicant_stage_changed", target=locked,
               location_id=requisition.location_id, changed_fields=["stage"],
               reason=f"{from_stage} -> {to_stage}")
    return locked
