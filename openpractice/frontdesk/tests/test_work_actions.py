"""Working a message: claim, assign, forward, note, priority, close, reopen. Each action changes the message, writes
its line on the timeline and an audit event; a person who may not work the message is refused (audited) and
nothing changes; a closed message refuses every change but reopening."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core.models import Location
from openpractice.frontdesk.choices import Channel, EntryKind, MessageStatus, Priority
from openpractice.frontdesk.choices import Outcome as MessageOutcome
from openpractice.frontdesk.models import Message, MessageEntry, Queue
from openpractice.frontdesk.services import work
from openpractice.patients.tests.factories import PatientFactory

from .factories_queue import MessageFactory, QueueFactory, member

pytestmark = pytest.mark.django_db


def state() -> list[Any]:
    """Everything an action could change: the messages, their timelines, the allowed audit events."""
    return [list(Message.objects.order_by("pk").values_list()), list(MessageEntry.objects.order_by("pk").values_list()),
            AuditEvent.objects.filter(outcome=Outcome.ALLOWED).count()]


def denials(user: User, action: str) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED, action=action).count()


def last_entry(message: Message) -> MessageEntry:
    return message.entries.order_by("-created_at", "-pk").first()  # type: ignore[return-value]


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, outcome=Outcome.ALLOWED).order_by("seq"))


@pytest.fixture
def people(make_user: Callable[..., User], north: Location, south: Location) -> dict[str, User]:
    return {
        "desk": make_user(Role.FRONT_DESK, locations=[north], first_name="Nora", last_name="North"),
        "desk2": make_user(Role.FRONT_DESK, locations=[north], first_name="Ned", last_name="North"),
        "south": make_user(Role.FRONT_DESK, locations=[south]),
        "biller": make_user(Role.BILLER, locations=[north]),
        "hr": make_user(Role.HR),
    }


@pytest.fixture
def billing_queue() -> Queue:
    return QueueFactory(name="Billing", role=Role.BILLER)


@pytest.fixture
def message(north: Location) -> Message:
    return MessageFactory(location=north, patient=PatientFactory(home_location=north))


# --- each action ----------------------------------------------------------------------------------------------


def test_claiming_a_new_message_makes_it_mine_and_in_progress(people: dict[str, User], message: Message) -> None:
    work.message_claim(actor=people["desk"], message=message)
    stored = Message.objects.get(pk=message.pk)
    assert (stored.assignee, stored.status) == (people["desk"], MessageStatus.OPEN)
    assert (message.assignee_id, message.status) == (people["desk"].pk, MessageStatus.OPEN)  # the caller's copy
    entry = last_entry(message)
    assert (entry.kind, entry.author, entry.to_user) == (EntryKind.CLAIMED, people["desk"], people["desk"])
    [event] = events("frontdesk.message_claimed")
    assert (event.patient_id, event.location_id) == (message.patient_id, message.location_id)
    assert event.changed_field_list == ["assignee", "status"]
    assert stored.first_response_at is None  # claiming is no answer to the person who wrote


def test_claiming_a_colleagues_message_says_whose_it_was(people: dict[str, User], message: Message) -> None:
    work.message_claim(actor=people["desk"], message=message)
    work.message_claim(actor=people["desk2"], message=message)
    assert Message.objects.get(pk=message.pk).assignee == people["desk2"]
    assert "was with Nora North" in last_entry(message).body


def test_assigning_gives_the_message_to_someone_who_works_it(people: dict[str, User], message: Message) -> None:
    work.message_assign(actor=people["desk"], message=message, assignee=people["desk2"])
    stored = Message.objects.get(pk=message.pk)
    assert stored.assignee == people["desk2"]
    assert stored.status == MessageStatus.NEW  # the new assignee has not picked it up yet
    entry = last_entry(message)
    assert (entry.kind, entry.to_user) == (EntryKind.ASSIGNED, people["desk2"])
    work.message_assign(actor=people["desk"], message=message, assignee=None)
    assert Message.objects.get(pk=message.pk).assignee is None
    assert len(events("frontdesk.message_assigned")) == 2


def test_a_queue_member_without_front_desk_rights_may_be_given_the_message(
        people: dict[str, User], north: Location) -> None:
    queue = QueueFactory(name="HR questions")
    member(queue, people["hr"])
    message = MessageFactory(location=north, queue=queue)
    work.message_assign(actor=people["desk"], message=message, assignee=people["hr"])
    assert Message.objects.get(pk=message.pk).assignee == people["hr"]


def test_assigning_to_someone_who_may_not_work_the_message_changes_nothing(
        people: dict[str, User], message: Message) -> None:
    before = state()
    for outsider in (people["south"], people["hr"], people["biller"]):
        with pytest.raises(ValidationError) as error:
            work.message_assign(actor=people["desk"], message=message, assignee=outsider)
        assert "assignee" in error.value.message_dict
    people["desk2"].is_active = False
    people["desk2"].save()
    with pytest.raises(ValidationError):
        work.message_assign(actor=people["desk"], message=message, assignee=people["desk2"])
    assert state() == before


def test_forwarding_to_another_queue_leaves_it_unassigned_and_keeps_the_service_levels(
        people: dict[str, User], message: Message, billing_queue: Queue) -> None:
    work.message_claim(actor=people["desk"], message=message)
    due = (message.first_response_due, message.resolve_due)
    work.message_forward(actor=people["desk"], message=message, queue=billing_queue, note="A billing question.")
    stored = Message.objects.get(pk=message.pk)
    assert (stored.queue, stored.assignee) == (billing_queue, None)
    assert (stored.first_response_due, stored.resolve_due) == due
    entry = last_entry(message)
    assert (entry.kind, entry.to_queue, entry.to_user) == (EntryKind.FORWARDED, billing_queue, None)
    assert "A billing question." in entry.body
    [event] = events("frontdesk.message_forwarded")
    assert event.changed_field_list == ["assignee", "queue"]


def test_forwarding_to_a_person_of_the_other_queue_gives_it_to_them(
        people: dict[str, User], message: Message, billing_queue: Queue) -> None:
    work.message_forward(actor=people["desk"], message=message, queue=billing_queue, assignee=people["biller"],
                         note="Over to you.")
    stored = Message.objects.get(pk=message.pk)
    assert (stored.queue, stored.assignee) == (billing_queue, people["biller"])
    assert last_entry(message).to_user == people["biller"]


def test_forwarding_needs_a_note_a_new_place_and_someone_who_works_there(
        people: dict[str, User], message: Message, billing_queue: Queue) -> None:
    before = state()
    with pytest.raises(ValidationError) as error:
        work.message_forward(actor=people["desk"], message=message, queue=billing_queue, note="  ")
    assert "note" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        work.message_forward(actor=people["desk"], message=message, queue=message.queue, note="Same place")
    assert "queue" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        work.message_forward(actor=people["desk"], message=message, queue=billing_queue, assignee=people["hr"],
                             note="HR cannot work the billing queue")
    assert "assignee" in error.value.message_dict
    retired = QueueFactory(name="Old", is_active=False)
    with pytest.raises(ValidationError):
        work.message_forward(actor=people["desk"], message=message, queue=retired, note="Gone")
    assert state() == before


def test_a_note_goes_on_the_timeline_and_an_empty_one_is_refused(people: dict[str, User], message: Message) -> None:
    entry = work.message_note_add(actor=people["desk"], message=message, body="  Left a voicemail.  ")
    assert (entry.kind, entry.body, entry.author) == (EntryKind.NOTE, "Left a voicemail.", people["desk"])
    assert len(events("frontdesk.message_note_added")) == 1
    before = state()
    with pytest.raises(ValidationError):
        work.message_note_add(actor=people["desk"], message=message, body="   ")
    assert state() == before


def test_the_priority_changes_with_a_line_on_the_timeline(people: dict[str, User], message: Message) -> None:
    work.message_priority_set(actor=people["desk"], message=message, priority=Priority.URGENT)
    assert Message.objects.get(pk=message.pk).priority == Priority.URGENT
    assert "Normal → Urgent" in last_entry(message).body
    before = state()
    work.message_priority_set(actor=people["desk"], message=message, priority=Priority.URGENT)  # no change
    with pytest.raises(ValidationError):
        work.message_priority_set(actor=people["desk"], message=message, priority="whenever")
    assert state() == before


def test_closing_needs_an_outcome_and_counts_as_the_first_response(people: dict[str, User], message: Message) -> None:
    before = state()
    with pytest.raises(ValidationError) as error:
        work.message_close(actor=people["desk"], message=message, outcome="")
    assert "outcome" in error.value.message_dict
    assert state() == before
    work.message_close(actor=people["desk"], message=message, outcome=MessageOutcome.ANSWERED, note="Told them.")
    stored = Message.objects.get(pk=message.pk)
    assert stored.status == MessageStatus.CLOSED
    assert stored.closed_at is not None
    assert stored.first_response_at == stored.closed_at
    assert (stored.outcome, stored.outcome_note) == (MessageOutcome.ANSWERED, "Told them.")
    assert last_entry(message).body == "Closed: Answered, no further action. Told them."
    assert events("frontdesk.message_closed")[0].reason == "outcome answered"


def test_a_closed_message_refuses_changes_until_it_is_reopened(
        people: dict[str, User], message: Message, billing_queue: Queue) -> None:
    work.message_close(actor=people["desk"], message=message, outcome=MessageOutcome.RESOLVED)
    before = state()
    for change in (
            lambda: work.message_claim(actor=people["desk"], message=message),
            lambda: work.message_assign(actor=people["desk"], message=message, assignee=people["desk2"]),
            lambda: work.message_forward(actor=people["desk"], message=message, queue=billing_queue, note="x"),
            lambda: work.message_note_add(actor=people["desk"], message=message, body="x"),
            lambda: work.message_priority_set(actor=people["desk"], message=message, priority=Priority.HIGH),
            lambda: work.message_close(actor=people["desk"], message=message, outcome=MessageOutcome.SPAM)):
        with pytest.raises(ValidationError):
            change()
    assert state() == before
    with pytest.raises(ValidationError):
        work.message_reopen(actor=people["desk"], message=message, reason=" ")
    work.message_reopen(actor=people["desk"], message=message, reason="They wrote back.")
    stored = Message.objects.get(pk=message.pk)
    assert (stored.status, stored.closed_at, stored.outcome) == (MessageStatus.OPEN, None, "")
    assert last_entry(message).body == "Reopened: They wrote back."
    with pytest.raises(ValidationError):
        work.message_reopen(actor=people["desk"], message=message, reason="Again")


# --- refusals ---------------------------------------------------------------------------------------------------


def actions(people: dict[str, User], billing_queue: Queue) -> dict[str, Callable[[User, Message], Any]]:
    """Each action, keyed by the name its refusal is audited under, with input that would change the message."""
    return {
        "frontdesk.message_claim": lambda actor, message: work.message_claim(actor=actor, message=message),
        "frontdesk.message_assign": lambda actor, message: work.message_assign(
            actor=actor, message=message, assignee=people["desk2"]),
        "frontdesk.message_forward": lambda actor, message: work.message_forward(
            actor=actor, message=message, queue=billing_queue, note="Billing"),
        "frontdesk.message_note_add": lambda actor, message: work.message_note_add(
            actor=actor, message=message, body="Hello"),
        "frontdesk.message_priority_set": lambda actor, message: work.message_priority_set(
            actor=actor, message=message, priority=Priority.URGENT),
        "frontdesk.message_close": lambda actor, message: work.message_close(
            actor=actor, message=message, outcome=MessageOutcome.RESOLVED),
    }


@pytest.mark.parametrize("outsider", ["south", "hr", "biller"])
def test_someone_who_may_not_work_the_message_is_refused_and_nothing_changes(
        people: dict[str, User], message: Message, billing_queue: Queue, outsider: str) -> None:
    actor = people[outsider]
    for action, call in actions(people, billing_queue).items():
        before = state()
        with pytest.raises(PermissionDenied):
            call(actor, message)
        assert state() == before, action
        assert denials(actor, action) == 1, action


def test_the_writer_of_an_internal_message_sees_it_but_may_not_work_it(
        people: dict[str, User], north: Location, billing_queue: Queue) -> None:
    message = MessageFactory(channel=Channel.INTERNAL, location=north, sender_user=people["hr"], sender_phone="")
    work.message_close(actor=people["desk"], message=message, outcome=MessageOutcome.RESOLVED)
    before = state()
    with pytest.raises(PermissionDenied):
        work.message_reopen(actor=people["hr"], message=message, reason="Not done")
    assert state() == before
    assert denials(people["hr"], "frontdesk.message_reopen") == 1


def test_a_biller_works_messages_routed_to_the_billing_role_queue(
        people: dict[str, User], message: Message, billing_queue: Queue) -> None:
    work.message_forward(actor=people["desk"], message=message, queue=billing_queue, note="Billing")
    work.message_claim(actor=people["biller"], message=message)
    work.message_close(actor=people["biller"], message=message, outcome=MessageOutcome.RESOLVED)
    assert Message.objects.get(pk=message.pk).status == MessageStatus.CLOSED


# --- the first response mark -----------------------------------------------------------------------------------


def test_marking_the_first_response_sets_it_once(message: Message) -> None:
    first = timezone.now() - dt.timedelta(minutes=5)
    assert work.message_mark_responded(message, first) is True
    assert work.message_mark_responded(message, timezone.now()) is False
    assert message.first_response_at == first
    assert Message.objects.get(pk=message.pk).first_response_at == first
