"""Purchasing reads for the pages: requisitions (one's own, the approver's queue, those at one's locations),
purchase orders and their lines, vendor invoices with their three-way match, requests for quotes, and the
look-ups the forms need (an item by number, a packaging by name, the price on file).

Who sees what:
- a requisition: the person who wrote it, and anyone holding inventory.view at its location;
- the approval queue: submitted requisitions someone else wrote, at locations where the actor holds
  inventory.use through a role whose approval limit (ApprovalLimit) covers the total: exactly those
  services.purchasing.may_approve() allows, in one query;
- purchase orders: inventory.view at the order's location (the permission is a parameter for the pages that
  change orders);
- vendor invoices: inventory.manage at the order's location;
- requests for quotes: practice-wide (the services decide who negotiates).
Every list is a fixed number of queries whatever its length.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from openpractice.accounts.permissions import grants, location_ids_where, reachable_location_ids
from openpractice.accounts.roles import PERMISSION_TABLE, Perm
from openpractice.core.models import Location
from openpractice.vendors.models import Vendor

from ..choices import OrderStatus, RequisitionStatus
from ..models import (
    ApprovalLimit,
    Item,
    Packaging,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    RequestForQuote,
    Requisition,
    RequisitionLine,
    StoragePlace,
    VendorInvoice,
    VendorInvoiceLine,
    VendorItem,
)

MONEY = DecimalField(max_digits=18, decimal_places=4)
CENT = Decimal("0.01")


def _in(ids: frozenset[int] | None, field_name: str) -> Q:
    """Rows at the given locations (None: every location)."""
    if ids is None:
        return Q()
    return Q(**{f"{field_name}__in": sorted(ids)})


def _line_amount(prefix: str = "") -> ExpressionWrapper:
    return ExpressionWrapper(F(f"{prefix}quantity") * F(f"{prefix}unit_price"), output_field=MONEY)


# --- requisitions ----------------------------------------------------------------------------------------------


def requisition_scoped(*, actor: Any) -> QuerySet[Requisition]:
    """Requisitions the actor may open: their own anywhere, any at a location where they hold inventory.view."""
    queryset = Requisition.objects.select_related("location", "requested_by", "decided_by")
    ids = location_ids_where(actor, Perm.INVENTORY_VIEW)
    if ids is None:
        return queryset
    return queryset.filter(Q(requested_by_id=getattr(actor, "pk", None)) | _in(ids, "location_id"))


def _listed(queryset: QuerySet[Requisition]) -> QuerySet[Requisition]:
    # Explicit order: Meta.ordering is dropped from GROUP BY queries, so PostgreSQL would return any order.
    return (queryset.select_related("location", "requested_by").annotate(line_count=Count("lines"))
            .order_by("-created_at", "-pk"))


def requisitions_mine(*, actor: Any) -> QuerySet[Requisition]:
    return _listed(Requisition.objects.filter(requested_by_id=getattr(actor, "pk", None)))


def requisitions_at_my_locations(*, actor: Any, status: str = "") -> QuerySet[Requisition]:
    """Every requisition at the locations where the actor holds inventory.view (managers ordering)."""
    queryset = Requisition.objects.filter(_in(location_ids_where(actor, Perm.INVENTORY_VIEW), "location_id"))
    if status:
        queryset = queryset.filter(status=status)
    return _listed(queryset)


def _best(amounts: list[Decimal | None]) -> Decimal | None:
    """The highest of some limits; None (no limit) beats any amount."""
    if any(amount is None for amount in amounts):
        return None
    return max(amount for amount in amounts if amount is not None)


def approval_queue(*, actor: Any) -> QuerySet[Requisition]:
    """Submitted requisitions the actor may approve: not their own, at a location where one of their roles with
    inventory.use has an approval limit, and within the highest such limit there (services.purchasing.
    approval_limit / may_approve say the same for one requisition)."""
    limits = {(row.role, row.tier): row.max_amount for row in ApprovalLimit.objects.all()}
    everywhere: list[Decimal | None] = []
    per_location: dict[int, list[Decimal | None]] = defaultdict(list)
    for grant in grants(actor):
        if Perm.INVENTORY_USE not in grant.permissions or (grant.role, grant.tier) not in limits:
            continue
        amount = limits[(grant.role, grant.tier)]
        if grant.all_locations:
            everywhere.append(amount)
        else:
            for location_id in grant.location_ids:
                per_location[location_id].append(amount)
    condition = Q(pk__in=[])
    if everywhere:
        limit = _best(everywhere)
        condition |= Q(pk__isnull=False) if limit is None else Q(total__lte=limit)  # (an empty Q() ORs to nothing)
    by_limit: dict[Decimal | None, list[int]] = defaultdict(list)
    for location_id, amounts in per_location.items():
        by_limit[_best(everywhere + amounts)].append(location_id)
    for limit, location_ids in by_limit.items():
        where = Q(location_id__in=sorted(location_ids))
        condition |= where if limit is None else where & Q(total__lte=limit)
    return _listed(Requisition.objects.filter(condition, status=RequisitionStatus.SUBMITTED)
                   .exclude(requested_by_id=getattr(actor, "pk", None)))


def requisition_lines(requisition: Requisition) -> list[RequisitionLine]:
    """The lines, each with `line_amount` (quantity x estimated price, in cents)."""
    lines = list(requisition.lines.select_related("item", "packaging", "vendor").order_by("pk"))
    for line in lines:
        line.line_amount = (line.unit_price * line.quantity).quantize(CENT)  # type: ignore[attr-defined]
    return lines


def requisition_orders(requisition: Requisition) -> list[PurchaseOrder]:
    return list(requisition.orders.select_related("vendor", "created_by").order_by("pk"))


@dataclass(frozen=True)
class HistoryEntry:
    when: dt.datetime
    who: Any
    what: str
    note: str = ""


def requisition_history(requisition: Requisition, orders: list[PurchaseOrder]) -> list[HistoryEntry]:
    """What happened to the requisition, oldest first. `what` is a key: written, submitted, approved, rejected
    (note: the reason), ordered and sent (note: the order number)."""
    events = [HistoryEntry(requisition.created_at, requisition.requested_by, "written")]
    if requisition.submitted_at:
        events.append(HistoryEntry(requisition.submitted_at, requisition.requested_by, "submitted"))
    if requisition.decided_at:
        key = "rejected" if requisition.status == RequisitionStatus.REJECTED else "approved"
        events.append(HistoryEntry(requisition.decided_at, requisition.decided_by, key, requisition.decision_note))
    for order in orders:
        events.append(HistoryEntry(order.created_at, order.created_by, "ordered", order.number))
        if order.sent_at:
            events.append(HistoryEntry(order.sent_at, None, "sent", order.number))
    return sorted(events, key=lambda event: event.when)


def requisition_locations(*, actor: Any) -> QuerySet[Location]:
    """Where the actor may ask to buy: every location one of their roles reaches."""
    ids = reachable_location_ids(actor)
    queryset = Location.objects.filter(is_active=True)
    if ids is None:
        return queryset.order_by("name")
    return queryset.filter(pk__in=sorted(ids)).order_by("name")


def places_at(location_id: int) -> QuerySet[StoragePlace]:
    return StoragePlace.objects.filter(location_id=location_id, is_active=True).order_by("name")


# --- catalogue look-ups for the forms --------------------------------------------------------------------------


def item_by_sku(sku: str, *, active_only: bool = True) -> Item | None:
    """A catalogue item by its number (ignoring case); only one still bought unless `active_only` is False."""
    sku = sku.strip()
    if not sku:
        return None
    queryset = Item.objects.filter(sku__iexact=sku)
    return (queryset.filter(is_active=True) if active_only else queryset).first()


def packaging_named(item: Item, name: str) -> Packaging | None:
    return Packaging.objects.filter(item=item, name__iexact=name.strip()).first()


def price_on_file(item: Item, vendor: Any, packaging: Packaging | None, on: dt.date) -> Decimal | None:
    """The vendor's price in force on `on` for the item in that packaging (per base unit when no packaging)."""
    row = (VendorItem.objects.filter(item=item, vendor=vendor, packaging=packaging, effective_from__lte=on)
           .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on))
           .order_by("-effective_from", F("contract_id").desc(nulls_last=True), "-pk").first())
    return row.price if row else None


