"""Mail into the queues (services.inbound_mail.mail_receive): new mail is routed like any message, answers join
their thread, automatic mail is never answered, loops and floods stop, attachments are checked, and nothing is
lost or stored twice."""

from __future__ import annotations

import datetime as dt
import hashlib
from email import message_from_bytes, policy
from email.utils import make_msgid

import pytest
from django.core import mail as django_mail
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings

from openpractice.audit.models import AuditEvent
from openpractice.frontdesk.choices import Channel, EntryKind, MessageStatus
from openpractice.frontdesk.models import InboundRate, Message, MessageAttachment, MessageEntry
from openpractice.frontdesk.services.inbound_mail import (
    ACKNOWLEDGE_LIMIT_PER_HOUR,
    LOOP_LIMIT_PER_HOUR,
    inbound_rates_prune,
    mail_receive,
)
from openpractice.patients.tests.factories import PatientFactory

from .factories_mail import EXE, PDF, MailboxFactory, make_mail, reply_to
from .factories_routing import QueueFactory, RoutingRuleFactory
from .test_mail_parse import mutated

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"


@pytest.fixture
def mailbox(practice, north):
    return MailboxFactory(address="desk@practice.test", location=north)


@pytest.fixture
def pharmacy():
    queue = QueueFactory(name="Refills")
    RoutingRuleFactory(name="Refill mail", channels=[Channel.EMAIL], subject_words="refill, prescription",
                       queue=queue)
    return queue


def receive(raw, mailbox, capture):
    """Receive a mail and run what waits for the commit (the acknowledgement)."""
    with capture(execute=True):
        return mail_receive(raw=raw, mailbox=mailbox)


def outbox():
    return [message_from_bytes(m.message().as_bytes(), policy=policy.default) for m in django_mail.outbox]


# --- new mail ----------------------------------------------------------------------------------------------------

def test_a_mail_lands_as_a_message_routed_by_the_rules(mailbox, pharmacy, north, django_capture_on_commit_callbacks):
    raw = make_mail(subject="Refill for my inhaler", text="Please refill.", message_id="<first@example.org>")
    entry = receive(raw, mailbox, django_capture_on_commit_callbacks)
    message = entry.message
    assert (message.channel, message.queue, message.mailbox, message.location) == (
        Channel.EMAIL, pharmacy, mailbox, north)
    assert (message.subject, message.body, message.sender_email, message.sender_name) == (
        "Refill for my inhaler", "Please refill.", "pat@example.org", "Pat Sender")
    assert (entry.kind, entry.email_message_id, entry.from_address, entry.to_addresses) == (
        EntryKind.INBOUND, "<first@example.org>", "pat@example.org", "desk0@practice.test")
    assert message.routed_by.name == "Refill mail"
    assert not message.is_auto_submitted


def test_a_mail_no_rule_matches_lands_in_the_default_queue(mailbox, pharmacy, django_capture_on_commit_callbacks):
    entry = receive(make_mail(subject="Parking question"), mailbox, django_capture_on_commit_callbacks)
    assert entry.message.queue.is_default
    assert entry.message.routed_by is None


def test_a_new_thread_is_acknowledged_once_with_headers_robots_respect(mailbox, django_capture_on_commit_callbacks):
    raw = make_mail(subject="Appointment", message_id="<ask@example.org>", references=["<older@example.org>"])
    entry = receive(raw, mailbox, django_capture_on_commit_callbacks)
    (sent,) = outbox()
    ack = entry.message.entries.get(kind=EntryKind.REPLY)
    assert sent["Auto-Submitted"] == "auto-replied"
    assert sent["X-Loop"] == "desk@practice.test"
    assert sent["In-Reply-To"] == "<ask@example.org>"
    assert sent["References"] == "<older@example.org> <ask@example.org>"
    assert sent["Message-ID"] == ack.email_message_id
    assert sent["To"] == "pat@example.org"
    assert "desk@practice.test" in sent["From"]
    assert sent["Subject"] == f"Re: Appointment [{entry.message.number}]"
    assert entry.message.number in sent.get_content()
    assert ack.author is None
    assert ack.to_addresses == "pat@example.org"


