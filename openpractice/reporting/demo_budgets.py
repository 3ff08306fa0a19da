"""Reporting demo data: budgets (seeder registered with core.seeding.seeder).

A budget for last year and this year, for every location and category, set by the senior practice manager through
the budget service (so it is audited like typed-in budgets). Months in which the demo practice recorded something
get a budget a little above or below what was recorded (alternating by month and location), so the finances page
shows favourable and unfavourable variances; the other months get a steady amount of the demo's size.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from openpractice.core.seeding import seeder
from openpractice.core.selectors import practice_today

from . import selectors_finance, services_budgets
from .choices import BudgetCategory

# A month's budget per location where nothing was recorded (the demo has weeks of activity, not years).
STEADY: dict[str, Decimal] = {
    BudgetCategory.CHARGES: Decimal("4200"), BudgetCategory.COLLECTIONS: Decimal("2900"),
    BudgetCategory.ADJUSTMENTS: Decimal("450"), BudgetCategory.PAYROLL: Decimal("38000"),
    BudgetCategory.SUPPLIES: Decimal("350"), BudgetCategory.MAINTENANCE: Decimal("200"),
    BudgetCategory.OTHER: Decimal("650"),
}
OVER, UNDER = Decimal("0.85"), Decimal("1.15")  # budget as a share of what was recorded


def demo_amount(category: str, month: int, position: int, actual: Decimal | None) -> Decimal:
    """The demo budget of one month: around the actual when there is one (under it in every other month, so that
    the actual is over budget), else the steady amount."""
    if actual:
        factor = OVER if (month + position) % 2 == 0 else UNDER
        return (actual * factor).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    return STEADY[category]


@seeder(96)
def seed_budgets(context: dict[str, Any]) -> None:
    users = context.get("users") or {}
    manager = users.get("pm_senior")
    locations = context.get("locations") or {}
    if manager is None or not locations:
        return
    this_year = practice_today().year
    saved = 0
    for position, location in enumerate(sorted(locations.values(), key=lambda place: place.pk)):
        for year in (this_year - 1, this_year):
            report = selectors_finance.finance_report(actor=manager, year=year, location=location)
            amounts: dict[tuple[str, int], Decimal] = {}
            for row in report.rows:
                for item in row.months:
                    amounts[(row.category, item.month)] = demo_amount(row.category, item.month, position,
                                                                      item.figure.actual)
            saved += services_budgets.budget_year_save(actor=manager, year=year, location=location,
                                                       amounts=amounts).count
    context.setdefault("report", []).append(
        f"budgets for {this_year - 1} and {this_year} at {len(locations)} locations ({saved} monthly lines)")
