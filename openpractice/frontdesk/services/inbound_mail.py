"""Mail into the queues: `mail_receive` is the one way a mail becomes (part of) a message, whether it was read
from a mailbox over IMAP (imap_fetch) or handed to the built-in SMTP endpoint (smtp_endpoint).

1. The mail is parsed safely (mail_parse: it never fails on what a sender sends) and its attachments checked
   (mail_safety: typed from their bytes, size-limited; a refused one is named in a note, never stored).
2. A Message-ID already stored is a mail already received (IMAP reads mail again after UIDVALIDITY changes):
   nothing happens. A mail without a Message-ID gets one made from its bytes, so it is recognised too.
3. Loop stop: mail is counted per sender and hour (InboundRate, one row per sender and hour, F() increments).
   Past LOOP_LIMIT_PER_HOUR the mail is kept as a LOOP entry on the thread it answers, else on the sender's
   latest message: not routed again, never acknowledged, its attachments not stored.
4. Threading: In-Reply-To or References naming a Message-ID of an entry (mail we received or a reply we sent),
   or the subject carrying a message number "[MSG-000042]" when the mail comes from that message's sender,
   adds an INBOUND entry to that message. A person writing again reopens a closed message (and a message
   waiting on them is back in progress), with a STATUS entry; automatic mail is only kept.
5. Otherwise the mail starts a message: services.intake.message_intake routes it like any other (rules, else the
   default queue: nothing is lost). The patient is linked only when exactly one active patient has the sender's
   address.
6. Acknowledgement: when the mailbox says so and a person (not automatic mail) started a new thread, at most
   ACKNOWLEDGE_LIMIT_PER_HOUR times per sender and hour, the mailbox's acknowledgement text (or a default naming
   the message number) is sent after the commit with Auto-Submitted: auto-replied, X-Loop: <mailbox address>
   and In-Reply-To/References, and recorded as a REPLY entry (no author) carrying its Message-ID, so an answer
   to it joins the same message.

Automatic mail (mail_safety.automatic_reason: auto-replies, bounces, lists, our own mail, our X-Loop) is marked
`is_auto_submitted` and never acknowledged. Anything worth telling staff (malformed mail, refused attachments,
held-back loops, automatic mail) is a NOTE entry without author under the mail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import smtplib
from collections.abc import Iterable, Sequence
from email.utils import formataddr, make_msgid
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from openpractice.core.selectors import practice_settings
from openpractice.patients.models import Patient

from ..choices import Channel, EntryKind, MessageStatus
from ..mail_parse import ParsedMail, clean_line, mail_parse
from ..mail_safety import attachments_check, automatic_reason
from ..models import InboundRate, Mailbox, Message, MessageEntry
from .intake import Incoming, message_intake
from .mail_attachments import StoredAttachment, attachments_delete, attachments_record, attachments_store
from .templates import placeholder_values, placeholders_fill
from .work import audit, entry_add, save

logger = logging.getLogger(__name__)

LOOP_LIMIT_PER_HOUR = 20
ACKNOWLEDGE_LIMIT_PER_HOUR = 3
RATE_KEEP_HOURS = 48
NO_SUBJECT = "(no subject)"
_NUMBER_TAG = re.compile(r"\[MSG-(\d{1,12})\]")

DEFAULT_ACKNOWLEDGEMENT = (
    "Thank you for writing to {practice_name}. We have received your message and will answer as soon as we can.\n"
    "\n"
    "Your reference is {number}: please keep it in the subject if you write again about the same matter.\n"
    "\n"
    "If this is a medical emergency, call 911. Please do not answer this automatic message."
)


# --- small pieces ----------------------------------------------------------------------------------------------


def _valid_email(address: str) -> str:
    try:
        validate_email(address)
    except ValidationError:
        return ""
    return address if len(address) <= 254 else ""


def _synthetic_message_id(raw: bytes) -> str:
    return f"<{hashlib.sha256(raw).hexdigest()[:40]}@received.openpractice.invalid>"


def _sender_key(mail: ParsedMail) -> str:
    return (mail.from_address.lower() or "(no sender)")[:254]


def _own_addresses() -> list[str]:
    return list(Mailbox.objects.values_list("address", flat=True))


def _mailbox_for(addresses: Iterable[str]) -> Mailbox | None:
    wanted = [address.strip().lower() for address in addresses if address and "@" in address]
    if not wanted:
        return None
    condition = Q(pk__in=[])
    for address in wanted[:50]:
        condition |= Q(address__iexact=address)
    return Mailbox.objects.filter(condition, is_active=True).order_by("pk").first()


def _already_received(message_id: str) -> bool:
    return MessageEntry.objects.filter(email_message_id=message_id).exists()


def _count_this_hour(sender: str, now: dt.datetime) -> int:
    """Count this mail for its sender and hour; returns the count including it."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    rate, _created = InboundRate.objects.get_or_create(sender=sender, hour=hour)
    InboundRate.objects.filter(pk=rate.pk).update(count=F("count") + 1)
    return int(InboundRate.objects.filter(pk=rate.pk).values_list("count", flat=True).get())


