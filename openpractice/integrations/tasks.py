"""Background jobs for webhooks (run by `openpractice worker`; at once in tests)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import (
    delivery,
    tasks_export,  # noqa: F401  (FHIR bulk export jobs: registered when djhuey loads this module)
)


@db_task()
def deliver_webhook(delivery_id: int) -> bool | None:
    """The first attempt of a delivery, queued when it is made (the queue holds only the id). No huey retries:
    the backoff is the delivery's own (next_attempt_at), swept every minute."""
    return delivery.attempt(delivery_id)


@db_periodic_task(crontab(minute="*"))
def send_due_webhooks() -> int:
    """Every minute: the retries that have come due (and first attempts whose task was lost). Safe with several
    workers: each attempt is claimed in the database before it is sent."""
    return delivery.send_due()
