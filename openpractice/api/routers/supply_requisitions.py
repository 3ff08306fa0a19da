"""/supply-requisitions: requests to buy supplies, furniture or equipment (not the hiring requisitions of the
workforce module). Anyone on the staff writes one for a location they work at, changes it while it is a draft and
submits it; it is approved or rejected by someone else holding inventory.use there whose approval limit covers
its total (the same services and limits as the requisition pages). A requisition is seen by the person who wrote
it and by anyone holding inventory.view at its location; anyone else gets 404 (audited). Refusals (not yours to
change or submit, above your limit, your own) answer 404, are audited and change nothing. An approved requisition
is ordered through POST /purchase-orders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.roles import Perm
from openpractice.core.selectors import practice_today
from openpractice.core.web import get_scoped_or_404, require
from openpractice.inventory.choices import RequisitionStatus
from openpractice.inventory.models import Item, Packaging, Requisition, RequisitionLine
from openpractice.inventory.selectors import purchasing as selectors
from openpractice.inventory.services import purchasing as services
from openpractice.inventory.services import requisition_drafts
from openpractice.vendors.models import Vendor

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate
from ..schemas.common import LocationRefOut
from ..schemas.supply import ItemRefOut, PackagingOut, VendorRefOut, refuse_nulls, unknown

router = Router(tags=["supply-requisitions"])
NO_NUL = r"^[^\x00]*$"  # PostgreSQL cannot store NUL in text
ID = Field(None, ge=1, le=2_147_483_647)
SEE = "own requisition or inventory.view"  # as the requisition pages name it in the audit trail
CENT = Decimal("0.01")
MAX_LINES = 30  # as the requisition form
MAX_QUANTITY = 100_000

LINE_EXAMPLE: dict[str, Any] = {"id": 5120, "item": {"id": 301, "sku": "GLV-NIT-M", "name": "Nitrile exam gloves, medium",
                                     "base_unit": "each"},
                "description": "", "packaging": {"id": 51, "name": "Box of 100", "base_quantity": 100}, "quantity": 15,
                "unit_price": "12.5000", "amount": "187.50", "vendor": {"id": 17, "name": "Medline Industries"}}


class SupplyRequisitionLineOut(Schema):
    id: int
    item: ItemRefOut | None = Field(description="Empty: something not in the catalogue, described")
    description: str
    packaging: PackagingOut | None = Field(description="Asked for in these packages; empty: base units")
    quantity: int
    unit_price: Decimal = Field(description="Estimated, per package (or base unit)")
    amount: Decimal = Field(description="quantity x unit_price, in cents")
    vendor: VendorRefOut | None = Field(description="Empty: the buyer chooses one when ordering")

    @staticmethod
    def resolve_amount(obj: RequisitionLine) -> Decimal:
        return (obj.unit_price * obj.quantity).quantize(CENT)


class SupplyRequisitionOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 388, "number": "REQ-00388", "location": {"id": 1, "name": "Raleigh Main", "code": "ral"},
         "requested_by_id": 31, "status": "submitted", "needed_by": "2026-12-01",
         "justification": "Flu clinic weeks", "total": "187.50", "submitted_at": "2026-11-12T15:02:11Z",
         "decided_by_id": None, "decided_at": None, "decision_note": "", "lines": [LINE_EXAMPLE], "order_ids": [],
         "created_at": "2026-11-12T14:55:10Z", "updated_at": "2026-11-12T15:02:11Z"}]}}
    id: int
    number: str = Field(description="REQ-00388")
    location: LocationRefOut
    requested_by_id: int
    status: str = Field(description="draft, submitted, approved, rejected, ordered or cancelled")
    needed_by: dt.date | None
    justification: str
    total: Decimal = Field(description="Estimated: the sum of the lines")
    submitted_at: dt.datetime | None
    decided_by_id: int | None
    decided_at: dt.datetime | None
    decision_note: str = Field(description="Why it was rejected (or a note on the approval)")
    lines: list[SupplyRequisitionLineOut]
    order_ids: list[int] = Field(description="The purchase orders it became")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_number(obj: Requisition) -> str:
        return str(obj)

    @staticmethod
    def resolve_lines(obj: Requisition) -> list[Any]:
        return list(obj.lines.all())

    @staticmethod
    def resolve_order_ids(obj: Requisition) -> list[int]:
        return [order.pk for order in obj.orders.all()]


class SupplyRequisitionLineIn(Schema):
    item_id: int | None = Field(None, ge=1, le=2_147_483_647, description="A catalogue item still bought",
                                examples=[301])
    description: str = Field("", max_length=200, pattern=NO_NUL,
                             description="Without an item: what is wanted (a waiting-room chair)",
                             examples=["Waiting-room chair, vinyl"])
    packaging_id: int | None = Field(None, ge=1, le=2_147_483_647, description="One of the item's packagings; "
                                                                               "empty: base units", examples=[51])
    quantity: int = Field(ge=1, le=MAX_QUANTITY, examples=[15])
    unit_price: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=4,
                                       description="Estimated, per package; empty: the vendor's price on file",
                                       examples=["12.50"])
    vendor_id: int | None = Field(None, ge=1, le=2_147_483_647, description="An active vendor; empty: chosen "
                                                                            "when ordering", examples=[17])


class SupplyRequisitionIn(Schema):
    location_id: int = Field(ge=1, le=2_147_483_647, description="A location you work at", examples=[1])
    needed_by: dt.date | None = Field(None, examples=["2026-12-01"])
    justification: str = Field("", max_length=2000, pattern=NO_NUL, examples=["Flu clinic weeks"])
    lines: list[SupplyRequisitionLineIn] = Field(min_length=1, max_length=MAX_LINES,
                                                 description=f"1 to {MAX_LINES} lines")
    submit: bool = Field(False, description="true: submit for approval at once (else it stays a draft)")

    model_config = {"json_schema_extra": {"examples": [
        {"location_id": 1, "needed_by": "2026-12-01", "justification": "Flu clinic weeks",
         "lines": [{"item_id": 301, "packaging_id": 51, "quantity": 15, "vendor_id": 17},
                   {"description": "Waiting-room chair, vinyl", "quantity": 2, "unit_price": "189.00"}]}]}}


class SupplyRequisitionPatchIn(Schema):
    needed_by: dt.date | None = Field(None, description="null clears it", examples=["2026-12-05"])
    justification: str | None = Field(None, max_length=2000, pattern=NO_NUL, examples=["Flu clinic weeks"])
    lines: list[SupplyRequisitionLineIn] | None = Field(None, min_length=1, max_length=MAX_LINES,
                                                        description="Replace all the lines")

    model_config = {"json_schema_extra": {"examples": [
        {"needed_by": "2026-12-05"},
        {"lines": [{"item_id": 301, "packaging_id": 51, "quantity": 20, "unit_price": "12.50", "vendor_id": 17}]}]}}


class SupplyRequisitionDecisionIn(Schema):
    decision: Literal["approve", "reject"] = Field(examples=["approve"])
    note: str = Field("", max_length=2000, pattern=NO_NUL, description="Required to reject: why",
                      examples=["Over budget this quarter; order half now."])

    model_config = {"json_schema_extra": {"examples": [
        {"decision": "approve"}, {"decision": "reject", "note": "Over budget this quarter; order half now."}]}}


class SupplyRequisitionFilter(PageIn):
    status: RequisitionStatus | None = None
    location_id: int | None = ID
    mine: bool = Field(False, description="Only the ones you wrote")
    to_decide: bool = Field(False, description="Only submitted ones of others that you may approve (within your "
                                               "limit, at your locations)")


def _requisitions(actor: Any) -> QuerySet[Requisition]:
    """The requisitions the actor may open, with their lines and orders (a fixed number of queries)."""
    return selectors.requisition_scoped(actor=actor).prefetch_related(
        Prefetch("lines", queryset=RequisitionLine.objects.select_related("item", "packaging", "vendor")
                 .order_by("pk")), "orders")


def _requisition(request: HttpRequest, requisition_id: int) -> Requisition:
    return get_scoped_or_404(request, _requisitions(request.user), permission=SEE, pk=requisition_id)


def _lines(lines: list[SupplyRequisitionLineIn]) -> list[services.LineIn]:
    """The service's lines from the request's: ids resolved (unknown or retired ones: 422), an empty price taken
    from the vendor's price on file, as the requisition form does."""
    today = practice_today()
    built: list[services.LineIn] = []
    for number, line in enumerate(lines, start=1):
        item = packaging = vendor = None
        if line.item_id is not None:
            item = Item.objects.filter(pk=line.item_id, is_active=True).first()
            if item is None:
                raise unknown("item_id", line.item_id, "catalogue item still bought")
        if line.packaging_id is not None:
            if item is None:
                raise ValidationError({"packaging_id": _("Line %(n)s: only catalogue items come in packagings.")
                                       % {"n": number}})
            packaging = Packaging.objects.filter(pk=line.packaging_id, item=item).first()
            if packaging is None:
                raise unknown("packaging_id", line.packaging_id, "packaging of this item")
        if line.vendor_id is not None:
            vendor = Vendor.objects.filter(pk=line.vendor_id, is_active=True).first()
            if vendor is None:
                raise unknown("vendor_id", line.vendor_id, "active vendor")
        price = line.unit_price
        if price is None and item is not None and vendor is not None:
            price = selectors.price_on_file(item, vendor, packaging, today)
        if price is None:
            raise ValidationError({"unit_price": _("Line %(n)s: no price on file; send an estimate.")
                                   % {"n": number}})
        built.append(services.LineIn(quantity=line.quantity, unit_price=price, item=item,
                                     description="" if item else line.description.strip(), packaging=packaging,
                                     vendor=vendor))
    return built