def _thread_parent(mail: ParsedMail) -> MessageEntry | None:
    """The entry the mail answers: named by In-Reply-To, else by References (nearest first)."""
    named = [mail.in_reply_to, *reversed(mail.references)]
    named = [value for value in dict.fromkeys(named) if value]
    if named:
        found = {entry.email_message_id: entry for entry in
                 MessageEntry.objects.filter(email_message_id__in=named).select_related("message")
                 .order_by("created_at", "pk")}
        for value in named:
            if value in found:
                return found[value]
    return None


def _numbered_message(mail: ParsedMail) -> Message | None:
    """The message whose number the subject carries, when the mail comes from that message's sender (mailers
    that drop In-Reply-To still keep the subject)."""
    tag = _NUMBER_TAG.search(mail.subject)
    sender = _valid_email(mail.from_address)
    if tag is None or not sender:
        return None
    return Message.objects.filter(pk=int(tag.group(1)), sender_email__iexact=sender).first()


def _patient_for(address: str) -> Patient | None:
    """The active patient with this email address, when exactly one has it."""
    if not address:
        return None
    matches = list(Patient.objects.active().filter(email__iexact=address).order_by("pk")[:2])
    return matches[0] if len(matches) == 1 else None


def _mail_fields(mail: ParsedMail, message_id: str) -> dict[str, Any]:
    """The MessageEntry fields a received mail carries."""
    return {
        "body": mail.text,
        "body_html": mail.html,
        "email_message_id": message_id[:255],
        "in_reply_to": mail.in_reply_to[:255],
        "references": " ".join(mail.references),
        "from_address": (mail.from_address or clean_line(mail.header("from"), 254))[:254],
        "to_addresses": ", ".join([*mail.to_addresses, *mail.cc_addresses]),
        "subject": (mail.subject or NO_SUBJECT)[:255],
    }


# --- the three ways a mail lands --------------------------------------------------------------------------------


def _start_message(mail: ParsedMail, fields: dict[str, Any], mailbox: Mailbox | None,
                   automatic: bool) -> tuple[Message, MessageEntry]:
    sender = _valid_email(mail.from_address)
    incoming = Incoming(
        channel=Channel.EMAIL, subject=fields["subject"], body=fields["body"], sender_name=mail.from_name,
        sender_email=sender, mailbox=mailbox, patient=_patient_for(sender), is_auto_submitted=automatic,
        body_html=fields["body_html"], email_message_id=fields["email_message_id"],
        in_reply_to=fields["in_reply_to"], references=fields["references"], from_address=fields["from_address"],
        to_addresses=fields["to_addresses"],
    )
    return message_intake(actor=None, incoming=incoming)


def _lock(message: Message) -> Message:
    return Message.objects.select_for_update(of=("self",)).get(pk=message.pk)


