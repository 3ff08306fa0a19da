"""/items: the practice-wide catalogue (supplies, medical and office supplies, furniture, equipment) with the
packagings items are bought in and the vendors' prices (price schedules with effective dates, contract prices
marked). inventory.view lists and reads it; inventory.manage adds and changes items and adds prices. Stock on
hand is under /stock. Refusals answer 404 and are audited; nothing changes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.roles import Perm
from openpractice.core.selectors import practice_today
from openpractice.core.web import get_scoped_or_404, require
from openpractice.inventory.choices import ItemCategory
from openpractice.inventory.models import Item, Packaging, VendorItem
from openpractice.inventory.services import catalog as services
from openpractice.vendors.models import Contract, Vendor

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate
from ..schemas.supply import PackagingOut, VendorRefOut, refuse_nulls, unknown

router = Router(tags=["items"])


class PriceOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 640, "vendor": {"id": 17, "name": "Medline Industries"}, "packaging_id": 51, "vendor_sku": "MDS195085",
         "price": "12.50", "effective_from": "2026-07-01", "effective_to": None, "contract_id": 12, "current": True}]}}
    id: int
    vendor: VendorRefOut
    packaging_id: int | None = Field(description="Empty: priced per base unit")
    vendor_sku: str = Field(description="The vendor's item number")
    price: Decimal = Field(description="Per package (or per base unit)")
    effective_from: dt.date
    effective_to: dt.date | None = Field(description="Empty: until a newer price")
    contract_id: int | None = Field(description="A contract price")
    current: bool = Field(description="In force today")

    @staticmethod
    def resolve_current(obj: VendorItem) -> bool:
        today = practice_today()
        return obj.effective_from <= today and (obj.effective_to is None or obj.effective_to >= today)


class ItemListOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 301, "sku": "GLV-NIT-M", "name": "Nitrile exam gloves, medium", "category": "supply",
         "base_unit": "each", "lot_tracked": False, "preferred_vendor": {"id": 17, "name": "Medline Industries"},
         "description": "Powder-free, latex-free", "is_active": True,
         "packagings": [{"id": 51, "name": "Box of 100", "base_quantity": 100}, {"id": 52, "name": "Case of 10 boxes", "base_quantity": 1000}],
         "updated_at": "2026-09-02T18:11:40Z"}]}}
    id: int
    sku: str = Field(description="The practice's item number")
    name: str
    category: str = Field(description="supply, medical, office, furniture or equipment")
    base_unit: str = Field(description="Stock is counted in whole base units")
    lot_tracked: bool = Field(description="Stock is kept by lot and expiry")
    preferred_vendor: VendorRefOut | None
    description: str
    is_active: bool
    packagings: list[PackagingOut]
    updated_at: dt.datetime

    @staticmethod
    def resolve_packagings(obj: Item) -> list[Any]:
        return list(obj.packagings.all())


class ItemOut(ItemListOut):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 301, "sku": "GLV-NIT-M", "name": "Nitrile exam gloves, medium", "category": "supply",
         "base_unit": "each", "lot_tracked": False, "preferred_vendor": {"id": 17, "name": "Medline Industries"},
         "description": "Powder-free, latex-free", "is_active": True,
         "packagings": [{"id": 51, "name": "Box of 100", "base_quantity": 100}, {"id": 52, "name": "Case of 10 boxes", "base_quantity": 1000}],
         "updated_at": "2026-09-02T18:11:40Z",
         "prices": [{"id": 640, "vendor": {"id": 17, "name": "Medline Industries"}, "packaging_id": 51, "vendor_sku": "MDS195085", "price": "12.50", "effective_from": "2026-07-01", "effective_to": None, "contract_id": 12, "current": True}, {"id": 588, "vendor": {"id": 17, "name": "Medline Industries"}, "packaging_id": 51, "vendor_sku": "MDS195085", "price": "13.10", "effective_from": "2025-07-01", "effective_to": "2026-06-30", "contract_id": 12, "current": False}],
         "created_at": "2024-02-01T15:00:00Z"}]}}
    prices: list[PriceOut] = Field(description="Every vendor's price schedule lines, newest first per vendor")
    created_at: dt.datetime

    @staticmethod
    def resolve_prices(obj: Item) -> list[Any]:
        return list(obj.vendor_items.all())


class PackagingIn(Schema):
    name: str = Field(max_length=40, examples=["box"])
    base_quantity: int = Field(ge=1, le=1_000_000, examples=[100])


class ItemIn(Schema):
    sku: str = Field(max_length=40, description="Unique, ignoring case", examples=["MED-GLV-NIT-M"])
    name: str = Field(max_length=200, examples=["Exam gloves, nitrile, medium"])
    category: ItemCategory = Field(examples=[ItemCategory.MEDICAL])
    base_unit: str = Field("each", max_length=20, examples=["glove"])
    lot_tracked: bool = Field(False, description="Keep stock by lot and expiry (vaccines, test kits, drugs)")
    preferred_vendor_id: int | None = Field(None, description="Suggested orders go to this vendor", examples=[1])
    description: str = ""
    is_active: bool = True
    packagings: list[PackagingIn] = Field(default_factory=list, max_length=10,
                                          description="How it is bought, e.g. a box of 100")


class ItemPatchIn(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"name": "Nitrile exam gloves, medium", "preferred_vendor_id": 17}]}}
    sku: str | None = Field(None, max_length=40)
    name: str | None = Field(None, max_length=200)
    category: ItemCategory | None = None
    base_unit: str | None = Field(None, max_length=20)
    lot_tracked: bool | None = Field(None, description="An item with lots keeps tracking them")
    preferred_vendor_id: int | None = Field(None, description="null: no preferred vendor")
    description: str | None = None
    is_active: bool | None = None


class PriceIn(Schema):
    vendor_id: int = Field(examples=[1])
    price: Decimal = Field(ge=0, max_digits=12, decimal_places=4, description="Per package (or per base unit)",
                           examples=["8.95"])
    effective_from: dt.date = Field(description="The vendor's earlier open-ended price for the same packaging ends "
                                                "the day before", examples=["2025-07-01"])
    packaging_id: int | None = Field(None, description="One of the item's packagings; empty: per base unit",
                                     examples=[1])
    vendor_sku: str = Field("", max_length=60, examples=["PMS-44821"])
    contract_id: int | None = Field(None, description="One of the vendor's contracts: a contract price")


class ItemFilter(PageIn):
    q: str = Field("", max_length=100, description="Part of the name, or the item number")
    category: ItemCategory | None = None
    active: bool | None = None
    lot_tracked: bool | None = None
    preferred_vendor_id: int | None = Field(None, ge=1, le=2_147_483_647)


def _items(with_prices: bool = False) -> QuerySet[Item]:
    """The catalogue is practice-wide: inventory.view anywhere reads all of it."""
    queryset = Item.objects.select_related("preferred_vendor").prefetch_related("packagings")
    if with_prices:
        queryset = queryset.prefetch_related(Prefetch(
            "vendor_items", queryset=VendorItem.objects.select_related("vendor").order_by(
                "vendor__name", "packaging_id", "-effective_from", "pk")))
    return queryset


def _item(request: HttpRequest, item_id: int, permission: str) -> Item:
    return get_scoped_or_404(request, _items(with_prices=True), permission=permission, pk=item_id)


def _vendor(field: str, vendor_id: int) -> Vendor:
    found = Vendor.objects.filter(pk=vendor_id).first()
    if found is None:
        raise unknown(field, vendor_id, "vendor")
    return found


@router.get("", response={200: Page[ItemListOut], **COMMON_RESPONSES}, url_name="item_list",
            summary="The item catalogue",
            description=f"Needs `{Perm.INVENTORY_VIEW}`. By name. `category` takes the listed values only (anything "
                        "else: 422).")
def item_list(request: HttpRequest, filters: Query[ItemFilter]) -> Any:
    require(request, Perm.INVENTORY_VIEW)
    queryset = _items()
    text = filters.q.replace("\x00", "").strip()
    if text:
        queryset = queryset.filter(Q(name__icontains=text) | Q(sku__iexact=text))
    if filters.category:
        queryset = queryset.filter(category=filters.category)
    if filters.active is not None:
        queryset = queryset.filter(is_active=filters.active)
    if filters.lot_tracked is not None:
        queryset = queryset.filter(lot_tracked=filters.lot_tracked)
    if filters.preferred_vendor_id is not None:
        queryset = queryset.filter(preferred_vendor_id=filters.preferred_vendor_id)
    return paginate(queryset.order_by("name", "pk"), filters)


@router.get("/{int:item_id}", response={200: ItemOut, **COMMON_RESPONSES}, url_name="item_detail",
            summary="One item with its packagings and vendor prices", description=f"Needs `{Perm.INVENTORY_VIEW}`.")
def item_detail(request: HttpRequest, item_id: int) -> Any:
    require(request, Perm.INVENTORY_VIEW)
    return _item(request, item_id, Perm.INVENTORY_VIEW)


@router.post("", response={201: ItemOut, **WRITE_RESPONSES}, url_name="item_create",
             summary="Add an item (with its packagings)",
             description=f"Needs `{Perm.INVENTORY_MANAGE}`. The item number is unique ignoring case. The item and "
                         "its packagings are saved together or not at all.")
def item_create(request: HttpRequest, payload: ItemIn) -> Any:
    require(request, Perm.INVENTORY_MANAGE)
    data = payload.model_dump(exclude={"preferred_vendor_id", "packagings"})
    data["preferred_vendor"] = (None if payload.preferred_vendor_id is None
                                else _vendor("preferred_vendor_id", payload.preferred_vendor_id))
    with transaction.atomic():
        item = services.item_save(actor=request.user, data=data)
        for packaging in payload.packagings:
            services.packaging_add(actor=request.user, item=item, name=packaging.name,
                                   base_quantity=packaging.base_quantity)
    return Status(201, _item(request, item.pk, Perm.INVENTORY_MANAGE))


@router.patch("/{int:item_id}", response={200: ItemOut, **WRITE_RESPONSES}, url_name="item_update",
              summary="Change an item",
              description=f"Needs `{Perm.INVENTORY_MANAGE}`. Send only the fields to change. An item that has "
                          "lots keeps tracking them (422).")
def item_update(request: HttpRequest, item_id: int, payload: ItemPatchIn) -> Any:
    require(request, Perm.INVENTORY_MANAGE)
    item = _item(request, item_id, Perm.INVENTORY_MANAGE)
    data = payload.model_dump(exclude_unset=True)
    refuse_nulls(data, ("preferred_vendor_id",))
    if "preferred_vendor_id" in data:
        vendor_id = data.pop("preferred_vendor_id")
        data["preferred_vendor"] = None if vendor_id is None else _vendor("preferred_vendor_id", vendor_id)
    services.item_save(actor=request.user, data=data, item=item)
    return _item(request, item.pk, Perm.INVENTORY_MANAGE)


@router.post("/{int:item_id}/prices", response={201: PriceOut, **WRITE_RESPONSES}, url_name="item_price_add",
             summary="Add a vendor's price for an item from a date",
             description=f"Needs `{Perm.INVENTORY_MANAGE}`. One price per vendor, packaging and start date; the "
                         "vendor's previous open-ended price for the same packaging ends the day before, so the "
                         "schedule never overlaps.")
def item_price_add(request: HttpRequest, item_id: int, payload: PriceIn) -> Any:
    require(request, Perm.INVENTORY_MANAGE)
    item = _item(request, item_id, Perm.INVENTORY_MANAGE)
    vendor = _vendor("vendor_id", payload.vendor_id)
    packaging = None
    if payload.packaging_id is not None:
        packaging = Packaging.objects.filter(pk=payload.packaging_id, item=item).first()
        if packaging is None:
            raise unknown("packaging_id", payload.packaging_id, "packaging of this item")
    contract = None
    if payload.contract_id is not None:
        contract = Contract.objects.filter(pk=payload.contract_id, vendor=vendor).first()
        if contract is None:
            raise unknown("contract_id", payload.contract_id, "contract of this vendor")
    price = services.price_add(actor=request.user, item=item, vendor=vendor, price=payload.price,
                               effective_from=payload.effective_from, packaging=packaging,
                               vendor_sku=payload.vendor_sku, contract=contract)
    return Status(201, VendorItem.objects.select_related("vendor").get(pk=price.pk))
