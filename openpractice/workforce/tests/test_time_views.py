"""Time pages and the /api/v1/timesheets router: self-service, payroll scope, flat query counts, the payroll CSV;
refusals answer 404 and change nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse
from ninja import Router

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.api import errors
from openpractice.api.auth import BearerTokenAuth
from openpractice.api.routers import timesheets
from openpractice.api.tests.conftest import token_client_for
from openpractice.api.urls import OpenPracticeAPI
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.workforce.choices import PtoStatus, TimeKind
from openpractice.workforce.models import Employee, PayPeriod, PtoRequest, TimeEntry
from openpractice.workforce.services import time as services
from openpractice.workforce.tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2025, 3, 3)


def _test_api_urls() -> list[object]:
    """Until the router is wired into the API root, mount it on an API of its own at the same path."""
    router: Router = timesheets.router
    if getattr(router, "api", None) is not None:
        return []
    api = OpenPracticeAPI(urls_namespace="api-v1-timesheets-test", auth=[BearerTokenAuth()])
    errors.install(api)
    api.add_router("/timesheets", router)
    return [path("api/v1/", api.urls)]


urlpatterns = [*_test_api_urls(), path("", include("config.urls"))]


@pytest.fixture
def payroll(make_user: Callable[..., User]) -> User:
    return make_user(Role.HR)


@pytest.fixture
def staff(make_user: Callable[..., User]) -> tuple[User, Employee]:
    user = make_user(Role.FRONT_DESK)
    return user, EmployeeFactory(user=user, pto_hours_per_year=Decimal(80))


def _week(employee: Employee, actor: User, hours: int = 8) -> None:
    services.timesheet_save_week(actor=actor, employee=employee, week_of=MONDAY,
                                 hours={MONDAY + dt.timedelta(days=n): Decimal(hours) for n in range(5)})


def test_an_employee_enters_their_week_sees_it_and_requests_then_cancels_pto(
        staff: tuple[User, Employee], signed_in: Callable[[User], Client]) -> None:
    user, _employee = staff
    client = signed_in(user)
    data = {f"day_{n}": "10" for n in range(5)}
    response = client.post(f"{reverse('workforce:time_week')}?week=2025-03-05", data)
    assert response.status_code == 302
    page = client.get(reverse("workforce:time_mine"), {"week": "2025-03-03"})
    assert page.status_code == 200
    assert page.context["week"].totals.overtime == Decimal(10)
    assert client.post(reverse("workforce:pto_request_create"),
                       {"starts_on": "2025-04-07", "ends_on": "2025-04-08"}).status_code == 302
    pto = PtoRequest.objects.get()
    assert pto.hours == Decimal(16)
    assert client.post(reverse("workforce:pto_cancel", args=[pto.pk])).status_code == 302
    assert PtoRequest.objects.get().status == PtoStatus.CANCELLED


def test_clocking_from_the_page(staff: tuple[User, Employee], signed_in: Callable[[User], Client]) -> None:
    user, _employee = staff
    client = signed_in(user)
    client.post(reverse("workforce:time_clock"), {"action": "in"})
    assert TimeEntry.objects.get().clock_out is None
    client.post(reverse("workforce:time_clock"), {"action": "out"})
    assert TimeEntry.objects.get().hours is not None


def test_payroll_pages_are_404_without_workforce_payroll_and_change_nothing(
        staff: tuple[User, Employee], payroll: User, signed_in: Callable[[User], Client]) -> None:
    user, _employee = staff
    other = EmployeeFactory()
    pto = services.pto_request_create(actor=payroll, employee=other, starts_on=MONDAY, ends_on=MONDAY)
    client = signed_in(user)
    for name in ("workforce:timesheet_list", "workforce:pto_list", "workforce:payperiod_list"):
        assert client.get(reverse(name)).status_code == 404, name
    assert client.get(reverse("workforce:employee_timesheet", args=[other.pk])).status_code == 404
    assert client.post(reverse("workforce:employee_timesheet", args=[other.pk]), {"day_0": "9"}).status_code == 404
    assert client.post(reverse("workforce:pto_decide", args=[pto.pk]), {"decision": "approve"}).status_code == 404
    assert client.post(reverse("workforce:pto_cancel", args=[pto.pk])).status_code == 404
    assert client.post(reverse("workforce:payperiod_list"),
                       {"starts_on": "2025-03-03", "ends_on": "2025-03-16"}).status_code == 404
    assert not TimeEntry.objects.exists()
    assert PtoRequest.objects.get().status == PtoStatus.PENDING
    assert not PayPeriod.objects.exists()
    assert AuditEvent.objects.filter(action="access.denied").count() >= 7


def test_out_of_scope_employee_timesheet_is_404_and_audited(
        north: Location, south: Location, make_user: Callable[..., User],
        signed_in: Callable[[User], Client]) -> None:
    office = make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    there = EmployeeFactory(location=south)
    client = signed_in(office)
    assert client.get(reverse("workforce:employee_timesheet", args=[there.pk])).status_code == 404
    assert AuditEvent.objects.filter(action="access.denied", object_id=str(there.pk)).exists()
    here = EmployeeFactory(location=north)
    response = client.post(f"{reverse('workforce:employee_timesheet', args=[here.pk])}?week=2025-03-03",
                           {"day_0": "7.5"})
    assert response.status_code == 302
    assert TimeEntry.objects.get().hours == Decimal("7.5")


def test_timesheet_list_query_count_stays_flat(payroll: User, signed_in: Callable[[User], Client],
                                               north: Location) -> None:
    client = signed_in(payroll)
    _week(EmployeeFactory(location=north), payroll)
    client.get(reverse("workforce:timesheet_list"))  # warm caches (grants, settings)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("workforce:timesheet_list")).status_code == 200
    for _n in range(6):
        _week(EmployeeFactory(location=north), payroll)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("workforce:timesheet_list"))
    assert len(response.context["table"].page.object_list) == 25
    assert len(many) == len(few)


def test_pto_approval_page_and_payroll_csv_after_close(
        staff: tuple[User, Employee], payroll: User, signed_in: Callable[[User], Client]) -> None:
    user, employee = staff
    _week(employee, user, hours=9)
    pto = services.pto_request_create(actor=user, employee=employee, starts_on=MONDAY + dt.timedelta(days=7),
                                      ends_on=MONDAY + dt.timedelta(days=7))
    client = signed_in(payroll)
    assert client.get(reverse("workforce:pto_list")).status_code == 200
    assert client.post(reverse("workforce:pto_decide", args=[pto.pk]), {"decision": "approve"}).status_code == 302
    assert TimeEntry.objects.filter(kind=TimeKind.PTO).count() == 1
    client.post(reverse("workforce:payperiod_list"), {"starts_on": "2025-03-03", "ends_on": "2025-03-16"})
    period = PayPeriod.objects.get()
    export = reverse("workforce:payperiod_export", args=[period.pk])
    assert client.get(export).status_code == 302  # open: close first
    assert client.post(reverse("workforce:payperiod_close", args=[period.pk])).status_code == 302
    response = client.get(export)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert lines[0] == ("employee_number,last_name,first_name,period_start,period_end,regular_hours,"
                        "overtime_hours,pto_hours,holiday_hours,total_paid_hours,flsa_status")
    assert lines[1] == (f"{employee.employee_number},{employee.last_name},{employee.first_name},2025-03-03,"
                        "2025-03-16,40.00,5.00,8.00,0.00,53.00,non_exempt")
    assert AuditEvent.objects.filter(action="workforce.payroll_exported").count() == 1


@pytest.fixture
def api_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = __name__


@pytest.mark.usefixtures("api_urls")
def test_api_self_service_and_payroll_scope(
        staff: tuple[User, Employee], north: Location, south: Location, make_user: Callable[..., User]) -> None:
    user, _employee = staff
    mine = token_client_for(user)
    created = mine.post("/api/v1/timesheets", {"work_date": "2025-03-03", "hours": "7.5"})
    assert created.status_code == 201, created.content
    entry_id = created.json()["id"]
    assert created.json()["source"] == "weekly"
    assert mine.post("/api/v1/timesheets", {"work_date": "2025-03-03", "hours": 8, "kind": "pto"}).status_code == 422
    assert mine.patch(f"/api/v1/timesheets/{entry_id}", {"hours": 8}).json()["hours"] == "8.00"
    other = EmployeeFactory(location=south)
    assert mine.post("/api/v1/timesheets", {"employee_id": other.pk, "work_date": "2025-03-03",
                                            "hours": 8}).status_code == 404
    office = token_client_for(make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north]))
    foreign = services.time_entry_create(actor=make_user(Role.HR), employee=other,
                                         data={"work_date": MONDAY, "hours": 4})
    assert office.get(f"/api/v1/timesheets/{foreign.pk}").status_code == 404
    assert office.patch(f"/api/v1/timesheets/{foreign.pk}", {"hours": 9}).status_code == 404
    assert TimeEntry.objects.get(pk=foreign.pk).hours == Decimal(4)
    assert [row["id"] for row in mine.get("/api/v1/timesheets").json()["items"]] == [entry_id]
    assert mine.get(f"/api/v1/timesheets/{foreign.pk}").status_code == 404
