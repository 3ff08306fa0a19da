"""The catalogue and stock pages cost the same number of queries with 3 rows as with 20."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.inventory.models import CycleCount, Packaging, ParLevel, VendorItem
from openpractice.inventory.services import counts, stock
from openpractice.inventory.tests.factories import place_at

from .factories_stock_ui import cabinet, client_for, gloves, manager, put, rep_visit, vendor

pytestmark = pytest.mark.django_db

PAGES = ("inventory:item_list", "inventory:stock_list", "inventory:movement_list", "inventory:expiring_list",
         "inventory:belowpar_list", "inventory:suggested_list", "inventory:par_list", "inventory:place_list",
         "inventory:stockcount_list", "inventory:sample_receive")


def queries_for(client: Client, url: str) -> int:
    client.get(url)  # warm the per-process caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


def add_rows(boss: Any, location: Any, first: int, last: int) -> None:
    """For each n: an item with a preferred vendor, a box and a contract-free price, a place holding two lots of
    it (one expiring soon), a par level above what is on hand, a use, a transfer, a count and a rep's samples."""
    shelf = cabinet(location, f"Cabinet {first}")
    for n in range(first, last):
        supplier = vendor(f"Vendor {n:02d}")
        item = gloves(name=f"Item {n:02d}", sku=f"IT-{n:02d}", lot_tracked=True, preferred_vendor=supplier)
        box = Packaging.objects.create(item=item, name="box", base_quantity=10)
        VendorItem.objects.create(vendor=supplier, item=item, packaging=box, price=Decimal("5.00"),
                                  effective_from=dt.date(2020, 1, 1))
        room, exam = place_at(location, f"Room {n:02d}"), place_at(location, f"Exam {n:02d}")
        put(boss, item, room, 5, f"A{n}", dt.date.today() + dt.timedelta(days=20))
        put(boss, item, room, 5, f"B{n}", dt.date.today() + dt.timedelta(days=400))
        stock.stock_consume(actor=boss, item=item, place=room, quantity=1)
        stock.stock_transfer(actor=boss, item=item, source=room, destination=exam, quantity=1)
        ParLevel.objects.create(item=item, place=room, par=40, reorder_point=20)
        counts.count_start(actor=boss, place=exam)
        visit = rep_visit(location, boss, company=supplier)
        stock.stock_receive(actor=boss, item=item, place=shelf, quantity=1, lot_number=f"S{n}", kind="sample",
                            rep_visit=visit)


@pytest.mark.parametrize("url_name", PAGES)
def test_a_stock_page_costs_the_same_queries_with_more_rows(url_name: str, north: Any) -> None:
    boss = manager(north)
    client = client_for(boss)
    url = reverse(url_name) + ("?days=730" if url_name == "inventory:expiring_list" else "")
    add_rows(boss, north, 0, 3)
    few = queries_for(client, url)
    add_rows(boss, north, 3, 20)
    many = queries_for(client, url)
    assert few == many, f"{url_name}: {few} queries with 3 rows, {many} with 20"


def test_an_item_page_costs_the_same_queries_with_more_places_and_prices(north: Any) -> None:
    boss = manager(north)
    client = client_for(boss)
    item = gloves(lot_tracked=True)

    def grow(first: int, last: int) -> None:
        for n in range(first, last):
            supplier = vendor(f"Vendor {n:02d}")
            box = Packaging.objects.create(item=item, name=f"box {n}", base_quantity=n + 2)
            VendorItem.objects.create(vendor=supplier, item=item, packaging=box, price=Decimal("5.00"),
                                      effective_from=dt.date(2020, 1, 1))
            room = place_at(north, f"Room {n:02d}")
            put(boss, item, room, 3, f"L{n}", dt.date(2030, 1, 1))
            ParLevel.objects.create(item=item, place=room, par=10, reorder_point=2)

    url = reverse("inventory:item_detail", args=[item.pk])
    grow(0, 3)
    few = queries_for(client, url)
    grow(3, 20)
    assert queries_for(client, url) == few


def test_a_count_page_costs_the_same_queries_with_more_lines(north: Any) -> None:
    boss = manager(north)
    room = place_at(north)
    for n in range(3):
        put(boss, gloves(name=f"Item {n}"), room, 2)
    small = counts.count_start(actor=boss, place=room)
    big_room = place_at(north, "Big room")
    for n in range(20):
        put(boss, gloves(name=f"Big item {n}"), big_room, 2)
    big = counts.count_start(actor=boss, place=big_room)
    client = client_for(manager(north))
    assert queries_for(client, reverse("inventory:stockcount_detail", args=[small.pk])) == queries_for(
        client, reverse("inventory:stockcount_detail", args=[big.pk]))
    assert CycleCount.objects.count() == 2
