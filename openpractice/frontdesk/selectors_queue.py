"""Reads for the pages where staff work the queue: the message list (tabs, filters, service-level state), one
message's timeline, who a message may be given to, reply templates.

Every list starts from selectors_messages.messages_visible (who sees which message); nothing here widens it.
A list page costs the same queries whatever its rows: service-level badges are computed from the row itself and
the patient's name is shown by the rule of MessageView.patient (patients.view_demographics where the message is),
asked of the cached grants rather than through message_view_for, whose may_work may query per row.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, DateTimeField, F, IntegerField, Q, QuerySet, Value, When

from openpractice.accounts import permissions
from openpractice.accounts.models import User
from openpractice.accounts.roles import PERMISSION_TABLE, Perm
from openpractice.audit.services import Event, record, record_many

from .choices import PRIORITY_RANK, MessageStatus
from .models import Message, MessageEntry, Queue, ReplyTemplate
from .selectors_messages import may_work, messages_visible, queues_of

TABS = ("mine", "unassigned", "all")
SLA_STATES = ("breached", "soon", "ok")
SOON = dt.timedelta(hours=1)
_NUMBER = re.compile(r"^\s*(?:msg-?)?0*(\d{1,9})\s*$", re.IGNORECASE)


# --- service levels --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sla:
    """One service level of one message: "met", "breached" (late, answered or not), "soon" (due within the hour)
    or "due" (later)."""

    state: str
    due: dt.datetime
    done_at: dt.datetime | None

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


def _sla(due: dt.datetime, done_at: dt.datetime | None, now: dt.datetime) -> Sla:
    if done_at is not None:
        return Sla("met" if done_at <= due else "breached", due, done_at)
    if now > due:
        return Sla("breached", due, None)
    return Sla("soon" if due - now <= SOON else "due", due, None)


def sla_first_response(message: Message, now: dt.datetime) -> Sla:
    """Answered by the first response, or by closing (models.Message.first_response_breached reads it alike)."""
    answered = message.first_response_at or (None if message.is_open else message.closed_at)
    return _sla(message.first_response_due, answered, now)


def sla_resolution(message: Message, now: dt.datetime) -> Sla:
    return _sla(message.resolve_due, message.closed_at, now)


def _breached(now: dt.datetime) -> Q:
    """A service level missed: no first response by its time, one given late, or not resolved in time."""
    return (Q(first_response_at__isnull=True, first_response_due__lt=now)
            | Q(first_response_at__gt=F("first_response_due")) | Q(resolve_due__lt=now))


def _soon(now: dt.datetime) -> Q:
    return Q(first_response_at__isnull=True, first_response_due__lt=now + SOON) | Q(resolve_due__lt=now + SOON)


# --- the list --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListFilters:
    tab: str = "mine"
    queue_id: int | None = None
    status: str = "open"  # "open", "all" or a MessageStatus
    channel: str = ""
    priority: str = ""
    category: str = ""
    sla: str = ""  # one of SLA_STATES, open messages only
    text: str = ""


def _ranked(queryset: QuerySet[Message]) -> QuerySet[Message]:
    """Rows carry `priority_rank` (urgent first) and `next_due` (the first response while none was given, then the
    resolution), the list's default order."""
    return queryset.annotate(
        priority_rank=Case(*(When(priority=value, then=Value(rank)) for value, rank in PRIORITY_RANK.items()),
                           default=Value(len(PRIORITY_RANK)), output_field=IntegerField()),
        next_due=Case(When(first_response_at__isnull=True, then=F("first_response_due")), default=F("resolve_due"),
                      output_field=DateTimeField()),
    )


def message_rows(*, actor: Any, filters: ListFilters, now: dt.datetime) -> QuerySet[Message]:
    """The messages of the list page (unordered: the page sorts), with their patient for the name column."""
    queryset = messages_visible(actor=actor).select_related("patient")
    if filters.tab == "mine":
        queryset = queryset.filter(assignee=actor)
    elif filters.tab == "unassigned":
        queryset = queryset.filter(assignee__isnull=True, queue__in=queues_of(actor=actor).values("pk"))
    if filters.queue_id is not None:
        queryset = queryset.filter(queue_id=filters.queue_id)
    if filters.status == "open":
        queryset = queryset.exclude(status=MessageStatus.CLOSED)
    elif filters.status in MessageStatus.values:
        queryset = queryset.filter(status=filters.status)
    for field, value in (("channel", filters.channel), ("priority", filters.priority),
                         ("category", filters.category)):
        if value:
            queryset = queryset.filter(**{field: value})
    if filters.sla in SLA_STATES:
        queryset = queryset.exclude(status=MessageStatus.CLOSED)
        if filters.sla == "breached":
            queryset = queryset.filter(_breached(now))
        elif filters.sla == "soon":
            queryset = queryset.exclude(_breached(now)).filter(_soon(now))
        else:
            queryset = queryset.exclude(_breached(now)).exclude(_soon(now))
    text = filters.text.replace("\x00", "").strip()[:100]
    if text:
        matches = (Q(subject__icontains=text) | Q(sender_name__icontains=text) | Q(sender_email__icontains=text)
                   | Q(sender_phone__icontains=text))
        number = _NUMBER.match(text)
        if number:
            matches |= Q(pk=int(number.group(1)))
        queryset = queryset.filter(matches)
    return _ranked(queryset)


