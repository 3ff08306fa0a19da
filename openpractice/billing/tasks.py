"""Background jobs for billing (run by `openpractice worker`; at once in tests)."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from .services.statements import statements_email_send


@db_task()
def send_statement_emails(actor_id: int | None, statement_ids: list[int]) -> int:
    """Email a statement run's statements outside the request: drawing each PDF and talking to the mail server
    takes seconds per hundred. Not retried by the queue: each failure is recorded on its statement, and
    "Send again" retries exactly those. Returns how many were sent."""
    return statements_email_send(actor_id=actor_id, statement_ids=statement_ids).sent
