"""The finances page: the month and the year of budget against actual, cash against charges, for reports.financial
at the viewer's locations; payroll only to those with payroll duties; the same queries however much data."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.reporting.choices import BudgetCategory as C
from openpractice.reporting.tests.finance_support import YEAR, World, budget, build_world, grow

URL = reverse("reporting:finances")


@pytest.fixture
def manager(make_user: Any) -> Any:
    return make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)


@pytest.fixture
def world(north: Any, south: Any, manager: Any) -> World:
    return build_world(north, south, manager)


def cells(html: str) -> str:
    """The page's text with tags and runs of spaces removed, to look for figures."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_practice_manager_sees_a_months_budget_actual_and_variance(world: World, manager: Any, signed_in: Any,
                                                                       north: Any) -> None:
    budget(C.CHARGES, 1, "1000.00", north)
    budget(C.SUPPLIES, 3, "450.00", north)
    page = signed_in(manager).get(URL, {"year": YEAR, "location": north.pk, "month": 1})
    assert page.status_code == 200
    html = page.content.decode()
    assert page.context["month"] == 1
    assert '<span class="badge badge-ok" title="favourable">+250.00 (+25.0%)</span>' in html  # charges: income
    assert '<span class="badge badge-danger" title="unfavourable">+49.99 (+11.1%)</span>' in html  # supplies, March
    text = cells(html)
    assert "1,250.00" in text
    assert "499.99" in text
    assert html.count('class="chart chart-line"') == 2  # expenses against budget; cash against charges


def test_the_page_opens_on_the_current_year_and_month(manager: Any, signed_in: Any) -> None:
    page = signed_in(manager).get(URL)
    assert page.status_code == 200
    report = page.context["report"]
    assert report.year == report.today.year
    assert page.context["month"] == report.today.month


def test_cash_against_charges_lists_each_month_with_its_ratio(world: World, manager: Any, signed_in: Any,
                                                              north: Any) -> None:
    page = signed_in(manager).get(URL, {"year": YEAR, "location": north.pk})
    text = cells(page.content.decode())
    assert "Jan 1,250.00 600.00 48.0%" in text
    assert "Year to date 1,250.00 685.00 54.8%" in text


def test_a_biller_sees_the_finances_without_payroll(world: World, make_user: Any, signed_in: Any) -> None:
    biller = make_user(Role.BILLER)
    page = signed_in(biller).get(URL, {"year": YEAR, "month": 5})
    assert page.status_code == 200
    text = cells(page.content.decode())
    assert "6,250.00" in text  # January's charges, everywhere
    assert "4,050.00" not in text
    assert "3,750.00" not in text
    assert "Payroll is confidential" in page.content.decode()


def test_a_north_only_manager_never_gets_south_figures(world: World, make_user: Any, signed_in: Any,
                                                       north: Any, south: Any) -> None:
    at_north = make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED, locations=[north])
    client = signed_in(at_north)
    mine = client.get(URL, {"year": YEAR, "month": 1})
    assert mine.status_code == 200
    assert "1,250.00" in cells(mine.content.decode())
    assert "5,000.00" not in cells(mine.content.decode())
    theirs = client.get(URL, {"year": YEAR, "location": south.pk})
    assert theirs.status_code == 400
    assert theirs.context["report"] is None
    assert "5,000.00" not in cells(theirs.content.decode())


def test_a_bad_filter_answers_400_with_the_error(manager: Any, signed_in: Any) -> None:
    page = signed_in(manager).get(URL, {"year": "1899"})
    assert page.status_code == 400
    assert page.context["form"].errors["year"]


def test_without_reports_financial_the_page_is_not_found_and_the_refusal_audited(make_user: Any,
                                                                                 signed_in: Any) -> None:
    entry_manager = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY)
    assert signed_in(entry_manager).get(URL).status_code == 404
    assert AuditEvent.objects.filter(actor=entry_manager, outcome=Outcome.DENIED).count() == 1


def test_the_edit_link_shows_only_to_those_who_set_budgets(world: World, manager: Any, make_user: Any,
                                                           signed_in: Any) -> None:
    edit = reverse("reporting:budget_edit")
    assert edit in signed_in(manager).get(URL, {"year": YEAR}).content.decode()
    assert edit not in signed_in(make_user(Role.AUDITOR)).get(URL, {"year": YEAR}).content.decode()


def _count(client: Any, **query: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL, query).status_code == 200
    return len(captured.captured_queries)


def test_the_page_costs_the_same_queries_however_many_rows_lie_behind_it(world: World, manager: Any,
                                                                         signed_in: Any, north: Any) -> None:
    client = signed_in(manager)
    _count(client, year=YEAR)
    small = _count(client, year=YEAR), _count(client, year=YEAR, location=north.pk)
    grow(world, manager, 24)
    for month in range(1, 13):
        budget(C.OTHER, month, "5.00", north)
    assert (_count(client, year=YEAR), _count(client, year=YEAR, location=north.pk)) == small
