"""/cycle-counts: someone who uses stock at a place's location starts a count, enters what is on the shelf (blind:
the books stay hidden while counting) and submits it; a manager other than the counter approves it, which posts
each variance to the ledger, exactly once per Idempotency-Key. A count at another location is 404 (audited);
refusals and bad input change nothing; the list costs the same queries whatever the rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.integrations.models import IdempotencyRecord
from openpractice.inventory.choices import CountStatus, MovementKind
from openpractice.inventory.models import CycleCount, Item, StockLevel, StockMovement, StoragePlace
from openpractice.inventory.services import counts
from openpractice.inventory.services import stock as stock_services
from openpractice.inventory.tests.factories import ItemFactory

from ..idempotency import REPLAYED_HEADER
from .conftest import API
from .supply_support import Api, denials, errors_on, ids, keeper, list_queries, place, post_with_key, put, snapshot

pytestmark = pytest.mark.django_db

COUNTS = f"{API}/cycle-counts"


@pytest.fixture
def nurse(make_user: Callable[..., User], north: Location) -> User:
    """Clinical staff at North: counts stock there, approves nothing."""
    return make_user(Role.CLINICAL_STAFF, locations=[north], username="nurse")


@pytest.fixture
def manager(make_user: Callable[..., User], north: Location) -> User:
    """Office manager (mid) at North: approves counts there."""
    return make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north], username="om-mid")


@pytest.fixture
def shelf(north: Location) -> tuple[StoragePlace, Item, Item]:
    """A North supply room with 40 gloves and 10 doses of one vaccine lot on the books."""
    room = place(north)
    gloves, vaccine = ItemFactory(name="Gloves"), ItemFactory(name="Vaccine", lot_tracked=True)
    put(gloves, room, 40)
    put(vaccine, room, 10, lot="FL1", expires_on=practice_today() + dt.timedelta(days=200))
    return room, gloves, vaccine


def on_hand(item: Item, where: StoragePlace) -> int:
    return sum(StockLevel.objects.filter(item=item, place=where).values_list("quantity", flat=True))


def counted_and_submitted(client: Any, room: StoragePlace, gloves: Item, vaccine: Item) -> dict[str, Any]:
    """Start a count of `room`, find 37 gloves and 12 doses, submit it; the submitted count."""
    started = client.post(COUNTS, {"place_id": room.pk})
    assert started.status_code == 201, started.content
    count = started.json()
    line_of = {line["item"]["id"]: line["id"] for line in count["lines"]}
    recorded = client.patch(f"{COUNTS}/{count['id']}", {"lines": [
        {"line_id": line_of[gloves.pk], "counted": 37}, {"line_id": line_of[vaccine.pk], "counted": 12}]})
    assert recorded.status_code == 200, recorded.content
    sent = client.post(f"{COUNTS}/{count['id']}/submit")
    assert sent.status_code == 200, sent.content
    return dict(sent.json())


def test_a_count_is_started_counted_blind_submitted_and_approved_into_the_ledger(
        nurse: User, manager: User, shelf: Any, api_as: Api) -> None:
    room, gloves, vaccine = shelf
    counter = api_as(nurse)
    started = counter.post(COUNTS, {"place_id": room.pk})
    assert started.status_code == 201, started.content
    count = started.json()
    assert (count["status"], count["line_count"], count["counted_lines"], count["started_by_id"]) == (
        "open", 2, 0, nurse.pk)
    # Blind: while counting, the books are not shown.
    assert [(line["item"]["id"], line["expected"], line["variance"]) for line in count["lines"]] == [
        (gloves.pk, None, None), (vaccine.pk, None, None)]
    assert count["lines"][1]["lot"]["number"] == "FL1"
    line_of = {line["item"]["id"]: line["id"] for line in count["lines"]}
    partly = counter.patch(f"{COUNTS}/{count['id']}", {"lines": [{"line_id": line_of[gloves.pk], "counted": 37}]})
    assert (partly.json()["counted_lines"], partly.json()["lines"][0]["expected"]) == (1, None)
    counter.patch(f"{COUNTS}/{count['id']}", {"lines": [{"line_id": line_of[vaccine.pk], "counted": 12}]})
    sent = counter.post(f"{COUNTS}/{count['id']}/submit")
    assert sent.status_code == 200, sent.content
    assert [(line["expected"], line["counted"], line["variance"]) for line in sent.json()["lines"]] == [
        (40, 37, -3), (10, 12, 2)]
    assert (on_hand(gloves, room), on_hand(vaccine, room)) == (40, 10)  # nothing posted before approval

    approved = post_with_key(api_as(manager), f"{COUNTS}/{count['id']}/approve", {}, "count-approve-1")
    assert approved.status_code == 200, approved.content
    assert (approved.json()["status"], approved.json()["approved_by_id"]) == ("approved", manager.pk)
    assert (on_hand(gloves, room), on_hand(vaccine, room)) == (37, 12)
    posted = StockMovement.objects.filter(count_line__count_id=count["id"])
    assert sorted((movement.kind, movement.quantity) for movement in posted) == [
        (MovementKind.ADJUST_IN, 2), (MovementKind.ADJUST_OUT, 3)]
    assert {movement.lot.number for movement in posted if movement.lot} == {"FL1"}
    assert AuditEvent.objects.filter(actor=manager, action="inventory.count_approved").count() == 1


def test_an_approval_retried_with_its_key_posts_once(nurse: User, manager: User, shelf: Any, api_as: Api) -> None:
    room, gloves, vaccine = shelf
    count = counted_and_submitted(api_as(nurse), room, gloves, vaccine)
    client = api_as(manager)
    path = f"{COUNTS}/{count['id']}/approve"
    first = post_with_key(client, path, {}, "approve-57")
    assert first.status_code == 200, first.content
    assert REPLAYED_HEADER not in first
    moved = StockMovement.objects.count()
    again = post_with_key(client, path, {}, "approve-57")
    assert (again.status_code, again[REPLAYED_HEADER]) == (200, "true")
    assert again.json() == first.json()
    assert StockMovement.objects.count() == moved
    assert (on_hand(gloves, room), on_hand(vaccine, room)) == (37, 12)
    # A new key is a new request: the count is approved already (422), nothing posted twice.
    assert errors_on(post_with_key(client, path, {}, "approve-58")) == {"body"}
    assert StockMovement.objects.count() == moved


def test_an_approval_without_a_key_is_400_and_posts_nothing(nurse: User, manager: User, shelf: Any,
                                                            api_as: Api) -> None:
    room, gloves, vaccine = shelf
    count = counted_and_submitted(api_as(nurse), room, gloves, vaccine)
    before = snapshot()
    response = post_with_key(api_as(manager), f"{COUNTS}/{count['id']}/approve", {}, None)
    assert (response.status_code, response.json()["code"]) == (400, "idempotency_key_required")
    assert snapshot() == before
    assert not IdempotencyRecord.objects.exists()


def test_the_counter_and_people_without_inventory_manage_cannot_approve(
        nurse: User, manager: User, shelf: Any, api_as: Api) -> None:
    room, gloves, vaccine = shelf
    by_manager = counted_and_submitted(api_as(manager), room, gloves, vaccine)
    before = snapshot()
    for user in (manager, nurse):  # the counter themself; someone who only uses stock
        denied = denials(user)
        response = api_as(user).post(f"{COUNTS}/{by_manager['id']}/approve")
        assert response.status_code == 404, user
        assert denials(user) == denied + 1
    assert snapshot() == before
    assert not IdempotencyRecord.objects.exists()  # a refused call keeps nothing: the key may be retried


def test_a_count_at_another_location_is_404_audited_and_nothing_changes(
        make_user: Callable[..., User], nurse: User, south: Location, api_as: Api) -> None:
    far = place(south)
    put(ItemFactory(), far, 3)
    far_count = counts.count_start(actor=keeper(), place=far)
    line = far_count.lines.get()
    client = api_as(nurse)
    before = snapshot()
    assert ids(client.get(COUNTS)) == []
    for method, path, body in (("get", f"{COUNTS}/{far_count.pk}", None),
                               ("patch", f"{COUNTS}/{far_count.pk}", {"lines": [{"line_id": line.pk, "counted": 1}]}),
                               ("post", f"{COUNTS}/{far_count.pk}/submit", None)):
        denied = denials(nurse)
        assert getattr(client, method)(path, body).status_code == 404, path
        assert denials(nurse) == denied + 1
    # Starting a count of a place the caller does not see: the same 422 as an id that does not exist.
    assert "place_id" in errors_on(client.post(COUNTS, {"place_id": far.pk}))
    assert snapshot() == before


def test_people_without_inventory_roles_get_404_audited(make_user: Callable[..., User], north: Location,
                                                        shelf: Any, api_as: Api) -> None:
    room, _gloves, _vaccine = shelf
    biller = make_user(Role.BILLER, locations=[north], username="biller")
    count = counts.count_start(actor=keeper(), place=room)
    client = api_as(biller)
    before = snapshot()
    for method, path, body in (("get", COUNTS, None), ("get", f"{COUNTS}/{count.pk}", None),
                               ("post", COUNTS, {"place_id": room.pk})):
        denied = denials(biller)
        assert getattr(client, method)(path, body).status_code == 404, path
        assert denials(biller) == denied + 1
    assert snapshot() == before


def test_bad_input_is_a_clear_422_and_writes_nothing(nurse: User, north: Location, shelf: Any,
                                                      api_as: Api) -> None:
    room, gloves, _vaccine = shelf
    client = api_as(nurse)
    count = client.post(COUNTS, {"place_id": room.pk}).json()
    other_room = place(north, "Exam room")
    put(gloves, other_room, 2)
    other = counts.count_start(actor=nurse, place=other_room)
    other_line = other.lines.get()
    retired = StoragePlace.objects.create(location=north, name="Old closet", is_active=False)
    line_id = count["lines"][0]["id"]
    before = snapshot()
    assert errors_on(client.post(COUNTS, {"place_id": room.pk})) == {"body"}  # being counted already
    for body, field in (({"place_id": 999_999}, "place_id"), ({"place_id": retired.pk}, "place_id"),
                        ({"place_id": 0}, "place_id"), ({}, "place_id")):
        assert field in errors_on(client.post(COUNTS, body)), body
    path = f"{COUNTS}/{count['id']}"
    entries: list[tuple[dict[str, Any], str]] = [
        ({"lines": [{"line_id": other_line.pk, "counted": 3}]}, "body"),
        ({"lines": [{"line_id": line_id, "counted": -1}]}, "counted"),
        ({"lines": [{"line_id": line_id, "counted": 1}, {"line_id": line_id, "counted": 2}]}, "lines"),
        ({"lines": []}, "lines"), ({"lines": [{"line_id": line_id, "counted": "many"}]}, "counted")]
    for patch, field in entries:
        assert field in errors_on(client.patch(path, patch)), patch
    assert errors_on(client.post(f"{path}/submit")) == {"body"}  # nothing counted yet
    for params in ({"status": "counting"}, {"place_id": 0}):
        assert client.get(COUNTS, params).status_code == 422, params
    assert snapshot() == before
    # Once submitted, the quantities are kept as they were.
    client.patch(path, {"lines": [{"line_id": line["id"], "counted": 5} for line in count["lines"]]})
    client.post(f"{path}/submit")
    assert errors_on(client.patch(path, {"lines": [{"line_id": line_id, "counted": 9}]})) == {"body"}
    assert CycleCount.objects.get(pk=count["id"]).lines.get(pk=line_id).counted == 5


def test_an_approval_that_would_go_below_zero_posts_nothing(nurse: User, manager: User, shelf: Any,
                                                            api_as: Api) -> None:
    room, gloves, vaccine = shelf
    count = counted_and_submitted(api_as(nurse), room, gloves, vaccine)  # gloves: 3 fewer than the books
    stock_services.stock_consume(actor=nurse, item=gloves, place=room, quantity=39)  # one left on the shelf
    before = snapshot()
    refused = post_with_key(api_as(manager), f"{COUNTS}/{count['id']}/approve", {}, "approve-1")
    assert refused.status_code == 422, refused.content
    assert snapshot() == before
    assert CycleCount.objects.get(pk=count["id"]).status == CountStatus.SUBMITTED


def test_the_list_costs_the_same_queries_whatever_the_rows(manager: User, north: Location, api_as: Api) -> None:
    client = api_as(manager)
    client.get(f"{API}/me")

    def add(start: int, number: int) -> None:
        for index in range(start, start + number):
            room = place(north, f"Room {index}")
            put(ItemFactory(), room, 5)
            put(ItemFactory(), room, 7)
            counts.count_start(actor=keeper(), place=room)

    add(0, 2)
    few = list_queries(client, COUNTS)
    add(2, 12)
    assert list_queries(client, COUNTS) == few
    rows = client.get(COUNTS, {"status": "open"}).json()
    assert (rows["count"], rows["items"][0]["line_count"]) == (14, 2)
