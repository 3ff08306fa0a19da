"""/cases: patient complaints and grievances and staff conflicts and grievances. Any signed-in caller files a case
(a complaint they took, or their own grievance) and gets back its status only. Listing needs cases.view (patient
cases) or cases.staff (staff cases) and shows the cases the caller may see: where they hold the permission, and
confidential ones only for the senior roles and the assignee. Reading a case shows what the complainant said
(PHI for a patient case): each read is an audit event naming the patient. Correcting the intake (PATCH: subject,
category, severity, confidentiality, location, as the case's edit page), acknowledging and resolving need the
kind's work permission where the case is. Assignment, notes, links, escalation and letters stay in the web
interface. Refusals answer 404 and are audited; nothing changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.permissions import can, reachable_location_ids
from openpractice.accounts.roles import Perm
from openpractice.billing.selectors.claims import claim_scoped
from openpractice.cases import selectors, selectors_pages, services
from openpractice.cases.choices import CaseKind, CaseStatus, Confidentiality, Outcome, Severity
from openpractice.cases.models import Case, CaseCategory
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.core.web import deny, get_scoped_or_404
from openpractice.patients.selectors import patient_scoped

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate

router = Router(tags=["cases"])
SEE = (Perm.CASES_VIEW, Perm.CASES_STAFF)
SEE_LABEL = f"{Perm.CASES_VIEW} or {Perm.CASES_STAFF}"


class CaseListOut(Schema):
    """A row of the list: no words of the complaint (they are read one case at a time, audited)."""
    model_config = {"json_schema_extra": {"examples": [
        {"id": 46, "number": "CASE-2026-0046", "kind": "patient", "category_id": 3, "category": "Billing dispute",
         "location_id": 1, "subject": "Charged twice for the October visit", "severity": "medium",
         "confidentiality": "normal", "status": "acknowledged", "received_on": "2026-11-09",
         "acknowledge_due_on": "2026-11-14", "resolve_due_on": "2026-12-09", "overdue": False, "escalated_at": None,
         "assignee_id": 14}]}}

    id: int
    number: str = Field(description="CASE-00001")
    kind: str
    category_id: int
    category: str
    location_id: int | None = Field(description="Empty: the whole practice")
    subject: str = Field(description="A short summary without names or clinical detail")
    severity: str
    confidentiality: str
    status: str
    received_on: dt.date
    acknowledge_due_on: dt.date
    resolve_due_on: dt.date
    overdue: bool = Field(description="Open and past a service level (not acknowledged or not resolved in time)")
    escalated_at: dt.datetime | None
    assignee_id: int | None

    @staticmethod
    def resolve_category(obj: Case) -> str:
        return obj.category.name

    @staticmethod
    def resolve_overdue(obj: Case) -> bool:
        return _overdue(obj)


class CaseEntryOut(Schema):
    id: int
    kind: str = Field(description="note, action, contact, status, assigned, escalated, letter")
    body: str
    author_id: int | None = Field(description="Empty: the system (escalations)")
    created_at: dt.datetime


class CaseOut(CaseListOut):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 46, "number": "CASE-2026-0046", "kind": "patient", "category_id": 3, "category": "Billing dispute",
         "location_id": 1, "subject": "Charged twice for the October visit", "severity": "medium",
         "confidentiality": "normal", "status": "acknowledged", "received_on": "2026-11-09",
         "acknowledge_due_on": "2026-11-14", "resolve_due_on": "2026-12-09", "overdue": False, "escalated_at": None,
         "assignee_id": 14, "narrative": "Patient says the 2026-10-14 visit appears twice on the November statement.",
         "complainant_name": "Jordan Sample", "complainant_contact": "919-555-0100",
         "acknowledged_at": "2026-11-10T15:32:00Z", "resolved_at": None, "closed_at": None, "outcome": "",
         "resolution": "", "filed_by_id": 6, "patient_id": 1042, "claim_id": 2291, "employee_id": None,
         "respondent_id": None, "incident_id": None,
         "timeline": [{"id": 301, "kind": "status", "body": "new → acknowledged", "author_id": 14, "created_at": "2026-11-10T15:32:00Z"}, {"id": 302, "kind": "contact", "body": "Called the patient; statement reprint requested.", "author_id": 14, "created_at": "2026-11-10T15:40:00Z"}],
         "created_at": "2026-11-09T19:05:00Z", "updated_at": "2026-11-10T15:40:00Z"}]}}
    narrative: str = Field(description="What the complainant says")
    complainant_name: str
    complainant_contact: str
    acknowledged_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    outcome: str
    resolution: str
    filed_by_id: int
    patient_id: int | None
    claim_id: int | None
    employee_id: int | None = Field(description="The employee raising a staff case")
    respondent_id: int | None = Field(description="The colleague a staff case concerns")
    incident_id: int | None = Field(description="The privacy incident a privacy complaint opened")
    timeline: list[CaseEntryOut] = Field(description="Notes, actions and what the system did, oldest first")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_timeline(obj: Case) -> list[Any]:
        return selectors.timeline(obj)


class FiledOut(Schema):
    """What the filer sees of the case: its status and the dates promised."""
    model_config = {"json_schema_extra": {"examples": [
        {"id": 46, "number": "CASE-2026-0046", "kind": "patient", "category_id": 3,
         "subject": "Charged twice for the October visit", "status": "new", "received_on": "2026-11-09",
         "acknowledge_due_on": "2026-11-14", "resolve_due_on": "2026-12-09", "outcome": "",
         "created_at": "2026-11-09T19:05:00Z"}]}}

    id: int
    number: str
    kind: str
    category_id: int
    subject: str
    status: str
    received_on: dt.date
    acknowledge_due_on: dt.date
    resolve_due_on: dt.date
    outcome: str
    created_at: dt.datetime


class CaseStateOut(Schema):
    """A case's state after an action."""
    model_config = {"json_schema_extra": {"examples": [
        {"id": 46, "number": "CASE-2026-0046", "status": "resolved", "acknowledged_at": "2026-11-10T15:32:00Z",
         "resolved_at": "2026-11-16T20:10:00Z", "outcome": "upheld", "updated_at": "2026-11-16T20:10:00Z"}]}}

    id: int
    number: str
    status: str
    acknowledged_at: dt.datetime | None
    resolved_at: dt.datetime | None
    outcome: str
    updated_at: dt.datetime


