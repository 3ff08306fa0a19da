"""CSV catalogue and price-list import: all or nothing, with a report of every problem by line; fuzzed input
never crashes and never writes half a file."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import user_with_role
from openpractice.inventory.models import Item, Packaging, VendorItem
from openpractice.inventory.services.imports import catalogue_import
from openpractice.inventory.tests.factories import ItemFactory
from openpractice.vendors.choices import VendorKind
from openpractice.vendors.models import Vendor

pytestmark = pytest.mark.django_db

GOOD = (
    "sku,name,category,unit,lot_tracked,preferred_vendor,vendor,vendor_sku,packaging,units_per_package,price,"
    "effective_from\n"
    "GLV-M,Nitrile gloves M,medical,each,no,Medline,Medline,MDS195,box,100,8.50,2026-01-01\n"
    "GLV-M,,,,,,Medline,MDS195,case,1000,79.00,2026-01-01\n"
    "PAP-8,Copy paper,office,ream,no,,Staples,135848,,,$6.25,2026-02-01\n"
)


@pytest.fixture
def manager(north: Any) -> Any:
    Vendor.objects.create(name="Medline", kind=VendorKind.SUPPLIER)
    Vendor.objects.create(name="Staples", kind=VendorKind.SUPPLIER)
    return user_with_role(Role.OFFICE_MANAGER, Tier.MID)


def test_a_good_file_creates_items_packagings_and_prices(manager: Any) -> None:
    report = catalogue_import(actor=manager, content=("\ufeff" + GOOD).encode())
    assert report.ok, report.errors
    assert (report.rows, report.items_created, report.prices_added) == (3, 2, 3)
    gloves = Item.objects.get(sku="GLV-M")
    assert gloves.preferred_vendor is not None
    assert gloves.preferred_vendor.name == "Medline"
    assert sorted(Packaging.objects.filter(item=gloves).values_list("name", "base_quantity")) == [
        ("box", 100), ("case", 1000)]
    assert VendorItem.objects.get(item__sku="PAP-8").price == Decimal("6.25")
    again = catalogue_import(actor=manager, content=GOOD.encode())
    assert again.ok
    assert again.items_created == 0
    assert VendorItem.objects.count() == 3  # the same lines again update, never duplicate


def test_one_bad_row_writes_nothing_and_every_problem_is_reported(manager: Any) -> None:
    bad = GOOD + ("NEW-1,,widgets,each,maybe,Nobody,Staples,,box,0,abc,31/01/2026\n")
    report = catalogue_import(actor=manager, content=bad.encode())
    assert not report.ok
    text = " | ".join(report.errors)
    for expected in ("Line 5: new item NEW-1 needs a name", "category must be one of", "lot_tracked must be",
                     "no vendor named Nobody", "the price must be an amount", "effective_from must be a date",
                     "units_per_package must be"):
        assert expected in text
    assert not Item.objects.exists()
    assert not VendorItem.objects.exists()


def test_a_known_item_keeps_its_case_insensitive_number(manager: Any) -> None:
    ItemFactory(sku="glv-m", name="Gloves")
    report = catalogue_import(actor=manager, content=GOOD.encode())
    assert report.ok, report.errors
    assert Item.objects.filter(sku__iexact="GLV-M").count() == 1


@pytest.mark.parametrize(("content", "message"), [
    (b"\xff\xfe\x00bad", "UTF-8"), (b"name,price\nx,1\n", "including sku"), (b"sku,colour\nA,red\n", "Unknown"),
    (b"sku,name\nA,B,C\n", "more cells"),
    (b"sku,name,category,price,vendor,effective_from\n\x00", "binary"),  # PostgreSQL text refuses NUL
])
def test_malformed_files_are_explained(manager: Any, content: bytes, message: str) -> None:
    report = catalogue_import(actor=manager, content=content)
    assert message in " ".join(report.errors)
    assert not Item.objects.exists()


def test_only_inventory_managers_import(north: Any) -> None:
    clerk = user_with_role(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])
    with pytest.raises(PermissionDenied):
        catalogue_import(actor=clerk, content=GOOD.encode())
    assert not Item.objects.exists()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=400) | st.text(max_size=300).map(lambda text: ("sku,name,category,price,vendor,"
                                                                              "effective_from\n" + text).encode()))
def test_fuzzed_files_never_crash_or_half_import(manager: Any, body: bytes) -> None:
    before = (Item.objects.count(), VendorItem.objects.count())
    report = catalogue_import(actor=manager, content=body)
    if not report.ok:
        assert (Item.objects.count(), VendorItem.objects.count()) == before
    assert report.rows >= 0
