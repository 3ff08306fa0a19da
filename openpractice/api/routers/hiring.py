"""/job-requisitions and /applicants: hiring, as on the hiring pages. workforce.hiring at a requisition's location
reaches it and its applicants (nobody else: applicants are personal data, and interviewers or schedulers who reach
one applicant on other pages do not list them here). Requisitions are raised as drafts, edited while drafts,
submitted, approved or rejected by someone else holding workforce.approve_hiring there, and cancelled; applicants
are added to open requisitions, corrected, and moved between the early stages (offers and hires move them to the
later ones, on the pages). The same services as the pages, audited there. Out of scope answers 404 (audited),
like a missing record; refusals and bad input change nothing.

An applicant's answer carries what the applicant page shows: no résumé file (it is downloaded on the page, each
download audited), only whether there is one and its size. The list rows carry names and stages only, as the
pipeline board does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.roles import Perm
from openpractice.core.selectors import practice_today
from openpractice.core.web import get_scoped_or_404, require
from openpractice.workforce.choices import ApplicantSource, ApplicantStage, RequisitionReason, RequisitionStatus
from openpractice.workforce.models import Applicant, Requisition
from openpractice.workforce.selectors import hiring as selectors
from openpractice.workforce.services import hiring_applicants as applicant_services
from openpractice.workforce.services import hiring_requisitions as requisition_services

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate

requisitions_router = Router(tags=["hiring"])
applicants_router = Router(tags=["hiring"])
NO_NUL = r"^[^\x00]*$"  # PostgreSQL cannot store NUL in text
MAX_ID = 2_147_483_647


def _unknown(field: str, value: int) -> ValidationError:
    return ValidationError({field: _("There is no record with id %(id)s that you may use.") % {"id": value}},
                           code="unknown_reference")


def _pick(queryset: QuerySet[Any], field: str, value: int | None) -> Model | None:
    if value is None:
        return None
    found: Model | None = queryset.filter(pk=value).first()
    if found is None:
        raise _unknown(field, value)
    return found


def _required(data: Mapping[str, Any], names: tuple[str, ...]) -> None:
    """PATCH: a null for a field that always has a value is refused, not taken as "no change"."""
    empty = [name for name in names if name in data and data[name] is None]
    if empty:
        raise ValidationError({name: _("This field cannot be empty.") for name in empty}, code="required")


# --- requisitions ----------------------------------------------------------------------------------------------


class RequisitionOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 12, "reference": "REQ-00012", "position_id": 4, "position_title": "Medical Assistant",
         "location_id": 1, "openings": 2, "reason": "replacement", "replaces_id": 33, "target_start": "2027-01-11",
         "pay_min": "18.50", "pay_max": "22.00", "justification": "Two MAs leaving in December.",
         "hiring_manager_id": 8, "status": "open", "requested_by_id": 14, "submitted_at": "2026-11-02T15:00:00Z",
         "decided_by_id": 3, "decided_at": "2026-11-03T10:12:00Z", "decision_note": "", "opened_at":
         "2026-11-03T10:12:00Z", "closed_at": None, "active_applicants": 5, "created_at": "2026-11-02T14:40:00Z",
         "updated_at": "2026-11-03T10:12:00Z"}]}}
    id: int
    reference: str = Field(description="REQ-00012")
    position_id: int
    position_title: str
    location_id: int
    openings: int
    reason: str = Field(description="new, replacement, temporary")
    replaces_id: int | None = Field(description="The employee a replacement replaces")
    target_start: dt.date | None
    pay_min: Decimal | None = Field(description="Offer range, in the position's pay basis")
    pay_max: Decimal | None
    justification: str
    hiring_manager_id: int | None
    status: str = Field(description="draft, pending, open, rejected, filled, cancelled")
    requested_by_id: int
    submitted_at: dt.datetime | None
    decided_by_id: int | None
    decided_at: dt.datetime | None
    decision_note: str
    opened_at: dt.datetime | None
    closed_at: dt.datetime | None
    active_applicants: int = Field(description="Applicants not hired, rejected or withdrawn")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_position_title(obj: Requisition) -> str:
        return obj.position.title


class RequisitionFilter(PageIn):
    q: str = Field("", max_length=100, pattern=NO_NUL,
                   description="Part of the position title or the requester's name, or the REQ number")
    status: RequisitionStatus | None = None
    location_id: int | None = Field(None, ge=1, le=MAX_ID)


class RequisitionIn(Schema):
    position_id: int = Field(ge=1, le=MAX_ID, description="An active position of this location (or of every location)",
                             examples=[4])
    location_id: int = Field(ge=1, le=MAX_ID, description="A location where you hold workforce.hiring", examples=[1])
    openings: int = Field(1, ge=1, le=999, examples=[2])
    reason: RequisitionReason = RequisitionReason.NEW
    replaces_id: int | None = Field(None, ge=1, le=MAX_ID, description="Required for a replacement: the employee replaced")
    target_start: dt.date | None = Field(None, description="Not in the past", examples=["2027-01-11"])
    pay_min: Decimal | None = Field(None, gt=0, max_digits=10, decimal_places=2, description="Inside the position's pay range",
                                    examples=["18.50"])
    pay_max: Decimal | None = Field(None, gt=0, max_digits=10, decimal_places=2, examples=["22.00"])
    justification: str = Field("", max_length=20000, pattern=NO_NUL, examples=["Two MAs leaving in December."])
    hiring_manager_id: int | None = Field(None, ge=1, le=MAX_ID, description="An active user")

    model_config = {"json_schema_extra": {"examples": [
        {"position_id": 4, "location_id": 1, "openings": 2, "reason": "new", "target_start": "2027-01-11",
         "justification": "Saturday clinic opening."}]}}


class RequisitionPatchIn(Schema):
    position_id: int | None = Field(None, ge=1, le=MAX_ID)
    location_id: int | None = Field(None, ge=1, le=MAX_ID, description="Needs workforce.hiring at both locations")
    openings: int | None = Field(None, ge=1, le=999)
    reason: RequisitionReason | None = None
    replaces_id: int | None = Field(None, ge=1, le=MAX_ID)
    target_start: dt.date | None = None
    pay_min: Decimal | None = Field(None, gt=0, max_digits=10, decimal_places=2)
    pay_max: Decimal | None = Field(None, gt=0, max_digits=10, decimal_places=2)
    justification: str | None = Field(None, max_length=20000, pattern=NO_NUL)
    hiring_manager_id: int | None = Field(None, ge=1, le=MAX_ID)

    model_config = {"json_schema_extra": {"examples": [{"openings": 3}, {"pay_min": "19.00", "pay_max": "23.00"}]}}


class RequisitionDecisionIn(Schema):
    decision: Literal["approve", "reject"] = Field(examples=["approve"])
    note: str = Field("", max_length=500, pattern=NO_NUL, description="Required to reject: why")

    model_config = {"json_schema_extra": {"examples": [
        {"decision": "approve"}, {"decision": "reject", "note": "No budget for a second MA this year."}]}}


class RequisitionCancelIn(Schema):
    note: str = Field("", max_length=200, pattern=NO_NUL, examples=["Position frozen."])

    model_config = {"json_schema_extra": {"examples": [{"note": "Position frozen."}]}}


def _requisitions(request: HttpRequest) -> QuerySet[Requisition]:
    return selectors.requisition_list(actor=request.user)


def _requisition(request: HttpRequest, requisition_id: int) -> Requisition:
    return get_scoped_or_404(request, _requisitions(request), permission=Perm.WORKFORCE_HIRING, pk=requisition_id)


def _requisition_data(request: HttpRequest, sent: Mapping[str, Any]) -> dict[str, Any]:
    """The service's fields from the request's: ids become the records the hiring form would offer."""
    _required(sent, ("position_id", "location_id", "openings", "reason", "justification"))
    data: dict[str, Any] = {}
    references = {
        "position_id": ("position", lambda: selectors.position_choices()),
        "location_id": ("location", lambda: selectors.hiring_locations(actor=request.user)),
        "replaces_id": ("replaces", lambda: selectors.replaceable_employees(actor=request.user)),
        "hiring_manager_id": ("hiring_manager", lambda: selectors.hiring_manager_choices()),
    }
    for name, value in sent.items():
        if name in references:
            field, choices = references[name]
            data[field] = _pick(choices(), name, value)
        else:
            data[name] = value
    return data


@requisitions_router.get("", response={200: Page[RequisitionOut], **COMMON_RESPONSES},
                         url_name="requisition_list", summary="Job requisitions",
                         description=f"Needs `{Perm.WORKFORCE_HIRING}`; the requisitions at the locations where you "
                                     "hold it, latest raised first. `status` takes the listed values only (else "
                                     "422).")
def requisition_list(request: HttpRequest, filters: Query[RequisitionFilter]) -> Any:
    require(request, Perm.WORKFORCE_HIRING)
    queryset = selectors.requisition_list(actor=request.user, text=filters.q, status=filters.status or "",
                                          location_id=filters.location_id)
    return paginate(queryset.order_by("-created_at", "-pk"), filters)


@requisitions_router.get("/{int:requisition_id}", response={200: RequisitionOut, **COMMON_RESPONSES},
                         url_name="requisition_detail", summary="One job requisition",
                         description=f"Needs `{Perm.WORKFORCE_HIRING}` at its location. Its applicants: "
                                     "`GET /applicants?requisition_id=`.")
def requisition_detail(request: HttpRequest, requisition_id: int) -> Any:
    require(request, Perm.WORKFORCE_HIRING)
    return _requisition(request, requisition_id)


@requisitions_router.post("", response={201: RequisitionOut, **WRITE_RESPONSES}, url_name="requisition_create",
                          summary="Raise a job requisition (a draft)",
                          description=f"Needs `{Perm.WORKFORCE_HIRING}` at the location. The position must belong "
                                      "there and bound the offer range; a replacement names who it replaces (else "
                                      "422). Submit it for approval when ready.")
def requisition_create(request: HttpRequest, payload: RequisitionIn) -> Any:
    require(request, Perm.WORKFORCE_HIRING)
    data = _requisition_data(request, payload.model_dump())
    created = requisition_services.requisition_create(actor=request.user, data=data)
    return Status(201, _requisitions(request).get(pk=created.pk))


@requisitions_router.patch("/{int:requisition_id}", response={200: RequisitionOut, **WRITE_RESPONSES},
                           url_name="requisition_update", summary="Change a draft job requisition",
                           description=f"Needs `{Perm.WORKFORCE_HIRING}` at its location (and at the new one when "
                                       "it moves). Only a draft (else 422). Send only the fields to change.")
def requisition_update(request: HttpRequest, requisition_id: int, payload: RequisitionPatchIn) -> Any:
    require(request, Perm.WORKFORCE_HIRING)
    requisition = _requisition(request, requisition_id)
    data = _requisition_data(request, payload.model_dump(exclude_unset=True))
    requisition_services.requisition_update(actor=request.user, requisition=requisition, data=data)
    return _requisitions(request).get(pk=requisition.pk)


@requisitions_router.post("/{int:requisition_id}/submit", response={200: RequisitionOut, **WRITE_RESPONSES},
                          url_name="requisition_submit", summary="Submit a draft for approval",
                          description=f"Needs `{Perm.WORKFORCE_HIRING}` at its location. It waits for an approver; "
                                      f"raised by someone holding `{Perm.WORKFORCE_APPROVE_HIRING}` there, it opens "
                                      "at once. Only a draft (else 422).")
def requisition_submit(request: HttpRequest, requisition_id: int) -> Any:
    require(request, Perm.WORKFORCE_HIRING)
    requisition = _requisition(request, requisition_id)
    requisition_services.requisition_submit(actor=request.user, requisition=requisition)
    return _requisitions(request).get(pk=requisition.pk)


@requisitions_router.post("/{int:requisition_id}/decide", response={200: RequisitionOut, **WRITE_RESPONSES},
                          url_name="requisition_decide", summary="Approve or reject a pending requisition",
                          description=f"Needs `{Perm.WORKFORCE_APPROVE_HIRING}` at its location, and never for a "
                                      "requisition you raised. Rejecting needs a `note`; a requisition not pending "
                                      "answers 422.")
def requisition_decide(request: HttpRequest, requisition_id: int, payload: RequisitionDecisionIn) -> Any:
    require(request, Perm.WORKFORCE_APPROVE_HIRING)
    requisition = get_scoped_or_404(
        request, selectors.requisition_scoped(actor=request.user, permission=Perm.WORKFORCE_APPROVE_HIRING),
        permission=Perm.WORKFORCE_APPROVE_HIRING, pk=requisition_id)
    requisition_services.requisition_decide(actor=request.user, requisition=requisition,
                                            approve=payload.decision == "approve", note=payload.note)
    return _decided(request, requisition)


def _decided(request: HttpRequest, requisition: Requisition) -> Requisition:
    """The answer after a decision, read in the hiring scope; should the approver not hold workforce.hiring there
    (approvers normally do), in the approval scope: a requisition just decided has no applicants yet."""
    found = _requisitions(request).filter(pk=requisition.pk).first()
    if found is None:
        found = selectors.requisition_scoped(actor=request.user, permission=Perm.WORKFORCE_APPROVE_HIRING).get(
            pk=requisition.pk)
        found.active_applicants = 0  # type: ignore[attr-defined]
    return found


@requisitions_router.post("/{int:requisition_id}/cancel", response={200: RequisitionOut, **WRITE_RESPONSES},
                          url_name="requisition_cancel", summary="Cancel a requisition",
                          description=f"Its requester, or `{Perm.WORKFORCE_APPROVE_HIRING}` at its location. A "
                                      "draft, pending or open requisition (else 422).")
def requisition_cancel(request: HttpRequest, requisition_id: int, payload: RequisitionCancelIn) -> Any:
    require(request, Perm.WORKFORCE_HIRING)
    requisition = _requisition(request, requisition_id)
    requisition_services.requisition_cancel(actor=request.user, requisition=requisition, note=payload.note)
    return _requisitions(request).get(pk=requisition.pk)


# --- applicants ------------------------------------------------------------------------------------------------


class ApplicantListOut(Schema):
    """A row of the list: what the pipeline board shows."""
    model_config = {"json_schema_extra": {"examples": [
        {"id": 88, "requisition_id": 12, "first_name": "Casey", "last_name": "Morgan", "stage": "screening",
         "stage_changed_at": "2026-11-12T16:30:00Z", "applied_on": "2026-11-08"}]}}
    id: int
    requisition_id: int
    first_name: str
    last_name: str
    stage: str = Field(description="applied, screening, interview, offer, hired, rejected, withdrawn")
    stage_changed_at: dt.datetime
    applied_on: dt.date


class StageChangeOut(Schema):
    from_stage: str = Field(description="Empty: the first row (the applicant was added)")
    to_stage: str
    changed_by_id: int
    changed_at: dt.datetime
    note: str


class ApplicantOut(ApplicantListOut):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 88, "requisition_id": 12, "first_name": "Casey", "last_name": "Morgan", "stage": "screening",
         "stage_changed_at": "2026-11-12T16:30:00Z", "applied_on": "2026-11-08", "location_id": 1,
         "email": "casey.morgan@example.org", "phone": "919-555-0188", "source": "referral", "referred_by_id": 21,
         "rejection_reason": "", "notes": "Bilingual (Spanish).", "has_resume": True, "resume_size": 48211,
         "moves": ["applied", "interview", "rejected", "withdrawn"],
         "history": [{"from_stage": "", "to_stage": "applied", "changed_by_id": 14,
                      "changed_at": "2026-11-08T15:00:00Z", "note": ""},
                     {"from_stage": "applied", "to_stage": "screening", "changed_by_id": 14,
                      "changed_at": "2026-11-12T16:30:00Z", "note": "Phone screen booked."}],
         "created_at": "2026-11-08T15:00:00Z", "updated_at": "2026-11-12T16:30:00Z"}]}}
    location_id: int = Field(description="The requisition's location")
    email: str
    phone: str
    source: str
    referred_by_id: int | None = Field(description="The employee who referred them")
    rejection_reason: str = Field(description="Why they were not selected or withdrew")
    notes: str
    has_resume: bool = Field(description="A résumé is on file (downloaded on the applicant page, audited)")
    resume_size: int | None = Field(description="Bytes")
    moves: list[str] = Field(description="The stages `POST /applicants/{applicant_id}/stage` accepts now")
    history: list[StageChangeOut] = Field(description="Every stage move, oldest first")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_location_id(obj: Applicant) -> int:
        return obj.requisition.location_id

    @staticmethod
    def resolve_has_resume(obj: Applicant) -> bool:
        return bool(obj.resume)

    @staticmethod
    def resolve_resume_size(obj: Applicant) -> int | None:
        return obj.resume_size if obj.resume else None

    @staticmethod
    def resolve_moves(obj: Applicant) -> list[str]:
        return [stage for stage, _label in selectors.moves_here(obj)]

    @staticmethod
    def resolve_history(obj: Applicant) -> list[Any]:
        return list(selectors.stage_history(applicant=obj))


class ApplicantFilter(PageIn):
    requisition_id: int | None = Field(None, ge=1, le=MAX_ID)
    stage: ApplicantStage | None = None


class ApplicantIn(Schema):
    requisition_id: int = Field(ge=1, le=MAX_ID, description="An open requisition where you hold workforce.hiring",
                                examples=[12])
    first_name: str = Field(min_length=1, max_length=60, pattern=NO_NUL, examples=["Casey"])
    last_name: str = Field(min_length=1, max_length=60, pattern=NO_NUL, examples=["Morgan"])
    email: str = Field("", max_length=254, pattern=NO_NUL, description="Once per requisition",
                       examples=["casey.morgan@example.org"])
    phone: str = Field("", max_length=20, pattern=NO_NUL, examples=["919-555-0188"])
    source: ApplicantSource = ApplicantSource.JOB_BOARD
    referred_by_id: int | None = Field(None, ge=1, le=MAX_ID, description="A current employee; referrals only")
    applied_on: dt.date | None = Field(None, description="Not in the future; empty: today")
    notes: str = Field("", max_length=20000, pattern=NO_NUL)

    model_config = {"json_schema_extra": {"examples": [
        {"requisition_id": 12, "first_name": "Casey", "last_name": "Morgan", "email": "casey.morgan@example.org",
         "source": "website"}]}}


class ApplicantPatchIn(Schema):
    first_name: str | None = Field(None, min_length=1, max_length=60, pattern=NO_NUL)
    last_name: str | None = Field(None, min_length=1, max_length=60, pattern=NO_NUL)
    email: str | None = Field(None, max_length=254, pattern=NO_NUL)
    phone: str | None = Field(None, max_length=20, pattern=NO_NUL)
    source: ApplicantSource | None = None
    referred_by_id: int | None = Field(None, ge=1, le=MAX_ID)
    applied_on: dt.date | None = None
    notes: str | None = Field(None, max_length=20000, pattern=NO_NUL)

    model_config = {"json_schema_extra": {"examples": [{"phone": "919-555-0199"},
                                                       {"notes": "Available from January."}]}}


class StageMoveIn(Schema):
    stage: ApplicantStage = Field(description="One of the applicant's `moves` (offer and hired are set by offers "
                                              "and hires, on the pages)", examples=["screening"])
    note: str = Field("", max_length=300, pattern=NO_NUL, description="Required to reject or withdraw: why")

    model_config = {"json_schema_extra": {"examples": [
        {"stage": "screening", "note": "Phone screen booked."},
        {"stage": "rejected", "note": "No phlebotomy certificate."}]}}


def _applicants(request: HttpRequest) -> QuerySet[Applicant]:
    return selectors.applicant_scoped(actor=request.user)


def _applicant(request: HttpRequest, applicant_id: int) -> Applicant:
    return get_scoped_or_404(request, _applicants(request), permission=Perm.WORKFORCE_HIRING, pk=applicant_id)


def _applicant_data(request: HttpRequest, sent: Mapping[str, Any]) -> dict[str, Any]:
    _required(sent, ("first_name", "last_name", "email", "phone", "source", "applied_on", "notes"))
    data = {name: value for name, value in sent.items() if name != "referred_by_id"}
    if "referred_by_id" in sent:
        data["referred_by"] = _pick(selectors.referrers(actor=request.user), "referred_by_id", sent["referred_by_id"])
    return data


@applicants_router.get("", response={200: Page[ApplicantListOut], **COMMON_RESPONSES}, url_name="applicant_list",
                       summary="Applicants",
                       description=f"Needs `{Perm.WORKFORCE_HIRING}`; the applicants of the requisitions at the "
                                   "locations where you hold it, latest application first. Names and stages only: "
                                   "read one applicant for the rest. `stage` takes the listed values only (else "
                                   "422).")
def applicant_list(request: HttpRequest, filters: Query[ApplicantFilter]) -> Any:
    require(request, Perm.WORKFORCE_HIRING)
    queryset = _applicants(request)
    if filters.requisition_id is not None:
        queryset = queryset.filter(requisition_id=filters.requisition_id)
    if filters.stage is not None:
        queryset = queryset.filter(stage=filters.stage)
    return paginate(queryset.order_by("-applied_on", "-pk"), filters)


@applicants_router.get("/{int:applicant_id}", response={200: ApplicantOut, **COMMON_RESPONSES},
                       url_name="applicant_detail", summary="One applicant with their stage history",
                       description=f"Needs `{Perm.WORKFORCE_HIRING}` at the requisition's location.")
def applicant_detail(request: HttpRequest, applicant_id: int) -> Any:
    require(request, Perm.WORKFORCE_HIRING)
    return _applicant(request, applicant_id)


@applicants_router.post("", response={201: ApplicantOut, **WRITE_RESPONSES}, url_name="applicant_create",
                        summary="Add an applicant to an open requisition",
                        description=f"Needs `{Perm.WORKFORCE_HIRING}` at the requisition's location (else 404). The "
                                    "requisition must be open, the email new on it, the date not in the future "
                                    "(else 422). The résumé is uploaded on the applicant page.")
def applicant_create(request: HttpRequest, payload: ApplicantIn) -> Any:
    require(request, Perm.WORKFORCE_HIRING)
    requisition = get_scoped_or_404(request, selectors.requisition_scoped(actor=request.user),
                                    permission=Perm.WORKFORCE_HIRING, pk=payload.requisition_id)
    sent = payload.model_dump(exclude={"requisition_id"})
    sent["applied_on"] = sent["applied_on"] or practice_today()
    created = applicant_services.applicant_create(actor=request.user, requisition=requisition,
                                                  data=_applicant_data(request, sent))
    return Status(201, _applicants(request).get(pk=created.pk))


@applicants_router.patch("/{int:applicant_id}", response={200: ApplicantOut, **WRITE_RESPONSES},
                         url_name="applicant_update", summary="Correct an applicant's details",
                         description=f"Needs `{Perm.WORKFORCE_HIRING}` at the requisition's location. Not the stage "
                                     "(`POST /applicants/{applicant_id}/stage`). Send only the fields to change.")
def applicant_update(request: HttpRequest, applicant_id: int, payload: ApplicantPatchIn) -> Any:
    require(request, Perm.WORKFORCE_HIRING)
    applicant = _applicant(request, applicant_id)
    applicant_services.applicant_update(actor=request.user, applicant=applicant,
                                        data=_applicant_data(request, payload.model_dump(exclude_unset=True)))
    return _applicants(request).get(pk=applicant.pk)


@applicants_router.post("/{int:applicant_id}/stage", response={200: ApplicantOut, **WRITE_RESPONSES},
                        url_name="applicant_stage", summary="Move an applicant to another stage",
                        description=f"Needs `{Perm.WORKFORCE_HIRING}` at the requisition's location. Only to one of "
                                    "the applicant's `moves` (else 422); rejecting or withdrawing needs a `note`. A "
                                    "live offer is withdrawn with the move.")
def applicant_stage(request: HttpRequest, applicant_id: int, payload: StageMoveIn) -> Any:
    require(request, Perm.WORKFORCE_HIRING)
    applicant = _applicant(request, applicant_id)
    applicant_services.applicant_move(actor=request.user, applicant=applicant, to_stage=payload.stage,
                                      note=payload.note)
    return _applicants(request).get(pk=applicant.pk)
