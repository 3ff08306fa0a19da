"""/employees: HR records (workforce.view to read in scope, workforce.manage to create and change).

SSN and bank details may be sent on create/update but are never returned: the output carries only their last
four digits. Termination is not offered here (it ends a person's access: the web page asks for confirmation)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.roles import Perm
from openpractice.core.web import get_scoped_or_404, require
from openpractice.workforce.selectors import employees as selectors
from openpractice.workforce.services import employees as services

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate

router = Router(tags=["employees"])


def _last4(value: str) -> str:
    digits = "".join(ch for ch in value or "" if ch.isdigit())
    return digits[-4:]


class EmployeeOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 21, "employee_number": "E-0021", "user_id": 14, "first_name": "Maria", "last_name": "Lopez",
         "preferred_name": "", "email": "maria.lopez@example.org", "phone": "919-555-0123", "position_id": 5,
         "position_since": "2025-04-07", "location_id": 1, "manager_id": 8, "employment_type": "full_time",
         "flsa_status": "non_exempt", "education": "associate", "hire_date": "2025-04-07", "status": "active",
         "termination_date": None, "ssn_last4": "4821", "bank_account_last4": "0937",
         "updated_at": "2026-06-30T13:00:00Z"}]}}
    id: int
    employee_number: str
    user_id: int | None
    first_name: str
    last_name: str
    preferred_name: str
    email: str
    phone: str
    position_id: int | None
    position_since: dt.date | None
    location_id: int | None = Field(description="Main location")
    manager_id: int | None
    employment_type: str
    flsa_status: str
    education: str
    hire_date: dt.date
    status: str
    termination_date: dt.date | None
    ssn_last4: str = Field(description="Last four digits only; the full SSN is never returned")
    bank_account_last4: str = Field(description="Last four digits only; bank details are never returned")
    updated_at: dt.datetime

    @staticmethod
    def resolve_ssn_last4(obj: Any) -> str:
        return _last4(obj.ssn)

    @staticmethod
    def resolve_bank_account_last4(obj: Any) -> str:
        return _last4(obj.bank_account_number)


class EmployeeIn(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"employee_number": "E-0131", "first_name": "Dana", "last_name": "Whitfield",
         "email": "dana.whitfield@example.org", "phone": "555-0142", "position": 4, "location": 1,
         "hire_date": "2026-01-05", "pto_hours_per_year": "80.00"}]}}
    employee_number: str
    first_name: str
    last_name: str
    preferred_name: str = ""
    email: str = ""
    personal_email: str = ""
    phone: str = ""
    date_of_birth: dt.date | None = None
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    emergency_contact: str = ""
    user: int | None = Field(None, description="User id of the person's OpenPractice account")
    position: int | None = None
    position_since: dt.date | None = None
    location: int | None = Field(None, description="Main location id; you need workforce.manage there")
    manager: int | None = Field(None, description="Employee id")
    employment_type: str = "full_time"
    flsa_status: str = "non_exempt"
    education: str = "none"
    hire_date: dt.date
    pto_hours_per_year: Decimal = Decimal("0")
    ssn: str = Field("", description="Write-only")
    bank_routing_number: str = Field("", description="Write-only")
    bank_account_number: str = Field("", description="Write-only")


class EmployeePatchIn(Schema):
    model_config = {"json_schema_extra": {"examples": [{"phone": "555-0143", "city": "Raleigh"}]}}
    employee_number: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    preferred_name: str | None = None
    email: str | None = None
    personal_email: str | None = None
    phone: str | None = None
    date_of_birth: dt.date | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    emergency_contact: str | None = None
    user: int | None = None
    position: int | None = None
    position_since: dt.date | None = None
    location: int | None = None
    manager: int | None = None
    employment_type: str | None = None
    flsa_status: str | None = None
    education: str | None = None
    hire_date: dt.date | None = None
    pto_hours_per_year: Decimal | None = None
    status: str | None = Field(None, description="active or on_leave (terminate in the web interface)")
    ssn: str | None = Field(None, description="Write-only")
    bank_routing_number: str | None = Field(None, description="Write-only")
    bank_account_number: str | None = Field(None, description="Write-only")


class EmployeeFilter(PageIn):
    q: str = Field("", max_length=100, description="Part of the name, the employee number or the email")
    status: str = Field("", description="active, on_leave, terminated, all (default: not terminated)")


@router.get("", response={200: Page[EmployeeOut], **COMMON_RESPONSES}, url_name="employee_list",
            summary="Employees", description=f"Needs `{Perm.WORKFORCE_VIEW}`; employees at your locations.")
def employee_list(request: HttpRequest, filters: Query[EmployeeFilter]) -> Any:
    require(request, Perm.WORKFORCE_VIEW)
    queryset = selectors.employee_list(actor=request.user, text=filters.q, status=filters.status)
    return paginate(queryset.order_by("last_name", "first_name", "pk"), filters)


@router.get("/{int:employee_id}", response={200: EmployeeOut, **COMMON_RESPONSES}, url_name="employee_detail",
            summary="One employee", description=f"Needs `{Perm.WORKFORCE_VIEW}` at the employee's location.")
def employee_detail(request: HttpRequest, employee_id: int) -> Any:
    require(request, Perm.WORKFORCE_VIEW)
    return get_scoped_or_404(request, selectors.employee_scoped(actor=request.user), permission=Perm.WORKFORCE_VIEW,
                             pk=employee_id)


@router.post("", response={201: EmployeeOut, **WRITE_RESPONSES}, url_name="employee_create",
             summary="Add an employee", description=f"Needs `{Perm.WORKFORCE_MANAGE}` at the main location.")
def employee_create(request: HttpRequest, payload: EmployeeIn) -> Any:
    require(request, Perm.WORKFORCE_MANAGE)
    return Status(201, services.employee_create(actor=request.user, data=payload.model_dump()))


@router.patch("/{int:employee_id}", response={200: EmployeeOut, **WRITE_RESPONSES}, url_name="employee_update",
              summary="Change an employee",
              description=f"Needs `{Perm.WORKFORCE_MANAGE}` at the employee's location (and the new one when "
                          "moving them). Send only the fields to change.")
def employee_update(request: HttpRequest, employee_id: int, payload: EmployeePatchIn) -> Any:
    require(request, Perm.WORKFORCE_MANAGE)
    employee = get_scoped_or_404(request, selectors.employee_scoped(actor=request.user,
                                                                    permission=Perm.WORKFORCE_MANAGE),
                                 permission=Perm.WORKFORCE_MANAGE, pk=employee_id)
    return services.employee_update(actor=request.user, employee=employee,
                                    data=payload.model_dump(exclude_unset=True))
