"""Safety-log background job (imported by facilities/tasks.py, where djhuey finds it; `openpractice worker` runs it,
tests at once)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services.safety import safety_jobs_run


@db_periodic_task(crontab(hour="5", minute="45"))
def send_safety_log_reminders() -> tuple[int, int]:
    """Early every morning: mail each location's facilities managers yesterday's missing safety-log entries (once
    per location and day), and retry the out-of-range alerts the mail server refused."""
    return safety_jobs_run()
