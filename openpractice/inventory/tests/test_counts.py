"""Cycle counts: the books at the start, counted quantities, approval by someone else posting the variances."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import user_with_role
from openpractice.inventory.choices import CountStatus, MovementKind
from openpractice.inventory.models import StockLevel, StockMovement
from openpractice.inventory.services import counts, stock
from openpractice.inventory.tests.factories import ItemFactory, place_at

pytestmark = pytest.mark.django_db


def test_a_count_posts_its_variances_once_approved_by_someone_else(north: Any) -> None:
    counter = user_with_role(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])
    manager = user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    room = place_at(north)
    gauze, swabs = ItemFactory(name="Gauze"), ItemFactory(name="Swabs", lot_tracked=True)
    stock.stock_receive(actor=counter, item=gauze, place=room, quantity=10)
    stock.stock_receive(actor=counter, item=swabs, place=room, quantity=5, lot_number="S1",
                        expires_on=dt.date(2028, 1, 1))
    count = counts.count_start(actor=counter, place=room)
    with pytest.raises(ValidationError, match="already"):
        counts.count_start(actor=counter, place=room)
    lines = {line.item_id: line for line in count.lines.all()}
    assert {item: line.expected for item, line in lines.items()} == {gauze.pk: 10, swabs.pk: 5}
    counts.count_record(actor=counter, count=count, counted={lines[gauze.pk].pk: 12})
    with pytest.raises(ValidationError, match="every line"):
        counts.count_submit(actor=counter, count=count)
    counts.count_record(actor=counter, count=count, counted={lines[swabs.pk].pk: 3})
    counts.count_submit(actor=counter, count=count)
    with pytest.raises(PermissionDenied):
        counts.count_approve(actor=counter, count=count)  # not their own count (and above their duties)
    counts.count_approve(actor=manager, count=count)
    assert {level.item_id: level.quantity for level in StockLevel.objects.filter(place=room)} == {
        gauze.pk: 12, swabs.pk: 3}
    assert sorted(StockMovement.objects.filter(count_line__count=count).values_list("kind", "quantity")) == [
        (MovementKind.ADJUST_IN, 2), (MovementKind.ADJUST_OUT, 2)]
    count.refresh_from_db()
    assert count.status == CountStatus.APPROVED
    assert stock.ledger_matches_levels()


def test_counted_quantities_are_checked(north: Any) -> None:
    counter = user_with_role(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])
    room = place_at(north)
    item = ItemFactory()
    stock.stock_receive(actor=counter, item=item, place=room, quantity=1)
    count = counts.count_start(actor=counter, place=room)
    line = count.lines.get()
    for bad in (-1, 1.5, True):
        with pytest.raises(ValidationError):
            counts.count_record(actor=counter, count=count, counted={line.pk: bad})  # type: ignore[dict-item]
    with pytest.raises(ValidationError, match="not part"):
        counts.count_record(actor=counter, count=count, counted={line.pk + 999: 1})
    line.refresh_from_db()
    assert line.counted is None
