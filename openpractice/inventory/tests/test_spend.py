"""Spend and vendor performance: the selectors against figures worked out by hand, their location scope, and the
report pages (tables, CSV, permissions, bad periods, query counts)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import sign_in, user_with_role
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.inventory.choices import InvoiceStatus, ItemCategory, OrderStatus
from openpractice.inventory.models import Packaging, Receipt, ReceiptLine, VendorInvoice, VendorItem
from openpractice.inventory.selectors import spend
from openpractice.inventory.tests.factories import ItemFactory, place_at
from openpractice.inventory.tests.factories_purchasing import order, vendor
from openpractice.vendors.choices import ContractKind, ContractStatus, NegotiationOutcome
from openpractice.vendors.models import Contract, Negotiation

pytestmark = pytest.mark.django_db
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def noon(day: str) -> dt.datetime:
    """Noon UTC: the same calendar day in the practice's zone (America/New_York)."""
    return dt.datetime.fromisoformat(f"{day}T12:00:00+00:00")


def receive(purchase_order: Any, day: str, by: Any, quantities: list[tuple[Any, int]]) -> Receipt:
    """A delivery recorded directly (the line's running `received` is set by the fixtures themselves)."""
    receipt = Receipt.objects.create(order=purchase_order, received_at=noon(day), received_by=by,
                                     place=purchase_order.receive_into)
    for line, quantity in quantities:
        ReceiptLine.objects.create(receipt=receipt, order_line=line, quantity=quantity)
    return receipt


# --- vendor performance ----------------------------------------------------------------------------------------


@pytest.fixture
def performance_world(north: Any, south: Any) -> dict[str, Any]:
    """Vendor A: three orders in March (one late delivery, one overdue with nothing, one without a date);
    vendor B: one on time, one not yet due, plus orders that must not count (February, a draft, at South)."""
    buyer = user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    a, b = vendor("Alpha Medical"), vendor("Beta Office")
    a1 = order(north, a, buyer, [{"description": "Gauze", "quantity": 10, "unit_price": Decimal("1"), "received": 10},
                                 {"description": "Tape", "quantity": 5, "unit_price": Decimal("1"), "received": 3,
                                  "damaged": 1}],
               status=OrderStatus.PARTIAL, placed_at=noon("2026-03-02"), expected_on=dt.date(2026, 3, 10))
    gauze, tape = a1.lines.order_by("pk")
    receive(a1, "2026-03-09", buyer, [(gauze, 10)])  # on time
    receive(a1, "2026-03-12", buyer, [(tape, 3)])  # late
    order(north, a, buyer, [{"description": "Gowns", "quantity": 4, "unit_price": Decimal("1")}],
          placed_at=noon("2026-03-20"), expected_on=dt.date(2026, 4, 1))  # overdue on 15 April, nothing came
    a3 = order(north, a, buyer, [{"description": "Masks", "quantity": 6, "unit_price": Decimal("1"), "received": 6}],
               status=OrderStatus.RECEIVED, placed_at=noon("2026-03-25"))  # no expected date: not measured
    receive(a3, "2026-03-28", buyer, [(a3.lines.get(), 6)])
    b1 = order(north, b, buyer, [{"description": "Paper", "quantity": 8, "unit_price": Decimal("1"), "received": 8}],
               status=OrderStatus.RECEIVED, placed_at=noon("2026-03-05"), expected_on=dt.date(2026, 3, 8))
    receive(b1, "2026-03-08", buyer, [(b1.lines.get(), 8)])  # on the day: on time
    order(north, b, buyer, [{"description": "Pens", "quantity": 2, "unit_price": Decimal("1")}],
          placed_at=noon("2026-03-15"), expected_on=dt.date(2026, 4, 20))  # not due yet
    # Never counted: placed in February, a draft, and an order to South for a North-only user.
    order(north, b, buyer, [{"description": "Old", "quantity": 50, "unit_price": Decimal("1")}],
          placed_at=noon("2026-02-20"), expected_on=dt.date(2026, 2, 25))
    order(north, b, buyer, [{"description": "Draft", "quantity": 50, "unit_price": Decimal("1")}],
          status=OrderStatus.DRAFT)
    order(south, b, buyer, [{"description": "South", "quantity": 50, "unit_price": Decimal("1")}],
          placed_at=noon("2026-03-10"), expected_on=dt.date(2026, 3, 11))
    return {"buyer": buyer, "a": a, "b": b}


