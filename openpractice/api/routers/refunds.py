"""/refunds: money given back to patients, as the patient's account page gives it. Reading needs billing.view or
billing.collect_payments at the refund's location; giving one, billing.post_payments at the patient's home
location, at most the patient's credit (and, naming the payment returned, at most what is left of it). A refund is
final: there is no update (a mistake is corrected by a payment). The POST moves money: it takes an
`Idempotency-Key`. Refunds are PHI: every patient shown is recorded in the audit trail. Out of role or out of
scope answers 404 and is audited; nothing changes."""

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
from openpractice.billing.choices import PaymentMethod
from openpractice.billing.models import Refund
from openpractice.billing.selectors import adjustments as readers
from openpractice.billing.selectors import patient_accounts as selectors
from openpractice.billing.services import patient_payments as services
from openpractice.core.web import deny, get_scoped_or_404, require
from openpractice.patients.selectors import patient_record_viewed, patient_records_viewed

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..idempotency import idempotent
from ..pagination import Page, PageIn, paginate
from ..schemas.appointments import PatientRefOut
from ..schemas.claims import ActorOut
from ..schemas.common import LocationRefOut

router = Router(tags=["refunds"])
READ_PERMISSIONS = " or ".join(selectors.ACCOUNT_PERMISSIONS)
ID = Field(None, ge=1, le=2_147_483_647)
NO_NUL = r"^[^\x00]*$"  # PostgreSQL cannot store NUL in text


class PatientRefundOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 58, "patient": {"id": 1042, "account_number": "A100245", "first_name": "Jordan",
                               "last_name": "Sample"},
         "payment_id": 877, "location": {"id": 1, "name": "Raleigh Main", "code": "ral"}, "amount": "18.00",
         "method": "card", "reason": "Overpaid at check-out", "refunded_on": "2026-11-24",
         "created_by": {"id": 6, "username": "tkeller"}, "created_at": "2026-11-24T15:02:11Z"}]}}
    id: int
    patient: PatientRefOut
    payment_id: int | None = Field(description="The payment it returns, when one was named")
    location: LocationRefOut
    amount: Decimal
    method: str = Field(description="cash, card, check or ach")
    reason: str
    refunded_on: dt.date
    created_by: ActorOut
    created_at: dt.datetime


class RefundFilter(PageIn):
    patient_id: int | None = ID
    payment_id: int | None = ID
    location_id: int | None = ID
    method: PaymentMethod | None = None
    refunded_from: dt.date | None = Field(None, description="Refunded on or after this day")
    refunded_to: dt.date | None = Field(None, description="Refunded on or before this day")


class RefundIn(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"patient_id": 1042, "amount": "18.00", "method": "card", "reason": "Overpaid at check-out",
         "payment_id": 877, "refunded_on": "2026-11-24"},
        {"patient_id": 1042, "amount": "5.00", "method": "check", "reason": "Credit after the payer paid more"}]}}
    patient_id: int = Field(ge=1, le=2_147_483_647, description="A patient whose home location you post payments "
                                                                 "at", examples=[1042])
    amount: Decimal = Field(description="More than 0, at most 2 decimals, at most the patient's credit",
                            examples=["18.00"])
    method: str = Field(description="cash, card, check or ach", examples=["card"])
    reason: str = Field(min_length=1, max_length=300, pattern=NO_NUL, examples=["Overpaid at check-out"])
    payment_id: int | None = Field(None, ge=1, le=2_147_483_647,
                                   description="The patient's payment being returned: also caps the refund at "
                                               "what is left of it", examples=[877])
    refunded_on: dt.date | None = Field(None, description="Default: today; never in the future",
                                        examples=["2026-11-24"])


def _require_reader(request: HttpRequest) -> None:
    if not any(can(request.user, permission) for permission in selectors.ACCOUNT_PERMISSIONS):
        raise deny(request, permission=READ_PERMISSIONS)


@router.get("", response={200: Page[PatientRefundOut], **COMMON_RESPONSES}, url_name="refund_list",
            summary="Refunds given at your locations",
            description=f"Needs `{Perm.BILLING_VIEW}` or `{Perm.BILLING_COLLECT}`; newest first. Filters: "
                        "patient_id, payment_id, location_id, method, refunded_from / refunded_to (inclusive). "
                        "Each patient on the page is recorded in the audit trail once.")
def refund_list(request: HttpRequest, filters: Query[RefundFilter]) -> Any:
    _require_reader(request)
    queryset = readers.refund_readable(actor=request.user)
    for name in ("patient_id", "payment_id", "location_id", "method"):
        value = getattr(filters, name)
        if value is not None:
            queryset = queryset.filter(**{name: value})
    if filters.refunded_from is not None:
        queryset = queryset.filter(refunded_on__gte=filters.refunded_from)
    if filters.refunded_to is not None:
        queryset = queryset.filter(refunded_on__lte=filters.refunded_to)
    result = paginate(queryset.order_by("-refunded_on", "-pk"), filters)
    patient_records_viewed(actor=request.user, patients=(item.patient for item in result["items"]),
                           how="api refund list")
    return result


@router.get("/{int:refund_id}", response={200: PatientRefundOut, **COMMON_RESPONSES}, url_name="refund_detail",
            summary="One refund",
            description=f"Needs `{Perm.BILLING_VIEW}` or `{Perm.BILLING_COLLECT}` at its location. The read is "
                        "audited.")
def refund_detail(request: HttpRequest, refund_id: int) -> Any:
    _require_reader(request)
    refund: Refund = get_scoped_or_404(request, readers.refund_readable(actor=request.user),
                                       permission=READ_PERMISSIONS, pk=refund_id)
    patient_record_viewed(actor=request.user, patient=refund.patient, how=f"api refund {refund.pk}")
    return refund


@router.post("", response={201: PatientRefundOut, **WRITE_RESPONSES}, url_name="refund_create",
             summary="Give money back to a patient",
             description=f"Needs `{Perm.BILLING_POST}` at the patient's home location. At most the patient's credit "
                         "(what they paid beyond everything they owe); naming `payment_id`, also at most that "
                         "payment less what was already refunded of it. Refund entries take the credit away where "
                         "it sits (the account's credit first, then overpaid claims, oldest first). Too much, or "
                         "no credit, answers 422 on `amount` and nothing is posted.")
@idempotent
def refund_create(request: HttpRequest, payload: RefundIn) -> Any:
    require(request, Perm.BILLING_POST)
    patient = selectors.account_patient_scoped(actor=request.user, permission=Perm.BILLING_POST).filter(
        pk=payload.patient_id).first()
    if patient is None:
        raise ValidationError({"patient_id": _("There is no patient with this id at your locations.")})
    payment = None
    if payload.payment_id is not None:
        payment = readers.patient_payment_of(patient_id=patient.pk, payment_id=payload.payment_id)
        if payment is None:
            raise ValidationError({"payment_id": _("This patient has no payment with this id.")})
    refund = services.refund_issue(actor=request.user, patient=patient, amount=payload.amount,
                                   method=payload.method, reason=payload.reason, payment=payment,
                                   refunded_on=payload.refunded_on)
    return Status(201, readers.refund_readable(actor=request.user, permission=Perm.BILLING_POST).get(pk=refund.pk))
