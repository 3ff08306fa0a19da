"""Routing rule pages: the list in order, creating and changing rules with clear errors, moving them, and trying a
rule on recent messages before saving it. Only those who configure the front desk (where the rule applies) may."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.frontdesk.choices import Category, Channel
from openpractice.frontdesk.models import RoutingRule

from .factories_routing import QueueFactory, QueueMemberFactory, RoutingRuleFactory, receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(make_user):
    return make_user(Role.OFFICE_MANAGER, Tier.EXPERIENCED, username="manager")


@pytest.fixture
def desk(make_user):
    return make_user(Role.FRONT_DESK, username="desk")


@pytest.fixture
def billing_queue(practice):
    return QueueFactory(name="Billing")


def rule_data(queue: Any, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"name": "Billing words", "is_active": "on", "body_words": "bill, invoice",
                            "hours": "any", "queue": queue.pk, "priority": ""}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def rules_state() -> list[tuple[Any, ...]]:
    return list(RoutingRule.objects.order_by("pk").values_list("pk", "name", "position", "is_active", "queue_id",
                                                               "body_words"))


# --- the list ---------------------------------------------------------------------------------------------------

def test_the_rule_list_shows_the_rules_in_the_order_they_are_tried(signed_in, manager, billing_queue):
    RoutingRuleFactory(name="Second", position=20, queue=billing_queue)
    RoutingRuleFactory(name="First", position=10, queue=billing_queue, subject_words="refill")
    response = signed_in(manager).get(reverse("frontdesk:rule_list"))
    assert response.status_code == 200
    text = response.content.decode()
    assert text.index("First") < text.index("Second")
    assert "subject has: refill" in text


def test_the_rule_list_takes_the_same_number_of_queries_for_many_rules(signed_in, manager, billing_queue):
    client = signed_in(manager)
    RoutingRuleFactory(queue=billing_queue)
    client.get(reverse("frontdesk:rule_list"))  # warm the session and grant caches
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("frontdesk:rule_list"))
    for index in range(12):
        RoutingRuleFactory(queue=QueueFactory(), assign_to=None, subject_words=f"w{index}")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("frontdesk:rule_list"))
    assert len(many) == len(few)


# --- creating and changing --------------------------------------------------------------------------------------

def test_a_manager_creates_a_rule_and_it_goes_last_and_is_audited(signed_in, manager, billing_queue):
    RoutingRuleFactory(position=40, queue=billing_queue)
    response = signed_in(manager).post(reverse("frontdesk:rule_create"),
                                       rule_data(billing_queue, channels=[Channel.EMAIL], subject_words="Bill , STATEMENT"))
    assert response.status_code == 302
    rule = RoutingRule.objects.get(name="Billing words")
    assert rule.position == 50
    assert rule.channels == [Channel.EMAIL]
    assert rule.subject_words == "bill, statement"
    event = AuditEvent.objects.get(action="frontdesk.rule_saved")
    assert event.actor_id == manager.pk
    assert event.object_id == str(rule.pk)


@pytest.mark.parametrize(("changes", "field_error"), [
    ({"channels": ["fax"]}, "Unknown channel: fax."),
    ({"categories": ["gossip"]}, "Unknown category: gossip."),
    ({"time_from": "18:00"}, "Give both ends of the time window, or neither."),
    ({"time_to": "07:00"}, "Give both ends of the time window, or neither."),
    ({"time_from": "07:00", "time_to": "07:00"}, "The window must end at another time"),
], ids=["unknown channel", "unknown category", "no end", "no start", "empty window"])
def test_a_rule_with_a_mistake_is_refused_with_a_clear_error(signed_in, manager, billing_queue, changes, field_error):
    response = signed_in(manager).post(reverse("frontdesk:rule_create"), rule_data(billing_queue, **changes))
    assert response.status_code == 400
    assert field_error in response.content.decode()
    assert not RoutingRule.objects.exists()


def test_a_rule_cannot_both_assign_to_a_person_and_take_turns(signed_in, manager, make_user, billing_queue):
    biller = make_user(Role.BILLER)
    QueueMemberFactory(queue=billing_queue, user=biller)
    response = signed_in(manager).post(reverse("frontdesk:rule_create"),
                                       rule_data(billing_queue, assign_to=biller.pk, round_robin="on"))
    assert response.status_code == 400
    assert "not both" in response.content.decode()
    assert not RoutingRule.objects.exists()


def test_a_rule_assigns_only_to_a_member_of_its_queue_or_a_holder_of_its_role(signed_in, manager, make_user,
                                                                               billing_queue):
    stranger, biller = make_user(Role.FRONT_DESK), make_user(Role.BILLER)
    client = signed_in(manager)
    response = client.post(reverse("frontdesk:rule_create"), rule_data(billing_queue, assign_to=stranger.pk))
    assert response.status_code == 400
    assert "is not a member of Billing and does not hold its role" in response.content.decode()
    role_queue = QueueFactory(name="Billers", role=Role.BILLER)
    response = client.post(reverse("frontdesk:rule_create"), rule_data(role_queue, assign_to=biller.pk))
    assert response.status_code == 302
    assert RoutingRule.objects.get().assign_to == biller


def test_round_robin_needs_someone_to_take_turns(signed_in, manager, billing_queue):
    response = signed_in(manager).post(reverse("frontdesk:rule_create"), rule_data(billing_queue, round_robin="on"))
    assert response.status_code == 400
    assert "has no members to take turns" in response.content.decode()


def test_a_manager_deactivates_a_rule_by_unticking_active(signed_in, manager, billing_queue):
    rule = RoutingRuleFactory(queue=billing_queue, name="Old rule", body_words="bill")
    response = signed_in(manager).post(reverse("frontdesk:rule_edit", args=[rule.pk]),
                                       rule_data(billing_queue, name="Old rule", body_words="bill", is_active=None))
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.is_active is False
    event = AuditEvent.objects.get(action="frontdesk.rule_saved")
    assert "is_active" in event.changed_fields
    assert "bill" in rule.body_words


def test_moving_a_rule_up_swaps_it_with_the_one_before(signed_in, manager, billing_queue):
    first = RoutingRuleFactory(queue=billing_queue, position=10)
    second = RoutingRuleFactory(queue=billing_queue, position=10)
    third = RoutingRuleFactory(queue=billing_queue, position=30)
    client = signed_in(manager)
    response = client.post(reverse("frontdesk:rule_move", args=[third.pk]), {"direction": "up"})
    assert response.status_code == 302
    order = list(RoutingRule.objects.order_by("position", "pk").values_list("pk", flat=True))
    assert order == [first.pk, third.pk, second.pk]
    client.post(reverse("frontdesk:rule_move", args=[first.pk]), {"direction": "up"})  # already first: no change
    assert list(RoutingRule.objects.order_by("position", "pk").values_list("pk", flat=True)) == order
    assert AuditEvent.objects.filter(action="frontdesk.rule_moved").count() == 1


# --- refusals ---------------------------------------------------------------------------------------------------

def test_the_front_desk_may_not_configure_rules_and_nothing_changes(signed_in, desk, billing_queue):
    rule = RoutingRuleFactory(queue=billing_queue)
    client = signed_in(desk)
    before = rules_state()
    attempts = [
        client.get(reverse("frontdesk:rule_list")),
        client.post(reverse("frontdesk:rule_create"), rule_data(billing_queue)),
        client.post(reverse("frontdesk:rule_edit", args=[rule.pk]), rule_data(billing_queue, name="Hijacked")),
        client.post(reverse("frontdesk:rule_move", args=[rule.pk]), {"direction": "down"}),
        client.post(reverse("frontdesk:rule_preview"), rule_data(billing_queue)),
    ]
    assert [response.status_code for response in attempts] == [404] * 5
    assert rules_state() == before
    assert AuditEvent.objects.filter(actor_id=desk.pk, outcome="denied").count() == 5
    assert not AuditEvent.objects.filter(action__in=["frontdesk.rule_saved", "frontdesk.rule_moved"]).exists()


def test_a_manager_of_one_location_may_not_change_a_practice_wide_rule(signed_in, make_user, north, billing_queue):
    local_manager = make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    practice_wide = RoutingRuleFactory(queue=billing_queue, name="Everywhere")
    client = signed_in(local_manager)
    before = rules_state()
    response = client.post(reverse("frontdesk:rule_edit", args=[practice_wide.pk]),
                           rule_data(billing_queue, name="Mine now"))
    assert response.status_code == 404
    response = client.post(reverse("frontdesk:rule_move", args=[practice_wide.pk]), {"direction": "down"})
    assert response.status_code == 404
    assert rules_state() == before
    assert AuditEvent.objects.filter(actor_id=local_manager.pk, outcome="denied").count() == 2
    # Their own location's rules they may write; the list offers no edit link for the practice-wide one.
    response = client.post(reverse("frontdesk:rule_create"), rule_data(billing_queue, name="North bills",
                                                                        location=north.pk))
    assert response.status_code == 302
    listing = client.get(reverse("frontdesk:rule_list")).content.decode()
    assert reverse("frontdesk:rule_edit", args=[practice_wide.pk]) not in listing


# --- preview ----------------------------------------------------------------------------------------------------

def test_the_preview_shows_where_recent_messages_would_go_and_saves_nothing(signed_in, manager, billing_queue):
    records = QueueFactory(name="Records")
    RoutingRuleFactory(queue=records, name="Records words", body_words="records", position=10)
    receive(subject="Copy of my records")
    receive(subject="Question about my bill")
    receive(subject="Opening hours?")
    before = rules_state()
    response = signed_in(manager).post(reverse("frontdesk:rule_preview"),
                                       rule_data(billing_queue, body_words="bill, records"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    text = response.content.decode()
    assert "this rule would decide 1; 1 would go elsewhere" in text
    assert text.count("Changes") == 1
    assert "<html" not in text  # an htmx partial
    assert rules_state() == before
    assert AuditEvent.objects.filter(action="frontdesk.message_listed").count() == 3


def test_the_preview_of_an_edited_rule_replaces_its_saved_version(signed_in, manager, billing_queue):
    rule = RoutingRuleFactory(queue=billing_queue, name="Bills", body_words="bill")
    receive(subject="My bill")
    response = signed_in(manager).post(reverse("frontdesk:rule_preview"),
                                       {**rule_data(billing_queue, name="Bills", body_words="invoice"),
                                        "rule": rule.pk})
    text = response.content.decode()
    assert response.status_code == 200
    assert "<html" in text  # without htmx: the whole form page
    assert "this rule would decide 0; 1 would go elsewhere" in text


def test_the_preview_shows_the_forms_errors_and_tries_nothing(signed_in, manager, billing_queue):
    response = signed_in(manager).post(reverse("frontdesk:rule_preview"),
                                       rule_data(billing_queue, categories=[Category.BILLING, "gossip"]),
                                       HTTP_HX_REQUEST="true")
    assert "Unknown category: gossip." in response.content.decode()
    assert not AuditEvent.objects.filter(action="frontdesk.message_listed").exists()


def test_the_preview_tries_only_messages_the_user_may_see(signed_in, make_user, north, south, billing_queue):
    local_manager = make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    receive(subject="North bill", location=north)
    receive(subject="South bill", location=south)
    response = signed_in(local_manager).post(reverse("frontdesk:rule_preview"),
                                             rule_data(billing_queue, location=north.pk), HTTP_HX_REQUEST="true")
    text = response.content.decode()
    assert "North bill" in text
    assert "South bill" not in text


def test_the_preview_takes_the_same_number_of_queries_for_many_messages(signed_in, manager, north, billing_queue):
    client = signed_in(manager)
    receive(subject="bill 0", location=north)
    url, data = reverse("frontdesk:rule_preview"), rule_data(billing_queue)
    client.post(url, data, HTTP_HX_REQUEST="true")
    with CaptureQueriesContext(connection) as few:
        client.post(url, data, HTTP_HX_REQUEST="true")
    for index in range(10):
        receive(subject=f"bill {index + 1}", location=north, received_at=dt.datetime(2025, 3, 3, 12, tzinfo=dt.UTC))
    with CaptureQueriesContext(connection) as many:
        client.post(url, data, HTTP_HX_REQUEST="true")
    assert len(many) == len(few)


def test_the_rule_forms_open_with_every_field(signed_in, manager, billing_queue):
    rule = RoutingRuleFactory(queue=billing_queue, name="Bills", time_from=dt.time(18), time_to=dt.time(7))
    client = signed_in(manager)
    for url in (reverse("frontdesk:rule_create"), reverse("frontdesk:rule_edit", args=[rule.pk])):
        response = client.get(url)
        assert response.status_code == 200
        text = response.content.decode()
        for name in ("name", "is_active", "channels", "categories", "subject_words", "body_words", "sender_contains",
                     "location", "provider", "hours", "time_from", "time_to", "queue", "assign_to", "round_robin",
                     "priority", "first_response_minutes", "resolve_minutes"):
            assert f'name="{name}"' in text, name
    assert 'value="18:00"' in text
    assert f'name="rule" value="{rule.pk}"' in text
