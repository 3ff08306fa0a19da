"""Reads of pay: an employee's pay history, the market benchmarks and the compa-ratio report.

Pay is confidential: it is shown to holders of WORKFORCE_PAY for the employees they reach, and to each employee
for their own record. Every showing of someone's pay writes an audit event ("workforce.pay_viewed"), one per
employee shown. Amounts are encrypted at rest, so all arithmetic happens here, in Decimal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, QuerySet, Subquery

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.audit.services import Event, record, record_many
from openpractice.core.selectors import practice_today

from ..choices import EmployeeStatus, PayBasis
from ..models import Employee, PayBenchmark, PayRate, Position
from .scope import employees_scoped

WEEKS_PER_YEAR = Decimal(52)
RATIO_PLACES = Decimal("0.01")


def pay_employees(*, actor: Any) -> QuerySet[Employee]:
    """Employees whose pay the actor may see: those WORKFORCE_PAY reaches, and their own record."""
    return employees_scoped(actor=actor, permission=Perm.WORKFORCE_PAY, include_self=True)


@dataclass(frozen=True)
class PayRateRow:
    rate: PayRate
    amount: Decimal
    annual: Decimal
    is_current: bool
    is_scheduled: bool


def annualise(amount: Decimal, basis: str, hours_per_week: Decimal) -> Decimal:
    """A year's pay at this rate: an hourly rate times the standard hours a week times 52."""
    if basis == PayBasis.HOURLY:
        return (amount * hours_per_week * WEEKS_PER_YEAR).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return amount


def ratio(value: Decimal, reference: Decimal | None) -> Decimal | None:
    """value / reference to two decimals (1.00 = at the reference); None without a reference."""
    if reference is None or reference <= 0:
        return None
    return (value / reference).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


def pay_history(*, actor: Any, employee: Employee, today: dt.date | None = None) -> list[PayRateRow]:
    """Every pay rate of `employee`, newest first, the current one marked; audited as a view of their pay."""
    if not pay_employees(actor=actor).filter(pk=employee.pk).exists():
        raise PermissionDenied
    today = today or practice_today()
    rows: list[PayRateRow] = []
    current_seen = False
    for rate in PayRate.objects.filter(employee=employee).order_by("-effective_from", "-pk"):
        amount = Decimal(rate.amount)
        scheduled = rate.effective_from > today
        current = not scheduled and not current_seen
        current_seen = current_seen or current
        rows.append(PayRateRow(rate=rate, amount=amount, annual=annualise(amount, rate.basis, rate.hours_per_week),
                               is_current=current, is_scheduled=scheduled))
    record(actor=actor, action="workforce.pay_viewed", target=employee, location_id=employee.location_id,
           reason="pay history")
    return rows


def benchmark_list(*, actor: Any) -> QuerySet[PayBenchmark]:
    """Market benchmarks: for holders of WORKFORCE_PAY anywhere (they are market data, not anyone's pay)."""
    if not can(actor, Perm.WORKFORCE_PAY):
        return PayBenchmark.objects.none()
    return PayBenchmark.objects.all()


def benchmark_for(position: Position, benchmarks: list[PayBenchmark]) -> PayBenchmark | None:
    """The benchmark a position compares with: same system role; the same tier before a tier-less figure; a
    national figure before a regional one; then the newest."""
    if not position.role:
        return None
    candidates = [b for b in benchmarks if b.role == position.role and b.tier in (position.tier, "")]
    if not candidates:
        return None
    return max(candidates, key=lambda b: (b.tier == position.tier, b.region == "", b.as_of, b.pk))


@dataclass(frozen=True)
class CompaRow:
    employee: Employee
    rate: PayRate
    amount: Decimal
    annual: Decimal
    compared: Decimal  # the rate on the position's basis (annualised, or hourly for an hourly range)
    position_ratio: Decimal | None
    benchmark_ratio: Decimal | None


@dataclass
class PositionCompa:
    position: Position
    midpoint: Decimal | None
    benchmark: PayBenchmark | None
    rows: list[CompaRow] = field(default_factory=list)

    @property
    def average_position_ratio(self) -> Decimal | None:
        values = [row.position_ratio for row in self.rows if row.position_ratio is not None]
        if not values:
            return None
        return (sum(values, Decimal(0)) / len(values)).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


def midpoint(position: Position) -> Decimal | None:
    """The middle of the position's pay range, (pay_min + pay_max) / 2, on the position's basis."""
    if position.pay_min is None or position.pay_max is None:
        return None
    return ((position.pay_min + position.pay_max) / 2).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def on_position_basis(amount: Decimal, basis: str, hours_per_week: Decimal, position_basis: str) -> Decimal:
    """The rate as the position's range is expressed: annualised for an annual range; hourly (a salary spread
    over the standard hours of 52 weeks) for an hourly range."""
    if position_basis == PayBasis.HOURLY:
        if basis == PayBasis.HOURLY:
            return amount
        return (amount / (hours_per_week * WEEKS_PER_YEAR)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return annualise(amount, basis, hours_per_week)


def compa_ratio_report(*, actor: Any, today: dt.date | None = None) -> list[PositionCompa]:
    """For each position, the current (not terminated) employees WORKFORCE_PAY lets the actor see, each with
    their current rate against the position's midpoint and against the market median for the position's role.
    Constant queries (employees with their current rate's id, the rates, the benchmarks) and one audit event
    per employee shown, written in one statement."""
    if not can(actor, Perm.WORKFORCE_PAY):
        raise PermissionDenied
    today = today or practice_today()
    current_rate = (PayRate.objects.filter(employee_id=OuterRef("pk"), effective_from__lte=today)
                    .order_by("-effective_from", "-pk").values("pk")[:1])
    employees = list(
        employees_scoped(actor=actor, permission=Perm.WORKFORCE_PAY, include_self=False)
        .filter(position__isnull=False).exclude(status=EmployeeStatus.TERMINATED)
        .annotate(current_rate_id=Subquery(current_rate)).filter(current_rate_id__isnull=False)
        .select_related("position").order_by("position__title", "position_id", "last_name", "first_name", "pk"))
    rates = PayRate.objects.in_bulk([employee.current_rate_id for employee in employees])  # type: ignore[attr-defined]
    benchmarks = list(PayBenchmark.objects.all())
    groups: dict[int, PositionCompa] = {}
    for employee in employees:
        position = employee.position
        assert position is not None
        group = groups.get(position.pk)
        if group is None:
            group = groups[position.pk] = PositionCompa(position=position, midpoint=midpoint(position),
                                                        benchmark=benchmark_for(position, benchmarks))
        rate = rates[employee.current_rate_id]  # type: ignore[attr-defined]
        amount = Decimal(rate.amount)
        annual = annualise(amount, rate.basis, rate.hours_per_week)
        compared = on_position_basis(amount, rate.basis, rate.hours_per_week, position.pay_basis)
        group.rows.append(CompaRow(
            employee=employee, rate=rate, amount=amount, annual=annual, compared=compared,
            position_ratio=ratio(compared, group.midpoint),
            benchmark_ratio=ratio(annual, group.benchmark.median if group.benchmark else None)))
    record_many(actor=actor, events=[
        Event(action="workforce.pay_viewed", target=employee, location_id=employee.location_id,
              reason="compa-ratio report") for employee in employees])
    return list(groups.values())
