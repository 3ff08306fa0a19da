"""Logging a phone call at the desk: who called, about what, for which patient, and whether someone must call back.

The call becomes a message (channel PHONE) through intake, which routes it; a callback asked for becomes a
CallbackTask for the person the message went to (or, when it went to a queue, for the person who took the call).
Logging calls takes frontdesk.manage where the call is logged (at the message's location; a practice-wide call
takes it at every location); a patient linked must be one the actor may see. Refusals are audited before any transaction
opens and change nothing; bad input is a ValidationError naming the field, and nothing is saved.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, has_all_locations, refuse
from openpractice.accounts.roles import Perm
from openpractice.core.models import Location
from openpractice.core.validators import validate_phone
from openpractice.patients.models import Patient
from openpractice.patients.selectors import patient_scoped

from ..choices import Category, Channel, Priority
from ..models import CallbackTask, Message
from .callbacks import callback_create
from .intake import Incoming, message_intake

BODY_MAX_CHARS = 5000
NAME_MAX_CHARS = 120
SUBJECT_MAX_CHARS = 200


@dataclass(frozen=True)
class CallLogged:
    message: Message
    callback: CallbackTask | None


def _phone_errors(errors: dict[str, str], field: str, value: str) -> None:
    if value.strip():
        try:
            validate_phone(value)
        except ValidationError:
            errors[field] = _("Enter a 10-digit US phone number.")


def call_subject(*, category: str, caller_name: str, phone: str) -> str:
    """The subject a call gets when the desk gives none: the reason and who called."""
    who = caller_name.strip() or phone.strip() or _("unknown caller")
    return _("%(reason)s — call from %(who)s") % {"reason": Category(category).label, "who": who}


def call_log(*, actor: Any, caller_name: str, phone: str, body: str, category: str = Category.OTHER,
             location: Location | None = None, priority: str = "", patient: Patient | None = None,
             callback_number: str = "", callback_due_at: dt.datetime | None = None, subject: str = "",
             email: str = "", now: dt.datetime | None = None) -> CallLogged:
    """Log one call (and the callback, when one is asked for) in one transaction. `email` is where the caller
    wants the answer, when they would rather read it than be called back."""
    allowed = (can(actor, Perm.FRONTDESK_MANAGE, location) if location is not None
               else has_all_locations(actor, Perm.FRONTDESK_MANAGE))
    if not allowed:
        raise refuse(actor=actor, permission=Perm.FRONTDESK_MANAGE, action="frontdesk.call_log", target=location)
    if patient is not None and not patient_scoped(actor=actor).filter(pk=patient.pk).exists():
        raise refuse(actor=actor, permission=Perm.PATIENTS_DEMOGRAPHICS, action="frontdesk.call_log",
                     target=patient, reason="patient out of scope")
    now = now or timezone.now()
    caller_name, phone, body, email = caller_name.strip(), phone.strip(), body.strip(), email.strip().lower()
    callback_number = callback_number.strip() or phone
    errors: dict[str, str] = {}
    if not caller_name and not phone:
        errors["caller_name"] = _("Give the caller's name or number.")
    if len(caller_name) > NAME_MAX_CHARS:
        errors["caller_name"] = _("Keep the name under %(count)s characters.") % {"count": NAME_MAX_CHARS}
    _phone_errors(errors, "phone", phone)
    _phone_errors(errors, "callback_number", callback_number)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = _("Enter a valid email address, or leave it empty.")
    if not body:
        errors["body"] = _("Write down what the caller wants.")
    elif len(body) > BODY_MAX_CHARS:
        errors["body"] = _("Keep the message under %(count)s characters.") % {"count": BODY_MAX_CHARS}
    if category not in Category.values:
        errors["category"] = _("Choose the reason for the call.")
    if priority and priority not in Priority.values:
        errors["priority"] = _("Choose an urgency.")
    if len(subject.strip()) > SUBJECT_MAX_CHARS:
        errors["subject"] = _("Keep the subject under %(count)s characters.") % {"count": SUBJECT_MAX_CHARS}
    if callback_due_at is not None:
        if not callback_number:
            errors["callback_number"] = _("Give the number to call back.")
        if callback_due_at < now - dt.timedelta(minutes=1):
            errors["callback_due_at"] = _("The time to call back by has passed already.")
    if errors:
        raise ValidationError(errors)
    incoming = Incoming(
        channel=Channel.PHONE, category=category, priority=priority or None,
        subject=subject.strip() or call_subject(category=category, caller_name=caller_name, phone=phone),
        body=body, sender_name=caller_name, sender_phone=phone, sender_email=email, callback_number=callback_number,
        location=location, patient=patient, received_at=now,
    )
    with transaction.atomic():
        message, _entry = message_intake(actor=actor, incoming=incoming)
        callback = None
        if callback_due_at is not None:
            callback = callback_create(actor=actor, message=message, assignee=message.assignee or actor,
                                       number=callback_number, due_at=callback_due_at, now=now)
    return CallLogged(message=message, callback=callback)