@router.get("", response={200: Page[SupplyRequisitionOut], **COMMON_RESPONSES}, url_name="supply_requisition_list",
            summary="Supply requisitions you wrote or at your locations",
            description=f"The ones you wrote, and every one at the locations where you hold `{Perm.INVENTORY_VIEW}`. "
                        "Newest first. `to_decide` lists the submitted ones you may approve, as the approval queue "
                        "does. `status` takes the listed values only (anything else: 422).")
def supply_requisition_list(request: HttpRequest, filters: Query[SupplyRequisitionFilter]) -> Any:
    queryset = _requisitions(request.user)
    if filters.to_decide:
        queryset = queryset.filter(pk__in=selectors.approval_queue(actor=request.user).values("pk"))
    if filters.mine:
        queryset = queryset.filter(requested_by_id=request.user.pk)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.location_id is not None:
        queryset = queryset.filter(location_id=filters.location_id)
    return paginate(queryset.order_by("-created_at", "-pk"), filters)


@router.get("/{int:requisition_id}", response={200: SupplyRequisitionOut, **COMMON_RESPONSES},
            url_name="supply_requisition_detail", summary="One supply requisition with its lines",
            description=f"Yours, or at a location where you hold `{Perm.INVENTORY_VIEW}`.")
def supply_requisition_detail(request: HttpRequest, requisition_id: int) -> Any:
    return _requisition(request, requisition_id)


