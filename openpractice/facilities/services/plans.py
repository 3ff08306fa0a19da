"""Preventive maintenance plans and the work orders they open.

A plan repeats every N days, every N calendar months (a due date on the 31st falls on the last day of shorter
months) or every N units of the asset's meter. It names its checklist, its priority and who does the work (a staff
member or a firm, not both). facilities.manage at the asset's location changes plans; refusals are audited and
change nothing; changes are audited with the names of the fields touched.

`plans_open_due_work_orders(today=...)` runs daily (tasks.py). For every active plan of an asset still in use
whose next due date less its lead days has come (or whose asset's meter reached the due reading) it opens ONE
preventive work order through `work_order_open`, copies the checklist into it, assigns it to the plan's person or
firm, and advances the plan past today, in one transaction per plan. Occurrences missed while the task was not
running are folded into that one work order rather than opened one by one. Running it again the same day opens
nothing more: the plan has moved on, and the database holds one work order per plan and due date
(workorder_once_per_plan_due).
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record

from ..choices import AssetStatus, IntervalUnit, WorkOrderSource
from ..models import Asset, MaintenancePlan, PlanChecklistItem, WorkOrder, WorkOrderChecklistItem, WorkOrderEvent
from .work_orders_open import work_order_open

logger = logging.getLogger("openpractice.facilities")

PLAN_FIELDS: tuple[str, ...] = (
    "title", "interval", "interval_unit", "next_due_on", "next_due_meter", "lead_days", "priority", "assignee",
    "vendor", "is_active",
)  # fmt: skip
MAX_LEAD_DAYS = 365
MAX_CHECKLIST = 50
STEP_LENGTH = 200


# --- dates -----------------------------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by whole calendar months, clamped to the end of a shorter month (31 January + 1 = 28/29
    February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_date(plan: MaintenancePlan, day: dt.date) -> dt.date:
    if plan.interval_unit == IntervalUnit.MONTHS:
        return add_months(day, plan.interval)
    return day + dt.timedelta(days=plan.interval)


def opens_on(plan: MaintenancePlan) -> dt.date | None:
    """The day the plan's next work order opens (its due date less the lead days); None for a plan by meter."""
    if plan.interval_unit == IntervalUnit.METER or plan.next_due_on is None:
        return None
    return plan.next_due_on - dt.timedelta(days=plan.lead_days)


def is_due(plan: MaintenancePlan, asset: Asset, today: dt.date) -> bool:
    if plan.interval_unit == IntervalUnit.METER:
        return plan.next_due_meter is not None and asset.meter_reading >= plan.next_due_meter
    start = opens_on(plan)
    return start is not None and start <= today


# --- plans -----------------------------------------------------------------------------------------------------


def _require(actor: Any, action: str, location_id: int, target: Any = None) -> None:
    if not can(actor, Perm.FACILITIES_MANAGE, location_id):
        raise refuse(actor=actor, permission=Perm.FACILITIES_MANAGE, action=action, target=target)


def _clean(data: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(data) - set(PLAN_FIELDS))
    if unknown:
        raise ValidationError(_("Unknown or read-only field(s): %(fields)s.") % {"fields": ", ".join(unknown)},
                              code="unknown_field")
    return {name: (value.strip() if isinstance(value, str) else value) for name, value in data.items()}


def checklist_steps(lines: Iterable[str]) -> list[str]:
    """The steps to keep: trimmed, empty lines dropped; at most 50 of at most 200 characters."""
    steps = [" ".join(str(line).split()) for line in lines]
    steps = [step for step in steps if step]
    if len(steps) > MAX_CHECKLIST:
        raise ValidationError({"checklist": _("A checklist has at most %(count)s steps.") % {"count": MAX_CHECKLIST}})
    if any(len(step) > STEP_LENGTH for step in steps):
        raise ValidationError({"checklist": _("Keep each step under %(count)s characters.") % {"count": STEP_LENGTH}})
    return steps


