"""The built-in SMTP endpoint, started on a free port and spoken to with smtplib: mail for our mailboxes lands
as messages, anything else is refused at the door."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator

import pytest
from django.core import mail as django_mail

from openpractice.frontdesk.choices import Channel, EntryKind
from openpractice.frontdesk.models import Message, MessageEntry
from openpractice.frontdesk.smtp_endpoint import controller

from .dovecot import free_port
from .factories_mail import PDF, MailboxFactory, make_mail, reply_to
from .factories_routing import QueueFactory, RoutingRuleFactory

# The endpoint stores mail from its own thread (its own database connection): the test's data must be committed.
pytestmark = pytest.mark.django_db(transaction=True)
LIMIT = 2 * 1024 * 1024


@pytest.fixture(autouse=True)
def _uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"


@pytest.fixture
def mailbox(practice):
    return MailboxFactory(address="desk@practice.test")


@pytest.fixture
def endpoint(mailbox) -> Iterator[tuple[str, int]]:
    server = controller(host="127.0.0.1", port=free_port(), data_size_limit=LIMIT)
    server.start()
    try:
        yield "127.0.0.1", server.port
    finally:
        server.stop()


def send(endpoint: tuple[str, int], raw: bytes, *, sender: str = "pat@example.org",
         recipients: tuple[str, ...] = ("desk@practice.test",)) -> None:
    with smtplib.SMTP(*endpoint, timeout=30) as client:
        client.sendmail(sender, list(recipients), raw)


def test_mail_sent_to_the_endpoint_lands_as_a_message_routed_by_the_rules(endpoint, mailbox):
    referrals = QueueFactory(name="Referrals")
    RoutingRuleFactory(name="Referral mail", channels=[Channel.EMAIL], subject_words="referral", queue=referrals)
    send(endpoint, make_mail(to="desk@practice.test", subject="Referral for Mrs Smith",
                             attachments=[("referral.pdf", "application/pdf", PDF)]))
    message = Message.objects.get()
    assert (message.queue, message.channel, message.mailbox) == (referrals, Channel.EMAIL, mailbox)
    inbound = message.entries.get(kind=EntryKind.INBOUND)
    assert inbound.attachments.get().filename == "referral.pdf"
    assert len(django_mail.outbox) == 1  # acknowledged after the commit
    assert django_mail.outbox[0].extra_headers["Auto-Submitted"] == "auto-replied"


def test_the_senders_answer_through_the_endpoint_joins_the_message(endpoint):
    send(endpoint, make_mail(to="desk@practice.test", subject="Question"))
    (ack,) = django_mail.outbox
    send(endpoint, reply_to(ack.message(), text="And another thing."))
    message = Message.objects.get()
    assert message.entries.filter(kind=EntryKind.INBOUND).count() == 2
    assert len(django_mail.outbox) == 1


def test_a_recipient_that_is_not_one_of_our_mailboxes_is_refused(endpoint):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(endpoint, make_mail(to="someone@elsewhere.example"), recipients=("someone@elsewhere.example",))
    assert refused.value.recipients["someone@elsewhere.example"][0] == 550
    assert not MessageEntry.objects.exists()


def test_an_inactive_mailbox_takes_no_mail(endpoint, mailbox):
    mailbox.is_active = False
    mailbox.save()
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(endpoint, make_mail())
    assert not Message.objects.exists()


def test_mail_over_the_size_limit_is_refused(endpoint):
    raw = make_mail(attachments=[("big.pdf", "application/pdf", PDF + b"0" * LIMIT)])
    with pytest.raises(smtplib.SMTPException) as refused:
        send(endpoint, raw)
    assert getattr(refused.value, "smtp_code", None) == 552
    assert not Message.objects.exists()


def test_a_bounce_is_kept_but_never_answered(endpoint):
    send(endpoint, make_mail(sender="postmaster@mx.example.org", subject="Undelivered mail"), sender="")
    message = Message.objects.get()
    assert message.is_auto_submitted
    assert django_mail.outbox == []
    assert message.entries.get(kind=EntryKind.NOTE).body == "• Automatic mail (empty Return-Path (bounce)): " \
                                                            "not acknowledged."
