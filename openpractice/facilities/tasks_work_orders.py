"""Work order background jobs (the lead imports them from facilities/tasks.py so djhuey finds them)."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services.work_orders import work_orders_escalate


@db_periodic_task(crontab(minute="*/15"))
def escalate_overdue_work_orders() -> int:
    """Every quarter hour: open work orders past their service level go to the office managers (once each)."""
    return work_orders_escalate(now=timezone.now())
