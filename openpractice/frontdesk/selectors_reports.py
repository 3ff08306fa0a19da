"""The front desk report: for a date range (practice-local days, both included) and optionally one location, how many
messages came in by channel and by category, how fast they were first answered and resolved (median and 90th
percentile), how many broke a service level, and each person's load.

Counted are all messages at the locations where the actor holds frontdesk.configure or reports.operations (and the
practice-wide ones for those who hold it everywhere): the report shows counts and times, never a message, so an
auditor or a practice manager reads the whole picture of their locations, not only the messages routed to them. Everything is counted in the database, in a fixed number of queries
whatever the number of messages: one aggregate for the totals and SLA breaches, one per grouping, and one per
percentile (the two neighbouring values of the ordered times, read at their offset; interpolated between them
as PostgreSQL's percentile_cont does, on both databases).

Definitions (the same as Message.first_response_breached / resolve_breached):
- first response time: first_response_at − received_at, over the messages answered;
- resolution time: closed_at − received_at, over the messages closed;
- first-response breach: answered (or, never answered, closed) after first_response_due, or still unanswered and
  open past it now; resolution breach: closed after resolve_due, or still open past it now;
- load: per assignee, messages received in the range assigned to them, messages of theirs closed in the range,
  and messages of theirs open now.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.expressions import CombinedExpression

from openpractice.accounts.permissions import location_ids_where
from openpractice.accounts.roles import Perm
from openpractice.cases.selectors_reports import Bar
from openpractice.core.models import Location
from openpractice.core.selectors import practice_timezone_name

from .choices import Category, Channel
from .models import Message

REPORT_PERMISSIONS = (Perm.FRONTDESK_CONFIGURE, Perm.REPORTS_OPERATIONS)
CHART_WIDTH = 560
CHART_HEIGHT = 200
CHART_TOP = 18
CHART_BOTTOM = 24


def report_location_ids(actor: Any) -> frozenset[int] | None:
    """Where the actor may read the report; None: everywhere."""
    found: set[int] = set()
    for permission in REPORT_PERMISSIONS:
        ids = location_ids_where(actor, permission)
        if ids is None:
            return None
        found |= ids
    return frozenset(found)


def report_locations(*, actor: Any) -> QuerySet[Location]:
    ids = report_location_ids(actor)
    queryset = Location.objects.order_by("name", "pk")
    return queryset if ids is None else queryset.filter(pk__in=ids)


def day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[first moment of `start`, first moment after `end`) in practice-local time."""
    zone = zoneinfo.ZoneInfo(practice_timezone_name())
    return (dt.datetime.combine(start, dt.time.min, tzinfo=zone),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone))


def _scoped(actor: Any, location_id: int | None) -> QuerySet[Message]:
    queryset = Message.objects.order_by()
    ids = report_location_ids(actor)
    if location_id is not None:
        if ids is not None and location_id not in ids:
            return queryset.none()
        return queryset.filter(location_id=location_id)
    if ids is not None:
        queryset = queryset.filter(location_id__in=ids)
    return queryset


@dataclass(frozen=True)
class CountRow:
    value: str
    label: str
    count: int


@dataclass(frozen=True)
class TimeStats:
    count: int
    median: dt.timedelta | None
    p90: dt.timedelta | None


@dataclass(frozen=True)
class LoadRow:
    user_id: int
    name: str
    assigned: int
    closed: int
    open_now: int


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    axis_y: float
    bars: list[Bar]
    peak: int


@dataclass(frozen=True)
class DeskReport:
    start: dt.date
    end: dt.date
    location_id: int | None
    total: int
    by_channel: list[CountRow]
    by_category: list[CountRow]
    first_response: TimeStats
    resolution: TimeStats
    first_response_breaches: int
    resolution_breaches: int
    load: list[LoadRow]
    chart: BarChart

    @property
    def first_response_breach_rate(self) -> float | None:
        return self.first_response_breaches / self.total if self.total else None

    @property
    def resolution_breach_rate(self) -> float | None:
        return self.resolution_breaches / self.total if self.total else None


def _duration(end_field: str) -> ExpressionWrapper:
    difference: CombinedExpression = F(end_field) - F("received_at")
    return ExpressionWrapper(difference, output_field=DurationField())


def _percentile(queryset: QuerySet[Message], end_field: str, count: int, fraction: float) -> dt.timedelta | None:
    """The `fraction` percentile of end_field − received_at over the rows where end_field is set (`count` of
    them), interpolated linearly between the two neighbouring ordered values. One query."""
    if count == 0:
        return None
    rank = fraction * (count - 1)
    low = math.floor(rank)
    values = list(
        queryset.filter(**{f"{end_field}__isnull": False}).annotate(duration=_duration(end_field))
        .order_by("duration", "pk").values_list("duration", flat=True)[low:low + 2]
    )
    first = values[0]
    if len(values) == 1 or rank == low:
        return first
    return first + (values[1] - first) * (rank - low)


