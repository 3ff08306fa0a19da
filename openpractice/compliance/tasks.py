"""Compliance background jobs (djhuey loads modules named `tasks`): breach notice alerts, overdue policy
acknowledgements, policy reviews and BAA reviews and ends, each daily."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services.associates import baa_reminders_send
from .tasks_incidents import send_breach_deadline_alerts
from .tasks_policies import send_overdue_acknowledgement_reminders, send_policy_review_reminders

__all__ = ["send_baa_reminders", "send_breach_deadline_alerts", "send_overdue_acknowledgement_reminders",
           "send_policy_review_reminders"]


@db_periodic_task(crontab(hour="6", minute="40"))
def send_baa_reminders() -> int:
    """Every morning: tell compliance managers about BAAs due for review or ending within 30 days (once each)."""
    return baa_reminders_send()