def test_vendor_performance_matches_the_figures_worked_out_by_hand(performance_world: dict[str, Any]) -> None:
    rows = spend.vendor_performance(actor=performance_world["buyer"], start=MARCH[0], end=MARCH[1],
                                    today=dt.date(2026, 4, 15))
    alpha, beta = rows
    assert (alpha.vendor, alpha.orders, alpha.ordered, alpha.received, alpha.damaged, alpha.back_ordered) == (
        "Alpha Medical", 3, 25, 19, 1, 6)
    assert alpha.fill_rate == Decimal("76.0")  # 19 of 25
    assert (alpha.deliveries_measured, alpha.deliveries_on_time) == (3, 1)  # on time, late, overdue with nothing
    assert alpha.on_time_rate == Decimal("33.3")
    assert (beta.vendor, beta.orders, beta.ordered, beta.received, beta.back_ordered) == ("Beta Office", 2, 10, 8, 2)
    assert beta.fill_rate == Decimal("80.0")
    assert (beta.deliveries_measured, beta.deliveries_on_time, beta.on_time_rate) == (1, 1, Decimal("100.0"))


def test_vendor_performance_counts_the_overdue_order_only_once_it_is_overdue(
        performance_world: dict[str, Any]) -> None:
    alpha = spend.vendor_performance(actor=performance_world["buyer"], start=MARCH[0], end=MARCH[1],
                                     today=dt.date(2026, 4, 1))[0]
    assert (alpha.deliveries_measured, alpha.deliveries_on_time) == (2, 1)  # due today is not late yet


def test_vendor_performance_page_and_csv(performance_world: dict[str, Any], north: Any) -> None:
    client = sign_in(Client(), user_with_role(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north]))
    page = client.get(reverse("inventory:vendorperf_report"), {"start": "2026-03-01", "end": "2026-03-31"})
    assert page.status_code == 200
    assert [row.vendor for row in page.context["rows"]] == ["Alpha Medical", "Beta Office"]
    assert "76.0 %" in page.content.decode()
    csv_text = client.get(reverse("inventory:vendorperf_report"), {
        "start": "2026-03-01", "end": "2026-03-31", "format": "csv"}).content.decode()
    assert csv_text.splitlines()[1].startswith("Alpha Medical,3,25,19,1,6,76.0,")


# --- spend by vendor, category, location -----------------------------------------------------------------------


@pytest.fixture
def spend_world(north: Any, south: Any) -> dict[str, Any]:
    buyer = user_with_role(Role.PRACTICE_MANAGER, Tier.ENTRY)
    a, b = vendor("Alpha Medical"), vendor("Beta Office")
    gloves = ItemFactory(name="Gloves", category=ItemCategory.MEDICAL)
    paper = ItemFactory(name="Paper", category=ItemCategory.OFFICE)
    north_order = order(north, a, buyer, [
        {"item": gloves, "quantity": 10, "unit_price": Decimal("8.50"), "received": 7},
        {"description": "Waiting room chair", "quantity": 2, "unit_price": Decimal("180.00"), "received": 2}],
        status=OrderStatus.PARTIAL, placed_at=noon("2026-02-20"))
    gloves_line, chair_line = north_order.lines.order_by("pk")
    receive(north_order, "2026-02-27", buyer, [(gloves_line, 1)])  # before the period
    receive(north_order, "2026-03-09", buyer, [(gloves_line, 6)])  # 51.00
    receive(north_order, "2026-03-10", buyer, [(chair_line, 2)])  # 360.00
    invoice = VendorInvoice.objects.create(vendor=a, order=north_order, number="A-1", invoice_date=dt.date(2026, 3, 15),
                                           total=Decimal("412.50"), status=InvoiceStatus.VARIANCE, entered_by=buyer)
    invoice.lines.create(order_line=gloves_line, quantity=6, unit_price=Decimal("8.75"))  # 52.50
    invoice.lines.create(order_line=chair_line, quantity=2, unit_price=Decimal("180.00"))  # 360.00
    south_order = order(south, b, buyer, [{"item": paper, "quantity": 5, "unit_price": Decimal("4.00"),
                                           "received": 5}], status=OrderStatus.RECEIVED, placed_at=noon("2026-03-01"))
    receive(south_order, "2026-03-11", buyer, [(south_order.lines.get(), 5)])  # 20.00
    late = VendorInvoice.objects.create(vendor=b, order=south_order, number="B-1", invoice_date=dt.date(2026, 4, 2),
                                        total=Decimal("20.00"), status=InvoiceStatus.READY, entered_by=buyer)
    late.lines.create(order_line=south_order.lines.get(), quantity=5, unit_price=Decimal("4.00"))
    return {"buyer": buyer}


