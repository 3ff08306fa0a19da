"""/denials: the denials worklist (denials raised by 835 posting) at your locations, and working a denial exactly as
the web page does: assign it, add a note, appeal it, record the corrected claim, close it. billing.view (at the
claim's location) to read, billing.manage there to work one. A denial names its claim's patient, so every patient
shown is recorded in the audit trail (once per page for the list). The appeal letter's PDF stays in the web
interface. Out of role or out of scope answers 404 and is audited; nothing changes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from openpractice.accounts.models import User
from openpractice.accounts.roles import Perm
from openpractice.billing.choices import DenialCategory, DenialStatus
from openpractice.billing.models import Denial
from openpractice.billing.selectors import denials as selectors
from openpractice.billing.services import denials as services
from openpractice.core.web import get_scoped_or_404, require
from openpractice.patients.selectors import patient_record_viewed, patient_records_viewed

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate

router = Router(tags=["denials"])
ID = Field(None, ge=1, le=2_147_483_647)


class DenialOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 93, "claim_id": 2310, "claim_number": "C-2026-000195", "patient_id": 1077, "payer_id": 5,
         "payer_name": "Aetna", "location_id": 2, "category": "authorization", "reason_codes": ["CO-197"],
         "remark_codes": ["N54"], "amount": "412.00", "status": "open",
         "next_step": "Request a retro-authorization, then send a corrected claim", "assigned_to_id": 14,
         "remittance_id": 64, "created_at": "2026-11-12T14:05:33Z", "resolved_at": None}]}}
    id: int
    claim_id: int
    claim_number: str
    patient_id: int
    payer_id: int
    payer_name: str
    location_id: int
    category: str = Field(description="eligibility, authorization, coding, timely_filing, duplicate, other")
    reason_codes: list[str] = Field(description="CARC codes from the 835")
    remark_codes: list[str] = Field(description="RARC codes from the 835")
    amount: Decimal = Field(description="Amount denied")
    status: str = Field(description="open, appealed, corrected, resolved, written_off")
    next_step: str = Field(description="What to do about it, from its reason and remark codes")
    assigned_to_id: int | None
    remittance_id: int = Field(description="The remittance (835) that denied it")
    created_at: dt.datetime
    resolved_at: dt.datetime | None

    @staticmethod
    def resolve_claim_number(obj: Denial) -> str:
        return obj.claim.claim_number

    @staticmethod
    def resolve_patient_id(obj: Denial) -> int:
        return obj.claim.patient_id

    @staticmethod
    def resolve_payer_id(obj: Denial) -> int:
        return obj.claim.payer_id

    @staticmethod
    def resolve_payer_name(obj: Denial) -> str:
        return obj.claim.payer.name

    @staticmethod
    def resolve_location_id(obj: Denial) -> int:
        return obj.claim.location_id

    @staticmethod
    def resolve_next_step(obj: Denial) -> str:
        return getattr(obj, "next_step", None) or selectors.next_step(obj)

    @staticmethod
    def resolve_remittance_id(obj: Denial) -> int:
        return obj.remittance_claim.remittance_id


class DenialDetailOut(DenialOut):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 93, "claim_id": 2310, "claim_number": "C-2026-000195", "patient_id": 1077, "payer_id": 5,
         "payer_name": "Aetna", "location_id": 2, "category": "authorization", "reason_codes": ["CO-197"],
         "remark_codes": ["N54"], "amount": "412.00", "status": "open",
         "next_step": "Request a retro-authorization, then send a corrected claim", "assigned_to_id": 14,
         "remittance_id": 64, "created_at": "2026-11-12T14:05:33Z", "resolved_at": None,
         "note": "Prior auth was obtained for 72148, not 72141.", "claim_status": "denied",
         "payer_claim_number": "EV2026311-00981", "date_of_service": "2026-10-21", "total_charge": "412.00",
         "corrected_claim_ids": []}]}}
    note: str = Field(description="What was done, dated and signed, oldest first; never rewritten")
    claim_status: str
    payer_claim_number: str
    date_of_service: dt.date
    total_charge: Decimal
    corrected_claim_ids: list[int] = Field(description="Claims sent in place of the denied one")

    @staticmethod
    def resolve_claim_status(obj: Denial) -> str:
        return obj.claim.status

    @staticmethod
    def resolve_payer_claim_number(obj: Denial) -> str:
        return obj.claim.payer_claim_number

    @staticmethod
    def resolve_date_of_service(obj: Denial) -> dt.date:
        return obj.claim.date_of_service

    @staticmethod
    def resolve_total_charge(obj: Denial) -> Decimal:
        return obj.claim.total_charge

    @staticmethod
    def resolve_corrected_claim_ids(obj: Denial) -> list[int]:
        return sorted(claim.pk for claim in obj.claim.replacements.all())


class DenialFilter(PageIn):
    status: DenialStatus | None = Field(None, description="Default: every denial still being worked "
                                                          "(open, appealed, corrected)")
    category: DenialCategory | None = None
    payer_id: int | None = ID
    location_id: int | None = ID
    assigned: Literal["me", "none"] | None = Field(None, description="me: assigned to you; none: unassigned")
    assigned_to_id: int | None = Field(None, ge=1, le=2_147_483_647, description="Assigned to this person")


class AssignIn(Schema):
    assignee_id: int | None = Field(description="Someone who manages billing at the claim's location; null: nobody",
                                    ge=1, le=2_147_483_647, examples=[12])

    model_config = {"json_schema_extra": {"examples": [
        {"assignee_id": 14},
        {"assignee_id": None}]}}


class NoteIn(Schema):
    text: str = Field(min_length=1, max_length=services.MAX_NOTE,
                      examples=["Called Acme Health, ref 55102: they need the authorization number on line 1."])

    model_config = {"json_schema_extra": {"examples": [
        {"text": "Called Acme Health, ref 55102: they need the authorization number on line 1."}]}}


class AppealIn(Schema):
    argument: str = Field(min_length=1, max_length=services.MAX_ARGUMENT,
                          description="The biller's case, printed in the appeal letter",
                          examples=["Authorization 4471-A was obtained on 2026-10-02, before the visit; the "
                                    "approval letter is attached."])

    model_config = {"json_schema_extra": {"examples": [
        {"argument": "Authorization 4471-A was obtained on 2026-10-02, before the visit; the approval letter "
                     "is attached."}]}}


class CloseIn(Schema):
    outcome: Literal["resolved", "written_off"] = Field(examples=["resolved"])
    note: str = Field("", max_length=services.MAX_NOTE,
                      description="Required to write off: why the practice gives up the amount",
                      examples=["Paid on reprocessing, EFT 88120."])

    model_config = {"json_schema_extra": {"examples": [
        {"outcome": "resolved", "note": "Paid on reprocessing, EFT 88120."},
        {"outcome": "written_off", "note": "Past timely filing; no proof of earlier submission."}]}}


def _in_scope(request: HttpRequest, denial_id: int, permission: str) -> Denial:
    return get_scoped_or_404(request, selectors.denial_detail_queryset(actor=request.user, permission=permission),
                             permission=permission, pk=denial_id)


def _shown(request: HttpRequest, denial_id: int, permission: str) -> Denial:
    """The denial as the detail shows it (after a change: read again), its patient's view audited."""
    denial = _in_scope(request, denial_id, permission)
    patient_record_viewed(actor=request.user, patient=denial.claim.patient,
                          how=f"api denial {denial.pk}, claim {denial.claim.claim_number}")
    return denial


