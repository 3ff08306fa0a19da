"""Training reads: the course catalog, assignments in the actor's scope, the overdue list, and whether a user's
HIPAA training is current (the PHI block).

Assignments follow the employee scope rule (scope.py) with workforce.view; everybody sees their own.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.cache import cache
from django.db.models import Exists, OuterRef, Q, QuerySet

from openpractice.accounts.roles import PHI_PERMISSIONS, Perm
from openpractice.core.selectors import practice_today

from ..choices import EmployeeStatus, TrainingStatus
from ..models import Course, Employee, Position, TrainingAssignment, WorkforceSettings
from .scope import employee_condition


def course_list(*, actor: Any, active_only: bool = False) -> QuerySet[Course]:
    """The catalog is practice-wide and not confidential: anyone with workforce.view reads it (views check)."""
    queryset = Course.objects.all()
    if active_only:
        queryset = queryset.filter(is_active=True)
    return queryset.order_by("title", "pk")


def assignment_scoped(*, actor: Any, permission: str = Perm.WORKFORCE_VIEW,
                      include_self: bool = True) -> QuerySet[TrainingAssignment]:
    """Assignments of the employees the actor reaches through `permission` (and their own)."""
    reached = Employee.objects.filter(employee_condition(actor, permission, include_self=include_self))
    return (TrainingAssignment.objects.filter(employee__in=reached.values("pk"))
            .select_related("employee", "employee__location", "course"))


def assignment_list(*, actor: Any, status: str = "", overdue: bool = False, course_id: int | None = None,
                    today: dt.date | None = None) -> QuerySet[TrainingAssignment]:
    queryset = assignment_scoped(actor=actor)
    if overdue:
        queryset = queryset.filter(status=TrainingStatus.ASSIGNED, due_on__lt=today or practice_today())
    elif status:
        queryset = queryset.filter(status=status)
    if course_id is not None:
        queryset = queryset.filter(course_id=course_id)
    return queryset


def overdue_list(*, actor: Any, today: dt.date | None = None) -> QuerySet[TrainingAssignment]:
    """Open assignments past their due date, of active employees the actor reaches, oldest first."""
    return (assignment_list(actor=actor, overdue=True, today=today)
            .exclude(employee__status=EmployeeStatus.TERMINATED).order_by("due_on", "pk"))


def own_assignments(*, actor: Any) -> QuerySet[TrainingAssignment]:
    """The actor's own training (self-service), whatever their roles."""
    if not getattr(actor, "is_authenticated", False):
        return TrainingAssignment.objects.none()
    return (TrainingAssignment.objects.filter(employee__user_id=actor.pk).select_related("course", "employee")
            .order_by("status", "due_on", "pk"))


def hipaa_current_condition(today: dt.date) -> Q:
    """An assignment that keeps HIPAA training current on `today`: a completion still valid, or an open assignment
    not yet past its due date (a new hire, or the yearly renewal before it is late)."""
    return Q(course__is_hipaa=True) & (
        Q(status=TrainingStatus.COMPLETED, completed_on__lte=today)
        & (Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        | Q(status=TrainingStatus.ASSIGNED, due_on__gte=today)
    )


def hipaa_training_lapsed(*, user_id: int, today: dt.date | None = None) -> bool:
    """True if the user is a (not terminated) employee without current HIPAA training. Users who are not
    employees (outside administrators, auditors) are not concerned. One query."""
    day = today or practice_today()
    current = TrainingAssignment.objects.filter(hipaa_current_condition(day), employee_id=OuterRef("pk"))
    found = (Employee.objects.filter(user_id=user_id).exclude(status=EmployeeStatus.TERMINATED)
             .annotate(current=Exists(current)).values_list("current", flat=True).first())
    return found is False


_PHI_BLOCK_CACHE_KEY = "openpractice:workforce:phi_block"


def phi_block_enabled() -> bool:
    """The practice setting. It is read for every request of a user holding PHI permissions, so it is cached for a
    minute (like the practice settings; training_settings_update clears it) and read without creating the row."""
    cached = cache.get(_PHI_BLOCK_CACHE_KEY)
    if cached is not None:
        return bool(cached)
    enabled = bool(WorkforceSettings.objects.filter(pk=1).values_list("block_phi_without_hipaa_training",
                                                                       flat=True).first())
    cache.set(_PHI_BLOCK_CACHE_KEY, enabled, 60)
    return enabled


def phi_block_forget() -> None:
    cache.delete(_PHI_BLOCK_CACHE_KEY)


def phi_restriction(user: Any, held: frozenset[str]) -> frozenset[str]:
    """Registered with accounts.permissions: withdraw PHI permissions while the practice blocks PHI for lapsed
    HIPAA training and this user's has lapsed. No query for users without PHI permissions or while the setting is
    off (once cached); one while it is on. Runs once per request (the grants are cached on the user)."""
    phi = held & PHI_PERMISSIONS
    if not phi or not phi_block_enabled():
        return frozenset()
    if hipaa_training_lapsed(user_id=user.pk):
        return phi
    return frozenset()


def evidence_content_type(assignment: TrainingAssignment) -> str:
    extension = (assignment.evidence.name or "").rsplit(".", 1)[-1].lower()
    return {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg"}.get(extension,
                                                                                   "application/octet-stream")


def assignable_employees(*, actor: Any) -> QuerySet[Employee]:
    """Active employees the actor may assign training to (workforce.manage in scope)."""
    return (Employee.objects.filter(employee_condition(actor, Perm.WORKFORCE_MANAGE, include_self=False))
            .exclude(status=EmployeeStatus.TERMINATED).order_by("last_name", "first_name", "pk"))


def assignable_positions(*, actor: Any) -> QuerySet[Position]:
    """Positions are not confidential; the assignment itself only reaches employees in the actor's scope."""
    return Position.objects.filter(is_active=True).order_by("title", "pk")
