"""The demo's budgets: last year and this year for every location and category, set through the budget service
(audited), around what the demo recorded so that some months come out over budget and some under; running it
again changes nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.billing.choices import EntryKind
from openpractice.core.selectors import practice_today
from openpractice.reporting import selectors_finance
from openpractice.reporting.choices import BudgetCategory as C
from openpractice.reporting.demo_budgets import STEADY, seed_budgets
from openpractice.reporting.models import BudgetLine
from openpractice.reporting.tests.finance_support import Ledger


def test_the_demo_budgets_every_location_and_category_around_what_was_recorded(make_user: Any, north: Any,
                                                                               south: Any) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, username="pm_senior")
    today = practice_today()
    for place in (north, south):
        Ledger(place, manager).post(EntryKind.CHARGE, "1000.00", today)
    context: dict[str, Any] = {"users": {"pm_senior": manager}, "locations": {"north": north, "south": south}}

    seed_budgets(context)

    assert BudgetLine.objects.count() == 2 * 2 * len(C.values) * 12  # two years, two locations
    assert AuditEvent.objects.filter(actor=manager, action="reporting.budget_saved").count() == 4
    statuses = set()
    for place in (north, south):
        report = selectors_finance.finance_report(actor=manager, year=today.year, location=place)
        figure = report.row(C.CHARGES).months[today.month - 1].figure
        assert figure.budget in (Decimal("850.00"), Decimal("1150.00"))  # the recorded 1,000 give or take 15%
        statuses.add(figure.status)
        assert report.row(C.OTHER).months[0].figure.budget == STEADY[C.OTHER]
    assert statuses == {"favourable", "unfavourable"}  # one location over budget, the other under
    assert "budgets for" in context["report"][0]

    seed_budgets(context)
    assert BudgetLine.objects.count() == 2 * 2 * len(C.values) * 12
    assert AuditEvent.objects.filter(actor=manager, action="reporting.budget_saved").count() == 4


def test_the_demo_sets_no_budget_without_its_manager(north: Any) -> None:
    seed_budgets({"users": {}, "locations": {"north": north}})
    assert not BudgetLine.objects.exists()
