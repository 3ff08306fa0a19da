"""Reads of positions and the org chart.

Positions are the practice's job structure: a position at a location is seen by whoever holds the permission
there; a practice-wide position (no location) by whoever holds it anywhere. Acting on a practice-wide position
takes the permission at every location (it concerns every site), as for departments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from openpractice.accounts.permissions import can, location_ids_where
from openpractice.accounts.roles import Perm

from ..choices import EmployeeStatus
from ..models import Employee, Position
from .scope import employee_condition


def position_list(*, actor: Any, permission: str = Perm.WORKFORCE_VIEW) -> QuerySet[Position]:
    """Positions the actor may see: at locations where they hold `permission`, plus the practice-wide ones."""
    queryset = Position.objects.select_related("location", "department", "reports_to", "next_position")
    ids = location_ids_where(actor, permission)
    if ids is None:
        return queryset
    if not can(actor, permission):
        return queryset.none()
    return queryset.filter(Q(location__isnull=True) | Q(location_id__in=sorted(ids)))


def position_scoped(*, actor: Any, permission: str = Perm.WORKFORCE_MANAGE) -> QuerySet[Position]:
    """Positions the actor may act on: at their locations; practice-wide ones only with `permission` at all."""
    queryset = Position.objects.select_related("location", "department", "reports_to", "next_position")
    ids = location_ids_where(actor, permission)
    if ids is None:
        return queryset
    return queryset.filter(location_id__in=sorted(ids))


def position_employees(*, actor: Any, position: Position) -> QuerySet[Employee]:
    """The current (not terminated) employees in `position` whom the actor may see."""
    return (Employee.objects.filter(employee_condition(actor, Perm.WORKFORCE_VIEW), position=position)
            .exclude(status=EmployeeStatus.TERMINATED).select_related("location"))


@dataclass
class OrgNode:
    position: Position
    employees: list[Employee] = field(default_factory=list)
    children: list[OrgNode] = field(default_factory=list)

    @property
    def vacancies(self) -> int:
        # `filled` counts everyone in the position, seen or not: a vacancy is not a matter of the actor's scope.
        return max(self.position.headcount - getattr(self.position, "filled", 0), 0)


def org_chart(*, actor: Any) -> list[OrgNode]:
    """The tree of active positions the actor may see, each with the current employees the actor may see in it.

    Two queries whatever the size: the positions, then the employees. A position whose manager position is out
    of the actor's sight (or inactive) is drawn as a root. Children are ordered by title."""
    visible = position_list(actor=actor).filter(is_active=True)
    positions = visible.annotate(
        filled=Count("employees", filter=~Q(employees__status=EmployeeStatus.TERMINATED), distinct=True),
    ).order_by("title", "pk")
    nodes = {position.pk: OrgNode(position=position) for position in positions}
    employees = (Employee.objects.filter(employee_condition(actor, Perm.WORKFORCE_VIEW),
                                         position_id__in=visible.values("pk"))
                 .exclude(status=EmployeeStatus.TERMINATED).order_by("last_name", "first_name", "pk"))
    for employee in employees:
        nodes[employee.position_id].employees.append(employee)  # type: ignore[index]
    roots: list[OrgNode] = []
    for node in nodes.values():
        parent = nodes.get(node.position.reports_to_id or 0)
        (parent.children if parent is not None else roots).append(node)
    return roots

