"""Background jobs for people and access (run by `openpractice worker`; at once in tests)."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from .services.passwords import password_reset_email_send
from .services.users import invitation_email_send


@db_task(retries=3, retry_delay=60)
def send_invitation_email(invitation_id: int) -> bool:
    """Mail an invitation link, made fresh here (the queue holds only the id). Retried when the mail server
    is unreachable; skipped (False) when the invitation was accepted or withdrawn meanwhile."""
    return invitation_email_send(invitation_id=invitation_id)


@db_task(retries=3, retry_delay=60)
def send_password_reset_email(user_id: int) -> bool:
    """Mail a password reset link, made here (the queue holds only the user's id). Retried when the mail
    server is unreachable."""
    return password_reset_email_send(user_id=user_id)
