"""Samples for THE route matrix (tests/test_routes.py), merged there.

A message is seen by the people it was routed to whatever their role, so the in-scope message of each actor is a
North message assigned to that actor; the out-of-scope one is a South message assigned to nobody (a North-only
user sees nothing of South). Queues, routing rules, reply templates and mailboxes are practice-wide settings.

    "message": messages,                      # message_detail and the actions on it (<pk> = Message)
    "messageattachment": attachments,         # attachment_download (<pk> = MessageAttachment)
    "callback": callbacks,                    # callback_done (<pk> = CallbackTask; the actor's own vs another's)
    "profile": profiles,                      # profile_edit (<pk> = User: a North and a South person)
    "queue" / "routingrule" / "replytemplate" / "mailbox": practice-wide
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from openpractice.frontdesk.choices import Channel, EntryKind
from openpractice.frontdesk.models import (
    CallbackTask,
    Mailbox,
    Message,
    MessageAttachment,
    MessageEntry,
    Queue,
    QueueMember,
    ReplyTemplate,
    RoutingRule,
)

from .factories_mail import attachment_stored


def _cache(world: Any) -> dict[str, Any]:
    cache: dict[str, Any] = world.__dict__.setdefault("_frontdesk_samples", {})
    if not cache:
        cache["queue"] = Queue.objects.create(name="Route matrix desk", is_default=True)
        cache["rule"] = RoutingRule.objects.create(name="Billing words", body_words="bill, invoice",
                                                   queue=cache["queue"])
        cache["template"] = ReplyTemplate.objects.create(name="Route matrix reply", body="Thank you, {first_name}.")
        cache["mailbox"] = Mailbox.objects.create(name="Route matrix", address="desk@route-matrix.example")
        cache["team"] = Queue.objects.create(name="Route matrix team")  # no messages: members may be added
        cache["south"] = _message(world, world.south, None)
    return cache


def _message(world: Any, location: Any, assignee: Any) -> Message:
    queue = world.__dict__["_frontdesk_samples"]["queue"]
    now = timezone.now()
    message = Message.objects.create(
        channel=Channel.EMAIL, subject="Question about my bill", body="Why is my bill higher this month?",
        sender_name="Pat Caller", sender_email="pat@example.test", location=location, queue=queue,
        assignee=assignee, received_at=now, first_response_due=now + dt.timedelta(hours=4),
        resolve_due=now + dt.timedelta(days=2),
    )
    entry = MessageEntry.objects.create(message=message, kind=EntryKind.INBOUND, created_at=now,
                                        body=message.body, from_address=message.sender_email,
                                        email_message_id=f"<{secrets.token_hex(8)}@example.test>")
    attachment_stored(entry)  # with its file in storage: the download view answers 404 without
    return message


def _own_message(world: Any, actor: Any) -> Message:
    cache = _cache(world)
    key = f"north-{getattr(actor, 'pk', None)}"
    if key not in cache:
        cache[key] = _message(world, world.north, actor)
    message: Message = cache[key]
    return message


def messages(world: Any, actor: Any) -> tuple[Any, Any]:
    return _own_message(world, actor), _cache(world)["south"]


def attachments(world: Any, actor: Any) -> tuple[Any, Any]:
    inside = MessageAttachment.objects.filter(entry__message=_own_message(world, actor)).first()
    outside = MessageAttachment.objects.filter(entry__message=_cache(world)["south"]).first()
    return inside, outside


def callbacks(world: Any, actor: Any) -> tuple[Any, Any]:
    cache = _cache(world)
    key = f"callback-{getattr(actor, 'pk', None)}"
    if key not in cache:
        now = timezone.now()
        mine = CallbackTask.objects.create(message=_own_message(world, actor), assignee=actor or world.stranger,
                                           number="(919) 555-0100", due_at=now + dt.timedelta(hours=1),
                                           created_by=world.stranger, created_at=now)
        if "callback-other" not in cache:
            cache["callback-other"] = CallbackTask.objects.create(
                message=cache["south"], assignee=world.stranger, number="(919) 555-0101",
                due_at=now + dt.timedelta(hours=1), created_by=world.stranger, created_at=now)
        cache[key] = mine
    return cache[key], cache["callback-other"]


def profiles(world: Any, actor: Any) -> tuple[Any, Any]:
    return world.person_north, world.person_south


def _practice_wide(key: str) -> Callable[[Any, Any], tuple[Any, Any]]:
    return lambda world, actor: (_cache(world)[key], None)


def queues(world: Any, actor: Any) -> tuple[Any, Any]:
    """A team queue with the actor a member (a queue's page shows to those who work it); not the queue of the
    sample messages, whose visibility must not change."""
    queue = _cache(world)["team"]
    if actor is not None:
        QueueMember.objects.get_or_create(queue=queue, user=actor)
    return queue, None


SAMPLES: dict[str, Callable[[Any, Any], tuple[Any, Any]]] = {
    "message": messages,
    "messageattachment": attachments,
    "callback": callbacks,
    "profile": profiles,
    "queue": queues,
    "routingrule": _practice_wide("rule"),
    "replytemplate": _practice_wide("template"),
    "mailbox": _practice_wide("mailbox"),
}
# Route names whose first word is taken by another app's kind (billing's scrubber "rule", workforce's checklist
# "template", policies' "attachment").
KIND_OF_ROUTE: dict[str, str] = {
    "frontdesk:rule_edit": "routingrule",
    "frontdesk:rule_move": "routingrule",
    "frontdesk:template_edit": "replytemplate",
    "frontdesk:attachment_download": "messageattachment",
}
PRACTICE_WIDE: frozenset[str] = frozenset({"queue", "routingrule", "replytemplate", "mailbox"})
