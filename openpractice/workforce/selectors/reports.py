"""Workforce reports for the practice and office managers: headcount, turnover, overdue training and expiring
credentials, for the employees the actor reaches with workforce.view. A fixed number of queries whatever the size.

Turnover follows DOMAIN.md: separations in the period ÷ average headcount, the average being the mean of the
headcount on the first and on the last day. Headcount on a day counts everyone hired on or before it and not
terminated before it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q

from openpractice.accounts.roles import Perm

from ..choices import TrainingStatus
from ..models import EmployeeCredential, TrainingAssignment
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
