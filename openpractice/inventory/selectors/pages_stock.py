"""Reads for the catalogue and stock pages (views_catalog, views_stock, views_stock_counts): each list is scoped to
the acting user's locations (items and vendor prices are practice-wide) and costs a fixed number of queries
whatever its number of rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from openpractice.accounts.permissions import location_ids_where, locations_where
from openpractice.accounts.roles import Perm
from openpractice.core.models import Location
from openpractice.vendors.models import Contract, RepVisit, Vendor

from ..choices import MovementKind, PlaceKind
from ..models import CycleCount, CycleCountLine, Item, ParLevel, StockLevel, StockMovement, StoragePlace, VendorItem
from .stock import level_scoped, movement_scoped, place_scoped


def _location_filter(actor: Any, permission: str, field_name: str) -> Q:
    ids = location_ids_where(actor, permission)
    return Q() if ids is None else Q(**{f"{field_name}__in": sorted(ids)})


def _sum_levels(**outer: Any) -> Subquery:
    """SUM(quantity) of the levels matching `outer` (OuterRef lookups), without StockLevel's default ordering."""
    return Subquery(StockLevel.objects.filter(**outer).order_by()
                    .annotate(total=Func(F("quantity"), function="SUM")).values("total"),
                    output_field=IntegerField())


# --- locations and places ----------------------------------------------------------------------------------------


def locations_for(*, actor: Any, permission: str) -> QuerySet[Location]:
    """Active locations where the actor holds `permission`, by name."""
    return locations_where(actor, permission).filter(is_active=True).order_by("name", "pk")


def places_for(*, actor: Any, permission: str, kind: str = "") -> QuerySet[StoragePlace]:
    """Storage places in use at the locations where the actor holds `permission` (for choosing one in a form)."""
    queryset = place_scoped(actor=actor, permission=permission).filter(is_active=True)
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset.order_by("location__name", "name", "pk")


def place_rows(*, actor: Any, location_id: int | None = None) -> QuerySet[StoragePlace]:
    queryset = place_scoped(actor=actor)
    if location_id is not None:
        queryset = queryset.filter(location_id=location_id)
    return queryset.order_by("location__name", "-is_active", "name", "pk")


# --- the catalogue -----------------------------------------------------------------------------------------------


def item_rows(*, actor: Any, category: str = "", vendor_id: int | None = None,
              active: bool | None = True) -> QuerySet[Item]:
    """Items with `on_hand`: their stock in the actor's locations."""
    queryset = Item.objects.select_related("preferred_vendor")
    if category:
        queryset = queryset.filter(category=category)
    if vendor_id is not None:
        queryset = queryset.filter(preferred_vendor_id=vendor_id)
    if active is not None:
        queryset = queryset.filter(is_active=active)
    ids = location_ids_where(actor, Perm.INVENTORY_VIEW)
    outer: dict[str, Any] = {"item_id": OuterRef("pk")}
    if ids is not None:
        outer["place__location_id__in"] = sorted(ids)
    return queryset.annotate(on_hand=Coalesce(_sum_levels(**outer), Value(0)))


def item_by_number(number: str) -> Item | None:
    """The catalogue item with this item number (ignoring case), if any."""
    number = number.strip()
    if not number:
        return None
    return Item.objects.filter(sku__iexact=number).order_by("pk").first()


def vendor_choices() -> QuerySet[Vendor]:
    return Vendor.objects.filter(is_active=True).order_by("name", "pk")


def contract_choices() -> QuerySet[Contract]:
    return Contract.objects.select_related("vendor").order_by("vendor__name", "title", "pk")


@dataclass(frozen=True)
class PriceRow:
    price: VendorItem
    current: bool

    @property
    def per_unit(self) -> Any:
        size = self.price.packaging.base_quantity if self.price.packaging else 1
        return self.price.price / size


def item_prices(*, item: Item, today: dt.date) -> list[PriceRow]:
    """Every price line of the item (the price history across vendors), marking the ones in force today."""
    rows = (VendorItem.objects.filter(item=item).select_related("vendor", "packaging", "contract")
            .order_by("vendor__name", "vendor_id", "packaging__base_quantity", "-effective_from", "-pk"))
    return [PriceRow(row, row.effective_from <= today and (row.effective_to is None or row.effective_to >= today))
            for row in rows]


