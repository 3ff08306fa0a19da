"""Message intake: the one way a message enters the front desk (a call logged at the desk, mail read from a mailbox,
the public contact form, a note between staff). It creates the message, routes it (rules -> queue, assignee,
priority, service levels), writes the first two timeline lines (what came in, where it went) and the audit event,
all in one transaction.

Round-robin hands the message to the queue member who has waited longest (oldest `last_assigned_at`, never
assigned first, then by user id) and is active and not away (their status is away/off, or approved time off covers
today). The candidates' membership rows are locked first, so two intakes at the same moment never both pick the
same person; the choice is made from the rows as the lock returned them (the newest committed values).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef, Q
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.audit.services import record
from openpractice.workforce.choices import PtoStatus
from openpractice.workforce.models import PtoRequest

from ..choices import Category, EntryKind, MessageStatus, PresenceStatus, Priority
from ..models import Message, MessageEntry, Queue, QueueMember, RoutingRule, StaffProfile
from ..routing import CompiledRule, first_match, sender_of
from ..selectors_rules import FactSource, active_rules_compiled, facts_for, practice_zone, role_holders
from .queues import default_queue

SUBJECT_MAX = 200


@dataclass(frozen=True)
class Incoming:
    channel: str                      # choices.Channel
    subject: str
    body: str = ""
    category: str = Category.OTHER
    priority: str | None = None       # None: the matching rule's, else NORMAL
    sender_name: str = ""
    sender_email: str = ""
    sender_phone: str = ""
    callback_number: str = ""
    sender_user: Any = None           # staff author of an internal message
    recipient_user: Any = None        # internal message to one person: assign to them (rules still pick the queue)
    location: Any = None              # core.Location
    patient: Any = None               # patients.Patient (caller already checked the actor may link it)
    mailbox: Any = None               # frontdesk.Mailbox
    received_at: dt.datetime | None = None   # None: now
    is_auto_submitted: bool = False
    body_html: str = ""               # already sanitised by the caller
    email_message_id: str = ""
    in_reply_to: str = ""
    references: str = ""
    from_address: str = ""
    to_addresses: str = ""


@dataclass(frozen=True)
class Routing:
    """Where a message goes and why."""

    queue: Queue
    rule: RoutingRule | None
    priority: str
    assignee: Any
    first_response_due: dt.datetime
    resolve_due: dt.datetime


def _location_id(incoming: Incoming) -> int | None:
    """The message's location: the one given, else the mailbox's, else the patient's home location."""
    if incoming.location is not None:
        return int(incoming.location.pk)
    if incoming.mailbox is not None and incoming.mailbox.location_id:
        return int(incoming.mailbox.location_id)
    if incoming.patient is not None and incoming.patient.home_location_id:
        return int(incoming.patient.home_location_id)
    return None


def _away(now: dt.datetime, user_ref: str) -> Q:
    """Users (the `user_ref` column of the filtered rows) who are away now: their status says away or off (until
    `away_until`, when set), or approved time off covers today (practice-local). Two subqueries, no extra query."""
    today = now.astimezone(practice_zone()).date()
    status_away = StaffProfile.objects.filter(
        user=OuterRef(user_ref), presence__in=[PresenceStatus.AWAY, PresenceStatus.OFF],
    ).filter(Q(away_until__isnull=True) | Q(away_until__gt=now))
    time_off = PtoRequest.objects.filter(employee__user=OuterRef(user_ref), status=PtoStatus.APPROVED,
                                         starts_on__lte=today, ends_on__gte=today)
    return Q(Exists(status_away)) | Q(Exists(time_off))


def next_round_robin_member(queue: Queue, now: dt.datetime) -> Any:
    """The member who waited longest among those present, marked as just assigned; None if nobody is present.
    Locks the queue's present members' rows for the rest of the transaction."""
    candidates = list(
        QueueMember.objects.select_for_update(of=("self",))
        .filter(queue=queue, user__is_active=True)
        .exclude(_away(now, "user_id"))
        .select_related("user")
    )
    if not candidates:
        return None
    # Sorted here, not by ORDER BY: PostgreSQL sorts before it waits for a lock, so a sorted locked read can
    # come back in the order of the values the other transaction just changed.
    chosen = min(candidates, key=lambda m: (m.last_assigned_at is not None, m.last_assigned_at or now, m.user_id))
    # Stamped after the lock was granted and later than every stamp seen: an intake that waited must not stamp
    # its pick with an earlier time than the one it waited for (that pick would look "longest waiting" again).
    latest = max((m.last_assigned_at for m in candidates if m.last_assigned_at), default=None)
    stamp = timezone.now()
    if latest is not None and stamp <= latest:
        stamp = latest + dt.timedelta(microseconds=1)
    QueueMember.objects.filter(pk=chosen.pk).update(last_assigned_at=stamp)
    return chosen.user


def next_role_holder(queue: Queue, location_id: int | None, now: dt.datetime) -> Any:
    """For a role queue without members: the holder of the role at the location who was last given a message of
    this queue longest ago (never first, then by user id). The queue row is locked so parallel intakes take turns."""
    Queue.objects.select_for_update().filter(pk=queue.pk).values_list("pk", flat=True).first()
    holder_ids = role_holders(queue.role, location_id if location_id is not None else queue.location_id).values("pk")
    return (
        User.objects.filter(pk__in=holder_ids).exclude(_away(now, "pk"))
        .annotate(last_given=Max("assigned_messages__pk", filter=Q(assigned_messages__queue=queue)))
        .order_by(F("last_given").asc(nulls_first=True), "pk")
        .first()
    )


