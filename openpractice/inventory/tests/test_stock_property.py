"""Property (hypothesis, stateful): whatever sequence of receipts, uses, transfers and removals happens, stock on
hand never goes below zero, a refused request changes nothing, and every level equals the sum of its movements."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import user_with_role
from openpractice.inventory.choices import MovementKind
from openpractice.inventory.models import Lot, StockLevel, StockMovement
from openpractice.inventory.services import stock
from openpractice.inventory.tests.factories import ItemFactory, place_at

LOTS = {"A": dt.date(2097, 1, 1), "B": dt.date(2097, 6, 1), "C": None}
QUANTITIES = st.integers(min_value=1, max_value=30)


@pytest.mark.django_db
def test_stock_equals_its_ledger_and_never_goes_negative(north: Any) -> None:
    manager = user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    item = ItemFactory(lot_tracked=True)
    places = [place_at(north, "Supply room"), place_at(north, "Exam 1"), place_at(north, "Exam 2")]

    def on_hand() -> dict[tuple[int, int | None], int]:
        return {(level.place_id, level.lot_id): level.quantity for level in StockLevel.objects.filter(item=item)}

    class StockMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            # Each example starts from an empty shelf (the database outlives the machine).
            StockMovement.objects.filter(item=item).delete()
            StockLevel.objects.filter(item=item).delete()
            Lot.objects.filter(item=item).delete()
            self.model: dict[int, int] = {place.pk: 0 for place in places}  # expected total per place

        def _try(self, call: Any, change: dict[int, int]) -> None:
            before = on_hand()
            try:
                with transaction.atomic():
                    call()
            except ValidationError:
                assert on_hand() == before  # a refusal changes nothing
                return
            for place_id, delta in change.items():
                self.model[place_id] += delta

        @rule(place=st.sampled_from(range(3)), lot=st.sampled_from(sorted(LOTS)), quantity=QUANTITIES)
        def receive(self, place: int, lot: str, quantity: int) -> None:
            self._try(lambda: stock.stock_receive(actor=manager, item=item, place=places[place], quantity=quantity,
                                                  lot_number=lot, expires_on=LOTS[lot]),
                      {places[place].pk: quantity})

        @rule(place=st.sampled_from(range(3)), quantity=QUANTITIES)
        def consume(self, place: int, quantity: int) -> None:
            self._try(lambda: stock.stock_consume(actor=manager, item=item, place=places[place], quantity=quantity),
                      {places[place].pk: -quantity})

        @rule(source=st.sampled_from(range(3)), destination=st.sampled_from(range(3)), quantity=QUANTITIES)
        def transfer(self, source: int, destination: int, quantity: int) -> None:
            change = {places[source].pk: -quantity}
            change[places[destination].pk] = change.get(places[destination].pk, 0) + quantity
            self._try(lambda: stock.stock_transfer(actor=manager, item=item, source=places[source],
                                                   destination=places[destination], quantity=quantity), change)

        @rule(place=st.sampled_from(range(3)), quantity=QUANTITIES)
        def dispose(self, place: int, quantity: int) -> None:
            self._try(lambda: stock.stock_remove(actor=manager, kind=MovementKind.DISPOSE, item=item,
                                                 place=places[place], quantity=quantity, reason="Damaged"),
                      {places[place].pk: -quantity})

        @invariant()
        def never_negative_and_ledger_agrees(self) -> None:
            levels = on_hand()
            assert all(quantity >= 0 for quantity in levels.values())
            totals = {place.pk: 0 for place in places}
            for (place_id, _lot), quantity in levels.items():
                totals[place_id] += quantity
            assert totals == self.model
            assert stock.ledger_matches_levels(items=[item.pk])

    run_state_machine_as_test(StockMachine, settings=settings(
        max_examples=25, stateful_step_count=12, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]))
