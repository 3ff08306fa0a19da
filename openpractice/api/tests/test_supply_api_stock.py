"""/items, /stock, /stock-movements and /purchase-orders: the catalogue (inventory.view reads it, inventory.manage
changes it); stock and the ledger at the caller's locations; a movement recorded exactly once per Idempotency-Key
(a replay answers the same movement and moves the stock once, the key with another body is a 409); never below
zero; the purchase-order flow from an approved requisition to a matched invoice. Objects at another location are
404 (audited); refusals change nothing; lists cost the same queries whatever the rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import user_with_role
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.inventory.choices import InvoiceStatus, MovementKind, OrderStatus, PlaceKind, RequisitionStatus
from openpractice.inventory.models import Item, Packaging, ParLevel, PurchaseOrder, StockLevel, StockMovement
from openpractice.inventory.services import purchasing
from openpractice.inventory.services import stock as stock_services
from openpractice.inventory.services.purchasing import LineIn
from openpractice.inventory.tests.factories import ItemFactory
from openpractice.vendors.models import Contract

from .conftest import API
from .supply_support import (
    Api,
    denials,
    errors_on,
    ids,
    keeper,
    list_queries,
    make_vendor,
    messages,
    place,
    post_with_key,
    put,
    snapshot,
)

pytestmark = pytest.mark.django_db

ITEMS = f"{API}/items"
STOCK = f"{API}/stock"
MOVEMENTS = f"{API}/stock-movements"
ORDERS = f"{API}/purchase-orders"


@pytest.fixture
def nurse(make_user: Callable[..., User], north: Location) -> User:
    """Clinical staff at North: sees and uses stock there, manages nothing."""
    return make_user(Role.CLINICAL_STAFF, locations=[north], username="nurse")


@pytest.fixture
def manager(make_user: Callable[..., User], north: Location) -> User:
    """Office manager (mid) at North: manages inventory there."""
    return make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north], username="om-mid")


@pytest.fixture
def biller(make_user: Callable[..., User]) -> User:
    return make_user(Role.BILLER, username="biller")


# --- items -----------------------------------------------------------------------------------------------------


def test_the_catalogue_lists_and_reads_items_with_packagings_and_prices(nurse: User, api_as: Api) -> None:
    vendor = make_vendor()
    gloves = ItemFactory(name="Exam gloves, nitrile, medium", sku="MED-GLV-M", preferred_vendor=vendor)
    box = Packaging.objects.create(item=gloves, name="box", base_quantity=100)
    contract = Contract.objects.create(vendor=vendor, kind="supply", title="Prime vendor", starts_on=dt.date(2024, 1, 1))
    today = practice_today()
    gloves.vendor_items.create(vendor=vendor, packaging=box, price=Decimal("8.95"), contract=contract,
                               effective_from=today - dt.timedelta(days=30), vendor_sku="PMS-44821")
    gloves.vendor_items.create(vendor=vendor, packaging=box, price=Decimal("9.40"),
                               effective_from=today - dt.timedelta(days=400), effective_to=today - dt.timedelta(days=31))
    paper = ItemFactory(name="Copy paper", category="office", sku="OFF-PAPER")
    retired = ItemFactory(name="Cotton balls", is_active=False)
    client = api_as(nurse)

    everything = client.get(ITEMS)
    assert ids(everything) == [paper.pk, retired.pk, gloves.pk]
    row = everything.json()["items"][2]
    assert row["packagings"] == [{"id": box.pk, "name": "box", "base_quantity": 100}]
    assert row["preferred_vendor"] == {"id": vendor.pk, "name": vendor.name}
    assert ids(client.get(ITEMS, {"q": "MED-GLV-M"})) == [gloves.pk]
    assert ids(client.get(ITEMS, {"category": "office"})) == [paper.pk]
    assert ids(client.get(ITEMS, {"active": False})) == [retired.pk]
    assert ids(client.get(ITEMS, {"preferred_vendor_id": vendor.pk})) == [gloves.pk]
    for params in ({"category": "snacks"}, {"limit": 0}):
        assert client.get(ITEMS, params).status_code == 422

    prices = client.get(f"{ITEMS}/{gloves.pk}").json()["prices"]
    assert [(row["price"], row["current"], row["contract_id"]) for row in prices] == [
        ("8.9500", True, contract.pk), ("9.4000", False, None)]


def test_people_without_inventory_view_get_404_audited(biller: User, api_as: Api) -> None:
    item = ItemFactory()
    client = api_as(biller)
    for path in (ITEMS, f"{ITEMS}/{item.pk}", STOCK, f"{STOCK}/places", f"{STOCK}/reorder", MOVEMENTS, ORDERS):
        before = denials(biller)
        response = client.get(path)
        assert response.status_code == 404, path
        assert denials(biller) == before + 1


def new_item(**changes: Any) -> dict[str, Any]:
    return {"sku": "MED-STREP-A", "name": "Rapid strep A test", "category": "medical", "base_unit": "test",
            "lot_tracked": True, "packagings": [{"name": "kit", "base_quantity": 25}], **changes}


def test_a_manager_adds_and_changes_an_item_and_adds_a_price(manager: User, api_as: Api) -> None:
    vendor = make_vendor()
    client = api_as(manager)

    created = client.post(ITEMS, new_item(preferred_vendor_id=vendor.pk))
    assert created.status_code == 201, created.content
    item = Item.objects.get()
    [kit] = created.json()["packagings"]
    assert (item.sku, item.lot_tracked, item.preferred_vendor, kit["base_quantity"]) == (
        "MED-STREP-A", True, vendor, 25)
    assert AuditEvent.objects.filter(actor=manager, action="inventory.item_saved").count() == 1

    changed = client.patch(f"{ITEMS}/{item.pk}", {"name": "Rapid strep A test, CLIA-waived",
                                                  "preferred_vendor_id": None})
    assert changed.status_code == 200, changed.content
    item.refresh_from_db()
    assert (item.name, item.preferred_vendor) == ("Rapid strep A test, CLIA-waived", None)

    today = practice_today()
    first = client.post(f"{ITEMS}/{item.pk}/prices", {"vendor_id": vendor.pk, "packaging_id": kit["id"],
                                                      "price": "42.50", "effective_from": today.isoformat()})
    assert first.status_code == 201, first.content
    later = client.post(f"{ITEMS}/{item.pk}/prices", {"vendor_id": vendor.pk, "packaging_id": kit["id"],
                                                      "price": "39.90",
                                                      "effective_from": (today + dt.timedelta(days=10)).isoformat()})
    assert later.status_code == 201
    prices = client.get(f"{ITEMS}/{item.pk}").json()["prices"]
    assert [(row["price"], row["effective_to"]) for row in prices] == [
        ("39.9000", None), ("42.5000", (today + dt.timedelta(days=9)).isoformat())]


def test_catalogue_changes_refuse_bad_input_and_save_nothing(manager: User, api_as: Api) -> None:
    vendor, other = make_vendor(), make_vendor("Other")
    item = ItemFactory(sku="MED-1", lot_tracked=True)
    item.lots.create(number="L1")
    foreign = Packaging.objects.create(item=ItemFactory(), name="box", base_quantity=10)
    other_contract = Contract.objects.create(vendor=other, kind="supply", title="Other", starts_on=dt.date(2024, 1, 1))
    client = api_as(manager)
    before = snapshot()
    for body, field in (({"sku": "med-1"}, "sku"), ({"category": "snacks"}, "category"),
                        ({"preferred_vendor_id": 999999}, "preferred_vendor_id"),
                        ({"packagings": [{"name": "kit", "base_quantity": 0}]}, "base_quantity"),
                        ({"packagings": [{"name": "kit", "base_quantity": 5}, {"name": "kit", "base_quantity": 6}]},
                         "__all__")):
        response = client.post(ITEMS, new_item(**body))
        assert response.status_code == 422, (body, response.content)
        assert field in errors_on(response) or field == "__all__", (body, response.json())
    assert "lot_tracked" in errors_on(client.patch(f"{ITEMS}/{item.pk}", {"lot_tracked": False}))
    assert "name" in errors_on(client.patch(f"{ITEMS}/{item.pk}", {"name": None}))
    price = {"vendor_id": vendor.pk, "price": "1.00", "effective_from": "2025-01-01"}
    for body, field in (({"packaging_id": foreign.pk}, "packaging_id"), ({"vendor_id": 999999}, "vendor_id"),
                        ({"contract_id": other_contract.pk}, "contract_id"), ({"price": "-1"}, "price")):
        assert field in errors_on(client.post(f"{ITEMS}/{item.pk}/prices", {**price, **body})), body
    assert snapshot() == before


def test_someone_who_only_uses_stock_cannot_change_the_catalogue(nurse: User, api_as: Api) -> None:
    item, vendor = ItemFactory(), make_vendor()
    client = api_as(nurse)
    before = snapshot()
    for method, path, body in (("post", ITEMS, new_item()), ("patch", f"{ITEMS}/{item.pk}", {"name": "X"}),
                               ("post", f"{ITEMS}/{item.pk}/prices", {"vendor_id": vendor.pk, "price": "1",
                                                                      "effective_from": "2025-01-01"})):
        denied = denials(nurse)
        assert getattr(client, method)(path, body).status_code == 404, path
        assert denials(nurse) == denied + 1
    assert snapshot() == before


# --- stock -----------------------------------------------------------------------------------------------------


def test_stock_places_and_reorder_show_the_callers_locations_only(
        nurse: User, north: Location, south: Location, api_as: Api) -> None:
    today = practice_today()
    gloves, strep = ItemFactory(name="Gloves"), ItemFactory(name="Strep test", lot_tracked=True)
    room, exam, cabinet = place(north), place(north, "Exam room 1", PlaceKind.EXAM_ROOM), place(
        north, "Sample cabinet", PlaceKind.SAMPLES)
    far = place(south)
    put(gloves, room, 40)
    put(gloves, exam, 3)
    put(strep, room, 5, lot="S-SOON", expires_on=today + dt.timedelta(days=12))
    put(strep, room, 20, lot="S-LATER", expires_on=today + dt.timedelta(days=300))
    put(gloves, far, 99)
    ParLevel.objects.create(item=gloves, place=exam, par=20, reorder_point=5)
    ParLevel.objects.create(item=gloves, place=far, par=200, reorder_point=100)
    client = api_as(nurse)

    rows = client.get(STOCK).json()["items"]
    assert [(row["place"]["name"], row["item"]["name"], row["lot"] and row["lot"]["number"], row["quantity"])
            for row in rows] == [("Exam room 1", "Gloves", None, 3), ("Supply room", "Gloves", None, 40),
                                 ("Supply room", "Strep test", "S-SOON", 5), ("Supply room", "Strep test", "S-LATER", 20)]
    soon = client.get(STOCK, {"expiring_within": 30}).json()["items"]
    assert [(row["lot"]["number"], row["expires_in_days"]) for row in soon] == [("S-SOON", 12)]
    assert len(ids(client.get(STOCK, {"item_id": gloves.pk, "place_id": room.pk}))) == 1
    assert ids(client.get(STOCK, {"location_id": south.pk})) == []
    assert ids(client.get(f"{STOCK}/places")) == [exam.pk, cabinet.pk, room.pk]
    assert ids(client.get(f"{STOCK}/places", {"kind": "samples"})) == [cabinet.pk]
    assert client.get(f"{STOCK}/places", {"kind": "attic"}).status_code == 422
    reorder = client.get(f"{STOCK}/reorder").json()["items"]
    assert [(row["place"]["id"], row["on_hand"], row["needed"]) for row in reorder] == [(exam.pk, 3, 17)]

    level = StockLevel.objects.get(item=gloves, place=room)
    assert client.get(f"{STOCK}/{level.pk}").json()["quantity"] == 40
    hidden = StockLevel.objects.get(place=far)
    before = denials(nurse)
    assert client.get(f"{STOCK}/{hidden.pk}").status_code == 404
    assert denials(nurse) == before + 1


# --- stock movements -------------------------------------------------------------------------------------------


def on_hand(item: Item, where: Any) -> int:
    return sum(StockLevel.objects.filter(item=item, place=where).values_list("quantity", flat=True))


def test_a_use_is_recorded_once_per_key_and_a_replay_answers_the_same_movement(
        nurse: User, north: Location, api_as: Api) -> None:
    gloves = ItemFactory(name="Gloves")
    room = place(north)
    put(gloves, room, 20)
    client = api_as(nurse)
    body = {"kind": "consume", "item_id": gloves.pk, "place_id": room.pk, "quantity": 3, "reason": "Flu clinic"}

    first = post_with_key(client, MOVEMENTS, body, "use-1")
    assert first.status_code == 201, first.content
    again = post_with_key(client, MOVEMENTS, body, "use-1")
    assert again.status_code == 200, again.content
    assert again.json()["replayed"] is True
    assert first.json()["replayed"] is False
    assert [m["id"] for m in again.json()["movements"]] == [m["id"] for m in first.json()["movements"]]
    assert again.json()["operation"] == first.json()["operation"]
    assert on_hand(gloves, room) == 17
    assert StockMovement.objects.filter(kind=MovementKind.CONSUME).count() == 1
    movement = StockMovement.objects.get(kind=MovementKind.CONSUME)
    assert (movement.actor, movement.quantity, movement.reason, movement.from_place) == (nurse, 3, "Flu clinic", room)
    assert stock_services.ledger_matches_levels()


@pytest.mark.parametrize("changes", [{"quantity": 4}, {"reason": "Another visit"}, {"kind": "transfer"},
                                     {"place": "exam"}])
def test_the_same_key_with_another_body_is_409_and_moves_nothing(
        nurse: User, north: Location, api_as: Api, changes: dict[str, Any]) -> None:
    gloves = ItemFactory(name="Gloves")
    room, exam = place(north), place(north, "Exam room 1", PlaceKind.EXAM_ROOM)
    put(gloves, room, 20)
    put(gloves, exam, 20)
    client = api_as(nurse)
    body = {"kind": "consume", "item_id": gloves.pk, "place_id": room.pk, "quantity": 3}
    assert post_with_key(client, MOVEMENTS, body, "use-1").status_code == 201
    before = snapshot()
    other = {**body, **changes}
    if other.pop("place", None):
        other["place_id"] = exam.pk
    if other["kind"] == "transfer":
        other["to_place_id"] = exam.pk
    response = post_with_key(client, MOVEMENTS, other, "use-1")
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "idempotency_key_reused"
    assert "already used" in response.json()["message"]
    assert snapshot() == before


@pytest.mark.parametrize(("key", "code"), [(None, "idempotency_key_required"), ("  ", "idempotency_key_required"),
                                           ("k" * 81, "idempotency_key_invalid")])
def test_a_missing_or_unusable_key_is_400_and_moves_nothing(
        nurse: User, north: Location, api_as: Api, key: str | None, code: str) -> None:
    gloves, room = ItemFactory(), place(north)
    put(gloves, room, 5)
    before = snapshot()
    response = post_with_key(api_as(nurse), MOVEMENTS, {"kind": "consume", "item_id": gloves.pk,
                                                        "place_id": room.pk, "quantity": 1}, key)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert "Idempotency-Key" in response.json()["message"]
    assert snapshot() == before


def test_keys_are_per_caller(nurse: User, manager: User, north: Location, api_as: Api) -> None:
    gloves, room = ItemFactory(), place(north)
    put(gloves, room, 5)
    body = {"kind": "consume", "item_id": gloves.pk, "place_id": room.pk, "quantity": 1}
    assert post_with_key(api_as(nurse), MOVEMENTS, body, "k").status_code == 201
    assert post_with_key(api_as(manager), MOVEMENTS, body, "k").status_code == 201
    assert on_hand(gloves, room) == 3


def test_stock_never_goes_below_zero_and_bad_input_is_a_clear_422(
        nurse: User, north: Location, south: Location, api_as: Api) -> None:
    gloves, strep = ItemFactory(name="Gloves"), ItemFactory(name="Strep test", lot_tracked=True)
    room, far = place(north), place(south)
    put(gloves, room, 2)
    put(gloves, far, 50)
    put(strep, room, 5, lot="S1")
    other_lot = ItemFactory(lot_tracked=True).lots.create(number="X")
    client = api_as(nurse)
    use = {"kind": "consume", "item_id": gloves.pk, "place_id": room.pk, "quantity": 1}
    before = snapshot()
    cases: tuple[tuple[dict[str, Any], str], ...] = (
            ({"quantity": 3}, "quantity"), ({"quantity": 0}, "quantity"), ({"kind": "teleport"}, "kind"),
            ({"place_id": far.pk}, "place_id"), ({"place_id": 999999}, "place_id"), ({"item_id": 999999}, "item_id"),
            ({"kind": "transfer"}, "to_place_id"), ({"to_place_id": room.pk}, "to_place_id"),
            ({"kind": "transfer", "to_place_id": room.pk}, "destination"),
            ({"lot_id": other_lot.pk}, "lot_id"), ({"lot_number": "S1"}, "lot_number"),
            ({"kind": "receive", "item_id": strep.pk}, "lot_number"),
            ({"kind": "receive", "lot_id": other_lot.pk}, "lot_id"), ({"unit_cost": "1.00"}, "unit_cost"))
    for number, (changes, field) in enumerate(cases):
        response = post_with_key(client, MOVEMENTS, {**use, **changes}, f"bad-{number}")
        assert field in errors_on(response), (changes, response.json())
    assert "Only 2" in messages(post_with_key(client, MOVEMENTS, {**use, "quantity": 3}, "too-many"))
    # The same message for a place at another location as for none at all (no existence leak).
    hidden = messages(post_with_key(client, MOVEMENTS, {**use, "place_id": far.pk}, "h1"))
    missing = messages(post_with_key(client, MOVEMENTS, {**use, "place_id": 999999}, "h2"))
    assert hidden.replace(str(far.pk), "N") == missing.replace("999999", "N")
    assert snapshot() == before


def test_adjusting_needs_inventory_manage_and_a_refusal_is_404_audited(
        nurse: User, manager: User, north: Location, api_as: Api) -> None:
    strep = ItemFactory(name="Strep test", lot_tracked=True)
    room = place(north)
    put(strep, room, 5, lot="OLD", expires_on=practice_today() - dt.timedelta(days=1))
    lot = strep.lots.get()
    expire = {"kind": "expire", "item_id": strep.pk, "place_id": room.pk, "quantity": 5, "lot_id": lot.pk,
              "reason": "Expired yesterday"}
    before, denied = snapshot(), denials(nurse)
    response = post_with_key(api_as(nurse), MOVEMENTS, expire, "exp-1")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert denials(nurse) == denied + 1
    assert snapshot() == before

    assert "reason" in errors_on(post_with_key(api_as(manager), MOVEMENTS, {**expire, "reason": ""}, "exp-0"))
    done = post_with_key(api_as(manager), MOVEMENTS, expire, "exp-1")
    assert done.status_code == 201, done.content
    assert (done.json()["kind"], done.json()["movements"][0]["lot"]["number"]) == ("expire", "OLD")
    assert on_hand(strep, room) == 0


def test_receiving_and_transferring_keep_lots_first_expiry_first(nurse: User, north: Location, api_as: Api) -> None:
    today = practice_today()
    strep = ItemFactory(name="Strep test", lot_tracked=True)
    room, exam = place(north), place(north, "Exam room 1", PlaceKind.EXAM_ROOM)
    client = api_as(nurse)
    for key, lot, days in (("r1", "LATE", 300), ("r2", "SOON", 20)):
        response = post_with_key(client, MOVEMENTS, {
            "kind": "receive", "item_id": strep.pk, "place_id": room.pk, "quantity": 5, "lot_number": lot,
            "expires_on": (today + dt.timedelta(days=days)).isoformat(), "unit_cost": "1.80"}, key)
        assert response.status_code == 201, response.content
    moved = post_with_key(client, MOVEMENTS, {"kind": "transfer", "item_id": strep.pk, "place_id": room.pk,
                                              "to_place_id": exam.pk, "quantity": 7}, "t1")
    assert moved.status_code == 201, moved.content
    assert [(m["lot"]["number"], m["quantity"], m["to_place"]["id"]) for m in moved.json()["movements"]] == [
        ("SOON", 5, exam.pk), ("LATE", 2, exam.pk)]
    assert moved.json()["quantity"] == 7
    assert (on_hand(strep, room), on_hand(strep, exam)) == (3, 7)
    replay = post_with_key(client, MOVEMENTS, {"kind": "transfer", "item_id": strep.pk, "place_id": room.pk,
                                               "to_place_id": exam.pk, "quantity": 7}, "t1")
    assert replay.status_code == 200
    assert len(replay.json()["movements"]) == 2
    assert (on_hand(strep, room), on_hand(strep, exam)) == (3, 7)
    assert stock_services.ledger_matches_levels()


def test_the_ledger_shows_the_callers_locations_only(nurse: User, north: Location, south: Location,
                                                     api_as: Api) -> None:
    gloves = ItemFactory()
    room, far = place(north), place(south)
    put(gloves, room, 5)
    put(gloves, far, 5)
    mine = StockMovement.objects.get(to_place=room)
    theirs = StockMovement.objects.get(to_place=far)
    client = api_as(nurse)
    assert ids(client.get(MOVEMENTS)) == [mine.pk]
    assert ids(client.get(MOVEMENTS, {"kind": "receive", "item_id": gloves.pk, "place_id": room.pk})) == [mine.pk]
    assert ids(client.get(MOVEMENTS, {"kind": "consume"})) == []
    assert client.get(MOVEMENTS, {"kind": "steal"}).status_code == 422
    assert client.get(f"{MOVEMENTS}/{mine.pk}").json()["to_place"]["id"] == room.pk
    before = denials(nurse)
    assert client.get(f"{MOVEMENTS}/{theirs.pk}").status_code == 404
    assert denials(nurse) == before + 1


# --- purchase orders -------------------------------------------------------------------------------------------


def _approved(requester: User, approver: User, location: Location, lines: list[LineIn]) -> Any:
    requisition = purchasing.requisition_create(actor=requester, location=location, lines=lines)
    purchasing.requisition_submit(actor=requester, requisition=requisition)
    return purchasing.requisition_decide(actor=approver, requisition=requisition, approve=True)


def test_an_approved_requisition_becomes_an_order_sent_received_in_part_and_invoiced(
        nurse: User, manager: User, north: Location, api_as: Api) -> None:
    vendor = make_vendor(order_email="orders@piedmont.test")
    gloves = ItemFactory(name="Gloves", lot_tracked=True)
    box = Packaging.objects.create(item=gloves, name="box", base_quantity=100)
    room = place(north)
    requisition = _approved(nurse, manager, north, [
        LineIn(quantity=10, unit_price=Decimal("8.50"), item=gloves, packaging=box, vendor=vendor)])
    client = api_as(manager)

    created = client.post(ORDERS, {"requisition_id": requisition.pk, "receive_into_id": room.pk})
    assert created.status_code == 201, created.content
    [order] = created.json()
    assert (order["status"], order["total"], order["requisition_ids"]) == ("draft", "85.00", [requisition.pk])
    requisition.refresh_from_db()
    assert requisition.status == RequisitionStatus.ORDERED

    sent = client.post(f"{ORDERS}/{order['id']}/send")
    assert sent.status_code == 200, sent.content
    assert (sent.json()["status"], sent.json()["sent_to"]) == ("sent", "orders@piedmont.test")
    [message] = mail.outbox
    assert message.attachments[0][2] == "application/pdf"
    assert "already sent" in messages(client.post(f"{ORDERS}/{order['id']}/send"))
    line_id = order["lines"][0]["id"]

    received = api_as(nurse).post(f"{ORDERS}/{order['id']}/receipts", {"packing_slip": "PS-1", "lines": [
        {"line_id": line_id, "quantity": 6, "damaged": 1, "lot_number": "G-77",
         "expires_on": "2029-01-01"}]})
    assert received.status_code == 201, received.content
    body = received.json()
    assert body["status"] == "partial"
    assert (body["lines"][0]["received"], body["lines"][0]["damaged"], body["lines"][0]["back_ordered"]) == (6, 1, 4)
    assert body["receipts"][0]["lines"][0]["lot"]["number"] == "G-77"
    assert on_hand(gloves, room) == 600
    too_many = api_as(nurse).post(f"{ORDERS}/{order['id']}/receipts", {"lines": [
        {"line_id": line_id, "quantity": 5, "lot_number": "G-78"}]})
    assert "only 4 still owed" in messages(too_many)

    invoice = client.post(f"{ORDERS}/{order['id']}/invoices", {
        "number": "INV-1", "invoice_date": "2025-06-12", "total": "51.00",
        "lines": [{"line_id": line_id, "quantity": 6, "unit_price": "8.50"}]})
    assert invoice.status_code == 201, invoice.content
    assert (invoice.json()["status"], invoice.json()["variances"]) == (InvoiceStatus.READY, [])
    off = client.post(f"{ORDERS}/{order['id']}/invoices", {
        "number": "INV-2", "invoice_date": "2025-06-13", "total": "9.00",
        "lines": [{"line_id": line_id, "quantity": 1, "unit_price": "9.00"}]})
    assert off.json()["status"] == InvoiceStatus.VARIANCE
    assert len(off.json()["variances"]) == 2  # more than received, and the price
    assert "number" in errors_on(client.post(f"{ORDERS}/{order['id']}/invoices", {
        "number": "INV-1", "invoice_date": "2025-06-12", "total": "8.50",
        "lines": [{"line_id": line_id, "quantity": 1, "unit_price": "8.50"}]}))
    assert "quantity" in messages(client.post(f"{ORDERS}/{order['id']}/invoices", {
        "number": "INV-3", "invoice_date": "2025-06-12", "total": "0.00",
        "lines": [{"line_id": line_id, "quantity": 0, "unit_price": "8.50"}]}))

    detail = client.get(f"{ORDERS}/{order['id']}").json()
    assert [row["number"] for row in detail["invoices"]] == ["INV-1", "INV-2"]
    assert ids(client.get(ORDERS, {"open": True})) == [order["id"]]
    assert ids(client.get(ORDERS, {"status": "received"})) == []
    assert client.get(ORDERS, {"status": "lost"}).status_code == 422


def test_orders_at_another_location_are_404_and_refusals_change_nothing(
        nurse: User, manager: User, north: Location, south: Location, api_as: Api) -> None:
    vendor = make_vendor()
    room, far = place(north), place(south)
    item = ItemFactory()
    mine = PurchaseOrder.objects.create(number="PO-2025-00001", vendor=vendor, location=north, receive_into=room,
                                        created_by=keeper(), status=OrderStatus.SENT)
    line = mine.lines.create(item=item, quantity=4, unit_price=Decimal("5.00"))
    theirs = PurchaseOrder.objects.create(number="PO-2025-00002", vendor=vendor, location=south, receive_into=far,
                                          created_by=keeper(), status=OrderStatus.SENT)
    theirs_line = theirs.lines.create(item=item, quantity=4, unit_price=Decimal("5.00"))
    draft = PurchaseOrder.objects.create(number="PO-2025-00003", vendor=vendor, location=north, receive_into=room,
                                         created_by=keeper())
    draft.lines.create(item=item, quantity=1, unit_price=Decimal("5.00"))
    south_requisition = _approved(keeper(), user_with_role_at(south), south, [
        LineIn(quantity=1, unit_price=Decimal("5.00"), item=item, vendor=vendor)])
    assert ids(api_as(nurse).get(ORDERS)) == [draft.pk, mine.pk]

    before = snapshot()
    for user, method, path, body in (
            (manager, "get", f"{ORDERS}/{theirs.pk}", None),
            (manager, "post", f"{ORDERS}/{theirs.pk}/receipts", {"lines": [{"line_id": theirs_line.pk, "quantity": 1}]}),
            (manager, "post", f"{ORDERS}/{theirs.pk}/send", {}),
            (nurse, "post", f"{ORDERS}/{draft.pk}/send", {}),
            (nurse, "post", f"{ORDERS}/{mine.pk}/invoices", {"number": "A", "invoice_date": "2025-01-01",
                                                            "total": "5.00",
                                                            "lines": [{"line_id": line.pk, "quantity": 1,
                                                                       "unit_price": "5.00"}]}),
            (nurse, "post", ORDERS, {"requisition_id": south_requisition.pk, "receive_into_id": room.pk})):
        denied = denials(user)
        response = getattr(api_as(user), method)(path, body) if body is not None else api_as(user).get(path)
        assert response.status_code == 404, (path, response.content)
        assert denials(user) == denied + 1, path
    client = api_as(manager)
    assert "requisition_id" in errors_on(client.post(ORDERS, {"requisition_id": south_requisition.pk,
                                                              "receive_into_id": room.pk}))
    assert "lines" in errors_on(client.post(f"{ORDERS}/{mine.pk}/receipts", {"lines": [
        {"line_id": theirs_line.pk, "quantity": 1}]}))
    assert "lines" in errors_on(client.post(f"{ORDERS}/{mine.pk}/receipts", {"lines": []}))
    assert snapshot() == before
    assert not mail.outbox


def user_with_role_at(location: Location) -> User:
    return user_with_role(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[location], username="pm-south")


# --- query counts ----------------------------------------------------------------------------------------------


def test_the_lists_cost_the_same_queries_whatever_the_rows(manager: User, north: Location, api_as: Api) -> None:
    client = api_as(manager)
    client.get(f"{API}/me")
    vendor = make_vendor()
    today = practice_today()

    def add(start: int, count: int) -> None:
        room = place(north, f"Room {start}")
        for number in range(start, start + count):
            item = ItemFactory(preferred_vendor=vendor, lot_tracked=True)
            box = Packaging.objects.create(item=item, name="box", base_quantity=10)
            item.vendor_items.create(vendor=vendor, packaging=box, price=Decimal("3.00"), effective_from=today)
            put(item, room, 10, lot=f"L{number}", expires_on=today + dt.timedelta(days=number))
            ParLevel.objects.create(item=item, place=room, par=50, reorder_point=20)
            order = PurchaseOrder.objects.create(number=f"PO-2025-{number:05d}", vendor=vendor, location=north,
                                                 receive_into=room, created_by=keeper(), status=OrderStatus.SENT)
            order.lines.create(item=item, packaging=box, quantity=2, unit_price=Decimal("3.00"))
            order.lines.create(description="Chair", quantity=1, unit_price=Decimal("90.00"))

    paths = (ITEMS, STOCK, f"{STOCK}/places", f"{STOCK}/reorder", MOVEMENTS, ORDERS)
    add(0, 2)
    few = [list_queries(client, path) for path in paths]
    add(100, 12)
    assert [list_queries(client, path) for path in paths] == few
    assert client.get(f"{STOCK}/reorder").json()["count"] == 14
