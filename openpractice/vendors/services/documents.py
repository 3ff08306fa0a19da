"""Contract documents: the signed contract as a PDF (typed from its bytes, never from its name; at most 10 MB),
stored under a random name in MEDIA_ROOT (outside the web root) and served by a permission-checked view that
audits each download.

`contract_save` records or changes a contract (through services.contracts) and attaches its document in the same
transaction: a contract is never saved with half its input, and a stored file whose record did not commit is
deleted again. vendors.manage does all of it; a refusal is audited before any transaction opens and changes
nothing.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Mapping
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.files import CheckedFile, read_checked

from ..models import Contract, Vendor
from . import contracts

DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
DOCUMENT_TYPES: tuple[str, ...] = ("pdf",)
CONTENT_TYPE = "application/pdf"


def _require(actor: Any, action: str, target: Any) -> None:
    if not can(actor, Perm.VENDORS_MANAGE):
        raise refuse(actor=actor, permission=Perm.VENDORS_MANAGE, action=action, target=target)


def document_check(upload: UploadedFile) -> CheckedFile:
    """The upload's bytes if it is a PDF of at most 10 MB; else a ValidationError on "document"."""
    return read_checked(upload, field="document", max_bytes=DOCUMENT_MAX_BYTES, allowed=DOCUMENT_TYPES,
                        what=_("The contract"), type_message=_("Upload the contract as a PDF file."))


def display_name(upload: UploadedFile) -> str:
    """The name the person's file had (without any folder, control characters or more than 200 characters), kept
    to show and to name the download; ".pdf" when it had none."""
    raw = str(upload.name or "")
    name = PureWindowsPath(PurePosixPath(raw).name).name
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C").strip()
    if not name.lower().endswith(".pdf"):
        name = f"{name or 'contract'}.pdf"
    return name[-200:]


def _store(checked: CheckedFile) -> str:
    """Write the bytes under a random name; returns the stored name."""
    field: Any = Contract._meta.get_field("document")
    name = field.generate_filename(None, f"{secrets.token_hex(16)}.{checked.extension}")
    return str(field.storage.save(name, ContentFile(checked.content)))


def _delete(name: str) -> None:
    if name:
        field: Any = Contract._meta.get_field("document")
        field.storage.delete(name)


def _attach(*, actor: Any, contract_id: int, stored: str, name: str) -> Contract:
    """Point the contract at the stored file (inside the caller's transaction); the file it replaces is deleted
    once that commits."""
    locked = Contract.objects.select_for_update().get(pk=contract_id)
    previous = locked.document.name or ""
    locked.document.name = stored
    locked.document_name = name
    locked.save(update_fields=["document", "document_name", "updated_at"])
    record(actor=actor, action="vendors.contract_document_added", target=locked,
           changed_fields=["document", "document_name"], reason="replaced the previous document" if previous else "")
    if previous:
        transaction.on_commit(lambda: _delete(previous))
    return locked


def contract_save(*, actor: Any, data: Mapping[str, Any], vendor: Vendor | None = None,
                  contract: Contract | None = None, upload: UploadedFile | None = None) -> Contract:
    """Record a new contract with `vendor` (or change `contract`) and attach `upload` as its document, all or
    nothing."""
    if (vendor is None) == (contract is None):
        raise TypeError("contract_save needs a vendor (new contract) or a contract (change), not both")
    action = "vendors.contract_create" if contract is None else "vendors.contract_update"
    _require(actor, action, contract or vendor)
    checked = document_check(upload) if upload is not None else None
    name = display_name(upload) if upload is not None else ""
    stored = _store(checked) if checked is not None else ""
    try:
        with transaction.atomic():
            if contract is None:
                assert vendor is not None
                saved = contracts.contract_create(actor=actor, vendor=vendor, data=data)
            else:
                saved = contracts.contract_update(actor=actor, contract=contract, data=data)
            if stored:
                saved = _attach(actor=actor, contract_id=saved.pk, stored=stored, name=name)
    except BaseException:
        _delete(stored)
        raise
    return saved


def contract_document_set(*, actor: Any, contract: Contract, upload: UploadedFile) -> Contract:
    """Attach (or replace) a contract's document."""
    return contract_save(actor=actor, contract=contract, data={}, upload=upload)


def contract_document_opened(*, actor: Any, contract: Contract) -> None:
    """Audit that someone downloaded the contract's document (the caller checked they may)."""
    record(actor=actor, action="vendors.contract_document_viewed", target=contract)