def test_the_mailbox_own_acknowledgement_text_is_used_with_placeholders(mailbox, django_capture_on_commit_callbacks):
    mailbox.acknowledgement_text = "Hi {first_name}, we got it: {number}."
    mailbox.save()
    entry = receive(make_mail(), mailbox, django_capture_on_commit_callbacks)
    assert outbox()[0].get_content().strip() == f"Hi Pat, we got it: {entry.message.number}."


def test_no_acknowledgement_when_the_mailbox_sends_none(mailbox, django_capture_on_commit_callbacks):
    mailbox.send_acknowledgement = False
    mailbox.save()
    entry = receive(make_mail(), mailbox, django_capture_on_commit_callbacks)
    assert django_mail.outbox == []
    assert not entry.message.entries.filter(kind=EntryKind.REPLY).exists()


def test_the_acknowledgement_goes_through_the_smtp_backend(mailbox, smtp_server,
                                                           django_capture_on_commit_callbacks):
    entry = receive(make_mail(message_id="<via-smtp@example.org>"), mailbox, django_capture_on_commit_callbacks)
    (sent,) = smtp_server.messages
    assert sent["Auto-Submitted"] == "auto-replied"
    assert sent["In-Reply-To"] == "<via-smtp@example.org>"
    assert smtp_server.envelopes[0].rcpt_tos == ["pat@example.org"]
    assert entry.message.entries.filter(kind=EntryKind.REPLY).count() == 1


def test_the_patient_is_linked_only_when_exactly_one_active_patient_has_the_address(mailbox, north,
                                                                                   django_capture_on_commit_callbacks):
    only = PatientFactory(home_location=north, email="only@example.org")
    PatientFactory(home_location=north, email="only@example.org", is_active=False)
    PatientFactory(home_location=north, email="shared@example.org")
    PatientFactory(home_location=north, email="Shared@example.org")
    linked = receive(make_mail(sender="only@example.org"), mailbox, django_capture_on_commit_callbacks)
    shared = receive(make_mail(sender="shared@example.org"), mailbox, django_capture_on_commit_callbacks)
    assert linked.message.patient == only
    assert shared.message.patient is None
    assert AuditEvent.objects.filter(action="frontdesk.message_received", patient_id=only.pk).count() == 1


# --- threads -----------------------------------------------------------------------------------------------------

def test_an_answer_to_our_acknowledgement_joins_the_same_message(mailbox, django_capture_on_commit_callbacks):
    first = receive(make_mail(subject="Bill question"), mailbox, django_capture_on_commit_callbacks)
    (ack,) = outbox()
    answer = receive(reply_to(ack, text="My account is 1234."), mailbox, django_capture_on_commit_callbacks)
    assert answer.message == first.message
    assert Message.objects.count() == 1
    assert list(first.message.entries.filter(kind=EntryKind.INBOUND).values_list("body", flat=True)) == [
        "Hello, I have a question.", "My account is 1234."]
    assert len(django_mail.outbox) == 1  # an answer in a thread is not acknowledged again
    assert AuditEvent.objects.filter(action="frontdesk.mail_received", object_id=str(first.message.pk)).exists()


def test_a_mail_naming_an_earlier_mail_in_references_joins_its_message(mailbox, django_capture_on_commit_callbacks):
    first = receive(make_mail(message_id="<root@example.org>"), mailbox, django_capture_on_commit_callbacks)
    later = receive(make_mail(sender="colleague@example.org", in_reply_to="<unknown@elsewhere>",
                              references=["<root@example.org>", "<unknown@elsewhere>"]),
                    mailbox, django_capture_on_commit_callbacks)
    assert later.message == first.message


