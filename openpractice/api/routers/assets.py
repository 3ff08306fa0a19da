"""/assets: the practice's appliances and equipment (refrigerators, freezers, autoclaves, exam tables, HVAC, copiers
…) at the caller's locations: facilities.view there lists and reads them; facilities.manage there adds and changes
them, puts them out of service or retires them (retiring stops their maintenance plans) and records their meter.
Tags are unique ignoring case. Documents, QR labels and work orders stay in the web interface. An asset at another
location answers 404 (audited); refusals change nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.roles import Perm
from openpractice.core.models import Location
from openpractice.core.web import get_scoped_or_404, require
from openpractice.facilities import selectors_assets as selectors
from openpractice.facilities.choices import AssetKind, AssetStatus
from openpractice.facilities.models import Asset
from openpractice.facilities.services import assets as services
from openpractice.vendors import selectors as vendor_selectors
from openpractice.vendors.models import Vendor

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate
from ..schemas.supply import VendorRefOut, refuse_nulls, unknown

router = Router(tags=["assets"])
ID = Field(None, ge=1, le=2_147_483_647)
NULLABLE = ("purchased_on", "purchase_cost", "warranty_ends_on", "service_vendor_id")


class AssetOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 64, "tag": "EQ-0064", "name": "Vaccine refrigerator", "kind": "refrigerator", "location_id": 1,
         "room": "Lab", "manufacturer": "Helmer", "model_number": "HPR120", "serial_number": "H120-2231874",
         "purchased_on": "2022-04-12", "purchase_cost": "6840.00", "warranty_ends_on": "2027-04-11",
         "service_vendor": {"id": 22, "name": "Carolina Biomedical Services"}, "status": "in_service",
         "meter_reading": 0, "meter_unit": "", "notes": "", "created_at": "2022-04-14T15:10:00Z",
         "updated_at": "2026-11-17T20:45:00Z"}]}}
    id: int
    tag: str = Field(description="The number on the label, unique ignoring case")
    name: str
    kind: str = Field(description="refrigerator, freezer, autoclave, exam_table, hvac, copier, computer, "
                                  "medical_device, safety, furniture or other")
    location_id: int
    room: str
    manufacturer: str
    model_number: str
    serial_number: str
    purchased_on: dt.date | None
    purchase_cost: Decimal | None
    warranty_ends_on: dt.date | None
    service_vendor: VendorRefOut | None = Field(description="The firm that services it")
    status: str = Field(description="in_service, out_of_service or retired")
    meter_reading: int = Field(description="Cycles, copies or hours, for plans by meter")
    meter_unit: str
    notes: str
    created_at: dt.datetime
    updated_at: dt.datetime


class AssetIn(Schema):
    tag: str = Field(max_length=20, examples=["A-0042"])
    name: str = Field(max_length=120, examples=["Vaccine refrigerator"])
    kind: AssetKind = Field(examples=[AssetKind.REFRIGERATOR])
    location_id: int = Field(examples=[1])
    room: str = Field("", max_length=60, examples=["Lab"])
    manufacturer: str = Field("", max_length=80, examples=["Helmer Scientific"])
    model_number: str = Field("", max_length=80, examples=["iPR120"])
    serial_number: str = Field("", max_length=80, examples=["HS-2291844"])
    purchased_on: dt.date | None = Field(None, examples=["2023-04-12"])
    purchase_cost: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2, examples=["6850.00"])
    warranty_ends_on: dt.date | None = Field(None, examples=["2026-04-11"])
    service_vendor_id: int | None = Field(None, description="An active vendor", examples=[8])
    meter_unit: str = Field("", max_length=20, description="What the meter counts; empty: no meter",
                            examples=["cycles"])
    notes: str = ""


class AssetPatchIn(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"room": "Exam 3", "notes": "Moved from exam 2 after the remodel"}]}}
    tag: str | None = Field(None, max_length=20)
    name: str | None = Field(None, max_length=120)
    kind: AssetKind | None = None
    location_id: int | None = Field(None, description="Moving it needs facilities.manage at both locations")
    room: str | None = Field(None, max_length=60)
    manufacturer: str | None = Field(None, max_length=80)
    model_number: str | None = Field(None, max_length=80)
    serial_number: str | None = Field(None, max_length=80)
    purchased_on: dt.date | None = None
    purchase_cost: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    warranty_ends_on: dt.date | None = None
    service_vendor_id: int | None = Field(None, description="null: none")
    meter_unit: str | None = Field(None, max_length=20)
    notes: str | None = None
    status: AssetStatus | None = Field(None, description="Retiring stops its maintenance plans; a retired asset "
                                                         "stays retired")
    status_reason: str = Field("", max_length=150, description="Why the status changed (kept in the audit trail)")
    meter_reading: int | None = Field(None, ge=0, le=2_147_483_647, description="Never below the last reading")


class AssetFilter(PageIn):
    q: str = Field("", max_length=100, description="Part of the tag, name, room or serial number")
    location_id: int | None = ID
    kind: AssetKind | None = None
    status: AssetStatus | None = Field(None, description="Default: every status")


def _asset(request: HttpRequest, asset_id: int, permission: str) -> Asset:
    return get_scoped_or_404(request, selectors.assets_visible(actor=request.user, permission=permission),
                             permission=permission, pk=asset_id)


def _location(location_id: int) -> Location:
    found = Location.objects.filter(pk=location_id).first()
    if found is None:
        raise unknown("location_id", location_id, "location")
    return found


def _vendor(request: HttpRequest, vendor_id: int) -> Vendor:
    found = vendor_selectors.vendors_visible(actor=request.user).filter(pk=vendor_id).first()
    if found is None:
        raise unknown("service_vendor_id", vendor_id, "vendor")
    return found


def _references(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    if "location_id" in data:
        data["location"] = _location(data.pop("location_id"))
    if "service_vendor_id" in data:
        vendor_id = data.pop("service_vendor_id")
        data["service_vendor"] = None if vendor_id is None else _vendor(request, vendor_id)
    return data


@router.get("", response={200: Page[AssetOut], **COMMON_RESPONSES}, url_name="asset_list",
            summary="Equipment at your locations",
            description=f"Needs `{Perm.FACILITIES_VIEW}`; the assets at the locations where you hold it. By location "
                        "and name.")
def asset_list(request: HttpRequest, filters: Query[AssetFilter]) -> Any:
    require(request, Perm.FACILITIES_VIEW)
    queryset = selectors.assets_visible(actor=request.user)
    text = filters.q.replace("\x00", "").strip()
    if text:
        queryset = queryset.filter(Q(tag__icontains=text) | Q(name__icontains=text) | Q(room__icontains=text)
                                   | Q(serial_number__icontains=text))
    if filters.location_id is not None:
        queryset = queryset.filter(location_id=filters.location_id)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    return paginate(queryset.order_by("location__name", "name", "tag", "pk"), filters)


@router.get("/{int:asset_id}", response={200: AssetOut, **COMMON_RESPONSES}, url_name="asset_detail",
            summary="One asset", description=f"Needs `{Perm.FACILITIES_VIEW}` at the asset's location.")
def asset_detail(request: HttpRequest, asset_id: int) -> Any:
    require(request, Perm.FACILITIES_VIEW)
    return _asset(request, asset_id, Perm.FACILITIES_VIEW)


@router.post("", response={201: AssetOut, **WRITE_RESPONSES}, url_name="asset_create",
             summary="Add an asset",
             description=f"Needs `{Perm.FACILITIES_MANAGE}` at the asset's location. The tag is unique ignoring case "
                         "(and stored in capitals).")
def asset_create(request: HttpRequest, payload: AssetIn) -> Any:
    require(request, Perm.FACILITIES_MANAGE)
    data = _references(request, payload.model_dump())
    require(request, Perm.FACILITIES_MANAGE, location=data["location"].pk)
    asset = services.asset_create(actor=request.user, data=data)
    return Status(201, _asset(request, asset.pk, Perm.FACILITIES_MANAGE))


@router.patch("/{int:asset_id}", response={200: AssetOut, **WRITE_RESPONSES}, url_name="asset_update",
              summary="Change an asset, its status or its meter",
              description=f"Needs `{Perm.FACILITIES_MANAGE}` at the asset's location (and at the new one when it "
                          "moves). Send only the fields to change; all of them change together or none does. The "
                          "audit trail names the fields changed, never their values.")
def asset_update(request: HttpRequest, asset_id: int, payload: AssetPatchIn) -> Any:
    require(request, Perm.FACILITIES_MANAGE)
    asset = _asset(request, asset_id, Perm.FACILITIES_MANAGE)
    data = payload.model_dump(exclude_unset=True)
    refuse_nulls({name: value for name, value in data.items() if name != "status_reason"}, NULLABLE)
    status, reason = data.pop("status", None), data.pop("status_reason", "")
    reading = data.pop("meter_reading", None)
    data = _references(request, data)
    # Every permission is settled (and a refusal audited) before the transaction below.
    if "location" in data:
        require(request, Perm.FACILITIES_MANAGE, location=data["location"].pk)
    with transaction.atomic():
        if data:
            asset = services.asset_update(actor=request.user, asset=asset, data=data)
        if reading is not None:
            try:
                asset = services.asset_meter_record(actor=request.user, asset=asset, reading=reading)
            except ValidationError as exc:  # the service names its argument; the API names its field
                raise ValidationError({"meter_reading": exc.messages}) from exc
        if status is not None:
            services.asset_status_set(actor=request.user, asset=asset, status=status, reason=reason)
    return _asset(request, asset_id, Perm.FACILITIES_VIEW)
