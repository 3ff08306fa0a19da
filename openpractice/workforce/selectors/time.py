"""Time and payroll-prep reads: time entries and PTO requests in the actor's scope, the weekly timesheet with its
overtime, PTO balances, pay periods and the payroll export rows.

Overtime (US FLSA, computed, never stored): the workweek runs Monday to Sunday. For a non-exempt employee, worked
hours beyond WorkforceSettings.overtime_weekly_hours (40) in a workweek are overtime; PTO and holiday hours are
paid but do not count toward the threshold. Exempt employees have no overtime. Within a week the hours that cross
the threshold are the overtime of the day they were worked on, so a pay period that cuts a workweek in two gets the
overtime of its own days.

PTO balance for a calendar year: Employee.pto_hours_per_year prorated by the days employed in that year up to the
day asked about (hire date to termination date), minus the PTO hours taken (approved PTO time entries) that year.

Scope: workforce.payroll reaches the employees of its locations (scope.py); everybody reaches their own.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import QuerySet, Sum

from openpractice.accounts.roles import Perm
from openpractice.core.selectors import practice_today

from ..choices import FlsaStatus, PayPeriodStatus, PtoStatus, TimeKind
from ..models import Employee, PayPeriod, PtoRequest, TimeEntry, WorkforceSettings
from .scope import employee_condition

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def week_start(day: dt.date) -> dt.date:
    """The Monday of `day`'s workweek."""
    return day - dt.timedelta(days=day.weekday())


