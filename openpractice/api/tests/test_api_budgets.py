"""/budgets: a year's lines for a location (or practice-wide), setting them (reports.budgets, all or nothing,
audited), and the variance by month and category with the page's figures. Out of reach is 404 (audited) and changes
nothing; bad input is a 422."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.reporting import selectors_finance
from openpractice.reporting.choices import BudgetCategory as C
from openpractice.reporting.models import BudgetLine
from openpractice.reporting.tests.finance_support import YEAR, budget, build_world, grow

from .conftest import API, TokenClient
from .supply_support import errors_on

pytestmark = pytest.mark.django_db
BUDGETS = f"{API}/budgets"
VARIANCE = f"{API}/budgets/variance"


def put(client: TokenClient, body: dict[str, Any]) -> Any:
    return client.client.put(BUDGETS, json.dumps(body), content_type="application/json", headers=client.headers)


def stored(location: Any) -> dict[tuple[str, int], Decimal]:
    return {(line.category, line.month): line.amount for line in BudgetLine.objects.filter(year=YEAR,
                                                                                           location=location)}


@pytest.fixture
def manager(make_user: Any) -> Any:
    return make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)


def test_anonymous_callers_get_401_on_every_budget_endpoint(practice: Any, client: Any) -> None:
    for response in (client.get(BUDGETS, {"year": YEAR}), client.get(VARIANCE, {"year": YEAR}),
                     client.put(BUDGETS, "{}", content_type="application/json")):
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"
    assert not BudgetLine.objects.exists()


def test_the_lines_of_a_year_and_location_come_by_category_and_month(manager: Any, north: Any,
                                                                     api_as: Any) -> None:
    budget(C.SUPPLIES, 2, "310.00", north)
    budget(C.CHARGES, 1, "1000.00", north)
    budget(C.CHARGES, 1, "7000.00")
    client = api_as(manager)
    body = client.get(BUDGETS, {"year": YEAR, "location_id": north.pk}).json()
    assert body["year"] == YEAR
    assert body["location_id"] == north.pk
    assert [(line["category"], line["month"], line["amount"]) for line in body["lines"]] == [
        ("charges", 1, "1000.00"), ("supplies", 2, "310.00")]
    practice_wide = client.get(BUDGETS, {"year": YEAR}).json()
    assert practice_wide["location_id"] is None
    assert [line["amount"] for line in practice_wide["lines"]] == ["7000.00"]


def test_putting_a_year_makes_its_lines_exactly_those_sent_and_audits_it(manager: Any, north: Any,
                                                                         api_as: Any) -> None:
    budget(C.OTHER, 3, "70.00", north)
    client = api_as(manager)
    response = put(client, {"year": YEAR, "location_id": north.pk, "lines": [
        {"category": "charges", "month": 1, "amount": "1000.00"},
        {"category": "payroll", "month": 12, "amount": "40000"}]})
    assert response.status_code == 200, response.content
    assert [(line["category"], line["month"]) for line in response.json()["lines"]] == [
        ("charges", 1), ("payroll", 12)]
    assert stored(north) == {(C.CHARGES, 1): Decimal("1000.00"), (C.PAYROLL, 12): Decimal("40000.00")}
    [event] = AuditEvent.objects.filter(actor=manager, action="reporting.budget_saved")
    assert event.changed_fields == "charges:1,other:3,payroll:12"


@pytest.mark.parametrize("line", [
    {"category": "charges", "month": 13, "amount": "1.00"},
    {"category": "rent", "month": 1, "amount": "1.00"},
    {"category": "charges", "month": 1, "amount": "-1.00"},
    {"category": "charges", "month": 1, "amount": "1.001"},
    {"category": "charges", "month": 1, "amount": "100000000.00"},
])
def test_bad_lines_are_a_422_and_nothing_changes(manager: Any, north: Any, api_as: Any, line: dict[str, Any]) -> None:
    budget(C.CHARGES, 1, "900.00", north)
    response = put(api_as(manager), {"year": YEAR, "location_id": north.pk,
                                     "lines": [{"category": "supplies", "month": 1, "amount": "5.00"}, line]})
    assert "lines" in errors_on(response)
    assert stored(north) == {(C.CHARGES, 1): Decimal("900.00")}


def test_a_month_sent_twice_is_refused(manager: Any, north: Any, api_as: Any) -> None:
    line = {"category": "charges", "month": 1, "amount": "1.00"}
    response = put(api_as(manager), {"year": YEAR, "location_id": north.pk, "lines": [line, line]})
    assert errors_on(response) >= {"lines"}
    assert stored(north) == {}


def test_without_reports_budgets_setting_is_not_found_audited_and_nothing_changes(make_user: Any, north: Any,
                                                                                  south: Any, api_as: Any) -> None:
    biller = make_user(Role.BILLER)
    at_north = make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED, locations=[north])
    body = {"year": YEAR, "location_id": north.pk, "lines": [{"category": "charges", "month": 1, "amount": "1"}]}
    assert put(api_as(biller), body).status_code == 404
    assert put(api_as(at_north), {**body, "location_id": south.pk}).status_code == 404
    assert put(api_as(at_north), {**body, "location_id": None}).status_code == 404
    assert put(api_as(at_north), {**body, "location_id": 999999}).status_code == 404
    assert not BudgetLine.objects.exists()
    assert AuditEvent.objects.filter(actor=biller, outcome=Outcome.DENIED).count() == 1
    assert AuditEvent.objects.filter(actor=at_north, outcome=Outcome.DENIED).count() == 3


def test_reading_lines_needs_the_finances_at_that_location(make_user: Any, north: Any, south: Any,
                                                           api_as: Any) -> None:
    budget(C.CHARGES, 1, "4000.00", south)
    at_north = make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED, locations=[north])
    client = api_as(at_north)
    assert client.get(BUDGETS, {"year": YEAR, "location_id": north.pk}).status_code == 200
    assert client.get(BUDGETS, {"year": YEAR, "location_id": south.pk}).status_code == 404
    assert client.get(BUDGETS, {"year": YEAR}).status_code == 404  # practice-wide: every location
    assert api_as(make_user(Role.FRONT_DESK)).get(BUDGETS, {"year": YEAR}).status_code == 404
    assert AuditEvent.objects.filter(actor=at_north, outcome=Outcome.DENIED).count() == 2
    assert errors_on(client.get(BUDGETS)) >= {"year"}


def test_the_variance_gives_the_same_figures_as_the_page(manager: Any, north: Any, south: Any,
                                                         api_as: Any) -> None:
    build_world(north, south, manager)
    budget(C.CHARGES, 1, "1000.00", north)
    budget(C.SUPPLIES, 3, "450.00", north)
    body = api_as(manager).get(VARIANCE, {"year": YEAR, "location_id": north.pk}).json()
    report = selectors_finance.finance_report(actor=manager, year=YEAR, location=north)
    charges = next(row for row in body["categories"] if row["category"] == "charges")
    assert charges["income"] is True
    assert charges["actuals"] == "shown"
    assert charges["months"][0] == {"month": 1, "budget": "1000.00", "actual": "1250.00", "variance": "250.00",
                                    "variance_percent": "25.0", "status": "favourable"}
    supplies = next(row for row in body["categories"] if row["category"] == "supplies")
    assert supplies["months"][2]["status"] == "unfavourable"
    assert supplies["months"][2]["variance"] == "49.99"
    payroll = next(row for row in body["categories"] if row["category"] == "payroll")
    assert [month["actual"] for month in payroll["months"][4:6]] == ["3750.00", "160.00"]
    for row, out in zip(report.rows, body["categories"], strict=True):
        assert [str(item.figure.actual) if item.figure.actual is not None else None for item in row.months] == [
            month["actual"] for month in out["months"]]
    assert body["cash"][0] == {"month": 1, "charges": "1250.00", "collections": "600.00", "ratio": "48.0"}
    assert body["cash_year_to_date"]["collections"] == "685.00"
    assert body["payroll_without_rate"] == 1
    assert body["whole_practice"] is False


def test_the_variance_hides_payroll_from_a_biller_and_south_from_a_north_manager(
        manager: Any, make_user: Any, north: Any, south: Any, api_as: Any) -> None:
    build_world(north, south, manager)
    biller = api_as(make_user(Role.BILLER)).get(VARIANCE, {"year": YEAR}).json()
    payroll = next(row for row in biller["categories"] if row["category"] == "payroll")
    assert payroll["actuals"] == "hidden"
    assert {month["actual"] for month in payroll["months"]} == {None}
    at_north = make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED, locations=[north])
    client = api_as(at_north)
    assert client.get(VARIANCE, {"year": YEAR, "location_id": south.pk}).status_code == 404
    mine = client.get(VARIANCE, {"year": YEAR}).json()
    assert mine["cash"][0]["charges"] == "1250.00"  # North only
    assert AuditEvent.objects.filter(actor=at_north, outcome=Outcome.DENIED).count() == 1


def test_the_variance_costs_the_same_queries_however_many_rows(manager: Any, north: Any, south: Any,
                                                               api_as: Any) -> None:
    world = build_world(north, south, manager)
    client = api_as(manager)
    client.get(VARIANCE, {"year": YEAR})
    with CaptureQueriesContext(connection) as few:
        assert client.get(VARIANCE, {"year": YEAR}).status_code == 200
    grow(world, manager, 24)
    with CaptureQueriesContext(connection) as many:
        assert client.get(VARIANCE, {"year": YEAR}).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