def _table(rows: list[spend.SpendRow]) -> list[tuple[str, Decimal, Decimal]]:
    return [(row.label, row.received, row.invoiced) for row in rows]


def test_spend_by_vendor_category_and_location(spend_world: dict[str, Any]) -> None:
    buyer = spend_world["buyer"]
    assert _table(spend.spend_by(actor=buyer, by="vendor", start=MARCH[0], end=MARCH[1])) == [
        ("Alpha Medical", Decimal("411.00"), Decimal("412.50")), ("Beta Office", Decimal("20.00"), Decimal("0.00"))]
    assert _table(spend.spend_by(actor=buyer, by="category", start=MARCH[0], end=MARCH[1])) == [
        ("Not in the catalogue", Decimal("360.00"), Decimal("360.00")),
        ("Medical supply", Decimal("51.00"), Decimal("52.50")),
        ("Office supply", Decimal("20.00"), Decimal("0.00"))]
    assert _table(spend.spend_by(actor=buyer, by="location", start=MARCH[0], end=MARCH[1])) == [
        ("North Clinic", Decimal("411.00"), Decimal("412.50")), ("South Clinic", Decimal("20.00"), Decimal("0.00"))]


def test_spend_covers_only_the_locations_where_the_user_manages_inventory(spend_world: dict[str, Any],
                                                                          south: Any) -> None:
    south_manager = user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[south])
    assert _table(spend.spend_by(actor=south_manager, by="vendor", start=MARCH[0], end=dt.date(2026, 4, 30))) == [
        ("Beta Office", Decimal("20.00"), Decimal("20.00"))]


def test_spend_pages_open_for_managers_and_download_as_csv(spend_world: dict[str, Any], north: Any) -> None:
    client = sign_in(Client(), spend_world["buyer"])
    for name in ("spend_report", "spend_prices", "spend_savings", "spend_offcontract", "vendorperf_report"):
        assert client.get(reverse(f"inventory:{name}")).status_code == 200, name
    page = client.get(reverse("inventory:spend_report"), {"by": "category", "start": "2026-03-01",
                                                          "end": "2026-03-31"})
    assert page.status_code == 200
    assert "Medical supply" in page.content.decode()
    download = client.get(reverse("inventory:spend_report"), {"by": "vendor", "start": "2026-03-01",
                                                              "end": "2026-03-31", "format": "csv"})
    assert download["Content-Type"].startswith("text/csv")
    assert download.content.decode().splitlines() == [
        "Vendor,Received,Invoiced", "Alpha Medical,411.00,412.50", "Beta Office,20.00,0.00"]


def test_a_backwards_period_is_refused_with_a_clear_message(spend_world: dict[str, Any]) -> None:
    client = sign_in(Client(), spend_world["buyer"])
    page = client.get(reverse("inventory:spend_report"), {"start": "2026-03-31", "end": "2026-03-01"})
    assert page.status_code == 400
    assert "The end is before the start." in page.content.decode()
    assert page.context["rows"] == []


def test_spend_is_not_shown_to_those_who_do_not_manage_inventory(spend_world: dict[str, Any], north: Any) -> None:
    nurse = user_with_role(Role.CLINICAL_STAFF, locations=[north])
    client = sign_in(Client(), nurse)
    for name in ("spend_report", "spend_prices", "spend_savings", "spend_offcontract", "vendorperf_report"):
        assert client.get(reverse(f"inventory:{name}")).status_code == 404, name
    assert AuditEvent.objects.filter(actor=nurse, outcome=Outcome.DENIED).count() == 5


# --- price history, savings, off-contract buying --------------------------------------------------------------


