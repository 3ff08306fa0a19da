"""Messages between staff: "the courier came for the lab box", "please call Mrs. Diaz about her referral". Any
signed-in staff member (someone holding a role) writes to a colleague or to a queue; the message enters through
intake (channel INTERNAL) and is worked like any other.

- To a person: intake assigns it to them (routing rules still pick the queue).
- To a queue: the message goes to that queue, with that queue's service levels, whatever the rules say; the
  timeline says the sender chose it.
- A patient may be named only by someone who may see that patient (selectors of the patients app).
Refusals are audited before any transaction opens and change nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.models import User
from openpractice.accounts.permissions import grants, reachable_location_ids, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.models import Location
from openpractice.patients.models import Patient
from openpractice.patients.selectors import patient_scoped

from ..choices import Category, Channel, EntryKind, Priority
from ..models import Message, MessageEntry, Queue
from .intake import Incoming, message_intake

SUBJECT_MAX_CHARS = 200
BODY_MAX_CHARS = 5000


def is_staff_member(user: Any) -> bool:
    """Someone who holds at least one role (signed-up people without a role may not write)."""
    return bool(grants(user))


def staff_colleagues(*, actor: Any) -> QuerySet[User]:
    """The people the actor may write to: active colleagues holding a role (not the actor). A read, kept beside the
    one service that uses it."""
    return (User.objects.filter(is_active=True, role_assignments__isnull=False).exclude(pk=actor.pk).distinct()
            .order_by("last_name", "first_name", "pk"))


def internal_send(*, actor: Any, subject: str, body: str, recipient: User | None = None,
                  queue: Queue | None = None, patient: Patient | None = None, location: Location | None = None,
                  priority: str = "", category: str = Category.OTHER, now: dt.datetime | None = None) -> Message:
    """Send a message to a colleague or a queue."""
    if not is_staff_member(actor):
        raise refuse(actor=actor, permission="a staff role", action="frontdesk.internal_send")
    if patient is not None and not patient_scoped(actor=actor).filter(pk=patient.pk).exists():
        raise refuse(actor=actor, permission=Perm.PATIENTS_DEMOGRAPHICS, action="frontdesk.internal_send",
                     target=patient, reason="patient out of scope")
    subject, body = " ".join((subject or "").split()), (body or "").strip()
    errors: dict[str, str] = {}
    if (recipient is None) == (queue is None):
        errors["recipient"] = _("Send it to one person or to one queue.")
    if recipient is not None and (not recipient.is_active or not is_staff_member(recipient)):
        errors["recipient"] = _("Choose an active colleague.")
    if recipient is not None and recipient.pk == actor.pk:
        errors["recipient"] = _("Choose someone other than yourself.")
    if queue is not None and not queue.is_active:
        errors["queue"] = _("This queue is no longer in use.")
    if not subject or len(subject) > SUBJECT_MAX_CHARS:
        errors["subject"] = _("Give a subject (at most %(count)s characters).") % {"count": SUBJECT_MAX_CHARS}
    if not body:
        errors["body"] = _("Write the message.")
    elif len(body) > BODY_MAX_CHARS:
        errors["body"] = _("Keep the message under %(count)s characters.") % {"count": BODY_MAX_CHARS}
    if priority and priority not in Priority.values:
        errors["priority"] = _("Choose a priority.")
    if category not in Category.values:
        errors["category"] = _("Choose a category.")
    reachable = reachable_location_ids(actor)
    if location is not None and reachable is not None and location.pk not in reachable:
        errors["location"] = _("Choose a location you work at, or none.")
    if errors:
        raise ValidationError(errors)
    now = now or timezone.now()
    incoming = Incoming(channel=Channel.INTERNAL, subject=subject, body=body, category=category,
                        priority=priority or None, sender_name=actor.get_full_name() or actor.get_username(),
                        sender_email=actor.email or "", sender_user=actor, recipient_user=recipient,
                        location=location, patient=patient, received_at=now)
    with transaction.atomic():
        message, _entry = message_intake(actor=actor, incoming=incoming)
        if queue is not None and queue.pk != message.queue_id:
            _to_queue(actor=actor, message=message, queue=queue, now=now)
    return message


def _to_queue(*, actor: Any, message: Message, queue: Queue, now: dt.datetime) -> None:
    """The sender addressed a queue: it goes there, with that queue's service levels (inside intake's transaction,
    before anyone has seen the message)."""
    locked = Message.objects.select_for_update(of=("self",)).get(pk=message.pk)
    locked.queue = queue
    locked.assignee = None
    locked.first_response_due = locked.received_at + dt.timedelta(minutes=queue.first_response_minutes)
    locked.resolve_due = locked.received_at + dt.timedelta(minutes=queue.resolve_minutes)
    changed = ["queue", "assignee", "first_response_due", "resolve_due"]
    locked.save(update_fields=[*changed, "updated_at"])
    for field in (*changed, "updated_at"):
        setattr(message, field, getattr(locked, field))
    entry = MessageEntry(message=message, kind=EntryKind.ROUTED, created_at=now, author=actor,
                         body=_("Sent to the queue %(queue)s by its writer.") % {"queue": queue.name},
                         to_queue=queue)
    entry.full_clean(exclude=["message", "author", "to_queue"])
    entry.save(force_insert=True)
    record(actor=actor, action="frontdesk.message_routed", target=message, patient_id=message.patient_id,
           location_id=message.location_id, changed_fields=changed, reason=f"addressed to queue {queue.pk}")