def queue_scoped(*, actor: Any) -> QuerySet[Queue]:
    """The queues whose page the actor may open: those they work."""
    return queues_of(actor=actor)


def patient_shown(actor: Any, message: Message) -> bool:
    """MessageView.patient's rule, for lists: demographics where the message is."""
    return message.patient_id is not None and permissions.can(actor, Perm.PATIENTS_DEMOGRAPHICS,
                                                              message.location_id)


@dataclass(frozen=True)
class Row:
    message: Message
    patient_shown: bool
    first_response: Sla
    resolution: Sla


def rows_for(*, actor: Any, messages: Iterable[Message], now: dt.datetime) -> list[Row]:
    return [Row(message, patient_shown(actor, message), sla_first_response(message, now),
                sla_resolution(message, now)) for message in messages]


def messages_listed(*, actor: Any, rows: Iterable[Row]) -> None:
    """One audit event per patient named on a list page (their access log), in one statement."""
    record_many(actor=actor, events=[
        Event(action="frontdesk.message_listed", target=row.message, patient_id=row.message.patient_id,
              location_id=row.message.location_id)
        for row in rows if row.patient_shown])


# --- one message -----------------------------------------------------------------------------------------------


def message_viewed(*, actor: Any, message: Message) -> None:
    """The audit event of a message page shown; it names the patient the message is about."""
    record(actor=actor, action="frontdesk.message_viewed", target=message, patient_id=message.patient_id,
           location_id=message.location_id)


def timeline(message: Message) -> list[MessageEntry]:
    return list(message.entries.select_related("author", "to_queue", "to_user").prefetch_related("attachments"))


def may_be_assigned(user: Any, message: Message, queue: Queue | None = None,
                    member_ids: frozenset[int] | None = None) -> bool:
    """May `user` be given the message (in `queue` when it is being moved there)? Active people who may work it
    there: frontdesk.manage where it is, members of the queue, holders of the queue's role there."""
    if user is None or not user.is_active:
        return False
    if member_ids is not None and user.pk in member_ids:
        return True
    probe = Message(pk=message.pk, location_id=message.location_id, queue=queue or message.queue)
    return may_work(actor=user, message=probe)


def _holders(roles: Iterable[str], location_id: int | None) -> Q:
    """People holding one of `roles` at the location (the same assignment: role and its scope)."""
    condition = Q(pk__in=[])
    for role in set(roles):
        held = Q(role_assignments__role=role)
        if location_id is not None:
            held &= Q(role_assignments__all_locations=True) | Q(role_assignments__locations=location_id)
        condition |= held
    return condition


_MANAGE_ROLES = frozenset(role for (role, _tier), granted in PERMISSION_TABLE.items()
                          if Perm.FRONTDESK_MANAGE in granted)


def assignable_users(*, message: Message, queue: Queue | None = None) -> list[User]:
    """The people the message may be given to in its queue (or `queue`), by name."""
    target = queue or message.queue
    member_ids = frozenset(target.memberships.values_list("user_id", flat=True))
    roles = {*_MANAGE_ROLES, *([target.role] if target.role else [])}
    candidates = permissions.prefetch_grants(
        User.objects.filter(_holders(roles, message.location_id) | Q(pk__in=member_ids), is_active=True)
        .distinct().order_by("first_name", "last_name", "username", "pk"))
    return [user for user in candidates if may_be_assigned(user, message, target, member_ids)]


def forward_queues(*, message: Message) -> QuerySet[Queue]:
    """Where a message may be forwarded: every active queue."""
    return Queue.objects.filter(is_active=True).order_by("name")


def forward_people(*, message: Message) -> list[User]:
    """People a message may be forwarded to, in some queue (the service checks the chosen one): the queues'
    members and holders of a queue's role or of frontdesk.manage where the message is."""
    roles = {*_MANAGE_ROLES, *Queue.objects.filter(is_active=True).exclude(role="").values_list("role", flat=True)}
    return list(User.objects.filter(_holders(roles, message.location_id)
                                    | Q(queue_memberships__queue__is_active=True), is_active=True)
                .distinct().order_by("first_name", "last_name", "username", "pk"))


# --- reply templates -------------------------------------------------------------------------------------------


def reply_templates_active() -> QuerySet[ReplyTemplate]:
    """The templates a reply may start from (no PHI in them: anyone replying may see them)."""
    return ReplyTemplate.objects.filter(is_active=True).order_by("name")


def reply_templates_all(*, actor: Any) -> QuerySet[ReplyTemplate]:
    """Every template, for those who configure the front desk."""
    if not permissions.can(actor, Perm.FRONTDESK_CONFIGURE):
        return ReplyTemplate.objects.none()
    return ReplyTemplate.objects.order_by("-is_active", "name")