def approval_limit_rows() -> list[tuple[str, str, bool, Decimal | None]]:
    """Every (role, tier) whose roles hold inventory.use, in the permission table's order, with whether it
    approves and up to how much (None: no limit)."""
    limits = {(row.role, row.tier): row.max_amount for row in ApprovalLimit.objects.all()}
    return [(role, tier, (role, tier) in limits, limits.get((role, tier)))
            for (role, tier), granted in PERMISSION_TABLE.items() if Perm.INVENTORY_USE in granted]


# --- purchase orders -------------------------------------------------------------------------------------------


def order_scoped(*, actor: Any, permission: str = Perm.INVENTORY_VIEW) -> QuerySet[PurchaseOrder]:
    return PurchaseOrder.objects.filter(_in(location_ids_where(actor, permission), "location_id")).select_related(
        "vendor", "location", "receive_into", "created_by")


def order_rows(*, actor: Any, status: str = "", vendor_id: int | None = None,
               location_id: int | None = None) -> QuerySet[PurchaseOrder]:
    """The order list: each order with its total and number of lines."""
    queryset = order_scoped(actor=actor)
    if status == "open":
        queryset = queryset.filter(status__in=[OrderStatus.DRAFT, OrderStatus.SENT, OrderStatus.PARTIAL])
    elif status:
        queryset = queryset.filter(status=status)
    if vendor_id:
        queryset = queryset.filter(vendor_id=vendor_id)
    if location_id:
        queryset = queryset.filter(location_id=location_id)
    return queryset.annotate(
        total=Coalesce(Sum(_line_amount("lines__")), Value(Decimal("0")), output_field=MONEY),
        line_count=Count("lines")).order_by("-created_at", "-pk")


