"""Safety-log writes: checkpoints (facilities.manage at the location), readings and checks, corrections, corrective
actions and work orders from an entry (facilities.view at the checkpoint's location: the clinical staff who take
the readings), the alert mail, the missing-entry summary and the inspection-ready report as a PDF.

Rules the service holds, whatever the caller sends:
- a temperature needs its reading; whether it passed is computed here from the checkpoint's range, never taken
  from the caller; a check (autoclave cycle, spore test, eyewash, extinguisher, AED) is a pass or a fail;
- one current entry per checkpoint, day and slot (am/pm for twice-daily checks, "day" otherwise): a second one is
  refused; a correction is a new entry that supersedes the first, which stays as it was written;
- no entry for a future day; a late entry up to BACKDATE_DAYS days back, with a note saying why;
- an entry out of range (or a failed check) alerts the location's facilities managers by mail once the
  transaction commits (`alerted_at` says when the mail went out); it stays flagged until someone records the
  corrective action.
A refusal is audited and changes nothing; every change is audited with the checkpoint's location.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.models import AuditEvent
from openpractice.audit.services import record
from openpractice.core.models import Location
from openpractice.core.pdf import render_pdf
from openpractice.core.selectors import practice_get, practice_settings, practice_timezone_name, practice_today

from .. import selectors_safety as selectors
from ..choices import Priority, SafetyCheckKind, SafetyFrequency, WorkOrderSource
from ..models import Asset, SafetyCheckpoint, SafetyLogEntry, WorkOrder
from ..selectors_safety import BACKDATE_DAYS, TEMPERATURE_KINDS, slots_for
from .work_orders_open import work_order_open

logger = logging.getLogger(__name__)

UNITS = ("°F", "°C")
READING_LIMIT = Decimal("999.9")
TENTH = Decimal("0.1")
ACTION_MAX_LENGTH = 2000
MISSING_REMINDER_ACTION = "facilities.safety_missing_reminded"
CHECKPOINT_FIELDS = ("location", "room", "name", "kind", "frequency", "asset", "minimum", "maximum", "unit",
                     "is_active")


def _authorize(actor: Any, permission: str, location_id: int, action: str, target: Any) -> None:
    if not can(actor, permission, location_id):
        raise refuse(actor=actor, permission=permission, action=action, target=target)


def _link(name: str, pk: int) -> str:
    return str(settings.OPENPRACTICE_BASE_URL or "").rstrip("/") + reverse(name, kwargs={"pk": pk})


# --- checkpoints -----------------------------------------------------------------------------------------------


def _decimal(value: Any, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({field: _("Enter a number.")}) from exc
    if not number.is_finite() or abs(number) > READING_LIMIT:
        raise ValidationError({field: _("Enter a number between -999.9 and 999.9.")})
    if number != number.quantize(TENTH):
        raise ValidationError({field: _("Give the value to one decimal place at most.")})
    return number.quantize(TENTH)


def _checkpoint_values(data: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {name: data.get(name) for name in CHECKPOINT_FIELDS}
    values["room"] = str(values["room"] or "").strip()
    values["name"] = str(values["name"] or "").strip()
    values["is_active"] = bool(values["is_active"]) if "is_active" in data else True
    errors: dict[str, str] = {}
    if not isinstance(values["location"], Location):
        errors["location"] = _("Choose a location.")
    if not values["name"]:
        errors["name"] = _("Name the checkpoint, e.g. “Vaccine refrigerator, lab”.")
    if values["kind"] not in SafetyCheckKind.values:
        errors["kind"] = _("Choose what is checked.")
    if values["frequency"] not in SafetyFrequency.values:
        errors["frequency"] = _("Choose how often it is checked.")
    if errors:
        raise ValidationError(errors)
    if values["kind"] in TEMPERATURE_KINDS:
        values["minimum"] = _decimal(values["minimum"], "minimum")
        values["maximum"] = _decimal(values["maximum"], "maximum")
        values["unit"] = str(values["unit"] or "").strip()
        if values["minimum"] is None:
            errors["minimum"] = _("A temperature needs its lowest acceptable value.")
        if values["maximum"] is None:
            errors["maximum"] = _("A temperature needs its highest acceptable value.")
        if values["unit"] not in UNITS:
            errors["unit"] = _("Choose °F or °C.")
        if (values["minimum"] is not None and values["maximum"] is not None
                and values["minimum"] >= values["maximum"]):
            errors["maximum"] = _("The highest acceptable value must be above the lowest.")
    else:  # a pass/fail check has no range
        values["minimum"] = values["maximum"] = None
        values["unit"] = ""
    asset = values["asset"]
    if asset is not None and (not isinstance(asset, Asset) or asset.location_id != values["location"].pk):
        errors["asset"] = _("Choose equipment at the checkpoint's location.")
    if errors:
        raise ValidationError(errors)
    return values


def _save_checkpoint(checkpoint: SafetyCheckpoint, values: dict[str, Any], fields: list[str] | None) -> None:
    for name, value in values.items():
        setattr(checkpoint, name, value)
    checkpoint.full_clean()
    if fields is None:
        checkpoint.save(force_insert=True)
    else:
        checkpoint.save(update_fields=[*fields, "updated_at"])


def _stored(checkpoint: SafetyCheckpoint, name: str) -> Any:
    return getattr(checkpoint, f"{name}_id") if name in ("location", "asset") else getattr(checkpoint, name)


def _given(values: dict[str, Any], name: str) -> Any:
    value = values[name]
    return getattr(value, "pk", None) if name in ("location", "asset") else value


def checkpoint_create(*, actor: Any, data: Mapping[str, Any]) -> SafetyCheckpoint:
    """Set up something to check and log at a location (facilities.manage there)."""
    location = data.get("location")
    if isinstance(location, Location):
        _authorize(actor, Perm.FACILITIES_MANAGE, location.pk, "facilities.checkpoint_create", location)
    values = _checkpoint_values(data)
    checkpoint = SafetyCheckpoint()
    with transaction.atomic():
        _save_checkpoint(checkpoint, values, None)
        record(actor=actor, action="facilities.checkpoint_created", target=checkpoint,
               location_id=checkpoint.location_id, changed_fields=list(CHECKPOINT_FIELDS))
    return checkpoint


def checkpoint_update(*, actor: Any, checkpoint: SafetyCheckpoint, data: Mapping[str, Any]) -> SafetyCheckpoint:
    """Change a checkpoint (facilities.manage at its location, and at the new one when it moves). Its kind and
    location stay once entries are logged: the log must keep meaning what it meant."""
    _authorize(actor, Perm.FACILITIES_MANAGE, checkpoint.location_id, "facilities.checkpoint_update", checkpoint)
    location = data.get("location")
    if isinstance(location, Location) and location.pk != checkpoint.location_id:
        _authorize(actor, Perm.FACILITIES_MANAGE, location.pk, "facilities.checkpoint_update", checkpoint)
    values = _checkpoint_values(data)
    with transaction.atomic():
        locked = SafetyCheckpoint.objects.select_for_update().get(pk=checkpoint.pk)
        if locked.entries.exists():
            errors = {}
            if values["kind"] != locked.kind:
                errors["kind"] = _("Entries are logged under this kind: set up a new checkpoint instead.")
            if _given(values, "location") != locked.location_id:
                errors["location"] = _("Entries are logged at this location: set up a new checkpoint instead.")
            if errors:
                raise ValidationError(errors)
        changed = [name for name in CHECKPOINT_FIELDS if _stored(locked, name) != _given(values, name)]
        if not changed:
            return locked
        _save_checkpoint(locked, {name: values[name] for name in changed}, changed)
        record(actor=actor, action="facilities.checkpoint_updated", target=locked, location_id=locked.location_id,
               changed_fields=changed)
    for name in CHECKPOINT_FIELDS:
        setattr(checkpoint, name, getattr(locked, name))
    checkpoint.updated_at = locked.updated_at
    return locked


# --- entries ---------------------------------------------------------------------------------------------------


def _slot(checkpoint: SafetyCheckpoint, slot: str | None) -> str:
    allowed = slots_for(checkpoint.frequency)
    slot = (slot or "").strip()
    if not slot and len(allowed) == 1:
        return allowed[0]
    if slot not in allowed:
        raise ValidationError({"slot": _("Choose morning or afternoon.") if len(allowed) > 1
                               else _("This check is logged once a day: leave the time of day out.")})
    return slot


def _check_date(log_date: Any, today: dt.date, notes: str) -> dt.date:
    if not isinstance(log_date, dt.date) or isinstance(log_date, dt.datetime):
        raise ValidationError({"log_date": _("Enter the date of the check.")})
    if log_date > today:
        raise ValidationError({"log_date": _("An entry cannot be made for a day still to come.")})
    if log_date < today - dt.timedelta(days=BACKDATE_DAYS):
        raise ValidationError({"log_date": _("Entries may be made up to %(days)s days late. Older gaps stay "
                                             "marked as missing.") % {"days": BACKDATE_DAYS}})
    if log_date < today and not notes:
        raise ValidationError({"notes": _("Say why the entry is made late (and where it was noted on the "
                                          "day).")})
    return log_date


def _result(checkpoint: SafetyCheckpoint, value: Any, passed: Any) -> tuple[Decimal | None, bool]:
    """(reading, passed): a temperature is judged against the checkpoint's range here; a check is pass/fail."""
    if checkpoint.kind in TEMPERATURE_KINDS:
        reading = _decimal(value, "value")
        if reading is None:
            raise ValidationError({"value": _("Enter the temperature read.")})
        if checkpoint.minimum is None or checkpoint.maximum is None:
            raise ValidationError(_("This checkpoint has no acceptable range: a manager must set it first."))
        return reading, checkpoint.minimum <= reading <= checkpoint.maximum
    if value not in (None, ""):
        raise ValidationError({"value": _("This check is a pass or a fail, not a reading.")})
    if not isinstance(passed, bool):
        raise ValidationError({"passed": _("Say whether the check passed.")})
    return None, passed