def _validate(plan: MaintenancePlan, asset: Asset, changed: Iterable[str]) -> None:
    """What the model's constraints do not say in words: the unit's due field, the lead days, who does it."""
    errors: dict[str, str] = {}
    if plan.interval_unit == IntervalUnit.METER:
        if plan.next_due_meter is None:
            errors["next_due_meter"] = _("Give the meter reading at which the maintenance is due.")
        plan.next_due_on = None
    else:
        if plan.next_due_on is None:
            errors["next_due_on"] = _("Give the date the maintenance is next due.")
        plan.next_due_meter = None
    if plan.lead_days > MAX_LEAD_DAYS:
        errors["lead_days"] = _("Open the work order at most %(days)s days ahead.") % {"days": MAX_LEAD_DAYS}
    if plan.assignee_id is not None and plan.vendor_id is not None:
        errors["vendor"] = _("Assign the plan to a person or to a firm, not both.")
    if "assignee" in changed and plan.assignee is not None and not (
            plan.assignee.is_active and can(plan.assignee, Perm.FACILITIES_VIEW, asset.location_id)):
        errors["assignee"] = _("Choose someone who works with facilities at this location.")
    if "vendor" in changed and plan.vendor is not None and not plan.vendor.is_active:
        errors["vendor"] = _("This firm is no longer active.")
    if errors:
        raise ValidationError(errors)
    plan.full_clean()


def _set_checklist(plan: MaintenancePlan, steps: list[str]) -> None:
    plan.checklist.all().delete()
    PlanChecklistItem.objects.bulk_create(
        [PlanChecklistItem(plan=plan, position=index, text=text) for index, text in enumerate(steps, start=1)])


def plan_create(*, actor: Any, asset: Asset, data: Mapping[str, Any], checklist: Iterable[str] = ()) -> MaintenancePlan:
    """A new plan for an asset in use at a location the actor manages facilities for."""
    _require(actor, "facilities.plan_create", asset.location_id, asset)
    if asset.status == AssetStatus.RETIRED:
        raise ValidationError(_("This asset is retired: it needs no maintenance plan."))
    values = _clean(data)
    steps = checklist_steps(checklist)
    plan = MaintenancePlan(asset=asset, **values)
    _validate(plan, asset, values)
    with transaction.atomic():
        plan.save(force_insert=True)
        _set_checklist(plan, steps)
        record(actor=actor, action="facilities.plan_created", target=plan, location_id=asset.location_id,
               changed_fields=sorted([*values, *(["checklist"] if steps else [])]))
    return plan


def plan_update(*, actor: Any, plan: MaintenancePlan, data: Mapping[str, Any],
                checklist: Iterable[str] | None = None) -> MaintenancePlan:
    """Change a plan (and replace its checklist when one is given); work orders already open keep theirs."""
    asset = plan.asset
    _require(actor, "facilities.plan_update", asset.location_id, plan)
    values = _clean(data)
    steps = None if checklist is None else checklist_steps(checklist)
    with transaction.atomic():
        locked = MaintenancePlan.objects.select_for_update(of=("self",)).select_related("asset").get(pk=plan.pk)
        if values.get("is_active") and locked.asset.status == AssetStatus.RETIRED:
            raise ValidationError({"is_active": _("This asset is retired: its plans stay stopped.")})
        before = {name: getattr(locked, name) for name in PLAN_FIELDS}
        for name, value in values.items():
            setattr(locked, name, value)
        _validate(locked, locked.asset, [name for name in values if before[name] != values[name]])
        changed = [name for name in PLAN_FIELDS if getattr(locked, name) != before[name]]
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
        if steps is not None and steps != list(locked.checklist.values_list("text", flat=True)):
            _set_checklist(locked, steps)
            changed.append("checklist")
        if changed:
            record(actor=actor, action="facilities.plan_updated", target=locked, location_id=locked.asset.location_id,
                   changed_fields=sorted(changed))
    return locked


# --- the daily task --------------------------------------------------------------------------------------------


def _candidates(today: dt.date) -> list[int]:
    """Plans that may be due (two cheap conditions in the database; `is_due` decides under the row lock)."""
    in_use = Q(is_active=True) & ~Q(asset__status=AssetStatus.RETIRED)
    by_date = ~Q(interval_unit=IntervalUnit.METER) & Q(next_due_on__lte=today + dt.timedelta(days=MAX_LEAD_DAYS))
    by_meter = Q(interval_unit=IntervalUnit.METER, asset__meter_reading__gte=F("next_due_meter"))
    return list(MaintenancePlan.objects.filter(in_use & (by_date | by_meter))
                .order_by("next_due_on", "pk").values_list("pk", flat=True))


