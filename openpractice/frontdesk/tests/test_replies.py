"""Replying by email: the mail reaches a real local SMTP server with the headers that keep it in the sender's
thread, an answer to it is found by its Message-ID, placeholders are filled without evaluating anything, the
signatures and the number go with it, and replies that may not be sent change nothing and send nothing."""

from __future__ import annotations

from collections.abc import Callable
from email.message import Message as Mail
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.accounts.tests.factories import sign_in
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core.models import Location
from openpractice.core.tests.smtp import Mailbox as SmtpMailbox
from openpractice.core.tests.smtp import free_port
from openpractice.frontdesk.choices import Channel, EntryKind, MessageStatus
from openpractice.frontdesk.choices import Outcome as MessageOutcome
from openpractice.frontdesk.models import Mailbox, Message, MessageEntry
from openpractice.frontdesk.services import replies, work

from .factories_queue import EmailMessageFactory, MessageFactory, QueueFactory, ReplyTemplateFactory, signature

pytestmark = pytest.mark.django_db


def body_of(message: Mail) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode().replace("\r\n", "\n").rstrip("\n")


def state() -> list[Any]:
    return [list(Message.objects.order_by("pk").values_list()), list(MessageEntry.objects.order_by("pk").values_list()),
            AuditEvent.objects.filter(outcome=Outcome.ALLOWED).count()]


@pytest.fixture
def desk(make_user: Callable[..., User], north: Location) -> User:
    user = make_user(Role.FRONT_DESK, locations=[north], first_name="Nora", last_name="North")
    signature(user, "Nora North\nFront desk")
    return user


@pytest.fixture
def thread(north: Location) -> Message:
    """A mail that is itself an answer in a longer thread, to a queue with its own address and signature."""
    queue = QueueFactory(name="Billing desk", reply_address="billing@clinic.example",
                         signature="Riverbend billing team")
    return EmailMessageFactory(location=north, queue=queue, inbound__message_id="<second@example.org>",
                               inbound__references="<first@example.org>", inbound__in_reply_to="<first@example.org>")


