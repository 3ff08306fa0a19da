"""Writes to providers, scheduling settings and appointments.

Permission is checked here as well as in the views (the API and commands cannot skip it); a refusal is
recorded BEFORE the write transaction opens, since an audit row inside a transaction that then raises would be
rolled back with it. Appointments are PHI: every change is audited with the patient's id.

No double booking: every write that places an appointment in time locks the provider's row (and the room's)
with select_for_update() before looking for overlaps, so bookings of one provider or room take turns. On
SQLite our transactions are BEGIN IMMEDIATE, which serialises writers anyway; on PostgreSQL the row lock does.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, has_all_locations
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record, record_denied
from openpractice.core.choices import Weekday
from openpractice.core.events import emit
from openpractice.core.models import Location
from openpractice.patients.models import Patient
from openpractice.patients.selectors import coverages_active_on, patient_scoped

from . import booking_checks
from .choices import ACTIVE_STATUSES, AppointmentStatus, PaymentMethod
from .models import (
    Appointment,
    AppointmentType,
    CopayPayment,
    Provider,
    ProviderTemplate,
    ReferringProvider,
    Room,
    TimeOff,
    WaitlistEntry,
)
from .selectors import outside_hours_warning, overlapping, practice_zone, primary_copay_due

PROVIDER_FIELDS: tuple[str, ...] = (
    "first_name", "last_name", "credential", "kind", "npi", "taxonomy_code", "is_billing", "is_rendering", "user",
)  # fmt: skip
APPOINTMENT_TYPE_FIELDS: tuple[str, ...] = ("name", "duration_minutes", "colour", "needs_room", "is_active")
ROOM_FIELDS: tuple[str, ...] = ("location", "name", "is_active")
# (weekday 0=Monday, location, start, end)
TemplatePeriod = tuple[int, Location, dt.time, dt.time]


# --- helpers -------------------------------------------------------------------------------------------------


def _refuse(*, actor: Any, permission: str, action: str, target: Model | None = None) -> PermissionDenied:
    record_denied(
        actor=actor, action=action,
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None and target.pk else "",
        reason=f"{permission} required",
    )
    return PermissionDenied(_("You may not make this change."))


def _authorize(*, actor: Any, permission: str, action: str, locations: Iterable[Location | int | None],
               target: Model | None = None) -> None:
    """`permission` at every location the change touches; None among them means at all locations."""
    for location in list(locations) or [None]:
        allowed = has_all_locations(actor, permission) if location is None else can(actor, permission, location)
        if not allowed:
            raise _refuse(actor=actor, permission=permission, action=action, target=target)


def _check_keys(data: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError(_("Unknown or read-only field(s): %(fields)s.") % {"fields": ", ".join(unknown)},
                              code="unknown_field")


def _apply(instance: Model, data: Mapping[str, Any]) -> list[str]:
    """Set, validate, and return the names of the fields whose value changed (compared after full_clean)."""
    def attname(name: str) -> str:
        return instance._meta.get_field(name).attname  # type: ignore[union-attr]

    before = {name: getattr(instance, attname(name)) for name in data}
    for name, value in data.items():
        if isinstance(value, str):
            value = value.strip()
        if instance._meta.get_field(name).is_relation and value is not None and not isinstance(value, Model):
            setattr(instance, attname(name), value)
        else:
            setattr(instance, name, value)
    instance.full_clean()
    return [name for name in data if getattr(instance, attname(name)) != before[name]]


# --- providers -----------------------------------------------------------------------------------------------


def _clean_locations(locations: Iterable[Location]) -> list[Location]:
    chosen = list(locations)
    if not chosen:
        raise ValidationError({"locations": _("Choose at least one location.")})
    return chosen


def provider_create(*, actor: Any, data: Mapping[str, Any], locations: Iterable[Location]) -> Provider:
    """Add a provider working at `locations` (PRACTICE_MANAGE at each)."""
    chosen = _clean_locations(locations)
    _authorize(actor=actor, permission=Perm.PRACTICE_MANAGE, action="provider.create", locations=chosen)
    _check_keys(data, PROVIDER_FIELDS)
    with transaction.atomic():
        provider = Provider()
        _apply(provider, data)
        provider.save()
        provider.locations.set(chosen)
        record(actor=actor, action="provider.created", target=provider,
               changed_fields=[*[n for n in data if data[n] not in ("", None)], "locations"])
    return provider


def provider_update(*, actor: Any, provider: Provider, data: Mapping[str, Any],
                    locations: Iterable[Location] | None = None) -> Provider:
    """Change a provider; moving them needs PRACTICE_MANAGE where they were and where they go."""
    _check_keys(data, PROVIDER_FIELDS)
    before = set(provider.locations.all())
    chosen = _clean_locations(locations) if locations is not None else list(before)
    _authorize(actor=actor, permission=Perm.PRACTICE_MANAGE, action="provider.update", target=provider,
               locations=before | set(chosen))
    with transaction.atomic():
        current = Provider.objects.select_for_update().get(pk=provider.pk)
        changed = _apply(current, data)
        if changed:
            current.save(update_fields=[*changed, "updated_at"])
        if set(chosen) != before:
            current.locations.set(chosen)
            changed.append("locations")
        if changed:
            record(actor=actor, action="provider.updated", target=current, changed_fields=changed)
    return current


# The weekly-hours page offers two periods a day; every writer keeps to it so that saving the page never drops one.
PERIODS_PER_DAY = 2


def _week_errors(periods: list[TemplatePeriod], provider_locations: set[int]) -> list[ValidationError]:
    """What is wrong with a whole week of periods (sorted by weekday and start)."""
    errors: list[ValidationError] = []
    for weekday, location, start, end in periods:
        if weekday not in Weekday.values:
            errors.append(ValidationError(_("Unknown weekday %(day)s."), params={"day": weekday}))
        elif end <= start:
            errors.append(ValidationError(_("%(day)s: the end %(end)s must be after the start %(start)s."),
                                          params={"day": Weekday(weekday).label, "start": f"{start:%H:%M}",
                                                  "end": f"{end:%H:%M}"}))
        if location.pk not in provider_locations:
            errors.append(ValidationError(_("%(location)s is not one of this provider's locations."),
                                          params={"location": location.name}))
    for earlier, later in pairwise(periods):
        if earlier[0] == later[0] and later[2] < earlier[3]:
            errors.append(ValidationError(
                _("%(day)s: %(a)s overlaps %(b)s."),
                params={"day": Weekday(later[0]).label, "a": f"{earlier[2]:%H:%M}–{earlier[3]:%H:%M}",
                        "b": f"{later[2]:%H:%M}–{later[3]:%H:%M}"}, code="overlap"))
    per_day: dict[int, int] = {}
    for weekday, *_rest in periods:
        per_day[weekday] = per_day.get(weekday, 0) + 1
    for weekday, count in sorted(per_day.items()):
        if count > PERIODS_PER_DAY and weekday in Weekday.values:
            errors.append(ValidationError(_("%(day)s: at most %(max)s periods a day."),
                                          params={"day": Weekday(weekday).label, "max": PERIODS_PER_DAY},
                                          code="too_many_periods"))
    return errors


def provider_set_templates(*, actor: Any, provider: Provider, periods: Iterable[TemplatePeriod]) -> list[ProviderTemplate]:
    """Replace a provider's weekly template, all at once or not at all. Periods may not overlap on a day
    (whatever the location) and must be at the provider's locations."""
    provider_locations = {loc.pk for loc in provider.locations.all()}
    clean = sorted(periods, key=lambda p: (p[0], p[2]))
    _authorize(actor=actor, permission=Perm.PRACTICE_MANAGE, action="provider.set_templates", target=provider,
               locations=provider_locations)
    errors = _week_errors(clean, provider_locations)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        Provider.objects.select_for_update().filter(pk=provider.pk).values_list("pk").first()
        provider.templates.all().delete()
        rows = [ProviderTemplate(provider=provider, weekday=w, location=loc, start=s, end=e) for w, loc, s, e in clean]
        for row in rows:
            row.full_clean(validate_unique=False)
        created = ProviderTemplate.objects.bulk_create(rows)
        record(actor=actor, action="provider.templates_set", target=provider, changed_fields=["templates"])
    return created


