"""Workforce reports for the practice and office managers: headcount, turnover, overdue training and expiring
credentials, for the employees the actor reaches with workforce.view. A fixed number of queries whatever the size.

Turnover follows DOMAIN.md: separations in the period ÷ average headcount, the average being the mean of the
headcount on the first and on the last day. Headcount on a day counts everyone hired on or before it and not
terminated before it.

Hiring (for workforce.hiring holders, over the requisitions they reach): time to hire is the days from an
applicant's applied_on to the practice-local day of their move to "hired"; time to fill the days from a
requisition's opening (approval) to its last hire.
"""

from __future__ import annotations

import datetime as dt
import statistics
import zoneinfo
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q

from openpractice.accounts.roles import Perm
from openpractice.core.selectors import practice_timezone_name

from ..choices import ApplicantStage, RequisitionStatus, TrainingStatus
from ..models import ApplicantStageChange, EmployeeCredential, TrainingAssignment
from .hiring_scope import requisitions_scoped
from .scope import employees_scoped


@dataclass(frozen=True)
class HeadcountRow:
    label: str
    count: int


@dataclass(frozen=True)
class WorkforceReport:
    start: dt.date
    end: dt.date
    headcount_start: int
    headcount_end: int
    separations: int
    hires: int
    turnover_percent: Decimal | None  # None: nobody was employed
    by_location: list[HeadcountRow]
    by_position: list[HeadcountRow]
    overdue_training: int
    credentials_expiring: int  # within 90 days of the end date, not yet renewed
    credentials_expired: int


def _employed_on(day: dt.date) -> Q:
    return Q(hire_date__lte=day) & (Q(termination_date__isnull=True) | Q(termination_date__gte=day))


def workforce_report(*, actor: Any, start: dt.date, end: dt.date) -> WorkforceReport:
    if end < start:
        raise ValueError("the period ends before it starts")
    people = employees_scoped(actor=actor, permission=Perm.WORKFORCE_VIEW, include_self=False)
    counts = people.aggregate(
        at_start=Count("pk", filter=_employed_on(start)),
        at_end=Count("pk", filter=_employed_on(end)),
        separations=Count("pk", filter=Q(termination_date__gte=start, termination_date__lte=end)),
        hires=Count("pk", filter=Q(hire_date__gte=start, hire_date__lte=end)),
    )
    average = Decimal(counts["at_start"] + counts["at_end"]) / 2
    turnover = ((Decimal(counts["separations"]) * 100 / average).quantize(Decimal("0.1"), ROUND_HALF_UP)
                if average else None)
    current = people.filter(_employed_on(end))
    by_location = [HeadcountRow(row["location__name"] or "—", row["n"]) for row in
                   current.values("location__name").annotate(n=Count("pk")).order_by("-n", "location__name")]
    by_position = [HeadcountRow(row["position__title"] or "—", row["n"]) for row in
                   current.values("position__title").annotate(n=Count("pk")).order_by("-n", "position__title")]
    overdue = TrainingAssignment.objects.filter(
        status=TrainingStatus.ASSIGNED, due_on__lt=end,
        employee__in=people.filter(_employed_on(end)).values("pk")).count()
    held = EmployeeCredential.objects.filter(renewed_by__isnull=True, expires_on__isnull=False,
                                             employee__in=current.values("pk"))
    credential_counts = held.aggregate(
        expiring=Count("pk", filter=Q(expires_on__gte=end, expires_on__lte=end + dt.timedelta(days=90))),
        expired=Count("pk", filter=Q(expires_on__lt=end)),
    )
    return WorkforceReport(
        start=start, end=end, headcount_start=counts["at_start"], headcount_end=counts["at_end"],
        separations=counts["separations"], hires=counts["hires"], turnover_percent=turnover,
        by_location=by_location, by_position=by_position, overdue_training=overdue,
        credentials_expiring=credential_counts["expiring"], credentials_expired=credential_counts["expired"],
    )


# --- hiring: time to hire, time to fill, open requisitions ------------------------------------------------------


