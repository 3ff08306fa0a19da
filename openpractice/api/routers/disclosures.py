"""/disclosures: the accounting of disclosures (45 CFR 164.528). compliance.manage lists, reads and records the
disclosures of the patients in the caller's patient scope at the locations where they hold it. Every disclosure
returned is an audited read of its patient (one event per patient a page shows). Corrections and the accounting
letter stay in the web interface. Refusals answer 404 and are audited; nothing changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from openpractice.compliance.choices import DisclosurePurpose
from openpractice.compliance.models import Disclosure, Incident
from openpractice.compliance.selectors import disclosures as selectors
from openpractice.compliance.services import disclosures as services
from openpractice.core.models import Location
from openpractice.core.web import get_scoped_or_404, require

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate

router = Router(tags=["disclosures"])
PERM = selectors.PERM


class DisclosureOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 17, "patient_id": 1042, "disclosed_on": "2026-09-08", "recipient": "Wake County Health Department",
         "recipient_address": "10 Sunnybrook Rd, Raleigh, NC 27610", "purpose": "public_health",
         "purpose_detail": "Reportable condition", "information": "Lab result and visit note of 2026-09-02",
         "location_id": 1, "incident_id": None, "recorded_by_id": 3, "recorded_at": "2026-09-08T18:20:00Z"}]}}
    id: int
    patient_id: int
    disclosed_on: dt.date
    recipient: str
    recipient_address: str
    purpose: str
    purpose_detail: str
    information: str = Field(description="What was disclosed")
    location_id: int | None = Field(description="Where it was disclosed from; empty: not recorded")
    incident_id: int | None = Field(description="The incident an impermissible disclosure belongs to")
    recorded_by_id: int
    recorded_at: dt.datetime


class DisclosureIn(Schema):
    patient_id: int = Field(description="A patient in your scope", examples=[1])
    disclosed_on: dt.date = Field(description="Not in the future", examples=["2025-04-01"])
    recipient: str = Field(max_length=200, examples=["Wake County Health Department"])
    recipient_address: str = Field("", max_length=300, examples=["10 Sunnybrook Rd, Raleigh NC 27610"])
    purpose: DisclosurePurpose = Field(examples=[DisclosurePurpose.PUBLIC_HEALTH])
    purpose_detail: str = Field("", max_length=500, description="Required when `purpose` is other",
                                examples=["Reportable disease notification"])
    information: str = Field(description="A brief description of what was disclosed",
                             examples=["Laboratory result for a reportable condition"])
    location_id: int | None = Field(None, description="A location you work at; empty: not recorded")
    incident_id: int | None = Field(None, description="An incident you manage (compliance.incidents)")


class DisclosureFilter(PageIn):
    patient_id: int | None = Field(None, description="One patient's disclosures")
    purpose: DisclosurePurpose | None = None
    since: dt.date | None = Field(None, description="Disclosed on or after")
    until: dt.date | None = Field(None, description="Disclosed on or before")


def _reference(queryset: QuerySet[Any], name: str, pk: int | None) -> Any:
    if pk is None:
        return None
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise ValidationError({name: _("There is no %(name)s with id %(id)s that you may use.")
                               % {"name": name.removesuffix("_id"), "id": pk}}, code="unknown_reference")
    return found


def _viewed(request: HttpRequest, rows: list[Disclosure]) -> list[Disclosure]:
    selectors.disclosures_viewed(actor=request.user, patients=[row.patient for row in rows], how="api")
    return rows


@router.get("", response={200: Page[DisclosureOut], **COMMON_RESPONSES}, url_name="disclosure_list",
            summary="Disclosures you keep",
            description=f"Needs `{PERM}`; the disclosures of the patients in your scope at the locations where you "
                        "hold it. Latest first. `purpose` takes the listed values only (anything else: 422). Each "
                        "patient on the page is recorded in the audit trail.")
def disclosure_list(request: HttpRequest, filters: Query[DisclosureFilter]) -> Any:
    require(request, PERM)
    queryset = selectors.disclosure_list(actor=request.user, purpose=filters.purpose or "", since=filters.since,
                                         until=filters.until)
    if filters.patient_id is not None:
        queryset = queryset.filter(patient_id=filters.patient_id)
    page = paginate(queryset.order_by("-disclosed_on", "-pk"), filters)
    page["items"] = _viewed(request, page["items"])
    return page


@router.get("/{int:disclosure_id}", response={200: DisclosureOut, **COMMON_RESPONSES}, url_name="disclosure_detail",
            summary="One disclosure",
            description=f"Needs `{PERM}` with the patient in your scope; recorded in the audit trail.")
def disclosure_detail(request: HttpRequest, disclosure_id: int) -> Any:
    require(request, PERM)
    disclosure = get_scoped_or_404(request, selectors.disclosure_scoped(actor=request.user), permission=PERM,
                                   pk=disclosure_id)
    return _viewed(request, [disclosure])[0]


@router.post("", response={201: DisclosureOut, **WRITE_RESPONSES}, url_name="disclosure_create",
             summary="Record a disclosure",
             description=f"Needs `{PERM}` with the patient in your scope (otherwise 404, like a patient that does "
                         "not exist). Disclosures are kept six years and never deleted.")
def disclosure_create(request: HttpRequest, payload: DisclosureIn) -> Any:
    require(request, PERM)
    patient = get_scoped_or_404(request, selectors.patient_scope(actor=request.user), permission=PERM,
                                pk=payload.patient_id)
    location: Location | None = _reference(selectors.record_locations(actor=request.user), "location_id",
                                           payload.location_id)
    incident: Incident | None = _reference(selectors.linkable_incidents(actor=request.user), "incident_id",
                                           payload.incident_id)
    disclosure = services.disclosure_record(
        actor=request.user, patient=patient, disclosed_on=payload.disclosed_on, recipient=payload.recipient,
        recipient_address=payload.recipient_address, purpose=payload.purpose, purpose_detail=payload.purpose_detail,
        information=payload.information, location=location, incident=incident)
    return Status(201, disclosure)
