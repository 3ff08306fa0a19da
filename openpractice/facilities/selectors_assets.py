"""Reads for the asset and preventive-maintenance pages, the API and the two reports (overdue preventive
maintenance; maintenance cost by asset and by location).

Assets belong to a location: facilities.view there sees an asset, its plans, its work orders, its documents and
what its maintenance cost; nothing else is visible. Each list costs the same number of queries however many rows
it has.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Min, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from openpractice.accounts.models import User
from openpractice.accounts.permissions import can, location_ids_where, locations_where, prefetch_grants
from openpractice.accounts.roles import Perm
from openpractice.core.models import Location
from openpractice.core.selectors import practice_timezone_name
from openpractice.vendors import selectors as vendor_selectors
from openpractice.vendors.models import Vendor

from .choices import AssetStatus, IntervalUnit, WorkOrderSource, WorkOrderStatus
from .models import Asset, AssetDocument, MaintenancePlan, PlanChecklistItem, WorkOrder, WorkOrderCost

ZERO = Decimal("0.00")
CLOSED_STATUSES: tuple[str, ...] = (WorkOrderStatus.DONE, WorkOrderStatus.VERIFIED, WorkOrderStatus.CANCELLED)
OPEN = ~Q(status__in=CLOSED_STATUSES)
HISTORY_ROWS = 50


def _scope(actor: Any, permission: str, field_name: str) -> Q:
    ids = location_ids_where(actor, permission)
    return Q() if ids is None else Q(**{f"{field_name}__in": sorted(ids)})


# --- assets ----------------------------------------------------------------------------------------------------


def assets_visible(*, actor: Any, permission: str = Perm.FACILITIES_VIEW) -> QuerySet[Asset]:
    """Assets at the locations where the actor holds `permission`."""
    return Asset.objects.filter(_scope(actor, permission, "location_id")).select_related("location", "service_vendor")


def asset_rows(*, actor: Any, location_id: int | None = None, kind: str = "", status: str = "",
               include_retired: bool = True) -> QuerySet[Asset]:
    """The asset list with each asset's open work orders (`open_work_orders`) and its next preventive due date
    (`next_due`); retired assets only with `include_retired` (or when asked for by `status`)."""
    queryset = assets_visible(actor=actor)
    if location_id is not None:
        queryset = queryset.filter(location_id=location_id)
    if kind:
        queryset = queryset.filter(kind=kind)
    if status:
        queryset = queryset.filter(status=status)
    elif not include_retired:
        queryset = queryset.exclude(status=AssetStatus.RETIRED)
    return queryset.annotate(
        open_work_orders=Count("work_orders", filter=~Q(work_orders__status__in=CLOSED_STATUSES), distinct=True),
        next_due=Min("plans__next_due_on", filter=Q(plans__is_active=True)),
    ).order_by("location__name", "name", "tag", "pk")


def asset_view_locations(*, actor: Any) -> QuerySet[Location]:
    return locations_where(actor, Perm.FACILITIES_VIEW).order_by("name", "pk")


def asset_manage_locations(*, actor: Any, include: int | None = None) -> QuerySet[Location]:
    """Where the actor may record equipment (facilities.manage there, active locations; and `include`, the
    asset's own location, when it is one of them)."""
    return (locations_where(actor, Perm.FACILITIES_MANAGE).filter(Q(is_active=True) | Q(pk=include))
            .order_by("name", "pk"))


def asset_plans(asset: Asset) -> QuerySet[MaintenancePlan]:
    return (asset.plans.select_related("assignee", "vendor")
            .prefetch_related(Prefetch("checklist", queryset=PlanChecklistItem.objects.order_by("position", "pk")))
            .order_by("-is_active", "next_due_on", "next_due_meter", "pk"))


def asset_work_orders(asset: Asset) -> QuerySet[WorkOrder]:
    """Every work order on the asset, newest first, each with what it cost (`cost`)."""
    return (WorkOrder.objects.filter(asset=asset).select_related("assigned_to", "vendor")
            .annotate(cost=Coalesce(Sum("costs__amount"), ZERO)).order_by("-created_at", "-pk"))


def asset_open_work_orders(asset: Asset) -> QuerySet[WorkOrder]:
    return asset_work_orders(asset).filter(OPEN)


def asset_documents(asset: Asset) -> QuerySet[AssetDocument]:
    return asset.documents.select_related("uploaded_by").order_by("-uploaded_at", "-pk")


def asset_maintenance_cost(asset: Asset) -> Decimal:
    """Everything recorded against the asset's work orders: labour, parts and vendor invoices."""
    total = WorkOrderCost.objects.filter(work_order__asset=asset).aggregate(total=Sum("amount"))["total"]
    return total if total is not None else ZERO


def documents_visible(*, actor: Any) -> QuerySet[AssetDocument]:
    return AssetDocument.objects.filter(_scope(actor, Perm.FACILITIES_VIEW, "asset__location_id")).select_related(
        "asset")


def service_vendor_choices(*, actor: Any, include: Vendor | None = None) -> QuerySet[Vendor]:
    """Firms to name as the service vendor or a plan's firm: the active vendors (and the one already chosen)."""
    return vendor_selectors.vendor_choices(actor=actor, include=include)


# --- plans -----------------------------------------------------------------------------------------------------


def plans_visible(*, actor: Any, permission: str = Perm.FACILITIES_VIEW) -> QuerySet[MaintenancePlan]:
    return (MaintenancePlan.objects.filter(_scope(actor, permission, "asset__location_id"))
            .select_related("asset", "asset__location", "assignee", "vendor"))


def plan_rows(*, actor: Any, location_id: int | None = None, unit: str = "", active: bool | None = True,
              asset_id: int | None = None) -> QuerySet[MaintenancePlan]:
    queryset = plans_visible(actor=actor).annotate(steps=Count("checklist", distinct=True))
    if location_id is not None:
        queryset = queryset.filter(asset__location_id=location_id)
    if unit:
        queryset = queryset.filter(interval_unit=unit)
    if active is not None:
        queryset = queryset.filter(is_active=active)
    if asset_id is not None:
        queryset = queryset.filter(asset_id=asset_id)
    # Explicit order: Meta.ordering is dropped from GROUP BY queries, so PostgreSQL would return any order.
    return queryset.order_by("next_due_on", "pk")


def plan_checklist(plan: MaintenancePlan) -> list[str]:
    return list(plan.checklist.order_by("position", "pk").values_list("text", flat=True))


def plan_work_orders(plan: MaintenancePlan) -> QuerySet[WorkOrder]:
    return (WorkOrder.objects.filter(plan=plan).select_related("assigned_to", "vendor")
            .order_by("-due_on", "-pk"))


def plan_assets(*, actor: Any) -> QuerySet[Asset]:
    """Assets a plan may be made for: in use (not retired) where the actor manages facilities."""
    return (assets_visible(actor=actor, permission=Perm.FACILITIES_MANAGE).exclude(status=AssetStatus.RETIRED)
            .order_by("location__name", "name", "tag"))


def assignee_choices(*, location_id: int | None) -> QuerySet[User]:
    """Active people who hold facilities.view at the location (any location when None): who may do the work."""
    users = prefetch_grants(User.objects.filter(is_active=True)).order_by("last_name", "first_name", "username")
    ids = [user.pk for user in users if can(user, Perm.FACILITIES_VIEW, location_id)]
    return User.objects.filter(pk__in=ids).order_by("last_name", "first_name", "username", "pk")


# --- reports ---------------------------------------------------------------------------------------------------


def overdue_work_orders(*, actor: Any, today: dt.date) -> QuerySet[WorkOrder]:
    """Preventive work orders whose maintenance date has passed and that are not done (nor cancelled)."""
    return (WorkOrder.objects.filter(_scope(actor, Perm.FACILITIES_VIEW, "location_id"), OPEN,
                                     source=WorkOrderSource.PREVENTIVE, due_on__lt=today)
            .select_related("asset", "location", "plan", "assigned_to", "vendor").order_by("due_on", "pk"))


def plans_past_due(*, actor: Any, today: dt.date) -> QuerySet[MaintenancePlan]:
    """Active date plans whose next due date has passed with no work order opened for it yet (the daily task
    opens it and moves the date on, so these are plans just set up late or a task that has not run)."""
    return (plans_visible(actor=actor).filter(is_active=True, next_due_on__lt=today)
            .exclude(interval_unit=IntervalUnit.METER).exclude(asset__status=AssetStatus.RETIRED)
            .order_by("next_due_on", "pk"))


@dataclass(frozen=True)
class CostRow:
    label: str
    location: str
    work_orders: int
    total: Decimal
    asset_id: int | None = None


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zoneinfo.ZoneInfo(practice_timezone_name()))


