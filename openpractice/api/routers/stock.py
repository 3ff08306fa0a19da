"""/stock: what is on hand, per item, storage place and lot, at the locations where the caller holds
inventory.view; the storage places there; and what is at or below its reorder point. Stock changes through
/stock-movements (and receiving, under /purchase-orders). A level or place at another location answers 404 (and
the denial is audited)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from openpractice.accounts.roles import Perm
from openpractice.core.selectors import practice_today
from openpractice.core.web import get_scoped_or_404, require
from openpractice.inventory.models import StockLevel
from openpractice.inventory.selectors import stock as selectors

from ..errors import COMMON_RESPONSES
from ..pagination import Page, PageIn, paginate
from ..schemas.supply import ItemRefOut, LotOut, PlaceRefOut
from .storage_places import StoragePlaceFilter, place_rows

router = Router(tags=["stock"])
ID = Field(None, ge=1, le=2_147_483_647)


class StockLevelOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 2204,
         "item": {"id": 318, "sku": "VAC-FLU-QIV", "name": "Influenza vaccine, quadrivalent 0.5 mL", "base_unit": "dose"},
         "place": {"id": 15, "name": "Vaccine refrigerator", "kind": "supply_room", "location_id": 1}, "location_id": 1,
         "lot": {"id": 77, "number": "FL4472B", "expires_on": "2027-06-30"}, "quantity": 34, "expires_in_days": 213}]}}
    id: int
    item: ItemRefOut
    place: PlaceRefOut
    location_id: int
    lot: LotOut | None = Field(description="Empty: the item does not track lots")
    quantity: int = Field(description="On hand, in base units; never below zero")
    expires_in_days: int | None = Field(description="Days until the lot expires (negative: expired)")

    @staticmethod
    def resolve_location_id(obj: StockLevel) -> int:
        return obj.place.location_id

    @staticmethod
    def resolve_expires_in_days(obj: StockLevel) -> int | None:
        if obj.lot is None or obj.lot.expires_on is None:
            return None
        return (obj.lot.expires_on - practice_today()).days


class PlaceOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 9, "name": "Raleigh supply room", "kind": "supply_room", "location_id": 1, "location": "Raleigh Main",
         "is_active": True}]}}
    id: int
    name: str
    kind: str = Field(description="supply_room, exam_room, samples, office or other")
    location_id: int
    location: str
    is_active: bool

    @staticmethod
    def resolve_location(obj: Any) -> str:
        return str(obj.location.name)


class ReorderOut(Schema):
    """A par level at or below its reorder point."""
    model_config = {"json_schema_extra": {"examples": [
        {"id": 1310,
         "item": {"id": 301, "sku": "GLV-NIT-M", "name": "Nitrile exam gloves, medium", "base_unit": "each"},
         "place": {"id": 9, "name": "Raleigh supply room", "kind": "supply_room", "location_id": 1}, "par": 2000,
         "reorder_point": 800, "on_hand": 650, "needed": 1350, "preferred_vendor_id": 17}]}}

    id: int
    item: ItemRefOut
    place: PlaceRefOut
    par: int = Field(description="Keep this many on hand")
    reorder_point: int = Field(description="Order at or below this")
    on_hand: int
    needed: int = Field(description="Back up to par, in base units")
    preferred_vendor_id: int | None

    @staticmethod
    def resolve_preferred_vendor_id(obj: Any) -> int | None:
        return obj.item.preferred_vendor_id  # type: ignore[no-any-return]


class StockFilter(PageIn):
    location_id: int | None = ID
    place_id: int | None = ID
    item_id: int | None = ID
    lot_id: int | None = ID
    expiring_within: int | None = Field(None, ge=0, le=3650, description="Lots that expire within this many days "
                                                                         "(or have expired), soonest first")
    include_empty: bool = Field(False, description="Also the rows at zero")


class ReorderFilter(PageIn):
    location_id: int | None = ID


@router.get("", response={200: Page[StockLevelOut], **COMMON_RESPONSES}, url_name="stock_list",
            summary="Stock on hand at your locations",
            description=f"Needs `{Perm.INVENTORY_VIEW}`; the rows at the locations where you hold it. By location, "
                        "place, item and lot (first expiry first); with `expiring_within`, soonest expiry first.")
def stock_list(request: HttpRequest, filters: Query[StockFilter]) -> Any:
    require(request, Perm.INVENTORY_VIEW)
    queryset = selectors.level_scoped(actor=request.user)
    if not filters.include_empty:
        queryset = queryset.filter(quantity__gt=0)
    for name, lookup in (("location_id", "place__location_id"), ("place_id", "place_id"), ("item_id", "item_id"),
                         ("lot_id", "lot_id")):
        value = getattr(filters, name)
        if value is not None:
            queryset = queryset.filter(**{lookup: value})
    if filters.expiring_within is not None:
        horizon = practice_today() + dt.timedelta(days=filters.expiring_within)
        queryset = queryset.filter(lot__expires_on__lte=horizon).order_by("lot__expires_on", "item__name", "pk")
    else:
        queryset = queryset.order_by("place__location__name", "place__name", "item__name",
                                     F("lot__expires_on").asc(nulls_last=True), "pk")
    return paginate(queryset, filters)


@router.get("/places", response={200: Page[PlaceOut], **COMMON_RESPONSES}, url_name="stock_place_list",
            summary="Storage places at your locations",
            description=f"Needs `{Perm.INVENTORY_VIEW}`: the supply rooms, exam rooms, sample cabinets ... where you "
                        "hold it. Their ids are what /stock-movements takes. The same places as `/storage-places`, "
                        "where they are also added and changed.")
def stock_place_list(request: HttpRequest, filters: Query[StoragePlaceFilter]) -> Any:
    require(request, Perm.INVENTORY_VIEW)
    return paginate(place_rows(request, filters), filters)


@router.get("/reorder", response={200: Page[ReorderOut], **COMMON_RESPONSES}, url_name="stock_reorder_list",
            summary="What is at or below its reorder point",
            description=f"Needs `{Perm.INVENTORY_VIEW}`. Each par level at your locations whose place holds no more "
                        "than its reorder point, with what brings it back up to par.")
def stock_reorder_list(request: HttpRequest, filters: Query[ReorderFilter]) -> Any:
    require(request, Perm.INVENTORY_VIEW)
    return paginate(selectors.below_reorder_point(actor=request.user, location_id=filters.location_id), filters)


@router.get("/{int:level_id}", response={200: StockLevelOut, **COMMON_RESPONSES}, url_name="stock_detail",
            summary="One stock row (item, place, lot)",
            description=f"Needs `{Perm.INVENTORY_VIEW}` at the place's location.")
def stock_detail(request: HttpRequest, level_id: int) -> Any:
    require(request, Perm.INVENTORY_VIEW)
    return get_scoped_or_404(request, selectors.level_scoped(actor=request.user), permission=Perm.INVENTORY_VIEW,
                             pk=level_id)
