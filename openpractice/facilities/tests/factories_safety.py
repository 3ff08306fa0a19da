"""Builders for the safety-log and cleaning tests and the route samples: rows made directly (no alert, no audit), so a
test sets up exactly what it needs; the services are tested through their own calls."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.test import Client
from django.utils import timezone

from openpractice.accounts.tests.factories import sign_in
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.facilities.choices import SafetyCheckKind, SafetyFrequency
from openpractice.facilities.models import (
    CleaningInspection,
    CleaningInspectionItem,
    CleaningSchedule,
    SafetyCheckpoint,
    SafetyLogEntry,
    WorkOrder,
)

TASKS = ("Empty the trash", "Disinfect exam tables", "Restock the restrooms")


def make_fridge(*, location: Any, name: str = "Vaccine refrigerator", frequency: str = SafetyFrequency.TWICE_DAILY,
                started_days_ago: int = 0, **fields: Any) -> SafetyCheckpoint:
    """A refrigerator checkpoint (36–46 °F); `started_days_ago` backdates its creation (the log starts then)."""
    values: dict[str, Any] = {"kind": SafetyCheckKind.FRIDGE_TEMPERATURE, "minimum": Decimal("36.0"),
                              "maximum": Decimal("46.0"), "unit": "°F", **fields}
    checkpoint = SafetyCheckpoint.objects.create(location=location, name=name, frequency=frequency, **values)
    return _started(checkpoint, started_days_ago)


def make_check(*, location: Any, kind: str = SafetyCheckKind.EYEWASH, name: str = "Eyewash station",
               frequency: str = SafetyFrequency.MONTHLY, started_days_ago: int = 0, **fields: Any) -> SafetyCheckpoint:
    checkpoint = SafetyCheckpoint.objects.create(location=location, name=name, kind=kind, frequency=frequency,
                                                 **fields)
    return _started(checkpoint, started_days_ago)


def _started(checkpoint: SafetyCheckpoint, days_ago: int) -> SafetyCheckpoint:
    if days_ago:
        SafetyCheckpoint.objects.filter(pk=checkpoint.pk).update(
            created_at=timezone.now() - dt.timedelta(days=days_ago))
        checkpoint.refresh_from_db()
    return checkpoint


def make_entry(*, checkpoint: SafetyCheckpoint, log_date: dt.date, recorded_by: Any, slot: str = "",
               value: str | None = None, passed: bool = True, **fields: Any) -> SafetyLogEntry:
    if not slot:
        slot = "am" if checkpoint.frequency == SafetyFrequency.TWICE_DAILY else "day"
    return SafetyLogEntry.objects.create(checkpoint=checkpoint, log_date=log_date, slot=slot,
                                         recorded_by=recorded_by, value=Decimal(value) if value else None,
                                         passed=passed, **fields)


def make_schedule(*, location: Any, room: str = "", tasks: tuple[str, ...] = TASKS, **fields: Any) -> CleaningSchedule:
    return CleaningSchedule.objects.create(location=location, room=room, tasks="\n".join(tasks), **fields)


def make_inspection(*, schedule: CleaningSchedule, inspector: Any, failed: tuple[int, ...] = (),
                    inspected_on: dt.date | None = None) -> CleaningInspection:
    inspection = CleaningInspection.objects.create(schedule=schedule, inspector=inspector,
                                                   inspected_on=inspected_on or timezone.localdate())
    for position, task in enumerate(schedule.task_lines()):
        CleaningInspectionItem.objects.create(inspection=inspection, position=position, text=task,
                                              passed=position not in failed)
    return inspection


# --- what the tests check with -----------------------------------------------------------------------------------

SAFETY_MODELS = (SafetyCheckpoint, SafetyLogEntry, CleaningSchedule, CleaningInspection, CleaningInspectionItem,
                 WorkOrder)


def rows() -> list[list[Any]]:
    """Every row of the safety, cleaning and work-order tables, every column: what a refusal must leave alone."""
    return [list(model.objects.order_by("pk").values_list()) for model in SAFETY_MODELS]


def denials(user: Any) -> int:
    return AuditEvent.objects.filter(actor_id=user.pk, outcome=Outcome.DENIED).count()


def client_for(user: Any) -> Client:
    return sign_in(Client(), user)
