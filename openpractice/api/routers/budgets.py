"""/budgets: the practice's budget by category and month, for a location or practice-wide, and how the year is going
against it (the same figures as the finances page).

- GET /budgets?year=&location_id= : the lines set for that year and location (no location_id: the practice-wide
  lines). Needs reports.financial or reports.budgets there (practice-wide: at every location).
- PUT /budgets : the year's lines of one location (location_id null: practice-wide) become exactly the lines sent;
  a month not sent has no budget. Needs reports.budgets there (practice-wide: at every location). All or nothing;
  audited.
- GET /budgets/variance?year=&location_id= : budget against actual by month and category, year to date, and cash
  collected against charges (no location_id: all the caller's locations). Needs reports.financial; payroll actuals
  only with workforce.payroll at every location in view.
A location out of reach answers 404 (audited) and nothing changes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.core.models import Location
from openpractice.core.web import deny
from openpractice.reporting import selectors_finance as selectors
from openpractice.reporting import services_budgets as services
from openpractice.reporting.choices import BudgetCategory
from openpractice.reporting.models import BudgetLine

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES

router = Router(tags=["budgets"])
MAX_ID = 2_147_483_647
READ = f"{Perm.REPORTS_FINANCIAL} or {Perm.REPORTS_BUDGETS}"


class BudgetLineOut(Schema):
    category: str = Field(description="charges, collections, adjustments, payroll, supplies, maintenance or other")
    month: int
    amount: Decimal
    updated_at: dt.datetime
    updated_by_id: int | None


class BudgetYearOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"year": 2026, "location_id": 1,
         "lines": [{"category": "charges", "month": 1, "amount": "182000.00", "updated_at": "2025-12-12T15:00:00Z", "updated_by_id": 3}, {"category": "supplies", "month": 1, "amount": "6500.00", "updated_at": "2025-12-12T15:00:00Z", "updated_by_id": 3}]}]}}
    year: int
    location_id: int | None = Field(description="Empty: the practice-wide lines")
    lines: list[BudgetLineOut] = Field(description="By category and month; a month without a line has no budget")


class BudgetLineIn(Schema):
    category: BudgetCategory = Field(examples=[BudgetCategory.SUPPLIES])
    month: int = Field(ge=1, le=12, examples=[1])
    amount: Decimal = Field(ge=0, le=services.MAX_AMOUNT, max_digits=10, decimal_places=2, examples=["1250.00"])


class BudgetYearIn(Schema):
    year: int = Field(ge=services.MIN_YEAR, le=services.MAX_YEAR, examples=[2026])
    location_id: int | None = Field(None, ge=1, le=MAX_ID, description="null: the practice-wide budget")
    lines: list[BudgetLineIn] = Field(max_length=len(BudgetCategory.values) * 12,
                                      description="The whole year: each (category, month) at most once")


class BudgetFilter(Schema):
    year: int = Field(ge=services.MIN_YEAR, le=services.MAX_YEAR, examples=[2026])
    location_id: int | None = Field(None, ge=1, le=MAX_ID)


class FigureOut(Schema):
    budget: Decimal | None = Field(description="Empty: no budget line")
    actual: Decimal | None = Field(description="Empty: not recorded by any module, not shown, or not yet")
    variance: Decimal | None = Field(description="actual − budget")
    variance_percent: Decimal | None = Field(description="The variance as a percentage of the budget")
    status: str = Field(description="favourable, unfavourable, on_budget, or empty when nothing compares")


class MonthOut(FigureOut):
    month: int


class CategoryVarianceOut(Schema):
    category: str
    label: str
    income: bool = Field(description="Income is good over budget; every other category under it")
    actuals: str = Field(description="shown, budget_only (no module records it) or hidden (payroll)")
    months: list[MonthOut]
    year_to_date: FigureOut
    year_budget: Decimal | None


class CashMonthOut(Schema):
    month: int = Field(description="1-12; 0 for the year to date")
    charges: Decimal | None
    collections: Decimal | None = Field(description="Payer and patient payments net of refunds and recoupments")
    ratio: Decimal | None = Field(description="Collections as a percentage of charges")


class VarianceOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"year": 2026, "location_id": 1, "whole_practice": False, "through": "2026-10-31",
         "categories": [{"category": "supplies", "label": "Supplies", "income": False, "actuals": "shown", "months": [{"budget": "6500.00", "actual": "6212.40", "variance": "-287.60", "variance_percent": "-4.4", "status": "favourable", "month": 10}], "year_to_date": {"budget": "65000.00", "actual": "66930.15", "variance": "1930.15", "variance_percent": "3.0", "status": "unfavourable"}, "year_budget": "78000.00"}],
         "cash": [{"month": 10, "charges": "184220.00", "collections": "121857.30", "ratio": "66.1"}],
         "cash_year_to_date": {"month": 0, "charges": "1795410.00", "collections": "1174203.85", "ratio": "65.4"},
         "payroll_without_rate": 0}]}}
    year: int
    location_id: int | None = Field(description="Empty: all the caller's locations")
    whole_practice: bool = Field(description="Every location: practice-wide budget lines count where set")
    through: dt.date | None = Field(description="The last day the actuals and year to date cover")
    categories: list[CategoryVarianceOut]
    cash: list[CashMonthOut]
    cash_year_to_date: CashMonthOut
    payroll_without_rate: int = Field(description="Employees in a payroll export whom no pay rate costs")


def _location(request: HttpRequest, location_id: int | None, permission: str) -> Location | None:
    if location_id is None:
        return None
    location = Location.objects.filter(pk=location_id).first()
    if location is None:
        raise deny(request, permission=permission, object_type="core.location", object_id=location_id)
    return location


def _figure(figure: selectors.Figure) -> dict[str, Any]:
    return {"budget": figure.budget, "actual": figure.actual, "variance": figure.variance,
            "variance_percent": figure.variance_percent, "status": figure.status}


def _cash(item: selectors.CashMonth) -> dict[str, Any]:
    return {"month": item.month, "charges": item.charges, "collections": item.collections, "ratio": item.ratio}


def _year_out(year: int, location: Location | None, lines: Any) -> dict[str, Any]:
    return {"year": year, "location_id": location.pk if location is not None else None, "lines": list(lines)}


@router.get("", response={200: BudgetYearOut, **COMMON_RESPONSES}, url_name="budget_list",
            summary="A year's budget lines",
            description=f"Needs {READ} at the location (no location_id: the practice-wide lines, at every "
                        "location).")
def budget_list(request: HttpRequest, filters: Query[BudgetFilter]) -> Any:
    location = _location(request, filters.location_id, READ)
    for permission in (Perm.REPORTS_FINANCIAL, Perm.REPORTS_BUDGETS):
        try:
            lines = selectors.budget_lines_for(actor=request.user, year=filters.year, location=location,
                                               permission=permission)
        except PermissionDenied:
            continue
        return _year_out(filters.year, location, lines)
    raise deny(request, permission=READ, object_type="core.location",
               object_id=location.pk if location is not None else "")


@router.put("", response={200: BudgetYearOut, **WRITE_RESPONSES}, url_name="budget_year_set",
            summary="Set a year's budget for a location",
            description=f"Needs `{Perm.REPORTS_BUDGETS}` at the location (location_id null: practice-wide, at "
                        "every location). The year's lines become exactly those sent; all or nothing; audited.")
def budget_year_set(request: HttpRequest, payload: BudgetYearIn) -> Any:
    if not can(request.user, Perm.REPORTS_BUDGETS):
        raise deny(request, permission=Perm.REPORTS_BUDGETS)
    location = _location(request, payload.location_id, Perm.REPORTS_BUDGETS)
    amounts: dict[tuple[str, int], Decimal] = {}
    for line in payload.lines:
        key = (str(line.category), line.month)
        if key in amounts:
            raise ValidationError({"lines": _("%(category)s, month %(month)s is sent twice.")
                                   % {"category": key[0], "month": key[1]}})
        amounts[key] = line.amount
    services.budget_year_save(actor=request.user, year=payload.year, location=location, amounts=amounts)
    lines = (BudgetLine.objects.filter(year=payload.year, location=location).order_by("category", "month"))
    return _year_out(payload.year, location, lines)


@router.get("/variance", response={200: VarianceOut, **COMMON_RESPONSES}, url_name="budget_variance",
            summary="Budget against actual by month and category",
            description=f"Needs `{Perm.REPORTS_FINANCIAL}` at the location (no location_id: all your locations). "
                        "The same figures as the finances page; payroll actuals only with "
                        f"`{Perm.WORKFORCE_PAYROLL}` at every location in view.")
def budget_variance(request: HttpRequest, filters: Query[BudgetFilter]) -> Any:
    location = _location(request, filters.location_id, Perm.REPORTS_FINANCIAL)
    try:
        report = selectors.finance_report(actor=request.user, year=filters.year, location=location)
    except PermissionDenied as exc:
        raise deny(request, permission=Perm.REPORTS_FINANCIAL, object_type="core.location",
                   object_id=location.pk if location is not None else "") from exc
    return {
        "year": report.year, "location_id": location.pk if location is not None else None,
        "whole_practice": report.scope.whole_practice, "through": report.through,
        "categories": [{"category": row.category, "label": row.label, "income": row.income, "actuals": row.actuals,
                        "months": [{"month": item.month, **_figure(item.figure)} for item in row.months],
                        "year_to_date": _figure(row.year_to_date), "year_budget": row.year_budget}
                       for row in report.rows],
        "cash": [_cash(item) for item in report.cash], "cash_year_to_date": _cash(report.cash_year_to_date),
        "payroll_without_rate": report.payroll_without_rate,
    }
