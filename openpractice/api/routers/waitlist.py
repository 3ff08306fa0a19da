"""/waitlist-entries: patients who want an earlier visit (PHI), offered the time of a cancelled appointment. Read
with schedule.view at the entry's location, as the waitlist page; each patient on a page returned (and each entry
read) is recorded in the audit trail. Adding, removing and booking need schedule.manage there, through the same
services as the waitlist pages. Out of scope answers 404 and the refusal is audited. Entries are never deleted:
removing one marks it removed, as the page does; booking one books its patient into a cancelled appointment's
time and marks it booked."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.roles import Perm
from openpractice.core.selectors import location_scoped
from openpractice.core.web import get_scoped_or_404, require
from openpractice.patients.selectors import patient_record_viewed, patient_records_viewed, patient_scoped
from openpractice.scheduling import selectors, waitlist
from openpractice.scheduling.models import WaitlistEntry, WaitlistStatus

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate
from ..schemas.appointments import PatientRefOut, ProviderRefOut, RefOut
from ..schemas.common import LocationRefOut

router = Router(tags=["waitlist-entries"])
NO_NUL = r"^[^\x00]*$"  # PostgreSQL cannot store NUL in text
MAX_ID = 2_147_483_647


class WaitlistEntryOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 57,
         "patient": {"id": 1042, "account_number": "A100245", "first_name": "Jordan", "last_name": "Sample"},
         "provider": {"id": 7, "display_name": "Priya Raman, MD"},
         "location": {"id": 1, "name": "Raleigh Main", "code": "ral"},
         "appointment_type": {"id": 2, "name": "Follow-up visit"}, "earliest": "2026-12-01",
         "latest": "2026-12-19", "notes": "Mornings only", "status": "open", "appointment_id": None,
         "created_at": "2026-11-20T15:04:00Z", "updated_at": "2026-11-20T15:04:00Z"}]}}
    id: int
    patient: PatientRefOut
    provider: ProviderRefOut | None = Field(description="null: any provider")
    location: LocationRefOut
    appointment_type: RefOut
    earliest: dt.date
    latest: dt.date
    notes: str | None = Field(None, description="Only for callers who may see front-desk notes at the location.")
    status: WaitlistStatus
    appointment_id: int | None = Field(description="The appointment booked from this entry")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_notes(obj: Any, context: Any) -> str | None:
        return obj.notes if getattr(obj, "show_notes", False) else None


class WaitlistEntryIn(Schema):
    patient_id: int = Field(ge=1, le=MAX_ID, description="An active patient you may see", examples=[1042])
    location_id: int = Field(ge=1, le=MAX_ID, description="Where you manage the schedule", examples=[1])
    appointment_type_id: int = Field(ge=1, le=MAX_ID, description="An appointment type still offered", examples=[2])
    provider_id: int | None = Field(None, ge=1, le=MAX_ID, description="null: any provider at the location",
                                    examples=[7])
    earliest: dt.date = Field(examples=["2026-12-01"])
    latest: dt.date = Field(description="On or after earliest, not in the past", examples=["2026-12-19"])
    notes: str = Field("", max_length=120, pattern=NO_NUL, description="Short and non-clinical",
                       examples=["Mornings only"])

    model_config = {"json_schema_extra": {"examples": [
        {"patient_id": 1042, "location_id": 1, "appointment_type_id": 2, "provider_id": 7,
         "earliest": "2026-12-01", "latest": "2026-12-19", "notes": "Mornings only"}]}}


class WaitlistEntryPatchIn(Schema):
    action: Literal["remove", "book"] = Field(description="remove: take the entry off the waitlist; book: book "
                                                          "its patient into a cancelled appointment's time",
                                              examples=["remove"])
    cancelled_appointment_id: int | None = Field(None, ge=1, le=MAX_ID,
                                                 description="book: the cancelled appointment whose time to offer",
                                                 examples=[5530])

    model_config = {"json_schema_extra": {"examples": [
        {"action": "remove"}, {"action": "book", "cancelled_appointment_id": 5530}]}}


class WaitlistEntryFilter(PageIn):
    status: WaitlistStatus | None = Field(None, description="open (waiting), booked or removed; all when empty")
    location_id: int | None = Field(None, ge=1, le=MAX_ID)
    provider_id: int | None = Field(None, ge=1, le=MAX_ID)
    patient_id: int | None = Field(None, ge=1, le=MAX_ID)


def _shown(entries: list[WaitlistEntry], request: HttpRequest) -> list[WaitlistEntry]:
    """Notes only where the caller sees front-desk notes (as on the page), worked out once for the page."""
    detail = selectors.detail_location_ids(request.user)
    for entry in entries:
        entry.show_notes = entry.location_id in detail  # type: ignore[attr-defined]
    return entries


def _one(request: HttpRequest, waitlist_entry_id: int, permission: str) -> WaitlistEntry:
    return get_scoped_or_404(request, waitlist.waitlist_scoped(actor=request.user, permission=permission),
                             permission=permission, pk=waitlist_entry_id)


@router.get("", response={200: Page[WaitlistEntryOut], **COMMON_RESPONSES}, url_name="waitlist_entry_list",
            summary="The waitlist at your locations",
            description=f"Needs `{Perm.SCHEDULE_VIEW}`; entries at the locations where you hold it, oldest first "
                        "(the order in which they are offered). Each patient on the page returned is recorded in "
                        "the audit trail once.")
def waitlist_entry_list(request: HttpRequest, filters: Query[WaitlistEntryFilter]) -> Any:
    require(request, Perm.SCHEDULE_VIEW)
    queryset = waitlist.waitlist_scoped(actor=request.user)
    if filters.status is not None:
        queryset = queryset.filter(status=filters.status)
    for name in ("location_id", "provider_id", "patient_id"):
        value = getattr(filters, name)
        if value is not None:
            queryset = queryset.filter(**{name: value})
    result = paginate(queryset.order_by("created_at", "pk"), filters)
    result["items"] = _shown(result["items"], request)
    # Rows show the patient's name and account number: one patients.viewed per patient on the page (the patient
    # is joined in by the selector, so this adds no reads).
    patient_records_viewed(actor=request.user, patients=(row.patient for row in result["items"]),
                           how="api waitlist")
    return result


@router.get("/{int:waitlist_entry_id}", response={200: WaitlistEntryOut, **COMMON_RESPONSES},
            url_name="waitlist_entry_detail", summary="One waitlist entry",
            description=f"Needs `{Perm.SCHEDULE_VIEW}` at its location. The read is audited.")
def waitlist_entry_detail(request: HttpRequest, waitlist_entry_id: int) -> Any:
    require(request, Perm.SCHEDULE_VIEW)
    found = _one(request, waitlist_entry_id, Perm.SCHEDULE_VIEW)
    patient_record_viewed(actor=request.user, patient=found.patient, how="api waitlist entry")
    return _shown([found], request)[0]


@router.post("", response={201: WaitlistEntryOut, **WRITE_RESPONSES}, url_name="waitlist_entry_create",
             summary="Put a patient on the waitlist",
             description=f"Needs `{Perm.SCHEDULE_MANAGE}` at the location. The patient must be active and yours to "
                         "see, the provider (if any) must work at the location, and the latest date may not have "
                         "passed (else 422).")
def waitlist_entry_create(request: HttpRequest, payload: WaitlistEntryIn) -> Any:
    require(request, Perm.SCHEDULE_MANAGE)
    actor = request.user
    # The same choices as the waitlist form offers; anything else is a field error.
    location = location_scoped(actor=actor, permission=Perm.SCHEDULE_VIEW).filter(
        pk=payload.location_id, is_active=True).first()
    patient = patient_scoped(actor=actor).filter(pk=payload.patient_id, is_active=True,
                                                 merged_into__isnull=True).first()
    kind = selectors.appointment_type_list().filter(pk=payload.appointment_type_id, is_active=True).first()
    provider = None
    if payload.provider_id is not None:
        provider = selectors.provider_list(actor=actor).filter(pk=payload.provider_id, is_active=True).first()
    unknown = _("Unknown or not yours to use.")
    errors = {name: unknown for name, value in (("location_id", location), ("patient_id", patient),
                                                ("appointment_type_id", kind)) if value is None}
    if payload.provider_id is not None and provider is None:
        errors["provider_id"] = unknown
    if errors:
        raise ValidationError(errors)
    created = waitlist.waitlist_add(actor=actor, patient=patient, location=location,  # type: ignore[arg-type]
                                    appointment_type=kind, earliest=payload.earliest,  # type: ignore[arg-type]
                                    latest=payload.latest, provider=provider, notes=payload.notes)
    return Status(201, _shown([waitlist.waitlist_scoped(actor=actor).get(pk=created.pk)], request)[0])


@router.patch("/{int:waitlist_entry_id}", response={200: WaitlistEntryOut, **WRITE_RESPONSES},
              url_name="waitlist_entry_update", summary="Remove or book a waitlist entry",
              description=f"Needs `{Perm.SCHEDULE_MANAGE}` at the entry's location. `action` is `remove` (the entry "
                          "is kept, marked removed) or `book` with `cancelled_appointment_id`: the patient is booked "
                          "into that cancelled appointment's time (same provider, location, start and room, the "
                          "entry's visit type) and the entry marked booked. Only an open entry changes, and only "
                          "into a freed time it fits (else 422).")
def waitlist_entry_update(request: HttpRequest, waitlist_entry_id: int, payload: WaitlistEntryPatchIn) -> Any:
    require(request, Perm.SCHEDULE_MANAGE)
    actor = request.user
    entry = _one(request, waitlist_entry_id, Perm.SCHEDULE_MANAGE)
    if payload.action == "remove":
        waitlist.waitlist_remove(actor=actor, entry=entry)
    else:
        cancelled = None
        if payload.cancelled_appointment_id is not None:
            cancelled = selectors.appointment_list(actor=actor, permission=Perm.SCHEDULE_MANAGE).filter(
                pk=payload.cancelled_appointment_id).first()
        if cancelled is None:
            raise ValidationError({"cancelled_appointment_id": _("Choose the cancelled appointment whose time to "
                                                                 "offer.")})
        waitlist.waitlist_book(actor=actor, entry=entry, cancelled=cancelled)
    return _shown([waitlist.waitlist_scoped(actor=actor).get(pk=entry.pk)], request)[0]
