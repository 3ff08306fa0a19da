"""Reporting demo data: the operations brief. Settings naming the senior practice manager (who saves them, so the
brief shows what she may see) and the experienced office manager plus an outside address for the owners, weekly on
Monday at 7:00; and the briefs of three past weeks, produced by the real schedule run as it would have run then
(their mail lands in the demo Outbox once the demo is committed). The latest week is left for "Send now"."""

from __future__ import annotations

import datetime as dt
from typing import Any

from openpractice.core.seeding import seeder
from openpractice.core.selectors import practice_today

from .choices import BriefFrequency
from .selectors_brief import practice_zone
from .services_brief import brief_schedule_run, brief_settings_save

OWNERS_ADDRESS = "owners@riverbend-partners.example"
SEND_HOUR = 7


@seeder(97)
def seed_brief(context: dict[str, Any]) -> None:
    users = context["users"]
    manager, office = users["pm_senior"], users["om_experienced"]
    brief_settings_save(actor=manager, enabled=True, frequency=BriefFrequency.WEEKLY, weekday=0, hour=SEND_HOUR,
                        recipients=[manager, office], extra_recipients=[OWNERS_ADDRESS])
    today = practice_today()
    this_monday = today - dt.timedelta(days=today.weekday())
    produced = 0
    for weeks_back in (3, 2, 1):
        monday = this_monday - dt.timedelta(weeks=weeks_back)
        run_at = dt.datetime.combine(monday, dt.time(SEND_HOUR, 5), tzinfo=practice_zone())
        if brief_schedule_run(now=run_at) is not None:
            produced += 1
    context["report"].append(f"reporting: operations brief settings and {produced} past briefs")
