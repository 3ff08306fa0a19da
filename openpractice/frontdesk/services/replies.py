"""Answering a message by email.

A reply goes to the message's sender_email from the queue's reply address (else the mailbox the message came
in by, else the practice's default sender). It stays in the sender's thread: In-Reply-To names the latest mail
received on the message (or, for a message that came without mail, e.g. a web form, our previous reply) and
References carries that mail's references plus its Message-ID. Our own Message-ID (email.utils.make_msgid, in
the sending address's domain) is stored on the REPLY entry, so an answer to the reply (In-Reply-To or References
naming it) is found by MessageEntry.email_message_id and joins the same message. The subject keeps the message's
number, "Re: <subject> [MSG-000042]", also under a template's own subject.

The mail leaves after the commit, through Django's mail backend (SMTP in production); when the mail server
refuses it, the timeline says so and the reply can be sent again.
"""

from __future__ import annotations

import logging
import re
import smtplib
from email.utils import formataddr, make_msgid, parseaddr
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.core.selectors import practice_settings

from ..choices import EntryKind, MessageStatus, Outcome
from ..models import Message, MessageEntry, ReplyTemplate, StaffProfile
from .templates import placeholder_values, placeholders_fill
from .work import audit, close_locked, entry_add, save, work

logger = logging.getLogger(__name__)

REPLY_MAX_CHARS = 20000
REFERENCES_KEPT = 20  # the nearest ancestors are enough to thread; a long chain is cut from the oldest
_RE_PREFIX = re.compile(r"^\s*(re|aw|sv)\s*:", re.IGNORECASE)


def _one_line(value: str) -> str:
    """Header text on one line (no CR/LF can reach a header)."""
    return " ".join((value or "").split())


def sender_address(message: Message) -> str:
    """Who the reply is from: the queue's reply address, else the mailbox's, else the practice's sender."""
    address = message.queue.reply_address or (message.mailbox.address if message.mailbox_id and message.mailbox
                                               else "")
    if not address:
        return str(settings.DEFAULT_FROM_EMAIL)
    return formataddr((_one_line(practice_settings().name), address))


def reply_subject(message: Message, template_subject: str = "") -> str:
    tag = f"[{message.number}]"
    base = _one_line(template_subject)
    if not base:
        subject = _one_line(message.subject)
        base = subject if _RE_PREFIX.match(subject) else f"Re: {subject}"
    if tag not in base:
        base = f"{base[:255 - len(tag) - 1]} {tag}"
    return base[:255]


def thread_parent(message: Message) -> MessageEntry | None:
    """The mail the reply answers: the latest received one with a Message-ID, else our latest reply."""
    with_id = message.entries.exclude(email_message_id="").order_by("-created_at", "-pk")
    return with_id.filter(kind=EntryKind.INBOUND).first() or with_id.filter(kind=EntryKind.REPLY).first()


def _signatures(actor: Any, message: Message) -> list[str]:
    own = StaffProfile.objects.filter(user_id=actor.pk).values_list("signature", flat=True).first() or ""
    return [text.strip() for text in (own, message.queue.signature) if text and text.strip()]


def message_reply(*, actor: Any, message: Message, body: str, template: ReplyTemplate | None = None,
                  close_with: str | None = None, waiting: bool = False) -> MessageEntry:
    """Send `body` (placeholders filled; the template's text when body is empty) to the sender, signed by the
    actor and the queue. Sets the first response when there was none, takes an unassigned message, leaves it in
    progress (or waiting for the answer with `waiting`), and closes it with `close_with` (an Outcome)."""
    if template is not None and not template.is_active:
        raise ValidationError({"template": _("This template is no longer in use.")})
    if close_with and close_with not in Outcome.values:
        raise ValidationError({"close_with": _("Choose how the message ended.")})
    text = (body or "").strip() or (template.body.strip() if template is not None else "")
    if not text:
        raise ValidationError({"body": _("Write the reply.")})
    if len(text) > REPLY_MAX_CHARS:
        raise ValidationError({"body": _("Keep the reply under %(count)s characters.") % {"count": REPLY_MAX_CHARS}})

    def change(locked: Message) -> MessageEntry:
        if not locked.sender_email:
            raise ValidationError(_("This message has no email address to reply to."))
        values = placeholder_values(message=locked, actor=actor)
        parts = [placeholders_fill(text, values).strip(), *_signatures(actor, locked)]
        subject = reply_subject(locked, placeholders_fill(template.subject, values) if template is not None else "")
        parent = thread_parent(locked)
        in_reply_to = _one_line(parent.email_message_id) if parent is not None else ""
        references = (" ".join([*_one_line(parent.references).split(), in_reply_to][-REFERENCES_KEPT:])
                      if parent is not None else "")
        from_address = sender_address(locked)
        domain = parseaddr(from_address)[1].rpartition("@")[2] or "openpractice.local"
        now = timezone.now()
        entry = entry_add(locked, EntryKind.REPLY, author=actor, body="\n\n".join(parts), at=now,
                          email_message_id=make_msgid(domain=domain), in_reply_to=in_reply_to,
                          references=references, from_address=from_address[:254], to_addresses=locked.sender_email,
                          subject=subject)
        changed = []
        if locked.first_response_at is None:
            locked.first_response_at = now
            changed.append("first_response_at")
        if locked.assignee_id is None:
            locked.assignee = actor
            changed.append("assignee")
        status = MessageStatus.WAITING if waiting else MessageStatus.OPEN
        if locked.status != status:
            locked.status = status
            changed.append("status")
        if changed:
            save(locked, changed)
        audit(actor, "frontdesk.message_replied", locked, ["entries", *changed],
              reason=f"template {template.pk}" if template is not None else "")
        if close_with:
            close_locked(actor=actor, locked=locked, outcome=close_with, now=now)
        transaction.on_commit(partial(_send, entry.pk))
        return entry

    return work(actor=actor, message=message, action="frontdesk.message_reply", change=change)


def reply_mail(entry: MessageEntry) -> EmailMessage:
    """The mail of a REPLY entry, with the headers that keep it in the sender's thread."""
    headers = {"Message-ID": entry.email_message_id}
    if entry.in_reply_to:
        headers["In-Reply-To"] = entry.in_reply_to
    if entry.references:
        headers["References"] = entry.references
    return EmailMessage(subject=entry.subject, body=entry.body, from_email=entry.from_address,
                        to=[address.strip() for address in entry.to_addresses.split(",") if address.strip()],
                        headers=headers)


def _send(entry_id: int) -> None:
    entry = MessageEntry.objects.select_related("message").get(pk=entry_id)
    try:
        get_connection(fail_silently=False).send_messages([reply_mail(entry)])
    except (OSError, smtplib.SMTPException):
        # The reply stays on the timeline; the line below tells staff it did not leave, so they send it again.
        logger.warning("Reply %s on message %s not sent: mail server unavailable", entry_id, entry.message_id,
                       exc_info=True)
        with transaction.atomic():
            entry_add(entry.message, EntryKind.STATUS,
                      body=_("The reply of %(when)s could not be sent: the mail server did not take it. Send it "
                             "again.") % {"when": timezone.localtime(entry.created_at).strftime("%Y-%m-%d %H:%M")})