def provider_template_save(*, actor: Any, provider: Provider, period: TemplatePeriod,
                           template: ProviderTemplate | None = None) -> ProviderTemplate:
    """Add one period to a provider's week, or change `template` into `period`, checked against the rest of the
    week as it is under the provider's lock (two writers cannot both pass the check). The other periods keep
    their rows and ids."""
    provider_locations = {loc.pk for loc in provider.locations.all()}
    _authorize(actor=actor, permission=Perm.PRACTICE_MANAGE, action="provider.set_templates", target=provider,
               locations=provider_locations)
    if template is not None and template.provider_id != provider.pk:
        raise ValidationError(_("That period belongs to another provider."))
    with transaction.atomic():
        Provider.objects.select_for_update().filter(pk=provider.pk).values_list("pk").first()
        others = [(row.weekday, row.location, row.start, row.end)
                  for row in provider.templates.select_related("location")
                  if template is None or row.pk != template.pk]
        errors = _week_errors(sorted([*others, period], key=lambda p: (p[0], p[2])), provider_locations)
        if errors:
            raise ValidationError(errors)
        row = template or ProviderTemplate(provider=provider)
        row.weekday, row.location, row.start, row.end = period
        row.full_clean(validate_unique=False)
        row.save()
        record(actor=actor, action="provider.template_added" if template is None else "provider.template_changed",
               target=row, location_id=row.location_id, changed_fields=["weekday", "location", "start", "end"])
    return row


