"""Front desk routing test data: queues, members, rules, and messages made through the real intake."""

from __future__ import annotations

from typing import Any

import factory

from openpractice.frontdesk.choices import Channel
from openpractice.frontdesk.models import Message, MessageEntry, Queue, QueueMember, RoutingRule, StaffProfile
from openpractice.frontdesk.services.intake import Incoming, message_intake


class QueueFactory(factory.django.DjangoModelFactory[Queue]):
    class Meta:
        model = Queue

    name = factory.Sequence(lambda n: f"Queue {n}")


class QueueMemberFactory(factory.django.DjangoModelFactory[QueueMember]):
    class Meta:
        model = QueueMember

    queue = factory.SubFactory(QueueFactory)


class RoutingRuleFactory(factory.django.DjangoModelFactory[RoutingRule]):
    class Meta:
        model = RoutingRule

    name = factory.Sequence(lambda n: f"Rule {n}")
    position = factory.Sequence(lambda n: 10 * (n + 1))
    queue = factory.SubFactory(QueueFactory)


class StaffProfileFactory(factory.django.DjangoModelFactory[StaffProfile]):
    class Meta:
        model = StaffProfile


def incoming(**fields: Any) -> Incoming:
    """An Incoming with sensible defaults (a phone call about nothing in particular)."""
    values: dict[str, Any] = {"channel": Channel.PHONE, "subject": "Question", "sender_name": "Sam Caller",
                              "sender_phone": "919-555-0199"}
    values.update(fields)
    return Incoming(**values)


def receive(actor: Any = None, **fields: Any) -> tuple[Message, MessageEntry]:
    """A message through the real intake."""
    return message_intake(actor=actor, incoming=incoming(**fields))
