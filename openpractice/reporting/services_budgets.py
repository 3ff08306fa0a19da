"""Setting the practice's budgets: a whole year of one location (or of the practice as a whole) at once, or one
line. Money the practice plans: each save is audited (one event listing the months that changed), in the same
transaction.

A year's save makes the stored lines exactly the amounts given: a line given is created or changed, a line missing
(or None) is removed. Two people saving the same year and location at once never leave two lines for one month:
the rows are locked (select_for_update), the database's unique constraints refuse a duplicate, and a save that
met a line inserted meanwhile by the other is redone against it (the later save wins, both audited).

reports.budgets at the location is needed; practice-wide lines need it at every location. A refusal is audited and
changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, location_ids_where, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.models import Location

from .choices import BudgetCategory
from .models import BudgetLine

# A month's line above this is a typing slip, not a budget (the column holds ten digits before the point).
MAX_AMOUNT = Decimal("99999999.99")
MIN_YEAR, MAX_YEAR = 2000, 2100
CENT = Decimal("0.01")
ATTEMPTS = 3

Key = tuple[str, int]  # (category, month)


def amount_key(category: str, month: int) -> str:
    """The name of one amount in forms and error messages: "<category>_<month>"."""
    return f"{category}_{month}"


@dataclass(frozen=True)
class BudgetSaved:
    """What a save did: the lines added, changed and removed, by (category, month)."""

    added: list[Key] = field(default_factory=list)
    changed: list[Key] = field(default_factory=list)
    removed: list[Key] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.added) + len(self.changed) + len(self.removed)


def _clean_amount(value: Any, key: str, errors: dict[str, list[str]]) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.setdefault(key, []).append(_("Enter an amount."))
        return None
    if not amount.is_finite():
        errors.setdefault(key, []).append(_("Enter an amount."))
    elif amount < 0:
        errors.setdefault(key, []).append(_("A budget cannot be negative."))
    elif amount != amount.quantize(CENT):
        errors.setdefault(key, []).append(_("Use at most two decimals (cents)."))
    elif amount > MAX_AMOUNT:
        errors.setdefault(key, []).append(_("At most %(max)s a month.") % {"max": f"{MAX_AMOUNT:,.2f}"})
    else:
        return amount.quantize(CENT)
    return None


def clean_amounts(amounts: Mapping[Key, Any]) -> dict[Key, Decimal | None]:
    """The amounts checked: known categories, months 1-12, non-negative, at most two decimals and MAX_AMOUNT.
    ValidationError naming each bad one (by amount_key) otherwise."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[Key, Decimal | None] = {}
    for key, value in amounts.items():
        category, month = key
        name = f"{category}_{month}"
        if category not in BudgetCategory.values:
            errors.setdefault(name, []).append(_("There is no budget category %(c)s.") % {"c": category})
            continue
        if not isinstance(month, int) or not 1 <= month <= 12:
            errors.setdefault(name, []).append(_("A month is 1 to 12."))
            continue
        cleaned[(category, month)] = _clean_amount(value, name, errors)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationError({"year": _("A year from %(min)s to %(max)s.") % {"min": MIN_YEAR, "max": MAX_YEAR}})


def _require(actor: Any, location: Location | None, action: str) -> None:
    """reports.budgets at `location`; for practice-wide lines (None), at every location."""
    allowed = (can(actor, Perm.REPORTS_BUDGETS) and location_ids_where(actor, Perm.REPORTS_BUDGETS) is None
               if location is None else can(actor, Perm.REPORTS_BUDGETS, location))
    if not allowed:
        raise refuse(actor=actor, permission=Perm.REPORTS_BUDGETS, action=action, target=location,
                     reason=f"{Perm.REPORTS_BUDGETS} required"
                            + ("" if location is not None else " at every location (practice-wide budget)"))


def _months(months: list[int]) -> str:
    """1,2,3,5 -> "1-3+5" (no commas: the audit joins changed fields with commas)."""
    parts: list[str] = []
    start = previous = months[0]
    for month in [*months[1:], None]:
        if month is not None and month == previous + 1:
            previous = month
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if month is not None:
            start = previous = month
    return "+".join(parts)


def _changed_fields(saved: BudgetSaved) -> list[str]:
    by_category: dict[str, list[int]] = {}
    for category, month in [*saved.added, *saved.changed, *saved.removed]:
        by_category.setdefault(category, []).append(month)
    return [f"{category}:{_months(sorted(months))}" for category, months in sorted(by_category.items())]


