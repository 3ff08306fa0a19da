"""Stock pages: stock on hand per place with lots and expiry, used first expiry first out, moved, removed with a
reason and added as an adjustment; the movement ledger, expiring soon, below the reorder point, par levels and
storage places. Each page shows only the user's locations; a refusal is a 404, audited, and moves nothing; bad
input is a clear error and moves nothing; the same form submitted twice moves the stock once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from openpractice.inventory.choices import MovementKind, PlaceKind
from openpractice.inventory.models import ParLevel, StockLevel, StockMovement, StoragePlace
from openpractice.inventory.services import stock
from openpractice.inventory.tests.factories import place_at

from .factories_stock_ui import (
    EXPIRES_LATE,
    EXPIRES_SOON,
    books,
    client_for,
    clinical,
    denials,
    form_key,
    front_desk,
    gloves,
    manager,
    on_hand,
    put,
)

pytestmark = pytest.mark.django_db

LIST_PAGES = ("inventory:stock_list", "inventory:movement_list", "inventory:expiring_list",
              "inventory:belowpar_list", "inventory:suggested_list", "inventory:par_list", "inventory:place_list",
              "inventory:stockcount_list", "inventory:item_list")


def _level(item: Any, place: Any, lot: str | None = None) -> StockLevel:
    return StockLevel.objects.get(item=item, place=place, lot__number=lot) if lot else StockLevel.objects.get(
        item=item, place=place, lot__isnull=True)


# --- seeing ------------------------------------------------------------------------------------------------------


def test_the_stock_pages_open_for_clinical_staff_and_show_only_their_location(north: Any, south: Any) -> None:
    nurse, boss = clinical(north), manager(north)
    item = gloves(name="Gauze pads", lot_tracked=True)
    room_north, room_south = place_at(north, "North room"), place_at(south, "South room")
    put(boss, item, room_north, 5, "LOT-NORTH", EXPIRES_SOON)
    put(manager(south), item, room_south, 7, "LOT-SOUTH", EXPIRES_SOON)
    ParLevel.objects.create(item=item, place=room_north, par=20, reorder_point=10)
    ParLevel.objects.create(item=item, place=room_south, par=20, reorder_point=10)
    client = client_for(nurse)
    for name in LIST_PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert b"South room" not in response.content, name
    stock_page = client.get(reverse("inventory:stock_list")).content.decode()
    assert "LOT-NORTH" in stock_page
    assert "LOT-SOUTH" not in stock_page
    expiring = client.get(reverse("inventory:expiring_list")).content.decode()
    assert "LOT-NORTH" in expiring
    below = client.get(reverse("inventory:belowpar_list")).content.decode()
    assert "North room" in below
    # Clinical staff use and move stock but do not remove it.
    assert reverse("inventory:stock_consume", args=[_level(item, room_north, "LOT-NORTH").pk]) in stock_page
    assert reverse("inventory:stock_remove", args=[_level(item, room_north, "LOT-NORTH").pk]) not in stock_page


def test_someone_without_inventory_duties_is_refused_every_stock_page_and_it_is_audited(north: Any) -> None:
    desk = front_desk(north)
    client = client_for(desk)
    for name in (*LIST_PAGES, "inventory:stock_add", "inventory:par_edit", "inventory:sample_receive"):
        before = denials(desk)
        assert client.get(reverse(name)).status_code == 404, name
        assert denials(desk) == before + 1, name


# --- using stock -------------------------------------------------------------------------------------------------


def test_use_takes_the_lot_that_expires_first_and_a_double_submit_moves_stock_once(north: Any) -> None:
    nurse, boss = clinical(north), manager(north)
    item, room = gloves(lot_tracked=True), place_at(north)
    put(boss, item, room, 5, "LATE", EXPIRES_LATE)
    put(boss, item, room, 3, "SOON", EXPIRES_SOON)
    client = client_for(nurse)
    url = reverse("inventory:stock_consume", args=[_level(item, room, "LATE").pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "First expiry" in page.content.decode()
    data = {"quantity": 4, "lot": "", "reason": "Clinic session", "idempotency_key": form_key(page)}
    first = client.post(url, data)
    assert first.status_code == 302
    assert first["Location"] == reverse("inventory:stock_list") + f"?place={room.pk}"
    assert on_hand(item, room) == {"SOON": 0, "LATE": 4}
    again = client.post(url, data, follow=True)  # the same form, sent again
    assert again.status_code == 200
    assert "moved once" in again.content.decode()
    assert on_hand(item, room) == {"SOON": 0, "LATE": 4}
    assert StockMovement.objects.filter(kind=MovementKind.CONSUME).count() == 2  # one per lot, one operation
    # A new showing of the form is a new operation.
    fresh = client.get(url)
    client.post(url, {**data, "quantity": 1, "idempotency_key": form_key(fresh)})
    assert on_hand(item, room) == {"SOON": 0, "LATE": 3}
    assert stock.ledger_matches_levels()


def test_a_spent_form_key_sent_with_other_figures_is_an_error_and_the_form_gets_a_fresh_key(north: Any) -> None:
    nurse, boss = clinical(north), manager(north)
    item, room = gloves(), place_at(north)
    put(boss, item, room, 10)
    client = client_for(nurse)
    url = reverse("inventory:stock_consume", args=[_level(item, room).pk])
    key = form_key(client.get(url))
    assert client.post(url, {"quantity": 4, "idempotency_key": key}).status_code == 302
    changed = client.post(url, {"quantity": 2, "idempotency_key": key})  # back in the browser, then resent
    assert changed.status_code == 400
    assert "already used for another movement" in changed.content.decode()
    assert on_hand(item, room) == {None: 6}
    fresh = form_key(changed)
    assert fresh != key
    assert client.post(url, {"quantity": 2, "idempotency_key": fresh}).status_code == 302
    assert on_hand(item, room) == {None: 4}


def test_a_named_lot_is_used_instead_of_first_expiry(north: Any) -> None:
    nurse, boss = clinical(north), manager(north)
    item, room = gloves(lot_tracked=True), place_at(north)
    put(boss, item, room, 5, "LATE", EXPIRES_LATE)
    put(boss, item, room, 3, "SOON", EXPIRES_SOON)
    late = _level(item, room, "LATE")
    client = client_for(nurse)
    page = client.get(reverse("inventory:stock_consume", args=[late.pk]))
    response = client.post(reverse("inventory:stock_consume", args=[late.pk]), {
        "quantity": 2, "lot": late.lot_id, "idempotency_key": form_key(page)})
    assert response.status_code == 302
    assert on_hand(item, room) == {"SOON": 3, "LATE": 3}


@pytest.mark.parametrize(("quantity", "message"), [
    ("-2", "greater than or equal to 1"),
    ("0", "greater than or equal to 1"),
    ("1.5", "whole number"),
    ("", "required"),
    ("6", "Only 5 each on hand here."),
])
def test_a_bad_quantity_is_a_clear_error_and_moves_nothing(north: Any, quantity: str, message: str) -> None:
    nurse, boss = clinical(north), manager(north)
    item, room = gloves(), place_at(north)
    put(boss, item, room, 5)
    before = books()
    client = client_for(nurse)
    url = reverse("inventory:stock_consume", args=[_level(item, room).pk])
    response = client.post(url, {"quantity": quantity, "idempotency_key": form_key(client.get(url))})
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["quantity"])
    assert message in response.content.decode()
    assert books() == before


def test_a_bare_post_without_the_form_key_moves_nothing(north: Any) -> None:
    nurse, boss = clinical(north), manager(north)
    item, room = gloves(), place_at(north)
    put(boss, item, room, 5)
    before = books()
    response = client_for(nurse).post(reverse("inventory:stock_consume", args=[_level(item, room).pk]),
                                      {"quantity": 1})
    assert response.status_code == 400
    assert "idempotency_key" in response.context["form"].errors
    assert books() == before


def test_stock_at_another_location_is_not_found_audited_and_untouched(north: Any, south: Any) -> None:
    nurse = clinical(north)
    item, room_south = gloves(), place_at(south)
    put(manager(south), item, room_south, 5)
    level = _level(item, room_south)
    client = client_for(nurse)
    before = books()
    for name in ("inventory:stock_consume", "inventory:stock_transfer"):
        url = reverse(name, args=[level.pk])
        for method in ("get", "post"):
            denied = denials(nurse)
            response = getattr(client, method)(url, {"quantity": 1, "idempotency_key": "k1"})
            assert response.status_code == 404
            assert denials(nurse) == denied + 1
    assert books() == before


# --- moving stock ------------------------------------------------------------------------------------------------


def test_a_transfer_moves_the_lot_to_another_place_at_the_location(north: Any) -> None:
    nurse, boss = clinical(north), manager(north)
    item, room, exam = gloves(lot_tracked=True), place_at(north), place_at(north, "Exam 1")
    put(boss, item, room, 10, "A1", EXPIRES_SOON)
    url = reverse("inventory:stock_transfer", args=[_level(item, room, "A1").pk])
    client = client_for(nurse)
    page = client.get(url)
    assert list(page.context["form"].fields["destination"].queryset) == [exam]
    response = client.post(url, {"quantity": 4, "destination": exam.pk, "idempotency_key": form_key(page)})
    assert response.status_code == 302
    assert on_hand(item, room) == {"A1": 6}
    assert on_hand(item, exam) == {"A1": 4}
    assert stock.ledger_matches_levels()


def test_a_transfer_to_a_place_at_another_location_is_refused_and_moves_nothing(north: Any, south: Any) -> None:
    nurse, boss = clinical(north), manager(north)
    item, room, elsewhere = gloves(), place_at(north), place_at(south, "South room")
    put(boss, item, room, 10)
    before = books()
    url = reverse("inventory:stock_transfer", args=[_level(item, room).pk])
    client = client_for(nurse)
    response = client.post(url, {"quantity": 4, "destination": elsewhere.pk, "idempotency_key": form_key(
        client.get(url))})
    assert response.status_code == 400
    assert response.context["form"].errors["destination"] == [
        "Choose a storage place in use at one of your locations."]
    assert books() == before


def test_a_transfer_of_more_than_is_on_hand_is_refused(north: Any) -> None:
    nurse, boss = clinical(north), manager(north)
    item, room, exam = gloves(), place_at(north), place_at(north, "Exam 1")
    put(boss, item, room, 3)
    before = books()
    url = reverse("inventory:stock_transfer", args=[_level(item, room).pk])
    client = client_for(nurse)
    response = client.post(url, {"quantity": 4, "destination": exam.pk, "idempotency_key": form_key(
        client.get(url))})
    assert response.status_code == 400
    assert response.context["form"].errors["quantity"] == ["Only 3 each on hand here."]
    assert books() == before


# --- removing and adding -----------------------------------------------------------------------------------------


def test_removing_stock_is_for_managers_with_a_reason(north: Any) -> None:
    nurse, boss = clinical(north), manager(north)
    item, room = gloves(lot_tracked=True), place_at(north)
    put(boss, item, room, 6, "B7", EXPIRES_SOON)
    url = reverse("inventory:stock_remove", args=[_level(item, room, "B7").pk])
    before = books()
    denied = denials(nurse)
    assert client_for(nurse).post(url, {"kind": "dispose", "quantity": 1, "reason": "Torn",
                                        "idempotency_key": "x1"}).status_code == 404
    assert denials(nurse) == denied + 1
    assert books() == before
    client = client_for(boss)
    page = client.get(url)
    assert page.status_code == 200
    key = form_key(page)
    no_reason = client.post(url, {"kind": "dispose", "quantity": 1, "reason": "", "idempotency_key": key})
    assert no_reason.status_code == 400
    assert "reason" in no_reason.context["form"].errors
    assert books() == before
    done = client.post(url, {"kind": "expire", "quantity": 2, "lot": _level(item, room, "B7").lot_id,
                             "reason": "Past date", "idempotency_key": key})
    assert done.status_code == 302
    client.post(url, {"kind": "expire", "quantity": 2, "lot": _level(item, room, "B7").lot_id,
                      "reason": "Past date", "idempotency_key": key})  # sent twice
    assert on_hand(item, room) == {"B7": 4}
    movement = StockMovement.objects.get(kind=MovementKind.EXPIRE)
    assert (movement.quantity, movement.reason, movement.actor) == (2, "Past date", boss)


def test_expiring_stock_needs_its_lot(north: Any) -> None:
    boss = manager(north)
    item, room = gloves(lot_tracked=True), place_at(north)
    put(boss, item, room, 6, "B7", EXPIRES_SOON)
    url = reverse("inventory:stock_remove", args=[_level(item, room, "B7").pk])
    client = client_for(boss)
    response = client.post(url, {"kind": "expire", "quantity": 2, "lot": "", "reason": "Past date",
                                 "idempotency_key": form_key(client.get(url))})
    assert response.status_code == 400
    assert "Name the expired lot." in response.content.decode()
    assert on_hand(item, room) == {"B7": 6}


def test_a_manager_adds_stock_as_an_adjustment_with_a_reason(north: Any, south: Any) -> None:
    boss = manager(north)
    item, room, elsewhere = gloves(sku="GLV-9"), place_at(north), place_at(south)
    client = client_for(boss)
    page = client.get(reverse("inventory:stock_add") + f"?place={room.pk}&item=GLV-9")
    assert page.status_code == 200
    assert list(page.context["form"].fields["place"].queryset) == [room]
    key = form_key(page)
    bad = client.post(reverse("inventory:stock_add"), {"place": elsewhere.pk, "item": "NOPE", "quantity": 3,
                                                       "reason": "Found", "idempotency_key": key})
    assert bad.status_code == 400
    assert set(bad.context["form"].errors) == {"place", "item"}
    assert not StockMovement.objects.exists()
    data = {"place": room.pk, "item": "glv-9", "quantity": 3, "reason": "Opening balance", "idempotency_key": key}
    assert client.post(reverse("inventory:stock_add"), data).status_code == 302
    assert client.post(reverse("inventory:stock_add"), data).status_code == 302
    assert on_hand(item, room) == {None: 3}
    assert StockMovement.objects.get().kind == MovementKind.ADJUST_IN


def test_clinical_staff_may_not_add_stock(north: Any) -> None:
    nurse = clinical(north)
    item, room = gloves(sku="GLV-9"), place_at(north)
    before = books()
    response = client_for(nurse).post(reverse("inventory:stock_add"), {
        "place": room.pk, "item": item.sku, "quantity": 3, "reason": "x", "idempotency_key": "k"})
    assert response.status_code == 404
    assert books() == before


# --- the ledger and the lists ------------------------------------------------------------------------------------


def test_the_movement_ledger_filters_by_item_place_kind_and_dates(north: Any, south: Any) -> None:
    boss = manager(north)
    gauze, tape = gloves(name="Gauze"), gloves(name="Tape")
    room, exam = place_at(north), place_at(north, "Exam 1")
    put(boss, gauze, room, 10)
    put(boss, tape, room, 4)
    stock.stock_transfer(actor=boss, item=gauze, source=room, destination=exam, quantity=2)
    stock.stock_consume(actor=boss, item=gauze, place=exam, quantity=1)
    put(manager(south), gauze, place_at(south, "South room"), 9)
    client = client_for(boss)
    url = reverse("inventory:movement_list")

    def kinds(query: str) -> list[str]:
        response = client.get(url + query)
        assert response.status_code == 200
        return [movement.kind for movement in response.context["table"].page.object_list]

    assert len(kinds("")) == 4  # not the South receipt
    assert kinds(f"?item={tape.pk}") == [MovementKind.RECEIVE]
    assert sorted(kinds(f"?place={exam.pk}")) == [MovementKind.CONSUME, MovementKind.TRANSFER]
    assert kinds("?kind=consume") == [MovementKind.CONSUME]
    today = dt.date.today()
    assert len(kinds(f"?since={(today - dt.timedelta(days=1)).isoformat()}")) == 4
    assert kinds(f"?until={(today - dt.timedelta(days=2)).isoformat()}") == []
    assert len(kinds("?since=not-a-date&kind=bogus")) == 4


def test_the_expiring_list_takes_a_window_in_days(north: Any) -> None:
    boss = manager(north)
    item, room = gloves(lot_tracked=True), place_at(north)
    today = dt.date.today()
    put(boss, item, room, 2, "NEAR", today + dt.timedelta(days=10))
    put(boss, item, room, 2, "FAR", today + dt.timedelta(days=100))
    client = client_for(boss)

    def lots(days: str) -> list[str]:
        response = client.get(reverse("inventory:expiring_list") + f"?days={days}")
        return [level.lot.number for level in response.context["table"].page.object_list]

    assert lots("30") == ["NEAR"]
    assert lots("365") == ["NEAR", "FAR"]
    assert lots("nonsense") == ["NEAR"]  # the default 60 days


# --- par levels and places ---------------------------------------------------------------------------------------


def test_a_manager_sets_changes_and_removes_a_par_level(north: Any) -> None:
    boss = manager(north)
    item, room = gloves(sku="GLV-1"), place_at(north)
    client = client_for(boss)
    url = reverse("inventory:par_edit")
    wrong = client.post(url, {"place": room.pk, "item": "GLV-1", "par": 10, "reorder_point": 10})
    assert wrong.status_code == 400
    assert wrong.context["form"].errors["reorder_point"] == ["The reorder point must be below the par level."]
    assert not ParLevel.objects.exists()
    assert client.post(url, {"place": room.pk, "item": "GLV-1", "par": 10, "reorder_point": 4}).status_code == 302
    page = client.get(url + f"?place={room.pk}&item=GLV-1")
    assert page.context["form"].initial["par"] == 10
    assert client.post(url, {"place": room.pk, "item": "GLV-1", "par": 12, "reorder_point": 5}).status_code == 302
    assert ParLevel.objects.values_list("par", "reorder_point").get() == (12, 5)
    listing = client.get(reverse("inventory:par_list") + f"?place={room.pk}")
    assert [par.item for par in listing.context["table"].page.object_list] == [item]
    assert client.post(url, {"place": room.pk, "item": "GLV-1", "remove": "on"}).status_code == 302
    assert not ParLevel.objects.exists()


def test_par_levels_are_set_only_at_the_managers_locations(north: Any, south: Any) -> None:
    boss, nurse = manager(north), clinical(north)
    gloves(sku="GLV-1")
    elsewhere = place_at(south)
    response = client_for(boss).post(reverse("inventory:par_edit"), {
        "place": elsewhere.pk, "item": "GLV-1", "par": 10, "reorder_point": 2})
    assert response.status_code == 400
    assert "place" in response.context["form"].errors
    assert client_for(nurse).post(reverse("inventory:par_edit"), {
        "place": place_at(north).pk, "item": "GLV-1", "par": 10, "reorder_point": 2}).status_code == 404
    assert not ParLevel.objects.exists()


def test_a_manager_adds_and_edits_storage_places_at_their_locations(north: Any, south: Any) -> None:
    boss = manager(north)
    client = client_for(boss)
    create = reverse("inventory:place_create")
    assert list(client.get(create).context["form"].fields["location"].queryset) == [north]
    refused = client.post(create, {"location": south.pk, "name": "Closet", "kind": PlaceKind.OTHER,
                                   "is_active": "on"})
    assert refused.status_code == 400
    assert client.post(create, {"location": north.pk, "name": "Exam 3", "kind": PlaceKind.EXAM_ROOM,
                                "is_active": "on"}).status_code == 302
    place = StoragePlace.objects.get(name="Exam 3")
    duplicate = client.post(create, {"location": north.pk, "name": "Exam 3", "kind": PlaceKind.EXAM_ROOM,
                                     "is_active": "on"})
    assert duplicate.status_code == 400
    edit = reverse("inventory:place_edit", args=[place.pk])
    assert client.post(edit, {"location": north.pk, "name": "Exam room 3", "kind": PlaceKind.EXAM_ROOM,
                              "is_active": "on"}).status_code == 302
    place.refresh_from_db()
    assert place.name == "Exam room 3"
    put(boss, gloves(), place, 2)
    retire = client.post(edit, {"location": north.pk, "name": "Exam room 3", "kind": PlaceKind.EXAM_ROOM})
    assert retire.status_code == 400
    assert "Move the stock out" in retire.content.decode()
    south_place = place_at(south, "South closet")
    denied = denials(boss)
    assert client.get(reverse("inventory:place_edit", args=[south_place.pk])).status_code == 404
    assert denials(boss) == denied + 1
