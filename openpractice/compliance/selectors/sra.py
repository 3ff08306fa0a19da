"""Security risk assessment reads: the assessments, their answers by safeguard, the risk register and the report.

compliance.view reads everything here (the SRA is practice-wide: no location scope); anyone else sees nothing.

Scoring: likelihood (1-5) x impact (1-5). The bands are stated once, in BANDS, and used by the register filter,
the badges and the report. An answer carried over from last year's assessment keeps last year's `answered_at`
(earlier than this assessment's start): that is how it shows as "to review" until someone saves it again.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from openpractice.accounts.models import User
from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm

from ..choices import RiskStatus, Safeguard, SraAnswer, SraStatus
from ..models import Risk, SecurityRiskAssessment, SraQuestion, SraResponse

LOW, MEDIUM, HIGH, CRITICAL = "low", "medium", "high", "critical"
# The score bands, inclusive (the only place they are written): 1-4 low, 5-9 medium, 10-16 high, 20-25 critical.
# Scores 17-19 cannot occur (no product of two numbers 1-5); critical starts right after high so no score is lost.
BANDS: tuple[tuple[str, Any, int, int], ...] = (
    (LOW, _("Low"), 1, 4),
    (MEDIUM, _("Medium"), 5, 9),
    (HIGH, _("High"), 10, 16),
    (CRITICAL, _("Critical"), 17, 25),
)
BAND_LABELS: dict[str, Any] = {key: label for key, label, _low, _high in BANDS}
SERIOUS_BANDS: tuple[str, ...] = (HIGH, CRITICAL)  # accepting one of these needs a written reason
REASSESS_AFTER_MONTHS = 12
SCALE = (1, 2, 3, 4, 5)


def band_of(score: int) -> str:
    for key, _label, low, high in BANDS:
        if low <= score <= high:
            return key
    raise ValueError(f"score out of range: {score}")


def band_range(band: str) -> tuple[int, int]:
    for key, _label, low, high in BANDS:
        if key == band:
            return low, high
    raise ValueError(f"unknown band: {band}")


def band_choices() -> list[tuple[str, Any]]:
    return [(key, label) for key, label, _low, _high in BANDS]


# --- scoped querysets ------------------------------------------------------------------------------------------


def assessments_visible(*, actor: Any) -> QuerySet[SecurityRiskAssessment]:
    if not can(actor, Perm.COMPLIANCE_VIEW):
        return SecurityRiskAssessment.objects.none()
    return SecurityRiskAssessment.objects.select_related("started_by", "completed_by")


def risks_visible(*, actor: Any) -> QuerySet[Risk]:
    if not can(actor, Perm.COMPLIANCE_VIEW):
        return Risk.objects.none()
    return Risk.objects.select_related("owner", "assessment", "question", "created_by")


def questions_visible(*, actor: Any) -> QuerySet[SraQuestion]:
    if not can(actor, Perm.COMPLIANCE_VIEW):
        return SraQuestion.objects.none()
    return SraQuestion.objects.all()


# --- the register ----------------------------------------------------------------------------------------------


def with_score(queryset: QuerySet[Risk], *, today: dt.date) -> QuerySet[Any]:
    """`score_value` (likelihood x impact), its `band` (from BANDS) and `overdue` (open, remediation date
    passed) as annotations."""
    return queryset.annotate(
        score_value=ExpressionWrapper(F("likelihood") * F("impact"), output_field=IntegerField()),
    ).annotate(
        band=Case(*[When(score_value__gte=low, score_value__lte=high, then=Value(key)) for key, _l, low, high in BANDS],
                  default=Value(""), output_field=CharField()),
        overdue=Case(When(status=RiskStatus.OPEN, due_on__lt=today, then=Value(True)), default=Value(False),
                     output_field=BooleanField()),
    )


def risk_list(*, actor: Any, today: dt.date, status: str = "", band: str = "", safeguard: str = "",
              assessment: SecurityRiskAssessment | None = None) -> QuerySet[Any]:
    """The register across years, in one query whatever its length; unknown filter values are ignored."""
    queryset = with_score(risks_visible(actor=actor), today=today)
    if status in RiskStatus.values:
        queryset = queryset.filter(status=status)
    if band in BAND_LABELS:
        low, high = band_range(band)
        queryset = queryset.filter(score_value__gte=low, score_value__lte=high)
    if safeguard in Safeguard.values:
        queryset = queryset.filter(safeguard=safeguard)
    if assessment is not None:
        queryset = queryset.filter(assessment=assessment)
    return queryset


def overdue_count(*, actor: Any, today: dt.date) -> int:
    return risks_visible(actor=actor).filter(status=RiskStatus.OPEN, due_on__lt=today).count()


def owner_choices() -> QuerySet[User]:
    """Who may own a risk: active users."""
    return User.objects.filter(is_active=True).order_by("last_name", "first_name", "username")


@dataclass
class HeatMap:
    """Counts of risks per likelihood x impact cell; rows run impact 5 down to 1 (the usual orientation)."""

    rows: list[tuple[int, list[tuple[int, int, str]]]]  # (impact, [(likelihood, count, band)])
    total: int


def heat_map(risks: list[Risk]) -> HeatMap:
    counts: dict[tuple[int, int], int] = {}
    for risk in risks:
        counts[(risk.likelihood, risk.impact)] = counts.get((risk.likelihood, risk.impact), 0) + 1
    rows = [(impact, [(likelihood, counts.get((likelihood, impact), 0), band_of(likelihood * impact))
                      for likelihood in SCALE]) for impact in reversed(SCALE)]
    return HeatMap(rows=rows, total=len(risks))


# --- an assessment ---------------------------------------------------------------------------------------------


def is_carried_over(response: SraResponse, assessment: SecurityRiskAssessment) -> bool:
    return response.answered_at < assessment.started_at


@dataclass
class Section:
    safeguard: str
    label: Any
    rows: list[tuple[SraQuestion, SraResponse | None, bool]]  # (question, answer, carried over)
    counts: dict[str, int] = field(default_factory=dict)  # per SraAnswer value, plus "unanswered"

    @property
    def answered(self) -> int:
        return sum(1 for _q, response, _c in self.rows if response is not None)


def sections(assessment: SecurityRiskAssessment) -> list[Section]:
    """The active questions by safeguard with this assessment's answers (two queries). Questions deactivated after
    they were answered still show with their answer."""
    responses = {row.question_id: row for row in
                 SraResponse.objects.filter(assessment=assessment).select_related("answered_by")}
    questions = SraQuestion.objects.filter(Q(is_active=True) | Q(pk__in=list(responses))).order_by(
        "safeguard", "order", "pk")
    by_safeguard: dict[str, Section] = {value: Section(value, label, []) for value, label in Safeguard.choices}
    for question in questions:
        response = responses.get(question.pk)
        carried = response is not None and is_carried_over(response, assessment)
        section = by_safeguard[question.safeguard]
        section.rows.append((question, response, carried))
        key = response.answer if response is not None else "unanswered"
        section.counts[key] = section.counts.get(key, 0) + 1
    for section in by_safeguard.values():
        for value in [*SraAnswer.values, "unanswered"]:
            section.counts.setdefault(value, 0)
    return [section for section in by_safeguard.values() if section.rows]


def section_of(assessment: SecurityRiskAssessment, safeguard: str) -> Section | None:
    return next((section for section in sections(assessment) if section.safeguard == safeguard), None)


@dataclass
class Progress:
    questions: int
    answered: int
    carried_over: int

    @property
    def complete(self) -> bool:
        return self.answered == self.questions and not self.carried_over


def progress(assessment: SecurityRiskAssessment) -> Progress:
    """Active questions, how many have an answer, how many answers are still last year's (not yet reviewed)."""
    active = SraQuestion.objects.filter(is_active=True)
    answered = SraResponse.objects.filter(assessment=assessment, question__is_active=True)
    return Progress(questions=active.count(), answered=answered.count(),
                    carried_over=answered.filter(answered_at__lt=assessment.started_at).count())


