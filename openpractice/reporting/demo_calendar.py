"""Reporting demo data: the compliance calendar. Every demo person gets their weekly digest setting (on, except the
system administrator, whose roles open no source of the calendar), and the senior practice manager a live feed
address. The feed's token is shown only when it is made, so the demo's is not known to anyone: "Make a new
address" on the calendar page shows a working one (and stops this one)."""

from __future__ import annotations

from typing import Any

from openpractice.core.seeding import seeder

from .calendar import visible_sources
from .services_calendar import calendar_digest_set, calendar_feed_create


@seeder(95)
def seed_calendar(context: dict[str, Any]) -> None:
    users = context["users"]
    on = 0
    for user in users.values():
        enabled = bool(visible_sources(user))
        calendar_digest_set(actor=user, enabled=enabled)
        on += enabled
    calendar_feed_create(actor=users["pm_senior"])
    context["report"].append(f"reporting: {on} calendar digests on, one calendar feed")