def provider_template_remove(*, actor: Any, template: ProviderTemplate) -> None:
    """Drop one period from a provider's week (the page does it by emptying the period)."""
    provider = template.provider
    _authorize(actor=actor, permission=Perm.PRACTICE_MANAGE, action="provider.set_templates", target=provider,
               locations={loc.pk for loc in provider.locations.all()})
    with transaction.atomic():
        Provider.objects.select_for_update().filter(pk=provider.pk).values_list("pk").first()
        removed, location_id = template.pk, template.location_id
        template.delete()
        record(actor=actor, action="provider.template_removed", object_type="scheduling.providertemplate",
               object_id=removed, location_id=location_id, reason=f"provider {provider.pk}")


def time_off_create(*, actor: Any, provider: Provider, starts_at: dt.datetime, ends_at: dt.datetime,
                    reason: str = "") -> TimeOff:
    """Block a provider's time. Booked appointments in that time stay; the front desk reschedules them."""
    _authorize(actor=actor, permission=Perm.SCHEDULE_MANAGE, action="time_off.create", target=provider,
               locations=[loc.pk for loc in provider.locations.all()])
    with transaction.atomic():
        time_off = TimeOff(provider=provider, starts_at=starts_at, ends_at=ends_at, reason=reason.strip())
        time_off.full_clean()
        time_off.save()
        record(actor=actor, action="time_off.created", target=time_off, changed_fields=["starts_at", "ends_at"])
    return time_off


# --- settings: appointment types and rooms ---------------------------------------------------------------------


def appointment_type_save(*, actor: Any, data: Mapping[str, Any],
                          appointment_type: AppointmentType | None = None) -> AppointmentType:
    """Create (no `appointment_type`) or change an appointment type: practice-wide, PRACTICE_MANAGE everywhere."""
    _authorize(actor=actor, permission=Perm.PRACTICE_MANAGE, action="appointment_type.save",
               locations=[None], target=appointment_type)
    _check_keys(data, APPOINTMENT_TYPE_FIELDS)
    with transaction.atomic():
        if appointment_type is None:
            current = AppointmentType()
            changed = _apply(current, data)
            current.save()
            record(actor=actor, action="appointment_type.created", target=current, changed_fields=list(data))
        else:
            current = AppointmentType.objects.select_for_update().get(pk=appointment_type.pk)
            changed = _apply(current, data)
            if changed:
                current.save(update_fields=[*changed, "updated_at"])
                record(actor=actor, action="appointment_type.updated", target=current, changed_fields=changed)
    return current


