"""/payment-plans: monthly plans agreed with patients, as the patient's account page agrees them. Reading needs
billing.view or billing.collect_payments at the plan's location; agreeing or ending one, billing.collect_payments
or billing.manage at the patient's home location. One active plan per patient. Whether the patient keeps up is
computed from their payments (as on the account page), never stored. Agreeing a plan commits the patient's
money: the POST takes an `Idempotency-Key`. Plans are PHI: every patient shown is recorded in the audit trail.
Out of role or out of scope answers 404 and is audited; nothing changes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.billing.models import PaymentPlan
from openpractice.billing.selectors import adjustments as readers
from openpractice.billing.selectors import patient_accounts as selectors
from openpractice.billing.services import patient_payments as services
from openpractice.billing.services.charges import practice_today
from openpractice.core.web import deny, get_scoped_or_404
from openpractice.patients.selectors import patient_record_viewed, patient_records_viewed

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..idempotency import idempotent
from ..pagination import Page, PageIn, paginate
from ..schemas.appointments import PatientRefOut
from ..schemas.claims import ActorOut
from ..schemas.common import LocationRefOut

router = Router(tags=["payment-plans"])
READ_PERMISSIONS = " or ".join(selectors.ACCOUNT_PERMISSIONS)
PLAN_PERMISSIONS = " or ".join(services.PLAN_PERMISSIONS)
ID = Field(None, ge=1, le=2_147_483_647)
NO_NUL = r"^[^\x00]*$"  # PostgreSQL cannot store NUL in text


class PaymentPlanOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 27, "patient": {"id": 1042, "account_number": "A100245", "first_name": "Jordan",
                               "last_name": "Sample"},
         "location": {"id": 1, "name": "Raleigh Main", "code": "ral"}, "total": "300.00", "installment": "50.00",
         "day_of_month": 15, "starts_on": "2026-11-15", "is_active": True, "note": "Agreed at check-out",
         "created_by": {"id": 6, "username": "tkeller"}, "created_at": "2026-11-10T15:02:11Z",
         "installments": 6, "installments_due": 1, "expected": "50.00", "paid": "50.00", "behind_by": "0.00",
         "next_due_on": "2026-12-15", "next_amount": "50.00", "paid_off": False}]}}
    id: int
    patient: PatientRefOut
    location: LocationRefOut
    total: Decimal = Field(description="The amount the plan covers")
    installment: Decimal = Field(description="Due each month (the last may be smaller)")
    day_of_month: int = Field(description="Installments after the first fall on this day (1-28)")
    starts_on: dt.date = Field(description="The first installment")
    is_active: bool = Field(description="false: ended (paid off, broken or replaced)")
    note: str
    created_by: ActorOut
    created_at: dt.datetime
    installments: int = Field(description="How many installments the plan has")
    installments_due: int = Field(description="Installments due by today")
    expected: Decimal = Field(description="What should have been paid by today")
    paid: Decimal = Field(description="Payments received since the plan started, less refunds of them")
    behind_by: Decimal = Field(description="How far the patient is behind (0.00: keeping up)")
    next_due_on: dt.date | None = Field(description="The installment due next; empty when paid off")
    next_amount: Decimal
    paid_off: bool

    @staticmethod
    def resolve_installments(obj: Any) -> int:
        return int(obj.progress.installments)

    @staticmethod
    def resolve_installments_due(obj: Any) -> int:
        return int(obj.progress.installments_due)

    @staticmethod
    def resolve_expected(obj: Any) -> Decimal:
        return Decimal(obj.progress.expected)

    @staticmethod
    def resolve_paid(obj: Any) -> Decimal:
        return Decimal(obj.progress.paid)

    @staticmethod
    def resolve_behind_by(obj: Any) -> Decimal:
        return Decimal(obj.progress.behind_by)

    @staticmethod
    def resolve_next_due_on(obj: Any) -> dt.date | None:
        return obj.progress.next_due_on  # type: ignore[no-any-return]

    @staticmethod
    def resolve_next_amount(obj: Any) -> Decimal:
        return Decimal(obj.progress.next_amount)

    @staticmethod
    def resolve_paid_off(obj: Any) -> bool:
        return bool(obj.progress.paid_off)


class PaymentPlanFilter(PageIn):
    patient_id: int | None = ID
    location_id: int | None = ID
    active: bool | None = Field(None, description="true: the plans still running; false: the ended ones")


class PaymentPlanIn(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"patient_id": 1042, "total": "300.00", "installment": "50.00", "starts_on": "2026-11-15",
         "day_of_month": 15, "note": "Agreed at check-out"},
        {"patient_id": 1042, "total": "120.00", "installment": "40.00", "starts_on": "2026-12-01"}]}}
    patient_id: int = Field(ge=1, le=2_147_483_647, examples=[1042])
    total: Decimal = Field(description="The amount the plan covers: more than 0, at most 2 decimals",
                           examples=["300.00"])
    installment: Decimal = Field(description="Due each month; at most the total", examples=["50.00"])
    starts_on: dt.date = Field(description="The first installment", examples=["2026-11-15"])
    day_of_month: int | None = Field(None, ge=1, le=28, description="Day of the later installments (1-28); "
                                                                    "default: the day of `starts_on`",
                                     examples=[15])
    note: str = Field("", max_length=300, pattern=NO_NUL, examples=["Agreed at check-out"])


def _require_any(request: HttpRequest, permissions: tuple[str, ...]) -> None:
    if not any(can(request.user, permission) for permission in permissions):
        raise deny(request, permission=" or ".join(permissions))


def _with_progress(plans: list[PaymentPlan]) -> list[PaymentPlan]:
    statuses = readers.plan_statuses(plans, today=practice_today())
    for plan in plans:
        plan.progress = statuses[plan.pk]  # type: ignore[attr-defined]
    return plans


def _shown(request: HttpRequest, plan_id: int, permissions: tuple[str, ...]) -> PaymentPlan:
    """The plan as the API shows it, with its progress; its patient's view audited."""
    plan = get_scoped_or_404(request, readers.payment_plan_readable(actor=request.user),
                             permission=" or ".join(permissions), pk=plan_id)
    patient_record_viewed(actor=request.user, patient=plan.patient, how=f"api payment plan {plan.pk}")
    return _with_progress([plan])[0]


