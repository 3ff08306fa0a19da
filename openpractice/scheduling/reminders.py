"""Appointment reminders: the practice's policy, the emails the background task sends, and what the patient
does with the links in them.

The links are signed (django.core.signing, own salt) and carry the appointment's id, the action and a keyed
fingerprint of the start time they were sent for (not the time itself); they stop working when the appointment
starts or is moved, once used, and after the signature's own age limit. Nothing about the patient is in the URL.
A reminder is claimed with a conditional UPDATE (reminder_sent_at IS NULL) before it is sent, so two workers
running the task at once never send the same reminder twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import has_all_locations
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record, record_denied
from openpractice.core.events import emit
from openpractice.core.selectors import practice_settings

from .choices import AppointmentStatus
from .models import Appointment, ReminderPolicy
from .selectors import practice_zone

logger = logging.getLogger(__name__)

SIGNING_SALT = "openpractice.scheduling.reminder-link"
CONFIRM = "confirm"
CANCEL = "cancel"
ACTIONS = (CONFIRM, CANCEL)
# The appointment's start is the real limit; this caps a link whose appointment was moved much later.
LINK_MAX_AGE = dt.timedelta(hours=168 + 24)
PATIENT_CANCEL_REASON = "cancelled by patient via reminder link"
# Appointments looked at per run of the task (it runs every five minutes; the rest wait for the next run).
BATCH_SIZE = 500


# --- the policy ----------------------------------------------------------------------------------------------


def reminder_policy() -> ReminderPolicy:
    """The saved policy, or the default (on, 24 hours) before anyone has saved one."""
    return ReminderPolicy.objects.filter(pk=ReminderPolicy.SINGLETON_PK).first() or ReminderPolicy(
        pk=ReminderPolicy.SINGLETON_PK)


def reminder_policy_update(*, actor: Any, enabled: bool, hours_before: int) -> ReminderPolicy:
    """Change the practice-wide policy: SCHEDULE_MANAGE at every location (it affects them all)."""
    if not has_all_locations(actor, Perm.SCHEDULE_MANAGE):
        record_denied(actor=actor, action="reminder_policy.update", object_type="scheduling.reminderpolicy",
                      object_id=str(ReminderPolicy.SINGLETON_PK), reason=f"{Perm.SCHEDULE_MANAGE} at all locations required")
        raise PermissionDenied(_("You may not make this change."))
    with transaction.atomic():
        ReminderPolicy.objects.get_or_create(pk=ReminderPolicy.SINGLETON_PK)
        current = ReminderPolicy.objects.select_for_update().get(pk=ReminderPolicy.SINGLETON_PK)
        wanted = {"enabled": bool(enabled), "hours_before": hours_before}
        changed = [name for name, value in wanted.items() if getattr(current, name) != value]
        for name, value in wanted.items():
            setattr(current, name, value)
        current.full_clean()
        if changed:
            current.save(update_fields=[*changed, "updated_at"])
            record(actor=actor, action="reminder_policy.updated", target=current, changed_fields=changed)
    return current


# --- links ---------------------------------------------------------------------------------------------------


class ReminderLinkError(Exception):
    """A link that cannot be used: `status` is the HTTP answer (400 not recognised, 410 no longer usable)."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class ReminderLink:
    appointment: Appointment
    action: str


def _start_fingerprint(appointment_id: int, starts_at: dt.datetime) -> str:
    """Ties a link to the time it was sent for without putting a date in the URL: a keyed hash (SECRET_KEY) of
    the appointment's id and start, so a rescheduled visit no longer matches its old links."""
    value = f"{appointment_id}:{int(starts_at.timestamp())}"
    return salted_hmac(f"{SIGNING_SALT}.starts-at", value, algorithm="sha256").hexdigest()[:20]


def reminder_token(*, appointment: Appointment, action: str) -> str:
    if action not in ACTIONS:
        raise ValueError(f"unknown reminder action {action!r}")
    return signing.dumps({"a": appointment.pk, "x": action, "t": _start_fingerprint(appointment.pk,
                                                                                       appointment.starts_at)},
                         salt=SIGNING_SALT)


