"""Appointment: read, search (_id, date, practitioner, location, patient, status) and create (book).

Reads need schedule.view at the appointment's location; every patient on a page is an audited read
(patients.viewed, "fhir"), once per patient. Participants are references only (no patient name). The front-desk
note is served as `comment` only to those the schedule pages show it to (schedule managers, financial roles).

Create books through the scheduling service the schedule pages and the REST API use (schedule.manage at the
location, the provider's weekly hours, no double booking, time off, the other apps' booking checks).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from pydantic import ValidationError as PydanticValidationError

from openpractice.accounts.roles import Perm
from openpractice.core.selectors import location_scoped
from openpractice.core.web import deny, get_scoped_or_404, require
from openpractice.patients.models import Patient
from openpractice.patients.selectors import patient_scoped
from openpractice.scheduling import selectors, services
from openpractice.scheduling.choices import AppointmentStatus
from openpractice.scheduling.models import Appointment, AppointmentType

from ..base import ModelResourceType, register
from ..errors import FhirError
from ..mapping import compact, concept, instant, meta, reference
from ..phi import audit_patients
from ..search import choice_token, date, parse_int_id, token
from ..search import reference as reference_param
from .schedule import APPOINTMENT_TYPE_SYSTEM, split_reference

# Our statuses in the FHIR appointmentstatus value set (required binding). Checked in is "checked-in": the
# desk's check-in completes the pre-visit paperwork (coverage, copay).
FHIR_STATUS = {
    AppointmentStatus.BOOKED: "booked", AppointmentStatus.CHECKED_IN: "checked-in",
    AppointmentStatus.COMPLETED: "fulfilled", AppointmentStatus.CANCELLED: "cancelled",
    AppointmentStatus.NO_SHOW: "noshow",
}
# Every FHIR code is searchable; the ones we never store match nothing.
STATUS_SEARCH: dict[str, Sequence[Any]] = {
    code: [] for code in ("proposed", "pending", "arrived", "entered-in-error", "waitlist")
} | {fhir: [ours] for ours, fhir in FHIR_STATUS.items()}
CONFIRM_OUTSIDE_HOURS = "X-Confirm-Outside-Hours"


def _id_codes(system: str | None, code: str) -> Q:
    return Q(pk=parse_int_id(code, what="_id"))


@register
class AppointmentResource(ModelResourceType):
    name = "Appointment"
    permissions = (Perm.SCHEDULE_VIEW,)
    ordering = ("starts_at", "pk")
    supports_create = True
    documentation = (
        "Appointments at the locations where the caller may view the schedule; every patient returned is recorded "
        "in the audit trail. Create (book) needs schedule.manage at the location and: status 'booked' (we book "
        "directly: proposed/pending requests are refused), start (an instant), one participant each of "
        "Patient/<id>, Practitioner/<id> and Location/<id>, and appointmentType with a coding in "
        f"{APPOINTMENT_TYPE_SYSTEM} whose code is our appointment type's id (as Schedule.serviceType lists them). "
        "The type sets the length: end and minutesDuration, when given, must agree with it. `comment` becomes the "
        "short non-clinical front-desk note. A type that needs a room gets the first room free at that time. "
        "A time the provider or room is already booked, or the provider is off, answers 409 (conflict); a time "
        f"outside the provider's weekly hours answers 409 (business-rule) unless the header "
        f"'{CONFIRM_OUTSIDE_HOURS}: true' is sent.")
    search_params = {
        "_id": token("_id", "The appointment's id.", _id_codes),
        "date": date("date", "starts_at", "The start (eq, ne, lt, le, gt, ge; year, month, day or instant)."),
        "practitioner": reference_param("practitioner", "provider_id", "Practitioner", "The provider seen."),
        "location": reference_param("location", "location_id", "Location", "Where."),
        "patient": reference_param("patient", "patient_id", "Patient", "Whose appointment."),
        "status": choice_token("status", "booked | checked-in | fulfilled | cancelled | noshow (other FHIR codes "
                               "match none).", "status", STATUS_SEARCH),
    }

    def scoped(self, request: HttpRequest) -> QuerySet[Any]:
        return selectors.appointment_list(actor=request.user)

    def prepare(self, objects: list[Any], request: HttpRequest) -> None:
        notes_at = selectors.detail_location_ids(request.user) if objects else frozenset()
        for appointment in objects:
            appointment.fhir_show_note = appointment.location_id in notes_at

    def audit(self, objects: list[Any], request: HttpRequest) -> None:
        audit_patients(request.user, [(row.patient_id, row.patient.home_location_id) for row in objects])

    def to_resource(self, appointment: Appointment, request: HttpRequest) -> dict[str, Any]:
        kind = appointment.appointment_type
        minutes = int((appointment.ends_at - appointment.starts_at).total_seconds() // 60)
        show_note = getattr(appointment, "fhir_show_note", False)
        return compact({
            "resourceType": "Appointment",
            "id": str(appointment.pk),
            "meta": meta(appointment.updated_at),
            "status": FHIR_STATUS.get(appointment.status, "booked"),  # type: ignore[call-overload]
            "appointmentType": concept(APPOINTMENT_TYPE_SYSTEM, str(kind.pk), kind.name),
            "start": instant(appointment.starts_at),
            "end": instant(appointment.ends_at),
            "minutesDuration": minutes if minutes > 0 else None,
            "created": instant(appointment.created_at) if appointment.created_at else None,
            "comment": appointment.notes if show_note else "",
            "participant": [
                {"actor": reference("Patient", appointment.patient_id), "required": "required",
                 "status": "accepted"},
                {"actor": reference("Practitioner", appointment.provider_id, appointment.provider.display_name),
                 "required": "required", "status": "accepted"},
                {"actor": reference("Location", appointment.location_id, appointment.location.name),
                 "required": "required", "status": "accepted"},
            ],
        })

    # -- create ------------------------------------------------------------------------------------------------

    def create(self, body: dict[str, Any], request: HttpRequest) -> Appointment:
        resource = _validated(body)
        require(request, Perm.SCHEDULE_MANAGE)
        actor = request.user
        if resource.status != "booked":
            raise ValidationError({"status": "Send status 'booked': appointments are booked directly here."})
        if resource.start is None:
            raise ValidationError({"start": "Give the start (an instant with its time zone)."})
        starts_at: dt.datetime = resource.start
        ids = _participants(resource)
        kind = _appointment_type(resource)
        location = get_scoped_or_404(request, location_scoped(actor=actor, permission=Perm.SCHEDULE_MANAGE),
                                     permission=Perm.SCHEDULE_MANAGE, pk=ids["Location"])
        patient = patient_scoped(actor=actor).filter(pk=ids["Patient"]).first()
        if patient is None:
            if Patient.objects.filter(pk=ids["Patient"]).exists():
                deny(request, permission=Perm.PATIENTS_DEMOGRAPHICS, object_type="patients.patient",
                     object_id=ids["Patient"])  # audited; answered like an unknown id
            raise ValidationError({"participant": "Patient: unknown or not yours to use."})
        provider = selectors.provider_list(actor=actor, permission=Perm.SCHEDULE_MANAGE).filter(
            pk=ids["Practitioner"]).first()
        if provider is None:
            raise ValidationError({"participant": "Practitioner: unknown or not yours to use."})
        length = dt.timedelta(minutes=kind.duration_minutes)
        if resource.end is not None and resource.end - starts_at != length:
            raise ValidationError({"end": f"A {kind.name} lasts {kind.duration_minutes} minutes: leave end out or "
                                          "make it agree."})
        if resource.minutesDuration is not None and resource.minutesDuration != kind.duration_minutes:
            raise ValidationError({"minutesDuration": f"A {kind.name} lasts {kind.duration_minutes} minutes."})
        confirmed = request.headers.get(CONFIRM_OUTSIDE_HOURS, "").strip().lower() == "true"
        room = None
        if kind.needs_room:
            free = selectors.next_free_slots(actor=actor, appointment_type=kind, provider=provider,
                                             location=location, after=starts_at, limit=1)
            room = free[0].room if free and free[0].starts_at == starts_at else None
            if room is None and not (selectors.outside_hours_warning(
                    provider=provider, location=location, starts_at=starts_at, ends_at=starts_at + length)
                    and not confirmed):
                raise FhirError(409, "conflict", f"No free time with a free room for a {kind.name} with "
                                                 f"{provider.display_name} at that time: see the Slots of "
                                                 f"Schedule/{provider.pk}-{location.pk}.")
        try:
            return services.appointment_book_checking_hours(
                actor=actor, patient=patient, provider=provider, location=location, appointment_type=kind,
                starts_at=starts_at, room=room, notes=str(resource.comment or ""),
                outside_hours_confirmed=confirmed)
        except services.SlotTaken as taken:
            raise FhirError(409, "conflict", " ".join(taken.messages)) from None
        except ValidationError as error:
            if hasattr(error, "error_dict") and "book_outside_hours" in error.error_dict:
                raise FhirError(409, "business-rule", f"{' '.join(error.messages)} Send the header "
                                                      f"'{CONFIRM_OUTSIDE_HOURS}: true' to book anyway.") from None
            raise


def _validated(body: dict[str, Any]) -> Any:
    from fhir.resources.R4B.appointment import Appointment as FhirAppointment

    try:
        return FhirAppointment.model_validate(body)
    except PydanticValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ()))
        raise FhirError(400, "structure", f"Not a valid FHIR Appointment: {where}: {first.get('msg')}",
                        expression=[where] if where else None) from None


def _participants(resource: Any) -> dict[str, int]:
    """{"Patient": id, "Practitioner": id, "Location": id}: exactly one of each, nothing else."""
    found: dict[str, int] = {}
    for participant in resource.participant or []:
        ref = participant.actor.reference if participant.actor is not None else None
        kind, ident = split_reference(str(ref or ""))
        if kind not in ("Patient", "Practitioner", "Location") or not ident.isascii() or not ident.isdigit() \
                or len(ident) > 18:
            raise ValidationError({"participant": "Each participant's actor must be Patient/<id>, "
                                                  "Practitioner/<id> or Location/<id>."})
        if kind in found:
            raise ValidationError({"participant": f"Give one {kind} only."})
        found[kind] = int(ident)
    missing = [kind for kind in ("Patient", "Practitioner", "Location") if kind not in found]
    if missing:
        raise ValidationError({"participant": f"Missing participant(s): {', '.join(missing)}."})
    return found


def _appointment_type(resource: Any) -> AppointmentType:
    codings = resource.appointmentType.coding if resource.appointmentType is not None else None
    codes = [str(coding.code or "") for coding in codings or [] if coding.system == APPOINTMENT_TYPE_SYSTEM]
    if not codes:
        raise ValidationError({"appointmentType": f"Give a coding in {APPOINTMENT_TYPE_SYSTEM} (the id of one "
                                                  "of our appointment types)."})
    kind = None
    if codes[0].isascii() and codes[0].isdigit() and len(codes[0]) <= 18:
        kind = selectors.appointment_type_list().filter(pk=int(codes[0])).first()
    if kind is None:
        raise ValidationError({"appointmentType": "Unknown appointment type."})
    return kind