def room_save(*, actor: Any, data: Mapping[str, Any], room: Room | None = None) -> Room:
    """Create or change a room (PRACTICE_MANAGE at its location, and at the new one when it moves)."""
    _check_keys(data, ROOM_FIELDS)
    touched: list[Any] = [data["location"]] if data.get("location") is not None else []
    if room is not None:
        touched.append(room.location_id)
    if not touched:
        raise ValidationError({"location": _("Choose a location.")})
    _authorize(actor=actor, permission=Perm.PRACTICE_MANAGE, action="room.save", locations=touched, target=room)
    with transaction.atomic():
        current = Room() if room is None else Room.objects.select_for_update().get(pk=room.pk)
        changed = _apply(current, data)
        if room is None:
            current.save()
            record(actor=actor, action="room.created", target=current, changed_fields=list(data))
        elif changed:
            current.save(update_fields=[*changed, "updated_at"])
            record(actor=actor, action="room.updated", target=current, changed_fields=changed)
    return current


# --- appointments --------------------------------------------------------------------------------------------


class SlotTaken(ValidationError):
    """The provider or the room is already booked (or the provider is off) at that time."""


def _authorize_schedule(*, actor: Any, action: str, location: Location | int, target: Model | None = None) -> None:
    _authorize(actor=actor, permission=Perm.SCHEDULE_MANAGE, action=action, locations=[location], target=target)


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(practice_zone()).strftime("%m/%d/%Y %I:%M %p")


def _validate_placement(*, provider: Provider, location: Location, room: Room | None,
                        appointment_type: AppointmentType, starts_at: dt.datetime) -> dt.datetime:
    """Everything about where and when that does not need the lock; returns ends_at."""
    errors: dict[str, str] = {}
    if timezone.is_naive(starts_at):
        raise ValidationError({"starts_at": _("Give the start time with its time zone.")})
    if not provider.is_active:
        errors["provider"] = _("This provider is no longer active.")
    elif not provider.locations.filter(pk=location.pk).exists():
        errors["provider"] = _("%(provider)s does not work at %(location)s.") % {
            "provider": provider.display_name, "location": location.name}
    if not location.is_active:
        errors["location"] = _("This location is no longer active.")
    if not appointment_type.is_active:
        errors["appointment_type"] = _("This appointment type is no longer offered.")
    if room is not None:
        if room.location_id != location.pk:
            errors["room"] = _("The room is at another location.")
        elif not room.is_active:
            errors["room"] = _("This room is out of use.")
    elif appointment_type.needs_room:
        errors["room"] = _("A %(type)s needs a room.") % {"type": appointment_type.name}
    if errors:
        raise ValidationError(errors)
    return starts_at + dt.timedelta(minutes=appointment_type.duration_minutes)


def _lock_and_check_free(*, provider: Provider, room: Room | None, starts_at: dt.datetime, ends_at: dt.datetime,
                         exclude: int | None = None) -> None:
    """Take the provider's (and room's) row lock, then refuse any overlap. Must run inside the transaction
    that inserts or moves the appointment, so the next booking of the same provider waits for it."""
    Provider.objects.select_for_update().filter(pk=provider.pk).values_list("pk").first()
    if room is not None:
        Room.objects.select_for_update().filter(pk=room.pk).values_list("pk").first()
    busy = Appointment.objects.filter(overlapping(starts_at, ends_at), status__in=ACTIVE_STATUSES)
    if exclude is not None:
        busy = busy.exclude(pk=exclude)
    clash = busy.filter(provider=provider).order_by("starts_at").first()
    if clash is not None:
        raise SlotTaken({"starts_at": _("%(provider)s is already booked from %(start)s to %(end)s.") % {
            "provider": provider.display_name, "start": _local(clash.starts_at), "end": _local(clash.ends_at)}},
            code="double_booking")
    if room is not None:
        clash = busy.filter(room=room).order_by("starts_at").first()
        if clash is not None:
            raise SlotTaken({"room": _("%(room)s is already booked from %(start)s to %(end)s.") % {
                "room": room.name, "start": _local(clash.starts_at), "end": _local(clash.ends_at)}},
                code="double_booking")
    off = TimeOff.objects.filter(provider=provider, starts_at__lt=ends_at, ends_at__gt=starts_at).first()
    if off is not None:
        raise SlotTaken({"starts_at": _("%(provider)s is off from %(start)s to %(end)s.") % {
            "provider": provider.display_name, "start": _local(off.starts_at), "end": _local(off.ends_at)}},
            code="time_off")


