"""Builders for the vendor page tests and the route samples: rows made directly (no workflow, no audit), so a test
sets up exactly what it needs. The tax ID is stored as the services store it (encrypted, last four kept)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from openpractice.vendors.choices import ContractKind, ContractStatus, NegotiationOutcome, VendorKind
from openpractice.vendors.models import Contract, Negotiation, RepVisit, Vendor, VendorCategory, VendorContact

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
_numbers = itertools.count(1)


def make_vendor(*, name: str = "", kind: str = VendorKind.SUPPLIER, tax_id: str = "",
                categories: list[VendorCategory] | None = None, **fields: Any) -> Vendor:
    digits = tax_id.replace("-", "")
    vendor = Vendor.objects.create(name=name or f"Vendor {next(_numbers):04d}", kind=kind,
                                   tax_id=f"{digits[:2]}-{digits[2:]}" if digits else "",
                                   tax_id_last4=digits[-4:], **fields)
    if categories:
        vendor.categories.set(categories)
    return vendor


def make_category(name: str = "") -> VendorCategory:
    return VendorCategory.objects.create(name=name or f"Category {next(_numbers):04d}")


def make_contact(*, vendor: Vendor, name: str = "", **fields: Any) -> VendorContact:
    return VendorContact.objects.create(vendor=vendor, name=name or f"Contact {next(_numbers):04d}", **fields)


def make_contract(*, vendor: Vendor, title: str = "", document: bytes | None = None,
                  starts_on: dt.date = dt.date(2025, 1, 1), ends_on: dt.date | None = dt.date(2027, 12, 31),
                  notice_days: int = 60, status: str = ContractStatus.ACTIVE, **fields: Any) -> Contract:
    contract = Contract(vendor=vendor, kind=fields.pop("kind", ContractKind.SUPPLY),
                        title=title or f"Contract {next(_numbers):04d}", starts_on=starts_on, ends_on=ends_on,
                        notice_days=notice_days, status=status, **fields)
    if document is not None:
        contract.document.save(f"sample-{next(_numbers):04d}.pdf", ContentFile(document), save=False)
        contract.document_name = "Signed contract.pdf"
    contract.save(force_insert=True)
    return contract


def make_negotiation(*, vendor: Vendor, logged_by: Any, contract: Contract | None = None,
                     held_on: dt.date = dt.date(2026, 3, 2), savings: str = "1200.00",
                     outcome: str = NegotiationOutcome.AGREED) -> Negotiation:
    return Negotiation.objects.create(vendor=vendor, contract=contract, held_on=held_on,
                                      their_people="Account manager", asks="5% off gloves",
                                      offers="3% off gloves", outcome=outcome, annual_savings=Decimal(savings),
                                      logged_by=logged_by)


def make_rep_visit(*, vendor: Vendor, location: Any, logged_by: Any, rep: VendorContact | None = None,
                   visited_at: dt.datetime | None = None, policy_exceptions: list[str] | None = None) -> RepVisit:
    return RepVisit.objects.create(vendor=vendor, rep=rep, rep_name="" if rep else "Sam Sample", location=location,
                                   visited_at=visited_at or timezone.now() - dt.timedelta(days=1),
                                   products="New wound dressing", logged_by=logged_by,
                                   policy_exceptions=policy_exceptions or [])
