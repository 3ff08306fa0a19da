"""SLA escalation: open messages past a service level are escalated once each.

A message is overdue when it is open and either has had no first response by `first_response_due` or is not
resolved by `resolve_due`. The background task (tasks.escalate_overdue_messages, every quarter hour) sets
`escalated_at`, writes an ESCALATED line on the timeline and an audit event, and after the commit mails the office
managers of the message's location (their role held there or at all locations; for a message with no location,
every office manager) and the leads of its queue. The mail names the message's number, its queue, the service
level missed and a link behind the sign-in: never the subject, the sender or the patient (PHI stays in the app).
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import zoneinfo
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.core.selectors import practice_settings, practice_timezone_name

from ..choices import EntryKind, MessageStatus
from ..models import Message, QueueMember
from .work import audit, entry_add

logger = logging.getLogger(__name__)

FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"


def overdue_condition(now: dt.datetime) -> Q:
    """Open, and no first response by its due time or not resolved by its due time."""
    return ~Q(status=MessageStatus.CLOSED) & (
        Q(first_response_at__isnull=True, first_response_due__lt=now) | Q(resolve_due__lt=now))


def missed(message: Message, now: dt.datetime) -> list[str]:
    """Which service levels the (open) message has missed: FIRST_RESPONSE, RESOLUTION."""
    found = []
    if message.first_response_at is None and message.first_response_due < now:
        found.append(FIRST_RESPONSE)
    if message.resolve_due < now:
        found.append(RESOLUTION)
    return found


def escalation_recipients(message: Message) -> list[User]:
    """The office managers where the message is (or at all locations) and the leads of its queue; active people
    with an address, each once."""
    office_manager = Q(role_assignments__role=Role.OFFICE_MANAGER)
    if message.location_id is not None:
        office_manager &= (Q(role_assignments__all_locations=True)
                           | Q(role_assignments__locations=message.location_id))
    managers = User.objects.filter(office_manager, is_active=True).distinct().order_by("pk")
    leads = User.objects.filter(pk__in=QueueMember.objects.filter(queue_id=message.queue_id, is_lead=True)
                                .values("user_id"), is_active=True).order_by("pk")
    people: dict[str, User] = {}
    for user in [*managers, *leads]:
        if user.email:
            people.setdefault(user.email.lower(), user)
    return list(people.values())


def _local(value: dt.datetime) -> str:
    return f"{value.astimezone(zoneinfo.ZoneInfo(practice_timezone_name())):%Y-%m-%d %H:%M}"


def _levels_text(message: Message, levels: list[str]) -> str:
    parts = []
    if FIRST_RESPONSE in levels:
        parts.append(_("no first response by %(when)s") % {"when": _local(message.first_response_due)})
    if RESOLUTION in levels:
        parts.append(_("not resolved by %(when)s") % {"when": _local(message.resolve_due)})
    return "; ".join(parts)


def escalation_mail(message: Message, levels: list[str]) -> list[EmailMessage]:
    """One mail per recipient (they do not see each other's addresses), with no PHI."""
    context = {
        "number": message.number, "queue": message.queue.name, "missed": _levels_text(message, levels),
        "practice_name": practice_settings().name,
        "link": str(settings.OPENPRACTICE_BASE_URL or "").rstrip("/")
        + reverse("frontdesk:message_detail", kwargs={"pk": message.pk}),
    }
    subject = " ".join(render_to_string("frontdesk/queue/email/escalated_subject.txt", context).split())
    body = render_to_string("frontdesk/queue/email/escalated.txt", context)
    return [EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email])
            for user in escalation_recipients(message)]


def _send(message_id: int, levels: list[str]) -> None:
    message = Message.objects.select_related("queue").get(pk=message_id)
    try:
        mails = escalation_mail(message, levels)
        if mails:
            get_connection(fail_silently=False).send_messages(mails)
    except (OSError, smtplib.SMTPException):
        # The escalation stands (on the timeline, the badge and the SLA filter); only the mail is missing.
        logger.warning("Escalation mail for message %s not sent: mail server unavailable", message_id, exc_info=True)


def messages_escalate(*, now: dt.datetime, limit: int = 500) -> int:
    """Escalate every overdue message not escalated yet (once each, even if it misses the other level later).
    Returns how many were escalated."""
    candidates = list(Message.objects.filter(overdue_condition(now), escalated_at__isnull=True)
                      .order_by("first_response_due", "pk").values_list("pk", flat=True)[:limit])
    escalated = 0
    for pk in candidates:
        with transaction.atomic():
            locked = (Message.objects.select_for_update(of=("self",)).select_related("queue")
                      .filter(overdue_condition(now), pk=pk, escalated_at__isnull=True).first())
            if locked is None:  # answered, closed or escalated meanwhile
                continue
            levels = missed(locked, now)
            locked.escalated_at = now
            locked.save(update_fields=["escalated_at", "updated_at"])
            entry_add(locked, EntryKind.ESCALATED, at=now,
                      body=_("Escalated to the office managers and the queue's leads: %(missed)s.")
                      % {"missed": _levels_text(locked, levels)})
            audit(None, "frontdesk.message_escalated", locked, ["escalated_at"], reason=",".join(levels))
            transaction.on_commit(partial(_send, locked.pk, levels))
            escalated += 1
    return escalated
