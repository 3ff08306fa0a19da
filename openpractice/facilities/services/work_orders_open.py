"""Opening a work order: the one way every source (a reported problem, a preventive maintenance plan, a cleaning
inspection, a safety log) creates one, so SLA times, the timeline and the audit trail are the same for all.

The SLA comes from the priority: respond within `respond_hours`, resolve within `resolve_hours` of opening.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.audit.services import record

from ..choices import Priority, WorkOrderSource
from ..models import Asset, WorkOrder, WorkOrderEvent


@dataclass(frozen=True)
class ServiceLevel:
    respond_hours: int
    resolve_hours: int


SERVICE_LEVELS: dict[str, ServiceLevel] = {
    Priority.URGENT: ServiceLevel(respond_hours=4, resolve_hours=24),
    Priority.HIGH: ServiceLevel(respond_hours=8, resolve_hours=72),
    Priority.NORMAL: ServiceLevel(respond_hours=24, resolve_hours=7 * 24),
    Priority.LOW: ServiceLevel(respond_hours=72, resolve_hours=30 * 24),
}


def sla_times(priority: str, start: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(respond by, resolve by) for a work order of this priority opened or re-triaged at `start`."""
    level = SERVICE_LEVELS[priority]
    return start + dt.timedelta(hours=level.respond_hours), start + dt.timedelta(hours=level.resolve_hours)


def work_order_open(*, actor: Any, location: Any, title: str, description: str = "", room: str = "",
                    asset: Asset | None = None, priority: str = Priority.NORMAL,
                    source: str = WorkOrderSource.REPORTED, asset_down: bool = False, **links: Any) -> WorkOrder:
    """Create the work order with its SLA times and its first timeline entry, in one transaction.

    Permission checks belong to the caller (reporting a problem, a plan coming due and an inspection finding
    need different ones). `links` are plan/due_on, cleaning_inspection or safety_entry. `actor` may be None for
    the background task that opens preventive work orders.
    """
    if priority not in SERVICE_LEVELS:
        raise ValidationError({"priority": _("Choose a priority.")})
    if asset is not None and asset.location_id != getattr(location, "pk", location):
        raise ValidationError({"asset": _("This equipment is at another location.")})
    now = timezone.now()
    respond_by, resolve_by = sla_times(priority, now)
    work_order = WorkOrder(location=location, title=title.strip(), description=description.strip(),
                           room=room.strip() or (asset.room if asset else ""), asset=asset, priority=priority,
                           source=source, asset_down=asset_down, reported_by=actor, respond_by=respond_by,
                           resolve_by=resolve_by, **links)
    work_order.full_clean(validate_unique=False, validate_constraints=False)
    with transaction.atomic():
        work_order.save(force_insert=True)
        WorkOrderEvent.objects.create(work_order=work_order, actor=actor, kind="created",
                                      status_to=work_order.status, note=work_order.get_source_display())
        record(actor=actor, action="facilities.work_order_opened", target=work_order,
               location_id=work_order.location_id, reason=f"{source}, {priority}")
    return work_order
