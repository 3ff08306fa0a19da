"""Spend and vendor performance, read from purchase orders, receipts and vendor invoices at the locations where
the actor holds the report's permission (inventory.manage for spend, vendors.view for performance).

- Spend by vendor, category or location: the value of what was received in the period (good packages x the
  order's price, by receipt date) beside what vendors invoiced (invoice lines, by invoice date).
- Price history of an item: the vendors' price schedules (VendorItem) and what the practice actually paid on
  its orders, per package and per base unit so that a box of 100 compares with a case of 1,000.
- Savings from negotiations (vendors.Negotiation, agreed or partly agreed, by the date held; practice-wide).
- Off-contract buying: order lines not bought at an active contract price: above the vendor's contract
  price, from a vendor without one while another vendor has one, items under no contract, and purchases not in
  the catalogue.
- Vendor performance: fill rate (packages received in good condition / packages ordered) and on-time rate
  (deliveries that arrived by the expected date / deliveries measured; an order whose expected date has passed
  with nothing received counts as one late delivery) for the orders placed in the period.

Orders count from when they were placed (sent; created when they were never marked sent); drafts and cancelled
orders never count. Money is summed in the database and rounded to cents. Each report is a fixed number of
queries.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import location_ids_where
from openpractice.accounts.roles import Perm
from openpractice.core.selectors import practice_timezone_name
from openpractice.vendors.choices import ContractStatus, NegotiationOutcome
from openpractice.vendors.models import Negotiation, Vendor

from ..choices import ItemCategory, OrderStatus
from ..models import Item, PurchaseOrder, PurchaseOrderLine, Receipt, ReceiptLine, VendorInvoiceLine, VendorItem

MONEY = DecimalField(max_digits=18, decimal_places=4)
CENT = Decimal("0.01")
TENTH = Decimal("0.1")
# A line's price is on contract when it is at most this much per package above the contract price.
PRICE_TOLERANCE = Decimal("0.01")
PLACED = (OrderStatus.SENT, OrderStatus.PARTIAL, OrderStatus.RECEIVED, OrderStatus.CLOSED)
GROUPINGS = ("vendor", "category", "location")


def _in(ids: frozenset[int] | None, field_name: str) -> Q:
    if ids is None:
        return Q()
    return Q(**{f"{field_name}__in": sorted(ids)})


def day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day` where the practice is."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=zoneinfo.ZoneInfo(practice_timezone_name()))


def local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(zoneinfo.ZoneInfo(practice_timezone_name())).date()


def _money(value: Decimal | None) -> Decimal:
    return (value or Decimal("0")).quantize(CENT)


def _percent(part: int, whole: int) -> Decimal | None:
    return None if not whole else (Decimal(part) * 100 / Decimal(whole)).quantize(TENTH)


def placed_orders(*, actor: Any, start: dt.date, end: dt.date, permission: str) -> QuerySet[PurchaseOrder]:
    """Orders placed from `start` to `end` (both included) at the actor's locations for `permission`."""
    return (PurchaseOrder.objects.filter(_in(location_ids_where(actor, permission), "location_id"),
                                         status__in=PLACED)
            .annotate(placed_at=Coalesce("sent_at", "created_at"))
            .filter(placed_at__gte=day_start(start), placed_at__lt=day_start(end + dt.timedelta(days=1))))


# --- spend by vendor, category, location -----------------------------------------------------------------------


@dataclass(frozen=True)
class SpendRow:
    key: str
    label: str
    received: Decimal
    invoiced: Decimal


_GROUP_FIELDS: dict[str, tuple[str, str | None]] = {
    "vendor": ("order_line__order__vendor_id", "order_line__order__vendor__name"),
    "category": ("order_line__item__category", None),
    "location": ("order_line__order__location_id", "order_line__order__location__name"),
}


def _group_label(by: str, key: Any, name: Any) -> str:
    if by == "category":
        return str(ItemCategory(key).label) if key in ItemCategory.values else _("Not in the catalogue")
    return str(name)


