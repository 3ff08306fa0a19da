"""Background jobs for scheduling (run by `openpractice worker`; at once in tests)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .reminders import reminders_send_due


@db_periodic_task(crontab(minute="*/5"))
def send_appointment_reminders() -> int:
    """Every five minutes: email the reminders that have come due. Safe with several workers (each reminder
    is claimed in the database before it is sent)."""
    return reminders_send_due()