def weekdays_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Monday–Friday days from `first` to `last` inclusive."""
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)
            if (first + dt.timedelta(days=n)).weekday() < 5]


# --- overtime arithmetic (pure) -----------------------------------------------------------------------------------


def split_overtime(worked_by_day: Mapping[dt.date, Decimal], *, threshold: Decimal,
                   eligible: bool) -> dict[dt.date, tuple[Decimal, Decimal]]:
    """(regular, overtime) worked hours per day. Each workweek's hours beyond `threshold`, counted in date order,
    are overtime when `eligible` (non-exempt); otherwise everything is regular."""
    result: dict[dt.date, tuple[Decimal, Decimal]] = {}
    running: dict[dt.date, Decimal] = defaultdict(Decimal)
    for day in sorted(worked_by_day):
        hours = Decimal(worked_by_day[day])
        if not eligible:
            result[day] = (hours, ZERO)
            continue
        monday = week_start(day)
        before = running[monday]
        after = before + hours
        overtime = max(ZERO, after - threshold) - max(ZERO, before - threshold)
        running[monday] = after
        result[day] = (hours - overtime, overtime)
    return result


@dataclass
class Totals:
    regular: Decimal = ZERO
    overtime: Decimal = ZERO
    pto: Decimal = ZERO
    holiday: Decimal = ZERO

    @property
    def worked(self) -> Decimal:
        return self.regular + self.overtime

    @property
    def paid(self) -> Decimal:
        return self.regular + self.overtime + self.pto + self.holiday


def totals_for(entries: Iterable[TimeEntry], *, threshold: Decimal, eligible: bool,
               first: dt.date, last: dt.date) -> Totals:
    """Totals of one employee's entries for the days first..last. `entries` must hold every entry of the
    workweeks touching that range (overtime needs the whole week)."""
    worked: dict[dt.date, Decimal] = defaultdict(Decimal)
    totals = Totals()
    for entry in entries:
        hours = entry.hours or ZERO
        if entry.kind == TimeKind.WORKED:
            worked[entry.work_date] += hours
        elif first <= entry.work_date <= last:
            if entry.kind == TimeKind.PTO:
                totals.pto += hours
            else:
                totals.holiday += hours
    for day, (regular, overtime) in split_overtime(worked, threshold=threshold, eligible=eligible).items():
        if first <= day <= last:
            totals.regular += regular
            totals.overtime += overtime
    return totals


def overtime_threshold() -> Decimal:
    return Decimal(WorkforceSettings.load().overtime_weekly_hours)


# --- scoped querysets ---------------------------------------------------------------------------------------------


def payroll_employees(*, actor: Any, include_self: bool = False) -> QuerySet[Employee]:
    return Employee.objects.filter(employee_condition(actor, Perm.WORKFORCE_PAYROLL, include_self=include_self))


def time_entries_scoped(*, actor: Any, include_self: bool = True) -> QuerySet[TimeEntry]:
    reached = payroll_employees(actor=actor, include_self=include_self)
    return (TimeEntry.objects.filter(employee__in=reached.values("pk"))
            .select_related("employee", "employee__location"))


def time_entry_list(*, actor: Any, employee_id: int | None = None, first: dt.date | None = None,
                    last: dt.date | None = None, kind: str = "") -> QuerySet[TimeEntry]:
    queryset = time_entries_scoped(actor=actor)
    if employee_id is not None:
        queryset = queryset.filter(employee_id=employee_id)
    if first is not None:
        queryset = queryset.filter(work_date__gte=first)
    if last is not None:
        queryset = queryset.filter(work_date__lte=last)
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset


def pto_requests_scoped(*, actor: Any, include_self: bool = True) -> QuerySet[PtoRequest]:
    reached = payroll_employees(actor=actor, include_self=include_self)
    return (PtoRequest.objects.filter(employee__in=reached.values("pk"))
            .select_related("employee", "employee__location", "decided_by"))


def pto_requests_to_decide(*, actor: Any) -> QuerySet[PtoRequest]:
    """Pending requests of others the actor decides on (never their own)."""
    return (pto_requests_scoped(actor=actor, include_self=False).filter(status=PtoStatus.PENDING)
            .exclude(employee__user_id=actor.pk).order_by("starts_on", "pk"))


def closed_days(days: Iterable[dt.date]) -> set[dt.date]:
    """Those of `days` that fall in a closed pay period (one query)."""
    wanted = set(days)
    if not wanted:
        return set()
    periods = PayPeriod.objects.filter(status=PayPeriodStatus.CLOSED, starts_on__lte=max(wanted),
                                       ends_on__gte=min(wanted)).values_list("starts_on", "ends_on")
    return {day for day in wanted for first, last in periods if first <= day <= last}


# --- the weekly timesheet -----------------------------------------------------------------------------------------


@dataclass
class DayRow:
    day: dt.date
    entries: list[TimeEntry]
    worked: Decimal
    regular: Decimal
    overtime: Decimal
    pto: Decimal
    holiday: Decimal
    closed: bool


@dataclass
class Week:
    employee: Employee
    monday: dt.date
    days: list[DayRow]
    totals: Totals
    threshold: Decimal
    eligible: bool
    open_clock: TimeEntry | None = None
    closed_any: bool = False
    weekly_hours: dict[dt.date, Decimal] = field(default_factory=dict)

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)

    @property
    def previous(self) -> dt.date:
        return self.monday - dt.timedelta(days=7)

    @property
    def next(self) -> dt.date:
        return self.monday + dt.timedelta(days=7)


def timesheet_week(*, employee: Employee, week_of: dt.date) -> Week:
    """One employee's workweek, day by day, with overtime. The caller has checked the actor reaches the employee.
    A fixed number of queries."""
    monday = week_start(week_of)
    sunday = monday + dt.timedelta(days=6)
    entries = list(TimeEntry.objects.filter(employee=employee, work_date__range=(monday, sunday))
                   .order_by("work_date", "clock_in", "pk"))
    threshold = overtime_threshold()
    eligible = employee.flsa_status == FlsaStatus.NON_EXEMPT
    worked: dict[dt.date, Decimal] = defaultdict(Decimal)
    for entry in entries:
        if entry.kind == TimeKind.WORKED:
            worked[entry.work_date] += entry.hours or ZERO
    split = split_overtime(worked, threshold=threshold, eligible=eligible)
    closed = closed_days(monday + dt.timedelta(days=n) for n in range(7))
    rows: list[DayRow] = []
    for offset in range(7):
        day = monday + dt.timedelta(days=offset)
        todays = [entry for entry in entries if entry.work_date == day]
        regular, overtime = split.get(day, (ZERO, ZERO))
        rows.append(DayRow(
            day=day, entries=todays, worked=regular + overtime, regular=regular, overtime=overtime,
            pto=sum((e.hours or ZERO for e in todays if e.kind == TimeKind.PTO), ZERO),
            holiday=sum((e.hours or ZERO for e in todays if e.kind == TimeKind.HOLIDAY), ZERO),
            closed=day in closed))
    totals = totals_for(entries, threshold=threshold, eligible=eligible, first=monday, last=sunday)
    open_clock = next((e for e in entries if e.clock_in is not None and e.clock_out is None), None)
    if open_clock is None:
        open_clock = TimeEntry.objects.filter(employee=employee, clock_in__isnull=False,
                                              clock_out__isnull=True).first()
    weekly_hours = {row.day: sum((e.hours or ZERO for e in row.entries if e.kind == TimeKind.WORKED
                                  and e.source != "clock"), ZERO) for row in rows}
    return Week(employee=employee, monday=monday, days=rows, totals=totals, threshold=threshold, eligible=eligible,
                open_clock=open_clock, closed_any=bool(closed), weekly_hours=weekly_hours)


# --- PTO balance --------------------------------------------------------------------------------------------------


@dataclass
class PtoBalance:
    year: int
    per_year: Decimal
    accrued: Decimal
    taken: Decimal
    pending: Decimal

    @property
    def available(self) -> Decimal:
        return self.accrued - self.taken


def pto_balance(*, employee: Employee, as_of: dt.date | None = None) -> PtoBalance:
    """The balance on `as_of` (default today) for its calendar year. Two queries."""
    day = as_of or practice_today()
    jan1, dec31 = dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    first = max(jan1, employee.hire_date)
    last = min(day, employee.termination_date or dec31)
    days_employed = max(0, (last - first).days + 1)
    days_in_year = 366 if calendar.isleap(day.year) else 365
    per_year = Decimal(employee.pto_hours_per_year)
    accrued = (per_year * days_employed / days_in_year).quantize(CENT, rounding=ROUND_HALF_UP)
    taken = TimeEntry.objects.filter(employee=employee, kind=TimeKind.PTO,
                                     work_date__range=(jan1, dec31)).aggregate(total=Sum("hours"))["total"] or ZERO
    pending = PtoRequest.objects.filter(employee=employee, status=PtoStatus.PENDING,
                                        starts_on__year=day.year).aggregate(total=Sum("hours"))["total"] or ZERO
    return PtoBalance(year=day.year, per_year=per_year, accrued=accrued, taken=Decimal(taken),
                      pending=Decimal(pending))


# --- pay periods and the payroll export ---------------------------------------------------------------------------


def pay_period_list() -> QuerySet[PayPeriod]:
    """Pay periods are practice-wide dates, not confidential: the views require workforce.payroll."""
    return PayPeriod.objects.select_related("closed_by").order_by("-starts_on")


def period_containing(day: dt.date) -> PayPeriod | None:
    return PayPeriod.objects.filter(starts_on__lte=day, ends_on__gte=day).first()


@dataclass
class PayrollRow:
    employee: Employee
    totals: Totals


PAYROLL_CSV_HEADER: tuple[str, ...] = (
    "employee_number", "last_name", "first_name", "period_start", "period_end", "regular_hours", "overtime_hours",
    "pto_hours", "holiday_hours", "total_paid_hours", "flsa_status",
)


def payroll_rows(*, actor: Any, period: PayPeriod) -> list[PayrollRow]:
    """One row per employee the actor reaches with workforce.payroll who has time in the period, by employee
    number. Two queries whatever the number of employees."""
    first = week_start(period.starts_on)
    last = week_start(period.ends_on) + dt.timedelta(days=6)
    entries = (TimeEntry.objects.filter(employee__in=payroll_employees(actor=actor).values("pk"),
                                        work_date__range=(first, last))
               .order_by("employee_id", "work_date", "pk"))
    by_employee: dict[int, list[TimeEntry]] = defaultdict(list)
    in_period: set[int] = set()
    for entry in entries:
        by_employee[entry.employee_id].append(entry)
        if period.starts_on <= entry.work_date <= period.ends_on:
            in_period.add(entry.employee_id)
    threshold = overtime_threshold()
    rows = []
    for employee in Employee.objects.filter(pk__in=in_period).order_by("employee_number"):
        totals = totals_for(by_employee[employee.pk], threshold=threshold,
                            eligible=employee.flsa_status == FlsaStatus.NON_EXEMPT,
                            first=period.starts_on, last=period.ends_on)
        rows.append(PayrollRow(employee=employee, totals=totals))
    return rows


def payroll_csv_values(row: PayrollRow, period: PayPeriod) -> list[str]:
    employee, totals = row.employee, row.totals
    return [employee.employee_number, employee.last_name, employee.first_name, period.starts_on.isoformat(),
            period.ends_on.isoformat(), f"{totals.regular:.2f}", f"{totals.overtime:.2f}", f"{totals.pto:.2f}",
            f"{totals.holiday:.2f}", f"{totals.paid:.2f}", employee.flsa_status]
