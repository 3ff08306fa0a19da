"""/pto-requests: an employee asks for time off and withdraws it; payroll (workforce.payroll over the employee)
sees, approves (writing PTO time entries) or denies others' requests, never their own. Out of scope is 404 and
audited; refusals and bad input change nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core.models import Location
from openpractice.workforce.choices import PtoStatus, TimeKind
from openpractice.workforce.models import Employee, PtoRequest, TimeEntry
from openpractice.workforce.tests.factories import EmployeeFactory

from .conftest import API, TokenClient

pytestmark = pytest.mark.django_db

Api = Callable[[User], TokenClient]
PTO = f"{API}/pto-requests"
MONDAY = dt.date(2030, 3, 4)
FRIDAY = MONDAY + dt.timedelta(days=4)


@pytest.fixture
def staff(make_user: Callable[..., User], north: Location) -> tuple[User, Employee]:
    user = make_user(Role.FRONT_DESK, locations=[north], username="desk")
    return user, EmployeeFactory(user=user, location=north, pto_hours_per_year=Decimal(80))


@pytest.fixture
def payroll(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.HR, locations=[north], username="hr-north")


@pytest.fixture
def payroll_south(make_user: Callable[..., User], south: Location) -> User:
    return make_user(Role.HR, locations=[south], username="hr-south")


def refusals(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def rows() -> list[tuple[Any, ...]]:
    return [*PtoRequest.objects.order_by("pk").values_list("employee_id", "starts_on", "ends_on", "hours", "status",
                                                          "decision_note"),
            *TimeEntry.objects.order_by("pk").values_list("employee_id", "work_date", "hours")]


def ask(client: TokenClient, **body: Any) -> Any:
    return client.post(PTO, {"starts_on": MONDAY.isoformat(), "ends_on": FRIDAY.isoformat(), **body})


def test_an_employee_asks_for_time_off_and_sees_it(staff: tuple[User, Employee], api_as: Api) -> None:
    user, employee = staff
    response = ask(api_as(user), reason="Family visit")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["employee_id"], body["hours"], body["status"], body["reason"]) == (
        employee.pk, "40.00", PtoStatus.PENDING, "Family visit")
    assert AuditEvent.objects.filter(actor=user, action="workforce.pto_requested", object_id=str(body["id"])).exists()
    listed = api_as(user).get(PTO, {"mine": "true"})
    assert [row["id"] for row in listed.json()["items"]] == [body["id"]]
    assert api_as(user).get(f"{PTO}/{body['id']}").status_code == 200


def test_payroll_approves_a_request_and_the_pto_hours_are_written(staff: tuple[User, Employee], payroll: User,
                                                                  api_as: Api) -> None:
    user, employee = staff
    pto_id = ask(api_as(user), hours="20").json()["id"]
    waiting = api_as(payroll).get(PTO, {"to_decide": "true"})
    assert [row["id"] for row in waiting.json()["items"]] == [pto_id]
    response = api_as(payroll).post(f"{PTO}/{pto_id}/decide", {"decision": "approve"})
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["decided_by_id"]) == (PtoStatus.APPROVED, payroll.pk)
    entries = TimeEntry.objects.filter(employee=employee, kind=TimeKind.PTO)
    assert sum(entry.hours for entry in entries) == Decimal(20)
    assert entries.count() == 5
    assert api_as(payroll).post(f"{PTO}/{pto_id}/decide", {"decision": "deny", "note": "no"}).status_code == 422


def test_denying_needs_a_reason_and_a_denied_request_cannot_be_cancelled(
        staff: tuple[User, Employee], payroll: User, api_as: Api) -> None:
    user, _employee = staff
    pto_id = ask(api_as(user)).json()["id"]
    before = rows()
    assert api_as(payroll).post(f"{PTO}/{pto_id}/decide", {"decision": "deny"}).status_code == 422
    assert rows() == before
    response = api_as(payroll).post(f"{PTO}/{pto_id}/decide", {"decision": "deny", "note": "Short-staffed."})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == PtoStatus.DENIED
    assert api_as(user).post(f"{PTO}/{pto_id}/cancel").status_code == 422


def test_the_requester_withdraws_a_pending_request(staff: tuple[User, Employee], api_as: Api) -> None:
    user, _employee = staff
    pto_id = ask(api_as(user)).json()["id"]
    response = api_as(user).post(f"{PTO}/{pto_id}/cancel")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == PtoStatus.CANCELLED


def test_nobody_decides_their_own_request(make_user: Callable[..., User], north: Location, api_as: Api) -> None:
    hr = make_user(Role.HR, locations=[north])
    EmployeeFactory(user=hr, location=north)
    pto_id = ask(api_as(hr)).json()["id"]
    before = rows()
    assert api_as(hr).post(f"{PTO}/{pto_id}/decide", {"decision": "approve"}).status_code == 404
    assert refusals(hr) == 1
    assert rows() == before


def test_an_employee_cannot_decide_nor_see_another_employees_request(
        staff: tuple[User, Employee], make_user: Callable[..., User], north: Location, api_as: Api) -> None:
    user, _employee = staff
    colleague = make_user(Role.CLINICAL_STAFF, locations=[north])
    EmployeeFactory(user=colleague, location=north)
    pto_id = ask(api_as(user)).json()["id"]
    before = rows()
    client = api_as(colleague)
    assert client.get(f"{PTO}/{pto_id}").status_code == 404
    assert client.post(f"{PTO}/{pto_id}/decide", {"decision": "approve"}).status_code == 404
    assert client.post(f"{PTO}/{pto_id}/cancel").status_code == 404
    assert client.get(PTO).json()["count"] == 0
    assert refusals(colleague) == 3
    assert rows() == before


def test_payroll_at_another_location_gets_404_audited_and_nothing_changes(
        staff: tuple[User, Employee], payroll_south: User, api_as: Api) -> None:
    user, employee = staff
    pto_id = ask(api_as(user)).json()["id"]
    before = rows()
    client = api_as(payroll_south)
    assert client.get(PTO).json()["count"] == 0
    assert client.get(f"{PTO}/{pto_id}").status_code == 404
    assert client.post(f"{PTO}/{pto_id}/decide", {"decision": "approve"}).status_code == 404
    assert ask(client, employee_id=employee.pk).status_code == 404
    assert refusals(payroll_south) == 3
    assert rows() == before


def test_payroll_files_a_request_for_an_employee_it_reaches(staff: tuple[User, Employee], payroll: User,
                                                            api_as: Api) -> None:
    _user, employee = staff
    response = ask(api_as(payroll), employee_id=employee.pk, hours="8")
    assert response.status_code == 201, response.content
    assert (response.json()["employee_id"], response.json()["created_by_id"]) == (employee.pk, payroll.pk)


@pytest.mark.parametrize("body", [
    {"ends_on": (MONDAY - dt.timedelta(days=1)).isoformat()},  # before the first day
    {"starts_on": "2030-03-09", "ends_on": "2030-03-10"},  # a weekend: no weekday
    {"hours": "0"}, {"hours": "121"}, {"hours": "abc"}, {"hours": "1.234"},
    {"reason": "x" * 301}, {"reason": "a\x00b"}, {"starts_on": "not a date"}, {"employee_id": 0},
])
def test_bad_input_is_a_422_and_creates_nothing(staff: tuple[User, Employee], api_as: Api,
                                                body: dict[str, Any]) -> None:
    user, _employee = staff
    response = ask(api_as(user), **body)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "validation_error"
    assert not PtoRequest.objects.exists()


def test_someone_without_an_employee_record_is_told_so(make_user: Callable[..., User], api_as: Api) -> None:
    response = ask(api_as(make_user(Role.BILLER)))
    assert response.status_code == 422
    assert not PtoRequest.objects.exists()


@pytest.mark.parametrize("query", [{"status": "maybe"}, {"employee_id": "x"}, {"date_from": "soon"},
                                   {"limit": 0}])
def test_the_list_refuses_filters_outside_its_allowlists(payroll: User, api_as: Api, query: dict[str, Any]) -> None:
    assert api_as(payroll).get(PTO, query).status_code == 422


def test_the_list_filters_and_runs_the_same_queries_for_many_rows(payroll: User, north: Location,
                                                                  api_as: Api) -> None:
    def make(count: int) -> None:
        for _ in range(count):
            employee = EmployeeFactory(location=north)
            PtoRequest.objects.create(employee=employee, starts_on=MONDAY, ends_on=FRIDAY, hours=Decimal(40),
                                      created_by=payroll)

    client = api_as(payroll)
    make(1)
    client.get(PTO)
    with CaptureQueriesContext(connection) as few:
        client.get(PTO)
    make(8)
    with CaptureQueriesContext(connection) as many:
        assert client.get(PTO).json()["count"] == 9
    assert len(many.captured_queries) == len(few.captured_queries)
    assert client.get(PTO, {"status": "approved"}).json()["count"] == 0
    assert client.get(PTO, {"date_from": "2030-03-09"}).json()["count"] == 0
    assert client.get(PTO, {"date_to": MONDAY.isoformat()}).json()["count"] == 9