def appointment_book(*, actor: Any, patient: Patient, provider: Provider, location: Location,
                     appointment_type: AppointmentType, starts_at: dt.datetime, room: Room | None = None,
                     notes: str = "") -> Appointment:
    """Book a visit. Refused with a clear message when the provider or room is taken at that time, even when
    two people book the same slot at the same moment."""
    _authorize_schedule(actor=actor, action="appointment.book", location=location)
    if not patient_scoped(actor=actor).filter(pk=patient.pk, is_active=True, merged_into__isnull=True).exists():
        raise ValidationError({"patient": _("Choose an active patient you may see.")})
    ends_at = _validate_placement(provider=provider, location=location, room=room,
                                  appointment_type=appointment_type, starts_at=starts_at)
    # Other apps' checks (workforce: an expired licence) refuse the booking or flag it.
    flags = booking_checks.check_booking(provider=provider, on=starts_at.astimezone(practice_zone()).date())
    with transaction.atomic():
        _lock_and_check_free(provider=provider, room=room, starts_at=starts_at, ends_at=ends_at)
        appointment = Appointment(
            patient=patient, provider=provider, location=location, room=room, appointment_type=appointment_type,
            starts_at=starts_at, ends_at=ends_at, notes=notes.strip(), created_by=actor,
        )
        appointment.full_clean()
        appointment.save(force_insert=True)
        record(actor=actor, action="appointment.booked", target=appointment, patient_id=patient.pk,
               location_id=location.pk,
               changed_fields=["patient", "provider", "location", "appointment_type", "starts_at", "ends_at",
                               *(["room"] if room else []), *(["notes"] if appointment.notes else [])])
        for flag in flags:
            record(actor=actor, action="appointment.booked_flagged", target=appointment, patient_id=patient.pk,
                   location_id=location.pk, reason=flag[:200])
        emit("appointment.booked", location_id=location.pk, data=appointment_event_data(appointment))
    appointment.booking_flags = flags  # type: ignore[attr-defined]  # for the caller to show
    return appointment


def appointment_event_data(appointment: Appointment) -> dict[str, Any]:
    """What a domain event (webhooks) says about an appointment: ids and times only, no patient details."""
    return {"appointment_id": appointment.pk, "patient_id": appointment.patient_id,
            "provider_id": appointment.provider_id, "location_id": appointment.location_id,
            "start": appointment.starts_at.isoformat(), "end": appointment.ends_at.isoformat(),
            "status": appointment.status}


def _locked(appointment: Appointment) -> Appointment:
    return Appointment.objects.select_for_update().get(pk=appointment.pk)


def _require_status(appointment: Appointment, allowed: Iterable[str], verb: str) -> None:
    if appointment.status not in allowed:
        raise ValidationError(
            _("A %(status)s appointment cannot be %(verb)s.") % {
                "status": appointment.get_status_display().lower(), "verb": verb},
            code="wrong_status")


