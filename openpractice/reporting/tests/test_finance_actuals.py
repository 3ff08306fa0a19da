"""Practice finances: the actuals each module records, summed by month and location, against figures worked out by
hand (the world of finance_support), the variance's sign per category, budgets per scope, and who sees what."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import give_role
from openpractice.reporting import selectors_finance as selectors
from openpractice.reporting.choices import BudgetCategory as C
from openpractice.reporting.tests.finance_support import YEAR, World, budget, build_world, grow
from openpractice.workforce.selectors.payroll_totals import gross_pay
from openpractice.workforce.selectors.time import Totals

D = Decimal
AFTER_THE_YEAR = dt.date(YEAR + 1, 3, 1)


@pytest.fixture
def manager(make_user: Any) -> Any:
    """A senior practice manager at every location: finances and payroll everywhere."""
    return make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)


@pytest.fixture
def world(north: Any, south: Any, manager: Any) -> World:
    return build_world(north, south, manager)


def actuals(actor: Any, location: Any = None) -> dict[str, dict[int, Decimal]]:
    scope = selectors.finance_scope(actor=actor, location=location)
    return {category: dict(months) for category, months in
            selectors.monthly_actuals(actor=actor, year=YEAR, scope=scope).amounts.items() if months}


# --- actuals, by hand ---------------------------------------------------------------------------------------------


def test_charges_are_the_charge_entries_of_each_month_of_the_year(world: World, manager: Any) -> None:
    """North: 1,000 + 250 in January; the charges of Dec 31, 2024 and Jan 1, 2026 are other years."""
    assert actuals(manager, world.north)[C.CHARGES] == {1: D("1250.00")}
    assert actuals(manager, world.south)[C.CHARGES] == {1: D("5000.00")}


def test_collections_are_payer_and_patient_payments_net_of_refunds_and_recoupments(world: World,
                                                                                   manager: Any) -> None:
    """January: the payer's 600. February: the patient's 100, less the 20 refunded, plus the payer's 5 (PLB)."""
    assert actuals(manager, world.north)[C.COLLECTIONS] == {1: D("600.00"), 2: D("85.00")}


def test_adjustments_are_contractual_payer_adjustments_and_write_offs_but_not_transfers(world: World,
                                                                                        manager: Any) -> None:
    """January: contractual 150. February: write-off 30 + other payer adjustment 12.50; the transfer is not
    money lost."""
    assert actuals(manager, world.north)[C.ADJUSTMENTS] == {1: D("150.00"), 2: D("42.50")}


def test_supplies_are_the_accepted_vendor_invoices_by_invoice_date_and_order_location(world: World,
                                                                                      manager: Any) -> None:
    """March: 400 ready + 99.99 paid; the mismatch (700) and the invoice only entered (50) are not agreed costs."""
    assert actuals(manager, world.north)[C.SUPPLIES] == {3: D("499.99")}
    assert actuals(manager, world.south)[C.SUPPLIES] == {3: D("300.00")}


def test_maintenance_is_every_work_order_cost_in_the_practice_local_month_it_was_recorded(world: World,
                                                                                         manager: Any) -> None:
    """120 at 23:30 on March 31 in New York is March (April in UTC); April: 80.50 + 45 on a cancelled work order."""
    assert actuals(manager, world.north)[C.MAINTENANCE] == {3: D("120.00"), 4: D("125.50")}
    assert actuals(manager, world.south)[C.MAINTENANCE] == {4: D("60.00")}


def test_payroll_is_each_closed_periods_export_at_the_rates_in_effect_in_the_month_it_ends(world: World,
                                                                                           manager: Any) -> None:
    """May 5–18 (ends in May): Ann (72 regular + 8 PTO) x 20 + 5 overtime x 30 = 1,750; Ben 52,000 / 26 = 2,000;
    Dee has no rate. May 19–Jun 1 (ends in June): Ann 8 x 20 = 160. The open period and 2024's do not count."""
    assert actuals(manager, world.north)[C.PAYROLL] == {5: D("3750.00"), 6: D("160.00")}
    assert actuals(manager, world.south)[C.PAYROLL] == {5: D("300.00")}
    scope = selectors.finance_scope(actor=manager, location=world.north)
    assert selectors.monthly_actuals(actor=manager, year=YEAR, scope=scope).payroll_without_rate == 1


def test_all_locations_add_up_and_other_expenses_have_no_actuals(world: World, manager: Any) -> None:
    everything = actuals(manager)
    assert everything[C.CHARGES] == {1: D("6250.00")}
    assert everything[C.COLLECTIONS] == {1: D("3600.00"), 2: D("85.00")}
    assert everything[C.PAYROLL] == {5: D("4050.00"), 6: D("160.00")}
    assert C.OTHER not in everything


