"""Uploaded files (personnel folders, credentials, résumés, policy attachments, contracts, equipment photos and
manuals): read with a size cap,
typed from their first bytes (never from the client's name or content type), and stored under a random name in
MEDIA_ROOT, which is outside the web root; permission-checked views serve them."""

from __future__ import annotations

import io
import secrets
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

# Leading bytes -> (content type, extension).
SIGNATURES: dict[str, tuple[bytes, str]] = {
    "pdf": (b"%PDF-", "application/pdf"),
    "png": (b"\x89PNG\r\n\x1a\n", "image/png"),
    "jpg": (b"\xff\xd8\xff", "image/jpeg"),
    "docx": (b"PK\x03\x04", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
}
CONTENT_TYPES: dict[str, str] = {extension: content_type for extension, (_sig, content_type) in SIGNATURES.items()}
IMAGES_AND_PDF: tuple[str, ...] = ("pdf", "png", "jpg")


@dataclass(frozen=True)
class CheckedFile:
    content: bytes
    content_type: str
    extension: str

    def random_name(self) -> str:
        return f"{secrets.token_hex(16)}.{self.extension}"


def _is_docx(content: bytes) -> bool:
    # Any ZIP starts with PK: a Word document is one holding word/document.xml.
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "word/document.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def sniff(content: bytes, allowed: Iterable[str]) -> str | None:
    """The extension of the first allowed type the bytes are, or None."""
    for extension in allowed:
        signature, _content_type = SIGNATURES[extension]
        if content.startswith(signature) and (extension != "docx" or _is_docx(content)):
            return extension
    return None


def read_checked(upload: UploadedFile, *, field: str, max_bytes: int, allowed: Iterable[str] = IMAGES_AND_PDF,
                 what: str = "", type_message: str = "", type_code: str = "file_type") -> CheckedFile:
    """The upload's bytes when it is non-empty, at most `max_bytes` and one of the `allowed` types; otherwise a
    ValidationError on `field` (codes too_large, empty, and `type_code`)."""
    too_large = ValidationError({field: _("%(what)s is larger than %(mb)s MB.")
                                 % {"what": what or _("The file"), "mb": _megabytes(max_bytes)}}, code="too_large")
    if upload.size is None or upload.size > max_bytes:
        raise too_large
    content = upload.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise too_large
    if not content:
        raise ValidationError({field: _("The file is empty.")}, code="empty")
    allowed = tuple(allowed)
    extension = sniff(content, allowed)
    if extension is None:
        names = ", ".join(extension.upper() for extension in allowed)
        raise ValidationError({field: type_message or _("Upload a %(types)s file.") % {"types": names}},
                              code=type_code)
    return CheckedFile(content=content, content_type=CONTENT_TYPES[extension], extension=extension)


def _megabytes(size: int) -> str:
    megabytes = size / (1024 * 1024)
    return f"{megabytes:g}" if megabytes >= 1 else f"{megabytes:.2g}"
