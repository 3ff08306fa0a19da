"""Work order reads: the queue (facilities.view at the work order's location), one work order with its timeline,
costs, photos, checklist and firm links, the reporter's own reports, what a form offers, and the two reports
(downtime per asset, firms' response times). Lists cost the same queries however many rows they have.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.accounts.permissions import location_ids_where, locations_where, reachable_location_ids
from openpractice.accounts.roles import Perm
from openpractice.core.models import Location
from openpractice.vendors.models import Vendor

from .choices import AssetStatus, WorkOrderStatus
from .models import (
    Asset,
    VendorLink,
    WorkOrder,
    WorkOrderChecklistItem,
    WorkOrderCost,
    WorkOrderEvent,
    WorkOrderPhoto,
)
from .services.work_orders import OPEN_STATUSES, holders_at, overdue_condition

ASSIGNEE_FILTERS = ("me", "none", "staff", "firm")


def _scoped(queryset: QuerySet[Any], actor: Any, permission: str, path: str) -> QuerySet[Any]:
    ids = location_ids_where(actor, permission)
    if ids is None:
        return queryset
    return queryset.filter(**{f"{path}__in": ids})


def work_orders_visible(*, actor: Any, permission: str = Perm.FACILITIES_VIEW) -> QuerySet[WorkOrder]:
    """Work orders at the locations where the actor holds `permission`."""
    return _scoped(WorkOrder.objects.select_related("location", "asset", "assigned_to", "vendor", "reported_by"),
                   actor, permission, "location_id")


def work_order_rows(*, actor: Any, status: str = "", priority: str = "", location_id: int | None = None,
                    assignee: str = "", vendor_id: int | None = None, overdue: bool = False,
                    now: dt.datetime | None = None) -> QuerySet[WorkOrder]:
    """The queue with its filters. `status` "open" means not done, verified or cancelled; `assignee` is one of
    ASSIGNEE_FILTERS; `overdue`: open and past its SLA at `now`."""
    queryset = work_orders_visible(actor=actor)
    if status == "open":
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    elif status:
        queryset = queryset.filter(status=status)
    if priority:
        queryset = queryset.filter(priority=priority)
    if location_id is not None:
        queryset = queryset.filter(location_id=location_id)
    if assignee == "me":
        queryset = queryset.filter(assigned_to_id=getattr(actor, "pk", None))
    elif assignee == "none":
        queryset = queryset.filter(assigned_to__isnull=True, vendor__isnull=True)
    elif assignee == "staff":
        queryset = queryset.filter(assigned_to__isnull=False)
    elif assignee == "firm":
        queryset = queryset.filter(vendor__isnull=False)
    if vendor_id is not None:
        queryset = queryset.filter(vendor_id=vendor_id)
    if overdue:
        queryset = queryset.filter(overdue_condition(now or timezone.now()))
    return queryset


@dataclass(frozen=True)
class SlaState:
    respond_late: bool
    resolve_late: bool

    @property
    def overdue(self) -> bool:
        return self.respond_late or self.resolve_late


def sla_state(work_order: WorkOrder, now: dt.datetime) -> SlaState:
    """Late to respond (no response yet and past `respond_by`), late to resolve (not done by `resolve_by`); a
    finished work order is measured at its completion."""
    if work_order.status == WorkOrderStatus.CANCELLED:
        return SlaState(False, False)
    responded = work_order.responded_at or (now if work_order.status in OPEN_STATUSES else work_order.completed_at)
    finished = work_order.completed_at if work_order.status not in OPEN_STATUSES else now
    respond_late = bool(work_order.respond_by and responded and responded > work_order.respond_by)
    resolve_late = bool(work_order.resolve_by and finished and finished > work_order.resolve_by)
    return SlaState(respond_late=respond_late, resolve_late=resolve_late)


def work_order_filter_choices(*, actor: Any) -> dict[str, Any]:
    """The queue's filter menus: the locations the actor sees work orders at, and the firms that have some."""
    locations = list(locations_where(actor, Perm.FACILITIES_VIEW).order_by("name", "pk"))
    vendor_ids = work_orders_visible(actor=actor).filter(vendor__isnull=False).values("vendor_id")
    vendors = list(Vendor.objects.filter(pk__in=vendor_ids).order_by("name", "pk").values_list("pk", "name"))
    return {"locations": locations, "vendors": vendors}


