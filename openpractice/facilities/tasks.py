"""Facilities background jobs (djhuey loads modules named `tasks`; `openpractice worker` runs them, tests at once).

Each job is a separate function over one service; the work-order and safety-log jobs sit beside the preventive
maintenance one.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from openpractice.core.selectors import practice_today

from .services.plans import plans_open_due_work_orders
from .tasks_safety import send_safety_log_reminders  # noqa: F401 - registered with huey on import
from .tasks_work_orders import escalate_overdue_work_orders  # noqa: F401 - registered with huey on import

# --- preventive maintenance ------------------------------------------------------------------------------------


@db_periodic_task(crontab(hour="5", minute="40"))
def open_preventive_work_orders() -> int:
    """Every morning: open the preventive maintenance work orders that have come due (lead days ahead of the due
    date, or the meter reached); running twice opens nothing more. Returns how many were opened."""
    return len(plans_open_due_work_orders(today=practice_today()))
