"""Writes to pay: an employee's pay rates (the history is the rows; amounts encrypted at rest) and the market
pay benchmarks the compa-ratio report compares against.

Setting someone's pay takes WORKFORCE_PAY and WORKFORCE_MANAGE where the employee works (every location for an
employee without a main location), and never for one's own record. Benchmarks are practice-wide data: editing
them takes both permissions at every location. Refusals are audited before the transaction opens.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, has_all_locations, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record

from ..choices import PayBasis
from ..models import Employee, PayBenchmark, PayRate

CENT = Decimal("0.01")
MAX_PAY = Decimal("99999999.99")
_NUMBER = re.compile(r"^[0-9]+(?:\.[0-9]{1,2})?$")  # ASCII digits only; no sign, separator or exponent
BENCHMARK_FIELDS: tuple[str, ...] = (
    "title", "role", "tier", "region", "percentile_10", "median", "percentile_90", "source", "as_of", "note",
)  # fmt: skip


def parse_pay_amount(value: Any, *, field: str = "amount") -> Decimal:
    """The amount `value` stands for ("23.5", "61000", Decimal("61000.00")) with two decimals. Raises a
    ValidationError on `field` for anything else: not a plain number, more than two decimals, 0 or less, or
    more than MAX_PAY."""
    if isinstance(value, Decimal):
        number = value
    else:
        text = "" if value is None else str(value).strip()
        if not text:
            raise ValidationError({field: _("Enter an amount, e.g. 23.50 an hour or 61000.00 a year.")},
                                  code="required")
        if len(text) > 20 or not re.match(r"^[0-9.]+$", text):
            raise ValidationError({field: _("Write the amount with digits and a point only (no currency sign, "
                                            "thousands separator or minus), e.g. 61000.00.")}, code="invalid")
        if not _NUMBER.match(text):
            raise ValidationError({field: _("An amount has at most two decimals (cents), e.g. 23.50.")},
                                  code="invalid")
        try:
            number = Decimal(text)
        except InvalidOperation as error:  # pragma: no cover - the pattern admits only valid decimals
            raise ValidationError({field: _("That is not an amount.")}, code="invalid") from error
    if not number.is_finite():
        raise ValidationError({field: _("That is not an amount.")}, code="invalid")
    if number != number.quantize(CENT):
        raise ValidationError({field: _("An amount has at most two decimals (cents), e.g. 23.50.")},
                              code="invalid")
    if number <= 0:
        raise ValidationError({field: _("The amount must be more than 0.")}, code="not_positive")
    if number > MAX_PAY:
        raise ValidationError({field: _("The amount is larger than %(max)s.") % {"max": f"{MAX_PAY:,}"}},
                              code="too_large")
    return number.quantize(CENT)


def _reaches(actor: Any, permission: str, employee: Employee) -> bool:
    """The scope rule of selectors.scope for one employee: at their main location, or everywhere when they
    have none."""
    if employee.location_id is None:
        return has_all_locations(actor, permission)
    return can(actor, permission, employee.location_id)


def pay_rate_allowed(*, actor: Any, employee: Employee) -> bool:
    """Whether `actor` may set `employee`'s pay (what pay_rate_add checks, without auditing)."""
    if employee.user_id is not None and employee.user_id == getattr(actor, "pk", None):
        return False
    return all(_reaches(actor, permission, employee) for permission in (Perm.WORKFORCE_PAY, Perm.WORKFORCE_MANAGE))


