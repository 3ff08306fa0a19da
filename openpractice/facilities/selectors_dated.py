"""Work orders for readers outside facilities (the reporting calendar): the same location rule as
selectors_work_orders.work_orders_visible (facilities.view where the work order is), kept apart from it because
that module imports the work-order services and reporting may not import any module's services."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from openpractice.accounts.permissions import location_ids_where
from openpractice.accounts.roles import Perm

from .models import WorkOrder


def work_orders_in_scope(*, actor: Any, permission: str = Perm.FACILITIES_VIEW) -> QuerySet[WorkOrder]:
    """Work orders at the locations where the actor holds `permission`."""
    ids = location_ids_where(actor, permission)
    queryset = WorkOrder.objects.select_related("location", "asset")
    if ids is None:
        return queryset
    return queryset.filter(location_id__in=sorted(ids))
