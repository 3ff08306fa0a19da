"""Training writes: the course catalog, assigning courses (to one employee, or everyone in a position and/or at a
location), completing with evidence (a recurring course then assigns itself again, due when the completion
lapses), waiving, and the practice setting that blocks PHI access while HIPAA training has lapsed.

workforce.manage edits; assignments follow the employee scope rule (the employee's main location). An employee
completes their own training (self-service) with a certificate as evidence. Refusals are audited before any
transaction opens, so they are kept.
"""

from __future__ import annotations

import calendar
import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, forget, has_all_locations, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.files import read_checked
from openpractice.core.selectors import practice_today

from ..choices import EmployeeStatus, TrainingStatus
from ..models import Course, Employee, Position, TrainingAssignment, WorkforceSettings
from ..selectors.scope import employees_scoped
from ..selectors.training import phi_block_forget

COURSE_FIELDS: tuple[str, ...] = (
    "title", "code", "description", "provider_name", "hours", "recurrence_months", "due_within_days", "is_hipaa",
    "is_active",
)  # fmt: skip
ASSIGNMENT_UPDATE_FIELDS: tuple[str, ...] = ("due_on", "note")
EVIDENCE_MAX_BYTES = 5 * 1024 * 1024


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day (31 January + 1 month = 28/29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _check_keys(data: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError(_("Unknown or read-only field(s): %(fields)s.") % {"fields": ", ".join(unknown)},
                              code="unknown_field")


def _authorize_employee(*, actor: Any, employee: Employee, action: str, target: Any = None,
                        allow_self: bool = False) -> None:
    """workforce.manage at the employee's main location (everywhere for one without a location), or — for
    self-service actions — the employee themself."""
    if allow_self and employee.user_id is not None and employee.user_id == getattr(actor, "pk", None):
        return
    if not employees_scoped(actor=actor, permission=Perm.WORKFORCE_MANAGE, include_self=False).filter(
            pk=employee.pk).exists():
        raise refuse(actor=actor, permission=Perm.WORKFORCE_MANAGE, action=action, target=target or employee)


# --- courses -------------------------------------------------------------------------------------------------


def course_create(*, actor: Any, data: Mapping[str, Any]) -> Course:
    if not can(actor, Perm.WORKFORCE_MANAGE):
        raise refuse(actor=actor, permission=Perm.WORKFORCE_MANAGE, action="workforce.course_create")
    _check_keys(data, COURSE_FIELDS)
    course = Course(**data)
    course.full_clean()
    with transaction.atomic():
        course.save(force_insert=True)
        record(actor=actor, action="workforce.course_created", target=course,
               changed_fields=[name for name in data if data[name] not in ("", None, False)])
    return course


def course_update(*, actor: Any, course: Course, data: Mapping[str, Any]) -> Course:
    if not can(actor, Perm.WORKFORCE_MANAGE):
        raise refuse(actor=actor, permission=Perm.WORKFORCE_MANAGE, action="workforce.course_update", target=course)
    _check_keys(data, COURSE_FIELDS)
    changed = [name for name in data if getattr(course, name) != data[name]]
    if not changed:
        return course
    with transaction.atomic():
        locked = Course.objects.select_for_update().get(pk=course.pk)
        for name in changed:
            setattr(locked, name, data[name])
        locked.full_clean()
        locked.save(update_fields=changed)
        record(actor=actor, action="workforce.course_updated", target=locked, changed_fields=changed)
    for name in changed:
        setattr(course, name, getattr(locked, name))
    return course


# --- assignments ---------------------------------------------------------------------------------------------


@dataclass
class AssignResult:
    created: list[TrainingAssignment] = field(default_factory=list)
    # Employees who already have this course open (one open assignment per course and person).
    already_open: list[Employee] = field(default_factory=list)


def _new_assignment(*, actor: Any, employee: Employee, course: Course, assigned_on: dt.date, due_on: dt.date | None,
                    note: str = "") -> TrainingAssignment:
    assignment = TrainingAssignment(
        employee=employee, course=course, assigned_on=assigned_on,
        due_on=due_on or assigned_on + dt.timedelta(days=course.due_within_days), note=note, assigned_by=actor)
    assignment.full_clean(validate_constraints=False)  # the one-open rule is checked by the database
    return assignment


def assign_with_checklist_locked(*, actor: Any, employee: Employee, course: Course,
                                 due_on: dt.date) -> TrainingAssignment | None:
    """Inside the caller's transaction, permission already checked (a checklist being started): assign the
    course of a checklist item, due with its task. None when the course is inactive or already open."""
    if not course.is_active or TrainingAssignment.objects.filter(
            employee=employee, course=course, status=TrainingStatus.ASSIGNED).exists():
        return None
    start = min(practice_today(), due_on)
    assignment = _new_assignment(actor=actor, employee=employee, course=course, assigned_on=start, due_on=due_on,
                                 note=_("from the onboarding checklist"))
    assignment.save(force_insert=True)
    record(actor=actor, action="workforce.training_assigned", target=assignment, location_id=employee.location_id,
           changed_fields=["course", "due_on"], reason="checklist")
    return assignment


def training_assign(*, actor: Any, course: Course, employee: Employee | None = None,
                    position: Position | None = None, location_id: int | None = None,
                    due_on: dt.date | None = None, assigned_on: dt.date | None = None,
                    note: str = "") -> AssignResult:
    """Assign `course` to one employee, or to every active employee in `position` and/or at `location_id` whom the
    actor manages. Due `due_on`, else the course's due-within days after assignment. Someone who has the course
    open already keeps that assignment (listed in `already_open`)."""
    action = "workforce.training_assign"
    if employee is None and position is None and location_id is None:
        raise ValidationError(_("Choose an employee, a position or a location."), code="no_target")
    if employee is not None and (position is not None or location_id is not None):
        raise ValidationError(_("Choose either one employee or a group, not both."), code="two_targets")
    if employee is not None:
        _authorize_employee(actor=actor, employee=employee, action=action)
        targets = [employee]
    else:
        if not can(actor, Perm.WORKFORCE_MANAGE, location_id):
            raise refuse(actor=actor, permission=Perm.WORKFORCE_MANAGE, action=action,
                         reason=f"{Perm.WORKFORCE_MANAGE} at location {location_id} required")
        group = employees_scoped(actor=actor, permission=Perm.WORKFORCE_MANAGE, include_self=False).exclude(
            status=EmployeeStatus.TERMINATED)
        if position is not None:
            group = group.filter(position=position)
        if location_id is not None:
            group = group.filter(location_id=location_id)
        targets = list(group.order_by("pk"))
    if not course.is_active:
        raise ValidationError({"course": _("This course is no longer offered.")}, code="inactive_course")
    start = assigned_on or practice_today()
    if due_on is not None and due_on < start:
        raise ValidationError({"due_on": _("The due date cannot be before the assignment date.")})
    result = AssignResult()
    with transaction.atomic():
        open_ids = set(TrainingAssignment.objects.filter(
            course=course, status=TrainingStatus.ASSIGNED, employee__in=[t.pk for t in targets],
        ).values_list("employee_id", flat=True))
        for target in targets:
            if target.pk in open_ids:
                result.already_open.append(target)
                continue
            assignment = _new_assignment(actor=actor, employee=target, course=course, assigned_on=start,
                                         due_on=due_on, note=note)
            try:
                with transaction.atomic():
                    assignment.save(force_insert=True)
            except IntegrityError:  # assigned by someone else a moment ago
                result.already_open.append(target)
                continue
            record(actor=actor, action="workforce.training_assigned", target=assignment,
                   location_id=target.location_id, changed_fields=["course", "due_on"])
            result.created.append(assignment)
    if employee is not None and result.already_open:
        raise ValidationError({"course": _("%(name)s already has this course open.") % {"name": employee}},
                              code="already_open")
    return result


def training_update(*, actor: Any, assignment: TrainingAssignment, data: Mapping[str, Any]) -> TrainingAssignment:
    """Move an open assignment's due date or change its note."""
    _authorize_employee(actor=actor, employee=assignment.employee, action="workforce.training_update",
                        target=assignment)
    _check_keys(data, ASSIGNMENT_UPDATE_FIELDS)
    changed = [name for name in data if getattr(assignment, name) != data[name]]
    if not changed:
        return assignment
    with transaction.atomic():
        locked = TrainingAssignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.status != TrainingStatus.ASSIGNED:
            raise ValidationError(_("Only an open assignment can be changed."), code="not_open")
        for name in changed:
            setattr(locked, name, data[name])
        locked.full_clean(validate_constraints=False)
        if locked.due_on < locked.assigned_on:
            raise ValidationError({"due_on": _("The due date cannot be before the assignment date.")})
        locked.save(update_fields=changed)
        record(actor=actor, action="workforce.training_updated", target=locked,
               location_id=assignment.employee.location_id, changed_fields=changed)
    for name in changed:
        setattr(assignment, name, getattr(locked, name))
    return assignment


def _read_evidence(upload: UploadedFile) -> tuple[bytes, str]:
    checked = read_checked(upload, field="evidence", max_bytes=EVIDENCE_MAX_BYTES, what=_("The certificate"),
                           type_message=_("Upload the certificate as a PDF, PNG or JPEG file."))
    return checked.content, checked.extension


@dataclass
class Completion:
    assignment: TrainingAssignment
    # The next round of a recurring course, due when this completion lapses.
    next_assignment: TrainingAssignment | None


def training_complete(*, actor: Any, assignment: TrainingAssignment, completed_on: dt.date | None = None,
                      evidence: UploadedFile | None = None, score: Decimal | None = None,
                      note: str = "") -> Completion:
    """Record the completion. A manager may record it without a certificate (an in-house session they ran); an
    employee completing their own training must attach one. A recurring course (HIPAA yearly) is valid until the
    completion date plus its recurrence, and the next assignment is created due on that day."""
    employee = assignment.employee
    _authorize_employee(actor=actor, employee=employee, action="workforce.training_complete", target=assignment,
                        allow_self=True)
    self_service = employee.user_id == actor.pk and not employees_scoped(
        actor=actor, permission=Perm.WORKFORCE_MANAGE, include_self=False).filter(pk=employee.pk).exists()
    day = completed_on or practice_today()
    if day > practice_today():
        raise ValidationError({"completed_on": _("The completion date cannot be in the future.")})
    if day < assignment.assigned_on:
        raise ValidationError({"completed_on": _("The course was completed before it was assigned.")})
    if evidence is None and self_service:
        raise ValidationError({"evidence": _("Attach your certificate.")}, code="evidence_required")
    content = extension = None
    if evidence is not None:
        content, extension = _read_evidence(evidence)
    course = assignment.course
    valid_until = add_months(day, course.recurrence_months) if course.recurrence_months else None
    stored_name = ""
    try:
        with transaction.atomic():
            locked = TrainingAssignment.objects.select_for_update().get(pk=assignment.pk)
            if locked.status != TrainingStatus.ASSIGNED:
                raise ValidationError(_("This training is already closed."), code="not_open")
            locked.status = TrainingStatus.COMPLETED
            locked.completed_on = day
            locked.valid_until = valid_until
            locked.score = score
            locked.completed_by = actor
            fields = ["status", "completed_on", "valid_until", "score", "completed_by"]
            if note:
                locked.note = note
                fields.append("note")
            if content is not None:
                locked.evidence.save(f"{secrets.token_hex(16)}.{extension}", ContentFile(content), save=False)
                stored_name = locked.evidence.name or ""
                fields.append("evidence")
            locked.full_clean(validate_constraints=False)
            locked.save(update_fields=fields)
            record(actor=actor, action="workforce.training_completed", target=locked,
                   location_id=employee.location_id, changed_fields=fields)
            following = None
            if valid_until is not None and course.is_active and employee.status != EmployeeStatus.TERMINATED:
                following = _new_assignment(actor=actor, employee=employee, course=course, assigned_on=day,
                                            due_on=valid_until, note=_("Renewal"))
                following.save(force_insert=True)
                record(actor=actor, action="workforce.training_assigned", target=following,
                       location_id=employee.location_id, changed_fields=["course", "due_on"],
                       reason="recurrence")
    except Exception:
        if stored_name:  # no orphan file when the row could not be written
            locked.evidence.storage.delete(stored_name)
        raise
    for name in fields:
        setattr(assignment, name, getattr(locked, name))
    # The completing user's own PHI block may have just lifted: read the grants again.
    forget(actor)
    return Completion(assignment=assignment, next_assignment=following)


def training_waive(*, actor: Any, assignment: TrainingAssignment, note: str) -> TrainingAssignment:
    """Close an open assignment without completion (the course does not apply), with the reason."""
    _authorize_employee(actor=actor, employee=assignment.employee, action="workforce.training_waive",
                        target=assignment)
    if not note.strip():
        raise ValidationError({"note": _("Say why the training is waived.")}, code="reason_required")
    with transaction.atomic():
        locked = TrainingAssignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.status != TrainingStatus.ASSIGNED:
            raise ValidationError(_("This training is already closed."), code="not_open")
        locked.status = TrainingStatus.WAIVED
        locked.note = note.strip()[:300]
        locked.save(update_fields=["status", "note"])
        record(actor=actor, action="workforce.training_waived", target=locked,
               location_id=assignment.employee.location_id, changed_fields=["status", "note"])
    assignment.status, assignment.note = locked.status, locked.note
    return assignment


# --- the PHI block setting ---------------------------------------------------------------------------------


def training_settings_update(*, actor: Any, block_phi_without_hipaa_training: bool) -> WorkforceSettings:
    """Switch the PHI block on or off. It changes what everyone may see, so only someone who manages the
    workforce at every location may."""
    action = "workforce.training_settings_update"
    if not has_all_locations(actor, Perm.WORKFORCE_MANAGE):
        raise refuse(actor=actor, permission=Perm.WORKFORCE_MANAGE, action=action,
                     reason=f"{Perm.WORKFORCE_MANAGE} at all locations required")
    with transaction.atomic():
        WorkforceSettings.load()
        current = WorkforceSettings.objects.select_for_update().get(pk=1)
        if current.block_phi_without_hipaa_training != block_phi_without_hipaa_training:
            current.block_phi_without_hipaa_training = block_phi_without_hipaa_training
            current.save(update_fields=["block_phi_without_hipaa_training"])
            record(actor=actor, action="workforce.settings_updated", target=current,
                   changed_fields=["block_phi_without_hipaa_training"])
    phi_block_forget()
    return current