@pytest.fixture
def contract_world(north: Any) -> dict[str, Any]:
    buyer = user_with_role(Role.PRACTICE_MANAGER, Tier.ENTRY)
    a, b = vendor("Alpha Medical"), vendor("Beta Office")
    gloves = ItemFactory(name="Gloves", sku="GLV-1")
    box = Packaging.objects.create(item=gloves, name="box", base_quantity=100)
    paper = ItemFactory(name="Paper")
    active = Contract.objects.create(vendor=a, kind=ContractKind.SUPPLY, title="Alpha supply agreement",
                                     starts_on=dt.date(2026, 1, 1), status=ContractStatus.ACTIVE)
    ended = Contract.objects.create(vendor=b, kind=ContractKind.SUPPLY, title="Old Beta deal",
                                    starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2025, 12, 31),
                                    status=ContractStatus.ENDED)
    VendorItem.objects.create(vendor=a, item=gloves, packaging=box, price=Decimal("8.00"),
                              effective_from=dt.date(2026, 1, 1), contract=active)
    VendorItem.objects.create(vendor=b, item=gloves, packaging=box, price=Decimal("7.00"),
                              effective_from=dt.date(2025, 1, 1), contract=ended)
    VendorItem.objects.create(vendor=b, item=gloves, packaging=box, price=Decimal("7.50"),
                              effective_from=dt.date(2026, 2, 1))
    VendorItem.objects.create(vendor=a, item=paper, price=Decimal("4.00"), effective_from=dt.date(2026, 1, 1))
    order(north, a, buyer, [
        {"item": gloves, "packaging": box, "quantity": 3, "unit_price": Decimal("8.00")},  # on contract
        {"item": gloves, "packaging": box, "quantity": 10, "unit_price": Decimal("8.50")},  # above: 5.00 more
        {"item": paper, "quantity": 4, "unit_price": Decimal("4.00")},  # no contract for paper
        {"description": "Waiting room chair", "quantity": 1, "unit_price": Decimal("180.00")},
    ], placed_at=noon("2026-03-03"))
    order(north, b, buyer, [
        {"item": gloves, "packaging": box, "quantity": 2, "unit_price": Decimal("7.90")},  # below A's price
        {"item": gloves, "quantity": 50, "unit_price": Decimal("0.10")},  # each: 0.02 a glove above A's 0.08
    ], placed_at=noon("2026-03-04"))
    return {"buyer": buyer, "gloves": gloves, "a": a, "b": b}


def test_off_contract_buying_names_each_line_and_what_it_cost_above_the_contract(
        contract_world: dict[str, Any]) -> None:
    rows = spend.off_contract(actor=contract_world["buyer"], start=MARCH[0], end=MARCH[1])
    assert [(row.vendor, row.what.split(" (")[0], row.reason, row.contract_vendor, row.contract_price, row.overspend)
            for row in rows] == [
        ("Alpha Medical", "Gloves", spend.ABOVE_CONTRACT, "Alpha Medical", Decimal("8.0000"), Decimal("5.00")),
        ("Alpha Medical", "Paper", spend.NO_CONTRACT, "", None, Decimal("0.00")),
        ("Alpha Medical", "Waiting room chair", spend.NOT_IN_CATALOGUE, "", None, Decimal("0.00")),
        ("Beta Office", "Gloves", spend.OTHER_VENDOR, "Alpha Medical", Decimal("8.0000"), Decimal("0.00")),
        ("Beta Office", "Gloves", spend.OTHER_VENDOR, "Alpha Medical", Decimal("0.0800"), Decimal("1.00")),
    ]


def test_the_off_contract_page_sums_by_reason(contract_world: dict[str, Any]) -> None:
    client = sign_in(Client(), contract_world["buyer"])
    page = client.get(reverse("inventory:spend_offcontract"), {"start": "2026-03-01", "end": "2026-03-31"})
    assert page.status_code == 200
    assert page.context["overspend"] == Decimal("6.00")
    assert page.context["total"] == Decimal("85.00") + Decimal("16.00") + Decimal("180.00") + Decimal("15.80") + \
        Decimal("5.00")