def _notes(notes: Any) -> str:
    text = str(notes or "").strip()
    if len(text) > 300:
        raise ValidationError({"notes": _("Keep the note to 300 characters.")})
    return text


def _lock_checkpoint(checkpoint: SafetyCheckpoint) -> SafetyCheckpoint:
    """The checkpoint's row, locked: entries of one checkpoint are written one at a time (SQLite's writers take
    turns anyway)."""
    return SafetyCheckpoint.objects.select_for_update().select_related("location").get(pk=checkpoint.pk)


def safety_entry_record(*, actor: Any, checkpoint: SafetyCheckpoint, log_date: dt.date | None = None,
                        slot: str = "", value: Any = None, passed: bool | None = None,
                        notes: str = "") -> SafetyLogEntry:
    """Log a reading or a check. Out of range or failed: the managers are alerted once it is saved."""
    _authorize(actor, Perm.FACILITIES_VIEW, checkpoint.location_id, "facilities.safety_entry_record", checkpoint)
    today = practice_today()
    notes = _notes(notes)
    log_date = _check_date(today if log_date is None else log_date, today, notes)
    slot = _slot(checkpoint, slot)
    with transaction.atomic():
        locked = _lock_checkpoint(checkpoint)
        if not locked.is_active:
            raise ValidationError(_("This checkpoint is no longer in use."))
        value, passed = _result(locked, value, passed)
        taken = SafetyLogEntry.objects.filter(checkpoint=locked, log_date=log_date, slot=slot,
                                              superseded_by__isnull=True).first()
        if taken is not None:
            raise ValidationError(_("%(when)s is already logged (%(by)s). To change it, correct that entry.")
                                  % {"when": _when(log_date, slot), "by": _who(taken.recorded_by)},
                                  code="already_logged")
        entry = SafetyLogEntry(checkpoint=locked, log_date=log_date, slot=slot, recorded_by=actor, value=value,
                               passed=passed, notes=notes)
        entry.full_clean()
        entry.save(force_insert=True)
        record(actor=actor, action="facilities.safety_entry_recorded", target=entry,
               location_id=locked.location_id, reason="passed" if passed else "out of range or failed")
        if not passed:
            transaction.on_commit(partial(alert_send, entry_id=entry.pk))
    return entry


