"""How a built 837P batch leaves the practice: a Transport hands the file to the clearinghouse and says where it
went. `DirectoryDropTransport` writes it atomically into a directory a clearinghouse client picks files up from
(the billing settings' drop directory, else <data dir>/x12/outbox). A clearinghouse's SFTP is another class with
the same two members; services/batches.py logs every attempt whatever the transport.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path
from typing import Protocol, runtime_checkable

from django.conf import settings

from .models import BillingSettings, ClaimBatch

COPY_CHUNK = 1024 * 1024


class TransportError(Exception):
    """The transport could not deliver the file; the message says why (it is logged with the attempt)."""


@runtime_checkable
class Transport(Protocol):
    name: str  # logged with every attempt (BatchSubmission.transport)

    def send(self, batch: ClaimBatch, path: Path) -> str:
        """Deliver the file at `path` (the batch's 837P) and return where it went (a path, a URL).
        Raise TransportError (or OSError) when it could not be delivered."""
        ...


def x12_directory() -> Path:
    """<data dir>/x12: built batches and the default outbox; never under the web root."""
    return Path(settings.DATA_DIR) / "x12"


def batches_directory() -> Path:
    """Where built 837P files are kept (with the pyx12 result beside each, when it was validated)."""
    return x12_directory() / "batches"


def batch_file_path(batch: ClaimBatch) -> Path:
    return batches_directory() / batch.file_name


def validation_path(batch: ClaimBatch) -> Path:
    return batches_directory() / f"{batch.file_name}.validation.json"


def drop_directory_for(billing: BillingSettings | None) -> Path:
    """Where submitted batches are dropped: the settings' drop directory, else <data dir>/x12/outbox."""
    if billing is not None and billing.drop_directory:
        return Path(billing.drop_directory)
    return x12_directory() / "outbox"


class DirectoryDropTransport:
    """Copy the file into a directory under a temporary name, flush it to disk, then rename it into place, so
    the clearinghouse client never picks up half a file."""

    name = "directory"

    def __init__(self, directory: Path | str | None = None) -> None:
        self.directory = Path(directory) if directory is not None else None

    def target_directory(self) -> Path:
        if self.directory is not None:
            return self.directory
        return drop_directory_for(BillingSettings.objects.filter(singleton=True).first())

    def send(self, batch: ClaimBatch, path: Path) -> str:
        directory = self.target_directory()
        final = directory / batch.file_name
        partial = directory / f".{batch.file_name}.{uuid.uuid4().hex}.part"
        try:
            directory.mkdir(parents=True, exist_ok=True)
            with open(path, "rb") as source, open(partial, "xb") as target:
                while chunk := source.read(COPY_CHUNK):
                    target.write(chunk)
                target.flush()
                os.fsync(target.fileno())
            os.replace(partial, final)
        except OSError as error:
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
            reason = error.strerror or str(error)
            raise TransportError(f"Could not write {final}: {reason}.") from error
        return str(final)