def test_price_history_shows_every_vendors_schedule_and_what_orders_paid(contract_world: dict[str, Any]) -> None:
    schedule, paid = spend.price_history(actor=contract_world["buyer"], item=contract_world["gloves"],
                                         start=MARCH[0], end=MARCH[1])
    assert [(row.vendor, row.price, row.unit_price, row.contract) for row in schedule] == [
        ("Alpha Medical", Decimal("8.0000"), Decimal("0.0800"), "Alpha supply agreement"),
        ("Beta Office", Decimal("7.5000"), Decimal("0.0750"), ""),
        ("Beta Office", Decimal("7.0000"), Decimal("0.0700"), "Old Beta deal"),
    ]
    assert sorted((row.vendor, row.price, row.unit_price) for row in paid) == [
        ("Alpha Medical", Decimal("8.0000"), Decimal("0.0800")),
        ("Alpha Medical", Decimal("8.5000"), Decimal("0.0850")),
        ("Beta Office", Decimal("0.1000"), Decimal("0.1000")),
        ("Beta Office", Decimal("7.9000"), Decimal("0.0790")),
    ]
    client = sign_in(Client(), contract_world["buyer"])
    page = client.get(reverse("inventory:spend_prices"), {"sku": "glv-1", "start": "2026-03-01", "end": "2026-03-31"})
    assert page.status_code == 200
    assert len(page.context["paid"]) == 4
    unknown = client.get(reverse("inventory:spend_prices"), {"sku": "NOPE", "start": "2026-03-01",
                                                             "end": "2026-03-31"})
    assert unknown.status_code == 400
    assert "No catalogue item has this number." in unknown.content.decode()


def test_savings_count_agreements_in_the_period(contract_world: dict[str, Any]) -> None:
    a, b, buyer = contract_world["a"], contract_world["b"], contract_world["buyer"]
    for who, day, outcome, savings in [
            (a, "2026-03-03", NegotiationOutcome.AGREED, "1200.00"), (a, "2026-03-20", NegotiationOutcome.PARTLY, "300.00"),
            (b, "2026-03-05", NegotiationOutcome.DECLINED, "500.00"), (b, "2026-03-06", NegotiationOutcome.AGREED, "0"),
            (a, "2025-12-01", NegotiationOutcome.AGREED, "999.00")]:
        Negotiation.objects.create(vendor=who, held_on=dt.date.fromisoformat(day), asks="Lower prices",
                                   outcome=outcome, annual_savings=Decimal(savings), logged_by=buyer)
    rows, per_vendor, total = spend.negotiation_savings(start=MARCH[0], end=MARCH[1])
    assert len(rows) == 2
    assert [(row.vendor, row.negotiations, row.annual_savings) for row in per_vendor] == [
        ("Alpha Medical", 2, Decimal("1500.00"))]
    assert total == Decimal("1500.00")
    client = sign_in(Client(), buyer)
    download = client.get(reverse("inventory:spend_savings"), {"start": "2026-03-01", "end": "2026-03-31",
                                                               "format": "csv"})
    assert len(download.content.decode().splitlines()) == 3


# --- query counts ----------------------------------------------------------------------------------------------


def _add_orders(location: Any, creator: Any, count: int) -> None:
    supplier = vendor(f"Supplier {location.pk}-{AuditEvent.objects.count()}-{count}")
    place = place_at(location, f"Room {supplier.pk}")
    item = ItemFactory()
    for n in range(count):
        made = order(location, supplier, creator, [{"item": item, "quantity": 4, "unit_price": Decimal("2.00"),
                                                    "received": 2}], placed_at=noon("2026-03-10"),
                     expected_on=dt.date(2026, 3, 12), place=place)
        receive(made, f"2026-03-{11 + n % 3:02d}", creator, [(made.lines.get(), 2)])


def _queries(client: Client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("name", ["spend_report", "spend_offcontract", "vendorperf_report", "spend_prices"])
def test_report_query_counts_do_not_grow_with_rows(name: str, north: Any) -> None:
    manager = user_with_role(Role.PRACTICE_MANAGER, Tier.ENTRY)
    client = sign_in(Client(), manager)
    _add_orders(north, manager, 2)
    item = ItemFactory(sku="COUNT-1")
    query = "?start=2026-03-01&end=2026-03-31" + ("&sku=COUNT-1" if name == "spend_prices" else "")
    url = reverse(f"inventory:{name}") + query
    few = _queries(client, url)
    _add_orders(north, manager, 12)
    supplier = vendor("Counted")
    order(north, supplier, manager, [{"item": item, "quantity": 1, "unit_price": Decimal("1")}] * 5,
          placed_at=noon("2026-03-10"))
    assert _queries(client, url) == few
