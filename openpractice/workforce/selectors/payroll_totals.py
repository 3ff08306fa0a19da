"""What each closed pay period's payroll export comes to in money, per location: the payroll actuals of practice
finances (reporting).

The payroll export (time.payroll_rows, the CSV the practice hands its payroll provider) states hours per employee:
regular, overtime, PTO and holiday. Money comes from the pay rate in effect on the period's last day:
- hourly: (regular + PTO + holiday hours) x rate + overtime hours x rate x 1.5 (the FLSA overtime premium);
- annual salary: the salary for the period's length, salary / 52 x days / 7 (a two-week period is 1/26 of it).
Employees count as the export counts them: those with time in the period. An employee without a rate in effect
then is not costed and is counted in `without_rate` so the page can say so.

Gross pay only (what the export states): no employer taxes or benefits. A period belongs to its end: reporting puts
it in the month of `ends_on` (the pay date is not recorded; pay follows the period's close).

Scope: workforce.payroll, like the export (employees of the actor's locations; held for all locations, also those
without a main location). Rates are encrypted, so the sums are made here, in Decimal; a fixed number of queries
whatever the number of periods, employees and time entries.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..choices import FlsaStatus, PayBasis, PayPeriodStatus
from ..models import Employee, PayPeriod, PayRate, TimeEntry
from .time import Totals, overtime_threshold, payroll_employees, totals_for, week_start

CENT = Decimal("0.01")
OVERTIME_PREMIUM = Decimal("1.5")
WEEKS_PER_YEAR = Decimal(52)


@dataclass(frozen=True)
class PeriodPayroll:
    """The gross pay of one closed pay period at one location (None: employees without a main location)."""

    period_id: int
    starts_on: dt.date
    ends_on: dt.date
    location_id: int | None
    amount: Decimal
    employees: int  # employees costed
    without_rate: int  # employees in the export with no pay rate in effect on the last day (not costed)


def gross_pay(totals: Totals, *, basis: str, rate: Decimal, days: int) -> Decimal:
    """One employee's gross pay for a period of `days` days with these hours, to the cent."""
    if basis == PayBasis.HOURLY:
        amount = (totals.regular + totals.pto + totals.holiday) * rate + totals.overtime * rate * OVERTIME_PREMIUM
    else:
        amount = rate / WEEKS_PER_YEAR * Decimal(days) / Decimal(7)
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _rate_on(rates: list[PayRate], day: dt.date) -> PayRate | None:
    """The rate in effect on `day` from one employee's rates sorted by (effective_from, pk)."""
    found = None
    for rate in rates:
        if rate.effective_from > day:
            break
        found = rate
    return found


def payroll_cost_by_period(*, actor: Any, ends_from: dt.date, ends_to: dt.date,
                           location_ids: Iterable[int] | None = None) -> list[PeriodPayroll]:
    """Gross pay per closed pay period ending `ends_from` to `ends_to` (both included) and per employee location,
    for the employees the actor reaches with workforce.payroll (and, when `location_ids` is given, whose main
    location is one of them). Five queries."""
    periods = list(PayPeriod.objects.filter(status=PayPeriodStatus.CLOSED, ends_on__gte=ends_from,
                                            ends_on__lte=ends_to).order_by("starts_on"))
    if not periods:
        return []
    employees = payroll_employees(actor=actor)
    if location_ids is not None:
        employees = employees.filter(location_id__in=sorted(set(location_ids)))
    # Overtime is per workweek: read whole weeks around the periods.
    first = week_start(periods[0].starts_on)
    last = week_start(max(period.ends_on for period in periods)) + dt.timedelta(days=6)
    entries = (TimeEntry.objects.filter(employee__in=employees.values("pk"), work_date__range=(first, last))
               .only("employee_id", "work_date", "kind", "hours").order_by("employee_id", "work_date", "pk"))
    by_employee: dict[int, list[TimeEntry]] = defaultdict(list)
    for entry in entries:
        by_employee[entry.employee_id].append(entry)
    if not by_employee:
        return []
    dates = {employee_id: [entry.work_date for entry in own] for employee_id, own in by_employee.items()}
    people = {employee.pk: employee for employee in
              Employee.objects.filter(pk__in=sorted(by_employee)).only("pk", "location_id", "flsa_status")}
    rates: dict[int, list[PayRate]] = defaultdict(list)
    latest_end = max(period.ends_on for period in periods)
    for pay_rate in PayRate.objects.filter(employee_id__in=sorted(by_employee), effective_from__lte=latest_end
                                           ).order_by("employee_id", "effective_from", "pk"):
        rates[pay_rate.employee_id].append(pay_rate)
    threshold = overtime_threshold()

    sums: dict[tuple[int, int | None], list[Any]] = {}
    for period in periods:
        weeks_from = week_start(period.starts_on)
        weeks_to = week_start(period.ends_on) + dt.timedelta(days=6)
        days = (period.ends_on - period.starts_on).days + 1
        for employee_id, own in by_employee.items():
            days_worked = dates[employee_id]
            if bisect.bisect_left(days_worked, period.starts_on) == bisect.bisect_right(days_worked, period.ends_on):
                continue  # no time in the period: not in its export
            employee = people[employee_id]
            key = (period.pk, employee.location_id)
            total = sums.setdefault(key, [Decimal("0.00"), 0, 0])
            rate = _rate_on(rates.get(employee_id, []), period.ends_on)
            if rate is None:
                total[2] += 1
                continue
            weeks = own[bisect.bisect_left(days_worked, weeks_from):bisect.bisect_right(days_worked, weeks_to)]
            hours = totals_for(weeks, threshold=threshold, eligible=employee.flsa_status == FlsaStatus.NON_EXEMPT,
                               first=period.starts_on, last=period.ends_on)
            total[0] += gross_pay(hours, basis=rate.basis, rate=Decimal(rate.amount), days=days)
            total[1] += 1
    by_pk = {period.pk: period for period in periods}
    return [PeriodPayroll(period_id=period_id, starts_on=by_pk[period_id].starts_on,
                          ends_on=by_pk[period_id].ends_on, location_id=location_id, amount=amount,
                          employees=costed, without_rate=missing)
            for (period_id, location_id), (amount, costed, missing) in sums.items()]
