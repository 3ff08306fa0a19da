"""The applicant pipeline's one writer of stage moves, shared by the requisition/applicant, interview and offer
services. Callers authorize and lock the applicant row first; this checks the move and keeps the history."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from ..choices import ApplicantStage as S
from ..models import Applicant, ApplicantStageChange

# Hired, rejected and withdrawn end the pipeline. A rejected or withdrawn applicant can be reconsidered (back to
# screening); a hired one cannot be moved.
ALLOWED_MOVES: dict[str, frozenset[str]] = {
    S.APPLIED: frozenset({S.SCREENING, S.INTERVIEW, S.REJECTED, S.WITHDRAWN}),
    S.SCREENING: frozenset({S.APPLIED, S.INTERVIEW, S.REJECTED, S.WITHDRAWN}),
    S.INTERVIEW: frozenset({S.SCREENING, S.OFFER, S.REJECTED, S.WITHDRAWN}),
    S.OFFER: frozenset({S.INTERVIEW, S.HIRED, S.REJECTED, S.WITHDRAWN}),
    S.HIRED: frozenset(),
    S.REJECTED: frozenset({S.SCREENING}),
    S.WITHDRAWN: frozenset({S.SCREENING}),
}
CLOSED_STAGES: frozenset[str] = frozenset({S.HIRED, S.REJECTED, S.WITHDRAWN})


def stage_move_locked(*, actor: Any, applicant: Applicant, to_stage: str, note: str = "") -> ApplicantStageChange:
    """Move a locked applicant row to `to_stage` and record the change (the caller saves nothing else for it and
    writes the audit event). Moving to the stage it is already in is refused."""
    if to_stage not in ALLOWED_MOVES:
        raise ValidationError({"stage": _("Choose a stage.")}, code="stage")
    if to_stage not in ALLOWED_MOVES[applicant.stage]:
        raise ValidationError(
            {"stage": _("An applicant cannot move from “%(from)s” to “%(to)s”.")
             % {"from": S(applicant.stage).label, "to": S(to_stage).label}}, code="stage_move")
    change = ApplicantStageChange.objects.create(applicant=applicant, from_stage=applicant.stage, to_stage=to_stage,
                                                 changed_by=actor, changed_at=timezone.now(),
                                                 note=note.strip()[:300])
    applicant.stage, applicant.stage_changed_at = to_stage, change.changed_at
    applicant.save(update_fields=["stage", "stage_changed_at", "updated_at"])
    return change


def stage_first_locked(*, actor: Any, applicant: Applicant) -> ApplicantStageChange:
    """The history's first row for a new applicant (from nothing to their starting stage)."""
    return ApplicantStageChange.objects.create(applicant=applicant, from_stage="", to_stage=applicant.stage,
                                               changed_by=actor, changed_at=applicant.stage_changed_at)
