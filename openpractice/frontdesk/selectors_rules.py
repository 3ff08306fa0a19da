"""Reads for routing: the facts a message is routed on (in batches: a fixed number of queries for any number of
messages), the rules in order, and the rule and queue pages.

Facts come from other apps' data: the location's opening hours (core) in the practice's time zone, and the
provider of the linked patient's next visit, else the most recent one (scheduling).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.models import User
from openpractice.accounts.permissions import can, has_all_locations, location_ids_where
from openpractice.accounts.roles import Perm
from openpractice.audit.services import Event, record_many
from openpractice.core.models import OpeningHours
from openpractice.core.selectors import practice_timezone_name
from openpractice.scheduling.choices import ACTIVE_STATUSES
from openpractice.scheduling.models import Appointment

from .choices import Category, Channel, MessageStatus, RuleHours
from .models import Message, Queue, QueueMember, RoutingRule
from .routing import CompiledRule, MessageFacts, compile_rules, first_match, sender_of
from .selectors_messages import messages_visible

# ---------------------------------------------------------------------------------------------------------------
# Facts


def practice_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(practice_timezone_name())


@dataclass(frozen=True)
class FactSource:
    """What of a message (new or saved) its facts are made of."""

    channel: str
    category: str
    subject: str
    body: str
    sender: str
    location_id: int | None
    patient_id: int | None
    received_at: dt.datetime

    @classmethod
    def of_message(cls, message: Message) -> FactSource:
        return cls(channel=message.channel, category=message.category, subject=message.subject, body=message.body,
                   sender=sender_of(message.sender_email, message.sender_name, message.sender_phone,
                                    message.callback_number),
                   location_id=message.location_id, patient_id=message.patient_id, received_at=message.received_at)


Hours = dict[int, list[tuple[int, dt.time, dt.time]]]  # location id -> (weekday, opens, closes)


def opening_hours_of(location_ids: Iterable[int | None]) -> Hours:
    """Opening periods of these locations (of every active location when None is among them), one query."""
    wanted = set(location_ids)
    if not wanted:
        return {}
    known = {pk for pk in wanted if pk is not None}
    rows = OpeningHours.objects.all()
    if None in wanted:
        rows = rows.filter(Q(location__is_active=True) | Q(location_id__in=known))
    else:
        rows = rows.filter(location_id__in=known)
    hours: Hours = {}
    for location_id, weekday, opens_at, closes_at in rows.values_list("location_id", "weekday", "opens_at",
                                                                      "closes_at"):
        hours.setdefault(location_id, []).append((weekday, opens_at, closes_at))
    return hours


def is_open(hours: Hours, location_id: int | None, local: dt.datetime) -> bool:
    """Whether the location (for None: any location) is open at this practice-local moment."""
    weekday, clock = local.weekday(), local.time()
    periods = hours.get(location_id, []) if location_id is not None else \
        [period for periods in hours.values() for period in periods]
    return any(day == weekday and opens <= clock < closes for day, opens, closes in periods)


def providers_of_patients(patient_ids: Iterable[int], now: dt.datetime | None = None) -> dict[int, int]:
    """patient id -> the provider of their next upcoming visit, else of their most recent one (cancelled and
    missed visits do not count). One query."""
    wanted = {pk for pk in patient_ids if pk}
    if not wanted:
        return {}
    now = now or timezone.now()
    rows = (Appointment.objects.filter(patient_id__in=wanted, status__in=ACTIVE_STATUSES)
            .values_list("patient_id", "provider_id", "starts_at"))
    best: dict[int, tuple[tuple[int, float], int]] = {}
    for patient_id, provider_id, starts_at in rows:
        # Upcoming visits first, the soonest first; then past ones, the latest first.
        key = (0, (starts_at - now).total_seconds()) if starts_at >= now else (1, (now - starts_at).total_seconds())
        if patient_id not in best or key < best[patient_id][0]:
            best[patient_id] = (key, provider_id)
    return {patient_id: provider_id for patient_id, (_, provider_id) in best.items()}


def facts_for(sources: Sequence[FactSource], *, now: dt.datetime | None = None) -> list[MessageFacts]:
    """The routing facts of these messages: two queries however many (opening hours, appointments)."""
    zone = practice_zone()
    hours = opening_hours_of(source.location_id for source in sources)
    providers = providers_of_patients((source.patient_id for source in sources if source.patient_id), now)
    facts = []
    for source in sources:
        local = source.received_at.astimezone(zone)
        facts.append(MessageFacts(
            channel=source.channel, category=source.category, subject=source.subject, body=source.body,
            sender=source.sender, location_id=source.location_id,
            provider_id=providers.get(source.patient_id) if source.patient_id else None,
            local_time=local.time().replace(tzinfo=None), location_open=is_open(hours, source.location_id, local),
        ))
    return facts


# ---------------------------------------------------------------------------------------------------------------
# Who configures what


def may_configure(actor: Any, location_id: int | None) -> bool:
    """Rules and queues at a location are configured by those holding frontdesk.configure there; practice-wide
    ones (no location) by those holding it at every location."""
    if location_id is None:
        return has_all_locations(actor, Perm.FRONTDESK_CONFIGURE)
    return can(actor, Perm.FRONTDESK_CONFIGURE, location_id)


def _configurable(actor: Any) -> Q:
    ids = location_ids_where(actor, Perm.FRONTDESK_CONFIGURE)
    if ids is None:
        return Q(pk__isnull=False)
    return Q(location_id__in=ids)


# ---------------------------------------------------------------------------------------------------------------
# Rules


def rules_in_order() -> QuerySet[RoutingRule]:
    """Every rule (active or not) in the order they are tried, with what the list shows."""
    return RoutingRule.objects.select_related("queue", "assign_to", "location", "provider").order_by("position", "pk")


# Compiled rules by database alias, with the signature they were compiled from (see active_rules_compiled).
_COMPILED: dict[str, tuple[tuple[Any, ...], list[CompiledRule]]] = {}


def active_rules_compiled() -> list[CompiledRule]:
    """The active rules whose queue is in use, compiled, in order.

    Loading and compiling 200 rules costs tens of milliseconds, so the compiled list is kept per process and
    reused while the rules are unchanged: one small query reads each active rule's id and the `updated_at` of the
    rule and of its queue (every save sets them; a rule or queue deactivated drops out) and the list is rebuilt
    when that differs. Only the rules' ids and the queue are used from the kept instances, never changed."""
    active = RoutingRule.objects.filter(is_active=True, queue__is_active=True)
    signature = tuple(active.order_by("position", "pk").values_list("pk", "position", "updated_at",
                                                                    "queue__updated_at"))
    alias = active.db
    cached = _COMPILED.get(alias)
    if cached is not None and cached[0] == signature:
        return cached[1]
    compiled = compile_rules(rules_in_order().filter(is_active=True, queue__is_active=True))
    _COMPILED[alias] = (signature, compiled)
    return compiled


