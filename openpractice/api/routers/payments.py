"""/payments: patient payments taken at your locations (billing.view or billing.collect_payments to read), and
recording one (billing.collect_payments at the patient's home location) exactly once per `Idempotency-Key`.
Payments are PHI: every patient shown is recorded in the audit trail."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Query, Router, Status

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.billing.models import PatientPayment
from openpractice.billing.selectors import patient_accounts as selectors
from openpractice.billing.services import patient_payments as services
from openpractice.core.web import deny, get_scoped_or_404, require
from openpractice.patients.selectors import patient_record_viewed, patient_records_viewed

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES, ErrorOut, error_body
from ..idempotency import IDEMPOTENCY_PARAMETER
from ..pagination import Page, PageIn, paginate
from ..schemas.payments import PaymentApplicationOut, PaymentDetailOut, PaymentFilters, PaymentIn, PaymentOut

router = Router(tags=["payments"])
READ_PERMISSIONS = " or ".join(selectors.ACCOUNT_PERMISSIONS)
IDEMPOTENCY_HEADER = "Idempotency-Key"


def _require_reader(request: HttpRequest) -> None:
    if not any(can(request.user, permission) for permission in selectors.ACCOUNT_PERMISSIONS):
        raise deny(request, permission=READ_PERMISSIONS)


def _payment(request: HttpRequest, payment_id: int) -> PatientPayment:
    return get_scoped_or_404(request, selectors.payment_scoped(actor=request.user), permission=READ_PERMISSIONS,
                             pk=payment_id)


def _detail(payment: PatientPayment) -> PatientPayment:
    """The payment with where it went and its refunds, for PaymentDetailOut."""
    payment.applications = [  # type: ignore[attr-defined]
        PaymentApplicationOut(claim_id=row.claim.pk if row.claim else None,
                              claim_number=row.claim.claim_number if row.claim else "",
                              date_of_service=row.claim.date_of_service if row.claim else None, amount=row.amount)
        for row in selectors.payment_applications(payment)]
    return payment


@router.get("", response={200: Page[PaymentOut], **COMMON_RESPONSES}, url_name="payment_list",
            summary="Patient payments taken at your locations",
            description=f"Needs `{Perm.BILLING_VIEW}` or `{Perm.BILLING_COLLECT}`. Filters: patient_id, "
                        "received_from / received_to (inclusive), method. Newest first. Each patient on the page "
                        "returned is recorded in the audit trail once.")
def payment_list(request: HttpRequest, filters: Query[PaymentFilters], page: Query[PageIn]) -> Any:
    _require_reader(request)
    queryset = selectors.payment_list(actor=request.user, patient_id=filters.patient_id,
                                      received_from=filters.received_from, received_to=filters.received_to,
                                      method=filters.method or "")
    result = paginate(queryset.order_by("-received_on", "-pk"), page)
    patient_records_viewed(actor=request.user, patients=(payment.patient for payment in result["items"]),
                           how="api payment list")
    return result


@router.get("/{int:payment_id}", response={200: PaymentDetailOut, **COMMON_RESPONSES}, url_name="payment_detail",
            summary="One payment: where it went (claims, credit) and its refunds",
            description=f"Needs `{Perm.BILLING_VIEW}` or `{Perm.BILLING_COLLECT}` at the location it was taken. "
                        "The read is audited.")
def payment_detail(request: HttpRequest, payment_id: int) -> Any:
    _require_reader(request)
    payment = _payment(request, payment_id)
    patient_record_viewed(actor=request.user, patient=payment.patient, how="api payment")
    return _detail(payment)


@router.post("", response={200: PaymentDetailOut, 201: PaymentDetailOut, 400: ErrorOut, 409: ErrorOut,
                           **WRITE_RESPONSES},
             url_name="payment_create", openapi_extra={"parameters": [IDEMPOTENCY_PARAMETER]},
             summary="Record a patient payment, exactly once per Idempotency-Key",
             description=f"Needs `{Perm.BILLING_COLLECT}` at the patient's home location. The money goes to the "
                         "patient's open balances claim by claim, oldest date of service first; the rest stays on "
                         "the account as a credit.\n\n"
                         "The `Idempotency-Key` header is required (up to 80 characters, unique per payment, e.g. "
                         "a UUID). Sent again with the same body, the call posts nothing and answers 200 with the "
                         "payment recorded the first time (201 the first time). The same key with a different "
                         "body answers 409 `idempotency_key_reused`; without the key, 400 "
                         "`idempotency_key_required`. Keys are per API user.")
def payment_create(request: HttpRequest, payload: PaymentIn) -> Any:
    require(request, Perm.BILLING_COLLECT)
    key = (request.headers.get(IDEMPOTENCY_HEADER) or "").strip()
    if not key:
        return Status(400, error_body("idempotency_key_required", "Send an Idempotency-Key header (e.g. a UUID) so "
                                      "that a retried call cannot record the payment twice."))
    if len(key) > services.MAX_KEY_LENGTH or not key.isprintable():
        return Status(400, error_body("idempotency_key_invalid", f"The Idempotency-Key must be printable text of "
                                      f"at most {services.MAX_KEY_LENGTH} characters."))
    patient = selectors.account_patient_scoped(actor=request.user, permission=Perm.BILLING_COLLECT).filter(
        pk=payload.patient_id).first()
    if patient is None:
        raise ValidationError({"patient_id": "There is no patient with this id at your locations."})
    try:
        outcome = services.patient_payment_record_outcome(
            actor=request.user, patient=patient, amount=payload.amount, method=payload.method,
            received_on=payload.received_on, reference=payload.reference, note=payload.note, idempotency_key=key)
    except services.IdempotencyKeyReused as reused:
        return Status(409, error_body("idempotency_key_reused", reused.messages[0]))
    payment = selectors.payment_scoped(actor=request.user, permission=Perm.BILLING_COLLECT).get(
        pk=outcome.payment.pk)
    return Status(201 if outcome.created else 200, _detail(payment))
