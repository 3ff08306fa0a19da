"""Test data for the queue pages, the actions, replies and escalation: queues and messages made directly with the
models (a queue, the time received, the service levels), so these tests do not depend on intake."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory
from django.utils import timezone

from openpractice.frontdesk.choices import Category, Channel, EntryKind, MessageStatus, Priority
from openpractice.frontdesk.models import Message, MessageEntry, Queue, QueueMember, ReplyTemplate, StaffProfile


class QueueFactory(factory.django.DjangoModelFactory[Queue]):
    class Meta:
        model = Queue

    name = factory.Sequence(lambda n: f"Desk queue {n}")


def member(queue: Queue, user: Any, *, lead: bool = False) -> QueueMember:
    return QueueMember.objects.create(queue=queue, user=user, is_lead=lead)


class MessageFactory(factory.django.DjangoModelFactory[Message]):
    """A phone message received an hour ago: first response due in three hours, resolution in two days."""

    class Meta:
        model = Message

    channel = Channel.PHONE
    status = MessageStatus.NEW
    priority = Priority.NORMAL
    category = Category.OTHER
    subject = factory.Sequence(lambda n: f"Question {n} about an appointment")
    body = "Please call me back about my visit."
    sender_name = "Robin Caller"
    sender_phone = "919-555-0199"
    queue = factory.SubFactory(QueueFactory)
    received_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))
    first_response_due = factory.LazyAttribute(lambda m: m.received_at + dt.timedelta(hours=4))
    resolve_due = factory.LazyAttribute(lambda m: m.received_at + dt.timedelta(days=2))


class EmailMessageFactory(MessageFactory):
    """An email thread: the message and its first INBOUND entry (with its Message-ID)."""

    class Meta:
        skip_postgeneration_save = True

    channel = Channel.EMAIL
    sender_name = "Dana Reyes"
    sender_email = "dana.reyes@example.org"
    sender_phone = ""
    subject: Any = "Question about my bill"
    body = "I was billed twice for my March visit."

    @factory.post_generation
    def inbound(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted is not False:
            MessageEntry.objects.create(
                message=self, kind=EntryKind.INBOUND, created_at=self.received_at, body=self.body,
                email_message_id=kwargs.get("message_id", f"<inbound-{self.pk}@example.org>"),
                references=kwargs.get("references", ""), in_reply_to=kwargs.get("in_reply_to", ""),
                from_address=self.sender_email, to_addresses="desk@clinic.example", subject=self.subject)


class ReplyTemplateFactory(factory.django.DjangoModelFactory[ReplyTemplate]):
    class Meta:
        model = ReplyTemplate

    name = factory.Sequence(lambda n: f"Template {n}")
    body = "Dear {first_name},\n\nThank you for writing about {number}. Call us on {practice_phone}.\n\n{staff_name}"


def signature(user: Any, text: str) -> StaffProfile:
    return StaffProfile.objects.create(user=user, signature=text)


def overdue(**fields: Any) -> dict[str, Any]:
    """Fields of a message received five hours ago whose first response was due an hour ago."""
    received = timezone.now() - dt.timedelta(hours=5)
    return {"received_at": received, "first_response_due": received + dt.timedelta(hours=4),
            "resolve_due": received + dt.timedelta(days=2), **fields}