def reminder_url(*, appointment: Appointment, action: str) -> str:
    path = reverse("scheduling:reminder_respond",
                   kwargs={"token": reminder_token(appointment=appointment, action=action)})
    return str(settings.OPENPRACTICE_BASE_URL or "").rstrip("/") + path


def _not_recognised() -> ReminderLinkError:
    return ReminderLinkError(_("This link is not recognised. Please call the practice."), status=400)


def reminder_link_read(*, token: str, now: dt.datetime | None = None) -> ReminderLink:
    """The appointment and action a link stands for; ReminderLinkError when it was tampered with (400), or
    has expired, was sent for an earlier time of a rescheduled visit, was already used, or the appointment can
    no longer be confirmed or cancelled (410)."""
    now = now or timezone.now()
    try:
        data = signing.loads(token, salt=SIGNING_SALT, max_age=LINK_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise ReminderLinkError(_("This link has expired."), status=410) from exc
    except signing.BadSignature as exc:
        raise _not_recognised() from exc
    if not isinstance(data, dict) or data.get("x") not in ACTIONS or type(data.get("a")) is not int:
        raise _not_recognised()
    appointment = Appointment.objects.select_related("provider", "location").filter(pk=data["a"]).first()
    if appointment is None:
        raise _not_recognised()
    if appointment.starts_at <= now:
        raise ReminderLinkError(_("This link has expired: the appointment time has passed."), status=410)
    if not constant_time_compare(str(data.get("t", "")), _start_fingerprint(appointment.pk, appointment.starts_at)):
        raise ReminderLinkError(
            _("This link is for an earlier time: the appointment has been moved. Use the link in the latest "
              "reminder, or call the practice."), status=410)
    if appointment.status != AppointmentStatus.BOOKED:
        raise ReminderLinkError(
            _("This appointment can no longer be changed online (it is %(status)s). Please call the practice.")
            % {"status": appointment.get_status_display().lower()}, status=410)
    if data["x"] == CONFIRM and appointment.confirmed_at is not None:
        raise ReminderLinkError(_("This link has already been used: the appointment is confirmed."), status=410)
    return ReminderLink(appointment=appointment, action=data["x"])


def reminder_link_viewed(*, link: ReminderLink) -> None:
    """The confirmation page showed the visit (date, place, provider) to whoever holds the link: audited."""
    record(actor=None, action="appointment.reminder_link_viewed", target=link.appointment,
           patient_id=link.appointment.patient_id, location_id=link.appointment.location_id, reason=link.action)


def appointment_respond(*, token: str, now: dt.datetime | None = None) -> ReminderLink:
    """Do what the link says: confirm the appointment, or cancel it. No signed-in user: audited with no actor
    and the patient's id. A used link answers 410 and changes nothing."""
    now = now or timezone.now()
    link = reminder_link_read(token=token, now=now)
    with transaction.atomic():
        current = Appointment.objects.select_for_update().select_related("provider", "location").get(
            pk=link.appointment.pk)
        if (current.status != AppointmentStatus.BOOKED or current.starts_at != link.appointment.starts_at
                or current.starts_at <= now or (link.action == CONFIRM and current.confirmed_at is not None)):
            # Changed between reading the link and taking the lock: read it again, which raises the right error.
            reminder_link_read(token=token, now=now)
            raise ReminderLinkError(_("This link can no longer be used. Please call the practice."), status=410)
        if link.action == CONFIRM:
            current.confirmed_at = now
            current.save(update_fields=["confirmed_at", "updated_at"])
            record(actor=None, action="appointment.confirmed", target=current, patient_id=current.patient_id,
                   location_id=current.location_id, changed_fields=["confirmed_at"],
                   reason="by patient via reminder link")
        else:
            current.status = AppointmentStatus.CANCELLED
            current.cancel_reason = PATIENT_CANCEL_REASON
            current.full_clean()
            current.save(update_fields=["status", "cancel_reason", "updated_at"])
            record(actor=None, action="appointment.cancelled", target=current, patient_id=current.patient_id,
                   location_id=current.location_id, changed_fields=["status", "cancel_reason"],
                   reason="by patient via reminder link")
            emit("appointment.cancelled", location_id=current.location_id, data={
                "appointment_id": current.pk, "patient_id": current.patient_id, "provider_id": current.provider_id,
                "location_id": current.location_id, "start": current.starts_at.isoformat(),
                "end": current.ends_at.isoformat(), "status": current.status})
    return ReminderLink(appointment=current, action=link.action)


# --- sending -------------------------------------------------------------------------------------------------


def reminders_due(*, now: dt.datetime) -> list[int]:
    """Ids of booked appointments starting within the policy's window that still need their reminder and
    whose patient has an email address. Empty when reminders are off."""
    policy = reminder_policy()
    if not policy.enabled:
        return []
    return list(
        Appointment.objects.filter(
            status=AppointmentStatus.BOOKED, reminder_sent_at__isnull=True, starts_at__gt=now,
            starts_at__lte=now + dt.timedelta(hours=policy.hours_before),
        ).exclude(patient__email="").order_by("starts_at", "pk").values_list("pk", flat=True)[:BATCH_SIZE]
    )


def _claim(appointment_id: int, now: dt.datetime) -> bool:
    """Mark the reminder as sent unless another worker already did: one UPDATE, atomic in the database."""
    return bool(Appointment.objects.filter(
        pk=appointment_id, reminder_sent_at__isnull=True, status=AppointmentStatus.BOOKED,
    ).update(reminder_sent_at=now))


def _message(appointment: Appointment) -> EmailMultiAlternatives:
    zone = practice_zone()
    context = {
        "practice_name": practice_settings().name,
        "starts_at": appointment.starts_at.astimezone(zone),
        "zone_name": str(zone),
        "provider_name": appointment.provider.display_name,
        "location_name": appointment.location.name,
        "location_phone": appointment.location.phone,
        "confirm_url": reminder_url(appointment=appointment, action=CONFIRM),
        "cancel_url": reminder_url(appointment=appointment, action=CANCEL),
    }
    # The task runs outside any request: render dates in the practice's zone, not the server's.
    with timezone.override(zone):
        subject = " ".join(render_to_string("scheduling/email/reminder_subject.txt", context).split())
        body = render_to_string("scheduling/email/reminder.txt", context)
        html = render_to_string("scheduling/email/reminder.html", context)
    message = EmailMultiAlternatives(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL,
                                     to=[appointment.patient.email])
    message.attach_alternative(html, "text/html")
    return message


def reminder_send(*, appointment_id: int, now: dt.datetime | None = None) -> bool:
    """Claim and send one reminder. False when another worker had it, or when the mail server refused (the
    claim is then released so the next run tries again)."""
    now = now or timezone.now()
    if not _claim(appointment_id, now):
        return False
    appointment = Appointment.objects.select_related("patient", "provider", "location").get(pk=appointment_id)
    try:
        _message(appointment).send(fail_silently=False)
    except (OSError, smtplib.SMTPException):
        Appointment.objects.filter(pk=appointment_id, reminder_sent_at=now).update(reminder_sent_at=None)
        logger.warning("Reminder for appointment %s not sent: mail server unavailable", appointment_id,
                       exc_info=True)
        return False
    record(actor=None, action="appointment.reminder_sent", target=appointment, patient_id=appointment.patient_id,
           location_id=appointment.location_id, changed_fields=["reminder_sent_at"])
    return True


def reminders_send_due(*, now: dt.datetime | None = None) -> int:
    """Send every reminder due now; returns how many went out."""
    now = now or timezone.now()
    return sum(reminder_send(appointment_id=pk, now=now) for pk in reminders_due(now=now))