def rules_configurable(*, actor: Any) -> QuerySet[RoutingRule]:
    """The rules the actor may change (see may_configure)."""
    return rules_in_order().filter(_configurable(actor))


@dataclass(frozen=True)
class RuleRow:
    rule: RoutingRule
    editable: bool
    first: bool
    last: bool
    conditions: list[str]
    actions: list[str]


def _labels(values: Iterable[str], choices: Any) -> str:
    names = dict(choices)
    return ", ".join(str(names.get(value, value)) for value in values)


def rule_conditions(rule: RoutingRule) -> list[str]:
    """The rule's conditions in words ("every message" when it has none)."""
    parts = []
    if rule.channels:
        parts.append(_("channel: %(v)s") % {"v": _labels(rule.channels, Channel.choices)})
    if rule.categories:
        parts.append(_("category: %(v)s") % {"v": _labels(rule.categories, Category.choices)})
    if rule.subject_words:
        parts.append(_("subject has: %(v)s") % {"v": rule.subject_words})
    if rule.body_words:
        parts.append(_("subject or text has: %(v)s") % {"v": rule.body_words})
    if rule.sender_contains:
        parts.append(_("sender contains: %(v)s") % {"v": rule.sender_contains})
    if rule.location_id:
        parts.append(_("at %(v)s") % {"v": rule.location})
    if rule.provider_id:
        parts.append(_("patient of %(v)s") % {"v": rule.provider})
    if rule.hours != RuleHours.ANY:
        parts.append(str(rule.get_hours_display()).lower())
    if rule.time_from and rule.time_to:
        parts.append(_("between %(a)s and %(b)s") % {"a": f"{rule.time_from:%H:%M}", "b": f"{rule.time_to:%H:%M}"})
    return parts or [_("every message")]


def rule_actions(rule: RoutingRule) -> list[str]:
    parts = [_("to %(v)s") % {"v": rule.queue.name}]
    if rule.assign_to_id:
        assignee: Any = rule.assign_to
        parts.append(_("assign to %(v)s") % {"v": assignee.get_full_name() or assignee.get_username()})
    if rule.round_robin:
        parts.append(_("take turns"))
    if rule.priority:
        parts.append(_("priority %(v)s") % {"v": str(rule.get_priority_display()).lower()})
    if rule.first_response_minutes:
        parts.append(_("answer within %(v)s min") % {"v": rule.first_response_minutes})
    if rule.resolve_minutes:
        parts.append(_("resolve within %(v)s min") % {"v": rule.resolve_minutes})
    return parts


def rule_rows(*, actor: Any) -> list[RuleRow]:
    """Every rule in order (rules are practice configuration: all are listed to those who configure any), each
    marked editable when the actor may change it. One query."""
    rules = list(rules_in_order())
    return [RuleRow(rule=rule, editable=may_configure(actor, rule.location_id), first=index == 0,
                    last=index == len(rules) - 1, conditions=rule_conditions(rule), actions=rule_actions(rule))
            for index, rule in enumerate(rules)]


