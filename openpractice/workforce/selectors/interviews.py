"""Interview reads: the interviews a person reaches (hiring_scope decides), who may manage one, who may read its
scorecards, the applicant page's panel and "my interviews".

Scorecards are hiring business: workforce.hiring at the requisition's location reads them all; workforce.schedule
alone (entry office managers) sees interviews but not scorecards; an interviewer sees their own scorecard and,
once they have submitted it, the others' (not before: their ratings must not be anchored by the others').
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm

from ..choices import ApplicantStage, InterviewStatus, Recommendation, RequisitionStatus
from ..models import Applicant, Interview, Scorecard, ScorecardCriterion, ScorecardRating
from .hiring_scope import applicants_scoped, interviews_scoped

# Applicants who may get a (new) interview, and whose interviewers may still write or change scorecards.
SCHEDULABLE_STAGES: frozenset[str] = frozenset({ApplicantStage.APPLIED, ApplicantStage.SCREENING,
                                                ApplicantStage.INTERVIEW})
SCORECARD_OPEN_STAGES: frozenset[str] = frozenset({ApplicantStage.INTERVIEW, ApplicantStage.OFFER})


def _location_id(interview_or_applicant: Interview | Applicant) -> int:
    applicant = (interview_or_applicant.applicant if isinstance(interview_or_applicant, Interview)
                 else interview_or_applicant)
    return applicant.requisition.location_id


def interviews_visible(*, actor: Any) -> QuerySet[Interview]:
    """Interviews the actor reaches, with what every interview page shows."""
    return (interviews_scoped(actor=actor)
            .select_related("applicant__requisition__position", "applicant__requisition__location", "location")
            .prefetch_related(Prefetch("interviewers", queryset=User.objects.order_by("last_name", "first_name",
                                                                                     "pk"))))


def interviews_managed(*, actor: Any) -> QuerySet[Interview]:
    """Interviews the actor may reschedule, cancel or close: schedule or hiring duty at the location (being an
    interviewer is not enough)."""
    return interviews_visible(actor=actor).filter(
        pk__in=interviews_scoped(actor=actor, include_own=False).values("pk"))


def applicants_schedulable(*, actor: Any) -> QuerySet[Applicant]:
    """Applicants the actor may schedule interviews for (workforce.schedule or workforce.hiring there)."""
    return (applicants_scoped(actor=actor, permission=Perm.WORKFORCE_SCHEDULE)
            | applicants_scoped(actor=actor, permission=Perm.WORKFORCE_HIRING)).select_related(
        "requisition__position", "requisition__location")


def may_schedule_for(actor: Any, applicant: Applicant) -> bool:
    location_id = _location_id(applicant)
    return can(actor, Perm.WORKFORCE_SCHEDULE, location_id) or can(actor, Perm.WORKFORCE_HIRING, location_id)


def may_manage(actor: Any, interview: Interview) -> bool:
    return may_schedule_for(actor, interview.applicant)


def reads_all_scorecards(actor: Any, interview: Interview) -> bool:
    """Hiring duty at the location (schedule-only holders and plain interviewers do not)."""
    return can(actor, Perm.WORKFORCE_HIRING, _location_id(interview))


def is_interviewer(actor: Any, interview: Interview) -> bool:
    if not getattr(actor, "is_authenticated", False):
        return False
    return any(person.pk == actor.pk for person in interview.interviewers.all())


def criteria_for(interview: Interview) -> list[ScorecardCriterion]:
    """The active criteria for the interview's position: practice-wide ones and the position's own, in order."""
    position_id = interview.applicant.requisition.position_id
    return list(ScorecardCriterion.objects.filter(Q(position__isnull=True) | Q(position_id=position_id),
                                                  is_active=True).order_by("order", "name", "pk"))


def criteria_all() -> QuerySet[ScorecardCriterion]:
    return ScorecardCriterion.objects.select_related("position").order_by("position__title", "order", "name", "pk")


@dataclass
class CriterionAverage:
    criterion_id: int
    name: str
    average: float | None
    count: int


@dataclass
class ScorecardSummary:
    count: int = 0
    recommendations: list[tuple[str, str, int]] = field(default_factory=list)  # (value, label, count)
    averages: list[CriterionAverage] = field(default_factory=list)
    overall: float | None = None


def summarize(scorecards: list[Scorecard], criteria: list[ScorecardCriterion] | None = None) -> ScorecardSummary:
    """Averages per criterion and recommendation counts, from scorecards whose ratings are prefetched."""
    counts = Counter(card.recommendation for card in scorecards)
    totals: dict[int, list[int]] = {}
    names: dict[int, str] = {}
    for card in scorecards:
        for rating in card.ratings.all():
            totals.setdefault(rating.criterion_id, []).append(rating.rating)
            names[rating.criterion_id] = rating.criterion.name
    order = [c.pk for c in criteria] if criteria is not None else list(totals)
    for criterion in criteria or []:
        names.setdefault(criterion.pk, criterion.name)
    order += [pk for pk in totals if pk not in order]  # criteria deactivated since they were rated
    averages = [CriterionAverage(criterion_id=pk, name=names[pk],
                                 average=round(sum(totals[pk]) / len(totals[pk]), 2) if totals.get(pk) else None,
                                 count=len(totals.get(pk, [])))
                for pk in order]
    every = [value for values in totals.values() for value in values]
    return ScorecardSummary(
        count=len(scorecards),
        recommendations=[(value, str(label), counts.get(value, 0)) for value, label in Recommendation.choices],
        averages=averages, overall=round(sum(every) / len(every), 2) if every else None)


def _scorecards_prefetch() -> Prefetch:
    return Prefetch("scorecards", queryset=Scorecard.objects.select_related("interviewer").prefetch_related(
        Prefetch("ratings", queryset=ScorecardRating.objects.select_related("criterion"))))


@dataclass
class ScorecardView:
    """What the actor may see of one interview's scorecards."""

    own: Scorecard | None
    others: list[Scorecard]
    summary: ScorecardSummary | None
    hidden_until_submitted: bool  # an interviewer who has not submitted: the others stay hidden
    may_read_others: bool