def _filtered(request: HttpRequest, filters: DenialFilter) -> QuerySet[Denial]:
    assigned = filters.assigned or (str(filters.assigned_to_id) if filters.assigned_to_id is not None else "")
    return selectors.denial_list(actor=request.user, category=filters.category or "", payer_id=filters.payer_id,
                                 status=filters.status or "", assigned=assigned, location_id=filters.location_id)


@router.get("", response={200: Page[DenialOut], **COMMON_RESPONSES}, url_name="denial_list",
            summary="Denials to work at your locations",
            description=f"Needs `{Perm.BILLING_VIEW}`; the denials of claims at the locations where you hold it, "
                        "newest first. Without `status`, the ones still being worked (open, appealed, corrected). "
                        "`status`, `category` and `assigned` take the listed values only (anything else: 422). "
                        "Each patient on the page is recorded in the audit trail once.")
def denial_list(request: HttpRequest, filters: Query[DenialFilter]) -> Any:
    require(request, Perm.BILLING_VIEW)
    queryset = _filtered(request, filters).select_related("claim__patient__home_location")
    result = paginate(queryset.order_by("-created_at", "-pk"), filters)
    result["items"] = selectors.with_next_steps(result["items"])
    patient_records_viewed(actor=request.user, patients=(denial.claim.patient for denial in result["items"]),
                           how="api denial list")
    return result


