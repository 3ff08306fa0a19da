"""Practice finances: the practice manager's monthly view (budget against actual, cash against charges) for
reports.financial, and the budget editor for reports.budgets. Thin: the figures come from selectors_finance, saving
from services_budgets."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dates import MONTHS
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from openpractice.accounts.permissions import SESSION_LOCATION_KEY
from openpractice.accounts.roles import Perm
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.core.web import deny, permission_required, run_service

from . import selectors_finance as selectors
from . import services_budgets
from .charts import LineChart, line_chart
from .choices import BudgetCategory
from .forms_budgets import BudgetGridForm, BudgetTargetForm, FinanceFilterForm, month_abbr

EXPENSES = (BudgetCategory.PAYROLL, BudgetCategory.SUPPLIES, BudgetCategory.MAINTENANCE)


def _cash_chart(report: selectors.FinanceReport, months: list[str]) -> LineChart:
    return line_chart(
        title=_("Cash collected against charges"), labels=months, unit="$", chart_id="cash-chart",
        description=_("Gross charges and cash collected (payments net of refunds), month by month."),
        series=[(_("Charges"), [item.charges for item in report.cash]),
                (_("Collections"), [item.collections for item in report.cash])])


def _expense_chart(report: selectors.FinanceReport, months: list[str]) -> LineChart:
    """What the expenses the modules record (payroll when shown, supplies, maintenance) came to each month,
    against their budget."""
    rows = [report.row(category) for category in EXPENSES if report.row(category).actuals == "shown"]
    budgets = [selectors.add_up(row.months[index].figure.budget for row in rows) for index in range(12)]
    spent = [selectors.add_up(row.months[index].figure.actual for row in rows) for index in range(12)]
    return line_chart(
        title=_("Recorded expenses against their budget"), labels=months, unit="$", chart_id="expense-chart",
        description=_("%(names)s: spent and budgeted, month by month.")
        % {"names": ", ".join(row.label for row in rows)},
        series=[(_("Budget"), budgets), (_("Spent"), spent)])


def _defaults(request: HttpRequest, locations: Any) -> QueryDict:
    """The query with the current year and, the first time, the location chosen in the page header."""
    params = request.GET.copy()
    params.setdefault("year", str(practice_today().year))
    if "location" not in params:
        chosen = request.session.get(SESSION_LOCATION_KEY)
        if chosen and locations.filter(pk=chosen).exists():
            params["location"] = str(chosen)
    return params


@require_GET
@permission_required(Perm.REPORTS_FINANCIAL)
def finances(request: HttpRequest) -> HttpResponse:
    locations = selectors.finance_locations(actor=request.user)
    form = FinanceFilterForm(_defaults(request, locations), actor=request.user)
    if not form.is_valid():
        return render(request, "reporting/finance/finances.html", {"form": form, "report": None}, status=400)
    location: Location | None = form.cleaned_data["location"]
    try:
        report = selectors.finance_report(actor=request.user, year=form.cleaned_data["year"], location=location)
    except PermissionDenied as exc:
        raise deny(request, permission=Perm.REPORTS_FINANCIAL, object_type="core.location",
                   object_id=location.pk if location else "") from exc
    months = [month_abbr(month) for month in range(1, 13)]
    month = form.cleaned_data["month"] or report.default_month
    return render(request, "reporting/finance/finances.html", {
        "form": form, "report": report, "months": months, "month": month, "month_rows": report.month(month),
        "month_name": MONTHS[month],
        "cash_rows": [(months[item.month - 1], item) for item in report.cash if item.charges is not None],
        "cash_chart": _cash_chart(report, months), "expense_chart": _expense_chart(report, months),
        "may_edit": selectors.may_edit_budget(request.user, location),
        "edit_query": urlencode({"year": report.year, "location": location.pk if location else ""}),
    })


def _target(request: HttpRequest) -> BudgetTargetForm:
    """Which budget: from the form (POST) or the query (GET: this year; without a location, practice-wide for
    those who set it, else the first of their locations)."""
    if request.method == "POST":
        return BudgetTargetForm(request.POST, actor=request.user)
    data = request.GET.copy()
    data.setdefault("year", str(practice_today().year))
    if "location" not in data and not selectors.may_set_practice_wide_budget(request.user):
        first = selectors.budget_locations(actor=request.user).first()
        data["location"] = str(first.pk) if first is not None else ""
    return BudgetTargetForm(data, actor=request.user)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.REPORTS_BUDGETS)
def budget_edit(request: HttpRequest) -> HttpResponse:
    """GET: the grid of a year and location (or last year's amounts with ?copy=last-year, unsaved). POST
    action=spread: the grid again with the annual amounts spread (unsaved); otherwise: save the grid."""
    target = _target(request)
    context: dict[str, Any] = {"target": target, "grid": None, "months": [month_abbr(m) for m in range(1, 13)]}
    if not target.is_valid():
        return render(request, "reporting/finance/budget_edit.html", context, status=400)
    year, location = target.cleaned_data["year"], target.cleaned_data["location"]
    context.update(year=year, location=location)
    try:
        if request.method == "GET":
            copied = request.GET.get("copy") == "last-year"
            amounts = selectors.budget_grid(actor=request.user, year=year - 1 if copied else year, location=location)
            context.update(grid=BudgetGridForm.from_amounts(amounts), copied=copied,
                           copied_nothing=copied and not amounts)
            return render(request, "reporting/finance/budget_edit.html", context)
        grid = BudgetGridForm(request.POST)
        context["grid"] = grid
        if not grid.is_valid():
            return render(request, "reporting/finance/budget_edit.html", context, status=400)
        if request.POST.get("action") == "spread":
            spread = BudgetGridForm(grid.spread_data())
            spread.is_valid()
            context.update(grid=spread, spread=True)
            return render(request, "reporting/finance/budget_edit.html", context,
                          status=200 if spread.is_valid() else 400)
        saved: list[services_budgets.BudgetSaved] = []
        if run_service(grid, lambda: saved.append(services_budgets.budget_year_save(
                actor=request.user, year=year, location=location, amounts=grid.amounts()))):
            place = location.name if location is not None else _("the whole practice")
            if saved[0].count:
                messages.success(request, _("Budget %(year)s for %(place)s saved: %(count)s months changed.")
                                 % {"year": year, "place": place, "count": saved[0].count})
            else:
                messages.info(request, _("Nothing changed in the budget %(year)s for %(place)s.")
                              % {"year": year, "place": place})
            query = urlencode({"year": year, "location": location.pk if location is not None else ""})
            return redirect(f"{reverse('reporting:finances')}?{query}")
        return render(request, "reporting/finance/budget_edit.html", context, status=400)
    except PermissionDenied as exc:
        raise deny(request, permission=Perm.REPORTS_BUDGETS, object_type="core.location",
                   object_id=location.pk if location else "") from exc
