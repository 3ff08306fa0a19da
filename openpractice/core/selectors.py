"""Reads of the practice, its locations and departments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Prefetch, Q, QuerySet

from openpractice.accounts.permissions import can, location_ids_where, locations_where

from .models import Department, Location, OpeningHours, Practice

_SETTINGS_CACHE_KEY = "openpractice:practice-settings"


@dataclass(frozen=True)
class PracticeSettings:
    name: str
    timezone: str
    idle_timeout_minutes: int
    absolute_session_hours: int


def practice_get() -> Practice | None:
    return Practice.objects.first()


def practice_settings() -> PracticeSettings:
    """The few practice settings every request needs, cached for a minute (cleared when edited)."""
    cached = cache.get(_SETTINGS_CACHE_KEY)
    if cached is not None:
        return cached
    practice = Practice.objects.only("name", "timezone", "idle_timeout_minutes", "absolute_session_hours").first()
    if practice is None:
        result = PracticeSettings(
            name="OpenPractice",
            timezone=settings.TIME_ZONE,
            idle_timeout_minutes=settings.OPENPRACTICE_IDLE_TIMEOUT_MINUTES,
            absolute_session_hours=settings.OPENPRACTICE_ABSOLUTE_SESSION_HOURS,
        )
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
        .annotate(department_count=Count("departments", distinct=True))
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
