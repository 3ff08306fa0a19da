"""Aggregate work-order figures for the reporting dashboards: counts only.

Scope: the work orders at the locations where the actor holds facilities.view (selectors_work_orders.
work_orders_visible).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q

from .choices import Priority, WorkOrderSource
from .selectors_assets import OPEN
from .selectors_work_orders import work_orders_visible


@dataclass(frozen=True)
class WorkOrderCounts:
    by_status: dict[str, int]  # open work orders per status
    urgent: int  # open and urgent
    maintenance_overdue: int  # preventive, past the maintenance date, not done (selectors_assets.overdue_work_orders)


def open_work_order_counts(*, actor: Any, today: dt.date, location_id: int | None = None) -> WorkOrderCounts:
    """Open work orders per status, the urgent ones and the overdue preventive ones. Two queries."""
    orders = work_orders_visible(actor=actor).order_by().filter(OPEN)
    if location_id is not None:
        orders = orders.filter(location_id=location_id)
    by_status = dict(orders.values("status").annotate(n=Count("pk")).values_list("status", "n"))
    counts = orders.aggregate(
        urgent=Count("pk", filter=Q(priority=Priority.URGENT)),
        overdue=Count("pk", filter=Q(source=WorkOrderSource.PREVENTIVE, due_on__lt=today)))
    return WorkOrderCounts(by_status=by_status, urgent=counts["urgent"], maintenance_overdue=counts["overdue"])