def previous_assessment(year: int) -> SecurityRiskAssessment | None:
    """The latest assessment before `year` (its answers are the starting point of a new one)."""
    return SecurityRiskAssessment.objects.filter(year__lt=year).order_by("-year").first()


# --- the yearly reassessment -----------------------------------------------------------------------------------


def plus_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day when it is shorter: Feb 29 + 12 months = Feb 28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


@dataclass
class Reassessment:
    last_completed: SecurityRiskAssessment | None
    last_completed_on: dt.date | None
    due: bool
    in_progress: SecurityRiskAssessment | None


def reassessment(*, actor: Any, today: dt.date) -> Reassessment:
    """When the last completed assessment was, and whether a new one is due (none, or more than 12 months ago)."""
    visible = assessments_visible(actor=actor)
    last = visible.filter(status=SraStatus.COMPLETED, completed_at__isnull=False).order_by("-completed_at").first()
    on = timezone.localtime(last.completed_at).date() if last is not None and last.completed_at is not None else None
    due = on is None or today > plus_months(on, REASSESS_AFTER_MONTHS)
    return Reassessment(last_completed=last, last_completed_on=on, due=due,
                        in_progress=visible.filter(status=SraStatus.IN_PROGRESS).order_by("-year").first())


def assessment_list(*, actor: Any) -> QuerySet[SecurityRiskAssessment]:
    """Every assessment, newest first, with its answer and risk counts (one query)."""
    return assessments_visible(actor=actor).annotate(
        answer_count=Count("responses", distinct=True),
        risk_count=Count("risks", distinct=True),
        open_risk_count=Count("risks", filter=Q(risks__status=RiskStatus.OPEN), distinct=True),
    ).order_by("-year")


# --- the report ------------------------------------------------------------------------------------------------


def report_context(*, assessment: SecurityRiskAssessment, today: dt.date) -> dict[str, Any]:
    """What the PDF shows: the year and its completion, the answers by safeguard with counts, the register (the
    risks of this assessment and those still open from earlier years) by score, and the heat map."""
    risks = list(with_score(
        Risk.objects.filter(Q(assessment=assessment) | Q(status=RiskStatus.OPEN, assessment__year__lt=assessment.year)
                            | Q(status=RiskStatus.OPEN, assessment__isnull=True))
        .select_related("owner", "assessment"), today=today).order_by("-score_value", "due_on", "pk"))
    return {
        "assessment": assessment, "sections": sections(assessment), "progress": progress(assessment),
        "risks": risks, "heat_map": heat_map(risks), "bands": BANDS, "today": today,
        "answer_choices": SraAnswer.choices,
    }