def test_gross_pay_pays_overtime_at_time_and_a_half_and_salary_by_the_periods_length() -> None:
    hourly = Totals(regular=D("70"), overtime=D("2"), pto=D("4"), holiday=D("8"))
    assert gross_pay(hourly, basis="hourly", rate=D("19.50"), days=14) == D("1657.50")  # 82 x 19.50 + 2 x 29.25
    assert gross_pay(Totals(), basis="annual", rate=D("61000.00"), days=14) == D("2346.15")  # 61,000 / 26
    assert gross_pay(Totals(), basis="annual", rate=D("61000.00"), days=7) == D("1173.08")


# --- the report: variance and its sign --------------------------------------------------------------------------


def test_over_budget_is_favourable_for_income_and_unfavourable_for_expenses(world: World, manager: Any) -> None:
    budget(C.CHARGES, 1, "1000.00", world.north)
    budget(C.COLLECTIONS, 2, "100.00", world.north)
    budget(C.SUPPLIES, 3, "450.00", world.north)
    budget(C.MAINTENANCE, 4, "200.00", world.north)
    budget(C.ADJUSTMENTS, 1, "150.00", world.north)
    report = selectors.finance_report(actor=manager, year=YEAR, location=world.north, today=AFTER_THE_YEAR)
    charges = report.row(C.CHARGES).months[0].figure
    assert (charges.variance, charges.variance_percent, charges.status) == (D("250.00"), D("25.0"), "favourable")
    collections = report.row(C.COLLECTIONS).months[1].figure
    assert (collections.variance, collections.variance_percent, collections.status) == (
        D("-15.00"), D("-15.0"), "unfavourable")
    supplies = report.row(C.SUPPLIES).months[2].figure
    assert (supplies.variance, supplies.variance_percent, supplies.status) == (D("49.99"), D("11.1"), "unfavourable")
    upkeep = report.row(C.MAINTENANCE).months[3].figure
    assert (upkeep.variance, upkeep.variance_percent, upkeep.status) == (D("-74.50"), D("-37.3"), "favourable")
    assert report.row(C.ADJUSTMENTS).months[0].figure.status == "on_budget"
    # A month with an actual but no budget line compares with nothing.
    assert report.row(C.MAINTENANCE).months[2].figure.budget is None
    assert report.row(C.MAINTENANCE).months[2].figure.status == ""


def test_year_to_date_sums_the_elapsed_months_only(world: World, manager: Any) -> None:
    """On Feb 15: January and February count. Charges budget 1,000 a month: to date 2,000 against 1,250."""
    for month in range(1, 13):
        budget(C.CHARGES, month, "1000.00", world.north)
    report = selectors.finance_report(actor=manager, year=YEAR, location=world.north, today=dt.date(YEAR, 2, 15))
    row = report.row(C.CHARGES)
    assert report.elapsed == 2
    assert report.through == dt.date(YEAR, 2, 15)
    assert (row.year_to_date.budget, row.year_to_date.actual, row.year_to_date.variance) == (
        D("2000.00"), D("1250.00"), D("-750.00"))
    assert row.year_budget == D("12000.00")
    assert [item.figure.actual for item in row.months[1:4]] == [D("0.00"), None, None]  # not yet after February
    assert report.row(C.SUPPLIES).year_to_date.actual == D("0.00")  # the March invoices are not yet


def test_cash_collected_against_charges_gives_the_collection_ratio_per_month(world: World, manager: Any) -> None:
    report = selectors.finance_report(actor=manager, year=YEAR, location=world.north, today=AFTER_THE_YEAR)
    january, february = report.cash[0], report.cash[1]
    assert (january.charges, january.collections, january.ratio) == (D("1250.00"), D("600.00"), D("48.0"))
    assert (february.charges, february.collections, february.ratio) == (D("0.00"), D("85.00"), None)
    assert (report.cash_year_to_date.charges, report.cash_year_to_date.collections,
            report.cash_year_to_date.ratio) == (D("1250.00"), D("685.00"), D("54.8"))


def test_a_future_year_shows_the_budget_only(world: World, manager: Any) -> None:
    budget(C.CHARGES, 1, "10.00", world.north, year=YEAR + 2)
    report = selectors.finance_report(actor=manager, year=YEAR + 2, location=world.north, today=AFTER_THE_YEAR)
    assert report.elapsed == 0
    assert report.through is None
    assert report.row(C.CHARGES).months[0].figure.budget == D("10.00")
    assert all(item.figure.actual is None for row in report.rows for item in row.months)


