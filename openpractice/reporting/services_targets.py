"""Writes of KPI targets: the practice sets (or clears) its target for a KPI of the registry (reporting.kpis).

Only holders of reports.manage set targets. A target is a ceiling (at most: days in A/R ≤ 35) or a floor (at
least: clean claim rate ≥ 95); `warn_at`, when given, lies beyond the target in the direction of "worse" (a
ceiling's warn_at is at or above it, a floor's at or below it) and marks where "close" ends and "missed" begins.
A percentage lies within 0..100; no target is negative. Every change is audited (old and new values in the
reason: figures, never PHI).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record

from .choices import Direction
from .kpis import KpiDefinition, Unit, UnknownKpi, kpi_definition
from .models import KpiTarget


def _require(actor: Any, action: str, target: KpiTarget | None = None) -> None:
    if not can(actor, Perm.REPORTS_MANAGE):
        raise refuse(actor=actor, permission=Perm.REPORTS_MANAGE, action=action, target=target)


def _definition(actor: Any, kpi: str, action: str) -> KpiDefinition:
    """The KPI's definition. A KPI the actor may not see is refused like a missing one is answered: one sets
    targets only for the KPIs one reads (an office manager's operational ones, a practice manager's financial
    ones too)."""
    try:
        definition = kpi_definition(kpi)
    except UnknownKpi:
        raise ValidationError({"kpi": _("There is no KPI “%(kpi)s”.") % {"kpi": kpi}}, code="unknown_kpi") from None
    if not can(actor, definition.permission):
        raise refuse(actor=actor, permission=definition.permission, action=action, reason=f"{kpi}: "
                     f"{definition.permission} required")
    return definition


def _check(definition: KpiDefinition, direction: str, target: Decimal, warn_at: Decimal | None) -> None:
    errors: dict[str, str] = {}
    if direction not in Direction.values:
        errors["direction"] = _("Choose “at most” or “at least”.")
    if target < 0:
        errors["target"] = _("A target cannot be negative.")
    elif definition.unit == Unit.PERCENT and target > 100:
        errors["target"] = _("A percentage lies between 0 and 100.")
    if warn_at is not None and "direction" not in errors:
        if warn_at < 0 or (definition.unit == Unit.PERCENT and warn_at > 100):
            errors["warn_at"] = _("A percentage lies between 0 and 100.") if warn_at >= 0 else _(
                "This value cannot be negative.")
        elif direction == Direction.AT_MOST and warn_at < target:
            errors["warn_at"] = _("With a ceiling (at most), “off target past” must be at or above the target.")
        elif direction == Direction.AT_LEAST and warn_at > target:
            errors["warn_at"] = _("With a floor (at least), “off target past” must be at or below the target.")
    if errors:
        raise ValidationError(errors)


def _describe(target: KpiTarget | None) -> str:
    if target is None:
        return "none"
    return f"{target.direction} {target.target}" + (f" warn {target.warn_at}" if target.warn_at is not None else "")


def kpi_target_set(*, actor: Any, kpi: str, direction: str, target: Decimal,
                   warn_at: Decimal | None = None) -> KpiTarget:
    """Create or change the practice's target for `kpi`. The refusal is audited before any transaction opens
    (a denial recorded inside one would roll back with it)."""
    _require(actor, "reporting.kpi_target_set")
    definition = _definition(actor, kpi, "reporting.kpi_target_set")
    _check(definition, direction, target, warn_at)
    return _save_target(actor=actor, kpi=kpi, direction=direction, target=target, warn_at=warn_at)


@transaction.atomic
def _save_target(*, actor: Any, kpi: str, direction: str, target: Decimal, warn_at: Decimal | None) -> KpiTarget:
    row = KpiTarget.objects.select_for_update().filter(kpi=kpi).first()
    before = _describe(row)
    if row is None:
        row = KpiTarget(kpi=kpi)
    row.direction, row.target, row.warn_at, row.updated_by = direction, target, warn_at, actor
    row.full_clean()
    row.save()
    record(actor=actor, action="reporting.kpi_target_set", target=row,
           changed_fields=["direction", "target", "warn_at"],
           reason=f"{kpi}: {before} -> {_describe(row)}"[:200])
    return row


def kpi_target_clear(*, actor: Any, kpi: str) -> bool:
    """Remove the target of `kpi` (its status then shows "no target"). False when it had none."""
    _require(actor, "reporting.kpi_target_clear")
    _definition(actor, kpi, "reporting.kpi_target_clear")
    with transaction.atomic():
        row = KpiTarget.objects.select_for_update().filter(kpi=kpi).first()
        if row is None:
            return False
        record(actor=actor, action="reporting.kpi_target_cleared", target=row,
               reason=f"{kpi}: {_describe(row)}"[:200])
        row.delete()
    return True
