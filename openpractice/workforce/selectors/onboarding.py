"""Reading checklists: those of employees the actor reaches with workforce.view, plus any with a task the actor
owns (an entry office manager sees the checklist they work on, not the HR record); the actor's own open tasks."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from openpractice.accounts.roles import Perm

from ..choices import TaskStatus
from ..models import Checklist, ChecklistTask, ChecklistTemplate, Employee
from .scope import employee_condition


def checklist_scoped(*, actor: Any) -> QuerySet[Checklist]:
    in_scope = Q(employee__in=_view_scope(actor))
    owns_task = Q(pk__in=ChecklistTask.objects.filter(owner_id=actor.pk).values("checklist_id"))
    return Checklist.objects.filter(in_scope | owns_task).select_related("employee", "template")


def _view_scope(actor: Any) -> QuerySet[Employee, Any]:
    return Employee.objects.filter(employee_condition(actor, Perm.WORKFORCE_VIEW, include_self=False)).values("pk")


def checklist_list(*, actor: Any, open_only: bool = True) -> QuerySet[Checklist]:
    queryset = checklist_scoped(actor=actor).annotate(
        open_tasks=Count("tasks", filter=Q(tasks__status=TaskStatus.OPEN)), task_count=Count("tasks"))
    if open_only:
        queryset = queryset.filter(completed_at__isnull=True)
    return queryset.order_by("starts_on", "pk")


def checklist_tasks(*, checklist: Checklist) -> QuerySet[ChecklistTask]:
    return checklist.tasks.select_related("owner", "done_by").order_by("order", "pk")


def checklists_of(*, employee: Any) -> QuerySet[Checklist]:
    # Explicit order: Meta.ordering is dropped from GROUP BY queries, so PostgreSQL would return any order.
    return employee.checklists.annotate(
        open_tasks=Count("tasks", filter=Q(tasks__status=TaskStatus.OPEN)), task_count=Count("tasks")
    ).order_by("starts_on", "pk")


def my_open_tasks(*, actor: Any) -> QuerySet[ChecklistTask]:
    return ChecklistTask.objects.filter(owner_id=actor.pk, status=TaskStatus.OPEN).select_related(
        "checklist__employee").order_by("due_on", "pk")


def template_list() -> QuerySet[ChecklistTemplate]:
    # Explicit order: Meta.ordering is dropped from GROUP BY queries, so PostgreSQL would return any order.
    return (ChecklistTemplate.objects.select_related("position").annotate(item_count=Count("items"))
            .order_by("kind", "name", "pk"))


def template_items(*, template: ChecklistTemplate) -> Any:
    return template.items.select_related("course").order_by("order", "pk")