def safety_entry_correct(*, actor: Any, entry: SafetyLogEntry, value: Any = None, passed: bool | None = None,
                         notes: str = "") -> SafetyLogEntry:
    """Correct an entry: a new entry for the same day and slot that supersedes it (the first one stays in the
    history). Still out of range after an alerted one: the alert and any corrective action carry over; newly out
    of range: the managers are alerted."""
    checkpoint = entry.checkpoint
    _authorize(actor, Perm.FACILITIES_VIEW, checkpoint.location_id, "facilities.safety_entry_correct", entry)
    notes = _notes(notes)
    if not notes:
        raise ValidationError({"notes": _("Say why the entry is corrected.")})
    if entry.log_date < practice_today() - dt.timedelta(days=BACKDATE_DAYS):
        raise ValidationError(_("Entries older than %(days)s days can no longer be corrected.")
                              % {"days": BACKDATE_DAYS}, code="closed")
    with transaction.atomic():
        locked_checkpoint = _lock_checkpoint(checkpoint)
        old = SafetyLogEntry.objects.select_for_update().get(pk=entry.pk)
        if old.superseded_by_id is not None:
            raise ValidationError(_("This entry was already corrected: correct the latest one."),
                                  code="superseded")
        value, passed = _result(locked_checkpoint, value, passed)
        new = SafetyLogEntry(checkpoint=locked_checkpoint, log_date=old.log_date, slot=old.slot, recorded_by=actor,
                             value=value, passed=passed, notes=notes)
        if not passed and not old.passed:
            new.alerted_at = old.alerted_at
            new.corrective_action = old.corrective_action
            new.corrective_action_by = old.corrective_action_by
            new.corrective_action_at = old.corrective_action_at
        new.full_clean()
        new.save(force_insert=True)
        old.superseded_by = new
        old.save(update_fields=["superseded_by"])
        record(actor=actor, action="facilities.safety_entry_corrected", target=new,
               location_id=locked_checkpoint.location_id, changed_fields=["value", "passed", "notes"],
               reason=f"supersedes entry {old.pk}")
        if not passed and new.alerted_at is None:
            transaction.on_commit(partial(alert_send, entry_id=new.pk))
    entry.superseded_by = new
    return new


