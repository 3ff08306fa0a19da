"""Onboarding and offboarding: checklist templates (per position, or general), starting a checklist for an
employee (the template's items copied into tasks with owners and due dates) and working the tasks.

Templates and starting a checklist need ``workforce.manage`` (at the employee's location for a checklist).
A task may be marked by whoever owns it (the new hire's manager, the office manager, the employee themselves)
or by a workforce.manage holder at the employee's location. Every write is audited; refusals are audited as
denied before any transaction opens.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.models import User
from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm, Role
from openpractice.audit.services import record

from ..choices import ChecklistKind, TaskStatus
from ..models import Checklist, ChecklistTask, ChecklistTemplate, ChecklistTemplateItem, Employee, Position
from .employees import may_manage
from .training import assign_with_checklist_locked

OWNER_ROLES: tuple[str, ...] = ("manager", "hr", "it", "employee", "office")


def _require_template_manage(actor: Any, action: str, target: Any = None) -> None:
    if not can(actor, Perm.WORKFORCE_MANAGE):
        raise refuse(actor=actor, permission=Perm.WORKFORCE_MANAGE, action=action, target=target)


# --- templates -----------------------------------------------------------------------------------------------


def template_create(*, actor: Any, name: str, kind: str, position: Position | None = None) -> ChecklistTemplate:
    _require_template_manage(actor, "workforce.checklist_template_create")
    template = ChecklistTemplate(name=(name or "").strip(), kind=kind, position=position)
    template.full_clean()
    with transaction.atomic():
        template.save(force_insert=True)
        record(actor=actor, action="workforce.checklist_template_created", target=template,
               changed_fields=["name", "kind", "position"])
    return template


def template_set_active(*, actor: Any, template: ChecklistTemplate, active: bool) -> ChecklistTemplate:
    _require_template_manage(actor, "workforce.checklist_template_update", template)
    with transaction.atomic():
        current = ChecklistTemplate.objects.select_for_update().get(pk=template.pk)
        if current.is_active != active:
            current.is_active = active
            current.save(update_fields=["is_active"])
            record(actor=actor, action="workforce.checklist_template_updated", target=current,
                   changed_fields=["is_active"])
    return current


def template_item_add(*, actor: Any, template: ChecklistTemplate, data: Mapping[str, Any]) -> ChecklistTemplateItem:
    """Add one item (title, owner_role, due_days, optional order and course) at the end of the template."""
    _require_template_manage(actor, "workforce.checklist_item_add", template)
    allowed = {"title", "owner_role", "due_days", "order", "course"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationError(_("Unknown field(s): %(fields)s.") % {"fields": ", ".join(unknown)}, code="unknown")
    with transaction.atomic():
        locked = ChecklistTemplate.objects.select_for_update().get(pk=template.pk)
        last = locked.items.order_by("-order").values_list("order", flat=True).first()
        order: int = data["order"] if data.get("order") is not None else (last + 1 if last is not None else 0)
        item = ChecklistTemplateItem(template=locked, title=(data.get("title") or "").strip(),
                                     owner_role=data.get("owner_role", ""), due_days=data.get("due_days") or 0,
                                     order=order, course=data.get("course"))
        item.full_clean()
        item.save(force_insert=True)
        record(actor=actor, action="workforce.checklist_item_added", target=locked,
               changed_fields=["items"], reason=f"item {item.pk}")
    return item


def template_item_remove(*, actor: Any, item: ChecklistTemplateItem) -> None:
    """Checklists already started keep their copies of the item."""
    _require_template_manage(actor, "workforce.checklist_item_remove", item.template)
    with transaction.atomic():
        record(actor=actor, action="workforce.checklist_item_removed", target=item.template,
               changed_fields=["items"], reason=f"item {item.pk}")
        item.delete()


# --- owners --------------------------------------------------------------------------------------------------


def _role_holder(role: str, location_id: int | None) -> User | None:
    """The first active user (by id) holding `role` where the employee works (or at all locations)."""
    holders = User.objects.filter(is_active=True, role_assignments__role=role)
    if location_id is not None:
        holders = holders.filter(Q(role_assignments__all_locations=True)
                                 | Q(role_assignments__locations=location_id))
    return holders.order_by("pk").first()


def resolve_owner(owner_role: str, employee: Employee, cache: dict[str, User | None]) -> User | None:
    """Who does an item: manager -> the employee's manager's account, hr -> an HR specialist, it -> a system
    administrator, employee -> the employee's account, office -> an office manager at their location. None when
    nobody fits (the task then waits for someone with workforce.manage to pick it up)."""
    if owner_role in cache:
        return cache[owner_role]
    owner: User | None = None
    if owner_role == "manager":
        manager = employee.manager
        owner = manager.user if manager is not None and manager.user is not None and manager.user.is_active else None
    elif owner_role == "employee":
        owner = employee.user if employee.user is not None and employee.user.is_active else None
    elif owner_role == "hr":
        owner = _role_holder(Role.HR, employee.location_id)
    elif owner_role == "it":
        owner = _role_holder(Role.ADMINISTRATOR, None)
    elif owner_role == "office":
        owner = _role_holder(Role.OFFICE_MANAGER, employee.location_id)
    cache[owner_role] = owner
    return owner


# --- checklists ----------------------------------------------------------------------------------------------


def template_for(*, employee: Employee, kind: str) -> ChecklistTemplate | None:
    """The active template of `kind` for the employee's position, else the general one (no position)."""
    templates = ChecklistTemplate.objects.filter(kind=kind, is_active=True)
    if employee.position_id is not None:
        own = templates.filter(position_id=employee.position_id).order_by("pk").first()
        if own is not None:
            return own
    return templates.filter(position__isnull=True).order_by("pk").first()


