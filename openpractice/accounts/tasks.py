"""Background jobs for people and access (run by `openpractice worker`; at once in tests)."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from .services.users import invitation_email_send


@db_task(retries=3, retry_delay=60)
def send_invitation_email(invitation_id: int, token: str) -> bool:
    """Mail an invitation link. Retried when the mail server is unreachable; skipped (False) when the
    invitation was accepted or withdrawn meanwhile."""
    return invitation_email_send(invitation_id=invitation_id, token=token)
