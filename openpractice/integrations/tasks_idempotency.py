"""The idempotency records' clean-up (imported by integrations.tasks, which djhuey loads)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .idempotency import purge_expired


@db_periodic_task(crontab(minute="17"))
def purge_idempotency_records() -> int:
    """Every hour: forget the API idempotency keys older than 24 hours (their answers may hold PHI)."""
    return purge_expired()
