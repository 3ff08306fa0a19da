"""Appointments: list with filters, read, book (POST) and reschedule or cancel (PATCH), through the same
selectors and services as the schedule pages. Appointments are PHI: each one read is audited."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Query, Router, Status

from openpractice.accounts.roles import Perm
from openpractice.core.selectors import location_scoped
from openpractice.core.web import get_scoped_or_404, require
from openpractice.patients.selectors import patient_record_viewed, patient_records_viewed, patient_scoped
from openpractice.scheduling import selectors, services
from openpractice.scheduling.models import Appointment, AppointmentType

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES
from ..pagination import Page, PageIn, paginate
from ..schemas.appointments import AppointmentFilters, AppointmentIn, AppointmentOut, AppointmentPatch

router = Router(tags=["appointments"])


def _with_notes(request: HttpRequest, appointment: Appointment) -> Appointment:
    appointment.show_notes = selectors.may_see_money_and_notes(  # type: ignore[attr-defined]
        request.user, appointment.location_id)
    return appointment


def _field_error(field: str, message: str) -> ValidationError:
    return ValidationError({field: message})


@router.get("", response={200: Page[AppointmentOut], **COMMON_RESPONSES}, url_name="appointment_list",
            summary="Appointments at your locations",
            description=f"Needs `{Perm.SCHEDULE_VIEW}`. Filters: provider, location, patient, status, start range. "
                        "Each patient on the page returned is recorded in the audit trail once.")
def appointments(request: HttpRequest, filters: Query[AppointmentFilters], page: Query[PageIn]) -> Any:
    require(request, Perm.SCHEDULE_VIEW)
    queryset = selectors.appointment_list(actor=request.user)
    for name in ("provider", "location", "patient", "status"):
        value = getattr(filters, name)
        if value is not None:
            queryset = queryset.filter(**{name if name == "status" else f"{name}_id": value})
    if filters.starts_from is not None:
        queryset = queryset.filter(starts_at__gte=filters.starts_from)
    if filters.starts_before is not None:
        queryset = queryset.filter(starts_at__lt=filters.starts_before)
    result = paginate(queryset.order_by("starts_at", "pk"), page, convert=lambda a: _with_notes(request, a))
    # Rows show the patient's name and account number: one patients.viewed per patient on the page (the patient
    # is joined in by the selector, so this adds no reads).
    patient_records_viewed(actor=request.user, patients=(row.patient for row in result["items"]),
                           how="api appointment list")
    return result


@router.get("/{int:appointment_id}", response={200: AppointmentOut, **COMMON_RESPONSES},
            url_name="appointment_detail", summary="One appointment",
            description=f"Needs `{Perm.SCHEDULE_VIEW}` at its location. The read is audited.")
def appointment(request: HttpRequest, appointment_id: int) -> Any:
    require(request, Perm.SCHEDULE_VIEW)
    found = get_scoped_or_404(request, selectors.appointment_list(actor=request.user),
                              permission=Perm.SCHEDULE_VIEW, pk=appointment_id)
    patient_record_viewed(actor=request.user, patient=found.patient, how="api appointment")
    return _with_notes(request, found)


@router.post("", response={200: AppointmentOut, 201: AppointmentOut, **WRITE_RESPONSES}, url_name="appointment_book",
             summary="Book an appointment",
             description=f"Needs `{Perm.SCHEDULE_MANAGE}` at the location. An overlap with another booking of the "
                         "provider or room answers 422 with the reason; so does a time outside the provider's "
                         "weekly hours unless `outside_hours` is true.")
def book(request: HttpRequest, payload: AppointmentIn) -> Any:
    require(request, Perm.SCHEDULE_MANAGE)
    actor = request.user
    location = get_scoped_or_404(request, location_scoped(actor=actor, permission=Perm.SCHEDULE_MANAGE),
                                 permission=Perm.SCHEDULE_MANAGE, pk=payload.location)
    patient = patient_scoped(actor=actor).filter(pk=payload.patient).first()
    provider = selectors.provider_list(actor=actor, permission=Perm.SCHEDULE_MANAGE).filter(pk=payload.provider).first()
    kind = AppointmentType.objects.filter(pk=payload.appointment_type).first()
    room = (selectors.room_list(actor=actor, permission=Perm.SCHEDULE_MANAGE).filter(pk=payload.room).first()
            if payload.room is not None else None)
    for field, value in (("patient", patient), ("provider", provider), ("appointment_type", kind)):
        if value is None:
            raise _field_error(field, "Unknown or not yours to use.")
    if payload.room is not None and room is None:
        raise _field_error("room", "Unknown or not yours to use.")
    created = services.appointment_book_checking_hours(
        actor=actor, patient=patient, provider=provider, location=location,  # type: ignore[arg-type]
        appointment_type=kind, room=room, starts_at=payload.starts_at, notes=payload.notes,  # type: ignore[arg-type]
        outside_hours_confirmed=payload.outside_hours)
    return Status(201, _with_notes(request, selectors.appointment_list(actor=actor).get(pk=created.pk)))


@router.patch("/{int:appointment_id}", response={200: AppointmentOut, **WRITE_RESPONSES},
              url_name="appointment_update", summary="Reschedule or cancel",
              description=f"Needs `{Perm.SCHEDULE_MANAGE}` at its location. `action` is `reschedule` (with "
                          "`starts_at`, optionally `provider`) or `cancel` (with `reason`). A new time outside "
                          "the provider's weekly hours answers 422 unless `outside_hours` is true.")
def update(request: HttpRequest, appointment_id: int, payload: AppointmentPatch) -> Any:
    require(request, Perm.SCHEDULE_MANAGE)
    actor = request.user
    found = get_scoped_or_404(request, selectors.appointment_list(actor=actor, permission=Perm.SCHEDULE_MANAGE),
                              permission=Perm.SCHEDULE_MANAGE, pk=appointment_id)
    if payload.action == "cancel":
        services.appointment_cancel(actor=actor, appointment=found, reason=payload.reason)
    else:
        if payload.starts_at is None:
            raise _field_error("starts_at", "Give the new start time.")
        provider = None
        if payload.provider is not None:
            provider = selectors.provider_list(actor=actor, permission=Perm.SCHEDULE_MANAGE).filter(
                pk=payload.provider).first()
            if provider is None:
                raise _field_error("provider", "Unknown or not yours to use.")
        services.appointment_reschedule(actor=actor, appointment=found, starts_at=payload.starts_at,
                                        provider=provider, outside_hours_confirmed=payload.outside_hours)
    return _with_notes(request, selectors.appointment_list(actor=actor).get(pk=found.pk))