def spend_by(*, actor: Any, by: str, start: dt.date, end: dt.date) -> list[SpendRow]:
    """Received and invoiced value per vendor, item category or location, largest first. Two queries."""
    if by not in _GROUP_FIELDS:
        raise ValueError(by)
    key_field, name_field = _GROUP_FIELDS[by]
    fields = [key_field] if name_field is None else [key_field, name_field]
    scope = _in(location_ids_where(actor, Perm.INVENTORY_MANAGE), "order_line__order__location_id")
    received = (ReceiptLine.objects.filter(scope, receipt__received_at__gte=day_start(start),
                                           receipt__received_at__lt=day_start(end + dt.timedelta(days=1)))
                .values(*fields).order_by()
                .annotate(amount=Sum(ExpressionWrapper(F("quantity") * F("order_line__unit_price"),
                                                       output_field=MONEY))))
    invoiced = (VendorInvoiceLine.objects.filter(scope, invoice__invoice_date__gte=start,
                                                 invoice__invoice_date__lte=end)
                .values(*fields).order_by()
                .annotate(amount=Sum(ExpressionWrapper(F("quantity") * F("unit_price"), output_field=MONEY))))
    labels: dict[Any, str] = {}
    totals: dict[Any, list[Decimal]] = defaultdict(lambda: [Decimal("0"), Decimal("0")])
    for column, rows in ((0, received), (1, invoiced)):
        for row in rows:
            key = row[key_field]
            labels[key] = _group_label(by, key, row.get(name_field) if name_field else None)
            totals[key][column] += row["amount"] or Decimal("0")
    result = [SpendRow(key="" if key is None else str(key), label=labels[key], received=_money(amounts[0]),
                       invoiced=_money(amounts[1])) for key, amounts in totals.items()]
    return sorted(result, key=lambda row: (-row.received, -row.invoiced, row.label))


# --- price history ---------------------------------------------------------------------------------------------


def _size(packaging: Any) -> int:
    return packaging.base_quantity if packaging is not None else 1


def per_base_unit(price: Decimal, packaging: Any) -> Decimal:
    return (price / _size(packaging)).quantize(Decimal("0.0001"))


@dataclass(frozen=True)
class ScheduledPrice:
    vendor: str
    packaging: str
    price: Decimal
    unit_price: Decimal
    effective_from: dt.date
    effective_to: dt.date | None
    contract: str


@dataclass(frozen=True)
class PaidPrice:
    placed_on: dt.date
    order_id: int
    order_number: str
    vendor: str
    location: str
    packaging: str
    quantity: int
    price: Decimal
    unit_price: Decimal


def _packaging_label(packaging: Any, item: Item) -> str:
    return f"{packaging.name} of {packaging.base_quantity}" if packaging is not None else item.base_unit


def price_history(*, actor: Any, item: Item, start: dt.date, end: dt.date) -> tuple[list[ScheduledPrice],
                                                                                     list[PaidPrice]]:
    """The item's price schedules of every vendor (newest first per vendor) and the prices on the orders placed
    in the period at the actor's locations (newest first). Two queries."""
    schedule = [
        ScheduledPrice(vendor=row.vendor.name, packaging=_packaging_label(row.packaging, item), price=row.price,
                       unit_price=per_base_unit(row.price, row.packaging), effective_from=row.effective_from,
                       effective_to=row.effective_to, contract=row.contract.title if row.contract else "")
        for row in VendorItem.objects.filter(item=item).select_related("vendor", "packaging", "contract")
        .order_by("vendor__name", "-effective_from", "pk")]
    orders = placed_orders(actor=actor, start=start, end=end, permission=Perm.INVENTORY_MANAGE)
    paid = [
        PaidPrice(placed_on=local_date(line.placed_at), order_id=line.order_id,  # type: ignore[attr-defined]
                  order_number=line.order.number, vendor=line.order.vendor.name, location=line.order.location.name,
                  packaging=_packaging_label(line.packaging, item), quantity=line.quantity, price=line.unit_price,
                  unit_price=per_base_unit(line.unit_price, line.packaging))
        for line in PurchaseOrderLine.objects.filter(item=item, order__in=orders.values("pk"))
        .select_related("order", "order__vendor", "order__location", "packaging")
        .annotate(placed_at=Coalesce("order__sent_at", "order__created_at"))
        .order_by("-placed_at", "-pk")]
    return schedule, paid


