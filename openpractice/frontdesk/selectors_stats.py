"""Aggregate front-desk figures for the reporting KPIs: counts and times, never a message.

The definitions are those of selectors_reports (the front desk report): a message breaks a service level when its
first response came late (or, never answered, it was closed late, or it is still unanswered and open past the due
time now), or when it was resolved late (or is still open past its resolve-by time now). First-response time is
first_response_at − received_at over the messages answered. Messages count by the day they were received.

Scope: the messages at the locations where the actor holds `permission`; the practice-wide ones (no location)
only for those who hold it everywhere.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet

from openpractice.accounts.permissions import location_ids_where

from .choices import MessageStatus
from .models import Message
from .selectors_queue import SOON
from .selectors_reports import day_bounds


@dataclass(frozen=True)
class SlaCounts:
    received: int
    breached: int  # missed either service level
    answered: int  # with a first response


def _scoped(actor: Any, permission: str, location_id: int | None) -> QuerySet[Message]:
    queryset = Message.objects.order_by()
    ids = location_ids_where(actor, permission)
    if ids is not None:
        queryset = queryset.filter(location_id__in=sorted(ids))
    if location_id is not None:
        queryset = queryset.filter(location_id=location_id)
    return queryset


def breach_condition(now: dt.datetime) -> Q:
    first = (Q(first_response_at__isnull=False, first_response_at__gt=F("first_response_due"))
             | Q(first_response_at__isnull=True, closed_at__isnull=False, closed_at__gt=F("first_response_due"))
             | Q(first_response_at__isnull=True, closed_at__isnull=True, first_response_due__lt=now))
    resolve = Q(closed_at__isnull=False, closed_at__gt=F("resolve_due")) | Q(closed_at__isnull=True,
                                                                             resolve_due__lt=now)
    return first | resolve


def sla_counts(*, actor: Any, periods: Sequence[tuple[dt.date, dt.date]], permission: str, now: dt.datetime,
               location_id: int | None = None) -> list[SlaCounts]:
    """Messages received, those that broke a service level, and those answered, per period. One query."""
    if not periods:
        return []
    first_at, _ = day_bounds(min(start for start, _end in periods), min(start for start, _end in periods))
    _, last_at = day_bounds(max(end for _start, end in periods), max(end for _start, end in periods))
    messages = _scoped(actor, permission, location_id).filter(received_at__gte=first_at, received_at__lt=last_at)
    breached = breach_condition(now)
    sums: dict[str, Any] = {}
    for index, (start, end) in enumerate(periods):
        since, until = day_bounds(start, end)
        in_period = Q(received_at__gte=since, received_at__lt=until)
        sums[f"r{index}"] = Count("pk", filter=in_period)
        sums[f"b{index}"] = Count("pk", filter=in_period & breached)
        sums[f"a{index}"] = Count("pk", filter=in_period & Q(first_response_at__isnull=False))
    counts = messages.aggregate(**sums)
    return [SlaCounts(counts[f"r{index}"], counts[f"b{index}"], counts[f"a{index}"]) for index in range(len(periods))]


def first_response_median(*, actor: Any, start: dt.date, end: dt.date, answered: int, permission: str,
                          location_id: int | None = None) -> dt.timedelta | None:
    """The median first-response time of the `answered` messages received in the period (the count comes from
    sla_counts), interpolated between the two middle values. One query (none when nothing was answered)."""
    if answered <= 0:
        return None
    since, until = day_bounds(start, end)
    rank = 0.5 * (answered - 1)
    low = math.floor(rank)
    duration = ExpressionWrapper(F("first_response_at") - F("received_at"), output_field=DurationField())
    values = list(_scoped(actor, permission, location_id)
                  .filter(received_at__gte=since, received_at__lt=until, first_response_at__isnull=False)
                  .annotate(duration=duration).order_by("duration", "pk")
                  .values_list("duration", flat=True)[low:low + 2])
    if not values:
        return None
    first: dt.timedelta = values[0]
    if len(values) == 1 or rank == low:
        return first
    return first + (values[1] - first) * (rank - low)


@dataclass(frozen=True)
class QueueRow:
    queue_id: int
    name: str
    open: int
    breached: int  # open and already past a service level
    due_soon: int  # open, not breached, a service level due within the hour


def open_by_queue(*, actor: Any, permission: str, now: dt.datetime,
                  location_id: int | None = None) -> list[QueueRow]:
    """The open (not closed) messages per queue, with those past a service level now and those due within the
    hour, busiest queue first. One grouped query."""
    breached = (Q(first_response_at__isnull=True, first_response_due__lt=now) | Q(resolve_due__lt=now))
    soon = (Q(first_response_at__isnull=True, first_response_due__lt=now + SOON) | Q(resolve_due__lt=now + SOON))
    rows = (_scoped(actor, permission, location_id).exclude(status=MessageStatus.CLOSED)
            .values("queue_id", "queue__name")
            .annotate(open=Count("pk"), breached=Count("pk", filter=breached),
                      soon=Count("pk", filter=soon & ~breached))
            .order_by("-open", "queue__name"))
    return [QueueRow(row["queue_id"], row["queue__name"], row["open"], row["breached"], row["soon"]) for row in rows]
