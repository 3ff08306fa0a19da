"""The compliance calendar's background job (djhuey loads modules named `tasks`: reporting/tasks.py imports this one).

Every hour at :20: on Monday from 7:00 practice time, the weekly digest to each person whose digest is on and who has
something overdue or due in the next two weeks (services_calendar.calendar_digests_send holds the rules and the
once-a-week guard; running hourly lets a worker started later that Monday still send it)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services_calendar import calendar_digests_send


@db_periodic_task(crontab(minute="20"))
def send_calendar_digests() -> int:
    """How many digests went out."""
    return calendar_digests_send()