@router.get("", response={200: Page[PaymentPlanOut], **COMMON_RESPONSES}, url_name="payment_plan_list",
            summary="Payment plans at your locations",
            description=f"Needs `{Perm.BILLING_VIEW}` or `{Perm.BILLING_COLLECT}`; newest first, each with how the "
                        "patient keeps up. Filters: patient_id, location_id, active. Each patient on the page is "
                        "recorded in the audit trail once.")
def payment_plan_list(request: HttpRequest, filters: Query[PaymentPlanFilter]) -> Any:
    _require_any(request, selectors.ACCOUNT_PERMISSIONS)
    queryset = readers.payment_plan_readable(actor=request.user)
    if filters.patient_id is not None:
        queryset = queryset.filter(patient_id=filters.patient_id)
    if filters.location_id is not None:
        queryset = queryset.filter(location_id=filters.location_id)
    if filters.active is not None:
        queryset = queryset.filter(is_active=filters.active)
    result = paginate(queryset.order_by("-created_at", "-pk"), filters)
    result["items"] = _with_progress(result["items"])
    patient_records_viewed(actor=request.user, patients=(plan.patient for plan in result["items"]),
                           how="api payment plan list")
    return result


@router.get("/{int:payment_plan_id}", response={200: PaymentPlanOut, **COMMON_RESPONSES},
            url_name="payment_plan_detail", summary="One payment plan, with how the patient keeps up",
            description=f"Needs `{Perm.BILLING_VIEW}` or `{Perm.BILLING_COLLECT}` at its location. The read is "
                        "audited.")
def payment_plan_detail(request: HttpRequest, payment_plan_id: int) -> Any:
    _require_any(request, selectors.ACCOUNT_PERMISSIONS)
    return _shown(request, payment_plan_id, selectors.ACCOUNT_PERMISSIONS)


@router.post("", response={201: PaymentPlanOut, **WRITE_RESPONSES}, url_name="payment_plan_create",
             summary="Agree a monthly payment plan with a patient",
             description=f"Needs `{Perm.BILLING_COLLECT}` or `{Perm.BILLING_MANAGE}` at the patient's home "
                         "location. `installment` a month from `starts_on`, then on `day_of_month`, until `total` "
                         "is paid. A patient with an active plan answers 422 (end it first).")
@idempotent
def payment_plan_create(request: HttpRequest, payload: PaymentPlanIn) -> Any:
    _require_any(request, services.PLAN_PERMISSIONS)
    patient = selectors.account_patient_scoped(actor=request.user).filter(pk=payload.patient_id).first()
    if patient is None:
        raise ValidationError({"patient_id": _("There is no patient with this id at your locations.")})
    plan = services.payment_plan_create(actor=request.user, patient=patient, total=payload.total,
                                        installment=payload.installment, starts_on=payload.starts_on,
                                        day_of_month=payload.day_of_month, note=payload.note)
    return Status(201, _shown(request, plan.pk, services.PLAN_PERMISSIONS))


@router.post("/{int:payment_plan_id}/end", response={200: PaymentPlanOut, **WRITE_RESPONSES},
             url_name="payment_plan_end", summary="End a payment plan (paid off, broken or replaced)",
             description=f"Needs `{Perm.BILLING_COLLECT}` or `{Perm.BILLING_MANAGE}` at the plan's location. A plan "
                         "that has already ended answers 422. Nothing is posted: the plan only stops being "
                         "followed.")
def payment_plan_end(request: HttpRequest, payment_plan_id: int) -> Any:
    _require_any(request, services.PLAN_PERMISSIONS)
    plan = get_scoped_or_404(request, readers.payment_plan_readable(actor=request.user),
                             permission=PLAN_PERMISSIONS, pk=payment_plan_id)
    services.payment_plan_end(actor=request.user, plan=plan)
    return _shown(request, payment_plan_id, services.PLAN_PERMISSIONS)
