"""SLA escalation: open messages past their first-response or resolution time are escalated once each, with a line
on the timeline, an audit event, and a mail through a real local SMTP server to the office managers where the
message is and the queue's leads, holding no words of the message and no patient."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from email.message import Message as Mail
from typing import Any

import pytest
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.core.tests.smtp import Mailbox as SmtpMailbox
from openpractice.core.tests.smtp import free_port
from openpractice.frontdesk import tasks
from openpractice.frontdesk.choices import EntryKind, MessageStatus
from openpractice.frontdesk.choices import Outcome as MessageOutcome
from openpractice.frontdesk.models import Message, MessageEntry, Queue
from openpractice.frontdesk.services.escalation import messages_escalate
from openpractice.patients.tests.factories import PatientFactory

from .factories_queue import EmailMessageFactory, MessageFactory, QueueFactory, member

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)  # 10:00 in New York, the practice's zone
HOUR = dt.timedelta(hours=1)


def body_of(message: Mail) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def make(**fields: Any) -> Message:
    """A message received at 09:00 UTC: first response due 13:00 UTC, resolution 18:00 UTC the same day."""
    values: dict[str, Any] = {"received_at": NOW - 6 * HOUR, "first_response_due": NOW - 2 * HOUR,
                              "resolve_due": NOW + 3 * HOUR}
    values.update(fields)
    return MessageFactory(**values)


@pytest.fixture
def queue(make_user: Callable[..., User]) -> Queue:
    queue = QueueFactory(name="Appointments")
    member(queue, make_user(Role.FRONT_DESK, email="lead@example.test"), lead=True)
    member(queue, make_user(Role.FRONT_DESK, email="member@example.test"))
    return queue


@pytest.fixture
def managers(make_user: Callable[..., User], north: Location, south: Location) -> dict[str, User]:
    return {
        "north": make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north], email="North.Manager@example.test"),
        "all": make_user(Role.OFFICE_MANAGER, Tier.MID, email="all@example.test"),
        "south": make_user(Role.OFFICE_MANAGER, Tier.EXPERIENCED, locations=[south], email="south@example.test"),
        "practice": make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, email="pm@example.test"),
        "desk": make_user(Role.FRONT_DESK, locations=[north], email="desk@example.test"),
    }


def test_a_message_without_a_first_response_in_time_is_escalated_once(north: Location, queue: Queue) -> None:
    message = make(location=north, queue=queue)
    assert messages_escalate(now=NOW - 2 * HOUR) == 0  # the due time itself is still in time
    assert messages_escalate(now=NOW) == 1
    stored = Message.objects.get(pk=message.pk)
    assert stored.escalated_at == NOW
    assert stored.status == MessageStatus.NEW
    entry = stored.entries.get()
    assert (entry.kind, entry.author) == (EntryKind.ESCALATED, None)
    assert "no first response by 2026-03-02 08:00" in entry.body  # practice time
    assert messages_escalate(now=NOW + HOUR) == 0
    assert messages_escalate(now=NOW + 10 * HOUR) == 0  # late for resolving too: still once
    [event] = AuditEvent.objects.filter(action="frontdesk.message_escalated")
    assert (event.actor, event.object_id, event.reason, event.location_id) == (
        None, str(message.pk), "first_response", north.pk)


def test_a_message_answered_in_time_is_escalated_when_not_resolved_in_time(north: Location, queue: Queue) -> None:
    message = make(location=north, queue=queue, first_response_at=NOW - 3 * HOUR)
    assert messages_escalate(now=NOW) == 0
    assert messages_escalate(now=NOW + 4 * HOUR) == 1
    assert "not resolved by 2026-03-02 13:00" in MessageEntry.objects.get(message=message).body
    assert AuditEvent.objects.get(action="frontdesk.message_escalated").reason == "resolution"


def test_closed_and_answered_messages_are_left_alone(north: Location, queue: Queue) -> None:
    make(location=north, queue=queue, status=MessageStatus.CLOSED, closed_at=NOW - 3 * HOUR,
         outcome=MessageOutcome.RESOLVED, resolve_due=NOW - HOUR)
    make(location=north, queue=queue, first_response_at=NOW - 2 * HOUR)
    before = list(Message.objects.order_by("pk").values_list())
    assert messages_escalate(now=NOW) == 0
    assert list(Message.objects.order_by("pk").values_list()) == before
    assert not MessageEntry.objects.exists()


def test_the_mail_goes_to_the_office_managers_there_and_the_queues_leads_without_phi(
        smtp_server: SmtpMailbox, managers: dict[str, User], north: Location, queue: Queue,
        django_capture_on_commit_callbacks: Any) -> None:
    patient = PatientFactory(home_location=north, first_name="Imogen", last_name="Quill")
    message = EmailMessageFactory(location=north, queue=queue, patient=patient, received_at=NOW - 6 * HOUR,
                                  first_response_due=NOW - 2 * HOUR, resolve_due=NOW - HOUR)
    with django_capture_on_commit_callbacks(execute=True):
        assert messages_escalate(now=NOW) == 1
    assert sorted(mail["To"] for mail in smtp_server.messages) == [
        "North.Manager@example.test", "all@example.test", "lead@example.test"]
    for received in smtp_server.messages:
        assert received["Subject"] == f"Overdue: message {message.number} in Appointments"
    body = body_of(smtp_server.messages[0])
    assert message.number in body
    assert "Appointments" in body
    assert "no first response by 2026-03-02 08:00; not resolved by 2026-03-02 09:00" in body
    assert f"http://testserver/frontdesk/messages/{message.pk}/" in body
    for secret in ("Imogen", "Quill", "Dana", "Reyes", "dana.reyes", "bill", "March", message.subject):
        assert secret not in body
        assert secret not in smtp_server.messages[0]["Subject"]


def test_a_message_with_no_location_goes_to_every_office_manager(
        smtp_server: SmtpMailbox, managers: dict[str, User], queue: Queue,
        django_capture_on_commit_callbacks: Any) -> None:
    make(location=None, queue=queue)
    with django_capture_on_commit_callbacks(execute=True):
        assert messages_escalate(now=NOW) == 1
    assert sorted(mail["To"] for mail in smtp_server.messages) == [
        "North.Manager@example.test", "all@example.test", "lead@example.test", "south@example.test"]


def test_a_mail_server_that_is_down_does_not_undo_the_escalation(
        settings: Any, managers: dict[str, User], north: Location, queue: Queue,
        django_capture_on_commit_callbacks: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    message = make(location=north, queue=queue)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert messages_escalate(now=NOW) == 1
    assert len(callbacks) == 1
    assert Message.objects.get(pk=message.pk).escalated_at == NOW
    assert messages_escalate(now=NOW + HOUR) == 0


def test_the_quarter_hour_task_escalates_what_is_overdue_now(north: Location, queue: Queue) -> None:
    now = timezone.now()
    overdue = make(location=north, queue=queue, received_at=now - 5 * HOUR, first_response_due=now - HOUR,
                   resolve_due=now + HOUR)
    make(location=north, queue=queue, received_at=now - HOUR, first_response_due=now + HOUR,
         resolve_due=now + 5 * HOUR)
    assert tasks.escalate_overdue_messages.call_local() == 1
    assert Message.objects.get(pk=overdue.pk).escalated_at is not None
    assert tasks.escalate_overdue_messages.call_local() == 0