def order_lines(order: PurchaseOrder) -> list[PurchaseOrderLine]:
    """The order's lines with `invoiced` (packages on vendor invoices so far) annotated."""
    return list(order.lines.select_related("item", "packaging").annotate(
        invoiced=Coalesce(Sum("invoice_lines__quantity"), Value(0))).order_by("pk"))


def order_receipts(order: PurchaseOrder) -> list[Receipt]:
    return list(order.receipts.select_related("received_by", "place").prefetch_related(
        "lines", "lines__order_line", "lines__order_line__item", "lines__lot").order_by("received_at", "pk"))


def order_invoices(order: PurchaseOrder) -> list[VendorInvoice]:
    return list(order.invoices.select_related("entered_by").order_by("invoice_date", "pk"))


def locations_for_orders(*, actor: Any) -> QuerySet[Location]:
    """The locations whose orders the actor sees (the list's filter)."""
    return Location.objects.filter(_in(location_ids_where(actor, Perm.INVENTORY_VIEW), "pk")).order_by("name")


def order_vendors(*, actor: Any) -> list[tuple[int, str]]:
    """The vendors of the orders the actor sees (the list's filter)."""
    return list(order_scoped(actor=actor).order_by("vendor__name").values_list("vendor_id", "vendor__name")
                .distinct())


# --- vendor invoices -------------------------------------------------------------------------------------------


def invoice_scoped(*, actor: Any) -> QuerySet[VendorInvoice]:
    return VendorInvoice.objects.filter(_in(location_ids_where(actor, Perm.INVENTORY_MANAGE),
                                            "order__location_id")).select_related(
        "vendor", "order", "order__location", "entered_by", "approved_by")


def invoice_rows(*, actor: Any, status: str = "") -> QuerySet[VendorInvoice]:
    queryset = invoice_scoped(actor=actor)
    if status:
        queryset = queryset.filter(status=status)
    return queryset


@dataclass(frozen=True)
class MatchLine:
    """One invoice line beside its order line: ordered, received and invoiced (on every invoice of the line),
    the prices, and the variances (invoiced minus received; (invoice price - order price) x invoiced)."""

    what: str
    ordered: int
    received: int
    invoiced_here: int
    invoiced_in_all: int
    order_price: Decimal
    invoice_price: Decimal

    @property
    def quantity_variance(self) -> int:
        return self.invoiced_in_all - self.received

    @property
    def price_variance(self) -> Decimal:
        return ((self.invoice_price - self.order_price) * self.invoiced_here).quantize(CENT)

    @property
    def amount(self) -> Decimal:
        return (self.invoice_price * self.invoiced_here).quantize(CENT)


def invoice_match_lines(invoice: VendorInvoice) -> list[MatchLine]:
    lines = list(VendorInvoiceLine.objects.filter(invoice=invoice).select_related(
        "order_line", "order_line__item").annotate(
        invoiced_in_all=Coalesce(Sum("order_line__invoice_lines__quantity"), Value(0))).order_by("pk"))
    return [MatchLine(what=str(line.order_line.item or line.order_line.description),
                      ordered=line.order_line.quantity, received=line.order_line.received,
                      invoiced_here=line.quantity, invoiced_in_all=line.invoiced_in_all,  # type: ignore[attr-defined]
                      order_price=line.order_line.unit_price, invoice_price=line.unit_price)
            for line in lines]


# --- requests for quotes ---------------------------------------------------------------------------------------


def rfq_rows() -> QuerySet[RequestForQuote]:
    return RequestForQuote.objects.select_related("awarded_vendor", "created_by").annotate(
        vendor_count=Count("vendors", distinct=True), line_count=Count("lines", distinct=True)
    ).order_by("-created_at", "-pk")


def rfq_all() -> QuerySet[RequestForQuote]:
    return RequestForQuote.objects.select_related("awarded_vendor", "created_by")


def rfq_vendors(rfq: RequestForQuote) -> list[Any]:
    return list(rfq.vendors.order_by("name"))


# --- vendors for the forms -------------------------------------------------------------------------------------


def active_vendors() -> list[Vendor]:
    """Vendors one may buy from (vendors are practice-wide), by name. One query."""
    return list(Vendor.objects.filter(is_active=True).order_by("name"))
