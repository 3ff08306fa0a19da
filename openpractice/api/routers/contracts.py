"""/contracts: agreements with vendors (supply, service, maintenance, cleaning, GPO, lease) with their terms, dates,
renewal and notice period. Practice-wide like the vendors: vendors.view lists and reads them, vendors.manage adds
and changes them. The notice deadline (the end less the notice period) is the last day to cancel a contract that
renews automatically; the daily job alerts the owner before it. A contract that involves PHI puts its vendor into
the compliance BAA register. Documents, price schedules and negotiations stay in the web interface. Refusals
answer 404 and are audited; nothing changes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.models import User
from openpractice.accounts.roles import Perm
from openpractice.core.selectors import practice_today
from openpractice.core.web import get_scoped_or_404, require
from openpractice.vendors import selectors
from openpractice.vendors.choices import ContractKind, ContractStatus
from openpractice.vendors.models import Contract
from openpractice.vendors.services import contracts as services

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate
from ..schemas.supply import VendorRefOut, refuse_nulls, unknown

router = Router(tags=["contracts"])


class ContractOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 12, "vendor": {"id": 17, "name": "Medline Industries"}, "kind": "supply",
         "title": "Medical supplies prime vendor agreement", "reference": "MED-PV-2025-118",
         "terms": "Net 30; free freight over $250", "starts_on": "2025-07-01", "ends_on": "2027-06-30",
         "auto_renews": True, "renewal_months": 12, "notice_days": 90, "notice_deadline": "2027-04-01",
         "days_to_notice_deadline": 123, "annual_value": "38000.00", "handles_phi": False, "status": "active",
         "has_document": True, "document_name": "medline-prime-vendor-2025.pdf", "owner_id": 3,
         "created_at": "2025-06-20T14:00:00Z", "updated_at": "2025-06-24T17:30:00Z"}]}}
    id: int
    vendor: VendorRefOut
    kind: str = Field(description="supply, service, maintenance, cleaning, gpo or lease")
    title: str
    reference: str = Field(description="The contract number")
    terms: str
    starts_on: dt.date
    ends_on: dt.date | None = Field(description="Empty: open-ended")
    auto_renews: bool
    renewal_months: int | None = Field(description="The renewal term when it renews automatically")
    notice_days: int = Field(description="Notice period in days")
    notice_deadline: dt.date | None = Field(description="The last day to give notice (end less notice period)")
    days_to_notice_deadline: int | None = Field(description="Calendar days from today; negative: passed")
    annual_value: Decimal | None
    handles_phi: bool = Field(description="Work under it touches patient information (BAA register)")
    status: str = Field(description="draft, active, ended or cancelled")
    has_document: bool = Field(description="A signed copy is on file (download in the web interface)")
    document_name: str
    owner_id: int | None = Field(description="Who is alerted before the notice deadline")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_notice_deadline(obj: Contract) -> dt.date | None:
        return obj.notice_deadline

    @staticmethod
    def resolve_days_to_notice_deadline(obj: Contract) -> int | None:
        deadline = obj.notice_deadline
        return None if deadline is None else (deadline - practice_today()).days

    @staticmethod
    def resolve_has_document(obj: Contract) -> bool:
        return bool(obj.document)


class ContractIn(Schema):
    vendor_id: int = Field(examples=[1])
    kind: ContractKind = Field(examples=[ContractKind.SUPPLY])
    title: str = Field(max_length=200, examples=["Medical supplies prime vendor agreement"])
    reference: str = Field("", max_length=60, examples=["PMS-2025-0117"])
    terms: str = Field("", examples=["Contract prices on the attached schedule; free delivery over $250; net 30."])
    starts_on: dt.date = Field(examples=["2025-01-01"])
    ends_on: dt.date | None = Field(None, description="Empty: open-ended (then it cannot renew automatically)",
                                    examples=["2026-12-31"])
    auto_renews: bool = False
    renewal_months: int | None = Field(None, ge=1, le=120, description="Needed when it renews automatically",
                                       examples=[12])
    notice_days: int = Field(0, ge=0, le=3650, examples=[90])
    annual_value: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2, examples=["84000.00"])
    handles_phi: bool = False
    status: ContractStatus = ContractStatus.ACTIVE
    owner_id: int | None = Field(None, description="An active user; empty: you", examples=[3])


class ContractPatchIn(Schema):
    model_config = {"json_schema_extra": {"examples": [{"notice_days": 90, "auto_renews": False}]}}
    kind: ContractKind | None = None
    title: str | None = Field(None, max_length=200)
    reference: str | None = Field(None, max_length=60)
    terms: str | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = Field(None, description="null: open-ended; a new end date starts the alerts over")
    auto_renews: bool | None = None
    renewal_months: int | None = Field(None, ge=1, le=120, description="null clears it")
    notice_days: int | None = Field(None, ge=0, le=3650)
    annual_value: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2, description="null clears it")
    handles_phi: bool | None = None
    status: ContractStatus | None = None
    owner_id: int | None = Field(None, description="An active user; null: nobody")


class ContractFilter(PageIn):
    q: str = Field("", max_length=100, description="Part of the title, the contract number or the vendor's name")
    vendor_id: int | None = Field(None, ge=1, le=2_147_483_647)
    kind: ContractKind | None = None
    status: ContractStatus | None = None
    handles_phi: bool | None = None
    notice_within: int | None = Field(None, ge=0, le=730, description="Active contracts still running whose notice "
                                                                      "deadline falls within this many days from "
                                                                      "today, or has passed: a decision is due")


_NULLABLE = ("ends_on", "renewal_months", "annual_value", "owner_id")


def _contract(request: HttpRequest, contract_id: int, permission: str) -> Contract:
    """Contracts are practice-wide, like the vendors: vendors.view anywhere sees them all."""
    return get_scoped_or_404(request, selectors.contracts_visible(actor=request.user), permission=permission,
                             pk=contract_id)


def _owner(owner_id: int) -> User:
    found = selectors.contract_owner_choices().filter(pk=owner_id).first()
    if found is None:
        raise unknown("owner_id", owner_id, "active user")
    return found


@router.get("", response={200: Page[ContractOut], **COMMON_RESPONSES}, url_name="contract_list",
            summary="Vendor contracts",
            description=f"Needs `{Perm.VENDORS_VIEW}`. By vendor, latest start first. `notice_within=30` lists "
                        "the running contracts whose notice deadline comes within 30 days or has passed. `kind` and `status` take "
                        "the listed values only (anything else: 422).")
def contract_list(request: HttpRequest, filters: Query[ContractFilter]) -> Any:
    require(request, Perm.VENDORS_VIEW)
    queryset = selectors.contract_rows(actor=request.user, kind=filters.kind or "", status=filters.status or "",
                                       vendor_id=filters.vendor_id, phi=filters.handles_phi,
                                       due_days=filters.notice_within, today=practice_today())
    text = filters.q.replace("\x00", "").strip()
    if text:
        queryset = queryset.filter(Q(title__icontains=text) | Q(reference__iexact=text)
                                   | Q(vendor__name__icontains=text))
    return paginate(queryset.order_by("vendor__name", "-starts_on", "pk"), filters)


@router.get("/{int:contract_id}", response={200: ContractOut, **COMMON_RESPONSES}, url_name="contract_detail",
            summary="One contract", description=f"Needs `{Perm.VENDORS_VIEW}`.")
def contract_detail(request: HttpRequest, contract_id: int) -> Any:
    require(request, Perm.VENDORS_VIEW)
    return _contract(request, contract_id, Perm.VENDORS_VIEW)


@router.post("", response={201: ContractOut, **WRITE_RESPONSES}, url_name="contract_create",
             summary="Record a contract",
             description=f"Needs `{Perm.VENDORS_MANAGE}`. A contract that renews automatically needs an end date "
                         "and a renewal term; the notice period cannot be longer than the contract (422).")
def contract_create(request: HttpRequest, payload: ContractIn) -> Any:
    require(request, Perm.VENDORS_MANAGE)
    vendor = selectors.vendors_visible(actor=request.user).filter(pk=payload.vendor_id).first()
    if vendor is None:
        raise unknown("vendor_id", payload.vendor_id, "vendor")
    data = payload.model_dump(exclude={"vendor_id", "owner_id"})
    data["owner"] = request.user if payload.owner_id is None else _owner(payload.owner_id)
    contract = services.contract_create(actor=request.user, vendor=vendor, data=data)
    return Status(201, _contract(request, contract.pk, Perm.VENDORS_MANAGE))


@router.patch("/{int:contract_id}", response={200: ContractOut, **WRITE_RESPONSES}, url_name="contract_update",
              summary="Change a contract",
              description=f"Needs `{Perm.VENDORS_MANAGE}`. Send only the fields to change; a new end date or "
                          "notice period starts the alerts over.")
def contract_update(request: HttpRequest, contract_id: int, payload: ContractPatchIn) -> Any:
    require(request, Perm.VENDORS_MANAGE)
    contract = _contract(request, contract_id, Perm.VENDORS_MANAGE)
    data = payload.model_dump(exclude_unset=True)
    refuse_nulls(data, _NULLABLE)
    if "owner_id" in data:
        owner_id = data.pop("owner_id")
        data["owner"] = None if owner_id is None else _owner(owner_id)
    services.contract_update(actor=request.user, contract=contract, data=data)
    return _contract(request, contract.pk, Perm.VENDORS_MANAGE)
