"""/purchase-orders: orders to vendors at the caller's locations (inventory.view there), with their lines, what
arrived and the vendor's invoices matched three ways. inventory.manage at the location turns an approved
requisition into orders (one per vendor), emails an order to the vendor (PDF attached) and enters the vendor's
invoice; inventory.use there records what arrived (partial, damaged, lots), which puts the stock on the shelf.
Requisitions and their approval are at /supply-requisitions. An order at another location answers 404 (audited);
refusals change nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.roles import Perm
from openpractice.core.selectors import practice_today
from openpractice.core.web import get_scoped_or_404, require
from openpractice.inventory.choices import OrderStatus
from openpractice.inventory.models import PurchaseOrder, PurchaseOrderLine, Receipt, VendorInvoice
from openpractice.inventory.selectors import purchasing as selectors
from openpractice.inventory.selectors import stock as stock_selectors
from openpractice.inventory.services import invoices as invoice_services
from openpractice.inventory.services import orders as order_services
from openpractice.inventory.services import purchasing as services

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..idempotency import idempotent
from ..pagination import Page, PageIn, paginate
from ..schemas.supply import ItemRefOut, LotOut, PackagingOut, PlaceRefOut, VendorRefOut, unknown

router = Router(tags=["purchase-orders"])
CENT = Decimal("0.01")


class OrderLineOut(Schema):
    id: int
    item: ItemRefOut | None = Field(description="Empty: something not in the catalogue, described")
    description: str
    vendor_sku: str
    packaging: PackagingOut | None = Field(description="Ordered in these packages; empty: base units")
    quantity: int = Field(description="Packages ordered")
    unit_price: Decimal = Field(description="Per package")
    amount: Decimal
    on_contract: bool
    received: int = Field(description="Packages received in good condition")
    damaged: int = Field(description="Packages that arrived damaged (still owed)")
    cancelled: int = Field(description="Back ordered packages no longer expected")
    back_ordered: int = Field(description="Still owed: ordered less received less cancelled")


class OrderOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 412, "number": "PO-2026-0412", "vendor": {"id": 17, "name": "Medline Industries"}, "location_id": 1,
         "receive_into": {"id": 9, "name": "Raleigh supply room", "kind": "supply_room", "location_id": 1},
         "status": "partial", "expected_on": "2026-11-18", "notes": "", "requisition_ids": [388], "created_by_id": 3,
         "sent_at": "2026-11-13T15:02:44Z", "sent_to": "orders@medline.example", "total": "187.50",
         "lines": [{"id": 1650, "item": {"id": 301, "sku": "GLV-NIT-M", "name": "Nitrile exam gloves, medium", "base_unit": "each"}, "description": "Nitrile exam gloves, medium, box of 100", "vendor_sku": "MDS195085", "packaging": {"id": 51, "name": "Box of 100", "base_quantity": 100}, "quantity": 15, "unit_price": "12.50", "amount": "187.50", "on_contract": True, "received": 10, "damaged": 0, "cancelled": 0, "back_ordered": 5}],
         "created_at": "2026-11-13T14:55:10Z", "updated_at": "2026-11-18T16:20:31Z"}]}}
    id: int
    number: str = Field(description="PO-2025-00001")
    vendor: VendorRefOut
    location_id: int = Field(description="Ship to")
    receive_into: PlaceRefOut
    status: str = Field(description="draft, sent, partial, received, closed or cancelled")
    expected_on: dt.date | None
    notes: str
    requisition_ids: list[int]
    created_by_id: int
    sent_at: dt.datetime | None
    sent_to: str
    total: Decimal
    lines: list[OrderLineOut]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_requisition_ids(obj: PurchaseOrder) -> list[int]:
        return [requisition.pk for requisition in obj.requisitions.all()]

    @staticmethod
    def resolve_lines(obj: PurchaseOrder) -> list[Any]:
        return list(obj.lines.all())

    @staticmethod
    def resolve_total(obj: PurchaseOrder) -> Decimal:
        return sum((line.amount for line in obj.lines.all()), Decimal("0.00")).quantize(CENT)


class ReceiptLineOut(Schema):
    order_line_id: int
    quantity: int = Field(description="Packages in good condition")
    damaged: int
    lot: LotOut | None


class ReceiptOut(Schema):
    id: int
    received_at: dt.datetime
    received_by_id: int
    place_id: int
    packing_slip: str
    note: str
    lines: list[ReceiptLineOut]

    @staticmethod
    def resolve_lines(obj: Receipt) -> list[Any]:
        return list(obj.lines.all())


class InvoiceOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 233, "order_id": 412, "number": "MED-88213407", "invoice_date": "2026-11-18", "due_on": "2026-12-18",
         "total": "125.00", "status": "entered", "variances": [], "entered_by_id": 3,
         "created_at": "2026-11-19T13:41:02Z"}]}}
    id: int
    order_id: int
    number: str
    invoice_date: dt.date
    due_on: dt.date | None
    total: Decimal
    status: str = Field(description="entered, variance (does not match), ready (to pay) or paid")
    variances: list[str] = Field(description="What does not match the order and the receipts")
    entered_by_id: int
    created_at: dt.datetime


class OrderDetailOut(OrderOut):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 412, "number": "PO-2026-0412", "vendor": {"id": 17, "name": "Medline Industries"}, "location_id": 1,
         "receive_into": {"id": 9, "name": "Raleigh supply room", "kind": "supply_room", "location_id": 1},
         "status": "partial", "expected_on": "2026-11-18", "notes": "", "requisition_ids": [388], "created_by_id": 3,
         "sent_at": "2026-11-13T15:02:44Z", "sent_to": "orders@medline.example", "total": "187.50",
         "lines": [{"id": 1650, "item": {"id": 301, "sku": "GLV-NIT-M", "name": "Nitrile exam gloves, medium", "base_unit": "each"}, "description": "Nitrile exam gloves, medium, box of 100", "vendor_sku": "MDS195085", "packaging": {"id": 51, "name": "Box of 100", "base_quantity": 100}, "quantity": 15, "unit_price": "12.50", "amount": "187.50", "on_contract": True, "received": 10, "damaged": 0, "cancelled": 0, "back_ordered": 5}],
         "created_at": "2026-11-13T14:55:10Z", "updated_at": "2026-11-18T16:20:31Z",
         "receipts": [{"id": 97, "received_at": "2026-11-18T16:20:31Z", "received_by_id": 6, "place_id": 9, "packing_slip": "PS-7731904", "note": "5 boxes back-ordered", "lines": [{"order_line_id": 1650, "quantity": 10, "damaged": 0, "lot": None}]}],
         "invoices": [{"id": 233, "order_id": 412, "number": "MED-88213407", "invoice_date": "2026-11-18", "due_on": "2026-12-18", "total": "125.00", "status": "entered", "variances": [], "entered_by_id": 3, "created_at": "2026-11-19T13:41:02Z"}]}]}}
    receipts: list[ReceiptOut]
    invoices: list[InvoiceOut]

    @staticmethod
    def resolve_receipts(obj: PurchaseOrder) -> list[Any]:
        return list(obj.receipts.all())

    @staticmethod
    def resolve_invoices(obj: PurchaseOrder) -> list[Any]:
        return list(obj.invoices.all())


class OrderFromRequisitionIn(Schema):
    requisition_id: int = Field(description="An approved requisition at one of your locations", examples=[7])
    receive_into_id: int = Field(description="A storage place at the requisition's location", examples=[3])


class ReceivedLineIn(Schema):
    line_id: int = Field(description="A line of this order", examples=[21])
    quantity: int = Field(0, ge=0, le=1_000_000, description="Packages in good condition", examples=[4])
    damaged: int = Field(0, ge=0, le=1_000_000, description="Packages that arrived damaged", examples=[1])
    lot_number: str = Field("", max_length=40, description="Needed for an item that tracks lots",
                            examples=["L24117B"])
    expires_on: dt.date | None = Field(None, examples=["2026-03-31"])


class ReceiptIn(Schema):
    place_id: int | None = Field(None, description="Default: the order's receive-into place")
    packing_slip: str = Field("", max_length=60, examples=["PS-558120"])
    lines: list[ReceivedLineIn] = Field(min_length=1, max_length=200)


class InvoicedLineIn(Schema):
    line_id: int = Field(examples=[21])
    quantity: int = Field(ge=0, le=1_000_000, description="Packages invoiced", examples=[5])
    unit_price: Decimal = Field(ge=0, max_digits=12, decimal_places=4, examples=["8.95"])


class InvoiceIn(Schema):
    number: str = Field(max_length=40, description="The vendor's invoice number", examples=["INV-884210"])
    invoice_date: dt.date = Field(examples=["2025-06-12"])
    due_on: dt.date | None = Field(None, examples=["2025-07-12"])
    total: Decimal = Field(ge=0, max_digits=12, decimal_places=2, examples=["44.75"])
    lines: list[InvoicedLineIn] = Field(min_length=1, max_length=200)


class OrderFilter(PageIn):
    q: str = Field("", max_length=40, description="Part of the PO number")
    status: OrderStatus | None = None
    open: bool = Field(False, description="Sent or partly received orders only (still expected)")
    vendor_id: int | None = Field(None, ge=1, le=2_147_483_647)
    location_id: int | None = Field(None, ge=1, le=2_147_483_647)


def _orders(actor: Any, *, detail: bool = False) -> QuerySet[PurchaseOrder]:
    """Orders shipped to a location where the actor holds inventory.view."""
    queryset = (selectors.order_scoped(actor=actor)
                .prefetch_related(Prefetch("lines", queryset=PurchaseOrderLine.objects.select_related(
                    "item", "packaging").order_by("pk")), "requisitions"))
    if detail:
        queryset = queryset.prefetch_related(
            Prefetch("receipts", queryset=Receipt.objects.prefetch_related("lines__lot").order_by("received_at", "pk")),
            Prefetch("invoices", queryset=VendorInvoice.objects.order_by("invoice_date", "pk")))
    return queryset


def _order(request: HttpRequest, order_id: int) -> PurchaseOrder:
    return get_scoped_or_404(request, _orders(request.user, detail=True), permission=Perm.INVENTORY_VIEW,
                             pk=order_id)


def _order_lines(order: PurchaseOrder, ids: list[int]) -> dict[int, PurchaseOrderLine]:
    lines = {line.pk: line for line in PurchaseOrderLine.objects.filter(order=order, pk__in=ids)}
    for line_id in ids:
        if line_id not in lines:
            raise unknown("lines", line_id, "line on this order")
    return lines


@router.get("", response={200: Page[OrderOut], **COMMON_RESPONSES}, url_name="purchase_order_list",
            summary="Purchase orders for your locations",
            description=f"Needs `{Perm.INVENTORY_VIEW}`; the orders shipped to the locations where you hold it. "
                        "Newest first. `status` takes the listed values only (anything else: 422).")
def purchase_order_list(request: HttpRequest, filters: Query[OrderFilter]) -> Any:
    require(request, Perm.INVENTORY_VIEW)
    queryset = _orders(request.user)
    text = filters.q.replace("\x00", "").strip()
    if text:
        queryset = queryset.filter(number__icontains=text)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.open:
        queryset = queryset.filter(Q(status=OrderStatus.SENT) | Q(status=OrderStatus.PARTIAL))
    if filters.vendor_id is not None:
        queryset = queryset.filter(vendor_id=filters.vendor_id)
    if filters.location_id is not None:
        queryset = queryset.filter(location_id=filters.location_id)
    return paginate(queryset.order_by("-created_at", "-pk"), filters)


@router.get("/{int:order_id}", response={200: OrderDetailOut, **COMMON_RESPONSES}, url_name="purchase_order_detail",
            summary="One purchase order with its lines, receipts and invoices",
            description=f"Needs `{Perm.INVENTORY_VIEW}` at the order's location.")
def purchase_order_detail(request: HttpRequest, order_id: int) -> Any:
    require(request, Perm.INVENTORY_VIEW)
    return _order(request, order_id)


@router.post("", response={201: list[OrderOut], **WRITE_RESPONSES}, url_name="purchase_order_create",
             summary="Order an approved requisition (one draft order per vendor)",
             description=f"Needs `{Perm.INVENTORY_MANAGE}` at the requisition's location. Every line needs a vendor; "
                         "the requisition becomes ordered. The orders are drafts until sent.")
def purchase_order_create(request: HttpRequest, payload: OrderFromRequisitionIn) -> Any:
    require(request, Perm.INVENTORY_MANAGE)
    requisition = selectors.requisition_scoped(actor=request.user).filter(pk=payload.requisition_id).first()
    if requisition is None:
        raise unknown("requisition_id", payload.requisition_id, "requisition")
    place = stock_selectors.place_scoped(actor=request.user).filter(pk=payload.receive_into_id).first()
    if place is None:
        raise unknown("receive_into_id", payload.receive_into_id, "storage place")
    orders = order_services.orders_place(actor=request.user, requisition=requisition, receive_into=place,
                                         today=practice_today())
    return Status(201, list(_orders(request.user).filter(pk__in=[order.pk for order in orders]).order_by("pk")))


@router.post("/{int:order_id}/send", response={200: OrderOut, **WRITE_RESPONSES}, url_name="purchase_order_send",
             summary="Email a draft order to the vendor",
             description=f"Needs `{Perm.INVENTORY_MANAGE}` at the order's location. The order goes as a PDF to the "
                         "vendor's order address and becomes sent; if the mail server refuses, it stays a draft "
                         "(422). Sending twice sends once (422 the second time).")
def purchase_order_send(request: HttpRequest, order_id: int) -> Any:
    require(request, Perm.INVENTORY_MANAGE)
    order = _order(request, order_id)
    services.order_send(actor=request.user, order=order)
    return _order(request, order.pk)


@router.post("/{int:order_id}/receipts", response={201: OrderDetailOut, **WRITE_RESPONSES},
             url_name="purchase_order_receive", summary="Record what arrived",
             description=f"Needs `{Perm.INVENTORY_USE}` at the order's location. Packages in good condition go into "
                         "stock as base units (by lot for items that track lots); damaged ones are noted and stay "
                         "owed. A line cannot receive more than is still owed (422). The answer is the order, partly "
                         "received or received.")
@idempotent
def purchase_order_receive(request: HttpRequest, order_id: int, payload: ReceiptIn) -> Any:
    require(request, Perm.INVENTORY_USE)
    order = _order(request, order_id)
    lines = _order_lines(order, [line.line_id for line in payload.lines])
    place = None
    if payload.place_id is not None:
        place = stock_selectors.place_scoped(actor=request.user).filter(pk=payload.place_id).first()
        if place is None:
            raise unknown("place_id", payload.place_id, "storage place")
    services.receipt_record(
        actor=request.user, order=order, place=place, packing_slip=payload.packing_slip,
        lines=[services.ReceivedIn(line=lines[line.line_id], quantity=line.quantity, damaged=line.damaged,
                                   lot_number=line.lot_number, expires_on=line.expires_on) for line in payload.lines])
    return Status(201, _order(request, order.pk))


@router.post("/{int:order_id}/invoices", response={201: InvoiceOut, **WRITE_RESPONSES},
             url_name="purchase_order_invoice", summary="Enter the vendor's invoice and match it three ways",
             description=f"Needs `{Perm.INVENTORY_MANAGE}` at the order's location. Each line's quantity is checked "
                         "against what was received and its price against the order, and the total against the "
                         "lines: anything off is listed in `variances` and the invoice waits (`variance`); "
                         "otherwise it is `ready` to pay. An invoice number is entered once per vendor (422).")
@idempotent
def purchase_order_invoice(request: HttpRequest, order_id: int, payload: InvoiceIn) -> Any:
    require(request, Perm.INVENTORY_MANAGE)
    order = _order(request, order_id)
    lines = _order_lines(order, [line.line_id for line in payload.lines])
    invoice = invoice_services.invoice_enter(
        actor=request.user, vendor=order.vendor, order=order, number=payload.number, invoice_date=payload.invoice_date,
        due_on=payload.due_on, total=payload.total,
        lines=[services.InvoicedIn(line=lines[line.line_id], quantity=line.quantity, unit_price=line.unit_price)
               for line in payload.lines])
    return Status(201, invoice)
