"""Stock reads: storage places and stock on hand in the actor's locations, what expires soon, what is at or below
its reorder point, and the suggested orders built from par levels (grouped by preferred vendor at the current
price). Each is a fixed number of queries whatever the number of items and places."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from openpractice.accounts.permissions import location_ids_where
from openpractice.accounts.roles import Perm

from ..models import Item, ParLevel, StockLevel, StockMovement, StoragePlace, VendorItem


def _in_locations(actor: Any, permission: str, field_name: str) -> Q:
    ids = location_ids_where(actor, permission)
    if ids is None:
        return Q()
    return Q(**{f"{field_name}__in": sorted(ids)})


def place_scoped(*, actor: Any, permission: str = Perm.INVENTORY_VIEW) -> QuerySet[StoragePlace]:
    return StoragePlace.objects.filter(_in_locations(actor, permission, "location_id")).select_related("location")


def level_scoped(*, actor: Any, permission: str = Perm.INVENTORY_VIEW) -> QuerySet[StockLevel]:
    return StockLevel.objects.filter(_in_locations(actor, permission, "place__location_id")).select_related(
        "item", "place", "place__location", "lot")


def movement_scoped(*, actor: Any) -> QuerySet[StockMovement]:
    """Movements that touched a place in the actor's locations."""
    ids = location_ids_where(actor, Perm.INVENTORY_VIEW)
    queryset = StockMovement.objects.select_related("item", "lot", "from_place", "to_place", "actor")
    if ids is None:
        return queryset
    return queryset.filter(Q(from_place__location_id__in=sorted(ids)) | Q(to_place__location_id__in=sorted(ids)))


def expiring(*, actor: Any, today: dt.date, within_days: int = 60) -> QuerySet[StockLevel]:
    """Stock on hand in lots that expire within `within_days` (or already have), soonest first."""
    return level_scoped(actor=actor).filter(
        quantity__gt=0, lot__expires_on__isnull=False,
        lot__expires_on__lte=today + dt.timedelta(days=within_days)).order_by("lot__expires_on", "item__name")


def _on_hand_at_place() -> Subquery:
    """SUM(quantity) of the (item, place) levels: one lookup in the (place, item) index. `order_by()` drops
    StockLevel's default ordering, which otherwise joins item, place, location and lot into every evaluation."""
    return Subquery(StockLevel.objects.filter(item_id=OuterRef("item_id"), place_id=OuterRef("place_id"))
                    .order_by().annotate(total=Func(F("quantity"), function="SUM")).values("total"),
                    output_field=IntegerField())


def below_reorder_point(*, actor: Any, location_id: int | None = None) -> QuerySet[ParLevel]:
    """Par levels at or below their reorder point, with `on_hand` and `needed` (back up to par) annotated."""
    queryset = ParLevel.objects.filter(_in_locations(actor, Perm.INVENTORY_VIEW, "place__location_id"),
                                       item__is_active=True, place__is_active=True)
    if location_id is not None:
        queryset = queryset.filter(place__location_id=location_id)
    return (queryset.annotate(on_hand=Coalesce(_on_hand_at_place(), Value(0)))
            .filter(on_hand__lte=F("reorder_point"))
            .annotate(needed=F("par") - F("on_hand"))
            .select_related("item", "item__preferred_vendor", "place", "place__location")
            .order_by("place__location__name", "place__name", "item__name"))


@dataclass
class SuggestedLine:
    item: Item
    needed: int  # base units, summed over the places below their reorder point
    places: list[str]
    price: VendorItem | None  # the preferred vendor's current price (None: no price on file)

    @property
    def packages(self) -> int:
        size = self.price.packaging.base_quantity if self.price and self.price.packaging else 1
        return math.ceil(self.needed / size)

    @property
    def amount(self) -> Decimal:
        return (self.price.price * self.packages).quantize(Decimal("0.01")) if self.price else Decimal("0.00")


@dataclass
class SuggestedOrder:
    vendor: Any  # vendors.Vendor or None (items without a preferred vendor)
    lines: list[SuggestedLine] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


def current_prices(item_vendor_pairs: set[tuple[int, int]], on: dt.date) -> dict[tuple[int, int], VendorItem]:
    """The price in force on `on` for each (item, vendor): the latest schedule line that has started and not ended;
    a contract price beats a list price of the same day. One query."""
    if not item_vendor_pairs:
        return {}
    items = {item_id for item_id, _vendor in item_vendor_pairs}
    vendors = {vendor_id for _item, vendor_id in item_vendor_pairs}
    rows = (VendorItem.objects.filter(item_id__in=sorted(items), vendor_id__in=sorted(vendors), effective_from__lte=on)
            .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on))
            .select_related("packaging", "contract")
            .order_by("item_id", "vendor_id", "-effective_from", F("contract_id").desc(nulls_last=True), "-pk"))
    prices: dict[tuple[int, int], VendorItem] = {}
    for row in rows:
        key = (row.item_id, row.vendor_id)
        if key in item_vendor_pairs and key not in prices:
            prices[key] = row
    return prices


def suggested_orders(*, actor: Any, today: dt.date, location_id: int | None = None) -> list[SuggestedOrder]:
    """What to order to bring every place at or below its reorder point back to par: one line per item (its
    places summed), grouped by the item's preferred vendor, priced at that vendor's current (contract) price and
    rounded up to whole packages. Three queries: the par levels below their reorder point as plain values (no
    model instances for the tens of thousands of them), the items needed with their preferred vendor, the prices."""
    needed: dict[int, int] = defaultdict(int)
    places: dict[int, list[str]] = defaultdict(list)
    rows = below_reorder_point(actor=actor, location_id=location_id).values_list(  # type: ignore[misc]
        "item_id", "par", "on_hand", "place__location__name", "place__name")
    for item_id, par, on_hand, location_name, place_name in rows:
        if par - on_hand <= 0:
            continue
        needed[item_id] += par - on_hand
        places[item_id].append(f"{location_name} / {place_name}")
    items = list(Item.objects.filter(pk__in=sorted(needed)).select_related("preferred_vendor")) if needed else []
    pairs = {(item.pk, item.preferred_vendor_id) for item in items if item.preferred_vendor_id}
    prices = current_prices(pairs, today)  # type: ignore[arg-type]
    orders: dict[int | None, SuggestedOrder] = {}
    for item in sorted(items, key=lambda item: (item.name, item.pk)):
        vendor_id = item.preferred_vendor_id
        order = orders.setdefault(vendor_id, SuggestedOrder(item.preferred_vendor))
        price = prices.get((item.pk, vendor_id)) if vendor_id else None
        order.lines.append(SuggestedLine(item, needed[item.pk], places[item.pk], price))
    return sorted(orders.values(), key=lambda order: (order.vendor is None, str(order.vendor or "")))