def test_a_reply_to_a_closed_message_reopens_it(mailbox, django_capture_on_commit_callbacks):
    first = receive(make_mail(), mailbox, django_capture_on_commit_callbacks)
    Message.objects.filter(pk=first.message.pk).update(status=MessageStatus.CLOSED, closed_at=timezone.now(),
                                                       outcome="resolved", outcome_note="done")
    (ack,) = outbox()
    receive(reply_to(ack, text="It happened again."), mailbox, django_capture_on_commit_callbacks)
    message = Message.objects.get(pk=first.message.pk)
    assert (message.status, message.closed_at, message.outcome) == (MessageStatus.OPEN, None, "")
    assert message.entries.filter(kind=EntryKind.STATUS, body="Reopened: the sender wrote again.").exists()
    assert AuditEvent.objects.filter(action="frontdesk.message_reopened", object_id=str(message.pk)).exists()
    assert message.queue == first.message.queue
    assert message.entries.filter(kind=EntryKind.ROUTED).count() == 1  # not routed again


def test_an_automatic_answer_to_a_closed_message_is_kept_without_reopening_it(mailbox,
                                                                              django_capture_on_commit_callbacks):
    first = receive(make_mail(), mailbox, django_capture_on_commit_callbacks)
    Message.objects.filter(pk=first.message.pk).update(status=MessageStatus.CLOSED, closed_at=timezone.now(),
                                                       outcome="resolved")
    (ack,) = outbox()
    out_of_office = reply_to(ack, text="I am away until Monday.", headers={"Auto-Submitted": "auto-replied"})
    entry = receive(out_of_office, mailbox, django_capture_on_commit_callbacks)
    assert entry.message == first.message
    assert Message.objects.get(pk=first.message.pk).status == MessageStatus.CLOSED
    assert len(django_mail.outbox) == 1


def test_the_message_number_in_the_subject_threads_mail_from_the_same_sender_only(mailbox,
                                                                                 django_capture_on_commit_callbacks):
    first = receive(make_mail(), mailbox, django_capture_on_commit_callbacks)
    tagged = f"Re: question [{first.message.number}]"
    same = receive(make_mail(subject=tagged), mailbox, django_capture_on_commit_callbacks)
    other = receive(make_mail(sender="stranger@example.net", subject=tagged), mailbox,
                    django_capture_on_commit_callbacks)
    assert same.message == first.message
    assert other.message != first.message


def test_a_mail_received_twice_is_stored_once(mailbox, django_capture_on_commit_callbacks):
    raw = make_mail(message_id="<twice@example.org>")
    assert receive(raw, mailbox, django_capture_on_commit_callbacks) is not None
    before = (Message.objects.count(), MessageEntry.objects.count(), AuditEvent.objects.count())
    assert receive(raw, mailbox, django_capture_on_commit_callbacks) is None
    assert (Message.objects.count(), MessageEntry.objects.count(), AuditEvent.objects.count()) == before
    assert len(django_mail.outbox) == 1


def test_a_mail_without_message_id_is_recognised_by_its_bytes(mailbox, django_capture_on_commit_callbacks):
    raw = b"From: pat@example.org\r\nTo: desk@practice.test\r\nSubject: no id\r\n\r\nhello\r\n"
    first = receive(raw, mailbox, django_capture_on_commit_callbacks)
    assert first.email_message_id.endswith("@received.openpractice.invalid>")
    assert receive(raw, mailbox, django_capture_on_commit_callbacks) is None
    assert Message.objects.count() == 1


def test_a_duplicate_keeps_no_attachment_file(mailbox, django_capture_on_commit_callbacks):
    raw = make_mail(attachments=[("scan.pdf", "application/pdf", PDF)])
    receive(raw, mailbox, django_capture_on_commit_callbacks)
    receive(raw, mailbox, django_capture_on_commit_callbacks)
    _dirs, files = default_storage.listdir("frontdesk/mail")
    assert len(files) == MessageAttachment.objects.count() == 1


# --- automatic mail, loops and floods -------------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [
    {"Auto-Submitted": "auto-replied"}, {"X-Autoreply": "yes"}, {"Precedence": "bulk"},
    {"List-Id": "<news.example.org>"}, {"Return-Path": "<>"}, {"X-Loop": "desk@practice.test"},
])
def test_automatic_mail_is_kept_marked_and_never_acknowledged(mailbox, headers, django_capture_on_commit_callbacks):
    entry = receive(make_mail(headers=headers), mailbox, django_capture_on_commit_callbacks)
    assert entry.message.is_auto_submitted
    assert django_mail.outbox == []
    note = entry.message.entries.get(kind=EntryKind.NOTE)
    assert note.body.startswith("• Automatic mail (")
    assert note.author is None