@dataclass(frozen=True)
class DaysFigures:
    """Median and average of a list of day counts (None when the list is empty)."""

    count: int
    median: Decimal | None
    average: Decimal | None


@dataclass(frozen=True)
class HiringPositionRow:
    title: str
    time_to_hire: DaysFigures
    time_to_fill: DaysFigures


@dataclass(frozen=True)
class HiringReport:
    time_to_hire: DaysFigures  # applied_on -> the day of the move to "hired", per hire in the period
    time_to_fill: DaysFigures  # opened_at -> the last hire, per requisition filled in the period
    by_position: list[HiringPositionRow]
    open_requisitions: int
    open_average_age: Decimal | None  # days since opened_at, on the report's end date
    open_oldest_age: int | None


def _figures(days: list[int]) -> DaysFigures:
    if not days:
        return DaysFigures(0, None, None)
    tenth = Decimal("0.1")
    median = Decimal(str(statistics.median(days))).quantize(tenth, ROUND_HALF_UP)
    average = (Decimal(sum(days)) / len(days)).quantize(tenth, ROUND_HALF_UP)
    return DaysFigures(len(days), median, average)


def hiring_report(*, actor: Any, start: dt.date, end: dt.date) -> HiringReport:
    """Time to hire and time to fill for the hires (practice-local day of the move to "hired") between `start`
    and `end`, over the requisitions the actor reaches with workforce.hiring; per position too. Requisitions
    count as filled in the period when their last hire falls in it. Two queries whatever the size."""
    if end < start:
        raise ValueError("the period ends before it starts")
    zone = zoneinfo.ZoneInfo(practice_timezone_name())
    requisitions = requisitions_scoped(actor=actor)
    hires = list(ApplicantStageChange.objects.filter(
        to_stage=ApplicantStage.HIRED, applicant__requisition__in=requisitions.values("pk"),
        # A day early: the practice-local day decides, below. No upper bound: a requisition whose last hire comes
        # after the period was not filled in it.
        changed_at__gte=dt.datetime.combine(start - dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC),
    ).values_list("changed_at", "applicant__applied_on", "applicant__requisition_id",
                  "applicant__requisition__opened_at", "applicant__requisition__status",
                  "applicant__requisition__position__title"))
    to_hire: dict[str, list[int]] = {}
    last_hire: dict[int, tuple[dt.date, dt.date | None, str, str]] = {}
    for changed_at, applied_on, requisition_id, opened_at, status, title in hires:
        day = changed_at.astimezone(zone).date()
        if day < start:
            continue
        if day <= end:
            to_hire.setdefault(title, []).append((day - applied_on).days)
        opened = opened_at.astimezone(zone).date() if opened_at else None
        if requisition_id not in last_hire or day > last_hire[requisition_id][0]:
            last_hire[requisition_id] = (day, opened, status, title)
    # Filled in the period: the requisition's last hire falls in it (one before the period cannot be the last
    # when another falls in it, so the query's lower bound loses nothing).
    to_fill: dict[str, list[int]] = {}
    for day, opened, status, title in last_hire.values():
        if status == RequisitionStatus.FILLED and opened is not None and day <= end:
            to_fill.setdefault(title, []).append((day - opened).days)
    open_ages = [(end - opened_at.astimezone(zone).date()).days for opened_at in requisitions.filter(
        status=RequisitionStatus.OPEN, opened_at__isnull=False).values_list("opened_at", flat=True)
        if opened_at is not None]
    titles = sorted(set(to_hire) | set(to_fill))
    return HiringReport(
        time_to_hire=_figures([days for values in to_hire.values() for days in values]),
        time_to_fill=_figures([days for values in to_fill.values() for days in values]),
        by_position=[HiringPositionRow(title, _figures(to_hire.get(title, [])), _figures(to_fill.get(title, [])))
                     for title in titles],
        open_requisitions=len(open_ages),
        open_average_age=(Decimal(sum(open_ages)) / len(open_ages)).quantize(Decimal("0.1"), ROUND_HALF_UP)
        if open_ages else None,
        open_oldest_age=max(open_ages) if open_ages else None,
    )