# ---------------------------------------------------------------------------------------------------------------
# Preview: a rule not yet saved, tried with the saved ones on recent messages

PREVIEW_LIMIT = 200


@dataclass(frozen=True)
class Outcome:
    queue_name: str
    rule_name: str  # "" for the default queue
    by_draft: bool


@dataclass(frozen=True)
class PreviewRow:
    message: Message
    before: Outcome
    after: Outcome

    @property
    def changed(self) -> bool:
        return self.before.queue_name != self.after.queue_name or self.before.rule_name != self.after.rule_name


@dataclass(frozen=True)
class Preview:
    rows: list[PreviewRow]
    taken: int  # messages the draft rule would decide
    changed: int  # messages that would go elsewhere (or by another rule)


def _outcome(match: CompiledRule | None, default_name: str, draft: RoutingRule) -> Outcome:
    if match is None:
        return Outcome(queue_name=default_name, rule_name="", by_draft=False)
    return Outcome(queue_name=match.rule.queue.name, rule_name=match.rule.name, by_draft=match.rule is draft)


def rule_preview(*, actor: Any, draft: RoutingRule, limit: int = PREVIEW_LIMIT) -> Preview:
    """The last `limit` messages the actor may see, routed by the saved rules and by the saved rules with `draft`
    (replacing its saved version when it is one). A fixed number of queries, whatever the number of messages;
    the messages shown are audited (one event each, in one statement)."""
    recent = list(messages_visible(actor=actor).order_by("-received_at", "-pk")[:limit])
    saved_rules = list(rules_in_order().filter(is_active=True, queue__is_active=True))
    with_draft = [rule for rule in saved_rules if rule.pk != draft.pk or draft.pk is None]
    if draft.is_active and draft.queue.is_active:
        with_draft.append(draft)
    before_rules, after_rules = compile_rules(saved_rules), compile_rules(with_draft)
    default = Queue.objects.filter(is_default=True).values_list("name", flat=True).first() or "Front desk"
    facts = facts_for([FactSource.of_message(message) for message in recent])
    rows = []
    for message, fact in zip(recent, facts, strict=True):
        rows.append(PreviewRow(message=message, before=_outcome(first_match(fact, before_rules), default, draft),
                               after=_outcome(first_match(fact, after_rules), default, draft)))
    record_many(actor=actor, events=[
        Event(action="frontdesk.message_listed", target=message, patient_id=message.patient_id,
              location_id=message.location_id, reason="routing rule preview") for message in recent])
    return Preview(rows=rows, taken=sum(1 for row in rows if row.after.by_draft),
                   changed=sum(1 for row in rows if row.changed))


# ---------------------------------------------------------------------------------------------------------------
# Queues


def queue_list() -> QuerySet[Queue]:
    """Every queue with its members and leads and its open messages counted (three queries whatever the number)."""
    return (
        Queue.objects.select_related("department", "location")
        .prefetch_related(Prefetch("memberships", queryset=QueueMember.objects.select_related("user")
                                   .order_by("user__last_name", "user__first_name", "user__pk")))
        .annotate(open_count=Count("messages", filter=~Q(messages__status=MessageStatus.CLOSED)))
        .order_by("-is_default", "name")
    )


@dataclass(frozen=True)
class QueueRow:
    queue: Queue
    editable: bool


def queue_rows(*, actor: Any) -> list[QueueRow]:
    return [QueueRow(queue=queue, editable=may_configure(actor, queue.location_id)) for queue in queue_list()]


def queues_configurable(*, actor: Any) -> QuerySet[Queue]:
    return queue_list().filter(_configurable(actor))


def queues_for_rules() -> QuerySet[Queue]:
    """The queues a rule may send to: those in use."""
    return Queue.objects.filter(is_active=True).order_by("name")


def staff_choices() -> QuerySet[User]:
    """People who can be queue members or rule assignees: active users holding a role."""
    return (User.objects.filter(is_active=True, role_assignments__isnull=False).distinct()
            .order_by("last_name", "first_name", "pk"))


def role_holders(role: str, location_id: int | None) -> QuerySet[User]:
    """Active users holding `role` at this location (at all locations, or listing it; any location when None)."""
    holders = User.objects.filter(is_active=True, role_assignments__role=role)
    if location_id is not None:
        holders = holders.filter(Q(role_assignments__all_locations=True)
                                 | Q(role_assignments__locations__pk=location_id))
    return holders.distinct()


def user_may_take_queue(*, user: Any, queue: Queue) -> bool:
    """A person a rule of this queue may assign to: a member of the queue or a holder of its role."""
    if queue.pk and QueueMember.objects.filter(queue=queue, user=user).exists():
        return True
    return bool(queue.role) and role_holders(queue.role, queue.location_id).filter(pk=user.pk).exists()
