"""Daily policy jobs (run by `openpractice worker`; at once in tests)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services.acknowledgements import overdue_reminders_send
from .services.policies import review_reminders_send


@db_periodic_task(crontab(hour="6", minute="30"))
def send_overdue_acknowledgement_reminders() -> int:
    """Every morning: remind the people whose acknowledgement is past due (once a day per request)."""
    return overdue_reminders_send()


@db_periodic_task(crontab(hour="6", minute="35"))
def send_policy_review_reminders() -> int:
    """Every morning: email owners whose policy review is due in 30 days, or today."""
    return review_reminders_send()