class CaseIn(Schema):
    category_id: int = Field(description="An active category; its kind is the case's kind", examples=[1])
    subject: str = Field(max_length=200, description="A short summary without names or clinical detail",
                         examples=["Charged twice for one visit"])
    narrative: str = Field(description="What the complainant says, in their words",
                           examples=["I was billed twice for my March visit and my card was charged both times."])
    location_id: int | None = Field(None, description="A location you work at; empty: the whole practice",
                                    examples=[1])
    received_on: dt.date | None = Field(None, description="Not in the future; empty: today")
    severity: Severity = Severity.MEDIUM
    confidentiality: Confidentiality = Field(
        Confidentiality.NORMAL, description="confidential: only the assignee and the senior roles see it")
    complainant_name: str = Field("", max_length=200, examples=["Dana Reyes"])
    complainant_contact: str = Field("", max_length=500, description="Address, phone or email for the letters",
                                     examples=["12 Elm St, Springfield, IL 62701"])
    patient_id: int | None = Field(None, description="Patient cases: a patient you may see")
    claim_id: int | None = Field(None, description="Patient cases: a claim of that patient you may see")
    own_grievance: bool = Field(False, description="A staff case you raise yourself: it links your HR record")


class CaseAcknowledgeIn(Schema):
    model_config = {"json_schema_extra": {"examples": [{"note": "Acknowledged; we will call you within two days."}]}}
    note: str = Field("", max_length=2000, description="What the timeline says (default: Acknowledged.)")


class ResolveIn(Schema):
    outcome: Outcome = Field(examples=[Outcome.UPHELD])
    resolution: str = Field(description="How it was resolved; the resolution letter's text",
                            examples=["We refunded the second charge on April 2."])


