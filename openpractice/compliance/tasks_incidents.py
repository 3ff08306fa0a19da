"""Background jobs for incidents (run by `openpractice worker`; at once in tests)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services.incidents import deadline_alerts_send


@db_periodic_task(crontab(hour="6", minute="20"))
def send_breach_deadline_alerts() -> int:
    """Every morning: email compliance.incidents holders about breach notices due in 30, 14, 7 and 1 days, and
    overdue ones. Each alert goes once (the notice keeps the ones sent)."""
    return deadline_alerts_send()