# --- savings from negotiations ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class VendorSavings:
    vendor: str
    negotiations: int
    annual_savings: Decimal


def negotiation_savings(*, start: dt.date, end: dt.date) -> tuple[list[Negotiation], list[VendorSavings], Decimal]:
    """Negotiations held in the period that ended in (partial) agreement with savings: the rows, the totals per
    vendor (largest first) and the grand total a year. Vendors are practice-wide. Two queries."""
    queryset = Negotiation.objects.filter(held_on__gte=start, held_on__lte=end, annual_savings__gt=0,
                                          outcome__in=[NegotiationOutcome.AGREED, NegotiationOutcome.PARTLY])
    rows = list(queryset.select_related("vendor", "contract").order_by("-held_on", "-pk"))
    per_vendor = [VendorSavings(vendor=row["vendor__name"], negotiations=row["count"],
                                annual_savings=_money(row["total"]))
                  for row in queryset.values("vendor__name").order_by().annotate(total=Sum("annual_savings"),
                                                                                 count=Count("pk"))]
    per_vendor.sort(key=lambda row: (-row.annual_savings, row.vendor))
    return rows, per_vendor, _money(sum((row.annual_savings for row in per_vendor), Decimal("0")))


# --- off-contract buying ---------------------------------------------------------------------------------------

ABOVE_CONTRACT = "above_contract"
OTHER_VENDOR = "other_vendor"
NO_CONTRACT = "no_contract"
NOT_IN_CATALOGUE = "not_in_catalogue"
OFF_CONTRACT_REASONS = (ABOVE_CONTRACT, OTHER_VENDOR, NO_CONTRACT, NOT_IN_CATALOGUE)


@dataclass(frozen=True)
class OffContractLine:
    placed_on: dt.date
    order_id: int
    order_number: str
    vendor: str
    location: str
    what: str
    quantity: int
    unit_price: Decimal
    amount: Decimal
    reason: str
    contract_vendor: str = ""
    contract_price: Decimal | None = None  # the best contract price for the ordered packaging
    overspend: Decimal = Decimal("0.00")  # paid above that price, for the whole line


def _contract_applies(price: VendorItem, day: dt.date) -> bool:
    contract = price.contract
    return (contract is not None and price.effective_from <= day
            and (price.effective_to is None or day <= price.effective_to)
            and contract.starts_on <= day and (contract.ends_on is None or day <= contract.ends_on))


def off_contract(*, actor: Any, start: dt.date, end: dt.date) -> list[OffContractLine]:
    """Lines of the orders placed in the period that were not bought at an active contract price, oldest first.
    Two queries: the lines, and the contract prices of their items."""
    orders = placed_orders(actor=actor, start=start, end=end, permission=Perm.INVENTORY_MANAGE)
    lines = list(PurchaseOrderLine.objects.filter(order__in=orders.values("pk"))
                 .select_related("order", "order__vendor", "order__location", "item", "packaging")
                 .annotate(placed_at=Coalesce("order__sent_at", "order__created_at"))
                 .order_by("placed_at", "order_id", "pk"))
    item_ids = sorted({line.item_id for line in lines if line.item_id})
    contract_prices: dict[int, list[VendorItem]] = defaultdict(list)
    if item_ids:
        for price in (VendorItem.objects.filter(item_id__in=item_ids, contract__isnull=False,
                                                contract__status=ContractStatus.ACTIVE)
                      .select_related("contract", "packaging", "vendor")):
            contract_prices[price.item_id].append(price)
    result: list[OffContractLine] = []
    for line in lines:
        order = line.order
        day = local_date(line.placed_at)  # type: ignore[attr-defined]
        base: dict[str, Any] = {"placed_on": day, "order_id": order.pk, "order_number": order.number, "vendor": order.vendor.name,
                "location": order.location.name, "what": str(line.item or line.description),
                "quantity": line.quantity, "unit_price": line.unit_price, "amount": line.amount}
        if line.item_id is None:
            result.append(OffContractLine(**base, reason=NOT_IN_CATALOGUE))
            continue
        size = _size(line.packaging)
        applicable = [price for price in contract_prices.get(line.item_id, []) if _contract_applies(price, day)]
        if not applicable:
            result.append(OffContractLine(**base, reason=NO_CONTRACT))
            continue
        own = [price for price in applicable if price.vendor_id == order.vendor_id]
        candidates = own or applicable
        best = min(candidates, key=lambda price: (price.price / _size(price.packaging), price.pk))
        best_price = (best.price / _size(best.packaging) * size).quantize(Decimal("0.0001"))
        if own and line.unit_price - best_price <= PRICE_TOLERANCE:
            continue  # bought at the contract price
        overspend = max((line.unit_price - best_price) * line.quantity, Decimal("0")).quantize(CENT)
        result.append(OffContractLine(**base, reason=ABOVE_CONTRACT if own else OTHER_VENDOR,
                                      contract_vendor=best.vendor.name, contract_price=best_price,
                                      overspend=overspend))
    return result