def test_a_reply_arrives_over_smtp_with_the_threading_headers(
        smtp_server: SmtpMailbox, desk: User, thread: Message, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        entry = replies.message_reply(actor=desk, message=thread, body="Dear {first_name},\n\nWe fixed it.")
    [received] = smtp_server.messages
    assert received["To"] == "dana.reyes@example.org"
    assert "billing@clinic.example" in received["From"]
    assert received["Subject"] == f"Re: Question about my bill [{thread.number}]"
    assert received["In-Reply-To"] == "<second@example.org>"
    assert received["References"].split() == ["<first@example.org>", "<second@example.org>"]
    assert received["Message-ID"] == entry.email_message_id
    assert entry.email_message_id.endswith("@clinic.example>")
    assert body_of(received) == "Dear Dana,\n\nWe fixed it.\n\nNora North\nFront desk\n\nRiverbend billing team"
    # The REPLY entry keeps what was sent.
    assert (entry.kind, entry.author, entry.in_reply_to, entry.to_addresses) == (
        EntryKind.REPLY, desk, "<second@example.org>", "dana.reyes@example.org")
    assert entry.references == "<first@example.org> <second@example.org>"
    assert entry.subject == received["Subject"]
    # An answer to our reply names our Message-ID: that is how the mail intake finds the message again.
    answer_in_reply_to = received["Message-ID"]
    assert MessageEntry.objects.get(email_message_id=answer_in_reply_to).message_id == thread.pk


def test_a_reply_sets_the_first_response_takes_the_message_and_is_audited(
        desk: User, thread: Message, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        entry = replies.message_reply(actor=desk, message=thread, body="Hello", waiting=True)
    stored = Message.objects.get(pk=thread.pk)
    assert stored.first_response_at == entry.created_at
    assert (stored.assignee, stored.status) == (desk, MessageStatus.WAITING)
    [event] = AuditEvent.objects.filter(action="frontdesk.message_replied")
    assert (event.actor, event.patient_id, event.location_id) == (desk, thread.patient_id, thread.location_id)
    assert len(mail.outbox) == 1
    first = stored.first_response_at
    with django_capture_on_commit_callbacks(execute=True):
        replies.message_reply(actor=desk, message=thread, body="And one more thing")
    stored = Message.objects.get(pk=thread.pk)
    assert stored.first_response_at == first
    assert stored.status == MessageStatus.OPEN
    assert mail.outbox[1].extra_headers["In-Reply-To"] == "<second@example.org>"  # still the sender's mail


def test_a_message_without_mail_threads_the_second_reply_under_the_first(
        desk: User, north: Location, django_capture_on_commit_callbacks: Any) -> None:
    web = MessageFactory(channel=Channel.WEB, location=north, sender_email="web@example.org", sender_name="")
    with django_capture_on_commit_callbacks(execute=True):
        first = replies.message_reply(actor=desk, message=web, body="Thanks for writing, {first_name}.")
        second = replies.message_reply(actor=desk, message=web, body="Any news?")
    assert "In-Reply-To" not in mail.outbox[0].extra_headers
    assert mail.outbox[0].body.startswith("Thanks for writing, .")  # no name given: left empty, never made up
    assert (second.in_reply_to, second.references) == (first.email_message_id, first.email_message_id)


def test_placeholders_are_filled_without_evaluating_anything(
        desk: User, thread: Message, django_capture_on_commit_callbacks: Any) -> None:
    text = ("{first_name} {number} {staff_name} {practice_name} {practice_phone} {number.__class__} {number[0]} "
            "{unknown} { stray")
    with django_capture_on_commit_callbacks(execute=True):
        replies.message_reply(actor=desk, message=thread, body=text)
    sent = mail.outbox[0].body.split("\n\n")[0]
    assert sent == (f"Dana {thread.number} Nora North Riverbend Family Medicine {thread.location.phone} "
                    "{number.__class__} {number[0]} {unknown} { stray")


def test_a_template_gives_the_text_and_the_subject_keeps_the_number(
        desk: User, thread: Message, django_capture_on_commit_callbacks: Any) -> None:
    template = ReplyTemplateFactory(subject="Your bill, {first_name}", body="Hello {first_name}, see {number}.")
    with django_capture_on_commit_callbacks(execute=True):
        entry = replies.message_reply(actor=desk, message=thread, body="", template=template)
    assert entry.subject == f"Your bill, Dana [{thread.number}]"
    assert mail.outbox[0].body.startswith(f"Hello Dana, see {thread.number}.")
    assert AuditEvent.objects.get(action="frontdesk.message_replied").reason == f"template {template.pk}"
    template.is_active = False
    template.save()
    with pytest.raises(ValidationError):
        replies.message_reply(actor=desk, message=thread, body="x", template=template)


def test_the_reply_comes_from_the_mailbox_when_the_queue_has_no_address(
        desk: User, north: Location, django_capture_on_commit_callbacks: Any, settings: Any) -> None:
    mailbox = Mailbox.objects.create(name="Front", address="front@clinic.example")
    by_mailbox = EmailMessageFactory(location=north, mailbox=mailbox, subject="Re: Parking")
    plain = EmailMessageFactory(location=north)
    with django_capture_on_commit_callbacks(execute=True):
        replies.message_reply(actor=desk, message=by_mailbox, body="Hi")
        replies.message_reply(actor=desk, message=plain, body="Hi")
    assert mail.outbox[0].from_email == "Riverbend Family Medicine <front@clinic.example>"
    assert mail.outbox[0].subject == f"Re: Parking [{by_mailbox.number}]"  # no second "Re:"
    assert mail.outbox[1].from_email == settings.DEFAULT_FROM_EMAIL


def test_closing_with_the_reply_closes_the_message_after_it(
        desk: User, thread: Message, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        replies.message_reply(actor=desk, message=thread, body="Done.", close_with=MessageOutcome.ANSWERED)
    stored = Message.objects.get(pk=thread.pk)
    assert (stored.status, stored.outcome) == (MessageStatus.CLOSED, MessageOutcome.ANSWERED)
    kinds = list(stored.entries.order_by("created_at", "pk").values_list("kind", flat=True))
    assert kinds[-2:] == [EntryKind.REPLY, EntryKind.STATUS]
    assert len(mail.outbox) == 1


def test_replies_that_may_not_be_sent_change_nothing_and_send_nothing(
        desk: User, thread: Message, north: Location, south: Location, make_user: Callable[..., User],
        django_capture_on_commit_callbacks: Any) -> None:
    phone = MessageFactory(location=north)
    closed = EmailMessageFactory(location=north, status=MessageStatus.CLOSED, closed_at=thread.received_at,
                                 outcome=MessageOutcome.RESOLVED)
    outsider = make_user(Role.FRONT_DESK, locations=[south])
    before = state()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for call in (lambda: replies.message_reply(actor=desk, message=phone, body="Hi"),
                     lambda: replies.message_reply(actor=desk, message=closed, body="Hi"),
                     lambda: replies.message_reply(actor=desk, message=thread, body="   "),
                     lambda: replies.message_reply(actor=desk, message=thread, body="Hi", close_with="maybe")):
            with pytest.raises(ValidationError):
                call()
        with pytest.raises(PermissionDenied):
            replies.message_reply(actor=outsider, message=thread, body="Hi")
    assert callbacks == []
    assert mail.outbox == []
    assert state() == before
    assert AuditEvent.objects.filter(actor=outsider, outcome=Outcome.DENIED,
                                     action="frontdesk.message_reply").count() == 1


def test_a_mail_server_that_is_down_leaves_a_line_on_the_timeline(
        settings: Any, desk: User, thread: Message, django_capture_on_commit_callbacks: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    with django_capture_on_commit_callbacks(execute=True):
        entry = replies.message_reply(actor=desk, message=thread, body="Hello")
    last = thread.entries.order_by("-pk").first()
    assert last is not None
    assert last.kind == EntryKind.STATUS
    assert "could not be sent" in last.body
    assert MessageEntry.objects.filter(pk=entry.pk).exists()


def test_replying_through_the_page_sends_the_mail(
        smtp_server: SmtpMailbox, desk: User, thread: Message, django_capture_on_commit_callbacks: Any) -> None:
    template = ReplyTemplateFactory()
    client = sign_in(Client(), desk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("frontdesk:message_reply", args=[thread.pk]),
                               {"body": "", "template": template.pk, "close_with": ""})
    assert response.status_code == 302
    [received] = smtp_server.messages
    assert body_of(received).startswith("Dear Dana,")
    refused = client.post(reverse("frontdesk:message_reply", args=[thread.pk]), {"body": "", "template": ""})
    assert refused.status_code == 400
    assert refused.context["reply_form"].errors
    work.message_close(actor=desk, message=thread, outcome=MessageOutcome.RESOLVED)
    page = client.get(reverse("frontdesk:message_detail", args=[thread.pk]))
    assert "reply_form" not in page.context  # closed: reopen before replying
