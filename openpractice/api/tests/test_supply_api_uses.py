"""/stock-movements/uses: several items used from one place in one call, all or none, exactly once per
Idempotency-Key; a short line is a 422 naming it and nothing moves; another location's place is refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.core.models import Location
from openpractice.inventory.models import Item, StockLevel, StockMovement
from openpractice.inventory.services import stock as stock_services
from openpractice.inventory.tests.factories import ItemFactory

from .conftest import API
from .supply_support import Api, place, post_with_key, put, snapshot

pytestmark = pytest.mark.django_db

USES = f"{API}/stock-movements/uses"


@pytest.fixture
def nurse(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.CLINICAL_STAFF, Tier.STANDARD, locations=[north])


def on_hand(item: Item) -> int:
    return sum(StockLevel.objects.filter(item=item).values_list("quantity", flat=True))


def test_a_visits_supplies_are_recorded_once_per_key(nurse: User, north: Location, api_as: Api) -> None:
    gloves, gauze, room = ItemFactory(name="Gloves"), ItemFactory(name="Gauze"), place(north)
    put(gloves, room, 20)
    put(gauze, room, 5)
    client = api_as(nurse)
    body = {"place_id": room.pk, "reason": "Visit", "lines": [{"item_id": gloves.pk, "quantity": 2},
                                                              {"item_id": gauze.pk, "quantity": 1}]}
    first = post_with_key(client, USES, body, "visit-1")
    assert first.status_code == 201, first.content
    assert (first.json()["quantity"], len(first.json()["movements"])) == (3, 2)
    again = post_with_key(client, USES, body, "visit-1")
    assert again.status_code == 200
    assert again.json()["replayed"] is True
    assert again.json()["operation"] == first.json()["operation"]
    assert (on_hand(gloves), on_hand(gauze)) == (18, 4)
    other = post_with_key(client, USES, {**body, "lines": [{"item_id": gloves.pk, "quantity": 2}]}, "visit-1")
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    assert stock_services.ledger_matches_levels()


def test_a_short_line_is_a_422_naming_it_and_nothing_moves(nurse: User, north: Location, api_as: Api) -> None:
    gloves, gauze, room = ItemFactory(name="Gloves"), ItemFactory(name="Gauze"), place(north)
    put(gloves, room, 20)
    put(gauze, room, 1)
    before = snapshot()
    response = post_with_key(api_as(nurse), USES, {"place_id": room.pk, "lines": [
        {"item_id": gloves.pk, "quantity": 2}, {"item_id": gauze.pk, "quantity": 3}]}, "visit-2")
    assert response.status_code == 422, response.content
    assert "Line 2 (Gauze)" in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("lines", [[], [{"item_id": 999_999, "quantity": 1}], [{"item_id": 1, "quantity": 0}]])
def test_bad_bodies_are_422_and_move_nothing(nurse: User, north: Location, api_as: Api, lines: list) -> None:
    room = place(north)
    before = snapshot()
    response = post_with_key(api_as(nurse), USES, {"place_id": room.pk, "lines": lines}, "visit-3")
    assert response.status_code == 422, response.content
    assert snapshot() == before


def test_a_place_at_another_location_is_refused_and_nothing_moves(nurse: User, south: Location,
                                                                    api_as: Api) -> None:
    gloves, room = ItemFactory(), place(south)
    put(gloves, room, 5)
    response = post_with_key(api_as(nurse), USES, {"place_id": room.pk, "lines": [
        {"item_id": gloves.pk, "quantity": 1}]}, "visit-4")
    assert response.status_code == 422
    assert on_hand(gloves) == 5
    assert not StockMovement.objects.filter(kind="consume").exists()
