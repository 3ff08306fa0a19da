"""The budget editor: a year x location grid of 7 categories x 12 months, last year's amounts to start from, an
annual amount spread evenly, saved at once (audited) or refused with the errors shown and nothing saved; not found
for those who set no budget."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.reporting.choices import BudgetCategory as C
from openpractice.reporting.models import BudgetLine
from openpractice.reporting.tests.finance_support import YEAR, budget

URL = reverse("reporting:budget_edit")
D = Decimal


@pytest.fixture
def manager(make_user: Any) -> Any:
    return make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED)


def grid(**amounts: str) -> dict[str, str]:
    """A full POST of the grid: every amount empty but those given (charges_1="100.00", …)."""
    data = {f"{category}_{month}": "" for category in C.values for month in range(1, 13)}
    data.update({f"{category}_annual": "" for category in C.values})
    data.update(amounts)
    return data


def stored(location: Any, year: int = YEAR) -> dict[tuple[str, int], Decimal]:
    return {(line.category, line.month): line.amount
            for line in BudgetLine.objects.filter(year=year, location=location)}


def test_the_grid_shows_the_years_amounts(manager: Any, signed_in: Any, north: Any) -> None:
    budget(C.PAYROLL, 6, "41000.00", north)
    page = signed_in(manager).get(URL, {"year": YEAR, "location": north.pk})
    assert page.status_code == 200
    assert 'name="payroll_6" value="41000.00"' in page.content.decode()
    assert page.context["grid"].initial == {"payroll_6": D("41000.00")}


def test_last_years_amounts_can_be_copied_into_the_grid_without_saving_them(manager: Any, signed_in: Any,
                                                                            north: Any) -> None:
    budget(C.SUPPLIES, 2, "310.00", north, year=YEAR - 1)
    page = signed_in(manager).get(URL, {"year": YEAR, "location": north.pk, "copy": "last-year"})
    assert page.status_code == 200
    assert 'name="supplies_2" value="310.00"' in page.content.decode()
    assert stored(north) == {}
    assert not AuditEvent.objects.filter(action="reporting.budget_saved").exists()


def test_an_annual_amount_is_spread_over_the_months_without_saving(manager: Any, signed_in: Any,
                                                                   north: Any) -> None:
    page = signed_in(manager).post(URL, {"year": YEAR, "location": north.pk, "action": "spread",
                                         **grid(charges_annual="1000.00", supplies_1="5.00")})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="charges_1" value="83.34"' in html
    assert 'name="charges_12" value="83.33"' in html
    assert 'name="supplies_1" value="5.00"' in html  # typed amounts stay
    assert stored(north) == {}


def test_saving_the_grid_stores_it_audits_it_and_returns_to_the_finances(manager: Any, signed_in: Any,
                                                                         north: Any) -> None:
    budget(C.OTHER, 1, "70.00", north)
    page = signed_in(manager).post(URL, {"year": YEAR, "location": north.pk, "action": "save",
                                         **grid(charges_1="1000", charges_2="1000.50", maintenance_12="250.00")})
    assert page.status_code == 302
    assert page["Location"] == f"{reverse('reporting:finances')}?year={YEAR}&location={north.pk}"
    assert stored(north) == {(C.CHARGES, 1): D("1000.00"), (C.CHARGES, 2): D("1000.50"),
                             (C.MAINTENANCE, 12): D("250.00")}
    [event] = AuditEvent.objects.filter(actor=manager, action="reporting.budget_saved")
    assert event.changed_fields == "charges:1-2,maintenance:12,other:1"


def test_bad_amounts_answer_400_with_the_errors_and_nothing_is_saved(manager: Any, signed_in: Any,
                                                                     north: Any) -> None:
    budget(C.CHARGES, 1, "900.00", north)
    page = signed_in(manager).post(URL, {"year": YEAR, "location": north.pk, "action": "save",
                                         **grid(charges_1="1000", supplies_3="-5", payroll_4="12.345",
                                                other_5="1000000000")})
    assert page.status_code == 400
    errors = page.context["grid"].errors
    assert set(errors) == {"supplies_3", "payroll_4", "other_5"}
    assert "Please correct the following" in page.content.decode()
    assert stored(north) == {(C.CHARGES, 1): D("900.00")}
    assert not AuditEvent.objects.filter(action="reporting.budget_saved").exists()


def test_the_practice_wide_budget_is_for_those_who_set_budgets_everywhere(manager: Any, make_user: Any,
                                                                          signed_in: Any, north: Any) -> None:
    assert signed_in(manager).post(URL, {"year": YEAR, "location": "", "action": "save",
                                         **grid(payroll_1="90000")}).status_code == 302
    assert stored(None) == {(C.PAYROLL, 1): D("90000.00")}
    at_north = make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED, locations=[north])
    client = signed_in(at_north)
    opened = client.get(URL, {"year": YEAR})
    assert opened.status_code == 200
    assert opened.context["location"] == north
    refused = client.post(URL, {"year": YEAR, "location": "", "action": "save", **grid(payroll_1="1")})
    assert refused.status_code == 400
    assert stored(None) == {(C.PAYROLL, 1): D("90000.00")}


def test_a_north_only_manager_cannot_set_souths_budget(make_user: Any, signed_in: Any, north: Any,
                                                       south: Any) -> None:
    at_north = make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED, locations=[north])
    page = signed_in(at_north).post(URL, {"year": YEAR, "location": south.pk, "action": "save",
                                          **grid(charges_1="1")})
    assert page.status_code == 400
    assert not BudgetLine.objects.exists()


@pytest.mark.parametrize(("role", "tier"), [(Role.BILLER, Tier.STANDARD), (Role.AUDITOR, Tier.STANDARD),
                                            (Role.PRACTICE_MANAGER, Tier.ENTRY)])
def test_without_reports_budgets_the_editor_is_not_found_audited_and_nothing_changes(
        make_user: Any, signed_in: Any, north: Any, role: str, tier: str) -> None:
    person = make_user(role, tier)
    budget(C.CHARGES, 1, "900.00", north)
    client = signed_in(person)
    assert client.get(URL, {"year": YEAR, "location": north.pk}).status_code == 404
    assert client.post(URL, {"year": YEAR, "location": north.pk, "action": "save",
                             **grid(charges_1="1")}).status_code == 404
    assert AuditEvent.objects.filter(actor=person, outcome=Outcome.DENIED).count() == 2
    assert stored(north) == {(C.CHARGES, 1): D("900.00")}
    assert not AuditEvent.objects.filter(action="reporting.budget_saved").exists()
