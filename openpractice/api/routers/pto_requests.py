"""/pto-requests: requests for paid time off. Anyone signed in lists and reads their own requests and those of the
employees their workforce.payroll reaches; an employee asks for time off for themself (payroll may file one for an
employee it reaches) and withdraws one still pending; payroll approves (writing the PTO time entries) or denies
(saying why) the requests of others, never their own. The same services as the web pages, audited there. Out of
scope answers 404 (audited), like a missing request; refusals change nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.roles import Perm
from openpractice.core.web import get_scoped_or_404
from openpractice.workforce.choices import PtoStatus
from openpractice.workforce.models import PtoRequest
from openpractice.workforce.selectors import time as selectors
from openpractice.workforce.selectors.scope import own_employee
from openpractice.workforce.services import time as services

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate

router = Router(tags=["pto-requests"])
NO_NUL = r"^[^\x00]*$"  # PostgreSQL cannot store NUL in text


class PtoRequestOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 140, "employee_id": 21, "employee_number": "E-0021", "employee_name": "Maria Lopez",
         "starts_on": "2026-12-22", "ends_on": "2026-12-24", "hours": "24.00", "reason": "Holiday travel",
         "status": "approved", "decided_by_id": 3, "decided_at": "2026-11-18T14:30:00Z", "decision_note": "",
         "created_by_id": 14, "created_at": "2026-11-17T16:02:00Z"}]}}
    id: int
    employee_id: int
    employee_number: str
    employee_name: str
    starts_on: dt.date = Field(description="First day")
    ends_on: dt.date = Field(description="Last day")
    hours: Decimal
    reason: str
    status: str = Field(description="pending, approved, denied, cancelled")
    decided_by_id: int | None
    decided_at: dt.datetime | None
    decision_note: str
    created_by_id: int
    created_at: dt.datetime

    @staticmethod
    def resolve_employee_number(obj: PtoRequest) -> str:
        return str(obj.employee.employee_number)

    @staticmethod
    def resolve_employee_name(obj: PtoRequest) -> str:
        return str(obj.employee)


class PtoRequestFilter(PageIn):
    status: PtoStatus | None = None
    employee_id: int | None = Field(None, ge=1, le=2_147_483_647)
    mine: bool = Field(False, description="Only your own requests")
    to_decide: bool = Field(False, description="Only pending requests of others that you decide on")
    date_from: dt.date | None = Field(None, description="Requests ending on or after this day")
    date_to: dt.date | None = Field(None, description="Requests starting on or before this day")


class PtoRequestIn(Schema):
    employee_id: int | None = Field(None, ge=1, le=2_147_483_647,
                                    description="Empty: your own employee record; payroll may name an employee",
                                    examples=[42])
    starts_on: dt.date = Field(examples=["2026-12-21"])
    ends_on: dt.date = Field(examples=["2026-12-23"])
    hours: Decimal | None = Field(None, gt=0, le=9999, decimal_places=2,
                                  description="Default: 8 per weekday in the range", examples=["20.00"])
    reason: str = Field("", max_length=300, pattern=NO_NUL, examples=["Family visit over the holidays"])

    model_config = {"json_schema_extra": {"examples": [
        {"starts_on": "2026-12-21", "ends_on": "2026-12-23", "reason": "Family visit over the holidays"},
        {"employee_id": 42, "starts_on": "2026-12-28", "ends_on": "2026-12-28", "hours": "4.00"}]}}


class DecisionIn(Schema):
    decision: Literal["approve", "deny"] = Field(examples=["approve"])
    note: str = Field("", max_length=300, pattern=NO_NUL, description="Required to deny: why",
                      examples=["Clinic short-staffed that week; please pick other days."])

    model_config = {"json_schema_extra": {"examples": [
        {"decision": "approve"},
        {"decision": "deny", "note": "Clinic short-staffed that week; please pick other days."}]}}


def _scoped(request: HttpRequest) -> QuerySet[PtoRequest]:
    return selectors.pto_requests_scoped(actor=request.user)


def _one(request: HttpRequest, pto_request_id: int) -> PtoRequest:
    return get_scoped_or_404(request, _scoped(request), permission=Perm.WORKFORCE_PAYROLL, pk=pto_request_id)


@router.get("", response={200: Page[PtoRequestOut], **COMMON_RESPONSES}, url_name="pto_request_list",
            summary="PTO requests",
            description=f"Your own requests and those of the employees `{Perm.WORKFORCE_PAYROLL}` reaches at your "
                        "locations. Latest first day first. `status` takes the listed values only (else 422).")
def pto_request_list(request: HttpRequest, filters: Query[PtoRequestFilter]) -> Any:
    queryset = (selectors.pto_requests_to_decide(actor=request.user) if filters.to_decide
                else _scoped(request))
    if filters.mine:
        queryset = queryset.filter(employee__user_id=int(getattr(request.user, "pk", 0) or 0))
    if filters.status is not None:
        queryset = queryset.filter(status=filters.status)
    if filters.employee_id is not None:
        queryset = queryset.filter(employee_id=filters.employee_id)
    if filters.date_from is not None:
        queryset = queryset.filter(ends_on__gte=filters.date_from)
    if filters.date_to is not None:
        queryset = queryset.filter(starts_on__lte=filters.date_to)
    return paginate(queryset.order_by("-starts_on", "-pk"), filters)


@router.get("/{int:pto_request_id}", response={200: PtoRequestOut, **COMMON_RESPONSES},
            url_name="pto_request_detail", summary="One PTO request",
            description=f"Yours, or one `{Perm.WORKFORCE_PAYROLL}` reaches at the employee's location.")
def pto_request_detail(request: HttpRequest, pto_request_id: int) -> Any:
    return _one(request, pto_request_id)


@router.post("", response={201: PtoRequestOut, **WRITE_RESPONSES}, url_name="pto_request_create",
             summary="Ask for time off",
             description=f"For yourself, or — with `{Perm.WORKFORCE_PAYROLL}` at the employee's location — for an "
                         "employee. The range must hold a weekday; hours default to 8 a weekday and stay between 0 "
                         "and 24 a weekday (else 422).")
def pto_request_create(request: HttpRequest, payload: PtoRequestIn) -> Any:
    if payload.employee_id is None:
        employee = own_employee(request.user)
        if employee is None:
            raise ValidationError({"employee_id": _("Your account is not linked to an employee record: give "
                                                    "employee_id.")})
    else:
        employee = get_scoped_or_404(request, selectors.payroll_employees(actor=request.user, include_self=True),
                                     permission=Perm.WORKFORCE_PAYROLL, pk=payload.employee_id)
    created = services.pto_request_create(actor=request.user, employee=employee, starts_on=payload.starts_on,
                                          ends_on=payload.ends_on, hours=payload.hours, reason=payload.reason)
    return Status(201, _scoped(request).get(pk=created.pk))


@router.post("/{int:pto_request_id}/cancel", response={200: PtoRequestOut, **WRITE_RESPONSES},
             url_name="pto_request_cancel", summary="Withdraw a pending request",
             description=f"The requester, or `{Perm.WORKFORCE_PAYROLL}` over the employee. Only a pending request "
                         "(else 422).")
def pto_request_cancel(request: HttpRequest, pto_request_id: int) -> Any:
    pto = _one(request, pto_request_id)
    services.pto_request_cancel(actor=request.user, request=pto)
    return _scoped(request).get(pk=pto.pk)


@router.post("/{int:pto_request_id}/decide", response={200: PtoRequestOut, **WRITE_RESPONSES},
             url_name="pto_request_decide", summary="Approve or deny a pending request",
             description=f"Needs `{Perm.WORKFORCE_PAYROLL}` over the employee, and never for your own request. "
                         "Approving writes the PTO time entries (422 when a day is in a closed pay period); denying "
                         "needs a `note`. A request already decided or cancelled answers 422.")
def pto_request_decide(request: HttpRequest, pto_request_id: int, payload: DecisionIn) -> Any:
    pto = get_scoped_or_404(request, selectors.pto_requests_scoped(actor=request.user, include_self=False),
                            permission=Perm.WORKFORCE_PAYROLL, pk=pto_request_id)
    services.pto_request_decide(actor=request.user, request=pto, approve=payload.decision == "approve",
                                note=payload.note)
    return _scoped(request).get(pk=pto.pk)
