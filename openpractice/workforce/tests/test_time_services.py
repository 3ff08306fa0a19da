"""Time services: clocking, weekly hours, corrections, PTO requests and approval, PTO balances, pay-period close
and the payroll rows; every refusal is audited and changes nothing."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.workforce.choices import FlsaStatus, PayPeriodStatus, PtoStatus, TimeKind, TimeSource
from openpractice.workforce.models import Employee, PayPeriod, PtoRequest, TimeEntry
from openpractice.workforce.selectors import time as selectors
from openpractice.workforce.services import time as services
from openpractice.workforce.tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2025, 3, 3)
TZ = zoneinfo.ZoneInfo("America/New_York")


@pytest.fixture
def payroll(make_user: Callable[..., User]) -> User:
    return make_user(Role.HR)


@pytest.fixture
def staff(make_user: Callable[..., User]) -> tuple[User, Employee]:
    user = make_user(Role.FRONT_DESK)
    return user, EmployeeFactory(user=user, pto_hours_per_year=Decimal(80))


def _denied(action: str) -> int:
    return AuditEvent.objects.filter(action=action, outcome="denied").count()


def _week(employee: Employee, actor: User, hours: list[int | str]) -> None:
    services.timesheet_save_week(actor=actor, employee=employee, week_of=MONDAY,
                                 hours={MONDAY + dt.timedelta(days=n): Decimal(h) for n, h in enumerate(hours)})


def test_clock_in_then_out_records_the_hours_and_refuses_a_second_clock_in(
        staff: tuple[User, Employee], monkeypatch: pytest.MonkeyPatch) -> None:
    user, employee = staff
    start = dt.datetime(2025, 3, 3, 8, 0, tzinfo=TZ)
    monkeypatch.setattr(services, "practice_now", lambda: start)
    entry = services.clock_in(actor=user, employee=employee)
    with pytest.raises(ValidationError):
        services.clock_in(actor=user, employee=employee)
    monkeypatch.setattr(services, "practice_now", lambda: start + dt.timedelta(hours=8, minutes=45))
    services.clock_out(actor=user, employee=employee)
    entry.refresh_from_db()
    assert (entry.work_date, entry.hours, entry.source) == (MONDAY, Decimal("8.75"), TimeSource.CLOCK)
    assert AuditEvent.objects.filter(action__in=["workforce.clocked_in", "workforce.clocked_out"]).count() == 2
    with pytest.raises(ValidationError):
        services.clock_out(actor=user, employee=employee)


def test_nobody_clocks_in_for_someone_else(staff: tuple[User, Employee], payroll: User) -> None:
    _user, employee = staff
    with pytest.raises(PermissionDenied):
        services.clock_in(actor=payroll, employee=employee)
    assert not TimeEntry.objects.exists()
    assert _denied("workforce.clock_in") == 1


def test_weekly_entry_replaces_the_days_hours_and_shows_overtime_over_forty(staff: tuple[User, Employee]) -> None:
    user, employee = staff
    _week(employee, user, [9, 9, 9, 9, 9, 0, 0])
    _week(employee, user, [10, 10, 10, 10, 8, 0, 0])
    assert TimeEntry.objects.filter(employee=employee).count() == 5
    week = selectors.timesheet_week(employee=employee, week_of=MONDAY + dt.timedelta(days=3))
    assert (week.totals.regular, week.totals.overtime) == (Decimal(40), Decimal(8))
    assert week.days[4].overtime == Decimal(8)
    assert all(e.source == TimeSource.WEEKLY for e in TimeEntry.objects.all())


def test_exempt_staff_have_no_overtime_and_pto_does_not_count(staff: tuple[User, Employee], payroll: User) -> None:
    user, employee = staff
    _week(employee, user, [10, 10, 10, 10, 0, 0, 0])
    services.time_entry_create(actor=payroll, employee=employee,
                               data={"work_date": MONDAY + dt.timedelta(days=4), "kind": TimeKind.HOLIDAY,
                                     "hours": 8})
    week = selectors.timesheet_week(employee=employee, week_of=MONDAY)
    assert (week.totals.regular, week.totals.overtime, week.totals.holiday) == (Decimal(40), 0, Decimal(8))
    Employee.objects.filter(pk=employee.pk).update(flsa_status=FlsaStatus.EXEMPT)
    employee.refresh_from_db()
    _week(employee, user, [12, 12, 12, 12, 0, 0, 0])
    assert selectors.timesheet_week(employee=employee, week_of=MONDAY).totals.overtime == 0


def test_an_employee_cannot_enter_time_for_someone_else_or_enter_pto_themself(
        staff: tuple[User, Employee]) -> None:
    user, employee = staff
    other = EmployeeFactory()
    with pytest.raises(PermissionDenied):
        _week(other, user, [8, 8, 8, 8, 8, 0, 0])
    with pytest.raises(ValidationError):
        services.time_entry_create(actor=user, employee=employee,
                                   data={"work_date": MONDAY, "kind": TimeKind.PTO, "hours": 8})
    assert not TimeEntry.objects.exists()
    assert _denied("workforce.timesheet_save") == 1


def test_payroll_reaches_only_its_locations(north: Location, south: Location,
                                            make_user: Callable[..., User]) -> None:
    office = make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    here, there = EmployeeFactory(location=north), EmployeeFactory(location=south)
    _week(here, office, [8, 0, 0, 0, 0, 0, 0])
    assert TimeEntry.objects.get().source == TimeSource.CORRECTION
    with pytest.raises(PermissionDenied):
        _week(there, office, [8, 0, 0, 0, 0, 0, 0])
    assert TimeEntry.objects.count() == 1
    assert _denied("workforce.timesheet_save") == 1
    entry_desk = make_user(Role.OFFICE_MANAGER, Tier.ENTRY)  # no payroll duties at entry level
    with pytest.raises(PermissionDenied):
        _week(here, entry_desk, [9, 0, 0, 0, 0, 0, 0])
    assert TimeEntry.objects.get().hours == Decimal(8)


def test_pto_request_approval_writes_eight_hours_per_weekday(staff: tuple[User, Employee], payroll: User) -> None:
    user, employee = staff
    request = services.pto_request_create(actor=user, employee=employee, starts_on=MONDAY + dt.timedelta(days=4),
                                          ends_on=MONDAY + dt.timedelta(days=7), reason="Trip")
    assert request.hours == Decimal(16)  # Friday and Monday; the weekend is skipped
    services.pto_request_decide(actor=payroll, request=request, approve=True)
    request.refresh_from_db()
    assert request.status == PtoStatus.APPROVED
    entries = list(TimeEntry.objects.filter(kind=TimeKind.PTO).order_by("work_date"))
    assert [(e.work_date, e.hours) for e in entries] == [
        (MONDAY + dt.timedelta(days=4), Decimal(8)), (MONDAY + dt.timedelta(days=7), Decimal(8))]
    assert AuditEvent.objects.filter(action="workforce.pto_approved").count() == 1


def test_a_pto_request_longer_than_a_year_is_refused(staff: tuple[User, Employee]) -> None:
    user, employee = staff
    with pytest.raises(ValidationError) as refused:
        services.pto_request_create(actor=user, employee=employee, starts_on=MONDAY,
                                    ends_on=MONDAY + dt.timedelta(days=services.MAX_PTO_REQUEST_DAYS))
    assert refused.value.error_dict["ends_on"][0].code == "too_long"
    assert not PtoRequest.objects.exists()
    longest = services.pto_request_create(actor=user, employee=employee, starts_on=MONDAY,
                                          ends_on=MONDAY + dt.timedelta(days=services.MAX_PTO_REQUEST_DAYS - 1))
    assert longest.pk is not None


def test_uneven_pto_hours_are_spread_with_the_remainder_on_the_last_day(staff: tuple[User, Employee]) -> None:
    user, employee = staff
    request = services.pto_request_create(actor=user, employee=employee, starts_on=MONDAY,
                                          ends_on=MONDAY + dt.timedelta(days=2), hours=Decimal(10))
    split = services.pto_day_hours(request)
    assert [h for _d, h in split] == [Decimal("3.33"), Decimal("3.33"), Decimal("3.34")]


def test_nobody_decides_their_own_pto_and_denials_change_nothing(
        make_user: Callable[..., User], staff: tuple[User, Employee]) -> None:
    manager = make_user(Role.HR)
    own = EmployeeFactory(user=manager)
    mine = services.pto_request_create(actor=manager, employee=own, starts_on=MONDAY, ends_on=MONDAY)
    with pytest.raises(PermissionDenied):
        services.pto_request_decide(actor=manager, request=mine, approve=True)
    user, employee = staff
    theirs = services.pto_request_create(actor=user, employee=employee, starts_on=MONDAY, ends_on=MONDAY)
    desk = make_user(Role.FRONT_DESK)
    with pytest.raises(PermissionDenied):
        services.pto_request_decide(actor=desk, request=theirs, approve=True)
    assert set(PtoRequest.objects.values_list("status", flat=True)) == {PtoStatus.PENDING}
    assert not TimeEntry.objects.exists()
    assert _denied("workforce.pto_request_decide") == 2
    with pytest.raises(ValidationError):  # a denial says why
        services.pto_request_decide(actor=manager, request=theirs, approve=False)


def test_the_requester_cancels_a_pending_request_only(staff: tuple[User, Employee], payroll: User) -> None:
    user, employee = staff
    request = services.pto_request_create(actor=user, employee=employee, starts_on=MONDAY, ends_on=MONDAY)
    services.pto_request_cancel(actor=user, request=request)
    assert PtoRequest.objects.get().status == PtoStatus.CANCELLED
    with pytest.raises(ValidationError):
        services.pto_request_cancel(actor=user, request=request)
    with pytest.raises(ValidationError):
        services.pto_request_decide(actor=payroll, request=request, approve=True)


def test_pto_balance_prorates_by_days_employed_and_subtracts_approved_pto(
        staff: tuple[User, Employee], payroll: User) -> None:
    user, employee = staff
    Employee.objects.filter(pk=employee.pk).update(hire_date=dt.date(2025, 7, 2))
    employee.refresh_from_db()
    # 2 July to 31 December: 183 of 365 days of 80 hours.
    assert selectors.pto_balance(employee=employee, as_of=dt.date(2025, 12, 31)).accrued == Decimal("40.11")
    assert selectors.pto_balance(employee=employee, as_of=dt.date(2025, 6, 30)).accrued == 0
    request = services.pto_request_create(actor=user, employee=employee, starts_on=dt.date(2025, 9, 1),
                                          ends_on=dt.date(2025, 9, 2))
    balance = selectors.pto_balance(employee=employee, as_of=dt.date(2025, 12, 31))
    assert (balance.taken, balance.pending) == (0, Decimal(16))
    services.pto_request_decide(actor=payroll, request=request, approve=True)
    balance = selectors.pto_balance(employee=employee, as_of=dt.date(2025, 12, 31))
    assert (balance.taken, balance.pending, balance.available) == (Decimal(16), 0, Decimal("24.11"))


def test_a_closed_period_freezes_its_time(staff: tuple[User, Employee], payroll: User,
                                          make_user: Callable[..., User], north: Location) -> None:
    user, employee = staff
    _week(employee, user, [8, 8, 8, 8, 8, 0, 0])
    partial = make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    with pytest.raises(PermissionDenied):  # every location required
        services.pay_period_create(actor=partial, starts_on=MONDAY, ends_on=MONDAY + dt.timedelta(days=13))
    assert not PayPeriod.objects.exists()
    period = services.pay_period_create(actor=payroll, starts_on=MONDAY, ends_on=MONDAY + dt.timedelta(days=13))
    with pytest.raises(ValidationError):
        services.pay_period_create(actor=payroll, starts_on=MONDAY + dt.timedelta(days=13),
                                   ends_on=MONDAY + dt.timedelta(days=20))
    with pytest.raises(PermissionDenied):
        services.pay_period_close(actor=partial, period=period)
    assert PayPeriod.objects.get().status == PayPeriodStatus.OPEN
    services.pay_period_close(actor=payroll, period=period)
    assert PayPeriod.objects.get().status == PayPeriodStatus.CLOSED
    before = list(TimeEntry.objects.values_list("pk", "work_date", "hours"))
    entry = TimeEntry.objects.first()
    assert entry is not None
    for attempt in (
        lambda: _week(employee, user, [9, 9, 9, 9, 9, 0, 0]),
        lambda: services.time_entry_update(actor=payroll, entry=entry, data={"hours": 2}),
        lambda: services.time_entry_create(actor=payroll, employee=employee,
                                           data={"work_date": MONDAY, "kind": TimeKind.HOLIDAY, "hours": 8}),
        lambda: services.pto_request_decide(actor=payroll, approve=True, request=services.pto_request_create(
            actor=user, employee=employee, starts_on=MONDAY, ends_on=MONDAY)),
    ):
        with pytest.raises(ValidationError):
            attempt()
    assert list(TimeEntry.objects.values_list("pk", "work_date", "hours")) == before


def test_payroll_rows_split_a_week_cut_by_the_period(staff: tuple[User, Employee], payroll: User) -> None:
    user, employee = staff
    _week(employee, user, [10, 10, 10, 10, 10, 0, 0])
    exempt = EmployeeFactory(flsa_status=FlsaStatus.EXEMPT, employee_number="Z1")
    _week(exempt, payroll, [12, 12, 12, 12, 12, 0, 0])
    period = services.pay_period_create(actor=payroll, starts_on=MONDAY + dt.timedelta(days=3),
                                        ends_on=MONDAY + dt.timedelta(days=16))
    rows = selectors.payroll_rows(actor=payroll, period=period)
    assert [(r.employee, r.totals.regular, r.totals.overtime) for r in rows] == [
        (employee, Decimal(10), Decimal(10)), (exempt, Decimal(24), Decimal(0))]
    assert selectors.payroll_csv_values(rows[0], period)[:9] == [
        employee.employee_number, employee.last_name, employee.first_name, "2025-03-06", "2025-03-19",
        "10.00", "10.00", "0.00", "0.00"]
