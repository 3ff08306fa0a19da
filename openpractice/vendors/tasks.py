"""Vendor background jobs (djhuey loads modules named `tasks`; `openpractice worker` runs them, tests at once)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services.contracts import contract_jobs_run


@db_periodic_task(crontab(hour="6", minute="50"))
def run_contract_jobs() -> tuple[int, int]:
    """Every morning: renew auto-renewing contracts that reached their end, then alert before notice deadlines."""
    return contract_jobs_run()