def appointment_reschedule(*, actor: Any, appointment: Appointment, starts_at: dt.datetime,
                           provider: Provider | None = None, room: Room | None = None,
                           outside_hours_confirmed: bool = False) -> Appointment:
    """Move a booked visit to another time (and optionally to another provider or room; None keeps them).
    Same location: moving sites is a cancellation and a new booking. As in booking, a time outside the
    provider's weekly hours there is refused unless the desk confirms it, and a confirmed one is audited."""
    _authorize_schedule(actor=actor, action="appointment.reschedule", location=appointment.location_id,
                        target=appointment)
    new_provider = provider or appointment.provider
    new_room = room or appointment.room
    ends_at = _validate_placement(provider=new_provider, location=appointment.location, room=new_room,
                                  appointment_type=appointment.appointment_type, starts_at=starts_at)
    warning = outside_hours_warning(provider=new_provider, location=appointment.location, starts_at=starts_at,
                                    ends_at=ends_at)
    booking_checks.check_booking(provider=new_provider, on=starts_at.astimezone(practice_zone()).date())
    if warning and not outside_hours_confirmed:
        raise ValidationError({"outside_hours": warning}, code="outside_hours")
    with transaction.atomic():
        current = _locked(appointment)
        _require_status(current, [AppointmentStatus.BOOKED], _("rescheduled"))
        _lock_and_check_free(provider=new_provider, room=new_room, starts_at=starts_at, ends_at=ends_at,
                             exclude=current.pk)
        changes = {"starts_at": starts_at, "ends_at": ends_at, "provider_id": new_provider.pk,
                   "room_id": new_room.pk if new_room else None}
        changed = [name for name, value in changes.items() if getattr(current, name) != value]
        for name, value in changes.items():
            setattr(current, name, value)
        current.full_clean()
        if changed:
            # A new time needs a new reminder, and a confirmation was for the old time.
            current.reminder_sent_at = None
            current.confirmed_at = None
            current.save(update_fields=[*changed, "reminder_sent_at", "confirmed_at", "updated_at"])
            record(actor=actor, action="appointment.rescheduled", target=current, patient_id=current.patient_id,
                   location_id=current.location_id, changed_fields=[n.removesuffix("_id") for n in changed])
            if warning:
                record(actor=actor, action="appointment.rescheduled_outside_hours", target=current,
                       patient_id=current.patient_id, location_id=current.location_id, reason=warning[:200])
    return current


def _transition(*, actor: Any, appointment: Appointment, action: str, allowed: Iterable[str], verb: str,
                changes: Mapping[str, Any], reason: str = "") -> Appointment:
    _authorize_schedule(actor=actor, action=f"appointment.{action}", location=appointment.location_id,
                        target=appointment)
    with transaction.atomic():
        current = _locked(appointment)
        _require_status(current, allowed, verb)
        for name, value in changes.items():
            setattr(current, name, value)
        current.full_clean()
        current.save(update_fields=[*changes, "updated_at"])
        record(actor=actor, action=f"appointment.{action}", target=current, patient_id=current.patient_id,
               location_id=current.location_id, changed_fields=list(changes), reason=reason)
    return current


def appointment_cancel(*, actor: Any, appointment: Appointment, reason: str) -> Appointment:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"cancel_reason": _("Give the reason for the cancellation.")})
    # The reason may name the patient's circumstances: stored on the row, not copied into the audit trail
    # (nor into the domain event).
    with transaction.atomic():
        current = _transition(actor=actor, appointment=appointment, action="cancelled", verb=_("cancelled"),
                              allowed=[AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN],
                              changes={"status": AppointmentStatus.CANCELLED, "cancel_reason": reason[:200]})
        emit("appointment.cancelled", location_id=current.location_id, data=appointment_event_data(current))
    return current


def appointment_mark_no_show(*, actor: Any, appointment: Appointment) -> Appointment:
    if appointment.starts_at > timezone.now():
        raise ValidationError(_("An appointment can be marked no-show only once its start time has passed."),
                              code="not_yet")
    return _transition(actor=actor, appointment=appointment, action="no_show", verb=_("marked no-show"),
                       allowed=[AppointmentStatus.BOOKED], changes={"status": AppointmentStatus.NO_SHOW})


