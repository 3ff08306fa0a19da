"""/trainings: training assignments. Any signed-in caller lists and reads the assignments of the employees their
workforce.view reaches, and their own (self-service); workforce.manage in the employee's scope assigns a course
and moves a due date. Out of scope answers 404 (audited), like a missing assignment.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.roles import Perm
from openpractice.core.selectors import practice_today
from openpractice.core.web import get_scoped_or_404, require
from openpractice.workforce.choices import TrainingStatus
from openpractice.workforce.selectors import training as selectors
from openpractice.workforce.services import training as services

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate

router = Router(tags=["trainings"])


class TrainingOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 612, "employee_id": 21, "employee_name": "Maria Lopez", "course_id": 2, "course_code": "HIPAA-PRIV",
         "course_title": "Annual HIPAA privacy refresher", "is_hipaa": True, "assigned_on": "2026-01-05",
         "due_on": "2026-01-31", "status": "completed", "overdue": False, "completed_on": "2026-01-22",
         "valid_until": "2027-01-22", "score": "92.00", "note": "", "has_certificate": True}]}}
    id: int
    employee_id: int
    employee_name: str
    course_id: int
    course_code: str
    course_title: str
    is_hipaa: bool = Field(description="The course keeps PHI access open when the practice requires HIPAA training")
    assigned_on: dt.date
    due_on: dt.date
    status: str = Field(description="assigned, completed or waived")
    overdue: bool
    completed_on: dt.date | None
    valid_until: dt.date | None = Field(description="Until when the completion counts; null: for good")
    score: Decimal | None
    note: str
    has_certificate: bool

    @staticmethod
    def resolve_employee_name(obj: Any) -> str:
        return str(obj.employee)

    @staticmethod
    def resolve_course_code(obj: Any) -> str:
        return str(obj.course.code)

    @staticmethod
    def resolve_course_title(obj: Any) -> str:
        return str(obj.course.title)

    @staticmethod
    def resolve_is_hipaa(obj: Any) -> bool:
        return bool(obj.course.is_hipaa)

    @staticmethod
    def resolve_overdue(obj: Any) -> bool:
        return bool(obj.status == TrainingStatus.ASSIGNED and obj.due_on < practice_today())

    @staticmethod
    def resolve_has_certificate(obj: Any) -> bool:
        return bool(obj.evidence)


class TrainingFilters(PageIn):
    status: TrainingStatus | None = None
    overdue: bool = Field(False, description="Only open assignments past their due date")
    course_id: int | None = None
    employee_id: int | None = None


class TrainingIn(Schema):
    model_config = {"json_schema_extra": {"examples": [{"employee_id": 31, "course_id": 5, "due_on": "2026-12-31"}]}}
    employee_id: int
    course_id: int
    due_on: dt.date | None = Field(None, description="Empty: the course's due-within days from today")
    note: str = Field("", max_length=300)


class TrainingPatchIn(Schema):
    model_config = {"json_schema_extra": {"examples": [{"due_on": "2027-01-31"}]}}
    due_on: dt.date | None = None
    note: str | None = Field(None, max_length=300)


@router.get("", response={200: Page[TrainingOut], **COMMON_RESPONSES}, url_name="training_list",
            summary="Training assignments",
            description=f"Assignments of the employees `{Perm.WORKFORCE_VIEW}` reaches at your locations, and "
                        "your own. Soonest due first.")
def training_list(request: HttpRequest, filters: Query[TrainingFilters]) -> Any:
    queryset = selectors.assignment_list(actor=request.user, status=filters.status or "", overdue=filters.overdue,
                                         course_id=filters.course_id)
    if filters.employee_id is not None:
        queryset = queryset.filter(employee_id=filters.employee_id)
    return paginate(queryset.order_by("due_on", "pk"), filters)


@router.get("/{int:training_id}", response={200: TrainingOut, **COMMON_RESPONSES}, url_name="training_detail",
            summary="One training assignment",
            description=f"Needs `{Perm.WORKFORCE_VIEW}` at the employee's location, or the assignment is yours.")
def training_detail(request: HttpRequest, training_id: int) -> Any:
    return get_scoped_or_404(request, selectors.assignment_scoped(actor=request.user),
                             permission=Perm.WORKFORCE_VIEW, pk=training_id)


@router.post("", response={201: TrainingOut, **WRITE_RESPONSES}, url_name="training_create",
             summary="Assign a course to an employee",
             description=f"Needs `{Perm.WORKFORCE_MANAGE}` at the employee's location. 422 when the employee has "
                         "the course open already or the course is retired.")
def training_create(request: HttpRequest, payload: TrainingIn) -> Any:
    require(request, Perm.WORKFORCE_MANAGE)
    employee = get_scoped_or_404(request, selectors.assignable_employees(actor=request.user),
                                 permission=Perm.WORKFORCE_MANAGE, pk=payload.employee_id)
    course = get_scoped_or_404(request, selectors.course_list(actor=request.user), permission=Perm.WORKFORCE_VIEW,
                               pk=payload.course_id)
    result = services.training_assign(actor=request.user, course=course, employee=employee, due_on=payload.due_on,
                                      note=payload.note)
    return Status(201, selectors.assignment_scoped(actor=request.user).get(pk=result.created[0].pk))


@router.patch("/{int:training_id}", response={200: TrainingOut, **WRITE_RESPONSES}, url_name="training_update",
              summary="Move an open assignment's due date or change its note",
              description=f"Needs `{Perm.WORKFORCE_MANAGE}` at the employee's location. Send only the fields to "
                          "change; a completed or waived assignment answers 422.")
def training_update(request: HttpRequest, training_id: int, payload: TrainingPatchIn) -> Any:
    require(request, Perm.WORKFORCE_MANAGE)
    assignment = get_scoped_or_404(request, selectors.assignment_scoped(actor=request.user,
                                                                        permission=Perm.WORKFORCE_MANAGE,
                                                                        include_self=False),
                                   permission=Perm.WORKFORCE_MANAGE, pk=training_id)
    data = {name: value for name, value in payload.model_dump(exclude_unset=True).items() if value is not None}
    if not data:
        raise ValidationError(_("Send due_on or note."))
    return services.training_update(actor=request.user, assignment=assignment, data=data)
