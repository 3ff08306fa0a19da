"""Reading development plans: who may see and work them, the steps a new plan proposes from the career gap, and
each step's state (a certification step counts as done once the employee holds a valid credential of that type,
worked out when shown rather than stored twice).

Who: workforce.manage where the employee works (the one scope rule, selectors/scope.py), the employee's manager
(Employee.manager's account) for their direct reports, and the employee, read-only, for their own plans.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from openpractice.accounts.roles import Perm
from openpractice.core.selectors import practice_today

from ..choices import Education, EmployeeStatus, PlanItemKind, PlanStatus, TrainingStatus
from ..models import (
    Course,
    CredentialType,
    DevelopmentPlan,
    DevelopmentPlanItem,
    Employee,
    Position,
    TrainingAssignment,
)
from .career import _courses_closing, education_meets, held_credential_types, months_between
from .scope import employee_condition


def _is_signed_in(actor: Any) -> bool:
    return bool(getattr(actor, "is_authenticated", False) and getattr(actor, "is_active", False))


def _manages(actor: Any) -> Q:
    """Employees whose plans `actor` may write: workforce.manage in scope, or their direct reports."""
    condition = employee_condition(actor, Perm.WORKFORCE_MANAGE, include_self=False)
    if _is_signed_in(actor):
        condition |= Q(manager__user_id=actor.pk)
    return condition


def development_employees(*, actor: Any) -> QuerySet[Employee]:
    """Employees `actor` may make and work plans for."""
    return Employee.objects.filter(_manages(actor))


def plans_managed(*, actor: Any) -> QuerySet[DevelopmentPlan]:
    return DevelopmentPlan.objects.filter(employee__in=development_employees(actor=actor).values("pk")).select_related(
        "employee", "target_position")


def plans_readable(*, actor: Any) -> QuerySet[DevelopmentPlan]:
    """Plans `actor` manages, plus their own (read-only)."""
    condition = Q(employee__in=development_employees(actor=actor).values("pk"))
    if _is_signed_in(actor):
        condition |= Q(employee__user_id=actor.pk)
    return DevelopmentPlan.objects.filter(condition).select_related("employee", "target_position")


def items_managed(*, actor: Any) -> QuerySet[DevelopmentPlanItem]:
    return DevelopmentPlanItem.objects.filter(
        plan__employee__in=development_employees(actor=actor).values("pk")).select_related("plan__employee")


def may_manage_employee(actor: Any, employee: Employee) -> bool:
    return development_employees(actor=actor).filter(pk=employee.pk).exists()


def plan_list(*, actor: Any, active_only: bool = True) -> QuerySet[DevelopmentPlan]:
    """The plans `actor` manages (not their own: those show on their career page), with item counts."""
    queryset = plans_managed(actor=actor).annotate(
        item_count=Count("items"), done_count=Count("items", filter=Q(items__done_on__isnull=False)))
    if active_only:
        queryset = queryset.filter(status=PlanStatus.ACTIVE)
    return queryset.order_by("target_date", "pk")


def own_active_plan_id(*, actor: Any) -> int | None:
    if not _is_signed_in(actor):
        return None
    plan_id: int | None = (DevelopmentPlan.objects.filter(employee__user_id=actor.pk, status=PlanStatus.ACTIVE)
                           .values_list("pk", flat=True).first())
    return plan_id


def reports_without_plan(*, actor: Any) -> QuerySet[Employee]:
    """The actor's active direct reports who have no active plan (where a manager starts one)."""
    if not _is_signed_in(actor):
        return Employee.objects.none()
    return (Employee.objects.filter(manager__user_id=actor.pk, status=EmployeeStatus.ACTIVE)
            .exclude(development_plans__status=PlanStatus.ACTIVE).select_related("position")
            .order_by("last_name", "first_name", "pk"))


def plans_of(*, plan_scope: QuerySet[DevelopmentPlan], employee: Employee) -> QuerySet[DevelopmentPlan]:
    return plan_scope.filter(employee=employee).order_by("-starts_on", "-pk")


# --- the state of each step ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemRow:
    item: DevelopmentPlanItem
    # Done without anyone marking it: the certification is held now, or the course completed.
    auto_done: bool

    @property
    def is_done(self) -> bool:
        return self.item.done_on is not None or self.auto_done

    def overdue(self, today: dt.date) -> bool:
        return not self.is_done and self.item.due_on < today


def plan_rows(*, plan: DevelopmentPlan, today: dt.date | None = None) -> list[ItemRow]:
    """The plan's steps in order with their state; three queries whatever the number of steps."""
    today = today or practice_today()
    items = list(plan.items.select_related("credential_type", "course").order_by("order", "due_on", "pk"))
    held: set[int] = set()
    completed: set[int] = set()
    if any(item.kind == PlanItemKind.CREDENTIAL and item.credential_type_id for item in items):
        held = {credential_type.pk for credential_type in held_credential_types(plan.employee, today)}
    course_ids = [item.course_id for item in items if item.kind == PlanItemKind.COURSE and item.course_id]
    if course_ids:
        completed = set(TrainingAssignment.objects.filter(
            employee_id=plan.employee_id, course_id__in=course_ids, status=TrainingStatus.COMPLETED,
        ).values_list("course_id", flat=True))
    rows = []
    for item in items:
        auto = ((item.kind == PlanItemKind.CREDENTIAL and item.credential_type_id in held)
                or (item.kind == PlanItemKind.COURSE and item.course_id in completed))
        rows.append(ItemRow(item=item, auto_done=item.done_on is None and auto))
    return rows


