"""Case background jobs (djhuey loads modules named `tasks`; `openpractice worker` runs them, tests at once)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import overdue_escalate


@db_periodic_task(crontab(hour="6", minute="45"))
def escalate_overdue_cases() -> int:
    """Every morning: open cases past their service level go to the senior practice managers (once each)."""
    return overdue_escalate()
