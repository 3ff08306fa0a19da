"""Queue pages: the list with members and leads, creating and editing queues, and the one default queue."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.frontdesk.models import Queue, QueueMember

from .factories_routing import QueueFactory, QueueMemberFactory, RoutingRuleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(make_user):
    return make_user(Role.OFFICE_MANAGER, Tier.EXPERIENCED, username="manager")


def queue_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"name": "Billing", "first_response_minutes": 60, "resolve_minutes": 600,
                            "is_active": "on", "role": "", "signature": "", "reply_address": ""}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def queues_state() -> list[tuple[Any, ...]]:
    return [*Queue.objects.order_by("pk").values_list("pk", "name", "is_default", "is_active", "first_response_minutes"),
            *QueueMember.objects.order_by("pk").values_list("pk", "queue_id", "user_id", "is_lead")]


def test_the_queue_list_shows_members_leads_and_the_default(signed_in, manager, make_user, practice):
    queue = QueueFactory(name="Billing", is_default=True)
    QueueMemberFactory(queue=queue, user=make_user(Role.BILLER, first_name="Bea", last_name="Lee"), is_lead=True)
    response = signed_in(manager).get(reverse("frontdesk:queue_list"))
    text = response.content.decode()
    assert response.status_code == 200
    assert "Bea Lee (lead)" in text
    assert "Default" in text


def test_the_queue_list_takes_the_same_number_of_queries_for_many_queues(signed_in, manager, make_user, practice):
    client = signed_in(manager)
    QueueMemberFactory(queue=QueueFactory(), user=make_user(Role.BILLER))
    client.get(reverse("frontdesk:queue_list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("frontdesk:queue_list"))
    for _ in range(8):
        queue = QueueFactory()
        QueueMemberFactory(queue=queue, user=make_user(Role.BILLER))
        QueueMemberFactory(queue=queue, user=make_user(Role.FRONT_DESK), is_lead=True)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("frontdesk:queue_list"))
    assert len(many) == len(few)


def test_a_manager_creates_a_queue_with_members_and_leads(signed_in, manager, make_user, practice):
    ann, bob = make_user(Role.BILLER), make_user(Role.BILLER)
    response = signed_in(manager).post(reverse("frontdesk:queue_create"), queue_data(
        members=[ann.pk], leads=[bob.pk], signature="Billing office", reply_address="Billing@Practice.test"))
    assert response.status_code == 302
    queue = Queue.objects.get(name="Billing")
    assert queue.reply_address == "billing@practice.test"
    assert set(queue.memberships.values_list("user_id", "is_lead")) == {(ann.pk, False), (bob.pk, True)}
    assert AuditEvent.objects.filter(action="frontdesk.queue_saved", object_id=str(queue.pk)).count() == 1


def test_making_another_queue_the_default_takes_the_flag_from_the_old_one(signed_in, manager, practice):
    old = QueueFactory(name="Front desk", is_default=True)
    new = QueueFactory(name="Reception")
    response = signed_in(manager).post(reverse("frontdesk:queue_edit", args=[new.pk]),
                                       queue_data(name="Reception", is_default="on"))
    assert response.status_code == 302
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.is_default, new.is_default) == (False, True)
    assert Queue.objects.filter(is_default=True).count() == 1


def test_the_default_queue_cannot_be_unflagged_or_deactivated(signed_in, manager, practice):
    default = QueueFactory(name="Front desk", is_default=True)
    client = signed_in(manager)
    before = queues_state()
    response = client.post(reverse("frontdesk:queue_edit", args=[default.pk]), queue_data(name="Front desk"))
    assert response.status_code == 400
    assert "Make another queue the default instead" in response.content.decode()
    response = client.post(reverse("frontdesk:queue_edit", args=[default.pk]),
                           queue_data(name="Front desk", is_default="on", is_active=None))
    assert response.status_code == 400
    assert "The default queue cannot be deactivated" in response.content.decode()
    assert queues_state() == before


def test_a_person_a_rule_assigns_to_stays_on_the_queue(signed_in, manager, make_user, practice):
    biller = make_user(Role.BILLER, first_name="Bea", last_name="Lee")
    queue = QueueFactory(name="Billing")
    QueueMemberFactory(queue=queue, user=biller)
    RoutingRuleFactory(queue=queue, assign_to=biller, name="Bea's bills")
    before = queues_state()
    response = signed_in(manager).post(reverse("frontdesk:queue_edit", args=[queue.pk]), queue_data())
    assert response.status_code == 400
    assert "Bea Lee is assigned the messages of rule" in response.content.decode()
    assert queues_state() == before


def test_the_front_desk_may_not_configure_queues_and_nothing_changes(signed_in, make_user, practice):
    desk = make_user(Role.FRONT_DESK)
    queue = QueueFactory(name="Billing")
    client = signed_in(desk)
    before = queues_state()
    attempts = [
        client.get(reverse("frontdesk:queue_list")),
        client.post(reverse("frontdesk:queue_create"), queue_data(name="Mine")),
        client.post(reverse("frontdesk:queue_edit", args=[queue.pk]), queue_data(name="Hijacked", is_default="on")),
    ]
    assert [response.status_code for response in attempts] == [404] * 3
    assert queues_state() == before
    assert AuditEvent.objects.filter(actor_id=desk.pk, outcome="denied").count() == 3


def test_a_manager_of_one_location_configures_only_that_locations_queues(signed_in, make_user, north, south):
    local_manager = make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    practice_wide = QueueFactory(name="Everywhere")
    southern = QueueFactory(name="South desk", location=south)
    client = signed_in(local_manager)
    before = queues_state()
    for queue in (practice_wide, southern):
        response = client.post(reverse("frontdesk:queue_edit", args=[queue.pk]), queue_data(name="Taken"))
        assert response.status_code == 404
    assert queues_state() == before
    assert AuditEvent.objects.filter(actor_id=local_manager.pk, outcome="denied").count() == 2
    response = client.post(reverse("frontdesk:queue_create"), queue_data(name="North desk", location=north.pk))
    assert response.status_code == 302
    # Making it the default would take the flag for every location: refused, audited, nothing changes.
    northern = Queue.objects.get(name="North desk")
    before = queues_state()
    response = client.post(reverse("frontdesk:queue_edit", args=[northern.pk]),
                           queue_data(name="North desk", location=north.pk, is_default="on"))
    assert response.status_code == 404
    assert queues_state() == before


def test_the_queue_forms_open(signed_in, manager, make_user, practice):
    queue = QueueFactory(name="Billing")
    lead = make_user(Role.BILLER)
    QueueMemberFactory(queue=queue, user=lead, is_lead=True)
    client = signed_in(manager)
    assert client.get(reverse("frontdesk:queue_create")).status_code == 200
    response = client.get(reverse("frontdesk:queue_edit", args=[queue.pk]))
    assert response.status_code == 200
    assert f'name="leads" value="{lead.pk}"' in response.content.decode()
