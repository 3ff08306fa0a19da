"""Compliance background jobs (djhuey loads modules named `tasks`): breach notice alerts, overdue policy
acknowledgements and policy reviews, each daily."""

from __future__ import annotations

from .tasks_incidents import send_breach_deadline_alerts
from .tasks_policies import send_overdue_acknowledgement_reminders, send_policy_review_reminders

__all__ = ["send_breach_deadline_alerts", "send_overdue_acknowledgement_reminders", "send_policy_review_reminders"]
