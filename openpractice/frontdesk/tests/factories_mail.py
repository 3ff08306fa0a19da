"""Front desk mail test data: mailboxes, and mails as a sender's mailer would write them (bytes)."""

from __future__ import annotations

from collections.abc import Iterable
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

import factory
from django.utils import timezone

from openpractice.frontdesk.models import Mailbox

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


class MailboxFactory(factory.django.DjangoModelFactory[Mailbox]):
    class Meta:
        model = Mailbox

    name = factory.Sequence(lambda n: f"Mailbox {n}")
    address = factory.Sequence(lambda n: f"desk{n}@practice.test")
    imap_host = ""
    send_acknowledgement = True


def make_mail(*, sender: str = "Pat Sender <pat@example.org>", to: str = "desk0@practice.test",
              subject: str = "A question", text: str | None = "Hello, I have a question.", html: str | None = None,
              message_id: str | None = None, in_reply_to: str = "", references: Iterable[str] = (),
              headers: dict[str, str] | None = None,
              attachments: Iterable[tuple[str, str, bytes]] = ()) -> bytes:
    """A mail as bytes. `attachments` are (file name, content type, content)."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = format_datetime(timezone.now())
    mail["Message-ID"] = message_id or make_msgid(domain="example.org")
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
    references = list(references)
    if references:
        mail["References"] = " ".join(references)
    for name, value in (headers or {}).items():
        mail[name] = value
    if text is not None:
        mail.set_content(text)
    if html is not None:
        if text is None:
            mail.set_content(html, subtype="html")
        else:
            mail.add_alternative(html, subtype="html")
    for filename, content_type, content in attachments:
        maintype, _slash, subtype = content_type.partition("/")
        mail.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return mail.as_bytes()


def message_id_of(raw: bytes) -> str:
    from email import message_from_bytes, policy

    return str(message_from_bytes(raw, policy=policy.default)["Message-ID"]).strip()


def reply_to(original: Any, *, sender: str = "Pat Sender <pat@example.org>", text: str = "Thank you, one more thing.",
             **fields: Any) -> bytes:
    """A sender's answer to a mail we sent (a django EmailMessage from mail.outbox or the SMTP fixture)."""
    message_id = str(original["Message-ID"]).strip()
    references = str(original.get("References") or "").split()
    subject = str(original["Subject"])
    return make_mail(sender=sender, to=str(original["From"]), subject=f"Re: {subject}", text=text,
                     in_reply_to=message_id, references=[*references, message_id], **fields)


def attachment_stored(entry: Any, *, filename: str = "statement.pdf", content: bytes = PDF,
                      content_type: str = "application/pdf") -> Any:
    """A MessageAttachment on `entry` whose file really is in storage (the download view answers 404 without)."""
    from openpractice.frontdesk.mail_safety import KeptAttachment
    from openpractice.frontdesk.services.mail_attachments import attachments_record, attachments_store

    kept = KeptAttachment(filename=filename, content=content, content_type=content_type,
                          extension=filename.rsplit(".", 1)[-1])
    (row,) = attachments_record(entry, attachments_store([kept]))
    return row