def plan_progress(rows: list[ItemRow]) -> tuple[int, int]:
    return sum(1 for row in rows if row.is_done), len(rows)


# --- what a new plan proposes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposedItem:
    kind: str
    title: str
    due_on: dt.date
    credential_type: CredentialType | None = None
    course: Course | None = None

    @property
    def kind_label(self) -> str:
        return str(PlanItemKind(self.kind).label)


def default_target(employee: Employee) -> Position | None:
    """The next position on the employee's path."""
    if employee.position_id is None:
        return None
    position = Position.objects.select_related("next_position").filter(pk=employee.position_id).first()
    return position.next_position if position is not None else None


def spread(starts_on: dt.date, target_date: dt.date, count: int) -> list[dt.date]:
    """`count` due dates evenly between the start (exclusive) and the target (inclusive)."""
    span = (target_date - starts_on).days
    return [starts_on + dt.timedelta(days=round(span * (index + 1) / count)) for index in range(count)]


def propose_items(*, employee: Employee, target: Position | None, starts_on: dt.date, target_date: dt.date,
                  today: dt.date | None = None) -> list[ProposedItem]:
    """The steps that close the gap between `employee` and `target`: for each missing required, then preferred,
    certification the courses that prepare for it (not yet completed) and the certification itself; then the
    education and the time in role the position asks for. Dates spread between start and target; the time in
    role falls due when the employee will have served it (kept within the plan's dates)."""
    if target is None:
        return []
    today = today or practice_today()
    held_ids = {item.pk for item in held_credential_types(employee, today)}
    required = [item for item in target.required_certifications.order_by("code") if item.pk not in held_ids]
    preferred = [item for item in target.preferred_certifications.order_by("code") if item.pk not in held_ids]
    options = _courses_closing(employee, [*required, *preferred])
    steps: list[tuple[str, str, CredentialType | None, Any]] = []
    emitted_courses: set[int] = set()
    for credential_type, wanted in [*((item, _("required")) for item in required),
                                    *((item, _("preferred")) for item in preferred)]:
        for option in options:
            if (credential_type in option.closes and option.course.pk not in emitted_courses
                    and option.status not in (TrainingStatus.COMPLETED, TrainingStatus.WAIVED)):
                emitted_courses.add(option.course.pk)
                steps.append((PlanItemKind.COURSE, _("Complete %(course)s") % {"course": option.course.title},
                              None, option.course))
        steps.append((PlanItemKind.CREDENTIAL,
                      _("Earn %(code)s — %(name)s (%(wanted)s)") % {
                          "code": credential_type.code, "name": credential_type.name, "wanted": wanted},
                      credential_type, None))
    if not education_meets(employee.education, target.required_education):
        steps.append((PlanItemKind.EDUCATION,
                      _("Complete: %(level)s") % {"level": Education(target.required_education).label},
                      None, None))
    dates = spread(starts_on, target_date, len(steps)) if steps else []
    proposed = [ProposedItem(kind=kind, title=title[:200], due_on=due, credential_type=credential_type,
                             course=course)
                for (kind, title, credential_type, course), due in zip(steps, dates, strict=True)]
    since = employee.position_since or employee.hire_date
    months = target.min_months_in_previous_role
    if months and since is not None and months_between(since, today) < months:
        served = _add_months(since, months)
        proposed.append(ProposedItem(
            kind=PlanItemKind.EXPERIENCE,
            title=(_("%(months)s months in the current position") % {"months": months})[:200],
            due_on=min(max(served, starts_on), target_date)))
    return proposed


def _add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day when it is shorter)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


# --- the panel on the career page ----------------------------------------------------------------------------


def plan_panel(*, actor: Any, employee: Employee, today: dt.date | None = None) -> dict[str, Any]:
    """Context for workforce/development/_plan_panel.html: the employee's active plan (when `actor` may read
    it) with its steps, and whether `actor` may make or work plans for them. Keys are prefixed `development_`."""
    may_manage = may_manage_employee(actor, employee)
    own = _is_signed_in(actor) and employee.user_id == actor.pk
    plan = None
    rows: list[ItemRow] = []
    if may_manage or own:
        plan = (DevelopmentPlan.objects.filter(employee=employee, status=PlanStatus.ACTIVE)
                .select_related("target_position", "employee").first())
        if plan is not None:
            rows = plan_rows(plan=plan, today=today)
    done, total = plan_progress(rows)
    return {
        "development_plan": plan,
        "development_rows": rows,
        "development_done": done,
        "development_total": total,
        "development_may_manage": may_manage,
        "development_may_read": may_manage or own,
        "development_today": today or practice_today(),
    }
