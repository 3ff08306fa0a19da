"""Queues (frontdesk.configure): the default queue (so nothing is ever dropped), creating and editing queues with
their members and leads, service levels, signature and reply address.

Exactly one queue is the default (a partial unique index holds it, and it must be active and practice-wide);
making another queue the default clears the old one in the same transaction, and only those who configure the
front desk at every location may do it. A queue at a location is configured by those holding frontdesk.configure
there, a practice-wide one by those holding it everywhere; anyone else is refused (audited, nothing changes).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record

from ..models import Queue, QueueMember, RoutingRule
from ..selectors_rules import may_configure, role_holders

DEFAULT_QUEUE_NAME = "Front desk"
QUEUE_FIELDS = ("name", "department", "role", "location", "first_response_minutes", "resolve_minutes", "signature",
                "reply_address", "is_default", "is_active")


def default_queue() -> Queue:
    """The queue messages no rule matches go to; creates "Front desk" as the default if there is none."""
    queue = Queue.objects.filter(is_default=True).first()
    if queue is not None:
        return queue
    try:
        with transaction.atomic():
            existing = Queue.objects.select_for_update().filter(name=DEFAULT_QUEUE_NAME).first()
            if existing is not None:
                existing.is_default, existing.is_active = True, True
                existing.save(update_fields=["is_default", "is_active", "updated_at"])
                return existing
            return Queue.objects.create(name=DEFAULT_QUEUE_NAME, is_default=True)
    except IntegrityError:
        # Someone else made a default at the same moment: theirs stands.
        return Queue.objects.get(is_default=True)


def _clean_values(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(QUEUE_FIELDS)
    if unknown:
        raise TypeError(f"queue fields unknown: {sorted(unknown)}")
    values = dict(fields)
    if "name" in values:
        values["name"] = " ".join(str(values["name"] or "").split())
    for name in ("role", "signature", "reply_address"):
        if name in values:
            values[name] = str(values[name] or "").strip()
    if "reply_address" in values:
        values["reply_address"] = values["reply_address"].lower()
    return values


def _check(queue: Queue) -> None:
    errors: dict[str, str] = {}
    if queue.is_default and not queue.is_active:
        errors["is_active"] = _("The default queue cannot be deactivated: make another queue the default first.")
    if queue.is_default and queue.location_id is not None:
        errors["location"] = _("The default queue takes messages from every location: leave its location empty.")
    if errors:
        raise ValidationError(errors)
    queue.full_clean(validate_constraints=False)


def _check_members(queue: Queue, member_ids: set[int]) -> None:
    """A person a rule assigns to must stay a member (or hold the queue's role)."""
    rules = RoutingRule.objects.filter(queue=queue, is_active=True, assign_to__isnull=False) \
        .exclude(assign_to_id__in=member_ids).select_related("assign_to")
    holders = set(role_holders(queue.role, queue.location_id).values_list("pk", flat=True)) if queue.role else set()
    for rule in rules:
        if rule.assign_to_id not in holders:
            raise ValidationError({"members": _("%(person)s is assigned the messages of rule “%(rule)s”: change the "
                                                "rule before taking them off the queue.") % {
                "person": _name(rule.assign_to), "rule": rule.name}})


def _name(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


def _attname(name: str) -> str:
    field = Queue._meta.get_field(name)
    return str(getattr(field, "attname", name))


def _apply_members(queue: Queue, members: Iterable[Any], leads: Iterable[Any]) -> bool:
    """Make the queue's members exactly `members` plus `leads` (leads flagged); those who stay keep their
    round-robin history. True when anything changed."""
    wanted = {user.pk: user for user in members}
    lead_ids = {user.pk for user in leads}
    wanted.update({user.pk: user for user in leads})
    current = {m.user_id: m for m in QueueMember.objects.select_for_update().filter(queue=queue)}
    if queue.pk:
        _check_members(queue, set(wanted))
    changed = False
    gone = [pk for pk in current if pk not in wanted]
    if gone:
        QueueMember.objects.filter(queue=queue, user_id__in=gone).delete()
        changed = True
    for user_id, user in wanted.items():
        membership = current.get(user_id)
        is_lead = user_id in lead_ids
        if membership is None:
            QueueMember.objects.create(queue=queue, user=user, is_lead=is_lead)
            changed = True
        elif membership.is_lead != is_lead:
            membership.is_lead = is_lead
            membership.save(update_fields=["is_lead"])
            changed = True
    return changed


def _take_default(queue: Queue) -> None:
    """Clear the flag on the old default (locked), so the new one can take it in this transaction."""
    for other in Queue.objects.select_for_update().filter(is_default=True).exclude(pk=queue.pk):
        other.is_default = False
        other.save(update_fields=["is_default", "updated_at"])


def _refuse_unless_configures(actor: Any, action: str, queue: Queue | None, values: dict[str, Any]) -> None:
    location = values.get("location", queue.location_id if queue is not None else None)
    allowed = may_configure(actor, getattr(location, "pk", location))
    if queue is not None:
        allowed = allowed and may_configure(actor, queue.location_id)
    if values.get("is_default") or (queue is not None and queue.is_default):
        allowed = allowed and may_configure(actor, None)
    if not allowed:
        raise refuse(actor=actor, permission=Perm.FRONTDESK_CONFIGURE, action=action, target=queue)


def queue_create(*, actor: Any, members: Iterable[Any] = (), leads: Iterable[Any] = (), **fields: Any) -> Queue:
    """A new queue with its members; with is_default it becomes the one default (the old one stops being it)."""
    values = _clean_values(fields)
    _refuse_unless_configures(actor, "frontdesk.queue_create", None, values)
    with transaction.atomic():
        queue = Queue(**values)
        _check(queue)
        if queue.is_default:
            _take_default(queue)
        queue.save(force_insert=True)
        _apply_members(queue, members, leads)
        record(actor=actor, action="frontdesk.queue_saved", target=queue, location_id=queue.location_id,
               changed_fields=[*sorted(values), "members"], reason="created")
    return queue


def queue_update(*, actor: Any, queue: Queue, members: Iterable[Any] | None = None, leads: Iterable[Any] = (),
                 **fields: Any) -> Queue:
    """Change a queue (members None: keep them). The default queue stays the default until another is made the
    default (there is always one) and cannot be deactivated."""
    values = _clean_values(fields)
    _refuse_unless_configures(actor, "frontdesk.queue_change", queue, values)
    with transaction.atomic():
        locked = Queue.objects.select_for_update().get(pk=queue.pk)
        if locked.is_default and values.get("is_default") is False:
            raise ValidationError({"is_default": _("Make another queue the default instead: one queue must be.")})
        changed = [name for name, value in values.items()
                   if getattr(locked, _attname(name)) != getattr(value, "pk", value)]
        for name in changed:
            setattr(locked, name, values[name])
        _check(locked)
        if "is_default" in changed and locked.is_default:
            _take_default(locked)
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
        if members is not None and _apply_members(locked, members, leads):
            changed.append("members")
        if changed:
            record(actor=actor, action="frontdesk.queue_saved", target=locked, location_id=locked.location_id,
                   changed_fields=changed, reason="changed")
    return locked
