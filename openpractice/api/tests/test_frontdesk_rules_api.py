"""/routing-rules and /queues: read by those who configure the front desk (queues also by the front desk), written
only by those who configure it where the rule or queue applies. Refusals are 404 (audited) and change nothing;
mistakes are a 422 naming the field."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import include, path

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import user_with_role
from openpractice.api import urls as api_urls
from openpractice.api.routers import queues as queues_router
from openpractice.api.routers import routing_rules as rules_router
from openpractice.audit.models import AuditEvent
from openpractice.frontdesk.models import Queue, QueueMember, RoutingRule
from openpractice.frontdesk.tests.factories_routing import QueueFactory, QueueMemberFactory, RoutingRuleFactory

from .conftest import API

pytestmark = pytest.mark.django_db
RULES, QUEUES = f"{API}/routing-rules", f"{API}/queues"


def _mounted(router: Any) -> bool:
    return any(registration[1] is router for registration in api_urls.api._router_registrations)


_test_api: Any = None
urlpatterns: list[Any] = []


@pytest.fixture(autouse=True)
def _routers(settings: Any) -> None:
    """Until openpractice/api/urls.py mounts the routers (the lead's lines), serve them from an API of this module."""
    global _test_api
    if _mounted(rules_router.router) and _mounted(queues_router.router):
        return
    if _test_api is None:
        _test_api = api_urls.build_api()
        if not _mounted(rules_router.router):
            _test_api.add_router("/routing-rules", rules_router.router)
        if not _mounted(queues_router.router):
            _test_api.add_router("/queues", queues_router.router)
        urlpatterns[:] = [path("api/v1/", _test_api.urls), path("", include("config.urls"))]
    settings.ROOT_URLCONF = __name__


@pytest.fixture
def manager(practice):
    return user_with_role(Role.OFFICE_MANAGER, Tier.EXPERIENCED, username="manager")


@pytest.fixture
def desk(practice):
    return user_with_role(Role.FRONT_DESK, username="desk")


@pytest.fixture
def billing(practice):
    return QueueFactory(name="Billing")


def errors_on(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.content
    return {str(error["loc"][-1]): error["msg"] for error in response.json()["errors"]}


def state() -> list[Any]:
    return [*RoutingRule.objects.order_by("pk").values_list(),
            *Queue.objects.order_by("pk").values_list("pk", "name", "is_default", "is_active", "location_id"),
            *QueueMember.objects.order_by("pk").values_list()]


# --- rules ------------------------------------------------------------------------------------------------------

def test_a_manager_lists_the_rules_in_order_in_constant_queries(api_as, manager, billing):
    RoutingRuleFactory(queue=billing, name="Second", position=20)
    RoutingRuleFactory(queue=billing, name="First", position=10, channels=["email"])
    client = api_as(manager)
    client.get(RULES)  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        response = client.get(RULES)
    assert [item["name"] for item in response.json()["items"]] == ["First", "Second"]
    assert response.json()["items"][0]["channels"] == ["email"]
    for index in range(10):
        RoutingRuleFactory(queue=QueueFactory(), position=100 + index)
    with CaptureQueriesContext(connection) as many:
        client.get(RULES)
    assert len(many) == len(few)


def test_a_manager_creates_a_rule_that_goes_last(api_as, manager, billing):
    RoutingRuleFactory(queue=billing, position=70)
    response = api_as(manager).post(RULES, {"name": "Statements", "queue_id": billing.pk, "channels": ["email"],
                                            "body_words": "Statement, BILL", "hours": "closed",
                                            "time_from": "18:00", "time_to": "07:00", "priority": "high"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["position"], body["body_words"], body["queue"], body["time_from"]) == (80, "statement, bill",
                                                                                        "Billing", "18:00:00")
    assert AuditEvent.objects.filter(action="frontdesk.rule_saved", object_id=str(body["id"])).count() == 1


@pytest.mark.parametrize(("payload", "field"), [
    ({"channels": ["fax"]}, "channels"),
    ({"categories": ["gossip"]}, "categories"),
    ({"time_from": "18:00"}, "time_to"),
    ({"round_robin": True, "assign_to_id": "MEMBER"}, "assign_to"),
    ({"assign_to_id": "STRANGER"}, "assign_to"),
    ({"queue_id": 999999}, "queue_id"),
], ids=["unknown channel", "unknown category", "half a window", "both assign and round-robin",
        "assignee outside the queue", "unknown queue"])
def test_a_rule_with_a_mistake_is_a_422_naming_the_field(api_as, manager, billing, payload, field):
    member, stranger = user_with_role(Role.BILLER), user_with_role(Role.FRONT_DESK)
    QueueMemberFactory(queue=billing, user=member)
    values = {key: {"MEMBER": member.pk, "STRANGER": stranger.pk}.get(value, value) if isinstance(value, str)
              else value for key, value in payload.items()}
    response = api_as(manager).post(RULES, {"name": "Broken", "queue_id": billing.pk, **values})
    assert field in errors_on(response)
    assert not RoutingRule.objects.exists()


def test_a_manager_deactivates_a_rule_and_only_the_fields_sent_change(api_as, manager, billing):
    rule = RoutingRuleFactory(queue=billing, name="Bills", body_words="bill", priority="high")
    response = api_as(manager).patch(f"{RULES}/{rule.pk}", {"is_active": False, "priority": None})
    assert response.status_code == 200, response.content
    rule.refresh_from_db()
    assert (rule.is_active, rule.priority, rule.body_words) == (False, "", "bill")


def test_the_front_desk_may_not_read_or_write_rules_and_nothing_changes(api_as, desk, billing):
    rule = RoutingRuleFactory(queue=billing)
    client = api_as(desk)
    before = state()
    responses = [client.get(RULES), client.get(f"{RULES}/{rule.pk}"),
                 client.post(RULES, {"name": "Mine", "queue_id": billing.pk}),
                 client.patch(f"{RULES}/{rule.pk}", {"name": "Hijacked"})]
    assert [response.status_code for response in responses] == [404] * 4
    assert state() == before
    assert AuditEvent.objects.filter(actor_id=desk.pk, outcome="denied").count() == 4


def test_a_manager_of_one_location_writes_only_that_locations_rules(api_as, north, south, billing):
    local = user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    practice_wide = RoutingRuleFactory(queue=billing)
    client = api_as(local)
    before = state()
    responses = [client.patch(f"{RULES}/{practice_wide.pk}", {"name": "Mine"}),
                 client.post(RULES, {"name": "South", "queue_id": billing.pk, "location_id": south.pk}),
                 client.post(RULES, {"name": "Everywhere", "queue_id": billing.pk})]
    assert [response.status_code for response in responses] == [404] * 3
    assert state() == before
    assert AuditEvent.objects.filter(actor_id=local.pk, outcome="denied").count() == 3
    created = client.post(RULES, {"name": "North", "queue_id": billing.pk, "location_id": north.pk})
    assert created.status_code == 201
    # ... and may not move it out of their reach.
    before = state()
    moved = client.patch(f"{RULES}/{created.json()['id']}", {"location_id": None})
    assert moved.status_code == 404
    assert state() == before


# --- queues -----------------------------------------------------------------------------------------------------

def test_the_front_desk_reads_the_queues_with_their_members(api_as, desk, billing):
    biller = user_with_role(Role.BILLER, first_name="Bea", last_name="Lee")
    QueueMemberFactory(queue=billing, user=biller, is_lead=True)
    client = api_as(desk)
    listing = client.get(QUEUES)
    assert listing.status_code == 200
    assert listing.json()["items"][0]["members"] == [{"user_id": biller.pk, "name": "Bea Lee", "is_lead": True}]
    assert client.get(f"{QUEUES}/{billing.pk}").json()["name"] == "Billing"


def test_the_queue_list_takes_constant_queries(api_as, desk, billing):
    client = api_as(desk)
    QueueMemberFactory(queue=billing, user=user_with_role(Role.BILLER))
    client.get(QUEUES)  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        client.get(QUEUES)
    for _ in range(6):
        QueueMemberFactory(queue=QueueFactory(), user=user_with_role(Role.BILLER))
    with CaptureQueriesContext(connection) as many:
        client.get(QUEUES)
    assert len(many) == len(few)


def test_a_manager_creates_a_queue_and_makes_it_the_default(api_as, manager, billing):
    old = QueueFactory(name="Front desk", is_default=True)
    ann = user_with_role(Role.FRONT_DESK)
    client = api_as(manager)
    response = client.post(QUEUES, {"name": "Reception", "member_ids": [ann.pk], "lead_ids": [ann.pk],
                                    "first_response_minutes": 30, "reply_address": "desk@practice.test"})
    assert response.status_code == 201, response.content
    queue_id = response.json()["id"]
    response = client.patch(f"{QUEUES}/{queue_id}", {"is_default": True})
    assert response.status_code == 200
    old.refresh_from_db()
    assert old.is_default is False
    assert list(Queue.objects.filter(is_default=True).values_list("pk", flat=True)) == [queue_id]
    errors = errors_on(client.patch(f"{QUEUES}/{queue_id}", {"is_default": False}))
    assert "is_default" in errors


def test_the_front_desk_may_not_write_queues_and_nothing_changes(api_as, desk, billing):
    client = api_as(desk)
    before = state()
    responses = [client.post(QUEUES, {"name": "Mine"}), client.patch(f"{QUEUES}/{billing.pk}", {"name": "Taken"})]
    assert [response.status_code for response in responses] == [404, 404]
    assert state() == before
    assert AuditEvent.objects.filter(actor_id=desk.pk, outcome="denied").count() == 2


def test_someone_without_front_desk_rights_may_not_read_the_queues(api_as, practice, billing):
    hr = user_with_role(Role.HR)
    assert api_as(hr).get(QUEUES).status_code == 404
    assert AuditEvent.objects.filter(actor_id=hr.pk, outcome="denied").count() == 1
