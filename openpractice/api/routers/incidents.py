"""/incidents: the privacy and security incident log. Any signed-in caller reports an incident they noticed (and
gets back its status only); compliance.incidents lists, reads and edits the incidents at the locations where it
is held (a practice-wide incident needs it everywhere), each with its breach notification deadlines. The
assessment, the determination, affected patients and letters stay in the web interface. Refusals answer 404 and
are audited; nothing changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.roles import Perm
from openpractice.compliance.choices import IncidentKind, IncidentStatus
from openpractice.compliance.models import Incident, NotificationDeadline
from openpractice.compliance.selectors import incidents as selectors
from openpractice.compliance.services import incidents as services
from openpractice.compliance.services.breach_clock import days_left
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.core.web import get_scoped_or_404, require

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate

router = Router(tags=["incidents"])
PERM = Perm.COMPLIANCE_INCIDENTS


class DeadlineOut(Schema):
    id: int
    audience: str = Field(description="individuals, media (of `state`), hhs_now (500 or more), hhs_annual")
    state: str
    due_on: dt.date
    days_left: int = Field(description="Calendar days until the due date (practice time zone); negative: overdue")
    done_on: dt.date | None
    note: str

    @staticmethod
    def resolve_days_left(obj: NotificationDeadline) -> int:
        return days_left(obj.due_on, practice_today())


class StateCountOut(Schema):
    state: str
    individuals: int


class IncidentOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 9, "title": "Lab results faxed to the wrong number", "kind": "misdirected", "location_id": 2,
         "discovered_on": "2026-10-06", "occurred_on": "2026-10-03",
         "description": "One page of lab results was faxed to a local business instead of the specialist.",
         "phi_involved": "Name, date of birth, lab values", "individuals_affected": 1,
         "states": [{"state": "NC", "individuals": 1}], "affected_patients": 1, "status": "assessed",
         "determination": "breach", "determination_reason": "The recipient could not confirm destruction.",
         "determined_at": "2026-10-10T19:00:00Z", "reported_by_id": 6, "closed_at": None,
         "created_at": "2026-10-06T14:30:00Z", "updated_at": "2026-10-10T19:00:00Z",
         "deadlines": [{"id": 21, "audience": "individuals", "state": "", "due_on": "2026-12-05", "days_left": 6, "done_on": "2026-10-14", "note": "Letter mailed"}, {"id": 22, "audience": "hhs_annual", "state": "", "due_on": "2027-03-01", "days_left": 92, "done_on": None, "note": ""}]}]}}
    id: int
    title: str
    kind: str
    location_id: int | None = Field(description="Empty: the whole practice")
    discovered_on: dt.date = Field(description="The notification clock starts here")
    occurred_on: dt.date | None
    description: str
    phi_involved: str
    individuals_affected: int
    states: list[StateCountOut] = Field(description="Affected individuals per state of residence")
    affected_patients: int = Field(description="Patients on the affected list (the list itself: web interface)")
    status: str
    determination: str
    determination_reason: str
    determined_at: dt.datetime | None
    reported_by_id: int
    closed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    deadlines: list[DeadlineOut] = Field(description="The notices a breach requires, soonest first")

    @staticmethod
    def resolve_states(obj: Incident) -> list[Any]:
        return list(obj.states.all())

    @staticmethod
    def resolve_affected_patients(obj: Incident) -> int:
        annotated = getattr(obj, "affected_count", None)
        return int(annotated) if annotated is not None else obj.affected_patients.count()

    @staticmethod
    def resolve_deadlines(obj: Incident) -> list[Any]:
        return sorted(obj.deadlines.all(), key=lambda row: (row.due_on, row.audience, row.state))


class ReportOut(Schema):
    """What a reporter sees of their report: its status."""
    model_config = {"json_schema_extra": {"examples": [
        {"id": 9, "title": "Lab results faxed to the wrong number", "discovered_on": "2026-10-06", "status": "open",
         "created_at": "2026-10-06T14:30:00Z"}]}}

    id: int
    title: str
    discovered_on: dt.date
    status: str
    created_at: dt.datetime


class IncidentPatchIn(Schema):
    title: str | None = Field(None, max_length=200, examples=["Fax sent to the wrong number"])
    kind: IncidentKind | None = None
    location_id: int | None = Field(None, description="A location where you manage incidents; null: the whole "
                                                      "practice")
    discovered_on: dt.date | None = Field(None, description="Moves the open notification deadlines with it")
    occurred_on: dt.date | None = None
    description: str | None = None
    phi_involved: str | None = None


class IncidentIn(Schema):
    title: str = Field(max_length=200, examples=["Fax sent to the wrong number"])
    kind: IncidentKind = Field(examples=[IncidentKind.MISDIRECTED])
    location_id: int | None = Field(None, description="A location you work at; empty: the whole practice",
                                    examples=[1])
    discovered_on: dt.date = Field(description="The first day it was known (not in the future)",
                                   examples=["2025-04-01"])
    occurred_on: dt.date | None = Field(None, examples=["2025-03-31"])
    description: str = Field(examples=["A visit summary was faxed to a pharmacy instead of the specialist."])
    phi_involved: str = Field("", description="The kinds of information, not the information itself",
                              examples=["Name, date of birth, diagnosis codes"])


class IncidentFilter(PageIn):
    q: str = Field("", max_length=100, description="Part of the title")
    status: IncidentStatus | None = None
    kind: IncidentKind | None = None


_NOT_NULL = ("title", "kind", "discovered_on", "description", "phi_involved")


def _location(locations: QuerySet[Location], location_id: int | None) -> Location | None:
    if location_id is None:
        return None
    found = locations.filter(pk=location_id).first()
    if found is None:
        raise ValidationError({"location_id": _("There is no location with id %(id)s that you may use.")
                               % {"id": location_id}}, code="unknown_reference")
    return found


def _with_relations(queryset: QuerySet[Incident]) -> QuerySet[Incident]:
    return queryset.prefetch_related("states", "deadlines")


def _incident(request: HttpRequest, incident_id: int) -> Incident:
    return get_scoped_or_404(request, _with_relations(selectors.incident_scoped(actor=request.user)),
                             permission=PERM, pk=incident_id)


@router.get("", response={200: Page[IncidentOut], **COMMON_RESPONSES}, url_name="incident_list",
            summary="Incidents you manage",
            description=f"Needs `{PERM}`; the incidents at the locations where you hold it. Latest discovery "
                        "first. `status` and `kind` take the listed values only (anything else: 422).")
def incident_list(request: HttpRequest, filters: Query[IncidentFilter]) -> Any:
    require(request, PERM)
    queryset = _with_relations(selectors.incident_list(actor=request.user))
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    text = filters.q.replace("\x00", "").strip()  # PostgreSQL refuses NUL in a query parameter
    if text:
        queryset = queryset.filter(title__icontains=text)
    return paginate(queryset.order_by("-discovered_on", "-pk"), filters)


@router.get("/{int:incident_id}", response={200: IncidentOut, **COMMON_RESPONSES}, url_name="incident_detail",
            summary="One incident with its notification deadlines",
            description=f"Needs `{PERM}` where the incident is. A reporter without it gets 404 here.")
def incident_detail(request: HttpRequest, incident_id: int) -> Any:
    require(request, PERM)
    return _incident(request, incident_id)


@router.post("", response={201: ReportOut, **WRITE_RESPONSES}, url_name="incident_create",
             summary="Report an incident",
             description="Anyone signed in reports what they noticed, at a location they work at (or for the whole "
                         f"practice). The answer is the report's status; `{PERM}` holders read the incident at "
                         "/incidents/{id}.")
def incident_create(request: HttpRequest, payload: IncidentIn) -> Any:
    location = _location(selectors.report_locations(actor=request.user), payload.location_id)
    incident = services.incident_report(
        actor=request.user, title=payload.title, kind=payload.kind, location=location,
        discovered_on=payload.discovered_on, occurred_on=payload.occurred_on, description=payload.description,
        phi_involved=payload.phi_involved)
    return Status(201, selectors.own_reports(actor=request.user).get(pk=incident.pk))


@router.patch("/{int:incident_id}", response={200: IncidentOut, **WRITE_RESPONSES}, url_name="incident_update",
              summary="Change an incident",
              description=f"Needs `{PERM}` where the incident is (and where it moves to). Send only the fields to "
                          "change; a new discovery date moves the open notification deadlines.")
def incident_update(request: HttpRequest, incident_id: int, payload: IncidentPatchIn) -> Any:
    require(request, PERM)
    incident = _incident(request, incident_id)
    data = payload.model_dump(exclude_unset=True)
    for name in _NOT_NULL:
        if name in data and data[name] is None:
            raise ValidationError({name: _("This field cannot be empty.")}, code="required")
    location = (_location(selectors.manage_locations(actor=request.user), data["location_id"])
                if "location_id" in data else incident.location)
    services.incident_update(
        actor=request.user, incident=incident, title=data.get("title", incident.title),
        kind=data.get("kind", incident.kind), location=location,
        discovered_on=data.get("discovered_on", incident.discovered_on),
        occurred_on=data.get("occurred_on", incident.occurred_on),
        description=data.get("description", incident.description),
        phi_involved=data.get("phi_involved", incident.phi_involved))
    return _incident(request, incident.pk)
