"""Working a denial: assign it, add notes, appeal it (the letter is rendered by the view from the argument given
here), record that a corrected claim went out, close it as resolved or written off.

Every action needs billing.manage at the claim's location, refused and audited before the transaction opens.
Notes are appended to the denial's notes with the date and the person, never rewritten, so the notes are the
denial's history of what was done. Closing a denial as written off records the decision only: the money is
written off through a write-off request (which needs approval above the practice's threshold).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.selectors import practice_now

from ..choices import ClaimFrequency, ClaimStatus, DenialStatus, StatusSource
from ..models import Claim, Denial
from .authorization import authorize_at
from .claim_status import claim_transition

MAX_NOTE = 2000
MAX_ARGUMENT = 6000
CLOSED_STATUSES: frozenset[str] = frozenset({DenialStatus.RESOLVED, DenialStatus.WRITTEN_OFF})
# A claim in these statuses moves to appealed with its denial (the lifecycle allows it from both).
APPEALABLE_CLAIM_STATUSES: frozenset[str] = frozenset({ClaimStatus.DENIED, ClaimStatus.PARTIAL})


def _locked(denial: Denial) -> Denial:
    return Denial.objects.select_for_update().select_related("claim").get(pk=denial.pk)


def _stamp(actor: Any, heading: str, text: str) -> str:
    when = practice_now().strftime("%Y-%m-%d %H:%M")
    who = getattr(actor, "display_name", "") or getattr(actor, "username", "")
    line = f"{when} {who} — {heading}"
    return f"{line}\n{text}" if text else line


def _append(current: Denial, entry: str) -> None:
    current.note = f"{current.note}\n\n{entry}" if current.note else entry


def _save(current: Denial, fields: list[str], *, actor: Any, action: str, reason: str = "") -> None:
    # The codes may be empty lists, which full_clean takes for blank; they are the 835's and never change here.
    current.full_clean(exclude=["claim", "remittance_claim", "assigned_to", "reason_codes", "remark_codes"],
                       validate_unique=False, validate_constraints=False)
    current.save(update_fields=fields)
    record(actor=actor, action=action, target=current, patient_id=current.claim.patient_id,
           location_id=current.claim.location_id, changed_fields=fields, reason=reason)


def _require_working(current: Denial) -> None:
    if current.status in CLOSED_STATUSES:
        raise ValidationError(_("This denial is closed (%(status)s): nothing more can be done on it.")
                              % {"status": current.get_status_display().lower()}, code="closed")


def _clean_text(text: str, *, limit: int, what: str) -> str:
    value = (text or "").replace("\x00", "").strip()
    if not value:
        raise ValidationError(_("Write the %(what)s.") % {"what": what}, code="required")
    if len(value) > limit:
        raise ValidationError(_("Keep the %(what)s under %(limit)s characters.") % {"what": what, "limit": limit},
                              code="too_long")
    return value


def _may_be_assigned(user: Any, location_id: int) -> bool:
    """The person (not the acting user) manages billing at the location."""
    return bool(getattr(user, "is_active", False)) and can(user, Perm.BILLING_MANAGE, location_id)


def denial_assign(*, actor: Any, denial: Denial, assignee: Any | None) -> Denial:
    """Give the denial to someone who manages billing at its location (None: nobody)."""
    authorize_at(actor=actor, location_id=denial.claim.location_id, action="billing.denial_assign", target=denial)
    if assignee is not None and not _may_be_assigned(assignee, denial.claim.location_id):
        raise ValidationError({"assignee": _("Choose someone who manages billing at %(location)s.")
                               % {"location": denial.claim.location.name}})
    with transaction.atomic():
        current = _locked(denial)
        new_id = assignee.pk if assignee is not None else None
        if current.assigned_to_id == new_id:
            return current
        current.assigned_to_id = new_id
        _save(current, ["assigned_to"], actor=actor, action="billing.denial_assigned",
              reason=f"user {new_id}" if new_id else "unassigned")
    denial.assigned_to_id = current.assigned_to_id
    return current


def denial_note_add(*, actor: Any, denial: Denial, text: str) -> Denial:
    """Add a note (a call to the payer, what was sent) under the earlier ones."""
    authorize_at(actor=actor, location_id=denial.claim.location_id, action="billing.denial_note", target=denial)
    value = _clean_text(text, limit=MAX_NOTE, what=_("note"))
    with transaction.atomic():
        current = _locked(denial)
        _append(current, _stamp(actor, _("note"), value))
        _save(current, ["note"], actor=actor, action="billing.denial_note_added")
    denial.note = current.note
    return current


def denial_appeal(*, actor: Any, denial: Denial, argument: str) -> Denial:
    """Appeal the denial with `argument` (the biller's case, printed in the appeal letter): the denial becomes
    appealed, the argument is kept in its notes, and a denied or partly paid claim becomes appealed. A denial
    already appealed may be appealed again (a second-level appeal): the new argument is added; the same argument
    again changes nothing."""
    authorize_at(actor=actor, location_id=denial.claim.location_id, action="billing.denial_appeal", target=denial)
    value = _clean_text(argument, limit=MAX_ARGUMENT, what=_("argument for the appeal"))
    with transaction.atomic():
        current = _locked(denial)
        _require_working(current)
        again = current.status == DenialStatus.APPEALED
        if again and current.note.endswith(f"\n{value}"):
            # The same letter asked for twice (a second click, or downloading it again): one appeal, not two.
            return current
        current.status = DenialStatus.APPEALED
        _append(current, _stamp(actor, _("appeal sent again") if again else _("appeal sent"), value))
        claim = Claim.objects.select_for_update().get(pk=current.claim_id)
        if claim.status in APPEALABLE_CLAIM_STATUSES:
            claim_transition(actor=actor, claim=claim, to_status=ClaimStatus.APPEALED, source=StatusSource.USER,
                             reason=_("appeal of denial %(denial)s") % {"denial": current.pk})
        _save(current, ["status", "note"], actor=actor, action="billing.denial_appealed",
              reason="second appeal" if again else "")
    denial.status, denial.note = current.status, current.note
    return current


def denial_mark_corrected(*, actor: Any, denial: Denial) -> Denial:
    """Record that a corrected claim (frequency 7, built through the claim's "Corrected claim" action) replaced
    the denied claim."""
    authorize_at(actor=actor, location_id=denial.claim.location_id, action="billing.denial_corrected",
                 target=denial)
    with transaction.atomic():
        current = _locked(denial)
        _require_working(current)
        replacement = (Claim.objects.filter(original_claim_id=current.claim_id,
                                            frequency_code=ClaimFrequency.CORRECTED).order_by("-pk").first())
        if replacement is None:
            raise ValidationError(_("No corrected claim replaces claim %(claim)s yet: use “Correct the claim” "
                                    "first.") % {"claim": current.claim.claim_number}, code="no_corrected_claim")
        if current.status == DenialStatus.CORRECTED:
            return current
        current.status = DenialStatus.CORRECTED
        _append(current, _stamp(actor, _("corrected claim %(claim)s sent in its place")
                                % {"claim": replacement.claim_number}, ""))
        _save(current, ["status", "note"], actor=actor, action="billing.denial_corrected",
              reason=f"corrected claim {replacement.pk}")
    denial.status, denial.note = current.status, current.note
    return current


def denial_close(*, actor: Any, denial: Denial, outcome: str, note: str = "") -> Denial:
    """Close the denial: resolved (paid after all, or nothing was owed) or written off (the practice gives up the
    amount; say why). Writing off here records the decision; the balance is written off by a write-off request."""
    authorize_at(actor=actor, location_id=denial.claim.location_id, action="billing.denial_close", target=denial)
    if outcome not in CLOSED_STATUSES:
        raise ValidationError({"outcome": _("Choose resolved or written off.")})
    text = (note or "").replace("\x00", "").strip()
    if outcome == DenialStatus.WRITTEN_OFF:
        text = _clean_text(text, limit=MAX_NOTE, what=_("reason for writing it off"))
    elif len(text) > MAX_NOTE:
        raise ValidationError({"note": _("Keep the note under %(limit)s characters.") % {"limit": MAX_NOTE}})
    with transaction.atomic():
        current = _locked(denial)
        _require_working(current)
        current.status = outcome
        current.resolved_at = timezone.now()
        heading = _("written off") if outcome == DenialStatus.WRITTEN_OFF else _("resolved")
        _append(current, _stamp(actor, heading, text))
        _save(current, ["status", "resolved_at", "note"], actor=actor,
              action="billing.denial_written_off" if outcome == DenialStatus.WRITTEN_OFF else "billing.denial_resolved")
    denial.status, denial.resolved_at, denial.note = current.status, current.resolved_at, current.note
    return current