def _counts(queryset: QuerySet[Message], field: str, labels: dict[str, str]) -> list[CountRow]:
    found = dict(queryset.values(field).annotate(n=Count("pk")).order_by().values_list(field, "n"))
    return [CountRow(value, label, found.get(value, 0)) for value, label in labels.items()]


def bar_chart(rows: list[CountRow]) -> BarChart:
    """Geometry of a bar chart of `rows` (one bar each), drawn as SVG by the template; heights scale to the
    largest count."""
    peak = max([row.count for row in rows] + [1])
    slot = CHART_WIDTH / max(len(rows), 1)
    axis_y = float(CHART_HEIGHT - CHART_BOTTOM)
    usable = axis_y - CHART_TOP
    bars = []
    for index, row in enumerate(rows):
        height = round(usable * row.count / peak, 1)
        bars.append(Bar(x=round(index * slot + slot * 0.2, 1), y=round(axis_y - height, 1),
                        width=round(slot * 0.6, 1), height=height, value=row.count, label=row.label))
    return BarChart(width=CHART_WIDTH, height=CHART_HEIGHT, axis_y=axis_y, bars=bars, peak=peak)


def _load(scoped: QuerySet[Message], start_at: dt.datetime, end_at: dt.datetime) -> list[LoadRow]:
    received = Q(received_at__gte=start_at, received_at__lt=end_at)
    closed = Q(closed_at__gte=start_at, closed_at__lt=end_at)
    rows = (
        scoped.filter(assignee__isnull=False).filter(received | closed | Q(closed_at__isnull=True))
        .values("assignee_id", "assignee__first_name", "assignee__last_name", "assignee__username")
        .annotate(assigned=Count("pk", filter=received), closed=Count("pk", filter=closed),
                  open_now=Count("pk", filter=Q(closed_at__isnull=True)))
        .order_by("assignee__last_name", "assignee__first_name", "assignee_id")
    )
    return [LoadRow(user_id=row["assignee_id"],
                    name=" ".join(part for part in (row["assignee__first_name"], row["assignee__last_name"]) if part)
                    or row["assignee__username"],
                    assigned=row["assigned"], closed=row["closed"], open_now=row["open_now"]) for row in rows]


def desk_report(*, actor: Any, start: dt.date, end: dt.date, now: dt.datetime,
                location_id: int | None = None) -> DeskReport:
    start_at, end_at = day_bounds(start, end)
    scoped = _scoped(actor, location_id)
    window = scoped.filter(received_at__gte=start_at, received_at__lt=end_at)
    first_breach = (Q(first_response_at__isnull=False, first_response_at__gt=F("first_response_due"))
                    | Q(first_response_at__isnull=True, closed_at__isnull=False,
                        closed_at__gt=F("first_response_due"))
                    | Q(first_response_at__isnull=True, closed_at__isnull=True, first_response_due__lt=now))
    resolve_breach = (Q(closed_at__isnull=False, closed_at__gt=F("resolve_due"))
                      | Q(closed_at__isnull=True, resolve_due__lt=now))
    totals = window.aggregate(
        total=Count("pk"), responded=Count("pk", filter=Q(first_response_at__isnull=False)),
        closed=Count("pk", filter=Q(closed_at__isnull=False)),
        first_breaches=Count("pk", filter=first_breach), resolve_breaches=Count("pk", filter=resolve_breach))
    by_channel = _counts(window, "channel", {value: str(label) for value, label in Channel.choices})
    by_category = [row for row in _counts(window, "category", {value: str(label) for value, label in Category.choices})
                   if row.count]
    return DeskReport(
        start=start, end=end, location_id=location_id, total=totals["total"], by_channel=by_channel,
        by_category=sorted(by_category, key=lambda row: (-row.count, row.label)),
        first_response=TimeStats(totals["responded"],
                                 _percentile(window, "first_response_at", totals["responded"], 0.5),
                                 _percentile(window, "first_response_at", totals["responded"], 0.9)),
        resolution=TimeStats(totals["closed"], _percentile(window, "closed_at", totals["closed"], 0.5),
                             _percentile(window, "closed_at", totals["closed"], 0.9)),
        first_response_breaches=totals["first_breaches"], resolution_breaches=totals["resolve_breaches"],
        load=_load(scoped, start_at, end_at), chart=bar_chart(by_channel),
    )
