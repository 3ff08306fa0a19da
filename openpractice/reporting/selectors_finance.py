"""Practice finances: the budget against what the other modules record, by month and category, for a year.

Actuals, each from the module that records it (their selectors, one grouped query each):
- charges: ledger entries of kind "charge" by month posted (reversals of a charge net out);
- collections: payer and patient payments, net of refunds and provider-level (PLB) recoupments, by month posted:
  the numerator of the net collection rate (billing.selectors.receivables), so the two always agree;
- adjustments: contractual (CO), other payer adjustments (OA/PI) and write-offs, by month posted;
- supplies: vendor invoices the practice accepted (ready to pay or paid), by invoice date, at the order's location
  (inventory.selectors.monthly_spend);
- maintenance: costs recorded on work orders (labour, parts, the firms' invoices), by practice-local day recorded
  (facilities.selectors_monthly_costs);
- payroll: the gross pay of each closed pay period's payroll export, in the month the period ends (the pay date is
  not recorded), at the employee's main location (workforce.selectors.payroll_totals);
- other: budget only.
Income (charges, collections) is good over budget; every other category is good under it. Variance is always
actual − budget; its percentage is of the budget.

Scope. Everything needs reports.financial and shows only the actor's locations for it; a location out of reach is
refused. Payroll is pay: it shows only to holders of workforce.payroll at every location in view (else hidden, not
partial). The whole practice (someone with reports.financial at every location, no location chosen) compares with
the practice-wide budget line of a category and month when there is one, else with the sum of the locations' lines;
several locations add up their own lines; one location has its own.

Months after the current one have no actual yet; year to date runs to the end of the current month (a past year:
all twelve months; a future year: none).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, location_ids_where, locations_where
from openpractice.accounts.roles import Perm
from openpractice.billing.choices import EntryKind
from openpractice.billing.selectors.monthly import ledger_monthly_totals
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.facilities.selectors_monthly_costs import work_order_costs_by_month
from openpractice.inventory.selectors.monthly_spend import invoiced_by_month
from openpractice.workforce.selectors.payroll_totals import payroll_cost_by_period

from .choices import INCOME_CATEGORIES, BudgetCategory
from .models import BudgetLine

ZERO = Decimal("0.00")
TENTH = Decimal("0.1")
MONTHS: tuple[int, ...] = tuple(range(1, 13))
CATEGORIES: tuple[str, ...] = tuple(BudgetCategory.values)

# Which ledger kinds make each billing figure, and the sign that turns the ledger's sign (payments and adjustments
# lower what is owed: negative) into the figure's (money in, money adjusted away: positive).
LEDGER_KINDS: dict[str, tuple[tuple[str, ...], int]] = {
    BudgetCategory.CHARGES: ((EntryKind.CHARGE,), 1),
    BudgetCategory.COLLECTIONS: ((EntryKind.PAYER_PAYMENT, EntryKind.PATIENT_PAYMENT, EntryKind.REFUND,
                                  EntryKind.PROVIDER_ADJUSTMENT), -1),
    BudgetCategory.ADJUSTMENTS: ((EntryKind.CONTRACTUAL, EntryKind.PAYER_ADJUSTMENT, EntryKind.WRITE_OFF), -1),
}
CATEGORY_OF_KIND: dict[str, tuple[str, int]] = {
    kind: (category, sign) for category, (kinds, sign) in LEDGER_KINDS.items() for kind in kinds
}
BUDGET_ONLY: frozenset[str] = frozenset({BudgetCategory.OTHER})


def is_income(category: str) -> bool:
    return category in INCOME_CATEGORIES


def percent(part: Decimal, whole: Decimal | None) -> Decimal | None:
    if not whole:
        return None
    return (part * 100 / whole).quantize(TENTH, rounding=ROUND_HALF_UP)


# --- scope ------------------------------------------------------------------------------------------------------


def finance_locations(*, actor: Any) -> QuerySet[Location]:
    """The locations whose finances the actor may see (reports.financial), by name."""
    return locations_where(actor, Perm.REPORTS_FINANCIAL).order_by("name", "pk")


@dataclass(frozen=True)
class FinanceScope:
    """What one view of the finances covers."""

    location: Location | None  # the one location chosen, or None
    location_ids: frozenset[int] | None  # the locations in view; None: the whole practice
    payroll_visible: bool

    @property
    def whole_practice(self) -> bool:
        return self.location_ids is None


def finance_scope(*, actor: Any, location: Location | None = None) -> FinanceScope:
    """The view of `location` (None: all the actor's locations). PermissionDenied without reports.financial
    there."""
    if location is not None:
        if not can(actor, Perm.REPORTS_FINANCIAL, location):
            raise PermissionDenied
        in_view: frozenset[int] | None = frozenset({location.pk})
    else:
        if not can(actor, Perm.REPORTS_FINANCIAL):
            raise PermissionDenied
        in_view = location_ids_where(actor, Perm.REPORTS_FINANCIAL)
    payroll_reach = location_ids_where(actor, Perm.WORKFORCE_PAYROLL)
    payroll_visible = can(actor, Perm.WORKFORCE_PAYROLL) and (
        payroll_reach is None or (in_view is not None and in_view <= payroll_reach))
    return FinanceScope(location=location, location_ids=in_view, payroll_visible=payroll_visible)


# --- actuals ----------------------------------------------------------------------------------------------------


@dataclass
class Actuals:
    """Per category, the amount per month (months without activity are absent); `payroll_without_rate` counts
    employees in a payroll export whom no pay rate costs."""

    amounts: dict[str, dict[int, Decimal]] = field(default_factory=lambda: defaultdict(dict))
    payroll_without_rate: int = 0

    def add(self, category: str, month: int, amount: Decimal) -> None:
        self.amounts[category][month] = self.amounts[category].get(month, ZERO) + amount


def monthly_actuals(*, actor: Any, year: int, scope: FinanceScope) -> Actuals:
    """The year's actuals per category and month in `scope`. A fixed number of queries: one grouped query per
    module (and five for payroll when shown), whatever the number of entries, invoices or costs."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    ids = scope.location_ids
    actuals = Actuals()
    kinds = [kind for kinds, _sign in LEDGER_KINDS.values() for kind in kinds]
    for row in ledger_monthly_totals(actor=actor, permission=Perm.REPORTS_FINANCIAL, year=year, kinds=kinds,
                                     location_ids=ids):
        category, sign = CATEGORY_OF_KIND[row.kind]
        actuals.add(category, row.month, row.amount * sign)
    for spend in invoiced_by_month(actor=actor, permission=Perm.REPORTS_FINANCIAL, start=start, end=end,
                                   location_ids=ids):
        actuals.add(BudgetCategory.SUPPLIES, spend.month, spend.amount)
    for cost in work_order_costs_by_month(actor=actor, permission=Perm.REPORTS_FINANCIAL, start=start, end=end,
                                          location_ids=ids):
        actuals.add(BudgetCategory.MAINTENANCE, cost.month, cost.amount)
    if scope.payroll_visible:
        for period in payroll_cost_by_period(actor=actor, ends_from=start, ends_to=end, location_ids=ids):
            actuals.add(BudgetCategory.PAYROLL, period.ends_on.month, period.amount)
            actuals.payroll_without_rate += period.without_rate
    return actuals


# --- budgets ----------------------------------------------------------------------------------------------------


def budget_amounts(*, year: int, scope: FinanceScope) -> dict[str, dict[int, Decimal]]:
    """The budget per category and month in `scope` (absent: no line). One query."""
    lines = BudgetLine.objects.filter(year=year).order_by()
    if scope.location_ids is not None:
        lines = lines.filter(location_id__in=sorted(scope.location_ids))
    practice_wide: dict[tuple[str, int], Decimal] = {}
    summed: dict[tuple[str, int], Decimal] = {}
    for category, month, location_id, amount in lines.values_list("category", "month", "location_id", "amount"):
        if location_id is None:
            practice_wide[(category, month)] = amount
        else:
            summed[(category, month)] = summed.get((category, month), ZERO) + amount
    result: dict[str, dict[int, Decimal]] = defaultdict(dict)
    for (category, month), amount in {**summed, **practice_wide}.items():
        result[category][month] = amount
    return result


def budget_lines_for(*, actor: Any, year: int, location: Location | None,
                     permission: str = Perm.REPORTS_FINANCIAL) -> QuerySet[BudgetLine]:
    """The budget lines set for `location` (None: the practice-wide ones) in `year`, by category and month.
    PermissionDenied unless the actor holds `permission` there (practice-wide: at every location)."""
    if location is None:
        if location_ids_where(actor, permission) is not None:
            raise PermissionDenied
    elif not can(actor, permission, location):
        raise PermissionDenied
    return (BudgetLine.objects.filter(year=year, location=location).select_related("location", "updated_by")
            .order_by("category", "month"))


def budget_grid(*, actor: Any, year: int, location: Location | None,
                permission: str = Perm.REPORTS_BUDGETS) -> dict[tuple[str, int], Decimal]:
    """{(category, month): amount} of the lines set for `location` in `year` (what the budget form starts from)."""
    return {(line.category, line.month): line.amount
            for line in budget_lines_for(actor=actor, year=year, location=location, permission=permission)}


def budget_locations(*, actor: Any) -> QuerySet[Location]:
    """Locations whose budget the actor may set (reports.budgets), by name."""
    return locations_where(actor, Perm.REPORTS_BUDGETS).order_by("name", "pk")


def may_set_practice_wide_budget(actor: Any) -> bool:
    return location_ids_where(actor, Perm.REPORTS_BUDGETS) is None and can(actor, Perm.REPORTS_BUDGETS)


def may_edit_budget(actor: Any, location: Location | None) -> bool:
    """Whether the actor sets the budget the page shows (a location's; with none chosen, any)."""
    return can(actor, Perm.REPORTS_BUDGETS, location)


# --- the report -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A budget beside its actual. None: no budget line / no actual (budget-only category, hidden, not yet)."""

    budget: Decimal | None
    actual: Decimal | None
    income: bool

    @property
    def variance(self) -> Decimal | None:
        if self.budget is None or self.actual is None:
            return None
        return self.actual - self.budget

    @property
    def variance_percent(self) -> Decimal | None:
        variance = self.variance
        return None if variance is None else percent(variance, self.budget)

    @property
    def status(self) -> str:
        """"favourable", "unfavourable", "on_budget", or "" when there is nothing to compare."""
        variance = self.variance
        if variance is None:
            return ""
        if variance == 0:
            return "on_budget"
        return "favourable" if (variance > 0) == self.income else "unfavourable"


@dataclass(frozen=True)
class MonthFigure:
    month: int
    figure: Figure


@dataclass(frozen=True)
class CategoryRow:
    category: str
    label: str
    income: bool
    actuals: str  # "shown", "budget_only" or "hidden"
    months: list[MonthFigure]
    year_to_date: Figure
    year_budget: Decimal | None


@dataclass(frozen=True)
class CashMonth:
    month: int
    charges: Decimal | None
    collections: Decimal | None

    @property
    def ratio(self) -> Decimal | None:
        """Cash collected as a percentage of the month's charges."""
        if self.charges is None or self.collections is None:
            return None
        return percent(self.collections, self.charges)


@dataclass(frozen=True)
class FinanceReport:
    year: int
    scope: FinanceScope
    today: dt.date
    elapsed: int  # months with actuals so far: 0-12
    rows: list[CategoryRow]
    cash: list[CashMonth]
    cash_year_to_date: CashMonth
    payroll_without_rate: int

    @property
    def through(self) -> dt.date | None:
        """The last day the year-to-date figures cover (None: nothing yet)."""
        if self.elapsed == 0:
            return None
        if self.elapsed == 12:
            return dt.date(self.year, 12, 31)
        return self.today

    def row(self, category: str) -> CategoryRow:
        return next(row for row in self.rows if row.category == category)

    @property
    def default_month(self) -> int:
        """The month the page opens on: the current one (a past year: December; a future one: January)."""
        return self.elapsed or 1

    def month(self, month: int) -> list[tuple[CategoryRow, Figure]]:
        """Every category's figure of one month (1-12), for the monthly view."""
        return [(row, row.months[month - 1].figure) for row in self.rows]


def elapsed_months(year: int, today: dt.date) -> int:
    if year < today.year:
        return 12
    if year > today.year:
        return 0
    return today.month


def add_up(values: Iterable[Decimal | None]) -> Decimal | None:
    """The sum of the values present; None when none is."""
    present = [value for value in values if value is not None]
    return sum(present, ZERO) if present else None


def _row(category: str, *, budgets: Mapping[int, Decimal], actuals: Mapping[int, Decimal] | None,
         elapsed: int, hidden: bool) -> CategoryRow:
    income = is_income(category)
    shown = actuals is not None
    months = [MonthFigure(month=month, figure=Figure(
        budget=budgets.get(month),
        actual=(actuals.get(month, ZERO) if actuals is not None and month <= elapsed else None),
        income=income)) for month in MONTHS]
    to_date = months[:elapsed]
    ytd = Figure(budget=add_up(item.figure.budget for item in to_date),
                 actual=add_up(item.figure.actual for item in to_date) if shown and elapsed else None, income=income)
    return CategoryRow(category=category, label=str(BudgetCategory(category).label), income=income,
                       actuals="shown" if shown else ("hidden" if hidden else "budget_only"), months=months,
                       year_to_date=ytd, year_budget=add_up(budgets.values()))


def finance_report(*, actor: Any, year: int, location: Location | None = None,
                   today: dt.date | None = None) -> FinanceReport:
    """Budget against actual for every category and month of `year` in the actor's view of `location` (None:
    all their locations), with the cash collected against charges. PermissionDenied out of scope. A fixed number
    of queries."""
    scope = finance_scope(actor=actor, location=location)
    today = today or practice_today()
    elapsed = elapsed_months(year, today)
    budgets = budget_amounts(year=year, scope=scope)
    actuals = monthly_actuals(actor=actor, year=year, scope=scope) if elapsed else Actuals()
    rows = []
    for category in CATEGORIES:
        hidden = category == BudgetCategory.PAYROLL and not scope.payroll_visible
        shown = category not in BUDGET_ONLY and not hidden
        rows.append(_row(category, budgets=budgets.get(category, {}),
                         actuals=actuals.amounts.get(category, {}) if shown else None, elapsed=elapsed,
                         hidden=hidden))
    charges, collections = (actuals.amounts.get(BudgetCategory.CHARGES, {}),
                            actuals.amounts.get(BudgetCategory.COLLECTIONS, {}))
    cash = [CashMonth(month=month, charges=charges.get(month, ZERO) if month <= elapsed else None,
                      collections=collections.get(month, ZERO) if month <= elapsed else None) for month in MONTHS]
    cash_ytd = CashMonth(month=0, charges=add_up(item.charges for item in cash),
                         collections=add_up(item.collections for item in cash))
    return FinanceReport(year=year, scope=scope, today=today, elapsed=elapsed, rows=rows, cash=cash,
                         cash_year_to_date=cash_ytd, payroll_without_rate=actuals.payroll_without_rate)


def status_label(status: str) -> str:
    return {"favourable": _("favourable"), "unfavourable": _("unfavourable"), "on_budget": _("on budget")}.get(
        status, "")