def my_reports(*, actor: Any) -> QuerySet[WorkOrder]:
    """What the actor reported (only their own), wherever it is."""
    return WorkOrder.objects.filter(reported_by_id=getattr(actor, "pk", None)).select_related("location", "asset")


@dataclass
class WorkOrderPage:
    events: list[WorkOrderEvent]
    costs: list[WorkOrderCost]
    photos: list[WorkOrderPhoto]
    checklist: list[WorkOrderChecklistItem]
    links: list[VendorLink]
    cost_total: Decimal = Decimal("0.00")
    cost_by_kind: dict[str, Decimal] = field(default_factory=dict)


def _labelled(events: list[WorkOrderEvent]) -> list[WorkOrderEvent]:
    """Each event with `from_label` / `to_label`: the statuses as people read them."""
    labels = dict(WorkOrderStatus.choices)
    for event in events:
        event.from_label = labels.get(event.status_from, event.status_from)  # type: ignore[attr-defined]
        event.to_label = labels.get(event.status_to, event.status_to)  # type: ignore[attr-defined]
    return events


def work_order_page(work_order: WorkOrder) -> WorkOrderPage:
    events = _labelled(list(work_order.events.select_related("actor", "by_vendor").order_by("at", "pk")))
    costs = list(work_order.costs.select_related("recorded_by").order_by("recorded_at", "pk"))
    by_kind: dict[str, Decimal] = {}
    for cost in costs:
        by_kind[cost.get_kind_display()] = by_kind.get(cost.get_kind_display(), Decimal("0.00")) + cost.amount
    return WorkOrderPage(
        events=events, costs=costs,
        photos=list(work_order.photos.select_related("uploaded_by").order_by("uploaded_at", "pk")),
        checklist=list(work_order.checklist.order_by("position", "pk")),
        links=list(work_order.vendor_links.select_related("vendor", "created_by").order_by("-created_at", "-pk")),
        cost_total=sum((cost.amount for cost in costs), Decimal("0.00")), cost_by_kind=by_kind)


def photo_scoped(*, actor: Any) -> QuerySet[WorkOrderPhoto]:
    return _scoped(WorkOrderPhoto.objects.select_related("work_order"), actor, Perm.FACILITIES_VIEW,
                   "work_order__location_id")


def checklist_scoped(*, actor: Any) -> QuerySet[WorkOrderChecklistItem]:
    return _scoped(WorkOrderChecklistItem.objects.select_related("work_order"), actor, Perm.FACILITIES_VIEW,
                   "work_order__location_id")


# --- what the forms offer --------------------------------------------------------------------------------------


def report_locations(*, actor: Any) -> QuerySet[Location]:
    """Where the actor may report a problem: any active location one of their roles reaches."""
    ids = reachable_location_ids(actor)
    queryset = Location.objects.filter(is_active=True).order_by("name", "pk")
    return queryset if ids is None else queryset.filter(pk__in=ids)


def report_assets(*, actor: Any) -> QuerySet[Asset]:
    """Equipment that may be named in a report: not retired, at a location the actor reaches."""
    return Asset.objects.filter(location__in=report_locations(actor=actor)).exclude(
        status=AssetStatus.RETIRED).select_related("location").order_by("location__name", "name", "tag")


def assignee_choices(work_order: WorkOrder) -> list[User]:
    """Staff who may take the work order: active, with facilities access at its location."""
    return holders_at(Perm.FACILITIES_VIEW, work_order.location_id)


def firm_choices(*, include: Vendor | None = None) -> QuerySet[Vendor]:
    """Active firms (and the one already assigned)."""
    condition = Q(is_active=True)
    if include is not None:
        condition |= Q(pk=include.pk)
    return Vendor.objects.filter(condition).order_by("name", "pk")


def firm_address(vendor: Vendor | None) -> str:
    """Where a work order goes by default: the firm's primary contact, else its order address."""
    if vendor is None:
        return ""
    contact = vendor.contacts.filter(is_active=True, is_primary=True).exclude(email="").first()
    return contact.email if contact else vendor.order_email


# --- reports ---------------------------------------------------------------------------------------------------