def start_checklist_locked(*, actor: Any, employee: Employee, kind: str, starts_on: dt.date,
                           template: ChecklistTemplate | None = None) -> Checklist | None:
    """Inside the caller's transaction, permission already checked: copy the template's items into tasks.
    None when there is no template for this employee."""
    template = template or template_for(employee=employee, kind=kind)
    if template is None:
        return None
    if template.kind != kind:
        raise ValidationError({"template": _("This template is for another kind of checklist.")}, code="kind")
    checklist = Checklist(employee=employee, kind=kind, template=template, starts_on=starts_on, created_by=actor)
    try:
        with transaction.atomic():
            checklist.save(force_insert=True)
    except IntegrityError as error:
        raise ValidationError(_("This employee already has an open %(kind)s checklist.")
                              % {"kind": ChecklistKind(kind).label.lower()}, code="open_exists") from error
    owners: dict[str, User | None] = {}
    items = list(template.items.select_related("course").order_by("order", "pk"))
    tasks = [
        ChecklistTask(checklist=checklist, order=item.order, title=item.title,
                      owner=resolve_owner(item.owner_role, employee, owners),
                      due_on=starts_on + dt.timedelta(days=item.due_days))
        for item in items
    ]
    ChecklistTask.objects.bulk_create(tasks)
    if kind == ChecklistKind.ONBOARDING:
        # An item naming a course (HIPAA training in the first week) assigns it, due with its task.
        for item, task in zip(items, tasks, strict=True):
            if item.course is not None:
                assign_with_checklist_locked(actor=actor, employee=employee, course=item.course, due_on=task.due_on)
    record(actor=actor, action="workforce.checklist_started", target=checklist, location_id=employee.location_id,
           reason=f"{kind}: {len(tasks)} task(s) from template {template.pk}")
    return checklist


def checklist_start(*, actor: Any, employee: Employee, kind: str, starts_on: dt.date,
                    template: ChecklistTemplate | None = None) -> Checklist:
    """Start onboarding (or offboarding) for `employee` from `template` (default: their position's)."""
    if not may_manage(actor, employee.location_id):
        raise refuse(actor=actor, permission=Perm.WORKFORCE_MANAGE, action="workforce.checklist_start",
                     target=employee)
    if kind not in ChecklistKind.values:
        raise ValidationError({"kind": _("Choose onboarding or offboarding.")}, code="kind")
    with transaction.atomic():
        checklist = start_checklist_locked(actor=actor, employee=employee, kind=kind, starts_on=starts_on,
                                           template=template)
        if checklist is None:
            raise ValidationError(_("There is no active %(kind)s template for this position, nor a general one.")
                                  % {"kind": ChecklistKind(kind).label.lower()}, code="no_template")
    return checklist


def may_work_task(actor: Any, task: ChecklistTask) -> bool:
    """The task's owner, or workforce.manage where the employee works."""
    if task.owner_id is not None and task.owner_id == getattr(actor, "pk", None) and actor.is_active:
        return True
    return may_manage(actor, task.checklist.employee.location_id)


def task_set_status(*, actor: Any, task: ChecklistTask, status: str, note: str = "") -> ChecklistTask:
    """Mark a task done, not needed (skipped) or open again; the checklist completes when no task is open."""
    if not may_work_task(actor, task):
        raise refuse(actor=actor, permission=Perm.WORKFORCE_MANAGE, action="workforce.checklist_task_update",
                     target=task, reason="not the task's owner nor workforce.manage there")
    if status not in TaskStatus.values:
        raise ValidationError({"status": _("Choose done, not needed or open.")}, code="status")
    with transaction.atomic():
        checklist = Checklist.objects.select_for_update().get(pk=task.checklist_id)
        current = ChecklistTask.objects.select_for_update().get(pk=task.pk)
        if checklist.completed_at is not None:
            # Reopening would make a second open checklist of its kind possible; a finished one stays finished.
            raise ValidationError(_("This checklist is complete; its tasks no longer change."), code="complete")
        changed = ["status"]
        current.status = status
        if status == TaskStatus.OPEN:
            current.done_by, current.done_at = None, None
        else:
            current.done_by, current.done_at = actor, timezone.now()
        if note.strip():
            current.note = note.strip()
            changed.append("note")
        current.full_clean()
        current.save(update_fields=["status", "done_by", "done_at", "note"])
        still_open = checklist.tasks.filter(status=TaskStatus.OPEN).exists()
        completed_at = None if still_open else (checklist.completed_at or timezone.now())
        if completed_at != checklist.completed_at:
            checklist.completed_at = completed_at
            checklist.save(update_fields=["completed_at"])
            changed.append("checklist.completed_at")
        record(actor=actor, action="workforce.checklist_task_updated", target=current,
               location_id=checklist.employee.location_id, changed_fields=changed, reason=f"status {status}")
    return current