# --- budgets per scope ------------------------------------------------------------------------------------------


def test_the_whole_practice_compares_with_practice_wide_lines_else_with_the_locations_sum(world: World,
                                                                                         manager: Any) -> None:
    budget(C.CHARGES, 1, "1000.00", world.north)
    budget(C.CHARGES, 1, "4000.00", world.south)
    budget(C.CHARGES, 1, "7000.00")  # practice-wide: wins over the locations' 5,000
    budget(C.COLLECTIONS, 1, "500.00", world.north)
    budget(C.COLLECTIONS, 1, "2500.00", world.south)
    report = selectors.finance_report(actor=manager, year=YEAR, today=AFTER_THE_YEAR)
    assert report.scope.whole_practice
    charges = report.row(C.CHARGES).months[0].figure
    assert (charges.budget, charges.actual, charges.variance) == (D("7000.00"), D("6250.00"), D("-750.00"))
    assert report.row(C.COLLECTIONS).months[0].figure.budget == D("3000.00")
    north = selectors.finance_report(actor=manager, year=YEAR, location=world.north, today=AFTER_THE_YEAR)
    assert north.row(C.CHARGES).months[0].figure.budget == D("1000.00")  # the practice-wide line is not North's


def test_several_locations_add_their_own_lines_and_never_the_practice_wide_ones(world: World, make_user: Any,
                                                                                north: Any, south: Any) -> None:
    both = make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED, locations=[north, south])
    budget(C.CHARGES, 1, "1000.00", north)
    budget(C.CHARGES, 1, "4000.00", south)
    budget(C.CHARGES, 1, "7000.00")
    report = selectors.finance_report(actor=both, year=YEAR, today=AFTER_THE_YEAR)
    assert not report.scope.whole_practice
    assert report.row(C.CHARGES).months[0].figure.budget == D("5000.00")


# --- scope ------------------------------------------------------------------------------------------------------


def test_a_north_only_manager_sees_north_and_never_south(world: World, make_user: Any, north: Any,
                                                         south: Any) -> None:
    at_north = make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED, locations=[north])
    mine = actuals(at_north)
    assert mine[C.CHARGES] == {1: D("1250.00")}
    assert mine[C.PAYROLL] == {5: D("3750.00"), 6: D("160.00")}  # Cy (South) is not in it
    with pytest.raises(PermissionDenied):
        selectors.finance_report(actor=at_north, year=YEAR, location=south)


def test_a_biller_sees_the_finances_but_not_payroll(world: World, make_user: Any) -> None:
    biller = make_user(Role.BILLER)
    report = selectors.finance_report(actor=biller, year=YEAR, today=AFTER_THE_YEAR)
    payroll = report.row(C.PAYROLL)
    assert payroll.actuals == "hidden"
    assert all(item.figure.actual is None for item in payroll.months)
    assert payroll.year_to_date.actual is None
    assert report.row(C.CHARGES).months[0].figure.actual == D("6250.00")
    assert report.row(C.OTHER).actuals == "budget_only"


def test_payroll_shows_only_where_the_viewer_has_payroll_duties_at_every_location_in_view(
        world: World, make_user: Any, north: Any) -> None:
    """A biller (finances everywhere) who also runs North's payroll as a mid-level office manager: North's payroll
    shows; the whole practice's would be partial, so it is hidden."""
    person = make_user(Role.BILLER)
    give_role(person, Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    assert selectors.finance_report(actor=person, year=YEAR, location=north,
                                    today=AFTER_THE_YEAR).row(C.PAYROLL).actuals == "shown"
    assert selectors.finance_report(actor=person, year=YEAR, today=AFTER_THE_YEAR).row(C.PAYROLL).actuals == "hidden"


def test_someone_without_reports_financial_is_refused(world: World, make_user: Any) -> None:
    with pytest.raises(PermissionDenied):
        selectors.finance_report(actor=make_user(Role.PRACTICE_MANAGER, Tier.ENTRY), year=YEAR)


# --- speed ------------------------------------------------------------------------------------------------------


def _queries(actor: Any, location: Any = None) -> int:
    with CaptureQueriesContext(connection) as captured:
        selectors.finance_report(actor=actor, year=YEAR, location=location, today=AFTER_THE_YEAR)
    return len(captured.captured_queries)


def test_the_report_costs_the_same_queries_however_many_rows_lie_behind_it(world: World, manager: Any) -> None:
    _queries(manager)  # the first read caches the practice's settings and the viewer's grants
    small = _queries(manager), _queries(manager, world.north)
    grow(world, manager, 24)
    assert (_queries(manager), _queries(manager, world.north)) == small
    assert small[0] <= 10
