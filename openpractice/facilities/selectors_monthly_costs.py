"""What maintenance cost, by month and location: the maintenance actuals of practice finances (reporting). One
grouped query.

Every cost recorded on a work order counts (labour, parts and the maintenance firms' invoices, entered by staff or by
the firm through its link), in the practice-local month it was recorded, at the work order's location, whatever the
work order's status: money a firm billed for a visit is spent even when the work order is later cancelled.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, DecimalField, Sum
from django.db.models.functions import ExtractMonth, ExtractYear

from openpractice.accounts.permissions import location_ids_where
from openpractice.core.selectors import practice_timezone_name

from .models import WorkOrderCost

CENT = Decimal("0.01")
MONEY = DecimalField(max_digits=14, decimal_places=2)


@dataclass(frozen=True)
class MonthlyCost:
    year: int
    month: int
    location_id: int
    amount: Decimal
    costs: int


def work_order_costs_by_month(*, actor: Any, permission: str, start: dt.date, end: dt.date,
                              location_ids: Iterable[int] | None = None) -> list[MonthlyCost]:
    """Work order costs recorded from `start` to `end` (practice-local days, both included), summed per
    practice-local month and per location of the work order, at the actor's locations for `permission` (and among
    `location_ids` when given). One query."""
    zone = zoneinfo.ZoneInfo(practice_timezone_name())
    since = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    costs = WorkOrderCost.objects.filter(recorded_at__gte=since, recorded_at__lt=until)
    reach = location_ids_where(actor, permission)
    if reach is not None:
        costs = costs.filter(work_order__location_id__in=sorted(reach))
    if location_ids is not None:
        costs = costs.filter(work_order__location_id__in=sorted(set(location_ids)))
    grouped = (costs.order_by()
               .values("work_order__location_id", recorded_year=ExtractYear("recorded_at", tzinfo=zone),
                       recorded_month=ExtractMonth("recorded_at", tzinfo=zone))
               .annotate(amount=Sum("amount", output_field=MONEY), costs=Count("pk"))
               .order_by("work_order__location_id", "recorded_year", "recorded_month"))
    return [MonthlyCost(year=row["recorded_year"], month=row["recorded_month"],
                        location_id=row["work_order__location_id"],
                        amount=Decimal(row["amount"] or 0).quantize(CENT, rounding=ROUND_HALF_UP),
                        costs=row["costs"])
            for row in grouped]