@router.post("", response={201: SupplyRequisitionOut, **WRITE_RESPONSES}, url_name="supply_requisition_create",
             summary="Ask to buy something (a draft, or submitted at once)",
             description="Anyone on the staff, for a location they work at. Each line is a catalogue item (with "
                         "its packaging) or a description; without `unit_price`, the vendor's price on file is the "
                         "estimate (422 when there is none). `submit: true` sends it for approval at once.")
def supply_requisition_create(request: HttpRequest, payload: SupplyRequisitionIn) -> Any:
    location = selectors.requisition_locations(actor=request.user).filter(pk=payload.location_id).first()
    if location is None:
        raise unknown("location_id", payload.location_id, "location you work at")
    lines = _lines(payload.lines)
    with transaction.atomic():
        requisition = services.requisition_create(actor=request.user, location=location, lines=lines,
                                                  needed_by=payload.needed_by, justification=payload.justification)
        if payload.submit:
            services.requisition_submit(actor=request.user, requisition=requisition)
    return Status(201, _requisition(request, requisition.pk))


@router.patch("/{int:requisition_id}", response={200: SupplyRequisitionOut, **WRITE_RESPONSES},
              url_name="supply_requisition_update", summary="Change a draft requisition (its lines too)",
              description="Only the person who wrote it, only while it is a draft (422 once submitted). Send only "
                          "the fields to change; `lines` replaces all of them and the total is worked out again.")
def supply_requisition_update(request: HttpRequest, requisition_id: int, payload: SupplyRequisitionPatchIn) -> Any:
    requisition = _requisition(request, requisition_id)
    data = payload.model_dump(exclude_unset=True)
    refuse_nulls(data, ("needed_by",))
    changes: dict[str, Any] = {}
    if "needed_by" in data:
        changes["needed_by"] = data["needed_by"]
    if "justification" in data:
        changes["justification"] = data["justification"]
    if payload.lines is not None:
        changes["lines"] = _lines(payload.lines)
    requisition_drafts.requisition_update(actor=request.user, requisition=requisition, **changes)
    return _requisition(request, requisition.pk)


@router.post("/{int:requisition_id}/submit", response={200: SupplyRequisitionOut, **WRITE_RESPONSES},
             url_name="supply_requisition_submit", summary="Submit your draft for approval",
             description="Only the person who wrote it (anyone else: 404, audited); only a draft (422).")
def supply_requisition_submit(request: HttpRequest, requisition_id: int) -> Any:
    requisition = _requisition(request, requisition_id)
    services.requisition_submit(actor=request.user, requisition=requisition)
    return _requisition(request, requisition.pk)


@router.post("/{int:requisition_id}/decide", response={200: SupplyRequisitionOut, **WRITE_RESPONSES},
             url_name="supply_requisition_decide", summary="Approve or reject a submitted requisition",
             description=f"Needs `{Perm.INVENTORY_USE}` at the requisition's location through a role whose approval "
                         "limit covers its total, and never for your own (otherwise 404, audited, nothing changes: "
                         "it goes to someone with a higher limit). Rejecting needs a `note`. Only a submitted "
                         "requisition is decided (422).")
def supply_requisition_decide(request: HttpRequest, requisition_id: int,
                              payload: SupplyRequisitionDecisionIn) -> Any:
    require(request, Perm.INVENTORY_USE)
    requisition = _requisition(request, requisition_id)
    services.requisition_decide(actor=request.user, requisition=requisition, approve=payload.decision == "approve",
                                note=payload.note)
    return _requisition(request, requisition.pk)
