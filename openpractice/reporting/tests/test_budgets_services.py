"""Setting budgets: a year's grid saved in one transaction with one audit event that lists what changed, bad
amounts refused with nothing saved, refusals audited and changing nothing, and two saves at once never leaving two
lines for one month."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections

from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.reporting.choices import BudgetCategory as C
from openpractice.reporting.models import BudgetLine
from openpractice.reporting.services_budgets import budget_set, budget_year_save, clean_amounts, spread_evenly
from openpractice.reporting.tests.finance_support import YEAR, budget

D = Decimal


@pytest.fixture
def manager(make_user: Any) -> Any:
    return make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED)


def lines(location: Any = None, year: int = YEAR) -> dict[tuple[str, int], Decimal]:
    found = BudgetLine.objects.filter(year=year, location=location)
    return {(line.category, line.month): line.amount for line in found}


def saves(actor: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(actor=actor, action="reporting.budget_saved").order_by("seq"))


def test_a_years_save_stores_exactly_the_amounts_given_and_audits_it_once(manager: Any, north: Any) -> None:
    budget(C.CHARGES, 1, "900.00", north)  # changed
    budget(C.CHARGES, 2, "900.00", north)  # unchanged
    budget(C.OTHER, 5, "10.00", north)  # not given: removed
    saved = budget_year_save(actor=manager, year=YEAR, location=north, amounts={
        (C.CHARGES, 1): D("1000.00"), (C.CHARGES, 2): D("900.00"), (C.SUPPLIES, 3): "250.5", (C.PAYROLL, 4): None})
    assert lines(north) == {(C.CHARGES, 1): D("1000.00"), (C.CHARGES, 2): D("900.00"),
                            (C.SUPPLIES, 3): D("250.50")}
    assert (saved.added, saved.changed, saved.removed) == ([(C.SUPPLIES, 3)], [(C.CHARGES, 1)], [(C.OTHER, 5)])
    [event] = saves(manager)
    assert event.location_id == north.pk
    assert event.outcome == Outcome.ALLOWED
    assert event.changed_fields == "charges:1,other:5,supplies:3"
    assert event.reason == f"{YEAR} North Clinic: 1 added, 1 changed, 1 removed"
    assert BudgetLine.objects.get(year=YEAR, location=north, category=C.SUPPLIES).updated_by == manager


def test_saving_the_same_grid_again_changes_nothing_and_writes_no_event(manager: Any, north: Any) -> None:
    grid = {(C.CHARGES, month): D("100.00") for month in range(1, 13)}
    budget_year_save(actor=manager, year=YEAR, location=north, amounts=grid)
    again = budget_year_save(actor=manager, year=YEAR, location=north, amounts=grid)
    assert again.count == 0
    assert len(saves(manager)) == 1
    assert saves(manager)[0].changed_fields == "charges:1-12"


def test_practice_wide_lines_live_beside_the_locations_lines(manager: Any, north: Any) -> None:
    budget_year_save(actor=manager, year=YEAR, location=None, amounts={(C.PAYROLL, 1): D("50000")})
    budget_year_save(actor=manager, year=YEAR, location=north, amounts={(C.PAYROLL, 1): D("20000")})
    assert lines(None) == {(C.PAYROLL, 1): D("50000.00")}
    assert lines(north) == {(C.PAYROLL, 1): D("20000.00")}
    assert [event.location_id for event in saves(manager)] == [None, north.pk]


@pytest.mark.parametrize(("value", "message"), [
    ("-1", "A budget cannot be negative."),
    ("10.001", "Use at most two decimals (cents)."),
    ("100000000.00", "At most 99,999,999.99 a month."),
    ("ten", "Enter an amount."),
    ("NaN", "Enter an amount."),
])
def test_a_bad_amount_is_refused_by_name_and_nothing_is_saved(manager: Any, north: Any, value: str,
                                                              message: str) -> None:
    budget(C.CHARGES, 1, "900.00", north)
    with pytest.raises(ValidationError) as refused:
        budget_year_save(actor=manager, year=YEAR, location=north,
                         amounts={(C.CHARGES, 1): D("1.00"), (C.SUPPLIES, 7): value})
    assert refused.value.message_dict == {"supplies_7": [message]}
    assert lines(north) == {(C.CHARGES, 1): D("900.00")}
    assert saves(manager) == []


def test_unknown_categories_months_and_years_are_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        clean_amounts({("rent", 1): D("1"), (C.CHARGES, 13): D("1")})
    assert set(refused.value.message_dict) == {"rent_1", "charges_13"}


def test_a_year_out_of_range_is_refused(manager: Any, north: Any) -> None:
    with pytest.raises(ValidationError):
        budget_year_save(actor=manager, year=1999, location=north, amounts={(C.CHARGES, 1): D("1")})
    assert not BudgetLine.objects.exists()


def test_setting_one_line_leaves_the_others(manager: Any, north: Any) -> None:
    budget(C.CHARGES, 1, "900.00", north)
    budget_set(actor=manager, year=YEAR, month=2, category=C.CHARGES, location=north, amount=D("950.00"))
    budget_set(actor=manager, year=YEAR, month=1, category=C.CHARGES, location=north, amount=None)
    assert lines(north) == {(C.CHARGES, 2): D("950.00")}
    assert [event.changed_fields for event in saves(manager)] == ["charges:2", "charges:1"]


def test_someone_without_reports_budgets_is_refused_audited_and_nothing_changes(make_user: Any,
                                                                                north: Any) -> None:
    biller = make_user(Role.BILLER)  # sees the finances, sets no budget
    budget(C.CHARGES, 1, "900.00", north)
    with pytest.raises(PermissionDenied):
        budget_year_save(actor=biller, year=YEAR, location=north, amounts={(C.CHARGES, 1): D("1.00")})
    assert lines(north) == {(C.CHARGES, 1): D("900.00")}
    assert AuditEvent.objects.filter(actor=biller, outcome=Outcome.DENIED, action="reporting.budget_save").count() == 1


def test_a_manager_of_one_location_sets_neither_another_location_nor_the_practice_wide_budget(
        make_user: Any, north: Any, south: Any) -> None:
    at_north = make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED, locations=[north])
    budget_year_save(actor=at_north, year=YEAR, location=north, amounts={(C.CHARGES, 1): D("1.00")})
    for place in (south, None):
        with pytest.raises(PermissionDenied):
            budget_year_save(actor=at_north, year=YEAR, location=place, amounts={(C.CHARGES, 1): D("1.00")})
    assert BudgetLine.objects.count() == 1
    assert AuditEvent.objects.filter(actor=at_north, outcome=Outcome.DENIED).count() == 2


def test_an_annual_amount_spreads_into_twelve_months_that_add_up_to_it() -> None:
    months = spread_evenly(D("1000.00"))
    assert months[:4] == [D("83.34")] * 4
    assert months[4:] == [D("83.33")] * 8
    assert sum(months) == D("1000.00")
    assert spread_evenly(D("0.05")) == [D("0.01")] * 5 + [D("0.00")] * 7
    assert sum(spread_evenly(D("123456.78"))) == D("123456.78")


@pytest.mark.postgresql
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="SQLite's in-memory test database is shared by threads through a cache that raises "
                           "'table is locked' instead of waiting; SQLite writers queue at BEGIN IMMEDIATE")
@pytest.mark.django_db(transaction=True)
def test_two_people_saving_the_same_year_at_once_never_duplicate_a_month(make_user: Any, north: Any) -> None:
    people = [make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED) for _ in range(2)]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def save(person: Any, amount: str) -> None:
        try:
            start.wait(timeout=10)
            budget_year_save(actor=person, year=YEAR, location=north, amounts={
                (category, month): D(amount) for category in C.values for month in range(1, 13)})
        except BaseException as error:  # noqa: BLE001 - reported to the main thread below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(person, amount))
               for person, amount in zip(people, ("100.00", "200.00"), strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert BudgetLine.objects.filter(year=YEAR, location=north).count() == 84
    assert len(set(BudgetLine.objects.filter(year=YEAR, location=north).values_list("amount", flat=True))) == 1
    assert AuditEvent.objects.filter(action="reporting.budget_saved").count() == 2
