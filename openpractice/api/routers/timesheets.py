"""/timesheets: time entries. Any signed-in caller lists and reads the entries of the employees their
workforce.payroll reaches, and their own (self-service); an employee records and changes their own worked hours,
payroll records and corrects any kind (PTO, holiday) in scope. Entries in a closed pay period answer 422.
Out of scope answers 404 (audited), like a missing entry. Overtime is computed per week, never stored.
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
from openpractice.core.web import get_scoped_or_404
from openpractice.workforce.choices import TimeKind
from openpractice.workforce.selectors import time as selectors
from openpractice.workforce.selectors.scope import own_employee
from openpractice.workforce.services import time as services

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate

router = Router(tags=["timesheets"])


class TimeEntryOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 30551, "employee_id": 21, "employee_number": "E-0021", "employee_name": "Maria Lopez",
         "work_date": "2026-11-20", "kind": "worked", "source": "clock", "clock_in": "2026-11-20T13:02:00Z",
         "clock_out": "2026-11-20T21:34:00Z", "hours": "8.53", "note": ""}]}}
    id: int
    employee_id: int
    employee_number: str
    employee_name: str
    work_date: dt.date
    kind: str = Field(description="worked, pto or holiday")
    source: str = Field(description="clock, weekly or correction")
    clock_in: dt.datetime | None
    clock_out: dt.datetime | None
    hours: Decimal | None = Field(description="Null while clocked in")
    note: str

    @staticmethod
    def resolve_employee_number(obj: Any) -> str:
        return str(obj.employee.employee_number)

    @staticmethod
    def resolve_employee_name(obj: Any) -> str:
        return str(obj.employee)


class TimeEntryFilters(PageIn):
    employee_id: int | None = None
    kind: TimeKind | None = None
    date_from: dt.date | None = Field(None, description="First work date, inclusive")
    date_to: dt.date | None = Field(None, description="Last work date, inclusive")


class TimeEntryIn(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"work_date": "2026-11-23", "hours": "8.00", "note": "Covered the front desk"}]}}
    employee_id: int | None = Field(None, description="Empty: your own employee record")
    work_date: dt.date
    kind: TimeKind = TimeKind.WORKED
    hours: Decimal = Field(ge=0, le=24)
    note: str = Field("", max_length=300)


class TimeEntryPatchIn(Schema):
    model_config = {"json_schema_extra": {"examples": [{"hours": "7.50"}]}}
    work_date: dt.date | None = None
    kind: TimeKind | None = None
    hours: Decimal | None = Field(None, ge=0, le=24)
    note: str | None = Field(None, max_length=300)


@router.get("", response={200: Page[TimeEntryOut], **COMMON_RESPONSES}, url_name="timesheet_list",
            summary="Time entries",
            description=f"Entries of the employees `{Perm.WORKFORCE_PAYROLL}` reaches at your locations, and your "
                        "own. Most recent first.")
def timesheet_list(request: HttpRequest, filters: Query[TimeEntryFilters]) -> Any:
    queryset = selectors.time_entry_list(actor=request.user, employee_id=filters.employee_id,
                                         first=filters.date_from, last=filters.date_to, kind=filters.kind or "")
    return paginate(queryset.order_by("-work_date", "-pk"), filters)


@router.get("/{int:entry_id}", response={200: TimeEntryOut, **COMMON_RESPONSES}, url_name="timesheet_detail",
            summary="One time entry",
            description=f"Needs `{Perm.WORKFORCE_PAYROLL}` at the employee's location, or the entry is yours.")
def timesheet_detail(request: HttpRequest, entry_id: int) -> Any:
    return get_scoped_or_404(request, selectors.time_entries_scoped(actor=request.user),
                             permission=Perm.WORKFORCE_PAYROLL, pk=entry_id)


@router.post("", response={201: TimeEntryOut, **WRITE_RESPONSES}, url_name="timesheet_create",
             summary="Record a day's hours",
             description=f"Your own worked hours, or — with `{Perm.WORKFORCE_PAYROLL}` at the employee's location — "
                         "any kind for an employee (a correction). 422 in a closed pay period.")
def timesheet_create(request: HttpRequest, payload: TimeEntryIn) -> Any:
    employees = selectors.payroll_employees(actor=request.user, include_self=True)
    if payload.employee_id is None:
        employee = own_employee(request.user)
        if employee is None:
            raise ValidationError(_("Your account is not linked to an employee record: give employee_id."))
    else:
        employee = get_scoped_or_404(request, employees, permission=Perm.WORKFORCE_PAYROLL, pk=payload.employee_id)
    entry = services.time_entry_create(actor=request.user, employee=employee, data={
        "work_date": payload.work_date, "kind": payload.kind, "hours": payload.hours, "note": payload.note})
    return Status(201, selectors.time_entries_scoped(actor=request.user).get(pk=entry.pk))


@router.patch("/{int:entry_id}", response={200: TimeEntryOut, **WRITE_RESPONSES}, url_name="timesheet_update",
              summary="Change a time entry",
              description=f"Your own worked hours, or any entry `{Perm.WORKFORCE_PAYROLL}` reaches (it becomes a "
                          "correction). Send only the fields to change; 422 in a closed pay period.")
def timesheet_update(request: HttpRequest, entry_id: int, payload: TimeEntryPatchIn) -> Any:
    entry = get_scoped_or_404(request, selectors.time_entries_scoped(actor=request.user),
                              permission=Perm.WORKFORCE_PAYROLL, pk=entry_id)
    data = {name: value for name, value in payload.model_dump(exclude_unset=True).items() if value is not None}
    if not data:
        raise ValidationError(_("Send work_date, kind, hours or note."))
    services.time_entry_update(actor=request.user, entry=entry, data=data)
    return selectors.time_entries_scoped(actor=request.user).get(pk=entry.pk)
