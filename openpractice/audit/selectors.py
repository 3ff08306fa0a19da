"""Reads of the audit trail, for the people whose job is to review it."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Q, QuerySet

from openpractice.accounts.permissions import can, location_ids_where
from openpractice.accounts.roles import Perm
from openpractice.core.selectors import practice_timezone_name

from .models import AuditEvent

_ACTIONS_CACHE_KEY = "openpractice:audit-actions"


def local_day_start(day: date) -> datetime:
    """Midnight at the start of `day` in the practice's time zone, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=zoneinfo.ZoneInfo(practice_timezone_name()))


def audit_event_list(
    *,
    actor: Any,
    user_id: int | None = None,
    patient_id: int | None = None,
    action: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    outcome: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEvent]:
    """Audit events the actor may review, newest first.

    Only holders of `audit.view` see anything. Someone who holds it at some locations only sees the events
    about objects that belong to those locations (the `location_id` the recording service passed); events
    without a location (sign-ins, practice-wide settings) are for practice-wide reviewers only. `date_from`/`date_to` are days in the practice's time zone (both included);
    `since`/`until` are exact instants (until excluded). `action` matches exactly, or as a prefix when it ends
    with "*" ("billing.*").
    """
    if not can(actor, Perm.AUDIT_VIEW):
        return AuditEvent.objects.none()
    events = AuditEvent.objects.select_related("actor")
    location_ids = location_ids_where(actor, Perm.AUDIT_VIEW)
    if location_ids is not None:
        events = events.filter(location_id__in=location_ids)
    conditions = Q()
    if user_id is not None:
        conditions &= Q(actor_id=user_id)
    if patient_id is not None:
        conditions &= Q(patient_id=patient_id)
    if action:
        conditions &= Q(action__startswith=action[:-1]) if action.endswith("*") else Q(action=action)
    if outcome:
        conditions &= Q(outcome=outcome)
    # Local days become UTC ranges: [start of date_from, start of the day after date_to).
    if date_from is not None:
        conditions &= Q(occurred_at__gte=local_day_start(date_from))
    if date_to is not None:
        conditions &= Q(occurred_at__lt=local_day_start(date_to + timedelta(days=1)))
    if since is not None:
        conditions &= Q(occurred_at__gte=since)
    if until is not None:
        conditions &= Q(occurred_at__lt=until)
    return events.filter(conditions).order_by("-seq")


def audit_action_names(*, actor: Any) -> list[str]:
    """The distinct actions in the trail, to suggest in the filter. Cached for five minutes: reading them
    means scanning the action index, and the list changes only when a new kind of event first happens."""
    if not can(actor, Perm.AUDIT_VIEW):
        return []
    names = cache.get(_ACTIONS_CACHE_KEY)
    if names is None:
        names = list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())
        cache.set(_ACTIONS_CACHE_KEY, names, 300)
    return names


def audit_user_choices(*, actor: Any) -> list[tuple[int, str]]:
    """Everyone who may appear as the acting user, for the filter (one query)."""
    if not can(actor, Perm.AUDIT_VIEW):
        return []
    users = get_user_model().objects.order_by("username").values_list("pk", "username")
    return [(pk, username) for pk, username in users]