def route(*, incoming: Incoming, location_id: int | None, received_at: dt.datetime,
          compiled: list[CompiledRule] | None = None) -> tuple[RoutingRule | None, Queue]:
    """The rule that decides (None: the default queue) and the queue. Changes nothing, except creating the
    default queue the first time there is none."""
    compiled = active_rules_compiled() if compiled is None else compiled
    source = FactSource(
        channel=incoming.channel, category=incoming.category, subject=incoming.subject, body=incoming.body,
        sender=sender_of(incoming.sender_email, incoming.from_address, incoming.sender_name, incoming.sender_phone,
                         incoming.callback_number, incoming.sender_user.get_username() if incoming.sender_user else ""),
        location_id=location_id, patient_id=incoming.patient.pk if incoming.patient is not None else None,
        received_at=received_at,
    )
    match = first_match(facts_for([source], now=received_at)[0], compiled)
    if match is None:
        return None, default_queue()
    rule: RoutingRule = match.rule
    return rule, rule.queue


def _decide(*, incoming: Incoming, location_id: int | None, received_at: dt.datetime) -> Routing:
    rule, queue = route(incoming=incoming, location_id=location_id, received_at=received_at)
    priority = incoming.priority or (rule.priority if rule is not None and rule.priority else Priority.NORMAL)
    first_minutes = (rule.first_response_minutes if rule else None) or queue.first_response_minutes
    resolve_minutes = (rule.resolve_minutes if rule else None) or queue.resolve_minutes
    assignee = incoming.recipient_user
    if assignee is None and rule is not None:
        if rule.assign_to_id:
            assignee = User.objects.get(pk=rule.assign_to_id)
        elif rule.round_robin:
            now = timezone.now()
            assignee = next_round_robin_member(queue, now)
            if assignee is None and queue.role and not QueueMember.objects.filter(queue=queue).exists():
                assignee = next_role_holder(queue, location_id, now)
    if rule is not None:
        # Last: the counter's row lock is then held only for the rest of the transaction.
        RoutingRule.objects.filter(pk=rule.pk).update(matched_count=F("matched_count") + 1)
    return Routing(queue=queue, rule=rule, priority=priority, assignee=assignee,
                   first_response_due=received_at + dt.timedelta(minutes=first_minutes),
                   resolve_due=received_at + dt.timedelta(minutes=resolve_minutes))


@transaction.atomic
def message_intake(*, actor: Any | None, incoming: Incoming) -> tuple[Message, MessageEntry]:
    """Create the message, route it, write its INBOUND entry (carrying the mail fields) and a ROUTED entry
    (naming the rule or 'default queue'), audit 'frontdesk.message_received' (patient_id, location_id),
    return (message, inbound_entry). actor None for mail and the web form."""
    now = timezone.now()
    received_at = incoming.received_at or now
    location_id = _location_id(incoming)
    routing = _decide(incoming=incoming, location_id=location_id, received_at=received_at)
    message = Message(
        channel=incoming.channel, status=MessageStatus.NEW, priority=routing.priority, category=incoming.category,
        subject=" ".join(incoming.subject.split())[:SUBJECT_MAX], body=incoming.body,
        sender_name=incoming.sender_name[:120], sender_email=incoming.sender_email,
        sender_phone=incoming.sender_phone, callback_number=incoming.callback_number,
        sender_user=incoming.sender_user, mailbox=incoming.mailbox, location_id=location_id,
        queue=routing.queue, assignee=routing.assignee, routed_by=routing.rule, received_at=received_at,
        first_response_due=routing.first_response_due, resolve_due=routing.resolve_due,
        patient=incoming.patient, is_auto_submitted=incoming.is_auto_submitted,
        created_by=actor if actor is not None and getattr(actor, "pk", None) else None,
    )
    message.full_clean(validate_constraints=False)
    message.save(force_insert=True)
    inbound = MessageEntry.objects.create(
        message=message, kind=EntryKind.INBOUND, created_at=received_at, author=incoming.sender_user,
        body=incoming.body, body_html=incoming.body_html, email_message_id=incoming.email_message_id[:255],
        in_reply_to=incoming.in_reply_to[:255], references=incoming.references,
        from_address=incoming.from_address[:254], to_addresses=incoming.to_addresses,
        subject=incoming.subject[:255],
    )
    MessageEntry.objects.create(
        message=message, kind=EntryKind.ROUTED, created_at=max(received_at, now),
        body=f"Rule: {routing.rule.name}" if routing.rule is not None else "default queue",
        to_queue=routing.queue, to_user=routing.assignee,
    )
    record(actor=actor, action="frontdesk.message_received", target=message,
           patient_id=incoming.patient.pk if incoming.patient is not None else None, location_id=location_id,
           reason=f"{incoming.channel}; {routing.rule.name if routing.rule else 'default queue'}"[:200])
    return message, inbound
