"""Every front-desk list exports (?export=csv|xlsx) exactly the rows its page shows for the same filters; the message
lists name a patient only where the page does and audit each such patient once; a person who cannot open a list
cannot export it (404, nothing recorded); the message export runs in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.core.tests.export_cases import (
    PATIENT_LIST_EXPORTED,
    Case,
    World,
    assert_export_refused,
    assert_exports_match_page,
    export_sizes_at_fixed_queries,
)
from openpractice.core.tests.exports import export_rows
from openpractice.frontdesk.choices import Priority
from openpractice.frontdesk.models import Queue
from openpractice.patients.tests.factories import PatientFactory

from .factories_desk import make_callback, make_message
from .factories_mail import MailboxFactory
from .factories_queue import QueueFactory, ReplyTemplateFactory, member
from .factories_routing import RoutingRuleFactory

pytestmark = pytest.mark.django_db


def _message_rows(context: Any) -> list[Any]:
    return [row.message for row in context["rows"]]


def _messages(w: World) -> Case:
    for subject, priority, location in (("Refill", Priority.URGENT, w.north), ("Fever", Priority.URGENT, w.north),
                                        ("Parking", Priority.NORMAL, w.north), ("South", Priority.URGENT, w.south)):
        make_message(location=location, subject=subject, priority=priority,
                     patient=PatientFactory(home_location=location))
    return Case(reverse("frontdesk:queue_home"), {"tab": "all", "priority": "urgent", "sort": "number"},
                _message_rows, ("Number", "Subject", "Patient", "Queue"),
                lambda m: (m.number, m.subject, m.patient.full_name, m.queue.name),
                hidden=[("Parking",), ("South",)])


def _queue(w: World) -> Case:
    lab, other = QueueFactory(name="Lab results"), QueueFactory(name="Billing questions")
    make_message(location=w.north, subject="Results ready?", queue=lab)
    make_message(location=w.north, subject="Normal range?", queue=lab, sender_name="Ada")
    make_message(location=w.north, subject="My bill", queue=other)
    return Case(reverse("frontdesk:queue_detail", args=[lab.pk]), {"sort": "number"}, _message_rows,
                ("Number", "Subject", "From"), lambda m: (m.number, m.subject, m.sender_name),
                hidden=[("My bill",)])


def _callbacks(w: World) -> Case:
    message = make_message(location=w.north, subject="Call me", patient=PatientFactory(home_location=w.north))
    make_callback(message, w.user, due_in=dt.timedelta(hours=2))
    make_callback(make_message(location=w.north, subject="Urgent call"), w.user, due_in=dt.timedelta(hours=-1))
    make_callback(make_message(location=w.north, subject="Not mine"), w.make_user(Role.FRONT_DESK))
    return Case(reverse("frontdesk:callback_mine"), {}, lambda context: [row["callback"] for row in context["rows"]],
                ("Message", "Subject", "Number"),
                lambda callback: (callback.message.number, callback.message.subject, callback.number))


def _directory(w: World) -> Case:
    w.make_user(Role.BILLER, first_name="Bea", last_name="Biller")
    w.make_user(Role.FRONT_DESK, first_name="Finn", last_name="Desk", locations=[w.south])
    return Case(reverse("frontdesk:directory"), {"role": Role.FRONT_DESK}, lambda context: [
        row for _department, rows in context["groups"] for row in rows], ("Name", "Location", "Status"),
        lambda row: (row.user.display_name, "All locations" if row.all_locations else ", ".join(row.locations),
                     row.presence.label),
        hidden=[("Bea Biller",)])


def _mailboxes(w: World) -> Case:
    MailboxFactory(name="North desk", location=w.north)
    MailboxFactory(name="North billing", location=w.north, imap_host="imap.example.org")
    MailboxFactory(name="South desk", location=w.south)
    MailboxFactory(name="Practice-wide", location=None)
    return Case(reverse("frontdesk:mailbox_list"), {}, lambda context: context["mailboxes"],
                ("Mailbox", "Address", "Read by"),
                lambda box: (box.name, box.address,
                             f"IMAP {box.imap_host}:{box.imap_port}" if box.imap_host else "SMTP endpoint"),
                hidden=[("South desk",), ("Practice-wide",)],
                user=w.make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[w.north]))


def _templates(w: World) -> Case:
    ReplyTemplateFactory(name="Refill received", subject="Your refill")
    ReplyTemplateFactory(name="Old wording", is_active=False)
    return Case(reverse("frontdesk:template_list"), {}, lambda context: context["templates"], ("Name", "In use"),
                lambda template: (template.name, "yes" if template.is_active else "no"),
                user=w.make_user(Role.OFFICE_MANAGER, Tier.ENTRY))


def _rules(w: World) -> Case:
    RoutingRuleFactory(name="Billing words", queue=QueueFactory(name="Billing"))
    RoutingRuleFactory(name="Lab words", queue=QueueFactory(name="Lab"), is_active=False)
    return Case(reverse("frontdesk:rule_list"), {}, lambda context: [
        (index, row) for index, row in enumerate(context["rows"], start=1)], ("Order", "Rule", "Active"),
        lambda pair: (str(pair[0]), pair[1].rule.name, "yes" if pair[1].rule.is_active else "no"),
        user=w.make_user(Role.OFFICE_MANAGER, Tier.ENTRY))


def _queues(w: World) -> Case:
    lab = QueueFactory(name="Lab results", location=w.north, role=Role.CLINICAL_STAFF)
    member(lab, w.user, lead=True)
    make_message(location=w.north, queue=lab)
    return Case(reverse("frontdesk:queue_list"), {}, lambda context: [row.queue for row in context["rows"]],
                ("Queue", "Worked by", "Open"),
                lambda queue: (queue.name, ", ".join(
                    ([f"Role: {queue.get_role_display()}"] if queue.role else [])
                    + [f"{m.user.display_name} (lead)" if m.is_lead else m.user.display_name
                       for m in queue.memberships.all()]), str(queue.open_count)),
                user=w.make_user(Role.OFFICE_MANAGER, Tier.ENTRY))


CASES: dict[str, Callable[[World], Case]] = {
    "messages": _messages, "a queue's messages": _queue, "my callbacks": _callbacks, "directory": _directory,
    "mailboxes": _mailboxes, "reply templates": _templates, "routing rules": _rules, "queues": _queues,
}


@pytest.fixture
def world(make_user: Callable[..., User], north: Location, south: Location) -> World:
    return World(user=make_user(Role.FRONT_DESK, locations=[north], username="desk"), north=north, south=south,
                 make_user=make_user)


@pytest.mark.parametrize("name", list(CASES))
def test_each_list_exports_exactly_the_rows_its_page_shows_as_csv_and_xlsx(
        name: str, world: World, signed_in: Callable[[User], Client]) -> None:
    assert_exports_match_page(CASES[name](world), world, signed_in)


def test_the_message_export_audits_each_patient_it_names_once_and_not_as_a_list_view(
        world: World, signed_in: Callable[[User], Client]) -> None:
    case = _messages(world)
    patient = PatientFactory(home_location=world.north)
    make_message(location=world.north, subject="Again", priority=Priority.URGENT, patient=patient)
    make_message(location=world.north, subject="And again", priority=Priority.URGENT, patient=patient)
    client = signed_in(world.user)
    rows = export_rows(client.get(case.url, {**case.params, "export": "csv"}))
    assert len(rows) == 1 + 4
    exported = list(AuditEvent.objects.filter(actor=world.user, action="patients.exported")
                    .values_list("patient_id", flat=True))
    assert len(exported) == len(set(exported)) == 3
    assert patient.pk in exported
    assert not AuditEvent.objects.filter(actor=world.user, action="frontdesk.message_listed").exists()


def test_a_reader_without_demographics_gets_no_patient_column_values_and_no_patient_audit(
        world: World, signed_in: Callable[[User], Client]) -> None:
    case = _messages(world)
    office = world.make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[world.north])
    client = signed_in(office)
    page = client.get(case.url, case.params)
    assert not any(row.patient_shown for row in page.context["rows"])
    rows = export_rows(client.get(case.url, {**case.params, "export": "xlsx"}))
    assert [row[rows[0].index("Subject")] for row in rows[1:]] == ["Refill", "Fever"]
    assert {row[rows[0].index("Patient")] for row in rows[1:]} == {""}
    assert not AuditEvent.objects.filter(actor=office, action="patients.exported").exists()


@pytest.mark.parametrize(("name", "role"), [
    ("a queue's messages", Role.BILLER), ("mailboxes", Role.FRONT_DESK), ("reply templates", Role.FRONT_DESK),
    ("routing rules", Role.BILLER), ("queues", Role.CLINICAL_STAFF),
])
def test_a_role_that_cannot_open_a_list_cannot_export_it(
        name: str, role: str, world: World, signed_in: Callable[[User], Client]) -> None:
    case = CASES[name](world)
    outsider = world.make_user(role)
    assert_export_refused(case, outsider, signed_in, unrecorded=PATIENT_LIST_EXPORTED)


def test_someone_else_s_messages_never_reach_a_file(world: World, signed_in: Callable[[User], Client]) -> None:
    _messages(world)
    biller = world.make_user(Role.BILLER, locations=[world.north])
    rows = export_rows(signed_in(biller).get(reverse("frontdesk:queue_home"), {"tab": "all", "export": "csv"}))
    assert rows[1:] == []
    assert not AuditEvent.objects.filter(actor=biller, action="patients.exported").exists()


def test_the_message_export_query_count_does_not_grow_with_rows(
        world: World, signed_in: Callable[[User], Client]) -> None:
    client = signed_in(world.user)
    queue: Queue = QueueFactory.create(name="Front")

    def add(count: int) -> None:
        for _ in range(count):
            make_message(location=world.north, queue=queue, patient=PatientFactory(home_location=world.north),
                         assignee=world.make_user(Role.FRONT_DESK, locations=[world.north]),
                         sender_user=world.make_user(Role.BILLER))

    assert export_sizes_at_fixed_queries(client, reverse("frontdesk:queue_home"), add, params={"tab": "all"}) == (2, 7)