# --- vendor performance ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VendorPerformance:
    vendor_id: int
    vendor: str
    orders: int
    ordered: int  # packages ordered
    received: int  # packages received in good condition
    damaged: int
    back_ordered: int  # still owed (neither received nor cancelled)
    deliveries_measured: int  # deliveries of orders with an expected date, plus orders overdue with none
    deliveries_on_time: int

    @property
    def fill_rate(self) -> Decimal | None:
        """Percent of the packages ordered that arrived in good condition."""
        return _percent(self.received, self.ordered)

    @property
    def on_time_rate(self) -> Decimal | None:
        """Percent of the measured deliveries that arrived by the expected date."""
        return _percent(self.deliveries_on_time, self.deliveries_measured)


def vendor_performance(*, actor: Any, start: dt.date, end: dt.date, today: dt.date,
                       permission: str = Perm.VENDORS_VIEW) -> list[VendorPerformance]:
    """Per vendor, for the orders placed from `start` to `end` at the actor's locations: fill rate and on-time
    rate (see the module's description), by vendor name. Four queries."""
    orders = placed_orders(actor=actor, start=start, end=end, permission=permission)
    totals = {row["order__vendor_id"]: row for row in (
        PurchaseOrderLine.objects.filter(order__in=orders.values("pk")).values("order__vendor_id").order_by()
        .annotate(orders=Count("order_id", distinct=True), ordered=Sum("quantity"), received=Sum("received"),
                  damaged=Sum("damaged"), cancelled=Sum("cancelled")))}
    measured: dict[int, int] = defaultdict(int)
    on_time: dict[int, int] = defaultdict(int)
    delivered_orders: set[int] = set()
    for vendor_id, order_id, received_at, expected_on in (
            Receipt.objects.filter(order__in=orders.values("pk"))
            .values_list("order__vendor_id", "order_id", "received_at", "order__expected_on")):
        delivered_orders.add(order_id)
        if expected_on is None:
            continue
        measured[vendor_id] += 1
        if local_date(received_at) <= expected_on:
            on_time[vendor_id] += 1
    for vendor_id, order_id in orders.filter(expected_on__lt=today).values_list("vendor_id", "pk"):
        if order_id not in delivered_orders:
            measured[vendor_id] += 1  # overdue and nothing arrived: a late delivery
    names = dict(Vendor.objects.filter(pk__in=sorted(totals)).values_list("pk", "name"))
    result = [VendorPerformance(
        vendor_id=vendor_id, vendor=names.get(vendor_id, ""), orders=row["orders"], ordered=row["ordered"] or 0,
        received=row["received"] or 0, damaged=row["damaged"] or 0,
        back_ordered=(row["ordered"] or 0) - (row["received"] or 0) - (row["cancelled"] or 0),
        deliveries_measured=measured[vendor_id], deliveries_on_time=on_time[vendor_id])
        for vendor_id, row in totals.items()]
    return sorted(result, key=lambda row: (row.vendor, row.vendor_id))