def item_levels(*, actor: Any, item: Item) -> QuerySet[StockLevel]:
    return level_scoped(actor=actor).filter(item=item, quantity__gt=0).order_by(
        "place__location__name", "place__name", F("lot__expires_on").asc(nulls_last=True), "pk")


def par_rows(*, actor: Any, place_id: int | None = None, item: Item | None = None) -> QuerySet[ParLevel]:
    """Par levels at places in the actor's locations, with `on_hand` at the place."""
    queryset = ParLevel.objects.filter(_location_filter(actor, Perm.INVENTORY_VIEW, "place__location_id"))
    if place_id is not None:
        queryset = queryset.filter(place_id=place_id)
    if item is not None:
        queryset = queryset.filter(item=item)
    return (queryset.annotate(on_hand=Coalesce(_sum_levels(item_id=OuterRef("item_id"), place_id=OuterRef("place_id")),
                                               Value(0)))
            .select_related("item", "place", "place__location"))


# --- stock -------------------------------------------------------------------------------------------------------


def stock_rows(*, actor: Any, place_id: int | None = None, location_id: int | None = None,
               samples_only: bool = False) -> QuerySet[StockLevel]:
    """Stock on hand (rows with something in them) in the actor's locations."""
    queryset = level_scoped(actor=actor).filter(quantity__gt=0)
    if place_id is not None:
        queryset = queryset.filter(place_id=place_id)
    if location_id is not None:
        queryset = queryset.filter(place__location_id=location_id)
    if samples_only:
        queryset = queryset.filter(place__kind=PlaceKind.SAMPLES)
    return queryset


def lots_on_hand(level: StockLevel) -> list[StockLevel]:
    """The lots of the level's item on hand at its place, first expiry first."""
    return list(StockLevel.objects.filter(item_id=level.item_id, place_id=level.place_id, quantity__gt=0,
                                          lot__isnull=False).select_related("lot")
                .order_by(F("lot__expires_on").asc(nulls_last=True), "lot__number", "pk"))


def on_hand_at(level: StockLevel) -> int:
    """All of the level's item at its place (every lot)."""
    return sum(StockLevel.objects.filter(item_id=level.item_id, place_id=level.place_id)
               .values_list("quantity", flat=True))


def movement_rows(*, actor: Any, item_id: int | None = None, place_id: int | None = None, kind: str = "",
                  since: dt.date | None = None, until: dt.date | None = None) -> QuerySet[StockMovement]:
    queryset = movement_scoped(actor=actor)
    if item_id is not None:
        queryset = queryset.filter(item_id=item_id)
    if place_id is not None:
        queryset = queryset.filter(Q(from_place_id=place_id) | Q(to_place_id=place_id))
    if kind:
        queryset = queryset.filter(kind=kind)
    if since is not None:
        queryset = queryset.filter(occurred_at__date__gte=since)
    if until is not None:
        queryset = queryset.filter(occurred_at__date__lte=until)
    return queryset.select_related("from_place__location", "to_place__location")


def recent_samples(*, actor: Any, limit: int = 20) -> list[StockMovement]:
    return list(movement_scoped(actor=actor).filter(kind=MovementKind.SAMPLE)
                .select_related("rep_visit__vendor", "to_place__location").order_by("-occurred_at", "-pk")[:limit])


# --- cycle counts ------------------------------------------------------------------------------------------------


def count_scoped(*, actor: Any, permission: str = Perm.INVENTORY_VIEW) -> QuerySet[CycleCount]:
    return CycleCount.objects.filter(_location_filter(actor, permission, "place__location_id")).select_related(
        "place", "place__location", "started_by", "submitted_by", "approved_by")


def count_lines(count: CycleCount) -> list[CycleCountLine]:
    return list(count.lines.select_related("item", "lot").order_by("item__name", "item_id", "lot__number", "pk"))


# --- sales representatives' samples ------------------------------------------------------------------------------


def visits_for_samples(*, actor: Any, since: dt.datetime) -> QuerySet[RepVisit]:
    """Sales representatives' visits since `since` at locations where the actor may put stock away."""
    return (RepVisit.objects.filter(_location_filter(actor, Perm.INVENTORY_USE, "location_id"), visited_at__gte=since)
            .select_related("vendor", "rep", "location").order_by("-visited_at", "-pk"))
