"""Message intake: every message lands in a queue (a rule's or the default), with its timeline, due dates,
priority, assignee and audit event."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent
from openpractice.core.tests.factories import LocationFactory, OpeningHoursFactory
from openpractice.frontdesk.choices import Category, Channel, EntryKind, PresenceStatus, Priority, RuleHours
from openpractice.frontdesk.models import Message, MessageEntry, Queue, RoutingRule
from openpractice.frontdesk.services.queues import default_queue
from openpractice.patients.tests.factories import PatientFactory
from openpractice.scheduling.tests.factories import AppointmentFactory, ProviderFactory
from openpractice.workforce.models import PtoRequest
from openpractice.workforce.tests.factories import EmployeeFactory

from .factories_routing import QueueFactory, QueueMemberFactory, RoutingRuleFactory, StaffProfileFactory, receive

pytestmark = pytest.mark.django_db
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


# A Monday.
MONDAY_MORNING = local(2025, 3, 3, 10)
MONDAY_EVENING = local(2025, 3, 3, 20)


# --- the default queue --------------------------------------------------------------------------------------------

def test_a_message_no_rule_matches_lands_in_a_front_desk_queue_made_default(practice):
    message, inbound = receive(subject="Hello")
    assert message.queue.name == "Front desk"
    assert message.queue.is_default
    assert message.routed_by is None
    assert message.assignee is None
    kinds = list(message.entries.values_list("kind", "body"))
    assert kinds == [(EntryKind.INBOUND, ""), (EntryKind.ROUTED, "default queue")]
    assert inbound.kind == EntryKind.INBOUND


def test_the_existing_default_queue_is_used_and_no_second_is_made(practice):
    billing = QueueFactory(name="Billing office", is_default=True)
    message, _ = receive(subject="Hello")
    assert message.queue == billing
    assert Queue.objects.count() == 1
    assert default_queue() == billing


def test_intake_is_audited_with_patient_and_location(practice, north):
    patient = PatientFactory(home_location=north)
    message, _ = receive(subject="Refill", patient=patient)
    event = AuditEvent.objects.get(action="frontdesk.message_received")
    assert event.object_id == str(message.pk)
    assert event.patient_id == patient.pk
    assert event.location_id == north.pk
    assert event.actor_id is None


def test_the_inbound_entry_carries_the_mail_headers_and_sanitised_html(practice):
    message, inbound = receive(channel=Channel.EMAIL, subject="Bill question", body="Why?", body_html="<p>Why?</p>",
                               sender_email="pat@example.org", email_message_id="<a@example.org>",
                               in_reply_to="<b@x>", references="<b@x> <c@x>", from_address="pat@example.org",
                               to_addresses="desk@practice.test", received_at=MONDAY_MORNING)
    inbound.refresh_from_db()
    assert (inbound.email_message_id, inbound.in_reply_to, inbound.references) == ("<a@example.org>", "<b@x>",
                                                                                   "<b@x> <c@x>")
    assert inbound.body_html == "<p>Why?</p>"
    assert inbound.from_address == "pat@example.org"
    assert inbound.created_at == MONDAY_MORNING == message.received_at


def test_an_invalid_phone_number_is_refused_and_nothing_is_written(practice):
    with pytest.raises(ValidationError):
        receive(sender_phone="12")
    assert not Message.objects.exists()
    assert not MessageEntry.objects.exists()
    assert not AuditEvent.objects.filter(action="frontdesk.message_received").exists()


# --- routing by each condition ------------------------------------------------------------------------------------

def test_a_rule_on_the_channel_routes_email_but_not_calls(practice):
    rule = RoutingRuleFactory(channels=[Channel.EMAIL])
    assert receive(channel=Channel.EMAIL, sender_email="a@b.org")[0].queue == rule.queue
    assert receive(channel=Channel.PHONE)[0].queue.is_default


def test_a_rule_on_the_category_routes_billing_questions(practice):
    rule = RoutingRuleFactory(categories=[Category.BILLING, Category.REFERRAL])
    assert receive(category=Category.BILLING)[0].queue == rule.queue
    assert receive(category=Category.RECORDS)[0].queue.is_default


def test_subject_words_match_whole_words_only_and_ignore_case(practice):
    rule = RoutingRuleFactory(subject_words="refill, prior auth")
    assert receive(subject="Need a REFILL please")[0].queue == rule.queue
    assert receive(subject="Prior   Auth for MRI")[0].queue == rule.queue
    assert receive(subject="Refilling the form")[0].queue.is_default
    assert receive(subject="Hello", body="need a refill")[0].queue.is_default  # only the subject counts


def test_body_words_match_in_the_subject_or_the_text(practice):
    rule = RoutingRuleFactory(body_words="invoice")
    assert receive(subject="Question", body="About my invoice.")[0].queue == rule.queue
    assert receive(subject="Invoice")[0].queue == rule.queue
    assert receive(subject="Question", body="invoices")[0].queue.is_default


def test_sender_contains_matches_part_of_the_address_or_the_digits_of_a_number(practice):
    payer = RoutingRuleFactory(sender_contains="@bcbs.com")
    caller = RoutingRuleFactory(sender_contains="(919) 555-0142")
    assert receive(channel=Channel.EMAIL, sender_email="claims@BCBS.com")[0].queue == payer.queue
    assert receive(sender_phone="919.555.0142")[0].queue == caller.queue
    assert receive(sender_phone="919-555-0143")[0].queue.is_default


def test_a_rule_on_the_location_routes_that_locations_messages(practice, north, south):
    rule = RoutingRuleFactory(location=north)
    assert receive(location=north)[0].queue == rule.queue
    assert receive(location=south)[0].queue.is_default


def test_the_location_falls_back_to_the_mailbox_then_the_patients_home(practice, north, south):
    from openpractice.frontdesk.models import Mailbox

    mailbox = Mailbox.objects.create(name="North", address="north@practice.test", location=north)
    patient = PatientFactory(home_location=south)
    assert receive(mailbox=mailbox, patient=patient)[0].location == north
    assert receive(patient=patient)[0].location == south
    assert receive(location=north, patient=patient)[0].location == north
    assert receive()[0].location is None


def test_a_rule_on_the_provider_uses_the_patients_next_visit_else_the_last(practice, north):
    from django.utils import timezone

    doctor_next, doctor_last, doctor_old = (ProviderFactory(locations=[north]) for _ in range(3))
    rule = RoutingRuleFactory(provider=doctor_next)
    patient = PatientFactory(home_location=north)
    now = timezone.now()
    AppointmentFactory(patient=patient, provider=doctor_old, location=north, starts_at=now - dt.timedelta(days=90))
    AppointmentFactory(patient=patient, provider=doctor_last, location=north, starts_at=now - dt.timedelta(days=3))
    AppointmentFactory(patient=patient, provider=doctor_next, location=north, starts_at=now + dt.timedelta(days=30))
    AppointmentFactory(patient=patient, provider=doctor_old, location=north, starts_at=now + dt.timedelta(days=2),
                       status="cancelled", cancel_reason="moved")
    assert receive(patient=patient)[0].queue == rule.queue

    last_only = PatientFactory(home_location=north)
    AppointmentFactory(patient=last_only, provider=doctor_old, location=north, starts_at=now - dt.timedelta(days=90))
    AppointmentFactory(patient=last_only, provider=doctor_last, location=north, starts_at=now - dt.timedelta(days=3))
    RoutingRuleFactory(provider=doctor_last, queue=rule.queue, position=1, name="Last visit's provider")
    message, _ = receive(patient=last_only)
    assert message.routed_by.name == "Last visit's provider"


def test_an_out_of_hours_rule_takes_messages_only_while_the_location_is_closed(practice, north):
    OpeningHoursFactory(location=north, weekday=0, opens_at=dt.time(8), closes_at=dt.time(17))
    after_hours = RoutingRuleFactory(hours=RuleHours.CLOSED, name="After hours")
    assert receive(location=north, received_at=MONDAY_EVENING)[0].queue == after_hours.queue
    assert receive(location=north, received_at=MONDAY_MORNING)[0].queue.is_default


def test_a_practice_wide_message_is_in_hours_when_any_location_is_open(practice, north, south):
    OpeningHoursFactory(location=south, weekday=0, opens_at=dt.time(8), closes_at=dt.time(17))
    open_rule = RoutingRuleFactory(hours=RuleHours.OPEN)
    assert receive(received_at=MONDAY_MORNING)[0].queue == open_rule.queue
    assert receive(received_at=MONDAY_EVENING)[0].queue.is_default


def test_a_time_window_may_pass_midnight_in_practice_local_time(practice):
    night = RoutingRuleFactory(time_from=dt.time(18), time_to=dt.time(7))
    assert receive(received_at=local(2025, 3, 3, 23, 30))[0].queue == night.queue
    assert receive(received_at=local(2025, 3, 4, 6, 59))[0].queue == night.queue
    assert receive(received_at=local(2025, 3, 4, 7, 0))[0].queue.is_default
    # 23:30 UTC is 18:30 in New York (EST): inside the window.
    assert receive(received_at=dt.datetime(2025, 3, 3, 23, 30, tzinfo=dt.UTC))[0].queue == night.queue


def test_rules_are_tried_in_order_and_the_first_that_matches_decides(practice):
    late = RoutingRuleFactory(position=50, subject_words="refill")
    early = RoutingRuleFactory(position=5, categories=[Category.PRESCRIPTION])
    message, _ = receive(subject="Refill", category=Category.PRESCRIPTION)
    assert message.queue == early.queue
    assert message.routed_by == early
    assert message.entries.get(kind=EntryKind.ROUTED).body == f"Rule: {early.name}"
    early.refresh_from_db()
    late.refresh_from_db()
    assert (early.matched_count, late.matched_count) == (1, 0)


def test_inactive_rules_and_rules_to_inactive_queues_are_skipped(practice):
    RoutingRuleFactory(subject_words="refill", is_active=False)
    RoutingRuleFactory(subject_words="refill", queue=QueueFactory(is_active=False))
    assert receive(subject="refill")[0].queue.is_default


# --- priority, due dates, assignment ---------------------------------------------------------------------------------

def test_priority_comes_from_the_incoming_then_the_rule_then_normal(practice):
    RoutingRuleFactory(subject_words="chest", priority=Priority.URGENT)
    assert receive(subject="chest pain")[0].priority == Priority.URGENT
    assert receive(subject="chest pain", priority=Priority.LOW)[0].priority == Priority.LOW
    assert receive(subject="hello")[0].priority == Priority.NORMAL


def test_due_dates_come_from_the_rule_else_from_the_queue(practice):
    queue = QueueFactory(first_response_minutes=60, resolve_minutes=600)
    RoutingRuleFactory(subject_words="fast", queue=queue, first_response_minutes=15)
    message, _ = receive(subject="fast please", received_at=MONDAY_MORNING)
    assert message.first_response_due == MONDAY_MORNING + dt.timedelta(minutes=15)
    assert message.resolve_due == MONDAY_MORNING + dt.timedelta(minutes=600)


def test_an_internal_message_to_one_person_is_assigned_to_them_in_the_rules_queue(practice, make_user):
    author, recipient = make_user(Role.FRONT_DESK), make_user(Role.BILLER)
    rule = RoutingRuleFactory(channels=[Channel.INTERNAL], assign_to=make_user(Role.BILLER))
    message, inbound = receive(actor=author, channel=Channel.INTERNAL, subject="Call Mrs. B", sender_user=author,
                               recipient_user=recipient, sender_phone="")
    assert message.queue == rule.queue
    assert message.assignee == recipient
    assert message.created_by == author
    assert inbound.author == author
    assert message.entries.get(kind=EntryKind.ROUTED).to_user == recipient


def test_a_rule_may_assign_to_a_named_person(practice, make_user):
    biller = make_user(Role.BILLER)
    RoutingRuleFactory(categories=[Category.BILLING], assign_to=biller)
    assert receive(category=Category.BILLING)[0].assignee == biller


def test_round_robin_takes_turns_starting_with_who_waited_longest(practice, make_user):
    queue = QueueFactory()
    ann, bob, cy = (make_user(Role.FRONT_DESK) for _ in range(3))
    for member in (cy, ann, bob):
        QueueMemberFactory(queue=queue, user=member)
    RoutingRuleFactory(queue=queue, round_robin=True)
    order = sorted([ann, bob, cy], key=lambda user: user.pk)
    assignees = [receive()[0].assignee for _ in range(6)]
    assert assignees == order + order


def test_round_robin_skips_people_away_off_on_time_off_or_inactive(practice, make_user):
    queue = QueueFactory()
    present, away, off, on_leave, gone, back = (make_user(Role.FRONT_DESK) for _ in range(6))
    for member in (present, away, off, on_leave, gone, back):
        QueueMemberFactory(queue=queue, user=member)
    StaffProfileFactory(user=away, presence=PresenceStatus.AWAY)
    StaffProfileFactory(user=off, presence=PresenceStatus.OFF)
    StaffProfileFactory(user=back, presence=PresenceStatus.AWAY, away_until=MONDAY_MORNING)  # in the past
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    from openpractice.core.selectors import practice_today

    today = practice_today()
    PtoRequest.objects.create(employee=EmployeeFactory(user=on_leave), starts_on=today - dt.timedelta(days=1),
                              ends_on=today + dt.timedelta(days=1), hours=Decimal("24"), status="approved",
                              created_by=present)
    RoutingRuleFactory(queue=queue, round_robin=True)
    assignees = {receive()[0].assignee for _ in range(4)}
    assert assignees == {present, back}


def test_round_robin_leaves_the_message_unassigned_when_everyone_is_away(practice, make_user):
    queue = QueueFactory()
    away = make_user(Role.FRONT_DESK)
    QueueMemberFactory(queue=queue, user=away)
    StaffProfileFactory(user=away, presence=PresenceStatus.OFF)
    RoutingRuleFactory(queue=queue, round_robin=True)
    message, _ = receive()
    assert message.queue == queue
    assert message.assignee is None


def test_a_role_queue_without_members_round_robins_over_the_role_at_the_location(practice, make_user, north, south):
    queue = QueueFactory(role=Role.BILLER)
    first, second = make_user(Role.BILLER, locations=[north]), make_user(Role.BILLER)
    make_user(Role.BILLER, locations=[south])  # not at north
    make_user(Role.FRONT_DESK, locations=[north])  # not the role
    RoutingRuleFactory(queue=queue, round_robin=True)
    assignees = [receive(location=north)[0].assignee for _ in range(4)]
    expected = sorted([first, second], key=lambda user: user.pk)
    assert assignees == expected + expected


def test_messages_at_another_location_do_not_reach_a_rule_for_one_location(practice, north):
    other = LocationFactory(practice=practice)
    RoutingRuleFactory(location=other)
    assert receive(location=north)[0].queue.is_default
    assert RoutingRule.objects.get().matched_count == 0


def test_a_rule_changed_or_moved_takes_effect_on_the_next_message(practice, make_user):
    from openpractice.frontdesk.services.rules import rule_move, rule_save

    manager = make_user(Role.OFFICE_MANAGER, "experienced")
    bills = RoutingRuleFactory(subject_words="bill", position=10)
    anything = RoutingRuleFactory(position=20)
    assert receive(subject="my bill")[0].routed_by == bills
    rule_save(actor=manager, rule=bills, subject_words="invoice")
    assert receive(subject="my bill")[0].routed_by == anything
    rule_move(actor=manager, rule=anything, direction="up")
    assert receive(subject="my invoice")[0].routed_by == anything
    anything.queue.is_active = False
    anything.queue.save()
    assert receive(subject="my invoice")[0].routed_by == bills