def _advance(plan: MaintenancePlan, asset: Asset, today: dt.date) -> str:
    """Move the plan's next due past the occurrence just opened (and past any missed since); the field moved."""
    if plan.interval_unit == IntervalUnit.METER:
        assert plan.next_due_meter is not None
        due = plan.next_due_meter + plan.interval
        while due <= asset.meter_reading:
            due += plan.interval
        plan.next_due_meter = due
        return "next_due_meter"
    assert plan.next_due_on is not None
    day = next_date(plan, plan.next_due_on)
    while day < today:
        day = next_date(plan, day)
    plan.next_due_on = day
    return "next_due_on"


def _description(plan: MaintenancePlan, due_on: dt.date) -> str:
    if plan.interval_unit == IntervalUnit.METER:
        return _("Preventive maintenance due at %(reading)s %(unit)s (%(plan)s).") % {
            "reading": plan.next_due_meter, "unit": plan.asset.meter_unit or _("on the meter"), "plan": plan.title}
    return _("Preventive maintenance due %(day)s (%(plan)s).") % {"day": due_on.isoformat(), "plan": plan.title}


def _assign_from_plan(work_order: WorkOrder, plan: MaintenancePlan, asset: Asset) -> None:
    """Give the new work order to the plan's person (while they still work with facilities there) or firm (while
    active); otherwise it waits to be assigned."""
    assignee = plan.assignee
    if assignee is not None and not (assignee.is_active and can(assignee, Perm.FACILITIES_VIEW, asset.location_id)):
        assignee = None
    vendor = plan.vendor if plan.vendor is not None and plan.vendor.is_active else None
    if assignee is not None:
        who = assignee.get_full_name() or assignee.get_username()
    elif vendor is not None:
        who = vendor.name
    else:
        return
    work_order.assigned_to, work_order.vendor = assignee, vendor
    work_order.save(update_fields=["assigned_to", "vendor", "updated_at"])
    WorkOrderEvent.objects.create(work_order=work_order, actor=None, kind="assigned",
                                  note=_("Assigned by the maintenance plan to %(who)s.") % {"who": who})


def _open_for(plan_id: int, today: dt.date) -> WorkOrder | None:
    with transaction.atomic():
        plan = (MaintenancePlan.objects.select_for_update(of=("self",))
                .select_related("asset", "assignee", "vendor").filter(pk=plan_id, is_active=True).first())
        if plan is None:
            return None
        asset = Asset.objects.select_related("location").get(pk=plan.asset_id)
        if asset.status == AssetStatus.RETIRED or not is_due(plan, asset, today):
            return None
        due_on = today if plan.interval_unit == IntervalUnit.METER else plan.next_due_on
        assert due_on is not None
        work_order = None
        if not WorkOrder.objects.filter(plan=plan, due_on=due_on).exists():
            work_order = work_order_open(actor=None, location=asset.location, asset=asset,
                                         title=f"{plan.title}: {asset.name}"[:160],
                                         description=_description(plan, due_on), priority=plan.priority,
                                         source=WorkOrderSource.PREVENTIVE, plan=plan, due_on=due_on)
            WorkOrderChecklistItem.objects.bulk_create([
                WorkOrderChecklistItem(work_order=work_order, position=step.position, text=step.text)
                for step in plan.checklist.all()])
            _assign_from_plan(work_order, plan, asset)
        moved = _advance(plan, asset, today)
        plan.save(update_fields=[moved, "updated_at"])
        record(actor=None, action="facilities.plan_advanced", target=plan, location_id=asset.location_id,
               changed_fields=[moved], reason=f"work order {work_order.pk}" if work_order else "already open")
    return work_order


def plans_open_due_work_orders(*, today: dt.date) -> list[WorkOrder]:
    """Open the preventive work orders that have come due by `today` (see the module's docstring); the new ones.
    One plan that fails (bad data) is logged and skipped: the others still open theirs."""
    opened: list[WorkOrder] = []
    for plan_id in _candidates(today):
        try:
            work_order = _open_for(plan_id, today)
        except (ValidationError, IntegrityError):
            logger.exception("Maintenance plan %s could not open its work order", plan_id)
            continue
        if work_order is not None:
            opened.append(work_order)
    return opened
