"""Discipline writes: issue a step (with its improvement plan's follow-up dates), record follow-ups, close, and the
employee's acknowledgement.

Only workforce.discipline holders in scope manage an employee's discipline, and never their own; the employee
acknowledges their own action (once, with an optional comment). Everyone else is refused — audited before any
transaction opens, so the refusal is kept — and nothing changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.selectors import practice_today

from ..choices import DisciplineStatus
from ..models import DisciplinaryAction, DisciplineFollowUp, Employee
from ..selectors.discipline import disciplinable_employees, step_skip

CLOSED_STATUSES: frozenset[str] = frozenset(DisciplineStatus.values) - {DisciplineStatus.OPEN}


def _authorize(*, actor: Any, employee: Employee, action: str, target: Any = None) -> None:
    if not disciplinable_employees(actor=actor).filter(pk=employee.pk).exists():
        raise refuse(actor=actor, permission=Perm.WORKFORCE_DISCIPLINE, action=action, target=target or employee)


@dataclass
class Issued:
    action: DisciplinaryAction
    # (last step, this step) when this step skips a level: shown to the issuer, kept in the audit reason.
    skipped: tuple[str, str] | None


def discipline_issue(*, actor: Any, employee: Employee, step: str, occurred_on: dt.date, policy: str, facts: str,
                     expectations: str = "", previous: DisciplinaryAction | None = None,
                     follow_up_dates: Sequence[dt.date] = ()) -> Issued:
    _authorize(actor=actor, employee=employee, action="workforce.discipline_issue")
    if previous is not None and previous.employee_id != employee.pk:
        raise ValidationError({"previous": _("The earlier step must concern the same employee.")})
    if occurred_on > practice_today():
        raise ValidationError({"occurred_on": _("The date of the conduct cannot be in the future.")})
    if any(day < occurred_on for day in follow_up_dates):
        raise ValidationError({"follow_up_dates": _("A follow-up cannot come before the conduct.")})
    action = DisciplinaryAction(employee=employee, step=step, occurred_on=occurred_on, policy=policy.strip(),
                                facts=facts.strip(), expectations=expectations.strip(), previous=previous,
                                issued_by=actor, issued_at=timezone.now())
    action.full_clean()
    with transaction.atomic():
        # One issuer at a time per employee, so the skip check reads the latest step.
        Employee.objects.select_for_update().filter(pk=employee.pk).first()
        skipped = step_skip(employee=employee, step=step)
        action.save(force_insert=True)
        for day in sorted(set(follow_up_dates)):
            follow_up = DisciplineFollowUp(action=action, due_on=day)
            follow_up.full_clean()
            follow_up.save(force_insert=True)
        record(actor=actor, action="workforce.discipline_issued", target=action, location_id=employee.location_id,
               changed_fields=["step", "occurred_on", "policy", "facts", "expectations", "previous", "follow_ups"],
               reason=f"skips from {skipped[0] or 'none'} to {skipped[1]}" if skipped else "")
    return Issued(action=action, skipped=skipped)


def discipline_follow_up_add(*, actor: Any, action: DisciplinaryAction, due_on: dt.date) -> DisciplineFollowUp:
    _authorize(actor=actor, employee=action.employee, action="workforce.discipline_follow_up_add", target=action)
    if action.status != DisciplineStatus.OPEN:
        raise ValidationError(_("The action is closed."), code="closed")
    if due_on < action.occurred_on:
        raise ValidationError({"due_on": _("A follow-up cannot come before the conduct.")})
    follow_up = DisciplineFollowUp(action=action, due_on=due_on)
    follow_up.full_clean()
    with transaction.atomic():
        follow_up.save(force_insert=True)
        record(actor=actor, action="workforce.discipline_follow_up_added", target=follow_up,
               location_id=action.employee.location_id, changed_fields=["due_on"])
    return follow_up


def discipline_follow_up_record(*, actor: Any, follow_up: DisciplineFollowUp, done_on: dt.date,
                                outcome: str) -> DisciplineFollowUp:
    employee = follow_up.action.employee
    _authorize(actor=actor, employee=employee, action="workforce.discipline_follow_up_record", target=follow_up)
    if not outcome.strip():
        raise ValidationError({"outcome": _("Say how the follow-up went.")})
    if done_on > practice_today():
        raise ValidationError({"done_on": _("The follow-up cannot be done in the future.")})
    with transaction.atomic():
        locked = DisciplineFollowUp.objects.select_for_update().get(pk=follow_up.pk)
        if locked.done_on is not None:
            raise ValidationError(_("This follow-up is already recorded."), code="done")
        locked.done_on, locked.outcome, locked.recorded_by = done_on, outcome.strip(), actor
        locked.full_clean()
        locked.save(update_fields=["done_on", "outcome", "recorded_by"])
        record(actor=actor, action="workforce.discipline_follow_up_recorded", target=locked,
               location_id=employee.location_id, changed_fields=["done_on", "outcome"])
    follow_up.done_on, follow_up.outcome, follow_up.recorded_by = locked.done_on, locked.outcome, actor
    return follow_up


def discipline_close(*, actor: Any, action: DisciplinaryAction, status: str) -> DisciplinaryAction:
    _authorize(actor=actor, employee=action.employee, action="workforce.discipline_close", target=action)
    if status not in CLOSED_STATUSES:
        raise ValidationError({"status": _("Choose how the action closes.")})
    with transaction.atomic():
        locked = DisciplinaryAction.objects.select_for_update().get(pk=action.pk)
        if locked.status != DisciplineStatus.OPEN:
            raise ValidationError(_("The action is already closed."), code="closed")
        locked.status, locked.closed_at = status, timezone.now()
        locked.save(update_fields=["status", "closed_at"])
        record(actor=actor, action="workforce.discipline_closed", target=locked,
               location_id=action.employee.location_id, changed_fields=["status", "closed_at"])
    action.status, action.closed_at = locked.status, locked.closed_at
    return action


def discipline_acknowledge(*, actor: Any, action: DisciplinaryAction, comment: str = "") -> DisciplinaryAction:
    """The employee signs that they received the action (agreeing is not implied), with their comment."""
    employee = action.employee
    if employee.user_id is None or employee.user_id != getattr(actor, "pk", None):
        raise refuse(actor=actor, permission="own record", action="workforce.discipline_acknowledge", target=action,
                     reason="only the employee acknowledges their own action")
    with transaction.atomic():
        locked = DisciplinaryAction.objects.select_for_update().get(pk=action.pk)
        if locked.acknowledged_at is not None:
            raise ValidationError(_("You have already acknowledged this action."), code="acknowledged")
        locked.acknowledged_at, locked.employee_comment = timezone.now(), comment.strip()
        locked.full_clean()
        locked.save(update_fields=["acknowledged_at", "employee_comment"])
        record(actor=actor, action="workforce.discipline_acknowledged", target=locked,
               location_id=employee.location_id, changed_fields=["acknowledged_at", "employee_comment"])
    action.acknowledged_at, action.employee_comment = locked.acknowledged_at, locked.employee_comment
    return action

