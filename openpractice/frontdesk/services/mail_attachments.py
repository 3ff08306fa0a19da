"""Files that came with a mail: stored under a random name in the default storage (MEDIA_ROOT, outside the web
root; S3-compatible storage at scale) in frontdesk/mail/, and handed out only by the permission-checked download,
which audits each one.

The bytes are written before the transaction that records them; the caller deletes them again when that
transaction fails or the mail turns out to be a duplicate (`attachments_delete`), so no file outlives its row.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from openpractice.audit.services import record

from ..mail_safety import KeptAttachment
from ..models import MessageAttachment, MessageEntry

FOLDER = "frontdesk/mail"


@dataclass(frozen=True)
class StoredAttachment:
    kept: KeptAttachment
    stored_name: str
    sha256: str


def _path(stored_name: str) -> str:
    return f"{FOLDER}/{stored_name}"


def attachments_store(kept: Iterable[KeptAttachment]) -> list[StoredAttachment]:
    """Write each file under a new random name; returns what was written (delete it if the caller fails)."""
    stored: list[StoredAttachment] = []
    try:
        for attachment in kept:
            wanted = f"{secrets.token_hex(16)}.{attachment.extension}"
            saved = default_storage.save(_path(wanted), ContentFile(attachment.content))
            stored.append(StoredAttachment(kept=attachment, stored_name=str(saved).rsplit("/", 1)[-1],
                                           sha256=hashlib.sha256(attachment.content).hexdigest()))
    except Exception:
        attachments_delete(stored)
        raise
    return stored


def attachments_delete(stored: Iterable[StoredAttachment]) -> None:
    for item in stored:
        default_storage.delete(_path(item.stored_name))


def attachments_record(entry: MessageEntry, stored: Iterable[StoredAttachment]) -> list[MessageAttachment]:
    """The rows of files already stored, on `entry` (inside the caller's transaction)."""
    rows = []
    for item in stored:
        row = MessageAttachment(entry=entry, filename=item.kept.filename, content_type=item.kept.content_type,
                                size=len(item.kept.content), stored_name=item.stored_name, sha256=item.sha256)
        row.full_clean(exclude=["entry"])
        row.save(force_insert=True)
        rows.append(row)
    return rows


def attachment_open(attachment: MessageAttachment) -> IO[Any]:
    """The stored file, opened for reading (FileNotFoundError when it is gone)."""
    return default_storage.open(_path(attachment.stored_name), "rb")


def attachment_downloaded(*, actor: Any, attachment: MessageAttachment, message_id: int, patient_id: int | None,
                          location_id: int | None) -> None:
    """Audit one download (a PHI read: the file belongs to a message about a patient)."""
    record(actor=actor, action="frontdesk.attachment_downloaded", target=attachment, patient_id=patient_id,
           location_id=location_id, reason=f"message {message_id}")
