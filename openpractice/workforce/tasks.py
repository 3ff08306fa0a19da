"""Background jobs for the workforce (run by `openpractice worker`; at once in tests)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services.credentials import credential_alerts_send


@db_periodic_task(crontab(hour="6", minute="15"))
def send_credential_expiry_alerts() -> int:
    """Every morning: email the credential expiry alerts that have come due (90/60/30 days before, and at
    expiry). Each goes once: a second run the same day, or a second worker, finds the alert claimed."""
    return credential_alerts_send()
