"""/maintenance-plans: preventive maintenance of the assets at the caller's locations: every N days, every N calendar
months, or every N units of the asset's meter, with a checklist, a priority, lead days and who does the work (a
staff member or a firm). A daily task opens each plan's work order `lead_days` before the due date (or when the
meter reaches the due reading), copies the checklist into it and moves the plan on. facilities.view at the asset's
location reads plans; facilities.manage there adds and changes them. A plan elsewhere answers 404 (audited);
refusals change nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.models import User
from openpractice.accounts.roles import Perm
from openpractice.core.web import get_scoped_or_404, require
from openpractice.facilities import selectors_assets as selectors
from openpractice.facilities.choices import IntervalUnit, Priority
from openpractice.facilities.models import Asset, MaintenancePlan, PlanChecklistItem
from openpractice.facilities.services import plans as services
from openpractice.vendors import selectors as vendor_selectors
from openpractice.vendors.models import Vendor

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate
from ..schemas.supply import VendorRefOut, refuse_nulls, unknown

router = Router(tags=["maintenance-plans"])
ID = Field(None, ge=1, le=2_147_483_647)
NULLABLE = ("next_due_on", "next_due_meter", "assignee_id", "vendor_id")


class AssetRefOut(Schema):
    id: int
    tag: str
    name: str
    location_id: int


class PlanOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 18, "asset": {"id": 64, "tag": "EQ-0064", "name": "Vaccine refrigerator", "location_id": 1},
         "title": "Annual calibration and coil cleaning", "interval": 12, "interval_unit": "months",
         "next_due_on": "2027-04-15", "next_due_meter": None, "lead_days": 30, "priority": "normal",
         "assignee_id": None, "vendor": {"id": 22, "name": "Carolina Biomedical Services"}, "is_active": True,
         "checklist": ["Check the thermometer against a reference probe", "Clean the condenser coils"],
         "created_at": "2022-04-14T15:20:00Z", "updated_at": "2026-04-16T18:00:00Z"}]}}
    id: int
    asset: AssetRefOut
    title: str
    interval: int = Field(description="Every this many `interval_unit`")
    interval_unit: str = Field(description="days, months or meter")
    next_due_on: dt.date | None = Field(description="For plans by days or months")
    next_due_meter: int | None = Field(description="For plans by meter: the reading at which it is due")
    lead_days: int = Field(description="The work order opens this many days before the due date")
    priority: str = Field(description="urgent, high, normal or low")
    assignee_id: int | None = Field(description="The staff member who does it")
    vendor: VendorRefOut | None = Field(description="The firm that does it")
    is_active: bool
    checklist: list[str]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_checklist(obj: MaintenancePlan) -> list[str]:
        return [item.text for item in obj.checklist.all()]


class PlanIn(Schema):
    asset_id: int = Field(examples=[3])
    title: str = Field(max_length=120, examples=["Yearly calibration and electrical safety check"])
    interval: int = Field(ge=1, le=32_767, examples=[12])
    interval_unit: IntervalUnit = Field(examples=[IntervalUnit.MONTHS])
    next_due_on: dt.date | None = Field(None, description="Needed for plans by days or months",
                                        examples=["2026-03-31"])
    next_due_meter: int | None = Field(None, ge=0, le=2_147_483_647, description="Needed for plans by meter")
    lead_days: int = Field(14, ge=0, le=services.MAX_LEAD_DAYS)
    priority: Priority = Priority.NORMAL
    assignee_id: int | None = Field(None, description="An active user with facilities.view at the asset's location")
    vendor_id: int | None = Field(None, description="An active vendor (not with `assignee_id`)", examples=[8])
    is_active: bool = True
    checklist: list[str] = Field(default_factory=list, max_length=services.MAX_CHECKLIST,
                                 description="The steps, in order; copied into each work order",
                                 examples=[["Check the door seal", "Calibrate the thermometer"]])


class PlanPatchIn(Schema):
    model_config = {"json_schema_extra": {"examples": [{"lead_days": 14, "is_active": True}]}}
    title: str | None = Field(None, max_length=120)
    interval: int | None = Field(None, ge=1, le=32_767)
    interval_unit: IntervalUnit | None = None
    next_due_on: dt.date | None = None
    next_due_meter: int | None = Field(None, ge=0, le=2_147_483_647)
    lead_days: int | None = Field(None, ge=0, le=services.MAX_LEAD_DAYS)
    priority: Priority | None = None
    assignee_id: int | None = Field(None, description="null: nobody")
    vendor_id: int | None = Field(None, description="null: no firm")
    is_active: bool | None = None
    checklist: list[str] | None = Field(None, max_length=services.MAX_CHECKLIST, description="Replaces the steps")


class PlanFilter(PageIn):
    asset_id: int | None = ID
    location_id: int | None = ID
    interval_unit: IntervalUnit | None = None
    active: bool | None = None
    due_before: dt.date | None = Field(None, description="Plans by date due on or before this day")


def _plans(request: HttpRequest, permission: str = Perm.FACILITIES_VIEW) -> QuerySet[MaintenancePlan]:
    return selectors.plans_visible(actor=request.user, permission=permission).prefetch_related(
        Prefetch("checklist", queryset=PlanChecklistItem.objects.order_by("position", "pk")))


def _plan(request: HttpRequest, plan_id: int, permission: str) -> MaintenancePlan:
    return get_scoped_or_404(request, _plans(request, permission), permission=permission, pk=plan_id)


def _asset(request: HttpRequest, asset_id: int) -> Asset:
    """An asset the caller sees (an unknown one and one elsewhere get the same answer)."""
    found = selectors.assets_visible(actor=request.user).filter(pk=asset_id).first()
    if found is None:
        raise unknown("asset_id", asset_id, "asset")
    return found


def _references(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    if "assignee_id" in data:
        user_id = data.pop("assignee_id")
        assignee = None if user_id is None else User.objects.filter(pk=user_id, is_active=True).first()
        if user_id is not None and assignee is None:
            raise unknown("assignee_id", user_id, "active user")
        data["assignee"] = assignee
    if "vendor_id" in data:
        vendor_id = data.pop("vendor_id")
        vendor: Vendor | None = None
        if vendor_id is not None:
            vendor = vendor_selectors.vendors_visible(actor=request.user).filter(pk=vendor_id).first()
            if vendor is None:
                raise unknown("vendor_id", vendor_id, "vendor")
        data["vendor"] = vendor
    return data


@router.get("", response={200: Page[PlanOut], **COMMON_RESPONSES}, url_name="maintenance_plan_list",
            summary="Preventive maintenance plans at your locations",
            description=f"Needs `{Perm.FACILITIES_VIEW}`; the plans of the assets at the locations where you hold "
                        "it. Soonest due first.")
def plan_list(request: HttpRequest, filters: Query[PlanFilter]) -> Any:
    require(request, Perm.FACILITIES_VIEW)
    queryset = _plans(request)
    if filters.asset_id is not None:
        queryset = queryset.filter(asset_id=filters.asset_id)
    if filters.location_id is not None:
        queryset = queryset.filter(asset__location_id=filters.location_id)
    if filters.interval_unit:
        queryset = queryset.filter(interval_unit=filters.interval_unit)
    if filters.active is not None:
        queryset = queryset.filter(is_active=filters.active)
    if filters.due_before is not None:
        queryset = queryset.filter(next_due_on__lte=filters.due_before)
    return paginate(queryset.order_by("next_due_on", "next_due_meter", "pk"), filters)


@router.get("/{int:plan_id}", response={200: PlanOut, **COMMON_RESPONSES}, url_name="maintenance_plan_detail",
            summary="One plan with its checklist",
            description=f"Needs `{Perm.FACILITIES_VIEW}` at the asset's location.")
def plan_detail(request: HttpRequest, plan_id: int) -> Any:
    require(request, Perm.FACILITIES_VIEW)
    return _plan(request, plan_id, Perm.FACILITIES_VIEW)


@router.post("", response={201: PlanOut, **WRITE_RESPONSES}, url_name="maintenance_plan_create",
             summary="Add a maintenance plan to an asset",
             description=f"Needs `{Perm.FACILITIES_MANAGE}` at the asset's location. A plan by days or months needs "
                         "`next_due_on`; a plan by meter needs `next_due_meter`. Assign it to a person or a firm, not "
                         "both.")
def plan_create(request: HttpRequest, payload: PlanIn) -> Any:
    require(request, Perm.FACILITIES_MANAGE)
    data = _references(request, payload.model_dump(exclude={"asset_id", "checklist"}))
    asset = _asset(request, payload.asset_id)
    plan = services.plan_create(actor=request.user, asset=asset, data=data, checklist=payload.checklist)
    return Status(201, _plan(request, plan.pk, Perm.FACILITIES_MANAGE))


@router.patch("/{int:plan_id}", response={200: PlanOut, **WRITE_RESPONSES}, url_name="maintenance_plan_update",
              summary="Change a maintenance plan",
              description=f"Needs `{Perm.FACILITIES_MANAGE}` at the asset's location. Send only the fields to change; "
                          "`checklist` replaces the steps (work orders already open keep theirs).")
def plan_update(request: HttpRequest, plan_id: int, payload: PlanPatchIn) -> Any:
    require(request, Perm.FACILITIES_MANAGE)
    plan = _plan(request, plan_id, Perm.FACILITIES_MANAGE)
    data = payload.model_dump(exclude_unset=True)
    refuse_nulls(data, NULLABLE)
    checklist = data.pop("checklist", None)
    services.plan_update(actor=request.user, plan=plan, data=_references(request, data), checklist=checklist)
    return _plan(request, plan.pk, Perm.FACILITIES_VIEW)