@dataclass
class CheckIn:
    appointment: Appointment
    warnings: list[str] = field(default_factory=list)
    copay_due: Decimal | None = None
    payment: CopayPayment | None = None


def _receipt_number(now: dt.datetime) -> str:
    return f"CP{now.astimezone(practice_zone()):%Y%m%d}-{secrets.token_hex(4).upper()}"


def _copay_amount(value: Any) -> Decimal:
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({"copay_amount": _("Enter the amount as a number, e.g. 25.00.")}) from exc
    if not amount.is_finite() or amount <= 0:
        raise ValidationError({"copay_amount": _("The amount must be more than zero.")})
    if amount != amount.quantize(Decimal("0.01")) or amount >= Decimal("100000000"):
        raise ValidationError({"copay_amount": _("Enter dollars and cents, e.g. 25.00.")})
    return amount


def appointment_check_in(*, actor: Any, appointment: Appointment, copay_amount: Any = None,
                         copay_method: str = "") -> CheckIn:
    """Mark the patient arrived; tell the desk about coverage and the copay due; record a copay if one was
    collected. No coverage active on the date of service is a warning, never a block."""
    _authorize_schedule(actor=actor, action="appointment.check_in", location=appointment.location_id,
                        target=appointment)
    amount = _copay_amount(copay_amount) if copay_amount not in (None, "") else None
    if amount is not None and copay_method not in PaymentMethod.values:
        raise ValidationError({"copay_method": _("Choose cash, card or check.")})
    now = timezone.now()
    with transaction.atomic():
        current = _locked(appointment)
        _require_status(current, [AppointmentStatus.BOOKED], _("checked in"))
        service_date = current.starts_at.astimezone(practice_zone()).date()
        coverages = coverages_active_on(actor=actor, patient=current.patient, on_date=service_date)
        result = CheckIn(appointment=current, copay_due=primary_copay_due(coverages))
        if not coverages:
            result.warnings.append(_("No insurance coverage is active on %(date)s: check the patient's insurance "
                                     "or treat the visit as self-pay.") % {"date": f"{service_date:%m/%d/%Y}"})
        current.status = AppointmentStatus.CHECKED_IN
        current.checked_in_at = now
        current.save(update_fields=["status", "checked_in_at", "updated_at"])
        record(actor=actor, action="appointment.checked_in", target=current, patient_id=current.patient_id,
               location_id=current.location_id, changed_fields=["status", "checked_in_at"])
        if amount is not None:
            payment = CopayPayment(appointment=current, amount=amount, method=copay_method, received_by=actor,
                                   received_at=now, receipt_number=_receipt_number(now))
            payment.full_clean()
            payment.save(force_insert=True)
            record(actor=actor, action="copay.received", target=payment, patient_id=current.patient_id,
                   location_id=current.location_id, changed_fields=["amount", "method"])
            result.payment = payment
    return result


def appointment_check_out(*, actor: Any, appointment: Appointment) -> Appointment:
    """The visit is over: completed, so billing can create its charges."""
    return _transition(actor=actor, appointment=appointment, action="checked_out", verb=_("checked out"),
                       allowed=[AppointmentStatus.CHECKED_IN],
                       changes={"status": AppointmentStatus.COMPLETED, "checked_out_at": timezone.now()})


def copay_due_for(*, actor: Any, appointment: Appointment) -> tuple[Decimal | None, bool]:
    """(copay due from the primary coverage active on the date of service, whether any coverage is active)."""
    service_date = appointment.starts_at.astimezone(practice_zone()).date()
    coverages = coverages_active_on(actor=actor, patient=appointment.patient, on_date=service_date)
    return primary_copay_due(coverages), bool(coverages)