def _add_to_thread(message: Message, fields: dict[str, Any], *, automatic: bool, now: dt.datetime) -> MessageEntry:
    locked = _lock(message)
    entry = entry_add(locked, EntryKind.INBOUND, at=now, **fields)
    if not automatic and locked.status in (MessageStatus.CLOSED, MessageStatus.WAITING):
        was_closed = locked.status == MessageStatus.CLOSED
        locked.status = MessageStatus.OPEN
        changed = ["status"]
        if was_closed:
            locked.closed_at, locked.outcome, locked.outcome_note = None, "", ""
            changed += ["closed_at", "outcome", "outcome_note"]
        save(locked, changed)
        entry_add(locked, EntryKind.STATUS, at=now,
                  body="Reopened: the sender wrote again." if was_closed else "The sender answered: in progress.")
        audit(None, "frontdesk.message_reopened" if was_closed else "frontdesk.message_status_changed", locked,
              changed, reason="mail from the sender")
    audit(None, "frontdesk.mail_received", locked, reason="added to the thread")
    return entry


def _hold_back(message: Message, fields: dict[str, Any], *, count: int, now: dt.datetime) -> MessageEntry:
    locked = _lock(message)
    entry = entry_add(locked, EntryKind.LOOP, at=now, **fields)
    audit(None, "frontdesk.mail_held_back", locked, reason=f"{count} mails this hour from one sender")
    return entry


def _latest_of(sender: str) -> Message | None:
    if not sender or sender == "(no sender)":
        return None
    return Message.objects.filter(sender_email__iexact=sender).order_by("-received_at", "-pk").first()


# --- acknowledgement ----------------------------------------------------------------------------------------------


def _domain(address: str) -> str:
    return address.rpartition("@")[2] or "openpractice.invalid"


def _acknowledge(message: Message, inbound: MessageEntry, mailbox: Mailbox, now: dt.datetime) -> MessageEntry:
    """Record the acknowledgement as a REPLY entry and send it once the transaction commits."""
    values = placeholder_values(message=message, actor=None)
    text = placeholders_fill(mailbox.acknowledgement_text.strip() or DEFAULT_ACKNOWLEDGEMENT, values)
    subject = " ".join(f"Re: {inbound.subject or NO_SUBJECT}".split())
    subject = f"{subject[:200]} [{message.number}]"
    references = " ".join([*inbound.references.split(), inbound.email_message_id][-20:])
    entry = entry_add(
        message, EntryKind.REPLY, at=now, body=text, subject=subject[:255],
        from_address=formataddr((" ".join(practice_settings().name.split()), mailbox.address))[:254],
        to_addresses=message.sender_email, email_message_id=make_msgid(domain=_domain(mailbox.address)),
        in_reply_to=inbound.email_message_id, references=references,
    )
    audit(None, "frontdesk.mail_acknowledged", message, reason=f"mailbox {mailbox.pk}")
    transaction.on_commit(partial(_send_acknowledgement, entry.pk, mailbox.address))
    return entry


def acknowledgement_mail(entry: MessageEntry, loop_address: str) -> EmailMessage:
    """The mail of an acknowledgement entry: an automatic answer (RFC 3834) that robots must not answer."""
    headers = {
        "Message-ID": entry.email_message_id,
        "In-Reply-To": entry.in_reply_to,
        "References": entry.references,
        "Auto-Submitted": "auto-replied",
        "X-Loop": loop_address,
        "X-Auto-Response-Suppress": "All",
    }
    return EmailMessage(subject=entry.subject, body=entry.body, from_email=entry.from_address,
                        to=[entry.to_addresses], headers=headers)


def _send_acknowledgement(entry_id: int, loop_address: str) -> None:
    entry = MessageEntry.objects.select_related("message").get(pk=entry_id)
    try:
        get_connection(fail_silently=False).send_messages([acknowledgement_mail(entry, loop_address)])
    except (OSError, smtplib.SMTPException):
        logger.warning("Acknowledgement %s of message %s not sent: mail server unavailable", entry_id,
                       entry.message_id, exc_info=True)
        with transaction.atomic():
            entry_add(entry.message, EntryKind.STATUS,
                      body="The automatic acknowledgement could not be sent: the mail server did not take it.")


# --- the service ---------------------------------------------------------------------------------------------------


def _notes_text(notes: Sequence[str]) -> str:
    return "\n".join(f"• {note}" for note in notes)