def pay_rate_add(*, actor: Any, employee: Employee, effective_from: dt.date, basis: str, amount: Any,
                 hours_per_week: Decimal = Decimal("40"), reason: str = "") -> PayRate:
    """A new pay rate for `employee` from `effective_from` on (one per day). The amount is stored encrypted,
    as text with two decimals."""
    action = "workforce.pay_rate_add"
    if getattr(employee, "user_id", None) is not None and employee.user_id == getattr(actor, "pk", None):
        raise refuse(actor=actor, permission=Perm.WORKFORCE_PAY, action=action, target=employee,
                     reason="own pay", message=_("Nobody sets their own pay."))
    for permission in (Perm.WORKFORCE_PAY, Perm.WORKFORCE_MANAGE):
        if not _reaches(actor, permission, employee):
            raise refuse(actor=actor, permission=permission, action=action, target=employee)
    value = parse_pay_amount(amount)
    if basis not in PayBasis.values:
        raise ValidationError({"basis": _("Choose hourly or annual.")}, code="invalid")
    if hours_per_week is None or not Decimal(0) < hours_per_week <= Decimal(80):
        raise ValidationError({"hours_per_week": _("Standard hours a week are more than 0 and at most 80.")},
                              code="invalid")
    rate = PayRate(employee=employee, effective_from=effective_from, basis=basis, amount=f"{value:.2f}",
                   hours_per_week=hours_per_week, reason=(reason or "").strip(), created_by=actor)
    rate.full_clean(validate_unique=False, validate_constraints=False)
    if PayRate.objects.filter(employee=employee, effective_from=effective_from).exists():
        raise ValidationError({"effective_from": _("This employee already has a pay rate from %(date)s: change "
                                                   "the date.") % {"date": effective_from.isoformat()}},
                              code="duplicate")
    try:
        with transaction.atomic():
            rate.save(force_insert=True)
            record(actor=actor, action="workforce.pay_rate_added", target=employee,
                   location_id=employee.location_id,
                   changed_fields=["effective_from", "basis", "amount", "hours_per_week"]
                   + (["reason"] if rate.reason else []))
    except IntegrityError as error:
        # The same date written by someone else between the check above and the insert.
        raise ValidationError({"effective_from": _("Another pay rate from this date was saved a moment ago: "
                                                   "reload the page.")}, code="duplicate") from error
    return rate


def _authorize_benchmarks(*, actor: Any, action: str, target: PayBenchmark | None = None) -> None:
    for permission in (Perm.WORKFORCE_PAY, Perm.WORKFORCE_MANAGE):
        if not has_all_locations(actor, permission):
            raise refuse(actor=actor, permission=f"{permission} (all locations)", action=action, target=target)


def _check_benchmark(benchmark: PayBenchmark) -> None:
    errors: dict[str, list[str]] = {}
    for name in ("percentile_10", "median", "percentile_90"):
        try:
            setattr(benchmark, name, parse_pay_amount(getattr(benchmark, name), field=name))
        except ValidationError as error:
            errors.setdefault(name, []).extend(error.message_dict[name])
    if not errors and not (benchmark.percentile_10 <= benchmark.median <= benchmark.percentile_90):
        errors.setdefault("median", []).append(
            _("The figures must rise: bottom 10% ≤ median ≤ top 10%."))
    if not (benchmark.source or "").strip():
        errors.setdefault("source", []).append(_("Say where the figures come from (survey, publisher)."))
    if benchmark.as_of is None:
        errors.setdefault("as_of", []).append(_("Give the date the figures describe."))
    if errors:
        raise ValidationError(errors)
    benchmark.full_clean(exclude=["created_by"])


def _apply_benchmark(benchmark: PayBenchmark, data: Mapping[str, Any]) -> list[str]:
    unknown = sorted(set(data) - set(BENCHMARK_FIELDS))
    if unknown:
        raise ValidationError(_("Unknown or read-only field(s): %(fields)s.") % {"fields": ", ".join(unknown)},
                              code="unknown_field")
    changed: list[str] = []
    for name, value in data.items():
        if isinstance(value, str):
            value = value.strip()
        if name in ("role", "tier", "region", "note") and value is None:
            value = ""
        if getattr(benchmark, name) != value:
            setattr(benchmark, name, value)
            changed.append(name)
    return changed


def pay_benchmark_create(*, actor: Any, data: Mapping[str, Any]) -> PayBenchmark:
    """A market pay figure the practice adds (annual; source and as-of date required)."""
    _authorize_benchmarks(actor=actor, action="workforce.pay_benchmark_create")
    benchmark = PayBenchmark(created_by=actor)
    changed = _apply_benchmark(benchmark, data)
    _check_benchmark(benchmark)
    with transaction.atomic():
        benchmark.save(force_insert=True)
        record(actor=actor, action="workforce.pay_benchmark_created", target=benchmark, changed_fields=changed)
    return benchmark


def pay_benchmark_update(*, actor: Any, benchmark: PayBenchmark, data: Mapping[str, Any]) -> PayBenchmark:
    """Change a benchmark (send only what changes); the source and date stay required."""
    _authorize_benchmarks(actor=actor, action="workforce.pay_benchmark_update", target=benchmark)
    with transaction.atomic():
        current = PayBenchmark.objects.select_for_update().get(pk=benchmark.pk)
        changed = _apply_benchmark(current, data)
        _check_benchmark(current)
        if changed:
            current.save(update_fields=changed)
            record(actor=actor, action="workforce.pay_benchmark_updated", target=current, changed_fields=changed)
    return current
