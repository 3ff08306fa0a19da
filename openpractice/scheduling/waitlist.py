"""The waitlist: patients who want an earlier visit, offered the time of an appointment that was cancelled.

Services and selectors in one small module (the same conventions as services.py / selectors.py): permission
checked and a refusal audited before the transaction; every change audited with the patient's id.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, location_ids_where
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record, record_denied
from openpractice.core.models import Location
from openpractice.patients.models import Patient
from openpractice.patients.selectors import patient_scoped

from .choices import ACTIVE_STATUSES, AppointmentStatus
from .models import Appointment, AppointmentType, Provider, WaitlistEntry, WaitlistStatus
from .selectors import practice_zone
from .services import appointment_book

# Suggestions shown for one cancelled appointment.
MATCH_LIMIT = 10


def _refuse(*, actor: Any, action: str, entry: WaitlistEntry | None = None) -> PermissionDenied:
    record_denied(actor=actor, action=action, object_type="scheduling.waitlistentry",
                  object_id=str(entry.pk) if entry is not None else "", reason=f"{Perm.SCHEDULE_MANAGE} required")
    return PermissionDenied(_("You may not make this change."))


# --- reads ---------------------------------------------------------------------------------------------------


def waitlist_scoped(*, actor: Any, permission: str = Perm.SCHEDULE_VIEW) -> QuerySet[WaitlistEntry]:
    """Entries (any status) at the actor's locations for `permission`."""
    ids = location_ids_where(actor, permission)
    queryset = WaitlistEntry.objects.select_related("patient", "provider", "location", "appointment_type")
    if ids is None:
        return queryset.all() if can(actor, permission) else queryset.none()
    return queryset.filter(location_id__in=ids)


def waitlist_open(*, actor: Any) -> QuerySet[WaitlistEntry]:
    return waitlist_scoped(actor=actor).filter(status=WaitlistStatus.OPEN)


def waitlist_matches(*, actor: Any, appointment: Appointment) -> list[WaitlistEntry]:
    """Open entries that could take the time a cancelled appointment freed: same location, the same provider
    or any, the date inside the entry's range, a visit type that fits in the freed time; oldest entry first.
    Nothing when the appointment is not cancelled, is in the past, or its time has been booked again."""
    now = timezone.now()
    if appointment.status != AppointmentStatus.CANCELLED or appointment.starts_at <= now:
        return []
    if Appointment.objects.filter(provider_id=appointment.provider_id, status__in=ACTIVE_STATUSES,
                                  starts_at__lt=appointment.ends_at, ends_at__gt=appointment.starts_at).exists():
        return []
    day = appointment.starts_at.astimezone(practice_zone()).date()
    minutes = int((appointment.ends_at - appointment.starts_at).total_seconds() // 60)
    return list(
        waitlist_open(actor=actor).filter(
            Q(provider__isnull=True) | Q(provider_id=appointment.provider_id),
            location_id=appointment.location_id, earliest__lte=day, latest__gte=day,
            appointment_type__duration_minutes__lte=minutes, appointment_type__is_active=True,
            patient__is_active=True, patient__merged_into__isnull=True,
        ).order_by("created_at", "pk")[:MATCH_LIMIT]
    )


# --- writes --------------------------------------------------------------------------------------------------


def waitlist_add(*, actor: Any, patient: Patient, location: Location, appointment_type: AppointmentType,
                 earliest: dt.date, latest: dt.date, provider: Provider | None = None,
                 notes: str = "") -> WaitlistEntry:
    """Put a patient on the waitlist at `location` (SCHEDULE_MANAGE there)."""
    if not can(actor, Perm.SCHEDULE_MANAGE, location):
        raise _refuse(actor=actor, action="waitlist.add")
    errors: dict[str, str] = {}
    if not patient_scoped(actor=actor).filter(pk=patient.pk, is_active=True, merged_into__isnull=True).exists():
        errors["patient"] = _("Choose an active patient you may see.")
    if provider is not None and not provider.locations.filter(pk=location.pk).exists():
        errors["provider"] = _("%(provider)s does not work at %(location)s.") % {
            "provider": provider.display_name, "location": location.name}
    if latest < dt.datetime.now(practice_zone()).date():
        errors["latest"] = _("The latest date has already passed.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        entry = WaitlistEntry(patient=patient, provider=provider, location=location,
                              appointment_type=appointment_type, earliest=earliest, latest=latest,
                              notes=notes.strip(), created_by=actor)
        entry.full_clean()
        entry.save(force_insert=True)
        record(actor=actor, action="waitlist.added", target=entry, patient_id=patient.pk, location_id=location.pk,
               changed_fields=["patient", "location", "appointment_type", "earliest", "latest",
                               *(["provider"] if provider else []), *(["notes"] if entry.notes else [])])
    return entry


def _require_open(entry: WaitlistEntry) -> None:
    if entry.status != WaitlistStatus.OPEN:
        raise ValidationError(_("This waitlist entry is no longer open."), code="not_open")


def waitlist_remove(*, actor: Any, entry: WaitlistEntry) -> WaitlistEntry:
    """Take an open entry off the waitlist (kept, as removed, for the record)."""
    if not can(actor, Perm.SCHEDULE_MANAGE, entry.location_id):
        raise _refuse(actor=actor, action="waitlist.remove", entry=entry)
    with transaction.atomic():
        current = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        _require_open(current)
        current.status = WaitlistStatus.REMOVED
        current.save(update_fields=["status", "updated_at"])
        record(actor=actor, action="waitlist.removed", target=current, patient_id=current.patient_id,
               location_id=current.location_id, changed_fields=["status"])
    return current


def waitlist_book(*, actor: Any, entry: WaitlistEntry, cancelled: Appointment) -> Appointment:
    """Book the entry's patient into the time `cancelled` freed (same provider, location, start and room, the
    entry's visit type) and mark the entry booked, together or not at all."""
    if not can(actor, Perm.SCHEDULE_MANAGE, entry.location_id):
        raise _refuse(actor=actor, action="waitlist.book", entry=entry)
    if entry.pk not in {match.pk for match in waitlist_matches(actor=actor, appointment=cancelled)}:
        raise ValidationError(_("This waitlist entry does not fit the freed time (or the time is taken)."),
                              code="no_match")
    with transaction.atomic():
        current = WaitlistEntry.objects.select_for_update().select_related("patient", "appointment_type").get(
            pk=entry.pk)
        _require_open(current)
        booked = appointment_book(
            actor=actor, patient=current.patient, provider=cancelled.provider, location=cancelled.location,
            appointment_type=current.appointment_type, starts_at=cancelled.starts_at, room=cancelled.room,
            notes=current.notes)
        current.status = WaitlistStatus.BOOKED
        current.appointment = booked
        current.save(update_fields=["status", "appointment", "updated_at"])
        record(actor=actor, action="waitlist.booked", target=current, patient_id=current.patient_id,
               location_id=current.location_id, changed_fields=["status", "appointment"])
    return booked