def safety_entry_act(*, actor: Any, entry: SafetyLogEntry, action: str) -> SafetyLogEntry:
    """Record what was done about an entry out of range or a failed check (vaccines moved, the unit serviced, the
    technician called …): the flag clears."""
    _authorize(actor, Perm.FACILITIES_VIEW, entry.checkpoint.location_id, "facilities.safety_action_record", entry)
    text = str(action or "").strip()
    if not text:
        raise ValidationError({"corrective_action": _("Describe the corrective action taken.")})
    if len(text) > ACTION_MAX_LENGTH:
        raise ValidationError({"corrective_action": _("Keep it to %(count)s characters.")
                               % {"count": ACTION_MAX_LENGTH}})
    with transaction.atomic():
        locked = SafetyLogEntry.objects.select_for_update().get(pk=entry.pk)
        if locked.superseded_by_id is not None:
            raise ValidationError(_("This entry was corrected: record the action on the latest entry."))
        if locked.passed:
            raise ValidationError(_("This entry is within range: no corrective action is needed."))
        if locked.corrective_action:
            raise ValidationError(_("The corrective action is already recorded."))
        locked.corrective_action, locked.corrective_action_by = text, actor
        locked.corrective_action_at = timezone.now()
        fields = ["corrective_action", "corrective_action_by", "corrective_action_at"]
        locked.save(update_fields=fields)
        record(actor=actor, action="facilities.safety_action_recorded", target=locked,
               location_id=entry.checkpoint.location_id, changed_fields=fields)
    for name in ("corrective_action", "corrective_action_by", "corrective_action_at"):
        setattr(entry, name, getattr(locked, name))
    return locked