def appointments_move_to_survivor(*, actor: Any, survivor: Patient, duplicate: Patient) -> int:
    """After two patient records are merged, the duplicate's appointments belong to the survivor.

    Runs inside the merge's transaction (patients.services.patient_merge announces the merge through
    `patient_merged`, because patients may not import scheduling); audited once with the count."""
    moved = Appointment.objects.filter(patient=duplicate).update(patient=survivor)
    WaitlistEntry.objects.filter(patient=duplicate).update(patient=survivor)
    if moved:
        record(actor=actor, action="appointments.moved_on_merge", target=survivor, patient_id=survivor.pk,
               reason=f"{moved} appointment(s) from patient {duplicate.pk}")
    return moved


# --- time off, referring providers, booking against the weekly template (round 2) -----------------------------


def time_off_delete(*, actor: Any, time_off: TimeOff) -> None:
    """Give a provider's blocked time back to the schedule (SCHEDULE_MANAGE at all the provider's locations,
    the same rule as adding it)."""
    provider = time_off.provider
    _authorize(actor=actor, permission=Perm.SCHEDULE_MANAGE, action="time_off.delete", target=time_off,
               locations=[loc.pk for loc in provider.locations.all()])
    with transaction.atomic():
        current = TimeOff.objects.select_for_update().filter(pk=time_off.pk).first()
        if current is None:
            raise ValidationError(_("This time off was already removed."), code="gone")
        # The row disappears: keep what it was in the audit trail.
        reason = f"provider {current.provider_id}: {current.starts_at.isoformat()} – {current.ends_at.isoformat()}"
        record(actor=actor, action="time_off.deleted", target=current, reason=reason,
               changed_fields=["starts_at", "ends_at"])
        current.delete()


REFERRING_PROVIDER_FIELDS: tuple[str, ...] = ("first_name", "last_name", "npi", "taxonomy_code", "phone", "fax")


def referring_provider_save(*, actor: Any, data: Mapping[str, Any],
                            referring_provider: ReferringProvider | None = None) -> ReferringProvider:
    """Create (no `referring_provider`) or change a clinician outside the practice. They are practice-wide
    reference data: SCHEDULE_MANAGE at any location suffices, since the desk that takes the referral adds them."""
    if not can(actor, Perm.SCHEDULE_MANAGE):
        raise _refuse(actor=actor, permission=Perm.SCHEDULE_MANAGE, action="referring_provider.save",
                      target=referring_provider)
    _check_keys(data, REFERRING_PROVIDER_FIELDS)
    with transaction.atomic():
        if referring_provider is None:
            current = ReferringProvider()
            _apply(current, data)
            current.save()
            record(actor=actor, action="referring_provider.created", target=current,
                   changed_fields=[n for n in data if data[n] not in ("", None)])
        else:
            current = ReferringProvider.objects.select_for_update().get(pk=referring_provider.pk)
            changed = _apply(current, data)
            if changed:
                current.save(update_fields=[*changed, "updated_at"])
                record(actor=actor, action="referring_provider.updated", target=current, changed_fields=changed)
    return current


def appointment_book_checking_hours(*, actor: Any, patient: Patient, provider: Provider, location: Location,
                                    appointment_type: AppointmentType, starts_at: dt.datetime,
                                    room: Room | None = None, notes: str = "",
                                    outside_hours_confirmed: bool = False) -> Appointment:
    """appointment_book, but a time outside the provider's weekly hours at that location is refused unless the
    desk confirms it explicitly; a confirmed out-of-hours booking is audited as such."""
    _authorize_schedule(actor=actor, action="appointment.book", location=location)
    warning = None
    if timezone.is_aware(starts_at):
        warning = outside_hours_warning(
            provider=provider, location=location, starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(minutes=appointment_type.duration_minutes))
    if warning and not outside_hours_confirmed:
        raise ValidationError({"book_outside_hours": warning}, code="outside_hours")
    with transaction.atomic():
        appointment = appointment_book(actor=actor, patient=patient, provider=provider, location=location,
                                       appointment_type=appointment_type, starts_at=starts_at, room=room,
                                       notes=notes)
        if warning:
            record(actor=actor, action="appointment.booked_outside_hours", target=appointment,
                   patient_id=patient.pk, location_id=location.pk, reason=warning[:200])
    return appointment
