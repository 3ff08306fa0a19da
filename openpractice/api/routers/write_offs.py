"""/write-offs: writing off what a patient (or a claim's payer) owes, as the patient's account page does. Reading
needs billing.view or billing.collect_payments at the write-off's location; asking for one, billing.manage there
(at or below the practice's threshold it posts at once, above it waits); deciding one that waits,
billing.approve_write_offs there, and never by the person who asked. Both POSTs move money: they take an
`Idempotency-Key`. Write-offs are PHI: every patient shown is recorded in the audit trail. Out of role or out of
scope answers 404 and is audited; nothing changes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.billing.choices import Party, WriteOffStatus
from openpractice.billing.models import WriteOff
from openpractice.billing.selectors import adjustments as readers
from openpractice.billing.selectors import patient_accounts as selectors
from openpractice.billing.services import patient_payments as services
from openpractice.core.web import deny, get_scoped_or_404, require
from openpractice.patients.selectors import patient_record_viewed, patient_records_viewed

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES, error_body
from ..idempotency import idempotent
from ..pagination import Page, PageIn, paginate
from ..schemas.appointments import PatientRefOut
from ..schemas.claims import ActorOut
from ..schemas.common import LocationRefOut

router = Router(tags=["write-offs"])
READ_PERMISSIONS = " or ".join(selectors.ACCOUNT_PERMISSIONS)
ID = Field(None, ge=1, le=2_147_483_647)
NO_NUL = r"^[^\x00]*$"  # PostgreSQL cannot store NUL in text


class WriteOffOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 311, "patient": {"id": 1042, "account_number": "A100245", "first_name": "Jordan",
                                "last_name": "Sample"},
         "claim_id": 2291, "claim_number": "C-2026-000187", "party": "patient",
         "location": {"id": 1, "name": "Raleigh Main", "code": "ral"}, "amount": "12.50",
         "reason": "Small balance after secondary", "status": "approved",
         "requested_by": {"id": 6, "username": "tkeller"}, "requested_at": "2026-11-20T16:42:05Z",
         "decided_by": None, "decided_at": "2026-11-20T16:42:05Z", "decision_note": ""}]}}
    id: int
    patient: PatientRefOut
    claim_id: int | None = Field(description="Empty: the patient's whole balance (every claim and the account)")
    claim_number: str
    party: str = Field(description="Whose balance: patient or payer")
    location: LocationRefOut
    amount: Decimal
    reason: str
    status: str = Field(description="pending (waits for approval), approved (posted) or rejected")
    requested_by: ActorOut
    requested_at: dt.datetime
    decided_by: ActorOut | None = Field(description="Who approved or rejected it; empty when it posted at once "
                                                    "(at or below the threshold) or still waits")
    decided_at: dt.datetime | None
    decision_note: str = Field(description="Why it was rejected")

    @staticmethod
    def resolve_claim_number(obj: WriteOff) -> str:
        return obj.claim.claim_number if obj.claim is not None else ""


class WriteOffFilter(PageIn):
    status: WriteOffStatus | None = None
    party: Party | None = None
    patient_id: int | None = ID
    claim_id: int | None = ID
    location_id: int | None = ID


class WriteOffIn(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"patient_id": 1042, "claim_id": 2291, "party": "patient", "amount": "12.50",
         "reason": "Small balance after secondary"},
        {"patient_id": 1042, "claim_id": None, "party": "patient", "amount": "240.00",
         "reason": "Financial hardship, approved by the practice's policy"}]}}
    patient_id: int = Field(ge=1, le=2_147_483_647, description="A patient whose home location you manage billing "
                                                                 "at", examples=[1042])
    claim_id: int | None = Field(None, ge=1, le=2_147_483_647,
                                 description="A claim of the patient with something open; empty: the patient's "
                                             "whole balance (party patient only)", examples=[2291])
    party: Party = Field(description="Whose balance to write off", examples=["patient"])
    amount: Decimal = Field(description="More than 0, at most 2 decimals, at most what is open",
                            examples=["12.50"])
    reason: str = Field(min_length=1, max_length=300, pattern=NO_NUL, examples=["Small balance after secondary"])


class WriteOffDecisionIn(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"decision": "approve", "note": ""},
        {"decision": "reject", "note": "Send a statement first; the patient has not been billed yet."}]}}
    decision: Literal["approve", "reject"] = Field(examples=["approve"])
    note: str = Field("", max_length=300, pattern=NO_NUL, description="Required to reject: why, for the person "
                                                                      "who asked", examples=[""])


def _require_reader(request: HttpRequest) -> None:
    if not any(can(request.user, permission) for permission in selectors.ACCOUNT_PERMISSIONS):
        raise deny(request, permission=READ_PERMISSIONS)


def _shown(request: HttpRequest, write_off_id: int) -> WriteOff:
    write_off = get_scoped_or_404(request, readers.write_off_readable(actor=request.user),
                                  permission=READ_PERMISSIONS, pk=write_off_id)
    patient_record_viewed(actor=request.user, patient=write_off.patient, how=f"api write-off {write_off.pk}")
    return write_off


@router.get("", response={200: Page[WriteOffOut], **COMMON_RESPONSES}, url_name="write_off_list",
            summary="Write-offs at your locations",
            description=f"Needs `{Perm.BILLING_VIEW}` or `{Perm.BILLING_COLLECT}`; the write-offs at the locations "
                        "where you hold either, newest first. Filters: status, party, patient_id, claim_id, "
                        "location_id (`status` and `party` take the listed values only). Each patient on the page "
                        "is recorded in the audit trail once.")
def write_off_list(request: HttpRequest, filters: Query[WriteOffFilter]) -> Any:
    _require_reader(request)
    queryset = readers.write_off_readable(actor=request.user)
    for name in ("status", "party", "patient_id", "claim_id", "location_id"):
        value = getattr(filters, name)
        if value is not None:
            queryset = queryset.filter(**{name: value})
    result = paginate(queryset.order_by("-requested_at", "-pk"), filters)
    patient_records_viewed(actor=request.user, patients=(item.patient for item in result["items"]),
                           how="api write-off list")
    return result


@router.get("/{int:write_off_id}", response={200: WriteOffOut, **COMMON_RESPONSES}, url_name="write_off_detail",
            summary="One write-off",
            description=f"Needs `{Perm.BILLING_VIEW}` or `{Perm.BILLING_COLLECT}` at its location. The read is "
                        "audited.")
def write_off_detail(request: HttpRequest, write_off_id: int) -> Any:
    _require_reader(request)
    return _shown(request, write_off_id)


@router.post("", response={201: WriteOffOut, **WRITE_RESPONSES}, url_name="write_off_create",
             summary="Write off a balance (posted at once, or waiting for approval above the threshold)",
             description=f"Needs `{Perm.BILLING_MANAGE}` at the patient's home location and at the claim's. "
                         "`party` patient writes off what the patient owes on the claim (or, without `claim_id`, "
                         "on their whole account); payer, what the claim's payer owes. At most what is open (else "
                         "422 on `amount`). At or below the practice's approval threshold the write-off posts to "
                         "the ledger at once (`status` approved); above it waits for a senior practice manager "
                         "(`status` pending, nothing posted yet).")
@idempotent
def write_off_create(request: HttpRequest, payload: WriteOffIn) -> Any:
    require(request, Perm.BILLING_MANAGE)
    patient = selectors.account_patient_scoped(actor=request.user, permission=Perm.BILLING_MANAGE).filter(
        pk=payload.patient_id).first()
    if patient is None:
        raise ValidationError({"patient_id": _("There is no patient with this id at your locations.")})
    claim = None
    if payload.claim_id is not None:
        claim = next((claim for claim in selectors.claims_with_open_balance(patient=patient)
                      if claim.pk == payload.claim_id), None)
        if claim is None:
            raise ValidationError({"claim_id": _("This patient has no claim with this id with something open.")})
    write_off = services.write_off_request(actor=request.user, patient=patient, claim=claim, party=payload.party,
                                           amount=payload.amount, reason=payload.reason)
    return Status(201, readers.write_off_readable(actor=request.user, permission=Perm.BILLING_MANAGE)
                  .get(pk=write_off.pk))


@router.post("/{int:write_off_id}/decide", response={200: WriteOffOut, **WRITE_RESPONSES},
             url_name="write_off_decide", summary="Approve (post) or reject a write-off that waits",
             description=f"Needs `{Perm.BILLING_WRITE_OFF}` at the write-off's location, and someone other than "
                         "the person who asked (their own: 403). Approving posts it to the ledger; rejecting needs "
                         "a `note` saying why. One already decided, or a balance that fell below the amount since "
                         "it was asked for, answers 422 and nothing is posted.")
@idempotent
def write_off_decide(request: HttpRequest, write_off_id: int, payload: WriteOffDecisionIn) -> Any:
    require(request, Perm.BILLING_WRITE_OFF)
    write_off = get_scoped_or_404(request, selectors.write_off_scoped(actor=request.user),
                                  permission=Perm.BILLING_WRITE_OFF, pk=write_off_id)
    try:
        services.write_off_decide(actor=request.user, write_off=write_off, approve=payload.decision == "approve",
                                  note=payload.note)
    except PermissionDenied as refused:
        if write_off.requested_by_id != request.user.pk:
            raise
        # Their own request: the service said why (and audited it), as the approval page shows it.
        return Status(403, error_body("forbidden", str(refused)))
    return _shown(request, write_off_id)
