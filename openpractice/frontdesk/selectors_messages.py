"""Which messages a person sees, and which of a message's details.

A message is seen by
- the front desk and managers (`frontdesk.view`) at the message's location; a message with no location (mail to
  a practice-wide mailbox, nobody matched) by anyone holding `frontdesk.view` anywhere;
- the people it was routed to, whatever their role: its assignee, the members of its queue, and for a role queue
  everyone holding that role at the message's location (a biller works the billing queue without front-desk
  rights);
- the staff member who wrote an internal message.
Within a message, the patient it is linked to shows only to roles that may see demographics, a claim only to
billing roles; the text is what the sender wrote to the practice and goes with the message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from openpractice.accounts import permissions
from openpractice.accounts.roles import Perm

from .models import Message, Queue


def _role_queue_filter(actor: Any) -> Q:
    """Messages in a role queue for a role the actor holds, at a location that role reaches."""
    condition = Q(pk__in=[])
    for grant in permissions.grants(actor):
        in_role = Q(queue__role=grant.role)
        if grant.all_locations:
            condition |= in_role
        else:
            condition |= in_role & (Q(location_id__in=grant.location_ids) | Q(location__isnull=True))
    return condition


def visibility_filter(actor: Any) -> Q:
    """The Q that keeps the messages `actor` may see (see the module docstring)."""
    if not permissions.grants(actor):
        return Q(pk__in=[])
    condition = Q(assignee=actor) | Q(sender_user=actor) | Q(queue__memberships__user=actor)
    condition |= _role_queue_filter(actor)
    desk = permissions.location_ids_where(actor, Perm.FRONTDESK_VIEW)
    if desk is None:
        condition |= Q(pk__isnull=False)
    elif desk:
        condition |= Q(location_id__in=desk) | Q(location__isnull=True)
    return condition


def messages_visible(*, actor: Any) -> QuerySet[Message]:
    """Every message the actor may see, with what list pages show, in one query (no N+1)."""
    visible_ids = Message.objects.filter(visibility_filter(actor)).values("pk")
    return (
        Message.objects.filter(pk__in=visible_ids)
        .select_related("queue", "assignee", "location", "sender_user")
    )


def message_for_actor(*, actor: Any, pk: int) -> Message | None:
    """The message if the actor may see it, else None (the view answers 404 and audits the refusal)."""
    return messages_visible(actor=actor).select_related("patient", "claim", "case", "work_order", "appointment",
                                                        "mailbox", "routed_by").filter(pk=pk).first()


def queues_of(*, actor: Any) -> QuerySet[Queue]:
    """The queues the actor works: all active queues for the front desk, else those they are a member of or
    whose role they hold."""
    active = Queue.objects.filter(is_active=True)
    if permissions.can(actor, Perm.FRONTDESK_VIEW):
        return active
    roles = {grant.role for grant in permissions.grants(actor)}
    return active.filter(Q(memberships__user=actor) | Q(role__in=roles)).distinct()


@dataclass(frozen=True)
class MessageView:
    """What of a message's links this actor may be shown."""

    patient: bool
    claim: bool
    may_work: bool  # claim, reply, note, forward, close


def message_view_for(*, actor: Any, message: Message) -> MessageView:
    location = message.location_id
    return MessageView(
        patient=permissions.can(actor, Perm.PATIENTS_DEMOGRAPHICS, location),
        claim=permissions.can(actor, Perm.BILLING_VIEW, location),
        may_work=may_work(actor=actor, message=message),
    )


def may_work(*, actor: Any, message: Message) -> bool:
    """Front desk staff with `frontdesk.manage` where the message is, its assignee, and the people it was routed
    to (queue members, holders of the queue's role) may work it."""
    if message.assignee_id == actor.pk:
        return True
    if message.location_id is None:
        if permissions.can(actor, Perm.FRONTDESK_MANAGE):
            return True
    elif permissions.can(actor, Perm.FRONTDESK_MANAGE, message.location_id):
        return True
    queue = message.queue
    if queue.role and any(
        grant.role == queue.role and (grant.all_locations or message.location_id is None
                                      or message.location_id in grant.location_ids)
        for grant in permissions.grants(actor)
    ):
        return True
    return queue.memberships.filter(user=actor).exists()
