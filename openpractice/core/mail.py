"""A mail backend for demo mode: every message the app sends is stored as an OutboxMessage (and sent nowhere
else), so a person trying the demo can open invitation and password-reset links from the Outbox page."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend

from .models import OutboxMessage


class OutboxEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        stored = 0
        for message in email_messages:
            recipients = message.recipients()
            if not recipients:
                continue
            html = ""
            if isinstance(message, EmailMultiAlternatives):
                html = next((str(content) for content, mimetype in message.alternatives if mimetype == "text/html"), "")
            OutboxMessage.objects.create(
                from_email=str(message.from_email)[:254],
                recipients=list(recipients),
                subject=str(message.subject)[:255],
                body=str(message.body),
                html_body=html,
            )
            stored += 1
        return stored