def safety_entry_work_order(*, actor: Any, entry: SafetyLogEntry) -> WorkOrder:
    """Open a work order for the equipment from an entry out of range or a failed check (urgent for a
    refrigerator or freezer: vaccines are at stake). One open work order per entry."""
    checkpoint = entry.checkpoint
    _authorize(actor, Perm.FACILITIES_VIEW, checkpoint.location_id, "facilities.safety_work_order_open", entry)
    with transaction.atomic():
        locked = SafetyLogEntry.objects.select_for_update().get(pk=entry.pk)
        if locked.passed:
            raise ValidationError(_("This entry is within range: there is nothing to repair."))
        if locked.superseded_by_id is not None:
            raise ValidationError(_("This entry was corrected: open the work order from the latest entry."))
        # The entry and the ones it corrected: a work order opened before the correction still counts.
        same_slot = SafetyLogEntry.objects.filter(checkpoint_id=locked.checkpoint_id, log_date=locked.log_date,
                                                  slot=locked.slot)
        open_order = next((order for order in WorkOrder.objects.filter(safety_entry__in=same_slot).order_by("pk")
                           if order.is_open), None)
        if open_order is not None:
            raise ValidationError(_("Work order %(number)s is already open for this entry.")
                                  % {"number": open_order.number}, code="already_open")
        if locked.value is not None:
            finding = _("Read %(value)s %(unit)s on %(when)s; acceptable %(low)s to %(high)s %(unit)s.") % {
                "value": locked.value, "unit": checkpoint.unit, "when": _when(locked.log_date, locked.slot),
                "low": checkpoint.minimum, "high": checkpoint.maximum}
            title = _("%(name)s out of range (%(value)s %(unit)s)") % {
                "name": checkpoint.name, "value": locked.value, "unit": checkpoint.unit}
        else:
            finding = _("Failed on %(when)s.") % {"when": _when(locked.log_date, locked.slot)}
            title = _("%(name)s failed its check") % {"name": checkpoint.name}
        description = "\n".join(part for part in (finding, locked.notes, locked.corrective_action) if part)
        priority = Priority.URGENT if checkpoint.kind in TEMPERATURE_KINDS else Priority.HIGH
        return work_order_open(actor=actor, location=checkpoint.location, title=title[:160],
                               description=description, room=checkpoint.room, asset=checkpoint.asset,
                               priority=priority, source=WorkOrderSource.SAFETY, safety_entry=locked)


def _when(log_date: dt.date, slot: str) -> str:
    label = selectors.slot_label(slot)
    return f"{log_date:%m/%d/%Y} {label}".strip()


def _who(user: Any) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else _("the system")


# --- mail ------------------------------------------------------------------------------------------------------


def _mail(template: str, context: dict[str, Any], addresses: list[str]) -> list[EmailMessage]:
    context = {"practice_name": practice_settings().name, **context}
    with timezone.override(practice_timezone_name()):
        subject = " ".join(render_to_string(f"facilities/email/{template}_subject.txt", context).split())
        body = render_to_string(f"facilities/email/{template}.txt", context)
    return [EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[address])
            for address in addresses]


def _addresses(location_id: int) -> list[str]:
    return list(dict.fromkeys(user.email.lower() for user in selectors.safety_managers(location_id)))


def alert_send(*, entry_id: int) -> bool:
    """Mail the location's facilities managers about an entry out of range or a failed check, once: `alerted_at`
    is set under a lock on the entry when the mail went out. The mail server down: the entry stays flagged, and
    the daily job tries again."""
    try:
        with transaction.atomic():
            entry = (SafetyLogEntry.objects.select_for_update(of=("self",))
                     .select_related("checkpoint__location", "recorded_by").filter(pk=entry_id).first())
            if (entry is None or entry.passed or entry.alerted_at is not None
                    or entry.superseded_by_id is not None):
                return False
            checkpoint = entry.checkpoint
            addresses = _addresses(checkpoint.location_id)
            if not addresses:
                logger.warning("Safety alert for entry %s: nobody holds facilities.manage at location %s",
                               entry_id, checkpoint.location_id)
                return False
            get_connection(fail_silently=False).send_messages(_mail("safety_alert", {
                "entry": entry, "checkpoint": checkpoint, "location": checkpoint.location,
                "when": _when(entry.log_date, entry.slot), "who": _who(entry.recorded_by),
                "link": _link("facilities:safetylog_detail", entry.pk)}, addresses))
            entry.alerted_at = timezone.now()
            entry.save(update_fields=["alerted_at"])
            record(actor=None, action="facilities.safety_alert_sent", target=entry,
                   location_id=checkpoint.location_id, reason=f"{len(addresses)} recipients")
    except (OSError, smtplib.SMTPException):
        logger.warning("Safety alert for entry %s not sent: mail server unavailable", entry_id, exc_info=True)
        return False
    return True


