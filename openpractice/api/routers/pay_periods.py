"""/pay-periods: the practice's pay periods (dates, open or closed), as on the payroll page. workforce.payroll reads
them (they are practice-wide dates, not confidential); creating, closing and reopening one needs workforce.payroll
at every location, through the same services as the page, audited there. Without the permission everything answers
404 (audited); refusals and bad input change nothing. The payroll CSV export stays on the page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.roles import Perm
from openpractice.core.web import get_scoped_or_404, require
from openpractice.workforce.choices import PayPeriodStatus
from openpractice.workforce.models import PayPeriod
from openpractice.workforce.selectors import time as selectors
from openpractice.workforce.services import time as services

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate

router = Router(tags=["pay-periods"])
NO_NUL = r"^[^\x00]*$"  # PostgreSQL cannot store NUL in text


class PayPeriodOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 52, "starts_on": "2026-11-01", "ends_on": "2026-11-14", "status": "closed", "closed_by_id": 3,
         "closed_at": "2026-11-16T14:05:00Z"}]}}
    id: int
    starts_on: dt.date = Field(description="First day")
    ends_on: dt.date = Field(description="Last day")
    status: str = Field(description="open, closed (its time is frozen; the payroll export reads it)")
    closed_by_id: int | None
    closed_at: dt.datetime | None


class PayPeriodFilter(PageIn):
    status: PayPeriodStatus | None = None
    date_from: dt.date | None = Field(None, description="Periods ending on or after this day")
    date_to: dt.date | None = Field(None, description="Periods starting on or before this day")


class PayPeriodIn(Schema):
    starts_on: dt.date = Field(examples=["2026-12-13"])
    ends_on: dt.date = Field(description="Not before the first day; periods may not overlap", examples=["2026-12-26"])

    model_config = {"json_schema_extra": {"examples": [{"starts_on": "2026-12-13", "ends_on": "2026-12-26"}]}}


class ReopenIn(Schema):
    reason: str = Field(min_length=1, max_length=200, pattern=NO_NUL, examples=["Missed overtime for two nurses."])

    model_config = {"json_schema_extra": {"examples": [{"reason": "Missed overtime for two nurses."}]}}


def _period(request: HttpRequest, pay_period_id: int) -> PayPeriod:
    return get_scoped_or_404(request, selectors.pay_period_list(), permission=Perm.WORKFORCE_PAYROLL,
                             pk=pay_period_id)


def _reread(period: PayPeriod) -> PayPeriod:
    return selectors.pay_period_list().get(pk=period.pk)


@router.get("", response={200: Page[PayPeriodOut], **COMMON_RESPONSES}, url_name="pay_period_list",
            summary="Pay periods",
            description=f"Needs `{Perm.WORKFORCE_PAYROLL}`. Latest first. `status` takes the listed values only "
                        "(else 422).")
def pay_period_list(request: HttpRequest, filters: Query[PayPeriodFilter]) -> Any:
    require(request, Perm.WORKFORCE_PAYROLL)
    queryset = selectors.pay_period_list()
    if filters.status is not None:
        queryset = queryset.filter(status=filters.status)
    if filters.date_from is not None:
        queryset = queryset.filter(ends_on__gte=filters.date_from)
    if filters.date_to is not None:
        queryset = queryset.filter(starts_on__lte=filters.date_to)
    return paginate(queryset.order_by("-starts_on", "-pk"), filters)


@router.get("/{int:pay_period_id}", response={200: PayPeriodOut, **COMMON_RESPONSES}, url_name="pay_period_detail",
            summary="One pay period", description=f"Needs `{Perm.WORKFORCE_PAYROLL}`.")
def pay_period_detail(request: HttpRequest, pay_period_id: int) -> Any:
    require(request, Perm.WORKFORCE_PAYROLL)
    return _period(request, pay_period_id)


@router.post("", response={201: PayPeriodOut, **WRITE_RESPONSES}, url_name="pay_period_create",
             summary="Add a pay period",
             description=f"Needs `{Perm.WORKFORCE_PAYROLL}` at every location. A period that overlaps another, or "
                         "ends before it starts, answers 422.")
def pay_period_create(request: HttpRequest, payload: PayPeriodIn) -> Any:
    require(request, Perm.WORKFORCE_PAYROLL)
    created = services.pay_period_create(actor=request.user, starts_on=payload.starts_on, ends_on=payload.ends_on)
    return Status(201, _reread(created))


@router.post("/{int:pay_period_id}/close", response={200: PayPeriodOut, **WRITE_RESPONSES},
             url_name="pay_period_close", summary="Close a pay period",
             description=f"Needs `{Perm.WORKFORCE_PAYROLL}` at every location. Freezes the period's time. Only after "
                         "its last day, when nobody is still clocked in on a day of it, and not twice (else 422).")
def pay_period_close(request: HttpRequest, pay_period_id: int) -> Any:
    require(request, Perm.WORKFORCE_PAYROLL)
    period = _period(request, pay_period_id)
    return _reread(services.pay_period_close(actor=request.user, period=period))


@router.post("/{int:pay_period_id}/reopen", response={200: PayPeriodOut, **WRITE_RESPONSES},
             url_name="pay_period_reopen", summary="Reopen the latest closed pay period",
             description=f"Needs `{Perm.WORKFORCE_PAYROLL}` at every location, and a reason. Only the most recent "
                         "closed period (else 422); its time can then be corrected and the period closed again.")
def pay_period_reopen(request: HttpRequest, pay_period_id: int, payload: ReopenIn) -> Any:
    require(request, Perm.WORKFORCE_PAYROLL)
    period = _period(request, pay_period_id)
    return _reread(services.pay_period_reopen(actor=request.user, period=period, reason=payload.reason))
