"""Cleaning writes: schedules (who cleans which location or room, under which contract, how often, the tasks) and
inspections (each task passed or failed, with a note), facilities.manage at the location for both. A failed task
may open a work order (source "cleaning", titled by the task) when the inspection is saved or later from the
inspection. Refusals are audited and change nothing; changes are audited with the location.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.vendors.models import Contract, Vendor

from ..choices import Priority, SafetyFrequency, WorkOrderSource
from ..models import CleaningInspection, CleaningInspectionItem, CleaningSchedule, WorkOrder
from .work_orders_open import work_order_open

SCHEDULE_FIELDS = ("location", "room", "vendor", "contract", "frequency", "weekdays", "tasks", "is_active")
MAX_TASKS = 50
TASK_LENGTH = 200
NOTE_LENGTH = 200
# How far back an inspection may be entered (one done on paper and typed in afterwards).
INSPECTION_BACKDATE_DAYS = 31


def _authorize(actor: Any, location_id: int, action: str, target: Any) -> None:
    if not can(actor, Perm.FACILITIES_MANAGE, location_id):
        raise refuse(actor=actor, permission=Perm.FACILITIES_MANAGE, action=action, target=target)


# --- schedules -------------------------------------------------------------------------------------------------


def weekdays_text(value: Any) -> str:
    """"0,2,4" (Monday, Wednesday, Friday) from a list of day numbers or such a text; empty: every day."""
    if value is None or value == "":
        return ""
    parts: Iterable[Any] = value.split(",") if isinstance(value, str) else value
    days: set[int] = set()
    for part in parts:
        try:
            day = int(str(part).strip())
        except ValueError as exc:
            raise ValidationError({"weekdays": _("Days are numbers from 0 (Monday) to 6 (Sunday).")}) from exc
        if not 0 <= day <= 6:
            raise ValidationError({"weekdays": _("Days are numbers from 0 (Monday) to 6 (Sunday).")})
        days.add(day)
    return "" if len(days) == 7 else ",".join(str(day) for day in sorted(days))


def task_text(value: Any) -> str:
    lines = [line.strip() for line in str(value or "").splitlines() if line.strip()]
    if not lines:
        raise ValidationError({"tasks": _("List at least one task, one per line.")})
    if len(lines) > MAX_TASKS:
        raise ValidationError({"tasks": _("List at most %(count)s tasks.") % {"count": MAX_TASKS}})
    if any(len(line) > TASK_LENGTH for line in lines):
        raise ValidationError({"tasks": _("Keep each task to %(count)s characters.") % {"count": TASK_LENGTH}})
    return "\n".join(lines)


def _schedule_values(data: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {name: data.get(name) for name in SCHEDULE_FIELDS}
    errors: dict[str, str] = {}
    if not isinstance(values["location"], Location):
        errors["location"] = _("Choose a location.")
    if values["frequency"] not in SafetyFrequency.values:
        errors["frequency"] = _("Choose how often it is cleaned.")
    vendor, contract = values["vendor"], values["contract"]
    if vendor is not None and not isinstance(vendor, Vendor):
        errors["vendor"] = _("Choose a cleaning firm.")
    if contract is not None:
        if not isinstance(contract, Contract):
            errors["contract"] = _("Choose a contract.")
        elif vendor is None:
            errors["contract"] = _("A contract is with a firm: choose the firm too.")
        elif contract.vendor_id != vendor.pk:
            errors["contract"] = _("This contract is with another firm.")
    if errors:
        raise ValidationError(errors)
    values["room"] = str(values["room"] or "").strip()
    values["weekdays"] = weekdays_text(values["weekdays"])
    values["tasks"] = task_text(values["tasks"])
    values["is_active"] = bool(values["is_active"]) if "is_active" in data else True
    return values


def cleaning_schedule_create(*, actor: Any, data: Mapping[str, Any]) -> CleaningSchedule:
    location = data.get("location")
    if isinstance(location, Location):
        _authorize(actor, location.pk, "facilities.cleaning_schedule_create", location)
    values = _schedule_values(data)
    schedule = CleaningSchedule(**values)
    schedule.full_clean()
    with transaction.atomic():
        schedule.save(force_insert=True)
        record(actor=actor, action="facilities.cleaning_schedule_created", target=schedule,
               location_id=schedule.location_id, changed_fields=list(SCHEDULE_FIELDS))
    return schedule


def cleaning_schedule_update(*, actor: Any, schedule: CleaningSchedule, data: Mapping[str, Any]) -> CleaningSchedule:
    _authorize(actor, schedule.location_id, "facilities.cleaning_schedule_update", schedule)
    location = data.get("location")
    if isinstance(location, Location) and location.pk != schedule.location_id:
        _authorize(actor, location.pk, "facilities.cleaning_schedule_update", schedule)
    values = _schedule_values(data)
    with transaction.atomic():
        locked = CleaningSchedule.objects.select_for_update().get(pk=schedule.pk)
        changed = [name for name in SCHEDULE_FIELDS if _stored(locked, name) != _given(values, name)]
        if not changed:
            return locked
        for name in changed:
            setattr(locked, name, values[name])
        locked.full_clean()
        locked.save(update_fields=[*changed, "updated_at"])
        record(actor=actor, action="facilities.cleaning_schedule_updated", target=locked,
               location_id=locked.location_id, changed_fields=changed)
    return locked


def _stored(schedule: CleaningSchedule, name: str) -> Any:
    return getattr(schedule, f"{name}_id") if name in ("location", "vendor", "contract") else getattr(schedule, name)


def _given(values: dict[str, Any], name: str) -> Any:
    value = values[name]
    return getattr(value, "pk", None) if name in ("location", "vendor", "contract") else value


# --- inspections -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskResult:
    """One task of the schedule as found: passed or not, a note, and whether to open a work order (failed only)."""

    passed: bool
    note: str = ""
    work_order: bool = False


def cleaning_inspection_record(*, actor: Any, schedule: CleaningSchedule, inspected_on: dt.date,
                               results: Sequence[TaskResult], notes: str = "") -> CleaningInspection:
    """Save an inspection of the schedule's tasks, in their order, and the work orders asked for failed ones, all
    or nothing."""
    _authorize(actor, schedule.location_id, "facilities.cleaning_inspection_record", schedule)
    today = practice_today()
    if not isinstance(inspected_on, dt.date) or isinstance(inspected_on, dt.datetime):
        raise ValidationError({"inspected_on": _("Enter the day of the inspection.")})
    if inspected_on > today:
        raise ValidationError({"inspected_on": _("An inspection cannot be dated in the future.")})
    if inspected_on < today - dt.timedelta(days=INSPECTION_BACKDATE_DAYS):
        raise ValidationError({"inspected_on": _("Enter inspections within %(days)s days.")
                               % {"days": INSPECTION_BACKDATE_DAYS}})
    with transaction.atomic():
        locked = CleaningSchedule.objects.select_for_update().select_related("location").get(pk=schedule.pk)
        if not locked.is_active:
            raise ValidationError(_("This schedule is no longer in use."))
        tasks = locked.task_lines()
        if len(results) != len(tasks):
            raise ValidationError(_("The schedule's tasks changed meanwhile: open the inspection form again."),
                                  code="tasks_changed")
        inspection = CleaningInspection(schedule=locked, inspected_on=inspected_on, inspector=actor,
                                        notes=str(notes or "").strip())
        inspection.full_clean()
        inspection.save(force_insert=True)
        items = []
        for position, (task, result) in enumerate(zip(tasks, results, strict=True)):
            if not isinstance(result.passed, bool):
                raise ValidationError({f"task_{position}": _("Say whether “%(task)s” passed.") % {"task": task}})
            item = CleaningInspectionItem(inspection=inspection, position=position, text=task[:TASK_LENGTH],
                                          passed=result.passed, note=str(result.note or "").strip()[:NOTE_LENGTH])
            item.full_clean()
            items.append(item)
        CleaningInspectionItem.objects.bulk_create(items)
        failed = sum(1 for item in items if not item.passed)
        record(actor=actor, action="facilities.cleaning_inspection_recorded", target=inspection,
               location_id=locked.location_id, reason=f"{len(items) - failed} passed, {failed} failed")
        for item, result in zip(items, results, strict=True):
            if result.work_order and not item.passed:
                _open_for_item(actor=actor, schedule=locked, inspection=inspection, item=item)
    return inspection


def _open_for_item(*, actor: Any, schedule: CleaningSchedule, inspection: CleaningInspection,
                   item: CleaningInspectionItem) -> WorkOrder:
    where = schedule.room or schedule.location.name
    description = _("Cleaning inspection of %(where)s on %(day)s: “%(task)s” was not done.") % {
        "where": where, "day": inspection.inspected_on.strftime("%m/%d/%Y"), "task": item.text}
    if item.note:
        description += "\n" + item.note
    return work_order_open(actor=actor, location=schedule.location, title=item.text[:160], description=description,
                           room=schedule.room, priority=Priority.NORMAL, source=WorkOrderSource.CLEANING,
                           cleaning_inspection=inspection)


def item_work_order(inspection: CleaningInspection, item: CleaningInspectionItem,
                    orders: Iterable[WorkOrder]) -> WorkOrder | None:
    """The work order opened for this item of the inspection (titled by its task), if any."""
    return next((order for order in orders if order.title == item.text[:160]), None)


def cleaning_item_work_order(*, actor: Any, item: CleaningInspectionItem) -> WorkOrder:
    """Open a work order for a failed task of an inspection after the fact; one per task."""
    inspection = item.inspection
    schedule = inspection.schedule
    _authorize(actor, schedule.location_id, "facilities.cleaning_work_order_open", inspection)
    if item.passed:
        raise ValidationError(_("This task passed the inspection: there is nothing to fix."))
    with transaction.atomic():
        locked = CleaningInspection.objects.select_for_update().select_related("schedule__location").get(
            pk=inspection.pk)
        existing = item_work_order(locked, item, WorkOrder.objects.filter(cleaning_inspection=locked))
        if existing is not None:
            raise ValidationError(_("Work order %(number)s was already opened for this task.")
                                  % {"number": existing.number}, code="already_open")
        return _open_for_item(actor=actor, schedule=locked.schedule, inspection=locked, item=item)
