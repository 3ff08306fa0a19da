"""Career paths: what an employee holds against what the next position on their path asks for.

The path is the chain of Position.next_position (office manager entry -> mid -> experienced -> practice manager
entry -> advanced -> senior; the clinical ladders). The gap is in education (a level or above), certifications
(held, current and not replaced by a renewal) and time in the current position; the catalog courses that prepare
for a missing certification (Course.prepares_for) are the ways to close it. Seen by WORKFORCE_VIEW for the
employees it reaches and by each employee for their own record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.selectors import practice_today

from ..choices import EDUCATION_ORDER, Education, TrainingStatus
from ..models import Course, CredentialType, Employee, EmployeeCredential, Position, TrainingAssignment
from .scope import employees_scoped

MAX_PATH = 12  # steps shown ahead; a longer chain is a data problem, not a career


def career_employees(*, actor: Any) -> QuerySet[Employee]:
    return employees_scoped(actor=actor, permission=Perm.WORKFORCE_VIEW, include_self=True)


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from `start` to `end` (0 when end is earlier)."""
    months = (end.year - start.year) * 12 + end.month - start.month - (1 if end.day < start.day else 0)
    return max(months, 0)


def education_meets(held: str, required: str) -> bool:
    return EDUCATION_ORDER.index(held) >= EDUCATION_ORDER.index(required)


@dataclass(frozen=True)
class CourseOption:
    course: Course
    closes: tuple[CredentialType, ...]
    status: str  # "", or the employee's latest assignment of it: assigned / completed / waived

    @property
    def status_label(self) -> str:
        return str(TrainingStatus(self.status).label) if self.status else ""


@dataclass
class CareerGap:
    employee: Employee
    position: Position | None
    next_position: Position | None
    path: list[Position] = field(default_factory=list)
    education_held: str = Education.NONE
    education_met: bool = True
    months_in_role: int | None = None
    months_required: int = 0
    time_met: bool = True
    held: list[CredentialType] = field(default_factory=list)
    missing_required: list[CredentialType] = field(default_factory=list)
    missing_preferred: list[CredentialType] = field(default_factory=list)
    courses: list[CourseOption] = field(default_factory=list)

    @property
    def education_required_label(self) -> str:
        return self.next_position.get_required_education_display() if self.next_position else ""

    @property
    def ready(self) -> bool:
        """Meets every requirement of the next step (preferred certifications are not requirements)."""
        return (self.next_position is not None and self.education_met and self.time_met
                and not self.missing_required)


def _path_after(position: Position) -> list[Position]:
    """The positions after `position` on its path, in order (one query; stops at a repeat)."""
    positions = Position.objects.only("pk", "title", "next_position_id", "is_active").in_bulk()
    path: list[Position] = []
    seen = {position.pk}
    current = positions.get(position.next_position_id or 0)
    while current is not None and current.pk not in seen and len(path) < MAX_PATH:
        path.append(current)
        seen.add(current.pk)
        current = positions.get(current.next_position_id or 0)
    return path


def held_credential_types(employee: Employee, today: dt.date) -> list[CredentialType]:
    """The credential types the employee holds now: a credential not replaced by a renewal and not expired."""
    held = (EmployeeCredential.objects.filter(employee=employee, renewed_by__isnull=True)
            .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today)).select_related("credential_type"))
    unique = {credential.credential_type_id: credential.credential_type for credential in held}
    return sorted(unique.values(), key=lambda item: item.code)


def career_gap(*, actor: Any, employee: Employee, today: dt.date | None = None) -> CareerGap:
    """The gap between `employee` and the next position on their path; audited as a view of their HR record."""
    if not career_employees(actor=actor).filter(pk=employee.pk).exists():
        raise PermissionDenied
    today = today or practice_today()
    position = (Position.objects.select_related("next_position").filter(pk=employee.position_id).first()
                if employee.position_id else None)
    upcoming = position.next_position if position is not None else None
    gap = CareerGap(employee=employee, position=position, next_position=upcoming,
                    education_held=employee.education)
    gap.held = held_credential_types(employee, today)
    since = employee.position_since or employee.hire_date
    gap.months_in_role = months_between(since, today) if position is not None and since else None
    if position is not None:
        gap.path = _path_after(position)
    if upcoming is not None:
        held_ids = {item.pk for item in gap.held}
        gap.education_met = education_meets(employee.education, upcoming.required_education)
        gap.months_required = upcoming.min_months_in_previous_role
        gap.time_met = (gap.months_in_role or 0) >= gap.months_required
        gap.missing_required = [item for item in upcoming.required_certifications.order_by("code")
                                if item.pk not in held_ids]
        gap.missing_preferred = [item for item in upcoming.preferred_certifications.order_by("code")
                                 if item.pk not in held_ids]
        gap.courses = _courses_closing(employee, [*gap.missing_required, *gap.missing_preferred])
    record(actor=actor, action="workforce.career_viewed", target=employee, location_id=employee.location_id)
    return gap


def _courses_closing(employee: Employee, missing: list[CredentialType]) -> list[CourseOption]:
    """Active catalog courses that prepare for any of `missing`, with the employee's latest assignment status."""
    if not missing:
        return []
    wanted = {item.pk: item for item in missing}
    courses = (Course.objects.filter(is_active=True, prepares_for__in=list(wanted)).distinct()
               .prefetch_related("prepares_for").order_by("title", "pk"))
    statuses: dict[int, str] = {}
    for course_id, status in (TrainingAssignment.objects.filter(employee=employee, course__in=courses)
                              .order_by("course_id", "-assigned_on", "-pk").values_list("course_id", "status")):
        statuses.setdefault(course_id, status)
    options = []
    for course in courses:
        closes = tuple(item for item in course.prepares_for.all() if item.pk in wanted)
        options.append(CourseOption(course=course, closes=closes, status=statuses.get(course.pk, "")))
    return options

