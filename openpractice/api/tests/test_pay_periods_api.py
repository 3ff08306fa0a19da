"""/pay-periods: workforce.payroll reads the pay periods; with it at every location, payroll adds, closes and
reopens them through the payroll page's services. Out of role, or payroll at one location only for a change: 404,
audited, nothing changed; bad input: 422, nothing written; the list costs the same queries whatever its length."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.workforce.choices import PayPeriodStatus
from openpractice.workforce.models import PayPeriod

from .conftest import API, TokenClient

pytestmark = pytest.mark.django_db

Api = Callable[[User], TokenClient]
PERIODS = f"{API}/pay-periods"


@pytest.fixture
def payroll(make_user: Callable[..., User]) -> User:
    return make_user(Role.HR, username="hr-everywhere")


@pytest.fixture
def payroll_north(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north], username="om-north")


def period(starts_on: dt.date, days: int = 13, *, closed: bool = False) -> PayPeriod:
    return PayPeriod.objects.create(starts_on=starts_on, ends_on=starts_on + dt.timedelta(days=days),
                                    status=PayPeriodStatus.CLOSED if closed else PayPeriodStatus.OPEN,
                                    closed_at=timezone.now() if closed else None)


def rows() -> list[tuple[Any, ...]]:
    return list(PayPeriod.objects.order_by("pk").values_list("starts_on", "ends_on", "status", "closed_by_id",
                                                             "closed_at"))


def denials(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def test_payroll_adds_closes_and_reopens_a_period(payroll: User, api_as: Api) -> None:
    client = api_as(payroll)
    start = practice_today() - dt.timedelta(days=20)
    created = client.post(PERIODS, {"starts_on": start.isoformat(),
                                    "ends_on": (start + dt.timedelta(days=13)).isoformat()})
    assert created.status_code == 201, created.content
    period_id = created.json()["id"]
    assert (created.json()["status"], created.json()["closed_at"]) == ("open", None)
    assert client.get(f"{PERIODS}/{period_id}").json()["starts_on"] == start.isoformat()

    closed = client.post(f"{PERIODS}/{period_id}/close")
    assert closed.status_code == 200, closed.content
    assert (closed.json()["status"], closed.json()["closed_by_id"]) == ("closed", payroll.pk)
    assert client.post(f"{PERIODS}/{period_id}/close").status_code == 422

    assert client.post(f"{PERIODS}/{period_id}/reopen", {"reason": ""}).status_code == 422
    reopened = client.post(f"{PERIODS}/{period_id}/reopen", {"reason": "Missed overtime."})
    assert reopened.status_code == 200, reopened.content
    assert reopened.json()["status"] == "open"
    actions = set(AuditEvent.objects.filter(actor=payroll, object_id=str(period_id)).values_list("action", flat=True))
    assert {"workforce.pay_period_created", "workforce.pay_period_closed", "workforce.pay_period_reopened"} <= actions


def test_a_period_is_closed_only_after_its_last_day_and_only_the_latest_reopens(payroll: User, api_as: Api) -> None:
    today = practice_today()
    running = period(today - dt.timedelta(days=3))
    older = period(today - dt.timedelta(days=60), closed=True)
    period(today - dt.timedelta(days=30), closed=True)
    client = api_as(payroll)
    before = rows()
    assert client.post(f"{PERIODS}/{running.pk}/close").status_code == 422
    assert client.post(f"{PERIODS}/{older.pk}/reopen", {"reason": "x"}).status_code == 422
    assert client.post(f"{PERIODS}/{running.pk}/reopen", {"reason": "x"}).status_code == 422
    assert rows() == before


@pytest.mark.parametrize("body", [
    {"starts_on": "2026-01-10", "ends_on": "2026-01-01"},  # ends before it starts
    {"starts_on": "2026-01-05", "ends_on": "2026-01-12"},  # overlaps the period below
    {"starts_on": "2026-01-01"}, {"starts_on": "first monday", "ends_on": "2026-01-12"}, {},
])
def test_bad_periods_are_422_and_nothing_is_written(payroll: User, api_as: Api, body: dict[str, Any]) -> None:
    period(dt.date(2026, 1, 1))
    before = rows()
    response = api_as(payroll).post(PERIODS, body)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "validation_error"
    assert rows() == before


def test_payroll_at_one_location_reads_but_may_not_change_periods(payroll_north: User, api_as: Api) -> None:
    open_period = period(practice_today() - dt.timedelta(days=30))
    closed = period(practice_today() - dt.timedelta(days=60), closed=True)
    client = api_as(payroll_north)
    assert client.get(PERIODS).json()["count"] == 2
    assert client.get(f"{PERIODS}/{open_period.pk}").status_code == 200
    before, denied = rows(), denials(payroll_north)
    for path, body in ((PERIODS, {"starts_on": "2031-01-01", "ends_on": "2031-01-14"}),
                       (f"{PERIODS}/{open_period.pk}/close", {}),
                       (f"{PERIODS}/{closed.pk}/reopen", {"reason": "Correction."})):
        response = client.post(path, body)
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"
    assert denials(payroll_north) == denied + 3
    assert rows() == before


def test_people_without_payroll_see_no_pay_periods_audited(make_user: Callable[..., User], api_as: Api) -> None:
    existing = period(practice_today() - dt.timedelta(days=30))
    desk = make_user(Role.FRONT_DESK)
    client = api_as(desk)
    before = rows()
    for method, path in (("get", PERIODS), ("get", f"{PERIODS}/{existing.pk}"),
                         ("post", f"{PERIODS}/{existing.pk}/close")):
        denied = denials(desk)
        assert getattr(client, method)(path).status_code == 404, path
        assert denials(desk) == denied + 1
    assert rows() == before


def test_a_missing_period_is_404(payroll: User, api_as: Api) -> None:
    assert api_as(payroll).get(f"{PERIODS}/999999").status_code == 404
    assert api_as(payroll).post(f"{PERIODS}/999999/close").status_code == 404


def test_the_list_filters_and_runs_the_same_queries_for_many_rows(payroll: User, api_as: Api) -> None:
    start = dt.date(2020, 1, 6)

    def make(first: int, count: int) -> None:
        for index in range(first, first + count):
            period(start + dt.timedelta(days=14 * index), closed=index % 2 == 0)

    client = api_as(payroll)
    make(0, 1)
    client.get(PERIODS)
    with CaptureQueriesContext(connection) as few:
        client.get(PERIODS)
    make(1, 8)
    with CaptureQueriesContext(connection) as many:
        response = client.get(PERIODS)
    assert response.json()["count"] == 9
    assert len(many.captured_queries) == len(few.captured_queries)
    assert [row["starts_on"] for row in response.json()["items"]][:2] == [
        (start + dt.timedelta(days=14 * 8)).isoformat(), (start + dt.timedelta(days=14 * 7)).isoformat()]
    assert client.get(PERIODS, {"status": "closed"}).json()["count"] == 5
    assert client.get(PERIODS, {"date_to": (start + dt.timedelta(days=1)).isoformat()}).json()["count"] == 1
    assert client.get(PERIODS, {"date_from": (start + dt.timedelta(days=14 * 8)).isoformat()}).json()["count"] == 1
    assert client.get(PERIODS, {"status": "frozen"}).status_code == 422
