"""Front desk background jobs (djhuey loads modules named `tasks`; `openpractice worker` runs them, tests at once).

The other parts of the front desk keep their jobs in their own modules, imported here so djhuey finds them.
"""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services.escalation import messages_escalate
from .tasks_mail import fetch_mail, prune_inbound_rates  # noqa: F401 - registered with huey on import


@db_periodic_task(crontab(minute="*/15"))
def escalate_overdue_messages() -> int:
    """Every quarter hour: open messages past a service level go to the office managers and the queue's leads
    (once each). Returns how many were escalated."""
    return messages_escalate(now=timezone.now())
