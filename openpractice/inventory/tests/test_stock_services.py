"""Stock writes: receiving, first-expiry-first-out use, transfers, removals, idempotency, permissions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import user_with_role
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core.selectors import practice_today
from openpractice.inventory.choices import MovementKind
from openpractice.inventory.models import Lot, StockLevel, StockMovement
from openpractice.inventory.services import stock
from openpractice.inventory.tests.factories import ItemFactory, place_at

pytestmark = pytest.mark.django_db


def _on_hand(item: Any, place: Any) -> dict[str | None, int]:
    return {level.lot.number if level.lot else None: level.quantity
            for level in StockLevel.objects.filter(item=item, place=place).select_related("lot")}


@pytest.fixture
def clerk(north: Any) -> Any:
    return user_with_role(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])


@pytest.fixture
def manager(north: Any) -> Any:
    return user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[north])


def test_use_takes_from_the_lot_that_expires_first(clerk: Any, north: Any) -> None:
    item, room = ItemFactory(lot_tracked=True), place_at(north)
    stock.stock_receive(actor=clerk, item=item, place=room, quantity=5, lot_number="LATE",
                        expires_on=dt.date(2097, 6, 1))
    stock.stock_receive(actor=clerk, item=item, place=room, quantity=3, lot_number="SOON",
                        expires_on=dt.date(2097, 1, 1))
    operation = stock.stock_consume(actor=clerk, item=item, place=room, quantity=4)
    assert [(m.lot.number, m.quantity) for m in operation.movements] == [("SOON", 3), ("LATE", 1)]
    assert _on_hand(item, room) == {"SOON": 0, "LATE": 4}
    assert stock.ledger_matches_levels()


def test_a_use_one_lot_covers_comes_from_the_first_expiry_with_stock(clerk: Any, north: Any) -> None:
    """The one-statement path: an emptied lot is skipped, a lot without expiry comes last, a named lot is kept."""
    item, room = ItemFactory(lot_tracked=True), place_at(north)
    for number, quantity, expires in (("NONE", 9, None), ("LATE", 5, dt.date(2097, 6, 1)),
                                      ("SOON", 2, dt.date(2097, 1, 1))):
        stock.stock_receive(actor=clerk, item=item, place=room, quantity=quantity, lot_number=number,
                            expires_on=expires)
    taken = [stock.stock_consume(actor=clerk, item=item, place=room, quantity=2).movements,
             stock.stock_consume(actor=clerk, item=item, place=room, quantity=5).movements,
             stock.stock_consume(actor=clerk, item=item, place=room, quantity=1).movements,
             stock.stock_consume(actor=clerk, item=item, place=room, quantity=1,
                                 lot=Lot.objects.get(number="NONE")).movements]
    assert [[(m.lot.number, m.quantity) for m in movements] for movements in taken] == [
        [("SOON", 2)], [("LATE", 5)], [("NONE", 1)], [("NONE", 1)]]
    assert _on_hand(item, room) == {"SOON": 0, "LATE": 0, "NONE": 7}
    assert stock.ledger_matches_levels()


def test_using_more_than_is_on_hand_is_refused_and_changes_nothing(clerk: Any, north: Any) -> None:
    item, room = ItemFactory(), place_at(north)
    stock.stock_receive(actor=clerk, item=item, place=room, quantity=2)
    with pytest.raises(ValidationError, match="Only 2"):
        stock.stock_consume(actor=clerk, item=item, place=room, quantity=3)
    assert _on_hand(item, room) == {None: 2}
    assert StockMovement.objects.count() == 1


def test_a_transfer_keeps_the_lot_and_moves_the_stock(clerk: Any, north: Any) -> None:
    item, room, exam = ItemFactory(lot_tracked=True), place_at(north), place_at(north, "Exam 1")
    stock.stock_receive(actor=clerk, item=item, place=room, quantity=10, lot_number="A1",
                        expires_on=dt.date(2097, 1, 1))
    stock.stock_transfer(actor=clerk, item=item, source=room, destination=exam, quantity=4)
    assert _on_hand(item, room) == {"A1": 6}
    assert _on_hand(item, exam) == {"A1": 4}
    assert stock.ledger_matches_levels()


def test_an_expired_lot_is_never_used_or_moved_only_expired_or_disposed(clerk: Any, manager: Any,
                                                                          north: Any) -> None:
    item, room, exam = ItemFactory(lot_tracked=True), place_at(north), place_at(north, "Exam 1")
    yesterday = practice_today() - dt.timedelta(days=1)
    stock.stock_receive(actor=clerk, item=item, place=room, quantity=5, lot_number="OLD", expires_on=yesterday)
    stock.stock_receive(actor=clerk, item=item, place=room, quantity=2, lot_number="GOOD",
                        expires_on=practice_today())
    taken = stock.stock_consume(actor=clerk, item=item, place=room, quantity=1).movements
    assert [m.lot.number for m in taken] == ["GOOD"]  # OLD expires first but has expired
    with pytest.raises(ValidationError, match="Only 1"):
        stock.stock_consume(actor=clerk, item=item, place=room, quantity=2)
    old = Lot.objects.get(number="OLD")
    for call in (lambda: stock.stock_consume(actor=clerk, item=item, place=room, quantity=1, lot=old),
                 lambda: stock.stock_transfer(actor=clerk, item=item, source=room, destination=exam, quantity=1,
                                              lot=old)):
        with pytest.raises(ValidationError, match="expired on"):
            call()
    assert _on_hand(item, room) == {"OLD": 5, "GOOD": 1}
    stock.stock_remove(actor=manager, kind=MovementKind.EXPIRE, item=item, place=room, quantity=5, lot=old,
                       reason="Expired on the shelf")
    assert _on_hand(item, room) == {"OLD": 0, "GOOD": 1}
    assert stock.ledger_matches_levels()


def test_a_key_reused_for_another_place_or_destination_is_refused(clerk: Any, north: Any) -> None:
    item, room, exam = ItemFactory(), place_at(north), place_at(north, "Exam 1")
    stock.stock_receive(actor=clerk, item=item, place=room, quantity=10)
    stock.stock_receive(actor=clerk, item=item, place=exam, quantity=10)
    stock.stock_consume(actor=clerk, item=item, place=room, quantity=1, idempotency_key="k-2")
    with pytest.raises(stock.IdempotencyKeyReused):
        stock.stock_consume(actor=clerk, item=item, place=exam, quantity=1, idempotency_key="k-2")
    stock.stock_receive(actor=clerk, item=item, place=room, quantity=3, idempotency_key="k-3")
    with pytest.raises(stock.IdempotencyKeyReused):
        stock.stock_receive(actor=clerk, item=item, place=exam, quantity=3, idempotency_key="k-3")
    assert _on_hand(item, room) == {None: 12}
    assert _on_hand(item, exam) == {None: 10}


def test_the_same_idempotency_key_records_one_operation(clerk: Any, north: Any) -> None:
    item, room = ItemFactory(), place_at(north)
    stock.stock_receive(actor=clerk, item=item, place=room, quantity=10)
    first = stock.stock_consume(actor=clerk, item=item, place=room, quantity=2, idempotency_key="k-1")
    again = stock.stock_consume(actor=clerk, item=item, place=room, quantity=2, idempotency_key="k-1")
    assert again.replayed
    assert [m.pk for m in again.movements] == [m.pk for m in first.movements]
    assert _on_hand(item, room) == {None: 8}
    with pytest.raises(stock.IdempotencyKeyReused):
        stock.stock_consume(actor=clerk, item=item, place=room, quantity=3, idempotency_key="k-1")
    assert _on_hand(item, room) == {None: 8}


def test_lot_tracked_items_need_a_lot_and_a_lot_keeps_its_expiry(clerk: Any, north: Any) -> None:
    item, room = ItemFactory(lot_tracked=True), place_at(north)
    with pytest.raises(ValidationError, match="lot number"):
        stock.stock_receive(actor=clerk, item=item, place=room, quantity=1)
    stock.stock_receive(actor=clerk, item=item, place=room, quantity=1, lot_number="L9",
                        expires_on=dt.date(2097, 1, 1))
    with pytest.raises(ValidationError, match="another expiry"):
        stock.stock_receive(actor=clerk, item=item, place=room, quantity=1, lot_number="L9",
                            expires_on=dt.date(2028, 1, 1))
    assert Lot.objects.get(item=item).expires_on == dt.date(2097, 1, 1)
    assert _on_hand(item, room) == {"L9": 1}


@pytest.mark.parametrize("quantity", [0, -1, 1.5, True])
def test_quantities_are_whole_and_positive(clerk: Any, north: Any, quantity: Any) -> None:
    item, room = ItemFactory(), place_at(north)
    with pytest.raises(ValidationError):
        stock.stock_receive(actor=clerk, item=item, place=room, quantity=quantity)
    assert not StockMovement.objects.exists()


def test_removing_stock_needs_a_manager_and_a_reason(clerk: Any, manager: Any, north: Any) -> None:
    item, room = ItemFactory(lot_tracked=True), place_at(north)
    stock.stock_receive(actor=clerk, item=item, place=room, quantity=5, lot_number="X",
                        expires_on=dt.date(2026, 1, 1))
    lot = Lot.objects.get(item=item)
    with pytest.raises(PermissionDenied):
        stock.stock_remove(actor=clerk, kind=MovementKind.EXPIRE, item=item, place=room, quantity=5, lot=lot,
                           reason="Expired")
    assert AuditEvent.objects.filter(actor_id=clerk.pk, outcome=Outcome.DENIED).exists()
    with pytest.raises(ValidationError, match="why"):
        stock.stock_remove(actor=manager, kind=MovementKind.EXPIRE, item=item, place=room, quantity=5, lot=lot,
                           reason=" ")
    assert _on_hand(item, room) == {"X": 5}
    stock.stock_remove(actor=manager, kind=MovementKind.EXPIRE, item=item, place=room, quantity=5, lot=lot,
                       reason="Expired on the shelf")
    assert _on_hand(item, room) == {"X": 0}


def test_stock_at_another_location_is_out_of_reach(clerk: Any, south: Any) -> None:
    item, room = ItemFactory(), place_at(south)
    with pytest.raises(PermissionDenied):
        stock.stock_receive(actor=clerk, item=item, place=room, quantity=5)
    assert not StockLevel.objects.exists()


def test_a_manager_of_one_location_cannot_move_another_locations_place_to_theirs(north: Any, south: Any) -> None:
    from openpractice.inventory.services.catalog import place_save

    south_manager = user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[south])
    room = place_at(north)
    with pytest.raises(PermissionDenied):
        place_save(actor=south_manager, location=south, name="Taken", kind=room.kind, place=room)
    room.refresh_from_db()
    assert (room.location_id, room.name) == (north.pk, "Supply room")
    assert AuditEvent.objects.filter(actor=south_manager, outcome=Outcome.DENIED,
                                     action="inventory.place_save").exists()