def mail_receive(*, raw: bytes, mailbox: Mailbox | None, envelope_recipients: Sequence[str] = (),
                 notes: Sequence[str] = ()) -> MessageEntry | None:
    """Receive one mail (see the module docstring). Returns the entry the mail became (INBOUND or LOOP), or None
    when it had been received before. `notes` are the reader's own remarks (e.g. "too large to fetch whole")."""
    mail = mail_parse(raw)
    message_id = mail.message_id or _synthetic_message_id(raw)
    if _already_received(message_id):
        return None
    if mailbox is None:
        mailbox = _mailbox_for([*envelope_recipients, *mail.to_addresses, *mail.cc_addresses])
    reason = automatic_reason(mail, own_addresses=_own_addresses())
    kept, refused = attachments_check(mail.attachments)
    stored = attachments_store(kept)
    try:
        entry = _receive(mail, message_id, mailbox, reason=reason, stored=stored, refused=refused,
                         notes=[*notes, *mail.notes])
    except BaseException:
        attachments_delete(stored)
        raise
    return entry


@transaction.atomic
def _receive(mail: ParsedMail, message_id: str, mailbox: Mailbox | None, *, reason: str,
             stored: list[StoredAttachment], refused: list[str], notes: list[str]) -> MessageEntry | None:
    if mailbox is not None:
        # Mail of one mailbox is received one at a time, so two readers of the same mail store it once.
        Mailbox.objects.select_for_update().filter(pk=mailbox.pk).values_list("pk", flat=True).first()
    if _already_received(message_id):
        transaction.on_commit(partial(attachments_delete, stored))
        return None
    now = timezone.now()
    sender = _sender_key(mail)
    count = _count_this_hour(sender, now)
    fields = _mail_fields(mail, message_id)
    automatic = bool(reason)
    parent = _thread_parent(mail)
    thread = parent.message if parent is not None else _numbered_message(mail)
    remarks = list(notes)
    if automatic:
        remarks.insert(0, f"Automatic mail ({reason}): not acknowledged.")

    held = thread if thread is not None else _latest_of(sender)
    if count > LOOP_LIMIT_PER_HOUR and held is not None:
        entry = _hold_back(held, fields, count=count, now=now)
        remarks.insert(0, f"Held back: more than {LOOP_LIMIT_PER_HOUR} mails from this sender within the hour "
                          "(a mail loop or a flood); not routed, not acknowledged.")
        remarks += [f"{item.kept.filename} not kept: the sender's mail is held back" for item in stored]
        transaction.on_commit(partial(attachments_delete, stored))
        stored = []
        message = held
    elif thread is not None:
        entry = _add_to_thread(thread, fields, automatic=automatic, now=now)
        message = thread
    else:
        message, entry = _start_message(mail, fields, mailbox, automatic or count > LOOP_LIMIT_PER_HOUR)
        if (mailbox is not None and mailbox.send_acknowledgement and not automatic and message.sender_email
                and count <= ACKNOWLEDGE_LIMIT_PER_HOUR):
            _acknowledge(message, entry, mailbox, now)
    attachments_record(entry, stored)
    remarks += refused
    if remarks:
        entry_add(message, EntryKind.NOTE, at=now, body=_notes_text(remarks)[:5000])
    return entry


def mailbox_poll_progress(*, mailbox: Mailbox, uid_validity: int, last_uid: int) -> None:
    """Where reading the mailbox has got to (after each mail, so a failure half-way does not read all again)."""
    Mailbox.objects.filter(pk=mailbox.pk).update(uid_validity=uid_validity, last_uid=last_uid)
    mailbox.uid_validity, mailbox.last_uid = uid_validity, last_uid


def mailbox_poll_finished(*, mailbox: Mailbox, error: str = "") -> None:
    """The time of the last check and what went wrong ("" when nothing did)."""
    now = timezone.now()
    error = clean_line(error, 500)
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=now, last_error=error)
    mailbox.last_polled_at, mailbox.last_error = now, error


def inbound_rates_prune(*, now: dt.datetime) -> int:
    """Forget the per-sender counts of hours long past; returns how many rows went."""
    deleted, _detail = InboundRate.objects.filter(hour__lt=now - dt.timedelta(hours=RATE_KEEP_HOURS)).delete()
    return int(deleted)

