"""Stock reads: below the reorder point, suggested orders grouped by preferred vendor at the current price,
expiring lots; each a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import user_with_role
from openpractice.inventory.models import Packaging, ParLevel, VendorItem
from openpractice.inventory.selectors import stock as selectors
from openpractice.inventory.services import stock
from openpractice.inventory.tests.factories import ItemFactory, place_at
from openpractice.vendors.choices import VendorKind
from openpractice.vendors.models import Contract, Vendor

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 27)


def _item_at(place: Any, *, on_hand: int, par: int, reorder: int, vendor: Any, actor: Any, **fields: Any) -> Any:
    item = ItemFactory(preferred_vendor=vendor, **fields)
    ParLevel.objects.create(item=item, place=place, par=par, reorder_point=reorder)
    if on_hand:
        stock.stock_receive(actor=actor, item=item, place=place, quantity=on_hand)
    return item


def test_suggested_orders_bring_places_back_to_par_in_whole_packages_at_the_contract_price(north: Any) -> None:
    manager = user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    room, exam = place_at(north), place_at(north, "Exam 1")
    medline = Vendor.objects.create(name="Medline", kind=VendorKind.SUPPLIER)
    staples = Vendor.objects.create(name="Staples", kind=VendorKind.SUPPLIER)
    gloves = _item_at(room, on_hand=20, par=200, reorder=50, vendor=medline, actor=manager, name="Gloves")
    ParLevel.objects.create(item=gloves, place=exam, par=30, reorder_point=10)  # nothing there: 30 needed
    box = Packaging.objects.create(item=gloves, name="box", base_quantity=100)
    VendorItem.objects.create(vendor=medline, item=gloves, packaging=box, price=Decimal("9.00"),
                              effective_from=dt.date(2026, 1, 1))
    contract = Contract.objects.create(vendor=medline, kind="supply", title="Medline GPO",
                                       starts_on=dt.date(2026, 1, 1))
    VendorItem.objects.create(vendor=medline, item=gloves, packaging=box, price=Decimal("7.50"),
                              effective_from=dt.date(2026, 6, 1), contract=contract)
    VendorItem.objects.create(vendor=medline, item=gloves, packaging=box, price=Decimal("6.00"),
                              effective_from=dt.date(2027, 1, 1))  # not yet in force
    paper = _item_at(room, on_hand=5, par=10, reorder=5, vendor=staples, actor=manager, name="Copy paper")
    _item_at(room, on_hand=60, par=100, reorder=50, vendor=medline, actor=manager, name="Gauze")  # above reorder
    orphan = _item_at(room, on_hand=0, par=4, reorder=1, vendor=None, actor=manager, name="Desk chair")

    with CaptureQueriesContext(connection) as queries:
        orders = selectors.suggested_orders(actor=manager, today=TODAY)
    assert len(queries) <= 3

    by_vendor = {str(order.vendor) if order.vendor else None: order for order in orders}
    assert set(by_vendor) == {"Medline", "Staples", None}
    [glove_line] = by_vendor["Medline"].lines
    assert glove_line.item == gloves
    assert glove_line.needed == 180 + 30
    assert glove_line.packages == 3  # 210 each in boxes of 100
    assert glove_line.price is not None
    assert glove_line.price.price == Decimal("7.50")
    assert by_vendor["Medline"].total == Decimal("22.50")
    assert [line.item for line in by_vendor["Staples"].lines] == [paper]
    assert by_vendor["Staples"].lines[0].price is None  # no price on file: shown, not guessed
    assert [line.item for line in by_vendor[None].lines] == [orphan]


def test_below_reorder_point_stays_within_the_actors_locations(north: Any, south: Any) -> None:
    north_clerk = user_with_role(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])
    south_clerk = user_with_role(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[south])
    item = ItemFactory()
    ParLevel.objects.create(item=item, place=place_at(south), par=10, reorder_point=2)
    assert list(selectors.below_reorder_point(actor=north_clerk)) == []
    assert [par.item for par in selectors.below_reorder_point(actor=south_clerk)] == [item]


def test_expiring_lists_lots_within_the_window_soonest_first(north: Any) -> None:
    clerk = user_with_role(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])
    item, room = ItemFactory(lot_tracked=True), place_at(north)
    for number, expires in (("LATER", TODAY + dt.timedelta(days=90)), ("SOON", TODAY + dt.timedelta(days=10)),
                            ("GONE", TODAY - dt.timedelta(days=1))):
        stock.stock_receive(actor=clerk, item=item, place=room, quantity=2, lot_number=number, expires_on=expires)
    assert [level.lot.number for level in selectors.expiring(actor=clerk, today=TODAY)] == ["GONE", "SOON"]