class CasePatchIn(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"severity": "high"}, {"category_id": 3, "subject": "Charged twice for the October visit"},
        {"location_id": None}]}}
    subject: str | None = Field(None, min_length=1, max_length=200, pattern=r"^[^\x00]*$",
                                description="A short summary without names or clinical detail",
                                examples=["Charged twice for the October visit"])
    category_id: int | None = Field(None, ge=1, le=2_147_483_647,
                                    description="An active category of the case's kind (or its own)")
    severity: Severity | None = None
    confidentiality: Confidentiality | None = Field(
        None, description="Only a senior role lifts confidentiality")
    location_id: int | None = Field(None, ge=1, le=2_147_483_647,
                                    description="A location where you work cases of this kind; null: the whole "
                                                "practice")


class CaseFilter(PageIn):
    q: str = Field("", max_length=100, description="Part of the subject, or the case number")
    status: CaseStatus | None = None
    open: bool = Field(False, description="New or acknowledged cases only")
    kind: CaseKind | None = None
    category: int | None = Field(None, ge=1, le=2_147_483_647, description="A category id")
    overdue: bool = Field(False, description="Open cases past a service level only")
    assignee: str = Field("", pattern="^(|me|none)$", description="me: assigned to you; none: unassigned")


def _overdue(case: Case) -> bool:
    today = practice_today()
    return case.is_open and (case.resolve_due_on < today or (
        case.status == CaseStatus.NEW and case.acknowledge_due_on < today))


def _unknown(field: str, value: int) -> ValidationError:
    return ValidationError({field: _("There is no record with id %(id)s that you may use.") % {"id": value}},
                           code="unknown_reference")


def _require_sees_cases(request: HttpRequest) -> None:
    if not any(can(request.user, permission) for permission in SEE):
        raise deny(request, permission=SEE_LABEL)


def _case(request: HttpRequest, case_id: int) -> Case:
    return get_scoped_or_404(request, selectors.case_scoped(actor=request.user), permission=SEE_LABEL, pk=case_id)


def _workable(request: HttpRequest, case_id: int) -> Case:
    return get_scoped_or_404(request, selectors.case_workable(actor=request.user),
                             permission=f"{Perm.CASES_MANAGE} or {Perm.CASES_STAFF}", pk=case_id)


def _location(request: HttpRequest, location_id: int | None) -> Location | None:
    if location_id is None:
        return None
    reachable = reachable_location_ids(request.user)
    found = Location.objects.filter(pk=location_id).first()
    if found is None or (reachable is not None and found.pk not in reachable):
        raise _unknown("location_id", location_id)
    return found


@router.get("", response={200: Page[CaseListOut], **COMMON_RESPONSES}, url_name="case_list",
            summary="Cases you may see",
            description=f"Needs `{Perm.CASES_VIEW}` (patient cases) or `{Perm.CASES_STAFF}` (staff cases); the cases "
                        "at the locations where you hold it, confidential ones only for the senior roles, and the "
                        "cases assigned to you. Latest received first. `status` and `kind` take the listed values "
                        "only (anything else: 422).")
def case_list(request: HttpRequest, filters: Query[CaseFilter]) -> Any:
    _require_sees_cases(request)
    queryset = selectors.case_list(
        actor=request.user, status="open" if filters.open else (filters.status or ""), kind=filters.kind or "",
        category=filters.category, assignee=filters.assignee, overdue=filters.overdue,
        text=filters.q.replace("\x00", ""), today=practice_today())
    if filters.open and filters.status:
        queryset = queryset.filter(status=filters.status)
    return paginate(queryset.order_by("-received_on", "-pk"), filters)


@router.get("/{int:case_id}", response={200: CaseOut, **COMMON_RESPONSES}, url_name="case_detail",
            summary="One case with what the complainant said and its timeline",
            description="For those who may see the case (its assignee always may). Each read is recorded in the "
                        "audit log; for a patient case it names the patient.")
def case_detail(request: HttpRequest, case_id: int) -> Any:
    case = _case(request, case_id)
    selectors.case_viewed(actor=request.user, case=case)
    return case


@router.post("", response={201: FiledOut, **WRITE_RESPONSES}, url_name="case_create",
             summary="File a complaint or grievance",
             description="Anyone signed in files a case, at a location they work at or for the whole practice. The "
                         "service levels come from the category; a privacy complaint also opens an incident in the "
                         "compliance incident log. The answer is what the filer sees: the status and the dates.")