def test_mail_from_our_own_mailbox_is_never_acknowledged(mailbox, django_capture_on_commit_callbacks):
    entry = receive(make_mail(sender="desk@practice.test"), mailbox, django_capture_on_commit_callbacks)
    assert entry.message.is_auto_submitted
    assert django_mail.outbox == []


def _robot_answers(sent, round_number: int, *, polite: bool) -> bytes:
    """An autoresponder's answer to one of our mails: a polite one says it is automatic and names our mail; a
    rude one does neither and even changes the subject."""
    if polite:
        return reply_to(sent, sender="robot@example.org", text="I am out of the office.",
                        headers={"Auto-Submitted": "auto-replied"})
    return make_mail(sender="robot@example.org", to="desk@practice.test", subject=f"Ticket #{round_number} received",
                     text="Your mail has been received.")


@pytest.mark.parametrize("polite", [True, False])
def test_an_autoresponder_answering_our_acknowledgement_does_not_start_a_mail_storm(
        mailbox, polite, django_capture_on_commit_callbacks):
    receive(make_mail(sender="robot@example.org", subject="Hello"), mailbox, django_capture_on_commit_callbacks)
    answered = 0
    for round_number in range(200):
        waiting = django_mail.outbox[answered:]
        if not waiting:
            break
        for sent in waiting:
            answered += 1
            receive(_robot_answers(sent.message(), round_number, polite=polite), mailbox,
                    django_capture_on_commit_callbacks)
    else:
        pytest.fail("the two robots were still writing to each other after 200 rounds")
    assert len(django_mail.outbox) <= ACKNOWLEDGE_LIMIT_PER_HOUR
    assert Message.objects.count() <= ACKNOWLEDGE_LIMIT_PER_HOUR + 1
    if polite:
        assert len(django_mail.outbox) == 1
        assert Message.objects.count() == 1


def test_a_burst_of_fifty_mails_from_one_sender_gives_a_bounded_number_of_messages(
        mailbox, django_capture_on_commit_callbacks):
    for number in range(50):
        receive(make_mail(sender="flood@example.org", subject=f"Mail {number}",
                          attachments=[("scan.pdf", "application/pdf", PDF)]),
                mailbox, django_capture_on_commit_callbacks)
    assert Message.objects.count() == LOOP_LIMIT_PER_HOUR
    assert len(django_mail.outbox) == ACKNOWLEDGE_LIMIT_PER_HOUR
    held = MessageEntry.objects.filter(kind=EntryKind.LOOP)
    assert held.count() == 50 - LOOP_LIMIT_PER_HOUR
    assert set(held.values_list("message", flat=True)) == {Message.objects.order_by("-pk").first().pk}
    assert MessageEntry.objects.filter(kind__in=[EntryKind.INBOUND, EntryKind.LOOP]).count() == 50  # all kept
    assert MessageAttachment.objects.count() == LOOP_LIMIT_PER_HOUR  # held-back mail keeps no files
    assert held.first().message.entries.filter(kind=EntryKind.NOTE, body__contains="Held back").exists()
    assert InboundRate.objects.get(sender="flood@example.org").count == 50


def test_a_sender_flooding_a_thread_is_held_back_on_that_thread(mailbox, django_capture_on_commit_callbacks):
    first = receive(make_mail(sender="flood@example.org", message_id="<root@example.org>"), mailbox,
                    django_capture_on_commit_callbacks)
    for _number in range(LOOP_LIMIT_PER_HOUR + 5):
        receive(make_mail(sender="flood@example.org", in_reply_to="<root@example.org>"), mailbox,
                django_capture_on_commit_callbacks)
    assert Message.objects.count() == 1
    assert first.message.entries.filter(kind=EntryKind.LOOP).count() == 6


