"""/kpis: the practice KPIs (reporting.kpis) the caller may see, for a period, with the previous period's value,
the practice's target and the status against it; and one KPI's monthly trend.

Each KPI needs its own permission (its `permission` field: reports.financial for the receivables KPIs,
reports.operations for the no-show rate and the front desk's service levels, workforce.view for turnover …) and is
measured over the locations where the caller holds it. A caller who may see none gets an empty list; a KPI they
may not see answers 404 like an unknown one (audited). Figures only, never a patient.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import ValidationError

from openpractice.core.selectors import practice_today
from openpractice.core.web import deny
from openpractice.reporting.kpis import MAX_TREND_MONTHS, KpiValue, UnknownKpi, kpi_trend, kpi_values

from ..errors import COMMON_RESPONSES, ValidationErrorOut

router = Router(tags=["kpis"])
DEFAULT_DAYS = 30
MAX_PERIOD_DAYS = 3 * 366
RESPONSES: dict[int, Any] = {**COMMON_RESPONSES, 422: ValidationErrorOut}


class KpiOut(Schema):
    key: str = Field(examples=["days_in_ar"])
    label: str
    unit: str = Field(description='"%", "days", "$", "count" or "hours"')
    better: str = Field(description='"at_most": lower is better; "at_least": higher is better')
    definition: str
    snapshot: bool = Field(description="Today's state (a count): no previous value")
    value: Decimal | None = Field(description="null: undefined (nothing to divide by)")
    previous: Decimal | None = Field(description="The same KPI over the period of equal length just before")
    target: Decimal | None
    warn_at: Decimal | None = Field(description="Between the target and this value the KPI is close")
    status: str = Field(description='"met", "close", "missed" or "none" (no value or no target)')
    detail: str = Field(description="Numerator and denominator in words")

    @staticmethod
    def from_value(value: KpiValue) -> KpiOut:
        definition = value.definition
        return KpiOut(key=definition.key, label=definition.label, unit=definition.unit, better=definition.better,
                      definition=definition.definition, snapshot=definition.snapshot, value=value.value,
                      previous=value.previous, target=value.target, warn_at=value.warn_at, status=value.status,
                      detail=value.detail)


class KpiListOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"start": "2026-10-01", "end": "2026-10-30", "previous_start": "2026-09-01", "previous_end": "2026-09-30",
         "location_id": None,
         "kpis": [{"key": "days_in_ar", "label": "Days in A/R", "unit": "days", "better": "at_most", "definition": "Receivables divided by the average daily charges of the period", "snapshot": False, "value": "34.2", "previous": "36.8", "target": "35.0", "warn_at": "40.0", "status": "met", "detail": "$412,880.15 in A/R / $12,071.20 a day"}]}]}}
    start: dt.date
    end: dt.date
    previous_start: dt.date
    previous_end: dt.date
    location_id: int | None
    kpis: list[KpiOut]


class KpiFilter(Schema):
    start: dt.date | None = Field(None, description="First day (practice time); default: 29 days before `end`")
    end: dt.date | None = Field(None, description="Last day, included; default: today")
    location_id: int | None = Field(None, ge=1, le=2_147_483_647,
                                    description="Only this location (one where the caller holds each KPI's "
                                                "permission; elsewhere the figures are empty)")


class TrendPointOut(Schema):
    month: dt.date = Field(description="The first day of the month")
    value: Decimal | None


class TrendOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"key": "days_in_ar", "months": 3, "end": "2026-10-31",
         "points": [{"month": "2026-08-01", "value": "38.1"}, {"month": "2026-09-01", "value": "36.8"}, {"month": "2026-10-01", "value": "34.2"}]}]}}
    key: str
    months: int
    end: dt.date
    points: list[TrendPointOut]


class TrendFilter(Schema):
    months: int = Field(12, ge=1, le=MAX_TREND_MONTHS)
    end: dt.date | None = Field(None, description="The last day of the last month; default: today")
    location_id: int | None = Field(None, ge=1, le=2_147_483_647)


def _invalid(field: str, message: str) -> ValidationError:
    """A 422 naming the query parameter at fault (as the schema's own checks do)."""
    return ValidationError([{"loc": ["query", field], "msg": message, "type": "value_error"}])


@router.get("", response={200: KpiListOut, **RESPONSES}, url_name="kpi_list", summary="KPIs for a period",
            description="The KPIs the caller may see, each with the previous period's value, the target and the "
                        "status. 422 when the period ends before it starts or is longer than three years.")
def kpi_list(request: HttpRequest, filters: Query[KpiFilter]) -> Any:
    end = filters.end or practice_today()
    start = filters.start or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise _invalid("start", _("The period starts after it ends."))
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise _invalid("start", _("The period is longer than three years."))
    values = kpi_values(actor=request.user, start=start, end=end, location_id=filters.location_id)
    previous_end = start - dt.timedelta(days=1)
    return KpiListOut(start=start, end=end, previous_start=previous_end - (end - start), previous_end=previous_end,
                      location_id=filters.location_id, kpis=[KpiOut.from_value(value) for value in values])


@router.get("/{key}/trend", response={200: TrendOut, **RESPONSES}, url_name="kpi_trend",
            summary="One KPI by month",
            description="The value of the KPI for each of the last `months` calendar months (1 to 36), oldest "
                        "first; the last month runs up to `end`. A snapshot KPI has a value for the current month "
                        "only. 404 for a KPI that does not exist or that the caller may not see.")
def kpi_trend_get(request: HttpRequest, key: str, filters: Query[TrendFilter]) -> Any:
    end = filters.end or practice_today()
    try:
        points = kpi_trend(actor=request.user, key=key, months=filters.months, end=end,
                           location_id=filters.location_id)
    except UnknownKpi:
        raise deny(request, permission="the KPI's permission", object_type="kpi", object_id=key[:64]) from None
    return TrendOut(key=key, months=filters.months, end=end,
                    points=[TrendPointOut(month=month, value=value) for month, value in points])