def _apply(*, actor: Any, year: int, location: Location | None, wanted: Mapping[Key, Decimal | None]) -> BudgetSaved:
    """Make the stored lines of (year, location) for the keys of `wanted` what it says (None: no line), under row
    locks. Raises IntegrityError when a line was inserted meanwhile by someone else (the caller redoes it)."""
    lines = BudgetLine.objects.select_for_update().filter(year=year)
    lines = lines.filter(location__isnull=True) if location is None else lines.filter(location=location)
    existing = {(line.category, line.month): line for line in lines.filter(
        category__in=sorted({category for category, _month in wanted}))}
    now = timezone.now()
    added: list[BudgetLine] = []
    changed: list[BudgetLine] = []
    removed: list[BudgetLine] = []
    for (category, month), amount in sorted(wanted.items()):
        line = existing.get((category, month))
        if amount is None:
            if line is not None:
                removed.append(line)
        elif line is None:
            line = BudgetLine(year=year, month=month, category=category, location=location, amount=amount,
                              updated_by=actor)
            # The database holds uniqueness (its constraints) and the references are the objects given.
            line.full_clean(exclude=["location", "updated_by"], validate_unique=False, validate_constraints=False)
            added.append(line)
        elif line.amount != amount:
            line.amount, line.updated_by, line.updated_at = amount, actor, now
            line.full_clean(exclude=["location", "updated_by"], validate_unique=False, validate_constraints=False)
            changed.append(line)
    if removed:
        BudgetLine.objects.filter(pk__in=[line.pk for line in removed]).delete()
    if changed:
        BudgetLine.objects.bulk_update(changed, ["amount", "updated_by", "updated_at"])
    if added:
        BudgetLine.objects.bulk_create(added)
    return BudgetSaved(added=[(line.category, line.month) for line in added],
                       changed=[(line.category, line.month) for line in changed],
                       removed=[(line.category, line.month) for line in removed])


def _save(*, actor: Any, year: int, location: Location | None, wanted: Mapping[Key, Decimal | None],
          action: str) -> BudgetSaved:
    with transaction.atomic():
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with transaction.atomic():  # a savepoint: a duplicate refused rolls back this attempt only
                    saved = _apply(actor=actor, year=year, location=location, wanted=wanted)
                break
            except IntegrityError:
                # Someone else's save of the same year and location inserted a line first: redo against it.
                if attempt == ATTEMPTS:
                    raise
        if saved.count:
            place = location.name if location is not None else _("practice-wide")
            record(actor=actor, action=action, object_type="reporting.budgetline",
                   object_id=f"{year}:{location.pk if location is not None else 'practice'}",
                   location_id=location.pk if location is not None else None,
                   changed_fields=_changed_fields(saved),
                   reason=f"{year} {place}: {len(saved.added)} added, {len(saved.changed)} changed, "
                          f"{len(saved.removed)} removed")
    return saved


def budget_year_save(*, actor: Any, year: int, location: Location | None,
                     amounts: Mapping[Key, Any]) -> BudgetSaved:
    """Make the budget of `year` for `location` (None: practice-wide) exactly `amounts`, {(category, month):
    amount}: lines missing or None are removed. All checked before anything is written (ValidationError naming
    each bad amount by amount_key); one transaction; one audit event when anything changed."""
    _require(actor, location, "reporting.budget_save")
    _check_year(year)
    cleaned = clean_amounts(amounts)
    wanted: dict[Key, Decimal | None] = {(category, month): None for category in BudgetCategory.values
                                         for month in range(1, 13)}
    wanted.update(cleaned)
    return _save(actor=actor, year=year, location=location, wanted=wanted, action="reporting.budget_saved")


def budget_set(*, actor: Any, year: int, month: int, category: str, location: Location | None,
               amount: Decimal | None) -> BudgetSaved:
    """Set one line (None removes it); the year's other lines stay as they are. Audited like a year's save."""
    _require(actor, location, "reporting.budget_save")
    _check_year(year)
    cleaned = clean_amounts({(category, month): amount})
    return _save(actor=actor, year=year, location=location, wanted=cleaned, action="reporting.budget_saved")


def spread_evenly(annual: Decimal) -> list[Decimal]:
    """An annual amount in twelve monthly amounts that add up to it exactly: the cents left over from dividing go
    one each to the first months."""
    cents = int((annual.quantize(CENT) * 100).to_integral_value())
    base, rest = divmod(cents, 12)
    return [(Decimal(base + (1 if month < rest else 0)) / 100).quantize(CENT) for month in range(12)]
