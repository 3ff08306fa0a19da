"""Catalogue pages: the item list (search, category, preferred vendor), an item with its packagings, price history,
stock by place and par levels (only the reader's locations), adding and editing items, packagings and vendor
prices (inventory.manage), and the CSV import: a validation report by line and nothing imported on error."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from openpractice.inventory.choices import ItemCategory
from openpractice.inventory.models import Item, Packaging, ParLevel, VendorItem
from openpractice.inventory.services.imports import KNOWN
from openpractice.inventory.tests.factories import place_at

from .factories_stock_ui import books, client_for, clinical, denials, gloves, manager, put, vendor

pytestmark = pytest.mark.django_db


def test_the_item_list_searches_and_filters_by_category_and_preferred_vendor(north: Any) -> None:
    medline, staples = vendor("Medline"), vendor("Staples")
    gauze = gloves(name="Gauze pads", sku="GZ-1", preferred_vendor=medline)
    paper = gloves(name="Copy paper", sku="PAP-8", category=ItemCategory.OFFICE, preferred_vendor=staples)
    retired = gloves(name="Old gauze", sku="GZ-0", is_active=False)
    put(manager(north), gauze, place_at(north), 12)
    client = client_for(clinical(north))

    def names(query: str) -> list[str]:
        response = client.get(reverse("inventory:item_list") + query)
        assert response.status_code == 200
        return [item.name for item in response.context["table"].page.object_list]

    assert names("") == ["Copy paper", "Gauze pads"]
    assert names("?q=gz") == ["Gauze pads"]
    assert names(f"?category={ItemCategory.OFFICE}") == ["Copy paper"]
    assert names(f"?vendor={staples.pk}") == ["Copy paper"]
    assert names("?status=inactive") == [retired.name]
    assert names("?category=bogus&vendor=x&status=y") == ["Copy paper", "Gauze pads"]
    on_hand = {item.name: item.on_hand for item in client.get(
        reverse("inventory:item_list")).context["table"].page.object_list}
    assert on_hand == {"Copy paper": 0, "Gauze pads": 12}
    assert paper.pk


def test_an_item_shows_its_packagings_prices_and_only_the_readers_stock_and_par_levels(
        north: Any, south: Any) -> None:
    medline = vendor("Medline")
    item = gloves(name="Gauze pads", preferred_vendor=medline)
    box = Packaging.objects.create(item=item, name="box", base_quantity=100)
    VendorItem.objects.create(vendor=medline, item=item, packaging=box, price=Decimal("8.00"),
                              effective_from=dt.date(2020, 1, 1), effective_to=dt.date(2020, 12, 31))
    VendorItem.objects.create(vendor=medline, item=item, packaging=box, price=Decimal("9.00"),
                              effective_from=dt.date(2021, 1, 1))
    room_north, room_south = place_at(north, "North room"), place_at(south, "South room")
    put(manager(north), item, room_north, 40)
    put(manager(south), item, room_south, 70)
    ParLevel.objects.create(item=item, place=room_north, par=50, reorder_point=20)
    ParLevel.objects.create(item=item, place=room_south, par=90, reorder_point=30)
    response = client_for(clinical(north)).get(reverse("inventory:item_detail", args=[item.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "1 box = 100 each" in page
    assert [(row.price.price, row.current) for row in response.context["prices"]] == [
        (Decimal("9.0000"), True), (Decimal("8.0000"), False)]
    assert "0.0900" in page  # per each
    assert [level.place for level in response.context["levels"]] == [room_north]
    assert [par.place for par in response.context["pars"]] == [room_north]
    assert "South room" not in page
    assert reverse("inventory:item_edit", args=[item.pk]) not in page  # clinical staff do not manage


def test_a_manager_adds_and_edits_an_item(north: Any) -> None:
    boss = manager(north)
    medline = vendor("Medline")
    gloves(sku="TAKEN-1")
    client = client_for(boss)
    url = reverse("inventory:item_create")
    assert client.get(url).status_code == 200
    data = {"sku": "GLV-M", "name": "Nitrile gloves, medium", "category": ItemCategory.MEDICAL,
            "base_unit": "each", "lot_tracked": "on", "preferred_vendor": medline.pk, "description": "",
            "is_active": "on"}
    taken = client.post(url, {**data, "sku": "taken-1"})
    assert taken.status_code == 400
    assert taken.context["form"].errors["sku"] == ["Another item has this number."]
    response = client.post(url, data)
    item = Item.objects.get(sku="GLV-M")
    assert response["Location"] == reverse("inventory:item_detail", args=[item.pk])
    assert (item.lot_tracked, item.preferred_vendor) == (True, medline)
    edit = reverse("inventory:item_edit", args=[item.pk])
    assert client.get(edit).context["form"].initial["sku"] == "GLV-M"
    assert client.post(edit, {**data, "name": "Gloves M", "preferred_vendor": ""}).status_code == 302
    item.refresh_from_db()
    assert (item.name, item.preferred_vendor) == ("Gloves M", None)


def test_an_item_with_lots_keeps_tracking_them(north: Any) -> None:
    boss = manager(north)
    item = gloves(sku="LOT-1", lot_tracked=True)
    put(boss, item, place_at(north), 3, "L1", dt.date(2030, 1, 1))
    response = client_for(boss).post(reverse("inventory:item_edit", args=[item.pk]), {
        "sku": "LOT-1", "name": item.name, "category": item.category, "base_unit": "each", "is_active": "on"})
    assert response.status_code == 400
    assert "keeps tracking lots" in response.context["form"].errors["lot_tracked"][0]


def test_someone_who_only_uses_stock_cannot_change_the_catalogue(north: Any) -> None:
    nurse = clinical(north)
    item = gloves()
    before = books()
    client = client_for(nurse)
    for url, data in (
            (reverse("inventory:item_create"), {"sku": "X", "name": "X", "category": "supply", "base_unit": "each"}),
            (reverse("inventory:item_edit", args=[item.pk]), {"sku": "X", "name": "X", "category": "supply",
                                                              "base_unit": "each"}),
            (reverse("inventory:item_packaging_add", args=[item.pk]), {"name": "box", "base_quantity": 10}),
            (reverse("inventory:item_price_add", args=[item.pk]), {"price": "1"}),
            (reverse("inventory:catalogue_import"), {}),
            (reverse("inventory:catalogue_template"), {})):
        denied = denials(nurse)
        assert client.post(url, data).status_code in (404, 405)
        assert client.get(url).status_code == 404
        assert denials(nurse) >= denied + 1
    assert books() == before


def test_a_manager_adds_a_packaging_and_a_price_that_ends_the_previous_one(north: Any) -> None:
    boss = manager(north)
    medline = vendor("Medline")
    item = gloves(preferred_vendor=medline)
    client = client_for(boss)
    packaging_url = reverse("inventory:item_packaging_add", args=[item.pk])
    bad = client.post(packaging_url, {"name": "box", "base_quantity": 0})
    assert bad.status_code == 400
    assert "base_quantity" in bad.context["form"].errors
    assert client.post(packaging_url, {"name": "box", "base_quantity": 100}).status_code == 302
    twice = client.post(packaging_url, {"name": "box", "base_quantity": 50})
    assert twice.status_code == 400
    box = Packaging.objects.get(item=item)
    price_url = reverse("inventory:item_price_add", args=[item.pk])
    page = client.get(price_url)
    assert page.context["form"].initial["vendor"] == medline.pk
    negative = client.post(price_url, {"vendor": medline.pk, "packaging": box.pk, "price": "-1",
                                       "effective_from": "2026-01-01"})
    assert negative.status_code == 400
    assert "price" in negative.context["form"].errors
    assert client.post(price_url, {"vendor": medline.pk, "packaging": box.pk, "price": "8.50",
                                   "effective_from": "2026-01-01", "vendor_sku": "MDS1"}).status_code == 302
    assert client.post(price_url, {"vendor": medline.pk, "packaging": box.pk, "price": "9.10",
                                   "effective_from": "2026-07-01"}).status_code == 302
    same_day = client.post(price_url, {"vendor": medline.pk, "packaging": box.pk, "price": "9.20",
                                       "effective_from": "2026-07-01"})
    assert same_day.status_code == 400
    assert "already exists" in str(same_day.context["form"].errors)  # one price a day per vendor and packaging
    assert list(VendorItem.objects.order_by("effective_from").values_list("price", "effective_to")) == [
        (Decimal("8.5000"), dt.date(2026, 6, 30)), (Decimal("9.1000"), None)]


# --- the CSV import ----------------------------------------------------------------------------------------------


GOOD = (
    "sku,name,category,unit,lot_tracked,preferred_vendor,vendor,vendor_sku,packaging,units_per_package,price,"
    "effective_from\n"
    "GLV-M,Nitrile gloves M,medical,each,no,Medline,Medline,MDS195,box,100,8.50,2026-01-01\n"
    "PAP-8,Copy paper,office,ream,no,,Medline,135848,,,$6.25,2026-02-01\n"
)
BAD = GOOD + "CHAIR-1,,furniture,each,maybe,,,,,,,\n"


def _upload(content: str, name: str = "catalogue.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode(), content_type="text/csv")


def test_a_good_csv_is_imported_and_a_bad_one_is_reported_by_line_with_nothing_imported(north: Any) -> None:
    vendor("Medline")
    boss = manager(north)
    client = client_for(boss)
    url = reverse("inventory:catalogue_import")
    assert client.get(url).status_code == 200
    bad = client.post(url, {"file": _upload(BAD)})
    assert bad.status_code == 400
    report = bad.context["report"]
    assert not report.ok
    assert report.errors == ["Line 4: new item CHAIR-1 needs a name.", "Line 4: lot_tracked must be yes or no."]
    page = bad.content.decode()
    assert "nothing was imported" in page
    assert "Line 4: new item CHAIR-1 needs a name." in page
    assert not Item.objects.exists()
    assert not VendorItem.objects.exists()
    good = client.post(url, {"file": _upload(GOOD)})
    assert good.status_code == 302
    assert sorted(Item.objects.values_list("sku", flat=True)) == ["GLV-M", "PAP-8"]
    assert VendorItem.objects.count() == 2
    no_file = client.post(url, {})
    assert no_file.status_code == 400
    assert "file" in no_file.context["form"].errors


def test_the_template_csv_names_every_column_and_imports_once_its_vendor_exists(north: Any) -> None:
    boss = manager(north)
    client = client_for(boss)
    response = client.get(reverse("inventory:catalogue_template"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert tuple(rows[0]) == KNOWN
    vendor("Medline")
    imported = client.post(reverse("inventory:catalogue_import"), {"file": SimpleUploadedFile(
        "template.csv", response.content, content_type="text/csv")})
    assert imported.status_code == 302
    assert Packaging.objects.filter(item__sku="GLV-NIT-M").count() == 2
