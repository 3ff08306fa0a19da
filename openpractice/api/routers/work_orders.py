"""/work-orders: facilities work orders at the caller's locations (facilities.view there): reported problems,
preventive maintenance, cleaning and safety findings, with their SLA times, assignment, costs, checklist and
timeline. Anyone signed in reports a problem at a location they work at (no photo here: the web form takes one).
A PATCH triages and assigns (facilities.manage at the location) or moves the status on (the assignee or a
manager); verifying takes a manager and ends the firm's links. Dispatching to a firm by email and the firm's link
stay in the web interface. A work order elsewhere answers 404 (audited); refusals change nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.models import User
from openpractice.accounts.roles import Perm
from openpractice.core.web import get_scoped_or_404, require
from openpractice.facilities import selectors_work_orders as selectors
from openpractice.facilities.choices import Priority, WorkOrderSource, WorkOrderStatus
from openpractice.facilities.models import WorkOrder, WorkOrderEvent
from openpractice.facilities.services import work_orders as services
from openpractice.vendors.models import Vendor

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate
from ..schemas.supply import VendorRefOut, refuse_nulls, unknown

router = Router(tags=["work-orders"])
MAX_ID = 2_147_483_647


class WorkOrderAssetOut(Schema):
    id: int
    tag: str
    name: str


class WorkOrderOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 219, "number": "WO-2026-0219", "title": "Vaccine refrigerator not holding temperature",
         "description": "Morning log read 9.4 °C; vaccines moved to the backup unit.", "location_id": 1, "room": "Lab",
         "asset": {"id": 64, "tag": "EQ-0064", "name": "Vaccine refrigerator"}, "source": "safety",
         "priority": "urgent", "status": "done", "asset_down": True, "reported_by_id": 31, "assigned_to_id": 3,
         "vendor": {"id": 22, "name": "Carolina Biomedical Services"}, "respond_by": "2026-11-17T17:05:00Z",
         "resolve_by": "2026-11-18T13:05:00Z", "overdue": False, "scheduled_for": "2026-11-17T19:00:00Z",
         "dispatched_at": "2026-11-17T14:20:00Z", "responded_at": "2026-11-17T15:10:00Z",
         "completed_at": "2026-11-17T20:45:00Z", "verified_at": None, "verified_by_id": None, "escalated_at": None,
         "created_at": "2026-11-17T13:05:00Z", "updated_at": "2026-11-17T20:45:00Z"}]}}
    id: int
    number: str = Field(description="WO-00042")
    title: str
    description: str
    location_id: int
    room: str
    asset: WorkOrderAssetOut | None
    source: str = Field(description="reported, preventive, cleaning or safety")
    priority: str = Field(description="urgent, high, normal or low")
    status: str = Field(description="new, scheduled, in_progress, waiting_parts, done, verified or cancelled")
    asset_down: bool = Field(description="Reported as out of service")
    reported_by_id: int | None
    assigned_to_id: int | None = Field(description="The staff member working it")
    vendor: VendorRefOut | None = Field(description="The firm working it")
    respond_by: dt.datetime | None
    resolve_by: dt.datetime | None
    overdue: bool = Field(description="Open and past respond_by without a response, or past resolve_by")
    scheduled_for: dt.datetime | None
    dispatched_at: dt.datetime | None = Field(description="First sent to the firm")
    responded_at: dt.datetime | None = Field(description="First response of whoever works it")
    completed_at: dt.datetime | None
    verified_at: dt.datetime | None
    verified_by_id: int | None
    escalated_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_overdue(obj: WorkOrder) -> bool:
        return obj.status in services.OPEN_STATUSES and selectors.sla_state(obj, timezone.now()).overdue


class CostOut(Schema):
    id: int
    kind: str = Field(description="labour, parts or vendor_invoice")
    description: str
    hours: Decimal | None
    amount: Decimal
    invoice_number: str
    via_vendor_link: bool = Field(description="Entered by the firm through its link")
    recorded_by_id: int | None
    recorded_at: dt.datetime


class ChecklistItemOut(Schema):
    id: int
    position: int
    text: str
    done: bool
    done_at: dt.datetime | None


class EventOut(Schema):
    at: dt.datetime
    kind: str = Field(description="created, triaged, assigned, dispatched, status, note, cost, photo, checklist, "
                                  "link_revoked, verified, escalated …")
    actor_id: int | None
    by_vendor_id: int | None = Field(description="Set when the firm did it through its link")
    status_from: str
    status_to: str
    note: str


class WorkOrderDetailOut(WorkOrderOut):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 219, "number": "WO-2026-0219", "title": "Vaccine refrigerator not holding temperature",
         "description": "Morning log read 9.4 °C; vaccines moved to the backup unit.", "location_id": 1, "room": "Lab",
         "asset": {"id": 64, "tag": "EQ-0064", "name": "Vaccine refrigerator"}, "source": "safety",
         "priority": "urgent", "status": "done", "asset_down": True, "reported_by_id": 31, "assigned_to_id": 3,
         "vendor": {"id": 22, "name": "Carolina Biomedical Services"}, "respond_by": "2026-11-17T17:05:00Z",
         "resolve_by": "2026-11-18T13:05:00Z", "overdue": False, "scheduled_for": "2026-11-17T19:00:00Z",
         "dispatched_at": "2026-11-17T14:20:00Z", "responded_at": "2026-11-17T15:10:00Z",
         "completed_at": "2026-11-17T20:45:00Z", "verified_at": None, "verified_by_id": None, "escalated_at": None,
         "created_at": "2026-11-17T13:05:00Z", "updated_at": "2026-11-17T20:45:00Z",
         "costs": [{"id": 140, "kind": "vendor_invoice", "description": "Service call and door gasket", "hours": None, "amount": "285.00", "invoice_number": "CBS-10442", "via_vendor_link": True, "recorded_by_id": None, "recorded_at": "2026-11-17T20:45:00Z"}],
         "checklist": [{"id": 501, "position": 1, "text": "Temperature back in 2–8 °C for 2 hours", "done": True, "done_at": "2026-11-17T20:40:00Z"}],
         "photo_ids": [],
         "events": [{"at": "2026-11-17T14:20:00Z", "kind": "dispatched", "actor_id": 3, "by_vendor_id": None, "status_from": "new", "status_to": "scheduled", "note": ""}, {"at": "2026-11-17T20:45:00Z", "kind": "status", "actor_id": None, "by_vendor_id": 22, "status_from": "in_progress", "status_to": "done", "note": "Gasket replaced"}]}]}}
    costs: list[CostOut]
    checklist: list[ChecklistItemOut]
    photo_ids: list[int] = Field(description="Photos (open them in the web interface)")
    events: list[EventOut]

    @staticmethod
    def resolve_costs(obj: WorkOrder) -> list[Any]:
        return list(obj.costs.all())

    @staticmethod
    def resolve_checklist(obj: WorkOrder) -> list[Any]:
        return list(obj.checklist.all())

    @staticmethod
    def resolve_photo_ids(obj: WorkOrder) -> list[int]:
        return [photo.pk for photo in obj.photos.all()]

    @staticmethod
    def resolve_events(obj: WorkOrder) -> list[Any]:
        return list(obj.events.all())


class ProblemIn(Schema):
    location_id: int = Field(ge=1, le=MAX_ID, description="A location you work at", examples=[2])
    title: str = Field(min_length=1, max_length=160, examples=["Vaccine fridge reads 12 °C"])
    description: str = Field("", max_length=services.NOTE_MAX_CHARS,
                             description="No patient information: a maintenance firm may read it")
    room: str = Field("", max_length=60, examples=["Lab"])
    asset_id: int | None = Field(None, ge=1, le=MAX_ID, description="Equipment at that location")
    asset_down: bool = Field(False, description="The equipment is out of service (the priority becomes high)")


class WorkOrderPatchIn(Schema):
    model_config = {"json_schema_extra": {"examples": [{"assigned_to_id": 9, "note": "Vendor confirmed the visit"}]}}
    priority: Priority | None = Field(None, description=f"Needs `{Perm.FACILITIES_MANAGE}`; restarts the SLA")
    assigned_to_id: int | None = Field(None, ge=1, le=MAX_ID, description="A staff member with facilities "
                                       "access at the location; null: nobody")
    vendor_id: int | None = Field(None, ge=1, le=MAX_ID, description="A firm (not with assigned_to_id); null: none")
    scheduled_for: dt.datetime | None = Field(None, description="null clears it")
    status: WorkOrderStatus | None = Field(None, description="The next status (see the transitions); verified "
                                                             f"and cancelled need `{Perm.FACILITIES_MANAGE}`")
    note: str = Field("", max_length=services.NOTE_MAX_CHARS, description="Goes with the status change, or alone")


class WorkOrderFilter(PageIn):
    q: str = Field("", max_length=100, description="Part of the problem or the room")
    status: WorkOrderStatus | None = None
    open: bool = Field(False, description="New, scheduled, in progress or waiting for parts only")
    priority: Priority | None = None
    source: WorkOrderSource | None = None
    location_id: int | None = Field(None, ge=1, le=MAX_ID)
    asset_id: int | None = Field(None, ge=1, le=MAX_ID)
    assigned_to_id: int | None = Field(None, ge=1, le=MAX_ID)
    vendor_id: int | None = Field(None, ge=1, le=MAX_ID)
    overdue: bool = Field(False, description="Open and past its SLA now")


_NULLABLE = ("assigned_to_id", "vendor_id", "scheduled_for")


def _work_orders(actor: Any, *, detail: bool = False) -> QuerySet[WorkOrder]:
    queryset = selectors.work_orders_visible(actor=actor)
    if detail:
        queryset = queryset.prefetch_related(
            "costs", "checklist", "photos",
            Prefetch("events", queryset=WorkOrderEvent.objects.order_by("at", "pk")))
    return queryset


def _work_order(request: HttpRequest, work_order_id: int) -> WorkOrder:
    return get_scoped_or_404(request, _work_orders(request.user, detail=True), permission=Perm.FACILITIES_VIEW,
                             pk=work_order_id)


@router.get("", response={200: Page[WorkOrderOut], **COMMON_RESPONSES}, url_name="work_order_list",
            summary="Work orders at your locations",
            description=f"Needs `{Perm.FACILITIES_VIEW}`; the work orders at the locations where you hold it, newest "
                        "first. The filters take the listed values only (anything else: 422).")
def work_order_list(request: HttpRequest, filters: Query[WorkOrderFilter]) -> Any:
    require(request, Perm.FACILITIES_VIEW)
    queryset = selectors.work_order_rows(actor=request.user, status=filters.status or ("open" if filters.open
                                                                                        else ""),
                                         priority=filters.priority or "", location_id=filters.location_id,
                                         vendor_id=filters.vendor_id, overdue=filters.overdue)
    text = filters.q.replace("\x00", "").strip()
    if text:
        queryset = queryset.filter(Q(title__icontains=text) | Q(room__icontains=text))
    if filters.source:
        queryset = queryset.filter(source=filters.source)
    if filters.asset_id is not None:
        queryset = queryset.filter(asset_id=filters.asset_id)
    if filters.assigned_to_id is not None:
        queryset = queryset.filter(assigned_to_id=filters.assigned_to_id)
    return paginate(queryset.order_by("-created_at", "-pk"), filters)


@router.get("/{int:work_order_id}", response={200: WorkOrderDetailOut, **COMMON_RESPONSES},
            url_name="work_order_detail", summary="One work order with its costs, checklist and timeline",
            description=f"Needs `{Perm.FACILITIES_VIEW}` at the work order's location.")
def work_order_detail(request: HttpRequest, work_order_id: int) -> Any:
    require(request, Perm.FACILITIES_VIEW)
    return _work_order(request, work_order_id)


@router.post("", response={201: WorkOrderOut, **WRITE_RESPONSES}, url_name="work_order_create",
             summary="Report a problem",
             description="Anyone signed in, at a location one of their roles reaches (another location: 422, as if "
                         "it did not exist). Equipment must be at that location. The SLA times come from the "
                         "priority: normal, or high when the equipment is out of service.")
def work_order_create(request: HttpRequest, payload: ProblemIn) -> Any:
    location = selectors.report_locations(actor=request.user).filter(pk=payload.location_id).first()
    if location is None:
        raise unknown("location_id", payload.location_id, "location")
    asset = None
    if payload.asset_id is not None:
        asset = selectors.report_assets(actor=request.user).filter(pk=payload.asset_id).first()
        if asset is None:
            raise unknown("asset_id", payload.asset_id, "piece of equipment")
    work_order = services.problem_report(actor=request.user, location=location, title=payload.title,
                                         description=payload.description, room=payload.room, asset=asset,
                                         asset_down=payload.asset_down)
    return Status(201, WorkOrder.objects.select_related("asset", "vendor").get(pk=work_order.pk))


@router.patch("/{int:work_order_id}", response={200: WorkOrderDetailOut, **WRITE_RESPONSES},
              url_name="work_order_update", summary="Triage, assign or move a work order on",
              description=f"`priority`, `assigned_to_id`, `vendor_id` and `scheduled_for` need "
                          f"`{Perm.FACILITIES_MANAGE}` at the location; `status` needs the assignee or a manager. "
                          "All or nothing. Statuses: new → scheduled / in_progress / cancelled; scheduled, "
                          "in_progress, waiting_parts → each other, done or cancelled; done → verified or back to "
                          "in_progress.")
def work_order_update(request: HttpRequest, work_order_id: int, payload: WorkOrderPatchIn) -> Any:
    require(request, Perm.FACILITIES_VIEW)
    work_order = _work_order(request, work_order_id)
    data = payload.model_dump(exclude_unset=True)
    refuse_nulls({key: value for key, value in data.items() if key != "note"}, _NULLABLE)
    changes: dict[str, Any] = {}
    if "priority" in data:
        changes["priority"] = data["priority"]
    if "assigned_to_id" in data:
        changes["assignee"] = None
        if data["assigned_to_id"] is not None:
            changes["assignee"] = User.objects.filter(pk=data["assigned_to_id"], is_active=True).first()
            if changes["assignee"] is None:
                raise unknown("assigned_to_id", data["assigned_to_id"], "active user")
    if "vendor_id" in data:
        changes["vendor"] = None
        if data["vendor_id"] is not None:
            changes["vendor"] = Vendor.objects.filter(pk=data["vendor_id"]).first()
            if changes["vendor"] is None:
                raise unknown("vendor_id", data["vendor_id"], "firm")
    if "scheduled_for" in data:
        changes["scheduled_for"] = data["scheduled_for"]
    if "status" in data:
        changes["status"] = data["status"]
    services.work_order_change(actor=request.user, work_order=work_order, note=data.get("note", ""), **changes)
    return _work_order(request, work_order.pk)
