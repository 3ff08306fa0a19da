"""Scorecards and their criteria.

Only the people on an interview write its scorecard: one each, a 1-5 rating for every active criterion, a
recommendation and a summary. They can change it while the applicant is interviewing or has an offer; after
that the record is closed. Criteria are kept by workforce.manage holders (practice-wide list, or per position).
Refusals are audited before any transaction opens.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record

from ..choices import InterviewStatus, Recommendation
from ..models import Applicant, Interview, Scorecard, ScorecardCriterion, ScorecardRating
from ..selectors.interviews import SCORECARD_OPEN_STAGES, criteria_for

CRITERION_FIELDS: tuple[str, ...] = ("position", "name", "guidance", "order", "is_active")
INTERVIEWER = "interviewer on the interview"


def _on_interview(actor: Any, interview: Interview) -> bool:
    return bool(getattr(actor, "is_authenticated", False)) and interview.interviewers.filter(pk=actor.pk).exists()


def may_write(actor: Any, interview: Interview) -> bool:
    """Whether the actor may submit or change their scorecard now (on the interview, open stage, not cancelled)."""
    return (_on_interview(actor, interview) and interview.applicant.stage in SCORECARD_OPEN_STAGES
            and interview.status in (InterviewStatus.SCHEDULED, InterviewStatus.COMPLETED))


def scorecard_submit(*, actor: Any, interview: Interview, ratings: Mapping[int, tuple[int, str]],
                     recommendation: str, summary: str = "") -> Scorecard:
    """Submit (or change) the actor's scorecard. `ratings` maps criterion id -> (rating, comment); every active
    criterion of the interview needs a rating."""
    if not _on_interview(actor, interview):
        raise refuse(actor=actor, permission=INTERVIEWER, action="scorecards.submit", target=interview)
    criteria = criteria_for(interview)
    wanted = {criterion.pk for criterion in criteria}
    errors: dict[str, Any] = {}
    for criterion in criteria:
        value = ratings.get(criterion.pk, (None, ""))[0]
        if value is None or not 1 <= int(value) <= 5:
            errors[f"rating_{criterion.pk}"] = _("Rate “%(name)s” from 1 to 5.") % {"name": criterion.name}
    unknown = sorted(set(ratings) - wanted)
    if unknown:
        errors["__all__"] = _("Some criteria no longer apply; reload the page.")
    if recommendation not in Recommendation.values:
        errors["recommendation"] = _("Choose a recommendation.")
    if errors:
        raise ValidationError(errors, code="invalid")
    with transaction.atomic():
        # The applicant row serializes against stage moves: no scorecard lands after the applicant left.
        applicant = Applicant.objects.select_for_update().get(pk=interview.applicant_id)
        current = Interview.objects.select_for_update().get(pk=interview.pk)
        if applicant.stage not in SCORECARD_OPEN_STAGES:
            raise ValidationError(_("The applicant is no longer interviewing: scorecards are closed."),
                                  code="closed")
        if current.status not in (InterviewStatus.SCHEDULED, InterviewStatus.COMPLETED):
            raise ValidationError(_("This interview did not take place: there is nothing to score."),
                                  code="status")
        card = Scorecard.objects.select_for_update().filter(interview=current, interviewer=actor).first()
        created = card is None
        if card is None:
            card = Scorecard(interview=current, interviewer=actor)
        card.recommendation, card.summary, card.submitted_at = recommendation, (summary or "").strip(), timezone.now()
        card.full_clean(exclude=["interview", "interviewer"])
        try:
            with transaction.atomic():
                card.save()
        except IntegrityError as exc:  # a second tab submitted first
            raise ValidationError(_("Your scorecard was just saved elsewhere; reload the page."),
                                  code="duplicate") from exc
        card.ratings.exclude(criterion_id__in=wanted).delete()
        existing = {rating.criterion_id: rating for rating in card.ratings.all()}
        for criterion in criteria:
            value, comment = ratings[criterion.pk]
            row = existing.get(criterion.pk) or ScorecardRating(scorecard=card, criterion=criterion)
            row.rating, row.comment = int(value), (comment or "").strip()[:500]
            row.save()
        record(actor=actor, action="scorecards.submitted" if created else "scorecards.updated", target=card,
               location_id=applicant.requisition.location_id,
               changed_fields=["ratings", "recommendation", "summary"])
    return card


# --- criteria ------------------------------------------------------------------------------------------------


def _require_manage(actor: Any, action: str, target: Model | None = None) -> None:
    if not can(actor, Perm.WORKFORCE_MANAGE):
        raise refuse(actor=actor, permission=Perm.WORKFORCE_MANAGE, action=action, target=target)


def _check_keys(data: Mapping[str, Any]) -> None:
    unknown = sorted(set(data) - set(CRITERION_FIELDS))
    if unknown:
        raise ValidationError(_("Unknown field(s): %(fields)s.") % {"fields": ", ".join(unknown)}, code="unknown")


def criterion_create(*, actor: Any, data: Mapping[str, Any]) -> ScorecardCriterion:
    _require_manage(actor, "scorecard_criteria.create")
    _check_keys(data)
    criterion = ScorecardCriterion(**{name: value.strip() if isinstance(value, str) else value
                                      for name, value in data.items()})
    criterion.full_clean()
    with transaction.atomic():
        criterion.save(force_insert=True)
        record(actor=actor, action="scorecard_criteria.created", target=criterion, changed_fields=list(data))
    return criterion


def criterion_update(*, actor: Any, criterion: ScorecardCriterion, data: Mapping[str, Any]) -> ScorecardCriterion:
    """Change or (is_active=False) retire a criterion; ratings already given keep pointing at it."""
    _require_manage(actor, "scorecard_criteria.update", criterion)
    _check_keys(data)
    with transaction.atomic():
        current = ScorecardCriterion.objects.select_for_update().get(pk=criterion.pk)
        changed: list[str] = []
        for name, value in data.items():
            value = value.strip() if isinstance(value, str) else value
            attname = "position_id" if name == "position" else name
            value = value.pk if isinstance(value, Model) else value
            if getattr(current, attname) != value:
                setattr(current, attname, value)
                changed.append(name)
        if changed:
            current.full_clean()
            current.save(update_fields=changed)
            record(actor=actor, action="scorecard_criteria.updated", target=current, changed_fields=changed)
    return current
