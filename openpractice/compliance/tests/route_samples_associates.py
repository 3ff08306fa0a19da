"""Business associate samples for tests/test_routes.py (`(world, actor) -> (in scope, out of scope)`), and the
builders the associate tests use.

Associates and their agreements are practice-wide (no out-of-scope object: None). The sample agreement is in force
with its PDF on file, so every page opens: the document downloads, and the pages whose action its status closes
(put in force) say why.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.core.files.base import ContentFile

from openpractice.compliance.choices import AgreementStatus
from openpractice.compliance.models import BusinessAssociate, BusinessAssociateAgreement

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
_numbers = itertools.count(1)


def make_associate(*, created_by: Any, name: str = "", handles_phi: bool = True, is_active: bool = True,
                   services: str = "Claims exchange") -> BusinessAssociate:
    return BusinessAssociate.objects.create(
        name=name or f"Associate {next(_numbers):04d}", services=services, handles_phi=handles_phi,
        is_active=is_active, created_by=created_by)


def make_agreement(*, associate: BusinessAssociate, status: str = AgreementStatus.ACTIVE,
                   effective_on: dt.date | None = dt.date(2024, 1, 1), expires_on: dt.date | None = None,
                   review_on: dt.date | None = None, terminated_on: dt.date | None = None,
                   document: bytes | None = None, created_by: Any = None) -> BusinessAssociateAgreement:
    """An agreement made directly (no workflow); `effective_on` doubles as the signature date."""
    agreement = BusinessAssociateAgreement(
        associate=associate, status=status, signed_on=effective_on, effective_on=effective_on,
        expires_on=expires_on, review_on=review_on, terminated_on=terminated_on,
        created_by=created_by or associate.created_by)
    if document is not None:
        agreement.document.save(f"sample-{next(_numbers):04d}.pdf", ContentFile(document), save=False)
        agreement.document_content_type, agreement.document_size = "application/pdf", len(document)
    agreement.save(force_insert=True)
    return agreement


def _world(world: Any) -> dict[str, Any]:
    cache: dict[str, Any] = world.__dict__.setdefault("_compliance_associate_samples", {})
    if not cache:
        associate = make_associate(created_by=world.stranger, name="Route Sample Clearinghouse")
        cache.update(associate=associate,
                     agreement=make_agreement(associate=associate, document=PDF, created_by=world.stranger))
    return cache


def associates(world: Any, actor: Any) -> tuple[Any, None]:
    return _world(world)["associate"], None


def agreements(world: Any, actor: Any) -> tuple[Any, None]:
    return _world(world)["agreement"], None
