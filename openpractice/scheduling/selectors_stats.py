"""Aggregate figures of the schedule for the reporting KPIs: counts only, never an appointment or a patient.

The no-show rate follows DOMAIN.md (no-shows ÷ scheduled appointments). Scheduled appointments of a period are
those starting in it, before now (a visit still to come has no outcome yet), that were not cancelled: a visit
booked in the past and never marked otherwise counts as scheduled, not as a no-show.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q

from .choices import AppointmentStatus
from .selectors import appointment_list, local_day_bounds


def no_show_counts(*, actor: Any, periods: Sequence[tuple[dt.date, dt.date]], permission: str,
                   now: dt.datetime, location_id: int | None = None) -> list[tuple[int, int]]:
    """(scheduled, no-shows) per period (practice-local days, both included), over the appointments at the
    locations where the actor holds `permission`. One query whatever the number of periods or rows."""
    if not periods:
        return []
    appointments = appointment_list(actor=actor, permission=permission).order_by()
    if location_id is not None:
        appointments = appointments.filter(location_id=location_id)
    first = min(start for start, _end in periods)
    last = max(end for _start, end in periods)
    window_start, _ = local_day_bounds(first)
    _, window_end = local_day_bounds(last)
    appointments = appointments.filter(starts_at__gte=window_start, starts_at__lt=min(window_end, now)).exclude(
        status=AppointmentStatus.CANCELLED)
    sums: dict[str, Any] = {}
    for index, (start, end) in enumerate(periods):
        since, _ = local_day_bounds(start)
        _, until = local_day_bounds(end)
        in_period = Q(starts_at__gte=since, starts_at__lt=min(until, now))
        sums[f"s{index}"] = Count("pk", filter=in_period)
        sums[f"n{index}"] = Count("pk", filter=in_period & Q(status=AppointmentStatus.NO_SHOW))
    counts = appointments.aggregate(**sums)
    return [(counts[f"s{index}"], counts[f"n{index}"]) for index in range(len(periods))]


@dataclass(frozen=True)
class LocationLoad:
    location_id: int
    name: str
    booked: int  # still to come or not yet marked
    checked_in: int
    completed: int
    no_show: int
    cancelled: int

    @property
    def scheduled(self) -> int:
        return self.booked + self.checked_in + self.completed + self.no_show


def day_load_by_location(*, actor: Any, day: dt.date, permission: str,
                         location_id: int | None = None) -> list[LocationLoad]:
    """The appointments of a practice-local day per location and status (schedule load). One grouped query."""
    since, until = local_day_bounds(day)
    appointments = appointment_list(actor=actor, permission=permission).order_by().filter(
        starts_at__gte=since, starts_at__lt=until)
    if location_id is not None:
        appointments = appointments.filter(location_id=location_id)
    status = AppointmentStatus
    rows = (appointments.values("location_id", "location__name").annotate(
        booked=Count("pk", filter=Q(status=status.BOOKED)), checked_in=Count("pk", filter=Q(status=status.CHECKED_IN)),
        completed=Count("pk", filter=Q(status=status.COMPLETED)), no_show=Count("pk", filter=Q(status=status.NO_SHOW)),
        cancelled=Count("pk", filter=Q(status=status.CANCELLED))).order_by("location__name"))
    return [LocationLoad(row["location_id"], row["location__name"], row["booked"], row["checked_in"], row["completed"],
                         row["no_show"], row["cancelled"]) for row in rows]
