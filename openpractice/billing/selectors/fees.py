"""Reads of fee schedules: the practice's standard fees and payer contract schedules (practice-wide reference
data, no PHI: anyone with billing.view anywhere sees them all), and the fee for a code on a date."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.patients.models import Payer

from ..codes.modifiers import normalize_modifier
from ..codes.procedures import normalize_procedure_code
from ..models import FeeSchedule, FeeScheduleEntry


def fee_schedule_list(*, actor: Any) -> QuerySet[FeeSchedule]:
    """Every schedule with its payer and `entry_count` (one query, whatever the number of schedules)."""
    if not can(actor, Perm.BILLING_VIEW):
        return FeeSchedule.objects.none()
    # Explicit order: Meta.ordering is dropped from GROUP BY queries, so PostgreSQL would return any order.
    return (FeeSchedule.objects.select_related("payer").annotate(entry_count=Count("entries"))
            .order_by("payer__name", "-effective_from", "pk"))


def fee_schedule_get(*, actor: Any, pk: int) -> FeeSchedule:
    """One schedule; FeeSchedule.DoesNotExist when it does not exist or the actor may not read billing."""
    return fee_schedule_list(actor=actor).get(pk=pk)


def fee_entries(*, actor: Any, schedule: FeeSchedule, search: str = "") -> QuerySet[FeeScheduleEntry]:
    """The entries of one schedule, by code then modifier. `search` matches the start of the code ("992")
    or a code with its modifier ("99213-25")."""
    if not can(actor, Perm.BILLING_VIEW):
        return FeeScheduleEntry.objects.none()
    queryset = FeeScheduleEntry.objects.filter(schedule=schedule).order_by("procedure_code", "modifier")
    # Codes and modifiers are ASCII letters and digits: anything else (spaces, a NUL byte) is dropped.
    text = "".join(char for char in search.upper() if char.isascii() and (char.isalnum() or char == "-"))[:20]
    if text:
        code, _dash, modifier = text.partition("-")
        queryset = queryset.filter(procedure_code__startswith=code)
        if modifier:
            queryset = queryset.filter(modifier__startswith=modifier)
    return queryset


def schedules_in_force(*, on: date, payer: Payer | None) -> QuerySet[FeeSchedule]:
    """The schedules (standard when payer is None, else that payer's) whose dates include `on`. The services
    keep schedules of one kind from overlapping, so this is at most one."""
    queryset = FeeSchedule.objects.filter(effective_from__lte=on).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=on))
    return queryset.filter(payer__isnull=True) if payer is None else queryset.filter(payer=payer)


def fee_lookup(*, procedure_code: str, modifiers: Sequence[str] = (), on: date,
               payer: Payer | None = None) -> Decimal | None:
    """The fee for a code on a date of service: from the standard schedule when `payer` is None, else the
    payer's contracted allowed amount. A fee for the code with the line's first modifier wins over the bare
    code's fee; None when no schedule in force lists the code. One query."""
    code = normalize_procedure_code(procedure_code)
    first_modifier = next((normalize_modifier(m) for m in modifiers if m and m.strip()), "")
    wanted = {"", first_modifier}
    rows = list(
        FeeScheduleEntry.objects.filter(
            schedule__in=schedules_in_force(on=on, payer=payer), procedure_code=code, modifier__in=wanted)
        .values_list("modifier", "amount")
    )
    amounts = dict(rows)
    if first_modifier and first_modifier in amounts:
        return amounts[first_modifier]
    return amounts.get("")