def test_old_loop_counters_are_pruned(practice):
    now = timezone.now()
    InboundRate.objects.create(sender="a@example.org", hour=now - dt.timedelta(days=3), count=5)
    InboundRate.objects.create(sender="a@example.org", hour=now.replace(minute=0, second=0, microsecond=0), count=1)
    assert inbound_rates_prune(now=now) == 1
    assert InboundRate.objects.count() == 1


# --- content -----------------------------------------------------------------------------------------------------

def test_allowed_attachments_are_stored_outside_the_web_root_and_refused_ones_noted(
        mailbox, settings, django_capture_on_commit_callbacks):
    raw = make_mail(attachments=[("scan.pdf", "application/pdf", PDF), ("x.exe", "application/octet-stream", EXE)])
    entry = receive(raw, mailbox, django_capture_on_commit_callbacks)
    (attachment,) = entry.attachments.all()
    assert (attachment.filename, attachment.content_type, attachment.size) == ("scan.pdf", "application/pdf", len(PDF))
    assert attachment.sha256 == hashlib.sha256(PDF).hexdigest()
    assert attachment.stored_name != "scan.pdf"
    assert len(attachment.stored_name) == 36
    stored = settings.MEDIA_ROOT / "frontdesk" / "mail" / attachment.stored_name
    assert stored.read_bytes() == PDF
    note = entry.message.entries.get(kind=EntryKind.NOTE)
    assert "x.exe refused: type not allowed" in note.body


def test_a_30_mb_attachment_is_refused_and_the_mail_still_lands(mailbox, django_capture_on_commit_callbacks):
    huge = PDF + b"0" * (30 * 1024 * 1024)
    entry = receive(make_mail(subject="Records", attachments=[("records.pdf", "application/pdf", huge)]),
                    mailbox, django_capture_on_commit_callbacks)
    assert entry.message.subject == "Records"
    assert not MessageAttachment.objects.exists()
    assert "records.pdf refused: 30.0 MB is over the 10.0 MB limit per file" in entry.message.entries.get(
        kind=EntryKind.NOTE).body


def test_html_with_script_and_onerror_is_stored_harmless(mailbox, django_capture_on_commit_callbacks):
    html = '<p>Hi</p><script>alert(1)</script><img src="x" onerror="alert(2)"><a href="javascript:x()">a</a>'
    entry = receive(make_mail(text=None, html=html), mailbox, django_capture_on_commit_callbacks)
    assert entry.body_html == '<p>Hi</p><img><a rel="noopener noreferrer nofollow">a</a>'
    assert entry.message.body == "Hi\na"


def test_malformed_mail_lands_with_a_note(mailbox, django_capture_on_commit_callbacks):
    raw = b"\x00\xff garbage without headers\r\n\r\n\xfe more"
    entry = receive(raw, mailbox, django_capture_on_commit_callbacks)
    message = entry.message
    assert message.subject == "(no subject)"
    assert message.queue.is_default
    assert "garbage without headers" in message.body
    note = message.entries.get(kind=EntryKind.NOTE).body
    assert "The mail has no sender address." in note
    assert django_mail.outbox == []  # no address to acknowledge


def test_mail_for_no_known_mailbox_still_lands(practice, django_capture_on_commit_callbacks):
    raw = make_mail(to="unknown@practice.test", message_id=make_msgid(domain="example.org"))
    entry = receive(raw, None, django_capture_on_commit_callbacks)
    assert entry.message.mailbox is None
    assert entry.message.queue.is_default
    assert django_mail.outbox == []


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(raw=mutated())
def test_damaged_mail_always_lands_somewhere_in_the_database(mailbox, raw):
    """Whatever the parser makes of it, the database takes it (no NUL, no lone surrogates, lengths cut)."""
    with transaction.atomic():
        point = transaction.savepoint()
        entry = mail_receive(raw=raw, mailbox=mailbox)
        assert entry is not None
        assert entry.message.queue_id is not None
        transaction.savepoint_rollback(point)
