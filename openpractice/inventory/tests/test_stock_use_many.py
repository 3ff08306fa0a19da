"""Using several items at once (a visit's supplies): all lines or none, first expiry first out per line, one
operation under one Idempotency-Key, refusals audited with nothing changed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import user_with_role
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.inventory.models import StockLevel, StockMovement
from openpractice.inventory.services import stock
from openpractice.inventory.services.stock import UseLine
from openpractice.inventory.tests.factories import ItemFactory, place_at

pytestmark = pytest.mark.django_db


def _on_hand(item: Any, place: Any) -> dict[str | None, int]:
    return {level.lot.number if level.lot else None: level.quantity
            for level in StockLevel.objects.filter(item=item, place=place).select_related("lot")}


@pytest.fixture
def clerk(north: Any) -> Any:
    return user_with_role(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])


@pytest.fixture
def stocked(clerk: Any, north: Any) -> dict[str, Any]:
    gauze, syringe, room = ItemFactory(name="Gauze"), ItemFactory(name="Syringe", lot_tracked=True), place_at(north)
    stock.stock_receive(actor=clerk, item=gauze, place=room, quantity=10)
    stock.stock_receive(actor=clerk, item=syringe, place=room, quantity=2, lot_number="SOON",
                        expires_on=dt.date(2097, 1, 1))
    stock.stock_receive(actor=clerk, item=syringe, place=room, quantity=5, lot_number="LATE",
                        expires_on=dt.date(2097, 6, 1))
    return {"gauze": gauze, "syringe": syringe, "room": room}


def test_a_visits_supplies_are_one_operation_first_expiry_first_per_line(clerk: Any, stocked: dict[str, Any]) -> None:
    gauze, syringe, room = stocked["gauze"], stocked["syringe"], stocked["room"]
    operation = stock.stock_consume_many(actor=clerk, place=room, reason="Visit supplies", lines=[
        UseLine(syringe, 3), UseLine(gauze, 4), UseLine(gauze, 1)])
    assert sorted((m.item.name, m.lot.number if m.lot else None, m.quantity) for m in operation.movements) == [
        ("Gauze", None, 1), ("Gauze", None, 4), ("Syringe", "LATE", 1), ("Syringe", "SOON", 2)]
    assert len({m.operation for m in operation.movements}) == 1
    assert all(m.pk for m in operation.movements)
    assert _on_hand(gauze, room) == {None: 5}
    assert _on_hand(syringe, room) == {"SOON": 0, "LATE": 4}
    assert stock.ledger_matches_levels()


def test_a_line_short_of_stock_refuses_the_whole_use_and_names_the_line(clerk: Any, stocked: dict[str, Any]) -> None:
    gauze, syringe, room = stocked["gauze"], stocked["syringe"], stocked["room"]
    with pytest.raises(ValidationError, match=r"Line 2 \(Syringe\): only 7"):
        stock.stock_consume_many(actor=clerk, place=room, lines=[UseLine(gauze, 4), UseLine(syringe, 8)])
    assert _on_hand(gauze, room) == {None: 10}
    assert _on_hand(syringe, room) == {"SOON": 2, "LATE": 5}
    assert StockMovement.objects.filter(kind="consume").count() == 0


def test_the_same_key_records_one_use_and_another_use_under_it_is_refused(clerk: Any,
                                                                         stocked: dict[str, Any]) -> None:
    gauze, syringe, room = stocked["gauze"], stocked["syringe"], stocked["room"]
    lines = [UseLine(gauze, 2), UseLine(syringe, 1)]
    first = stock.stock_consume_many(actor=clerk, place=room, lines=lines, idempotency_key="visit-77")
    again = stock.stock_consume_many(actor=clerk, place=room, lines=list(reversed(lines)), idempotency_key="visit-77")
    assert again.replayed
    assert sorted(m.pk for m in again.movements) == sorted(m.pk for m in first.movements)
    with pytest.raises(stock.IdempotencyKeyReused):
        stock.stock_consume_many(actor=clerk, place=room, lines=[UseLine(gauze, 3)], idempotency_key="visit-77")
    assert _on_hand(gauze, room) == {None: 8}


@pytest.mark.parametrize(("lines", "message"), [
    ([], "at least one item"),
    ([("gauze", 0)], "whole number"),
    ([("gauze", 1)] * (stock.MAX_LINES + 1), "At most"),
])
def test_bad_lines_are_refused_with_a_clear_error(clerk: Any, stocked: dict[str, Any], lines: Any,
                                                  message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        stock.stock_consume_many(actor=clerk, place=stocked["room"],
                                 lines=[UseLine(stocked[name], quantity) for name, quantity in lines])
    assert _on_hand(stocked["gauze"], stocked["room"]) == {None: 10}


def test_a_lot_of_another_item_or_an_expired_lot_is_refused(clerk: Any, stocked: dict[str, Any]) -> None:
    gauze, syringe, room = stocked["gauze"], stocked["syringe"], stocked["room"]
    soon = syringe.lots.get(number="SOON")
    with pytest.raises(ValidationError, match="not a lot of Gauze"):
        stock.stock_consume_many(actor=clerk, place=room, lines=[UseLine(gauze, 1, lot=soon)])
    soon.expires_on = dt.date(2001, 1, 1)
    soon.save(update_fields=["expires_on"])
    with pytest.raises(ValidationError, match="expired"):
        stock.stock_consume_many(actor=clerk, place=room, lines=[UseLine(syringe, 1, lot=soon)])
    assert _on_hand(syringe, room) == {"SOON": 2, "LATE": 5}


def test_someone_without_use_at_the_place_is_refused_audited_and_nothing_moves(stocked: dict[str, Any],
                                                                             south: Any) -> None:
    outsider = user_with_role(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[south])
    with pytest.raises(PermissionDenied):
        stock.stock_consume_many(actor=outsider, place=stocked["room"], lines=[UseLine(stocked["gauze"], 1)])
    assert _on_hand(stocked["gauze"], stocked["room"]) == {None: 10}
    assert AuditEvent.objects.filter(actor=outsider, outcome=Outcome.DENIED,
                                     action="inventory.stock_consume").exists()