def _missing_reminder_send(*, location_id: int, day: dt.date, slots: list[selectors.Slot]) -> int:
    """One summary per location and day, however many workers run the job: the claim is the audit event, looked
    for under a lock on the location's row and written in the same transaction (as compliance's BAA reminders)."""
    key = day.isoformat()
    try:
        with transaction.atomic():
            location = Location.objects.select_for_update().filter(pk=location_id).first()
            if location is None:
                return 0
            if AuditEvent.objects.filter(action=MISSING_REMINDER_ACTION, object_type=location._meta.label_lower,
                                         object_id=str(location.pk), reason=key).exists():
                return 0
            addresses = _addresses(location.pk)
            if not addresses:
                return 0
            get_connection(fail_silently=False).send_messages(_mail("safety_missing", {
                "location": location, "day": day, "slots": slots,
                "link": str(settings.OPENPRACTICE_BASE_URL or "").rstrip("/")
                + reverse("facilities:safetylog_missing") + f"?location={location.pk}"}, addresses))
            record(actor=None, action=MISSING_REMINDER_ACTION, target=location, location_id=location.pk, reason=key)
    except (OSError, smtplib.SMTPException):
        logger.warning("Missing-entry summary for location %s not sent: mail server unavailable", location_id,
                       exc_info=True)
        return 0
    return 1


def safety_jobs_run(*, today: dt.date | None = None) -> tuple[int, int]:
    """The early-morning run: mail each location's facilities managers the entries missing yesterday (once per
    location and day), and send again the alerts the mail server refused (entries of the last BACKDATE_DAYS days
    still waiting for their corrective action). Returns (summaries sent, alerts sent)."""
    today = today or practice_today()
    yesterday = today - dt.timedelta(days=1)
    checkpoints = list(selectors.with_first_entry(
        SafetyCheckpoint.objects.filter(is_active=True, location__is_active=True).select_related("location")))
    by_location: dict[int, list[selectors.Slot]] = {}
    for slot in selectors.missing_for(checkpoints, since=yesterday, until=yesterday):
        by_location.setdefault(slot.checkpoint.location_id, []).append(slot)
    summaries = sum(_missing_reminder_send(location_id=location_id, day=yesterday, slots=slots)
                    for location_id, slots in sorted(by_location.items()))
    unsent = SafetyLogEntry.objects.filter(
        passed=False, alerted_at__isnull=True, corrective_action="", superseded_by__isnull=True,
        log_date__gte=today - dt.timedelta(days=BACKDATE_DAYS)).order_by("pk").values_list("pk", flat=True)
    alerts = sum(alert_send(entry_id=pk) for pk in list(unsent))
    return summaries, alerts


# --- the inspection-ready report -------------------------------------------------------------------------------


def report_context(*, actor: Any, location: Location, since: dt.date, until: dt.date) -> dict[str, Any]:
    sections = selectors.report(actor=actor, location=location, since=since, until=until)
    return {
        "location": location, "since": since, "until": until, "sections": sections, "practice": practice_get(),
        "generated_at": timezone.now(), "generated_by": _who(actor),
        "totals": {
            "entries": sum(section.entries for section in sections),
            "out_of_range": sum(section.out_of_range for section in sections),
            "missing": sum(section.missing for section in sections),
            "open_alerts": sum(section.open_alerts for section in sections),
        },
    }


def safety_report_pdf(*, actor: Any, location: Location, since: dt.date, until: dt.date) -> bytes:
    """The inspection-ready safety log of a location for a date range, as a PDF (facilities.view there); the
    export is audited."""
    _authorize(actor, Perm.FACILITIES_VIEW, location.pk, "facilities.safety_report_export", location)
    if since > until:
        raise ValidationError({"until": _("The end of the range must not be before its start.")})
    if (until - since).days >= selectors.MAX_RANGE_DAYS:
        raise ValidationError({"until": _("Choose a range of at most a year.")})
    with timezone.override(practice_timezone_name()):  # times as the practice reads them, in a task too
        html = render_to_string("facilities/safety/report_pdf.html",
                                report_context(actor=actor, location=location, since=since, until=until))
    pdf = render_pdf(html)
    record(actor=actor, action="facilities.safety_report_exported", target=location, location_id=location.pk,
           reason=f"{since.isoformat()} to {until.isoformat()}")
    return pdf