def case_create(request: HttpRequest, payload: CaseIn) -> Any:
    category = CaseCategory.objects.filter(pk=payload.category_id, is_active=True).first()
    if category is None:
        raise _unknown("category_id", payload.category_id)
    patient = None
    if payload.patient_id is not None:
        patient = patient_scoped(actor=request.user).filter(pk=payload.patient_id).first()
        if patient is None:
            raise _unknown("patient_id", payload.patient_id)
    claim = None
    if payload.claim_id is not None:
        claim = claim_scoped(actor=request.user).filter(pk=payload.claim_id).first()
        if claim is None:
            raise _unknown("claim_id", payload.claim_id)
    case = services.case_file(
        actor=request.user, category=category, subject=payload.subject, narrative=payload.narrative,
        location=_location(request, payload.location_id), received_on=payload.received_on,
        severity=payload.severity, confidentiality=payload.confidentiality,
        complainant_name=payload.complainant_name, complainant_contact=payload.complainant_contact,
        patient=patient, claim=claim, own_grievance=payload.own_grievance)
    return Status(201, selectors.own_cases(actor=request.user).get(pk=case.pk))


@router.post("/{int:case_id}/acknowledge", response={200: CaseStateOut, **WRITE_RESPONSES},
             url_name="case_acknowledge", summary="Acknowledge a new case",
             description=f"Needs `{Perm.CASES_MANAGE}` (patient cases) or `{Perm.CASES_STAFF}` (staff cases) where "
                         "the case is, or to be its assignee. Only a new case can be acknowledged (else 422).")
def case_acknowledge(request: HttpRequest, case_id: int, payload: CaseAcknowledgeIn) -> Any:
    case = _workable(request, case_id)
    return services.case_acknowledge(actor=request.user, case=case, note=payload.note)


@router.post("/{int:case_id}/resolve", response={200: CaseStateOut, **WRITE_RESPONSES},
             url_name="case_resolve", summary="Resolve an open case",
             description=f"Needs `{Perm.CASES_MANAGE}` (patient cases) or `{Perm.CASES_STAFF}` (staff cases) where "
                         "the case is, or to be its assignee. The outcome and how it was resolved; a resolved case "
                         "answers 422.")
def case_resolve(request: HttpRequest, case_id: int, payload: ResolveIn) -> Any:
    case = _workable(request, case_id)
    return services.case_resolve(actor=request.user, case=case, outcome=payload.outcome,
                                 resolution=payload.resolution)


@router.patch("/{int:case_id}", response={200: CaseListOut, **WRITE_RESPONSES}, url_name="case_update",
              summary="Correct a case's intake",
              description=f"Needs `{Perm.CASES_MANAGE}` (patient cases) or `{Perm.CASES_STAFF}` (staff cases) where "
                          "the case is, or to be its assignee: the subject, the category (of the same kind), the "
                          "severity, the confidentiality and the location, as on the case's edit page. Send only the "
                          "fields to change; `location_id` null puts the case at the whole practice. The service "
                          "levels stay as promised at intake. The answer is the list row (no narrative).")
def case_update(request: HttpRequest, case_id: int, payload: CasePatchIn) -> Any:
    case = _workable(request, case_id)
    sent = payload.model_dump(exclude_unset=True)
    empty = [name for name in ("subject", "category_id", "severity", "confidentiality") if
             name in sent and sent[name] is None]
    if empty:
        raise ValidationError({name: _("This field cannot be empty.") for name in empty}, code="required")
    category: CaseCategory | None = case.category
    if "category_id" in sent and sent["category_id"] != case.category_id:
        # Another active category of the case's kind (the page offers those, and the case's own).
        category = CaseCategory.objects.filter(pk=sent["category_id"], kind=case.kind, is_active=True).first()
    if category is None:
        raise _unknown("category_id", sent["category_id"])
    location = case.location
    if "location_id" in sent:
        location = None
        if sent["location_id"] is not None:
            location = selectors_pages.work_locations(actor=request.user, kind=case.kind,
                                                      current=case.location_id).filter(pk=sent["location_id"]).first()
            if location is None:
                raise _unknown("location_id", sent["location_id"])
    return services.case_update(actor=request.user, case=case, subject=sent.get("subject", case.subject),
                                severity=sent.get("severity", case.severity),
                                confidentiality=sent.get("confidentiality", case.confidentiality),
                                category=category, location=location)
