"""The built-in SMTP endpoint: mail handed to it for an active mailbox's address lands in the queues.

Meant to sit behind the practice's mail server (Postfix, Exchange connector...) on the same host or network: it
accepts mail only for the addresses of active mailboxes (any other recipient: 550), refuses mail over
`data_size_limit` (552), and offers no relaying, authentication or TLS of its own. Run it with
`openpractice frontdesk_smtp_server --host 127.0.0.1 --port 2525`.

The handler runs on aiosmtpd's event loop; the database work (mail_receive) runs in a worker thread, which
closes its database connections when done. Like a delivering mail server, the endpoint puts the envelope sender
on top of the mail as Return-Path (an empty one marks a bounce). A mail that cannot be stored is answered 451
(try again later), so the sending server keeps it: nothing is lost.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosmtpd.controller import Controller
from django.db import close_old_connections, connections

from .models import Mailbox
from .services.inbound_mail import mail_receive

logger = logging.getLogger(__name__)

DATA_SIZE_LIMIT = 64 * 1024 * 1024  # a 25 MB attachment is about 34 MB once encoded; larger mail is refused


def _mailbox_for(address: str) -> Mailbox | None:
    close_old_connections()
    try:
        return Mailbox.objects.filter(address__iexact=address.strip(), is_active=True).first()
    finally:
        connections.close_all()


def _deliver(raw: bytes, recipients: list[str]) -> bool:
    """Store the mail for the first of its recipients that is an active mailbox; True when it was stored or
    had been before."""
    close_old_connections()
    try:
        mailbox = None
        for address in recipients:
            mailbox = Mailbox.objects.filter(address__iexact=address.strip(), is_active=True).first()
            if mailbox is not None:
                break
        mail_receive(raw=raw, mailbox=mailbox, envelope_recipients=recipients)
        return True
    finally:
        connections.close_all()


def _return_path(mail_from: str | None) -> bytes:
    sender = (mail_from or "").strip().strip("<>")
    if any(char in sender for char in "\r\n<>") or len(sender) > 254:
        sender = ""
    return b"Return-Path: <" + sender.encode("utf-8", "replace") + b">\r\n"


class InboundHandler:
    """aiosmtpd handler: RCPT only for our mailboxes, DATA into mail_receive."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        mailbox = await asyncio.to_thread(_mailbox_for, address)
        if mailbox is None:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content or b""
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        raw = _return_path(envelope.mail_from) + bytes(content)
        try:
            await asyncio.to_thread(_deliver, raw, list(envelope.rcpt_tos))
        except Exception:
            logger.exception("Mail from %s could not be stored", envelope.mail_from)
            return "451 4.3.0 Could not store the mail now; try again later"
        return "250 2.0.0 Message accepted"


def controller(*, host: str = "127.0.0.1", port: int = 2525, data_size_limit: int = DATA_SIZE_LIMIT) -> Controller:
    """An aiosmtpd controller (not started) serving InboundHandler."""
    return Controller(InboundHandler(), hostname=host, port=port, data_size_limit=data_size_limit,
                      ident="OpenPractice front desk")
