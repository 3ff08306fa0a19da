"""Development plans: a dated plan towards a position (by default the next one on the employee's path), its steps
pre-filled from the career gap, then worked: steps added, edited, removed, marked done; the plan completed or
cancelled. One active plan per employee (a database constraint; a second one is a clear error).

Who writes: workforce.manage where the employee works, or the employee's manager (the account of
Employee.manager) for their direct reports. The employee reads their own plan and changes nothing. Every write is
audited; refusals are audited as denied before any transaction opens.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.selectors import practice_today

from ..choices import PlanItemKind, PlanStatus
from ..models import DevelopmentPlan, DevelopmentPlanItem, Employee, Position
from ..selectors.development import may_manage_employee, propose_items

PLAN_FIELDS = ("title", "target_position", "starts_on", "target_date", "note")
ITEM_FIELDS = ("kind", "title", "credential_type", "course", "due_on", "note", "order")


def _authorize(actor: Any, employee: Employee, action: str, target: Any = None) -> None:
    if not may_manage_employee(actor, employee):
        raise refuse(actor=actor, permission=Perm.WORKFORCE_MANAGE, action=action, target=target or employee,
                     reason="workforce.manage there, or the employee's manager, required")


def _only(data: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError(_("Unknown field(s): %(fields)s.") % {"fields": ", ".join(unknown)}, code="unknown")


def _require_active(plan: DevelopmentPlan) -> None:
    if plan.status != PlanStatus.ACTIVE:
        raise ValidationError(_("This plan is %(status)s; it no longer changes.")
                              % {"status": PlanStatus(plan.status).label.lower()}, code="closed")


def _check_item(item: DevelopmentPlanItem, plan: DevelopmentPlan) -> None:
    """A certification step names its certification, a course step its course; no step is due before the plan
    starts."""
    errors: dict[str, str] = {}
    if item.kind == PlanItemKind.CREDENTIAL and item.credential_type_id is None:
        errors["credential_type"] = _("Choose the certification or licence to earn.")
    if item.kind == PlanItemKind.COURSE and item.course_id is None:
        errors["course"] = _("Choose the course to complete.")
    if item.due_on is not None and item.due_on < plan.starts_on:
        errors["due_on"] = _("A step cannot be due before the plan starts (%(date)s).") % {
            "date": plan.starts_on.strftime("%m/%d/%Y")}
    if errors:
        raise ValidationError(errors, code="invalid")
    if item.kind != PlanItemKind.CREDENTIAL:
        item.credential_type = None
    if item.kind != PlanItemKind.COURSE:
        item.course = None


def plan_create(*, actor: Any, employee: Employee, title: str, starts_on: dt.date, target_date: dt.date,
                target_position: Position | None = None, note: str = "", prefill: bool = True,
                today: dt.date | None = None) -> DevelopmentPlan:
    """Start the employee's plan; with `prefill`, its steps come from the gap between the employee and
    `target_position` (one per missing certification and per course that prepares for it, education, time in
    role), due dates spread between `starts_on` and `target_date`."""
    _authorize(actor, employee, "workforce.development_plan_create")
    plan = DevelopmentPlan(employee=employee, target_position=target_position, title=(title or "").strip(),
                           starts_on=starts_on, target_date=target_date, note=(note or "").strip(),
                           created_by=actor)
    if starts_on and target_date and target_date < starts_on:
        raise ValidationError({"target_date": _("The target date cannot be before the start.")}, code="dates")
    # The one-active rule is checked by the database (below), where two clicks cannot both pass.
    plan.full_clean(validate_constraints=False)
    proposed = propose_items(employee=employee, target=target_position, starts_on=starts_on,
                             target_date=target_date, today=today or practice_today()) if prefill else []
    with transaction.atomic():
        Employee.objects.select_for_update().get(pk=employee.pk)
        try:
            with transaction.atomic():
                plan.save(force_insert=True)
        except IntegrityError as error:
            raise ValidationError(_("%(name)s already has an active development plan: complete or cancel it "
                                    "first.") % {"name": employee.display_name}, code="active_exists") from error
        DevelopmentPlanItem.objects.bulk_create([
            DevelopmentPlanItem(plan=plan, order=index, kind=step.kind, title=step.title, due_on=step.due_on,
                                credential_type=step.credential_type, course=step.course)
            for index, step in enumerate(proposed)
        ])
        record(actor=actor, action="workforce.development_plan_created", target=plan,
               location_id=employee.location_id, changed_fields=list(PLAN_FIELDS),
               reason=f"{len(proposed)} step(s) from the career gap")
    return plan


def _locked_plan(plan: DevelopmentPlan) -> DevelopmentPlan:
    return DevelopmentPlan.objects.select_for_update().select_related("employee").get(pk=plan.pk)


def plan_update(*, actor: Any, plan: DevelopmentPlan, data: Mapping[str, Any]) -> DevelopmentPlan:
    """Change the title, target position, dates or note of an active plan (its steps keep their dates)."""
    _authorize(actor, plan.employee, "workforce.development_plan_update", plan)
    _only(data, PLAN_FIELDS)
    with transaction.atomic():
        current = _locked_plan(plan)
        _require_active(current)
        changed = [name for name in PLAN_FIELDS if name in data and getattr(current, name) != data[name]]
        for name in changed:
            value = data[name]
            setattr(current, name, value.strip() if isinstance(value, str) else value)
        if current.target_date < current.starts_on:
            raise ValidationError({"target_date": _("The target date cannot be before the start.")}, code="dates")
        if "starts_on" in changed and current.items.filter(due_on__lt=current.starts_on).exists():
            raise ValidationError({"starts_on": _("Some steps are due before this date: move them first.")},
                                  code="steps_before_start")
        current.full_clean(validate_constraints=False)
        if changed:
            current.save(update_fields=changed)
            record(actor=actor, action="workforce.development_plan_updated", target=current,
                   location_id=current.employee.location_id, changed_fields=changed)
    return current


def _close(*, actor: Any, plan: DevelopmentPlan, status: str, reason: str = "") -> DevelopmentPlan:
    verb = "completed" if status == PlanStatus.COMPLETED else "cancelled"
    _authorize(actor, plan.employee, f"workforce.development_plan_{verb}", plan)
    with transaction.atomic():
        current = _locked_plan(plan)
        _require_active(current)
        current.status = status
        current.closed_at = timezone.now()
        reason = (reason or "").strip()
        fields = ["status", "closed_at"]
        if reason:
            current.note = f"{current.note}\n{reason}".strip() if current.note else reason
            fields.append("note")
        current.save(update_fields=fields)
        record(actor=actor, action=f"workforce.development_plan_{verb}", target=current,
               location_id=current.employee.location_id, changed_fields=fields,
               reason=reason[:200])
    return current


def plan_complete(*, actor: Any, plan: DevelopmentPlan, note: str = "") -> DevelopmentPlan:
    return _close(actor=actor, plan=plan, status=PlanStatus.COMPLETED, reason=note)


def plan_cancel(*, actor: Any, plan: DevelopmentPlan, reason: str = "") -> DevelopmentPlan:
    return _close(actor=actor, plan=plan, status=PlanStatus.CANCELLED, reason=reason)


# --- steps ---------------------------------------------------------------------------------------------------


def item_add(*, actor: Any, plan: DevelopmentPlan, data: Mapping[str, Any]) -> DevelopmentPlanItem:
    """Add a step (kind, title, due date; the certification or course it is about) at the end of the plan."""
    _authorize(actor, plan.employee, "workforce.development_item_add", plan)
    _only(data, ITEM_FIELDS)
    if not data.get("due_on"):
        raise ValidationError({"due_on": _("Give the date the step is due.")}, code="required")
    with transaction.atomic():
        current = _locked_plan(plan)
        _require_active(current)
        last = current.items.order_by("-order").values_list("order", flat=True).first()
        order = data.get("order")
        item = DevelopmentPlanItem(
            plan=current, kind=data.get("kind") or PlanItemKind.OTHER, title=(data.get("title") or "").strip(),
            credential_type=data.get("credential_type"), course=data.get("course"), due_on=data["due_on"],
            note=(data.get("note") or "").strip(),
            order=order if order is not None else (last + 1 if last is not None else 0))
        _check_item(item, current)
        item.full_clean()
        item.save(force_insert=True)
        record(actor=actor, action="workforce.development_item_added", target=current,
               location_id=current.employee.location_id, changed_fields=["items"], reason=f"item {item.pk}")
    return item


def _locked_item(item: DevelopmentPlanItem) -> tuple[DevelopmentPlan, DevelopmentPlanItem]:
    plan = _locked_plan(item.plan)
    current = DevelopmentPlanItem.objects.select_for_update().get(pk=item.pk)
    current.plan = plan
    return plan, current


def item_update(*, actor: Any, item: DevelopmentPlanItem, data: Mapping[str, Any]) -> DevelopmentPlanItem:
    """Change a step of an active plan: its kind, title, certification or course, due date, note or order."""
    _authorize(actor, item.plan.employee, "workforce.development_item_update", item)
    _only(data, ITEM_FIELDS)
    with transaction.atomic():
        plan, current = _locked_item(item)
        _require_active(plan)
        before = {name: getattr(current, name) for name in ITEM_FIELDS}
        for name in ITEM_FIELDS:
            if name in data:
                value = data[name]
                setattr(current, name, value.strip() if isinstance(value, str) else value)
        _check_item(current, plan)
        current.full_clean()
        changed = [name for name in ITEM_FIELDS if getattr(current, name) != before[name]]
        if changed:
            current.save(update_fields=changed)
            record(actor=actor, action="workforce.development_item_updated", target=current,
                   location_id=plan.employee.location_id, changed_fields=changed)
    return current


def item_remove(*, actor: Any, item: DevelopmentPlanItem) -> None:
    _authorize(actor, item.plan.employee, "workforce.development_item_remove", item)
    with transaction.atomic():
        plan, current = _locked_item(item)
        _require_active(plan)
        record(actor=actor, action="workforce.development_item_removed", target=plan,
               location_id=plan.employee.location_id, changed_fields=["items"],
               reason=f"item {current.pk}: {current.title}"[:200])
        current.delete()


def item_set_done(*, actor: Any, item: DevelopmentPlanItem, done: bool,
                  done_on: dt.date | None = None) -> DevelopmentPlanItem:
    """Mark a step done (on `done_on`, default today) or not done again."""
    _authorize(actor, item.plan.employee, "workforce.development_item_update", item)
    with transaction.atomic():
        plan, current = _locked_item(item)
        _require_active(plan)
        value = (done_on or practice_today()) if done else None
        if value is not None and value > practice_today():
            raise ValidationError({"done_on": _("A step cannot be done in the future.")}, code="future")
        if current.done_on != value:
            current.done_on = value
            current.save(update_fields=["done_on"])
            record(actor=actor, action="workforce.development_item_updated", target=current,
                   location_id=plan.employee.location_id, changed_fields=["done_on"],
                   reason="done" if done else "not done")
    return current
