"""The queue pages: who sees which message (404 and an audited denial otherwise), the tabs, filters and order of
the list, a query count that does not grow with the rows, the message page (audited once per view, links and the
patient only for those who may see them, the timeline's HTML as sanitised at intake), and the actions through
their URLs (refused with 404 and nothing changed)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import sign_in
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core.models import Location
from openpractice.frontdesk.choices import Channel, EntryKind, MessageStatus, Priority
from openpractice.frontdesk.models import Message, MessageEntry, Queue
from openpractice.patients.tests.factories import PatientFactory

from .factories_queue import EmailMessageFactory, MessageFactory, QueueFactory, ReplyTemplateFactory, member

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    return sign_in(Client(), user)


def state() -> list[Any]:
    return [list(Message.objects.order_by("pk").values_list()), list(MessageEntry.objects.order_by("pk").values_list())]


def denials(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def listed(client: Client, **params: Any) -> list[str]:
    page = client.get(reverse("frontdesk:queue_home"), {"tab": "all", **params})
    assert page.status_code == 200
    return [row.message.number for row in page.context["rows"]]


def detail(message: Message) -> str:
    return reverse("frontdesk:message_detail", args=[message.pk])


@pytest.fixture
def people(make_user: Callable[..., User], north: Location, south: Location) -> dict[str, User]:
    return {
        "desk": make_user(Role.FRONT_DESK, locations=[north]),
        "south": make_user(Role.FRONT_DESK, locations=[south]),
        "biller": make_user(Role.BILLER, locations=[north]),
        "hr": make_user(Role.HR),
        "manager": make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north]),
    }


# --- visibility ------------------------------------------------------------------------------------------------


def test_the_front_desk_of_north_does_not_see_a_message_of_south(
        people: dict[str, User], north: Location, south: Location) -> None:
    mine = MessageFactory(location=north)
    theirs = MessageFactory(location=south)
    client = client_for(people["desk"])
    assert listed(client) == [mine.number]
    before = denials(people["desk"])
    assert client.get(detail(theirs)).status_code == 404
    assert denials(people["desk"]) == before + 1
    event = AuditEvent.objects.filter(actor=people["desk"], outcome=Outcome.DENIED).first()
    assert event is not None
    assert event.object_id == str(theirs.pk)
    assert not AuditEvent.objects.filter(action="frontdesk.message_viewed", object_id=str(theirs.pk)).exists()
    assert client.get(reverse("frontdesk:message_detail", args=[999999])).status_code == 404  # no such message


def test_a_biller_sees_the_messages_routed_to_the_billing_role_queue_and_no_others(
        people: dict[str, User], north: Location, south: Location) -> None:
    billing = QueueFactory(name="Billing", role=Role.BILLER)
    routed = MessageFactory(location=north, queue=billing)
    MessageFactory(location=south, queue=billing)  # billing, but where the biller does not work
    other = MessageFactory(location=north)
    client = client_for(people["biller"])
    assert listed(client) == [routed.number]
    assert client.get(detail(routed)).status_code == 200
    assert client.get(detail(other)).status_code == 404
    page = client.get(reverse("frontdesk:queue_home"), {"tab": "unassigned"})
    assert [row.message.pk for row in page.context["rows"]] == [routed.pk]
    assert client.get(reverse("frontdesk:queue_detail", args=[billing.pk])).status_code == 200


def test_hr_does_not_see_a_patient_message_not_routed_to_them(people: dict[str, User], north: Location) -> None:
    patient_message = MessageFactory(location=north, patient=PatientFactory(home_location=north))
    hr_queue = QueueFactory(name="HR")
    member(hr_queue, people["hr"])
    routed = MessageFactory(location=north, queue=hr_queue, subject="Payroll question")
    client = client_for(people["hr"])
    assert listed(client) == [routed.number]
    before = denials(people["hr"])
    assert client.get(detail(patient_message)).status_code == 404
    assert denials(people["hr"]) == before + 1
    assert client.get(reverse("frontdesk:queue_detail", args=[patient_message.queue_id])).status_code == 404
    assert denials(people["hr"]) == before + 2


def test_the_patients_name_shows_only_to_those_who_may_see_demographics(
        people: dict[str, User], north: Location) -> None:
    patient = PatientFactory(home_location=north, first_name="Imogen", last_name="Quill")
    hr_queue = QueueFactory(name="HR")
    member(hr_queue, people["hr"])
    message = MessageFactory(location=north, queue=hr_queue, patient=patient)
    for user, shown in ((people["desk"], True), (people["hr"], False), (people["manager"], False)):
        client = client_for(user)
        listing = client.get(reverse("frontdesk:queue_home"), {"tab": "all"})
        page = client.get(detail(message))
        assert ("Imogen" in listing.content.decode()) is shown, user
        assert ("Imogen" in page.content.decode()) is shown, user
        assert (reverse("patients:patient_detail", args=[patient.pk]) in page.content.decode()) is shown
    # The list names the patient to the front desk: one audit event per patient named.
    assert AuditEvent.objects.filter(action="frontdesk.message_listed", actor=people["desk"],
                                     patient_id=patient.pk).count() == 1
    assert not AuditEvent.objects.filter(action="frontdesk.message_listed", actor=people["hr"]).exists()


def test_showing_a_message_is_audited_once_with_its_patient(people: dict[str, User], north: Location) -> None:
    patient = PatientFactory(home_location=north)
    message = MessageFactory(location=north, patient=patient)
    assert client_for(people["desk"]).get(detail(message)).status_code == 200
    [event] = AuditEvent.objects.filter(action="frontdesk.message_viewed")
    assert (event.actor, event.object_id, event.patient_id, event.location_id) == (
        people["desk"], str(message.pk), patient.pk, north.pk)


def test_someone_without_any_role_sees_an_empty_list(make_user: Callable[..., User], north: Location) -> None:
    MessageFactory(location=north)
    nobody = make_user(Role.FRONT_DESK, locations=[north])
    nobody.role_assignments.all().delete()
    client = client_for(nobody)
    assert listed(client) == []


# --- the list --------------------------------------------------------------------------------------------------


def test_the_tabs_show_mine_unassigned_in_my_queues_and_all(people: dict[str, User], north: Location) -> None:
    mine = MessageFactory(location=north, assignee=people["desk"], status=MessageStatus.OPEN)
    free = MessageFactory(location=north)
    colleague = MessageFactory(location=north, assignee=people["manager"])
    client = client_for(people["desk"])
    tab = lambda name: [row.message.pk for row in  # noqa: E731
                        client.get(reverse("frontdesk:queue_home"), {"tab": name}).context["rows"]]
    assert tab("mine") == [mine.pk]
    assert tab("unassigned") == [free.pk]
    assert sorted(tab("all")) == sorted([mine.pk, free.pk, colleague.pk])
    assert client.get(reverse("frontdesk:queue_home")).context["filters"].tab == "mine"


def test_the_list_is_sorted_by_priority_then_due(people: dict[str, User], north: Location) -> None:
    now = timezone.now()
    late_normal = MessageFactory(location=north, received_at=now - dt.timedelta(hours=1),
                                 first_response_due=now + dt.timedelta(hours=5))
    early_normal = MessageFactory(location=north, received_at=now - dt.timedelta(hours=1),
                                  first_response_due=now + dt.timedelta(hours=1))
    urgent = MessageFactory(location=north, priority=Priority.URGENT)
    low = MessageFactory(location=north, priority=Priority.LOW, received_at=now - dt.timedelta(hours=9),
                         first_response_due=now - dt.timedelta(hours=8))
    client = client_for(people["desk"])
    assert listed(client) == [urgent.number, early_normal.number, late_normal.number, low.number]
    assert listed(client, sort="received")[0] == low.number  # the oldest first
    assert listed(client, sort="evil();")[0] == urgent.number  # unknown sort keys fall back


def test_the_filters_narrow_the_list(people: dict[str, User], north: Location) -> None:
    now = timezone.now()
    breached = MessageFactory(location=north, received_at=now - dt.timedelta(hours=5),
                              first_response_due=now - dt.timedelta(hours=1), channel=Channel.EMAIL,
                              sender_email="late@example.org", sender_name="Late Larry")
    soon = MessageFactory(location=north, received_at=now - dt.timedelta(hours=3),
                          first_response_due=now + dt.timedelta(minutes=30), priority=Priority.HIGH,
                          subject="Refill needed", category="prescription")
    fine = MessageFactory(location=north, subject="Parking")
    answered_late = MessageFactory(location=north, received_at=now - dt.timedelta(hours=5),
                                   first_response_due=now - dt.timedelta(hours=1),
                                   first_response_at=now - dt.timedelta(minutes=30))
    closed = MessageFactory(location=north, status=MessageStatus.CLOSED, closed_at=now, outcome="resolved")
    other_queue = QueueFactory(name="Records")
    records = MessageFactory(location=north, queue=other_queue)
    client = client_for(people["desk"])
    assert sorted(listed(client, sla="breached")) == sorted([breached.number, answered_late.number])
    assert listed(client, sla="soon") == [soon.number]
    assert sorted(listed(client, sla="ok")) == sorted([fine.number, records.number])
    assert listed(client, channel="email") == [breached.number]
    assert listed(client, priority="high") == [soon.number]
    assert listed(client, category="prescription") == [soon.number]
    assert listed(client, queue=other_queue.pk) == [records.number]
    assert listed(client, status="closed") == [closed.number]
    assert closed.number not in listed(client)  # open ones by default
    assert listed(client, q="refill") == [soon.number]
    assert listed(client, q="larry") == [breached.number]
    assert listed(client, q="late@example") == [breached.number]
    assert listed(client, q=fine.number) == [fine.number]
    assert listed(client, q="\x00") != []  # a NUL is dropped, not a server error


def test_a_row_shows_its_service_levels(people: dict[str, User], north: Location) -> None:
    now = timezone.now()
    MessageFactory(location=north, received_at=now - dt.timedelta(hours=5),
                   first_response_due=now - dt.timedelta(hours=1))
    page = client_for(people["desk"]).get(reverse("frontdesk:queue_home"), {"tab": "all"})
    [row] = page.context["rows"]
    assert (row.first_response.state, row.resolution.state) == ("breached", "due")
    assert "breached" in page.content.decode()


def _fill(north: Location, count: int, queue: Queue) -> None:
    for index in range(count):
        MessageFactory(location=north, queue=queue, patient=PatientFactory(home_location=north),
                       priority=Priority.HIGH if index % 3 else Priority.NORMAL)


@pytest.mark.parametrize("tab", ["all", "unassigned"])
def test_the_list_query_count_does_not_grow_with_rows(people: dict[str, User], north: Location, tab: str) -> None:
    queue = QueueFactory(name="Front")
    client = client_for(people["desk"])
    url = reverse("frontdesk:queue_home")
    _fill(north, 10, queue)
    client.get(url, {"tab": tab})  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(url, {"tab": tab}).status_code == 200
    _fill(north, 30, queue)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url, {"tab": tab})
    assert len(page.context["rows"]) == 25
    assert len(many) == len(few), [query["sql"] for query in many.captured_queries]
    with CaptureQueriesContext(connection) as queue_page:
        assert client.get(reverse("frontdesk:queue_detail", args=[queue.pk])).status_code == 200
    with CaptureQueriesContext(connection) as queue_page_again:
        assert client.get(reverse("frontdesk:queue_detail", args=[queue.pk]), {"page": 2}).status_code == 200
    assert len(queue_page) == len(queue_page_again)


def test_the_message_page_query_count_does_not_grow_with_the_timeline(
        people: dict[str, User], north: Location) -> None:
    message = EmailMessageFactory(location=north)
    client = client_for(people["desk"])
    client.get(detail(message))
    with CaptureQueriesContext(connection) as few:
        assert client.get(detail(message)).status_code == 200
    for index in range(10):
        MessageEntry.objects.create(message=message, kind=EntryKind.NOTE, created_at=timezone.now(),
                                    author=people["desk"], body=f"Note {index}")
    with CaptureQueriesContext(connection) as many:
        assert client.get(detail(message)).status_code == 200
    assert len(many) == len(few), [query["sql"] for query in many.captured_queries]


def test_an_htmx_request_for_the_table_gets_only_the_rows(people: dict[str, User], north: Location) -> None:
    MessageFactory(location=north)
    page = client_for(people["desk"]).get(reverse("frontdesk:queue_home"), {"tab": "all"},
                                          headers={"HX-Request": "true", "HX-Target": "message-table"})
    assert page.status_code == 200
    assert "<nav" not in page.content.decode()


# --- the message page ------------------------------------------------------------------------------------------


def test_the_timeline_shows_sanitised_html_as_is_and_escapes_plain_text(
        people: dict[str, User], north: Location) -> None:
    message = MessageFactory(location=north)
    MessageEntry.objects.create(message=message, kind=EntryKind.INBOUND, created_at=timezone.now(),
                                body="plain", body_html="<p>Kept <strong>bold</strong></p>")
    MessageEntry.objects.create(message=message, kind=EntryKind.NOTE, created_at=timezone.now(),
                                body="<script>alert(1)</script>")
    html = client_for(people["desk"]).get(detail(message)).content.decode()
    assert "<p>Kept <strong>bold</strong></p>" in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_page_offers_the_actions_only_to_those_who_may_work_it(people: dict[str, User], north: Location) -> None:
    internal = MessageFactory(channel=Channel.INTERNAL, location=north, sender_user=people["hr"], sender_phone="")
    worker = client_for(people["desk"]).get(detail(internal))
    assert worker.context["view"].may_work
    assert worker.context["may_claim"]
    assert "note_form" in worker.context
    writer = client_for(people["hr"]).get(detail(internal))
    assert writer.status_code == 200
    assert not writer.context["view"].may_work
    assert "note_form" not in writer.context
    assert reverse("frontdesk:message_claim", args=[internal.pk]) not in writer.content.decode()


# --- the actions through their URLs ----------------------------------------------------------------------------


def test_claiming_through_the_page_makes_it_mine(people: dict[str, User], north: Location) -> None:
    message = MessageFactory(location=north)
    response = client_for(people["desk"]).post(reverse("frontdesk:message_claim", args=[message.pk]))
    assert response.status_code == 302
    assert Message.objects.get(pk=message.pk).assignee == people["desk"]


ACTION_POSTS: list[tuple[str, dict[str, Any]]] = [
    ("message_claim", {}),
    ("message_note", {"body": "Hello"}),
    ("message_priority", {"priority": "urgent"}),
    ("message_close", {"outcome": "resolved"}),
    ("message_reopen", {"reason": "Again"}),
    ("message_reply", {"body": "Hi"}),
]


@pytest.mark.parametrize(("name", "data"), ACTION_POSTS)
def test_an_action_on_a_message_out_of_sight_is_not_found_and_changes_nothing(
        people: dict[str, User], south: Location, name: str, data: dict[str, Any]) -> None:
    message = EmailMessageFactory(location=south)
    before = state()
    response = client_for(people["desk"]).post(reverse(f"frontdesk:{name}", args=[message.pk]), data)
    assert response.status_code == 404
    assert state() == before
    assert denials(people["desk"]) == 1


@pytest.mark.parametrize(("name", "data"), [item for item in ACTION_POSTS if item[0] != "message_reopen"])
def test_an_action_by_someone_who_only_sees_the_message_is_refused_and_changes_nothing(
        people: dict[str, User], north: Location, name: str, data: dict[str, Any]) -> None:
    message = EmailMessageFactory(channel=Channel.INTERNAL, location=north, sender_user=people["hr"])
    before = state()
    response = client_for(people["hr"]).post(reverse(f"frontdesk:{name}", args=[message.pk]), data)
    assert response.status_code == 404
    assert state() == before
    assert denials(people["hr"]) == 1


def test_a_form_with_errors_comes_back_on_the_page(people: dict[str, User], north: Location) -> None:
    message = MessageFactory(location=north)
    before = state()
    response = client_for(people["desk"]).post(reverse("frontdesk:message_close", args=[message.pk]), {"outcome": ""})
    assert response.status_code == 400
    assert response.context["close_form"].errors
    assert state() == before


def test_forwarding_a_message_away_returns_to_the_list(people: dict[str, User], north: Location) -> None:
    message = MessageFactory(location=north)
    billing = QueueFactory(name="Billing", role=Role.BILLER)
    hr_queue = QueueFactory(name="HR")
    member(hr_queue, people["hr"])
    client = client_for(people["desk"])
    response = client.post(reverse("frontdesk:message_forward", args=[message.pk]),
                           {"queue": billing.pk, "note": "Billing question", "assignee": people["biller"].pk})
    assert response.status_code == 302
    assert response["Location"] == detail(message)  # the front desk still sees it
    assert Message.objects.get(pk=message.pk).assignee == people["biller"]
    biller = client_for(people["biller"])
    response = biller.post(reverse("frontdesk:message_forward", args=[message.pk]),
                           {"queue": hr_queue.pk, "note": "Not billing after all"})
    assert response.status_code == 302
    assert response["Location"] == reverse("frontdesk:queue_home")  # the biller no longer sees it


def test_the_note_priority_assign_close_and_reopen_forms_work(people: dict[str, User], north: Location) -> None:
    message = MessageFactory(location=north)
    client = client_for(people["desk"])
    url = lambda name: reverse(f"frontdesk:{name}", args=[message.pk])  # noqa: E731
    assert client.post(url("message_note"), {"body": "Called back"}).status_code == 302
    assert client.post(url("message_priority"), {"priority": "high"}).status_code == 302
    assert client.post(url("message_assign"), {"assignee": people["manager"].pk}).status_code == 302
    assert client.post(url("message_close"), {"outcome": "answered", "note": "Done"}).status_code == 302
    stored = Message.objects.get(pk=message.pk)
    assert (stored.priority, stored.assignee, stored.status) == ("high", people["manager"], MessageStatus.CLOSED)
    assert client.post(url("message_reopen"), {"reason": "They called again"}).status_code == 302
    assert Message.objects.get(pk=message.pk).status == MessageStatus.OPEN
    page = client.get(detail(message))
    assert "Called back" in page.content.decode()


def test_choosing_a_template_fills_the_reply_through_htmx(people: dict[str, User], north: Location) -> None:
    message = EmailMessageFactory(location=north)
    template = ReplyTemplateFactory(body="Hello {first_name}, about {number}: {unknown} stays.")
    client = client_for(people["desk"])
    page = client.get(detail(message)).content.decode()
    assert f'hx-get="{reverse("frontdesk:message_reply_fill", args=[message.pk])}"' in page
    filled = client.get(reverse("frontdesk:message_reply_fill", args=[message.pk]), {"template": template.pk},
                        headers={"HX-Request": "true"})
    assert filled.status_code == 200
    html = filled.content.decode()
    assert 'id="reply_body"' in html
    assert f"Hello Dana, about {message.number}: {{unknown}} stays." in html
    empty = client.get(reverse("frontdesk:message_reply_fill", args=[message.pk]), {"template": "x"})
    assert "Hello" not in empty.content.decode()
    outsider = client_for(people["south"]).get(reverse("frontdesk:message_reply_fill", args=[message.pk]),
                                               {"template": template.pk})
    assert outsider.status_code == 404
