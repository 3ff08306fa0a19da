"""Case reads for the reports and category pages, beside selectors.py (the contract): the count of overdue open
cases, the median days to resolve per category, the chart of the trends, and which kinds of categories a user
sees. Every read takes the acting user and counts only the cases that user may see (selectors.case_scoped).
"""

from __future__ import annotations

import datetime as dt
import statistics
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from openpractice.accounts.permissions import location_ids_where
from openpractice.core.selectors import practice_timezone_name

from .choices import OPEN_STATUSES
from .models import CaseCategory
from .selectors import VIEW_PERMISSION, case_scoped, overdue_condition

CHART_WIDTH = 640
CHART_HEIGHT = 200
CHART_TOP = 18  # room for the value above the tallest bar
CHART_BOTTOM = 22  # room for the month below the axis


def months_back(today: dt.date, months: int = 12) -> dt.date:
    """The first day of the month `months - 1` months before this one (the start of a `months`-month window, this
    month included), as selectors.trends counts it."""
    first = today.replace(day=1)
    for _step in range(months - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return first


def overdue_count(*, actor: Any, today: dt.date) -> int:
    """Open cases the actor may see that are past a service level (not acknowledged or not resolved in time)."""
    return case_scoped(actor=actor).filter(overdue_condition(today)).count()


def escalated_open_count(*, actor: Any) -> int:
    return case_scoped(actor=actor).filter(status__in=OPEN_STATUSES, escalated_at__isnull=False).count()


@dataclass(frozen=True)
class ResolveRow:
    category: str
    resolved: int
    median_days: float
    within_target: int  # resolved by the resolve-by date promised at intake


def resolve_times(*, actor: Any, today: dt.date, months: int = 12) -> list[ResolveRow]:
    """Per category, the cases resolved in the last `months` months (this month included, practice time): how
    many, the median days from received to resolved, and how many were resolved by their due date."""
    first = months_back(today, months)
    zone = zoneinfo.ZoneInfo(practice_timezone_name())
    days: dict[str, list[int]] = {}
    on_time: dict[str, int] = {}
    rows = case_scoped(actor=actor).filter(resolved_at__isnull=False).values_list(
        "category__name", "received_on", "resolve_due_on", "resolved_at")
    for name, received_on, due_on, resolved_at in rows:
        assert resolved_at is not None  # filtered above
        resolved_on = resolved_at.astimezone(zone).date()
        if not first <= resolved_on <= today:
            continue
        days.setdefault(name, []).append(max((resolved_on - received_on).days, 0))
        on_time[name] = on_time.get(name, 0) + (resolved_on <= due_on)
    return [ResolveRow(category=name, resolved=len(values), median_days=float(statistics.median(values)),
                       within_target=on_time[name])
            for name, values in sorted(days.items(), key=lambda item: (-len(item[1]), item[0]))]


def category_kinds_visible(actor: Any) -> list[str]:
    """The kinds of case whose categories the actor sees: those whose cases they may see somewhere."""
    return [kind for kind, permission in VIEW_PERMISSION.items() if location_ids_where(actor, permission) != frozenset()]


def categories_visible(*, actor: Any) -> QuerySet[CaseCategory]:
    """Every category (in use or not) of the kinds the actor sees. No case counts: a count over cases the actor
    may not see would tell them something about those cases."""
    return CaseCategory.objects.filter(kind__in=category_kinds_visible(actor)).order_by("kind", "name")


# --- the chart -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    label: str

    @property
    def value_y(self) -> float:
        """Where the number sits, just above the bar."""
        return round(self.y - 3, 1)


@dataclass(frozen=True)
class MonthBars:
    label: str
    label_x: float
    received: Bar
    resolved: Bar


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    axis_y: float
    months: list[MonthBars]
    peak: int


def trend_chart(starts: list[dt.date], received: list[int], resolved: list[int]) -> TrendChart:
    """Geometry of a bar chart of the cases received and resolved per month (two bars a month), drawn as SVG by
    the template; heights scale to the busiest month."""
    peak = max([*received, *resolved, 1])
    slot = CHART_WIDTH / max(len(starts), 1)
    bar_width = slot * 0.34
    axis_y = float(CHART_HEIGHT - CHART_BOTTOM)
    usable = axis_y - CHART_TOP
    months: list[MonthBars] = []
    for index, start in enumerate(starts):
        left = index * slot + slot * 0.14
        bars = []
        for offset, value in ((0.0, received[index]), (bar_width + 2, resolved[index])):
            height = round(usable * value / peak, 1)
            bars.append(Bar(x=round(left + offset, 1), y=round(axis_y - height, 1), width=round(bar_width, 1),
                            height=height, value=value, label=start.strftime("%b %Y")))
        months.append(MonthBars(label=start.strftime("%b"), label_x=round(index * slot + slot / 2, 1),
                                received=bars[0], resolved=bars[1]))
    return TrendChart(width=CHART_WIDTH, height=CHART_HEIGHT, axis_y=axis_y, months=months, peak=peak)