@router.get("/{int:denial_id}", response={200: DenialDetailOut, **COMMON_RESPONSES}, url_name="denial_detail",
            summary="One denial with its notes and the claim it denied",
            description=f"Needs `{Perm.BILLING_VIEW}` at the claim's location. The read is audited.")
def denial_detail(request: HttpRequest, denial_id: int) -> Any:
    require(request, Perm.BILLING_VIEW)
    return _shown(request, denial_id, Perm.BILLING_VIEW)


def _workable(request: HttpRequest, denial_id: int) -> Denial:
    require(request, Perm.BILLING_MANAGE)
    return _in_scope(request, denial_id, Perm.BILLING_MANAGE)


@router.post("/{int:denial_id}/assign", response={200: DenialDetailOut, **WRITE_RESPONSES},
             url_name="denial_assign", summary="Give a denial to someone (or to nobody)",
             description=f"Needs `{Perm.BILLING_MANAGE}` at the claim's location; the assignee must manage billing "
                         "there too (else 422 on `assignee`).")
def denial_assign(request: HttpRequest, denial_id: int, payload: AssignIn) -> Any:
    denial = _workable(request, denial_id)
    assignee = None
    if payload.assignee_id is not None:
        assignee = User.objects.filter(pk=payload.assignee_id).first()
        if assignee is None:
            raise ValidationError({"assignee": _("Choose someone who manages billing at %(location)s.")
                                   % {"location": denial.claim.location.name}})
    services.denial_assign(actor=request.user, denial=denial, assignee=assignee)
    return _shown(request, denial_id, Perm.BILLING_MANAGE)


@router.post("/{int:denial_id}/notes", response={200: DenialDetailOut, **WRITE_RESPONSES},
             url_name="denial_note_create", summary="Add a note to a denial",
             description=f"Needs `{Perm.BILLING_MANAGE}` at the claim's location. The note is added under the "
                         "earlier ones with the date and your name; notes are never rewritten.")
def denial_note_create(request: HttpRequest, denial_id: int, payload: NoteIn) -> Any:
    denial = _workable(request, denial_id)
    services.denial_note_add(actor=request.user, denial=denial, text=payload.text)
    return _shown(request, denial_id, Perm.BILLING_MANAGE)


@router.post("/{int:denial_id}/appeal", response={200: DenialDetailOut, **WRITE_RESPONSES},
             url_name="denial_appeal", summary="Appeal a denial",
             description=f"Needs `{Perm.BILLING_MANAGE}` at the claim's location. The denial becomes appealed and "
                         "a denied or partly paid claim too; appealing again adds a second-level appeal, the same "
                         "argument twice changes nothing. A closed denial answers 422. The letter itself is printed "
                         "from the web interface.")
def denial_appeal(request: HttpRequest, denial_id: int, payload: AppealIn) -> Any:
    denial = _workable(request, denial_id)
    services.denial_appeal(actor=request.user, denial=denial, argument=payload.argument)
    return _shown(request, denial_id, Perm.BILLING_MANAGE)


@router.post("/{int:denial_id}/corrected", response={200: DenialDetailOut, **WRITE_RESPONSES},
             url_name="denial_mark_corrected", summary="Record that a corrected claim replaced the denied one",
             description=f"Needs `{Perm.BILLING_MANAGE}` at the claim's location. A corrected claim (frequency 7) "
                         "must already replace the denied claim (else 422); a closed denial answers 422.")
def denial_mark_corrected(request: HttpRequest, denial_id: int) -> Any:
    denial = _workable(request, denial_id)
    services.denial_mark_corrected(actor=request.user, denial=denial)
    return _shown(request, denial_id, Perm.BILLING_MANAGE)


@router.post("/{int:denial_id}/close", response={200: DenialDetailOut, **WRITE_RESPONSES},
             url_name="denial_close", summary="Close a denial: resolved or written off",
             description=f"Needs `{Perm.BILLING_MANAGE}` at the claim's location. Writing off needs a `note` saying "
                         "why, and records the decision only: the balance is written off by a write-off request. "
                         "A closed denial answers 422.")
def denial_close(request: HttpRequest, denial_id: int, payload: CloseIn) -> Any:
    denial = _workable(request, denial_id)
    services.denial_close(actor=request.user, denial=denial, outcome=payload.outcome, note=payload.note)
    return _shown(request, denial_id, Perm.BILLING_MANAGE)