def _hours(delta: dt.timedelta) -> float:
    return round(delta.total_seconds() / 3600, 1)


@dataclass
class DowntimeRow:
    asset: Asset
    work_orders: int = 0
    still_down: int = 0
    hours: float = 0.0


def downtime_by_asset(*, actor: Any, start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None,
                      location_id: int | None = None) -> list[DowntimeRow]:
    """Equipment reported out of service in [start, end): per asset, how many times and how long it was down
    (opened -> completed, or until now while still open), longest first. One query."""
    now = now or timezone.now()
    queryset = work_orders_visible(actor=actor).filter(asset_down=True, asset__isnull=False, created_at__gte=start,
                                                       created_at__lt=end).exclude(status=WorkOrderStatus.CANCELLED)
    if location_id is not None:
        queryset = queryset.filter(location_id=location_id)
    rows: dict[int, DowntimeRow] = {}
    for work_order in queryset.order_by("pk"):
        assert work_order.asset is not None
        row = rows.setdefault(work_order.asset.pk, DowntimeRow(asset=work_order.asset))
        row.work_orders += 1
        until = work_order.completed_at or now
        if work_order.completed_at is None:
            row.still_down += 1
        row.hours = round(row.hours + _hours(until - work_order.created_at), 1)
    return sorted(rows.values(), key=lambda row: (-row.hours, row.asset.name, row.asset.pk))


@dataclass
class VendorResponseRow:
    vendor_id: int
    vendor: str
    dispatched: int = 0
    responded: int = 0
    completed: int = 0
    response_hours: list[float] = field(default_factory=list)
    completion_hours: list[float] = field(default_factory=list)
    responded_on_time: int = 0
    completed_on_time: int = 0

    @property
    def median_response(self) -> float | None:
        return round(statistics.median(self.response_hours), 1) if self.response_hours else None

    @property
    def median_completion(self) -> float | None:
        return round(statistics.median(self.completion_hours), 1) if self.completion_hours else None

    @property
    def response_on_time_rate(self) -> int | None:
        return round(100 * self.responded_on_time / self.responded) if self.responded else None

    @property
    def completion_on_time_rate(self) -> int | None:
        return round(100 * self.completed_on_time / self.completed) if self.completed else None


def vendor_response_times(*, actor: Any, start: dt.datetime, end: dt.datetime,
                          location_id: int | None = None) -> list[VendorResponseRow]:
    """Per firm, the work orders dispatched to it in [start, end): the median hours from dispatch to its first
    response and to done, and how often it answered and finished within the SLA. One query."""
    queryset = work_orders_visible(actor=actor).filter(vendor__isnull=False, dispatched_at__gte=start,
                                                       dispatched_at__lt=end)
    if location_id is not None:
        queryset = queryset.filter(location_id=location_id)
    rows: dict[int, VendorResponseRow] = {}
    for vendor_id, name, dispatched, responded, completed, respond_by, resolve_by in queryset.order_by().values_list(
            "vendor_id", "vendor__name", "dispatched_at", "responded_at", "completed_at", "respond_by", "resolve_by"):
        row = rows.setdefault(vendor_id, VendorResponseRow(vendor_id=vendor_id, vendor=name))
        row.dispatched += 1
        if dispatched is None:
            continue
        if responded is not None and responded >= dispatched:
            row.responded += 1
            row.response_hours.append(_hours(responded - dispatched))
            row.responded_on_time += int(respond_by is None or responded <= respond_by)
        if completed is not None and completed >= dispatched:
            row.completed += 1
            row.completion_hours.append(_hours(completed - dispatched))
            row.completed_on_time += int(resolve_by is None or completed <= resolve_by)
    return sorted(rows.values(), key=lambda row: (row.vendor.lower(), row.vendor_id))


def events_for_vendor(work_order: WorkOrder, *, vendor_id: int) -> list[WorkOrderEvent]:
    """What the firm sees of the timeline: status changes, the practice's instructions when it was sent, and the
    firm's own entries; no staff names or internal notes."""
    return _labelled(list(work_order.events.filter(
        Q(by_vendor__isnull=False, by_vendor_id=vendor_id) | Q(kind__in=("created", "status", "dispatched")))
        .select_related("by_vendor").order_by("at", "pk")))

