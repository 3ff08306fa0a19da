"""Discipline reads. Confidential: workforce.discipline holders (HR, senior practice managers) see the actions of
the employees in their scope — never their own, which they see as the employee does — and every employee sees
their own. Every view of an action is audited (`actions_viewed`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from openpractice.accounts.roles import Perm
from openpractice.audit.services import Event, record_many

from ..choices import DISCIPLINE_ORDER
from ..models import DisciplinaryAction, DisciplineFollowUp, Employee
from .scope import employee_condition


def disciplinable_employees(*, actor: Any) -> QuerySet[Employee]:
    """Employees whose discipline the actor manages: workforce.discipline in scope, never themself."""
    if not getattr(actor, "is_authenticated", False):
        return Employee.objects.none()
    return (Employee.objects.filter(employee_condition(actor, Perm.WORKFORCE_DISCIPLINE, include_self=False))
            .exclude(user_id=actor.pk))


def action_scoped(*, actor: Any) -> QuerySet[DisciplinaryAction]:
    """The actions the actor manages (see disciplinable_employees)."""
    return (DisciplinaryAction.objects
            .filter(employee__in=disciplinable_employees(actor=actor).values("pk"))
            .select_related("employee", "issued_by", "previous"))


def own_actions(*, actor: Any) -> QuerySet[DisciplinaryAction]:
    """The actor's own disciplinary record (read and acknowledge only)."""
    if not getattr(actor, "is_authenticated", False):
        return DisciplinaryAction.objects.none()
    return DisciplinaryAction.objects.filter(employee__user_id=actor.pk).select_related("employee", "issued_by",
                                                                                          "previous")


def action_visible(*, actor: Any) -> QuerySet[DisciplinaryAction]:
    """Managed or own: what a detail page may show."""
    return action_scoped(actor=actor) | own_actions(actor=actor)


def follow_up_scoped(*, actor: Any) -> QuerySet[DisciplineFollowUp]:
    return DisciplineFollowUp.objects.filter(action__in=action_scoped(actor=actor).values("pk")).select_related(
        "action", "action__employee")


def follow_ups_of(action: DisciplinaryAction) -> list[DisciplineFollowUp]:
    return list(action.follow_ups.select_related("recorded_by").order_by("due_on", "pk"))


def employee_history(*, actor: Any, employee: Employee) -> QuerySet[DisciplinaryAction]:
    """The employee's actions the actor manages, newest first (for the form's `follows` choice)."""
    return action_scoped(actor=actor).filter(employee=employee).order_by("-occurred_on", "-pk")


def actions_viewed(*, actor: Any, actions: Iterable[DisciplinaryAction], how: str) -> None:
    """One audit event per action shown, in one statement."""
    record_many(actor=actor, events=[
        Event(action="workforce.discipline_viewed", target=action, location_id=action.employee.location_id,
              reason=how) for action in actions])


def step_skip(*, employee: Employee, step: str, exclude_pk: int | None = None) -> tuple[str, str] | None:
    """(last step, new step) when `step` skips a level after the employee's latest action (open or closed), or
    when a first action starts beyond coaching; None when the step follows on. A warning, never a refusal: serious
    misconduct may justify a later step at once."""
    latest = DisciplinaryAction.objects.filter(employee=employee)
    if exclude_pk is not None:
        latest = latest.exclude(pk=exclude_pk)
    last = latest.order_by("-occurred_on", "-issued_at", "-pk").values_list("step", flat=True).first()
    last_index = DISCIPLINE_ORDER.index(last) if last in DISCIPLINE_ORDER else -1
    if step in DISCIPLINE_ORDER and DISCIPLINE_ORDER.index(step) > last_index + 1:
        return (last or "", step)
    return None

