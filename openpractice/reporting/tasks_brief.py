"""The operations brief's background job (djhuey loads modules named `tasks`: reporting/tasks.py imports this one).

Every hour on the hour: if the schedule is on and due in practice time and the period has not been sent, produce
the brief and mail it (services_brief.brief_schedule_run holds the rules and the once-per-period guard)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services_brief import brief_schedule_run


@db_periodic_task(crontab(minute="0"))
def send_scheduled_brief() -> int | None:
    """The id of the brief produced, or None when nothing was due."""
    brief = brief_schedule_run()
    return brief.pk if brief is not None else None