def scorecard_view(*, actor: Any, interview: Interview, criteria: list[ScorecardCriterion]) -> ScorecardView:
    cards = list(Scorecard.objects.filter(interview=interview).select_related("interviewer").prefetch_related(
        Prefetch("ratings", queryset=ScorecardRating.objects.select_related("criterion"))))
    return _view_of(actor, interview, cards, criteria)


def _view_of(actor: Any, interview: Interview, cards: list[Scorecard],
             criteria: list[ScorecardCriterion] | None) -> ScorecardView:
    own = next((card for card in cards if card.interviewer_id == actor.pk), None)
    interviewer = is_interviewer(actor, interview)
    hiring = reads_all_scorecards(actor, interview)
    hidden = interviewer and own is None and (hiring or bool(cards))
    # An interviewer who has submitted sees the panel's cards; hiring staff see them all unless anchoring applies.
    may_read = (hiring or (interviewer and own is not None)) and not hidden
    others = [card for card in cards if card.interviewer_id != actor.pk] if may_read else []
    summary = summarize(cards, criteria) if may_read else None
    return ScorecardView(own=own, others=others, summary=summary, hidden_until_submitted=hidden,
                         may_read_others=may_read)


# --- the applicant page's panel --------------------------------------------------------------------------------


@dataclass
class InterviewRow:
    interview: Interview
    scorecards: ScorecardView
    is_mine: bool
    url: str


def applicant_interview_panel(*, actor: Any, applicant: Applicant) -> dict[str, Any]:
    """Context for workforce/interviews/_applicant_panel.html on the applicant page: the applicant's interviews
    the actor reaches with the scorecard summary they may see, and whether (and where) they can schedule one.
    A fixed number of queries, however many interviews and scorecards there are."""
    interviews = list(
        interviews_scoped(actor=actor).filter(applicant=applicant).select_related("location")
        .prefetch_related(Prefetch("interviewers", queryset=User.objects.order_by("last_name", "first_name", "pk")),
                          _scorecards_prefetch())
        .order_by("-starts_at", "-pk"))
    rows: list[InterviewRow] = []
    for interview in interviews:
        interview.applicant = applicant  # already loaded: no query per row for the location check
        view = _view_of(actor, interview, list(interview.scorecards.all()), None)
        rows.append(InterviewRow(interview=interview, scorecards=view, is_mine=is_interviewer(actor, interview),
                                 url=reverse("workforce:interview_detail", kwargs={"interview_id": interview.pk})))
    may_schedule = may_schedule_for(actor, applicant)
    return {
        "interview_rows": rows,
        "interview_may_schedule": may_schedule,
        "interview_stage_open": applicant.stage in SCHEDULABLE_STAGES
        and applicant.requisition.status == RequisitionStatus.OPEN,
        "interview_schedule_url": reverse("workforce:applicant_interview_schedule",
                                          kwargs={"applicant_id": applicant.pk}) if may_schedule else "",
    }


# --- my interviews ---------------------------------------------------------------------------------------------


def my_interviews(*, actor: Any, now: dt.datetime | None = None) -> tuple[list[Interview], list[Interview]]:
    """The interviews the actor sits on, as two lists: upcoming ones soonest first, and past or closed ones newest
    first, each with `has_my_scorecard`. Three queries, whatever the number of rows."""
    now = now or timezone.now()
    base = (Interview.objects.filter(interviewers=actor)
            .select_related("applicant__requisition__position", "applicant__requisition__location", "location")
            .annotate(has_my_scorecard=Exists(Scorecard.objects.filter(interview=OuterRef("pk"),
                                                                       interviewer=actor))))
    rows: list[Interview] = list(base.order_by("starts_at", "pk"))
    upcoming = [row for row in rows if row.status == InterviewStatus.SCHEDULED
                and row.starts_at + dt.timedelta(minutes=row.duration_minutes) >= now]
    upcoming_ids = {row.pk for row in upcoming}
    past = [row for row in reversed(rows) if row.pk not in upcoming_ids]
    return upcoming, past
