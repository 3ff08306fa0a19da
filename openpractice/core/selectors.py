"""Reads of the practice, its locations and departments."""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from openpractice.accounts.permissions import can, location_ids_where, locations_where
from openpractice.accounts.roles import Perm

from .choices import Weekday
from .models import Department, Location, OpeningHours, Practice

_SETTINGS_CACHE_KEY = "openpractice:practice-settings"


@dataclass(frozen=True)
class PracticeSettings:
    name: str
    timezone: str
    idle_timeout_minutes: int
    absolute_session_hours: int


def _default_settings() -> PracticeSettings:
    return PracticeSettings(
        name="OpenPractice",
        timezone=settings.TIME_ZONE,
        idle_timeout_minutes=settings.OPENPRACTICE_IDLE_TIMEOUT_MINUTES,
        absolute_session_hours=settings.OPENPRACTICE_ABSOLUTE_SESSION_HOURS,
    )


def practice_get() -> Practice | None:
    return Practice.objects.first()


def practice_settings() -> PracticeSettings:
    """The few practice settings every request needs, cached for a minute (cleared when edited)."""
    cached = cache.get(_SETTINGS_CACHE_KEY)
    if cached is not None:
        return cached
    try:
        practice = Practice.objects.only("name", "timezone", "idle_timeout_minutes", "absolute_session_hours").first()
    except DatabaseError:
        # Database down: /healthz must still answer and /readyz must say 503, so fall back to the defaults
        # (not cached, so the real settings return with the database).
        return _default_settings()
    if practice is None:
        result = _default_settings()
    else:
        result = PracticeSettings(
            name=practice.name,
            timezone=practice.timezone,
            idle_timeout_minutes=practice.idle_timeout_minutes,
            absolute_session_hours=practice.absolute_session_hours,
        )
    cache.set(_SETTINGS_CACHE_KEY, result, 60)
    return result


def practice_settings_forget() -> None:
    cache.delete(_SETTINGS_CACHE_KEY)


def practice_timezone_name() -> str:
    return practice_settings().timezone


def location_list(*, actor: Any, permission: str) -> QuerySet[Location]:
    """Locations the actor may see for `permission`, with their opening hours, in two queries."""
    return (
        locations_where(actor, permission)
        .prefetch_related(Prefetch("opening_hours", queryset=OpeningHours.objects.order_by("weekday", "opens_at")))
        .annotate(department_count=Count("departments", filter=Q(departments__is_active=True), distinct=True))
        .order_by("name", "pk")  # explicit: Meta.ordering is dropped from GROUP BY queries
    )


def department_list(*, actor: Any, permission: str) -> QuerySet[Department]:
    """Departments at locations the actor may see, plus practice-wide ones."""
    ids = location_ids_where(actor, permission)
    queryset = Department.objects.select_related("location")
    if ids is None:
        return queryset
    if not can(actor, permission):
        return queryset.none()
    return queryset.filter(Q(location__isnull=True) | Q(location_id__in=ids))


def location_scoped(*, actor: Any, permission: str) -> QuerySet[Location]:
    """Locations the actor may see for `permission`, plain (for object lookups)."""
    return locations_where(actor, permission)


def department_scoped(*, actor: Any, permission: str) -> QuerySet[Department]:
    """Departments the actor may act on for `permission`: at their locations; practice-wide ones only with the
    permission at all locations (a practice-wide department is everyone's business)."""
    ids = location_ids_where(actor, permission)
    queryset = Department.objects.select_related("location")
    if ids is None:
        return queryset
    return queryset.filter(location_id__in=ids)


def practice_now() -> datetime.datetime:
    """Now, in the practice's time zone."""
    return timezone.now().astimezone(zoneinfo.ZoneInfo(practice_timezone_name()))


def practice_today() -> datetime.date:
    """Today where the practice is: in a request, in a background task or a test alike (timezone.localdate()
    is only the practice's date inside a request, where the middleware activates its zone)."""
    return practice_now().date()


@dataclass(frozen=True)
class LocationToday:
    location: Location
    periods: tuple[OpeningHours, ...]
    open_now: bool


def location_hours_today(*, actor: Any, now: datetime.datetime | None = None) -> list[LocationToday]:
    """Each active location the actor may see, with today's opening periods and whether it is open now
    (practice-local time). Two queries, however many locations."""
    local = (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(practice_timezone_name()))
    weekday, clock = local.weekday(), local.time()
    locations = locations_where(actor, Perm.PRACTICE_VIEW).filter(is_active=True).order_by("name").prefetch_related(
        Prefetch("opening_hours", queryset=OpeningHours.objects.filter(weekday=weekday).order_by("opens_at"),
                 to_attr="today_hours")
    )
    result = []
    for location in locations:
        periods = tuple(location.today_hours)  # type: ignore[attr-defined]
        result.append(LocationToday(
            location=location,
            periods=periods,
            open_now=any(period.opens_at <= clock < period.closes_at for period in periods),
        ))
    return result


def opening_hours_by_day(location: Location) -> list[tuple[int, str, list[OpeningHours]]]:
    """(weekday, day name, periods) for all seven days, from the location's prefetched or stored hours."""
    by_day: dict[int, list[OpeningHours]] = {day: [] for day in Weekday.values}
    for period in location.opening_hours.all():
        by_day[period.weekday].append(period)
    return [(day, str(Weekday(day).label), sorted(by_day[day], key=lambda p: p.opens_at)) for day in Weekday.values]
