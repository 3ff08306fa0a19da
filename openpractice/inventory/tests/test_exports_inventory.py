"""Every inventory list exports (?export=csv|xlsx) exactly the rows its page shows for the same filters, a person who
cannot open a list cannot export it (404, nothing recorded), and the big lists export in a fixed number of
queries."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.core.tests import export_cases
from openpractice.core.tests.export_cases import (
    Case,
    assert_export_refused,
    assert_exports_match_page,
    export_sizes_at_fixed_queries,
    table_rows,
)
from openpractice.inventory.choices import (
    CountStatus,
    InvoiceStatus,
    ItemCategory,
    OrderStatus,
    RequisitionStatus,
)
from openpractice.inventory.models import CycleCount, ParLevel, RequestForQuote, StoragePlace, VendorInvoice

from .factories import ItemFactory, place_at
from .factories_purchasing import order, requisition
from .factories_stock_ui import put, vendor

pytestmark = pytest.mark.django_db


class World(export_cases.World):
    def place(self, name: str, location: Location | None = None) -> StoragePlace:
        return place_at(location or self.north, name)


def _items(w: World) -> Case:
    ItemFactory(sku="GLV-1", name="Gloves", category=ItemCategory.MEDICAL)
    ItemFactory(sku="GAU-1", name="Gauze", category=ItemCategory.MEDICAL, preferred_vendor=vendor("Medline"))
    ItemFactory(sku="PAP-1", name="Paper", category=ItemCategory.OFFICE)
    return Case(reverse("inventory:item_list"), {"category": ItemCategory.MEDICAL, "sort": "sku"}, table_rows,
                ("Item number", "Name", "Preferred vendor", "On hand (your locations)"),
                lambda item: (item.sku, item.name, item.preferred_vendor.name if item.preferred_vendor else "",
                              str(item.on_hand)),
                hidden=[("PAP-1",)])


def _places(w: World) -> Case:
    w.place("Supply room")
    w.place("Exam 1 cabinet")
    w.place("South closet", w.south)
    return Case(reverse("inventory:place_list"), {}, lambda context: context["places"], ("Location", "Place"),
                lambda place: (place.location.name, place.name), hidden=[("South Clinic",)])


def _stock(w: World) -> Case:
    room, other = w.place("Supply room"), w.place("Lab")
    put(w.user, ItemFactory(sku="A-1", name="Alcohol pads"), room, 40)
    put(w.user, ItemFactory(sku="B-1", name="Bandages"), room, 12)
    put(w.user, ItemFactory(sku="C-1", name="Cotton"), other, 5)
    return Case(reverse("inventory:stock_list"), {"place": str(room.pk)}, table_rows,
                ("Item number", "Place", "On hand"),
                lambda level: (level.item.sku, level.place.name, str(level.quantity)), hidden=[("C-1",)])


def _movements(w: World) -> Case:
    room = w.place("Supply room")
    gloves, gauze = ItemFactory(sku="G-1"), ItemFactory(sku="G-2")
    put(w.user, gloves, room, 10)
    put(w.user, gloves, room, 5)
    put(w.user, gauze, room, 7)
    return Case(reverse("inventory:movement_list"), {"item": str(gloves.pk)}, table_rows,
                ("Kind", "Item number", "Quantity", "To"),
                lambda m: (m.get_kind_display(), m.item.sku, str(m.quantity), f"North Clinic / {m.to_place.name}"),
                hidden=[("Received", "G-2")])


def _expiring(w: World) -> Case:
    room, today = w.place("Fridge"), practice_today()
    vaccine = ItemFactory(sku="VAX-1", name="Vaccine", lot_tracked=True)
    put(w.user, vaccine, room, 3, lot="L1", expires_on=today + dt.timedelta(days=10))
    put(w.user, vaccine, room, 4, lot="L2", expires_on=today - dt.timedelta(days=1))
    put(w.user, vaccine, room, 9, lot="L3", expires_on=today + dt.timedelta(days=300))
    return Case(reverse("inventory:expiring_list"), {"days": "30"}, table_rows, ("Expires", "Lot", "On hand"),
                lambda level: (level.lot.expires_on.isoformat(), level.lot.number, str(level.quantity)),
                hidden=[((today + dt.timedelta(days=300)).isoformat(),)])


def _pars(w: World, *, below_only: bool) -> Case:
    room = w.place("Supply room")
    low, full = ItemFactory(sku="LOW-1", preferred_vendor=vendor("Henry Schein")), ItemFactory(sku="FULL-1")
    put(w.user, full, room, 50)
    ParLevel.objects.create(item=low, place=room, par=20, reorder_point=5)
    ParLevel.objects.create(item=full, place=room, par=40, reorder_point=10)
    ParLevel.objects.create(item=ItemFactory(sku="SOUTH-1"), place=w.place("South room", w.south), par=9,
                            reorder_point=1)
    if below_only:
        return Case(reverse("inventory:belowpar_list"), {}, table_rows, ("Item number", "On hand", "To order",
                                                                       "Preferred vendor"),
                    lambda par: (par.item.sku, str(par.on_hand), str(par.needed), "Henry Schein"),
                    hidden=[("FULL-1",), ("SOUTH-1",)])
    return Case(reverse("inventory:par_list"), {"place": str(room.pk), "sort": "item"}, table_rows,
                ("Place", "Item number", "On hand", "Par level"),
                lambda par: (par.place.name, par.item.sku, str(par.on_hand), str(par.par)),
                hidden=[("South room",)])


def _suggested(w: World) -> Case:
    room = w.place("Supply room")
    for sku, company in (("S-1", "Medline"), ("S-2", "Medline"), ("S-3", "McKesson")):
        ParLevel.objects.create(item=ItemFactory(sku=sku, preferred_vendor=vendor(company)), place=room, par=10,
                                reorder_point=2)

    def lines(context: Any) -> list[Any]:
        return [(o, line) for o in context["orders"] for line in o.lines]

    return Case(reverse("inventory:suggested_list"), {"location": str(w.north.pk)}, lines,
                ("Vendor", "Item number", "Needed"),
                lambda pair: (pair[0].vendor.name, pair[1].item.sku, str(pair[1].needed)))


def _counts(w: World) -> Case:
    for name, status in (("Room A", CountStatus.SUBMITTED), ("Room B", CountStatus.SUBMITTED),
                         ("Room C", CountStatus.APPROVED)):
        CycleCount.objects.create(place=w.place(name), started_by=w.user, status=status)
    return Case(reverse("inventory:stockcount_list"), {"status": CountStatus.SUBMITTED, "sort": "place"}, table_rows,
                ("Place", "Status", "Counted by"),
                lambda count: (count.place.name, count.get_status_display(), count.started_by.display_name),
                hidden=[("Room C",)])


def _my_requisitions(w: World) -> Case:
    requisition(w.user, w.north, "120.50")
    requisition(w.user, w.north, "15.50", status=RequisitionStatus.DRAFT)
    requisition(w.make_user(Role.CLINICAL_STAFF, locations=[w.north]), w.north, "9.25")
    return Case(reverse("inventory:supplyreq_list"), {"sort": "total"}, table_rows,
                ("Number", "Requested by", "Total", "Status"),
                lambda r: (str(r), r.requested_by.display_name, f"{r.total:.2f}", r.get_status_display()), count=2)


def _queue(w: World) -> Case:
    nurse = w.make_user(Role.CLINICAL_STAFF, locations=[w.north])
    requisition(nurse, w.north, "40.25")
    requisition(nurse, w.north, "60.75")
    requisition(nurse, w.north, "30.25", status=RequisitionStatus.DRAFT)
    requisition(w.user, w.north, "20.25")
    return Case(reverse("inventory:supplyreq_queue"), {"sort": "total"}, table_rows, ("Number", "Total"),
                lambda r: (str(r), f"{r.total:.2f}"), count=2)


def _all_requisitions(w: World) -> Case:
    nurse = w.make_user(Role.CLINICAL_STAFF, locations=[w.north, w.south])
    requisition(nurse, w.north, "40.25", status=RequisitionStatus.APPROVED)
    requisition(w.user, w.north, "80.10", status=RequisitionStatus.APPROVED)
    requisition(nurse, w.north, "30.25")
    requisition(nurse, w.south, "10.25", status=RequisitionStatus.APPROVED)
    return Case(reverse("inventory:supplyreq_all"), {"status": RequisitionStatus.APPROVED, "sort": "total"}, table_rows,
                ("Number", "Location", "Total"), lambda r: (str(r), r.location.name, f"{r.total:.2f}"), count=2)


def _limits(w: World) -> Case:
    return Case(reverse("inventory:approvallimit_list"), {}, lambda context: context["rows"],
                ("Role", "Tier", "Approves"),
                lambda row: (str(row["role"]), str(row["tier"]), "yes" if row["approves"] else "no"))


def _orders(w: World) -> Case:
    supplier = vendor("Medline")
    line = [{"description": "Gloves", "quantity": 3, "unit_price": Decimal("9.25")}]
    order(w.north, supplier, w.user, line)
    order(w.north, supplier, w.user, line * 2, status=OrderStatus.PARTIAL)
    order(w.north, supplier, w.user, line, status=OrderStatus.CLOSED)
    order(w.south, supplier, w.user, line)
    return Case(reverse("inventory:po_list"), {"sort": "number"}, table_rows, ("Number", "Vendor", "Lines", "Total"),
                lambda o: (o.number, o.vendor.name, str(o.line_count), f"{o.total:.2f}"), count=2)


def _invoices(w: World) -> Case:
    supplier = vendor("Medline")
    po = order(w.north, supplier, w.user, [{"description": "Gloves", "quantity": 1,
                                                "unit_price": Decimal("5.25")}])
    for number, status in (("INV-1", InvoiceStatus.READY), ("INV-2", InvoiceStatus.READY),
                           ("INV-3", InvoiceStatus.VARIANCE)):
        VendorInvoice.objects.create(vendor=supplier, order=po, number=number, invoice_date=dt.date(2026, 1, 5),
                                     due_on=dt.date(2026, 2, 5), total=Decimal("5.25"), status=status,
                                     entered_by=w.user)
    return Case(reverse("inventory:vinvoice_list"), {"sort": "number"}, table_rows, ("Invoice", "Order", "Total"),
                lambda invoice: (invoice.number, invoice.order.number, "5.25"), hidden=[("INV-3",)])


def _rfqs(w: World) -> Case:
    for title in ("Gloves for 2026", "Paper"):
        rfq = RequestForQuote.objects.create(title=title, due_on=dt.date(2026, 2, 1), created_by=w.user)
        rfq.vendors.set([vendor("Medline"), vendor("McKesson")])
    return Case(reverse("inventory:rfq_list"), {"q": "gloves"}, table_rows, ("Title", "Vendors"),
                lambda rfq: (rfq.title, str(rfq.vendor_count)), hidden=[("Paper",)])


CASES: dict[str, Callable[[World], Case]] = {
    "items": _items, "storage places": _places, "stock on hand": _stock, "movements": _movements,
    "expiring": _expiring, "below par": lambda w: _pars(w, below_only=True),
    "par levels": lambda w: _pars(w, below_only=False), "suggested orders": _suggested, "stock counts": _counts,
    "my requisitions": _my_requisitions, "approval queue": _queue, "all requisitions": _all_requisitions,
    "approval limits": _limits, "purchase orders": _orders, "vendor invoices": _invoices, "quotes": _rfqs,
}


@pytest.fixture
def world(make_user: Callable[..., User], north: Location, south: Location) -> World:
    manager = make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north], username="supplies")
    return World(user=manager, north=north, south=south, make_user=make_user)


@pytest.mark.parametrize("name", list(CASES))
def test_each_list_exports_exactly_the_rows_its_page_shows_as_csv_and_xlsx(
        name: str, world: World, signed_in: Callable[[User], Client]) -> None:
    assert_exports_match_page(CASES[name](world), world, signed_in)


@pytest.mark.parametrize("name", [name for name in CASES if name not in ("my requisitions", "quotes",
                                                                         "vendor invoices")])
def test_a_role_that_cannot_open_a_list_cannot_export_it(
        name: str, world: World, signed_in: Callable[[User], Client]) -> None:
    case = CASES[name](world)
    outsider = world.make_user(Role.FRONT_DESK)
    assert_export_refused(case, outsider, signed_in)


@pytest.mark.parametrize("name", ["quotes", "vendor invoices"])
def test_clinical_staff_cannot_export_the_purchasing_lists(
        name: str, world: World, signed_in: Callable[[User], Client]) -> None:
    case = CASES[name](world)
    nurse = world.make_user(Role.CLINICAL_STAFF, locations=[world.north])
    assert signed_in(nurse).get(case.url, {**case.params, "export": "csv"}).status_code == 404
    assert not AuditEvent.objects.filter(actor=nurse, action="reports.list_exported").exists()


_serial = itertools.count(1)


def _grow_stock(w: World, count: int) -> None:
    room = w.place(f"Room {next(_serial)}")
    for _ in range(count):
        put(w.user, ItemFactory(preferred_vendor=vendor(f"Vendor {next(_serial)}")), room, 3)


def _grow_orders(w: World, count: int) -> None:
    for _ in range(count):
        company = vendor(f"Vendor {next(_serial)}")
        order(w.north, company, w.user, [{"description": "Gloves", "quantity": 1, "unit_price": Decimal("2")}])
        requisition(w.user, w.north, "5.00", status=RequisitionStatus.APPROVED, vendor_=company)


@pytest.mark.parametrize(("url_name", "grow"), [
    ("inventory:item_list", _grow_stock), ("inventory:stock_list", _grow_stock),
    ("inventory:movement_list", _grow_stock), ("inventory:po_list", _grow_orders),
    ("inventory:supplyreq_all", _grow_orders),
])
def test_the_export_query_count_does_not_grow_with_rows(
        url_name: str, grow: Callable[[World, int], None], world: World,
        signed_in: Callable[[User], Client]) -> None:
    client = signed_in(world.user)
    assert export_sizes_at_fixed_queries(client, reverse(url_name), lambda count: grow(world, count)) == (2, 7)
