"""What makes a received mail automatic (never to be answered), and which of its attachments may be kept.

Automatic mail (RFC 3834 and the headers mailers really use): Auto-Submitted other than "no", X-Autoreply,
X-Autorespond, Precedence bulk/junk/list/auto_reply, a List-Id or List-Unsubscribe, a delivery report, an empty
Return-Path or a MAILER-DAEMON sender (bounces), mail from one of our own mailboxes, or mail that carries our
X-Loop. Such mail is kept on the message like any other but never acknowledged, so two robots cannot answer
each other forever.

Attachments are typed from their bytes (openpractice.core.files), never from the sender's name or type: PDF, PNG,
JPEG, Word (DOCX) and plain text are kept, at most 10 MB each and 25 MB per mail; anything else is listed in a
note ("x.exe refused: type not allowed") and not stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from openpractice.core.files import CONTENT_TYPES, sniff

from .mail_parse import ParsedAttachment, ParsedMail

ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
MESSAGE_ATTACHMENTS_MAX_BYTES = 25 * 1024 * 1024
ATTACHMENT_TYPES: tuple[str, ...] = ("pdf", "png", "jpg", "docx")
TEXT_CONTENT_TYPE = "text/plain"

# The endings a kept file's name may have for the type its bytes are; any other gets the right one added, so a
# text file sent as "run.bat" downloads as "run.bat.txt" and opens in an editor, not a shell.
_SUFFIXES = {"pdf": (".pdf",), "png": (".png",), "jpg": (".jpg", ".jpeg"), "docx": (".docx",),
             "txt": (".txt", ".text", ".csv", ".log")}

_BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
_BOUNCE_SENDERS = ("mailer-daemon", "postmaster")


def automatic_reason(mail: ParsedMail, *, own_addresses: Iterable[str]) -> str:
    """Why this mail is automatic (a short English phrase for the timeline), or "" for mail from a person."""
    own = {address.lower() for address in own_addresses if address}
    auto_submitted = mail.header("auto-submitted").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return f"Auto-Submitted: {auto_submitted[:40]}"
    for name in ("x-autoreply", "x-autorespond", "x-autoresponse"):
        if mail.has_header(name):
            return name.title()
    precedence = mail.header("precedence").lower().strip()
    if precedence in _BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    if mail.has_header("list-id") or mail.has_header("list-unsubscribe"):
        return "mailing list"
    if mail.content_type == "multipart/report" or mail.has_header("x-failed-recipients"):
        return "delivery report"
    if mail.has_header("return-path") and mail.header("return-path").strip(" <>") == "":
        return "empty Return-Path (bounce)"
    local_part = mail.from_address.lower().partition("@")[0]
    if local_part in _BOUNCE_SENDERS:
        return "bounce"
    if mail.from_address.lower() in own:
        return "sent by one of our own mailboxes"
    loop = mail.header("x-loop").lower()
    if loop and any(address in loop for address in own):
        return "X-Loop: our own"
    return ""


@dataclass(frozen=True)
class KeptAttachment:
    filename: str
    content: bytes
    content_type: str
    extension: str


def safe_filename(name: str, extension: str) -> str:
    """`name` ending as its type (see _SUFFIXES), at most 200 characters."""
    suffixes = _SUFFIXES.get(extension, (f".{extension}",))
    if not name.lower().endswith(suffixes):
        name = f"{name[:190]}{suffixes[0]}"
    return name[-200:]


def _is_plain_text(content: bytes) -> bool:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not any(ord(char) < 32 and char not in "\t\n\r\f" for char in text)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def attachments_check(attachments: Iterable[ParsedAttachment], *, max_bytes: int = ATTACHMENT_MAX_BYTES,
                      message_max_bytes: int = MESSAGE_ATTACHMENTS_MAX_BYTES) -> tuple[list[KeptAttachment],
                                                                                       list[str]]:
    """The attachments to keep (typed from their bytes) and one line per refused one, in the mail's order."""
    kept: list[KeptAttachment] = []
    refused: list[str] = []
    total = 0
    for attachment in attachments:
        name = attachment.filename
        if attachment.size == 0:
            refused.append(f"{name} refused: empty")
            continue
        if attachment.size > max_bytes:
            refused.append(f"{name} refused: {_megabytes(attachment.size)} is over the "
                           f"{_megabytes(max_bytes)} limit per file")
            continue
        if total + attachment.size > message_max_bytes:
            refused.append(f"{name} refused: the mail's attachments would pass {_megabytes(message_max_bytes)}")
            continue
        extension = sniff(attachment.content, ATTACHMENT_TYPES)
        if extension is not None:
            content_type = CONTENT_TYPES[extension]
        elif _is_plain_text(attachment.content):
            extension, content_type = "txt", TEXT_CONTENT_TYPE
        else:
            refused.append(f"{name} refused: type not allowed")
            continue
        total += attachment.size
        kept.append(KeptAttachment(filename=safe_filename(name, extension), content=attachment.content, content_type=content_type,
                                   extension=extension))
    return kept, refused
