"""50 people take one box each from a shelf of 20 at the same moment: exactly 20 succeed (PostgreSQL)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import user_with_role
from openpractice.inventory.models import StockLevel, StockMovement
from openpractice.inventory.services import stock
from openpractice.inventory.tests.factories import ItemFactory, place_at

WORKERS, ON_HAND = 50, 20


@pytest.mark.postgresql
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="SQLite's in-memory test database is shared by threads through a cache that raises "
                           "'table is locked' instead of waiting; SQLite writers queue at BEGIN IMMEDIATE")
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_uses_of_one_never_oversell_twenty(practice: Any, north: Any) -> None:
    clerk = user_with_role(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])
    item, room = ItemFactory(), place_at(north)
    stock.stock_receive(actor=clerk, item=item, place=room, quantity=ON_HAND)
    start = threading.Barrier(WORKERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def take() -> None:
        try:
            start.wait(timeout=30)
            stock.stock_consume(actor=clerk, item=item, place=room, quantity=1)
            result = "ok"
        except ValidationError:
            result = "refused"
        except BaseException as error:  # noqa: BLE001 - reported to the main thread below
            result = repr(error)
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=take) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(set(outcomes)) == ["ok", "refused"], outcomes
    assert outcomes.count("ok") == ON_HAND
    assert StockLevel.objects.get(item=item, place=room).quantity == 0
    assert StockMovement.objects.filter(item=item, kind="consume").count() == ON_HAND
    assert stock.ledger_matches_levels()


@pytest.mark.postgresql
@pytest.mark.skipif(connection.vendor != "postgresql", reason="as above: SQLite serialises writers")
@pytest.mark.django_db(transaction=True)
def test_multi_item_uses_at_once_in_any_line_order_neither_deadlock_nor_oversell(practice: Any, north: Any) -> None:
    """Twenty uses of the same two items, half listing them the other way round, against stock for ten."""
    clerk = user_with_role(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])
    gloves, gauze, room = ItemFactory(name="Gloves"), ItemFactory(name="Gauze"), place_at(north)
    stock.stock_receive(actor=clerk, item=gloves, place=room, quantity=10)
    stock.stock_receive(actor=clerk, item=gauze, place=room, quantity=10)
    users = 20
    start = threading.Barrier(users)
    outcomes: list[str] = []
    lock = threading.Lock()

    def use(turned: bool) -> None:
        lines = [stock.UseLine(gloves, 1), stock.UseLine(gauze, 1)]
        try:
            start.wait(timeout=30)
            stock.stock_consume_many(actor=clerk, place=room, lines=lines[::-1] if turned else lines)
            result = "ok"
        except ValidationError:
            result = "refused"
        except BaseException as error:  # noqa: BLE001 - a deadlock would land here
            result = repr(error)
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=use, args=(n % 2 == 1,)) for n in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(set(outcomes)) == ["ok", "refused"], outcomes
    assert outcomes.count("ok") == 10
    assert StockLevel.objects.get(item=gloves, place=room).quantity == 0
    assert StockLevel.objects.get(item=gauze, place=room).quantity == 0
    assert stock.ledger_matches_levels()