def maintenance_costs(*, actor: Any, start: dt.date, end: dt.date) -> tuple[list[CostRow], list[CostRow], Decimal]:
    """Costs recorded from `start` to `end` (both included, practice days) on work orders at the actor's
    locations: (by asset, by location, total). Work orders on no asset count under their location. Two queries."""
    costs = WorkOrderCost.objects.filter(_scope(actor, Perm.FACILITIES_VIEW, "work_order__location_id"),
                                         recorded_at__gte=_day_start(start),
                                         recorded_at__lt=_day_start(end + dt.timedelta(days=1)))
    by_asset = (costs.values("work_order__asset_id", "work_order__asset__tag", "work_order__asset__name",
                             "work_order__location__name")
                .annotate(total=Sum("amount"), orders=Count("work_order", distinct=True))
                .order_by("-total", "work_order__asset__tag"))
    asset_rows = [CostRow(label=(f"{row['work_order__asset__tag']} {row['work_order__asset__name']}"
                                 if row["work_order__asset_id"] else ""),
                          location=row["work_order__location__name"], work_orders=row["orders"],
                          total=row["total"] or ZERO, asset_id=row["work_order__asset_id"]) for row in by_asset]
    by_location = (costs.values("work_order__location_id", "work_order__location__name")
                   .annotate(total=Sum("amount"), orders=Count("work_order", distinct=True))
                   .order_by("-total", "work_order__location__name"))
    location_rows = [CostRow(label=row["work_order__location__name"], location=row["work_order__location__name"],
                             work_orders=row["orders"], total=row["total"] or ZERO) for row in by_location]
    total = sum((row.total for row in location_rows), ZERO)
    return asset_rows, location_rows, total
