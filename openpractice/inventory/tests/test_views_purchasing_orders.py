"""Purchase order and vendor invoice pages: the list and its filters, the PDF, the email reaching a real SMTP server
with the PDF attached, receiving partly (damaged packages, lots, back orders) with more than owed refused, the
vendor's invoice matched three ways (a bill from another vendor refused), differences accepted by a second
manager, paid; refusals change nothing; lists cost the same number of queries with more rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import sign_in, user_with_role
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.inventory.choices import InvoiceStatus, OrderStatus
from openpractice.inventory.models import (
    Packaging,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    StockLevel,
    StockMovement,
    VendorInvoice,
)
from openpractice.inventory.tests.factories import ItemFactory, place_at
from openpractice.inventory.tests.factories_purchasing import order, vendor

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    return sign_in(Client(), user)


def denials(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def state() -> list[Any]:
    return [list(model.objects.order_by("pk").values_list())
            for model in (PurchaseOrder, PurchaseOrderLine, Receipt, StockLevel, StockMovement, VendorInvoice)]


@pytest.fixture
def gloves_order(north: Any) -> dict[str, Any]:
    """A draft order to Medline for 10 boxes of lot-tracked gloves and 2 chairs, to be received at North."""
    manager = user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    medline = vendor("Medline", "orders@medline.test")
    gloves = ItemFactory(name="Nitrile gloves", lot_tracked=True)
    box = Packaging.objects.create(item=gloves, name="box", base_quantity=100)
    room = place_at(north, "Main supply room")
    made = order(north, medline, manager, [
        {"item": gloves, "packaging": box, "quantity": 10, "unit_price": Decimal("8.50")},
        {"description": "Waiting room chair", "quantity": 2, "unit_price": Decimal("180.00")}],
        status=OrderStatus.DRAFT, place=room)
    gloves_line, chair_line = made.lines.order_by("pk")
    return {"manager": manager, "order": made, "gloves": gloves, "room": room, "vendor": medline,
            "gloves_line": gloves_line, "chair_line": chair_line}


def url(name: str, obj: Any) -> str:
    return reverse(f"inventory:{name}", kwargs={"pk": obj.pk})


def test_the_order_page_and_its_pdf(gloves_order: dict[str, Any], north: Any) -> None:
    nurse = user_with_role(Role.CLINICAL_STAFF, locations=[north])  # inventory.view: sees, does not manage
    client = client_for(nurse)
    page = client.get(url("po_detail", gloves_order["order"]))
    assert page.status_code == 200
    assert page.context["may_send"] is False
    assert page.context["total"] == Decimal("445.00")
    pdf = client.get(url("po_pdf", gloves_order["order"]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_sending_emails_the_vendor_with_the_pdf_attached(gloves_order: dict[str, Any], smtp_server: Any) -> None:
    client = client_for(gloves_order["manager"])
    made = gloves_order["order"]
    response = client.post(url("po_send", made))
    assert response.status_code == 302
    [message] = smtp_server.messages
    assert message["To"] == "orders@medline.test"
    assert made.number in message["Subject"]
    [attachment] = [part for part in message.walk() if part.get_content_type() == "application/pdf"]
    assert attachment.get_filename() == f"{made.number}.pdf"
    assert attachment.get_payload(decode=True).startswith(b"%PDF")
    made.refresh_from_db()
    assert (made.status, made.sent_to) == (OrderStatus.SENT, "orders@medline.test")
    again = client.post(url("po_send", made), follow=True)
    assert "already sent" in again.content.decode()
    assert len(smtp_server.messages) == 1


def test_those_who_do_not_manage_cannot_send_and_nothing_changes(gloves_order: dict[str, Any], north: Any,
                                                                 smtp_server: Any) -> None:
    nurse = user_with_role(Role.CLINICAL_STAFF, locations=[north])
    before = state()
    assert client_for(nurse).post(url("po_send", gloves_order["order"])).status_code == 404
    assert state() == before
    assert smtp_server.messages == []
    assert denials(nurse) == 1


def test_an_order_at_another_location_is_not_found(gloves_order: dict[str, Any], south: Any) -> None:
    south_manager = user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[south])
    client = client_for(south_manager)
    before = state()
    for name in ("po_detail", "po_pdf", "po_receive", "po_invoice"):
        assert client.get(url(name, gloves_order["order"])).status_code == 404, name
    assert client.post(url("po_send", gloves_order["order"])).status_code == 404
    assert state() == before
    assert denials(south_manager) == 5


def _sent(gloves_order: dict[str, Any]) -> PurchaseOrder:
    made = gloves_order["order"]
    PurchaseOrder.objects.filter(pk=made.pk).update(status=OrderStatus.SENT)
    made.refresh_from_db()
    return made


def test_receiving_partly_with_damage_and_a_lot_leaves_a_back_order(gloves_order: dict[str, Any],
                                                                     north: Any) -> None:
    made = _sent(gloves_order)
    gloves_line, chair_line = gloves_order["gloves_line"], gloves_order["chair_line"]
    nurse = user_with_role(Role.CLINICAL_STAFF, locations=[north])  # inventory.use: puts stock away
    client = client_for(nurse)
    page = client.get(url("po_receive", made))
    assert page.status_code == 200
    assert f"lot_{gloves_line.pk}" in page.context["form"].fields
    assert f"lot_{chair_line.pk}" not in page.context["form"].fields
    response = client.post(url("po_receive", made), {
        "place": gloves_order["room"].pk, "packing_slip": "PS-1",
        f"good_{gloves_line.pk}": "6", f"damaged_{gloves_line.pk}": "1", f"lot_{gloves_line.pk}": "G-77",
        f"expires_{gloves_line.pk}": "2029-01-01", f"good_{chair_line.pk}": "2", f"damaged_{chair_line.pk}": "0"})
    assert response.status_code == 302
    made.refresh_from_db()
    gloves_line.refresh_from_db()
    assert made.status == OrderStatus.PARTIAL
    assert (gloves_line.received, gloves_line.damaged, gloves_line.back_ordered) == (6, 1, 4)
    level = StockLevel.objects.get(item=gloves_order["gloves"], place=gloves_order["room"])
    assert (level.quantity, level.lot.number) == (600, "G-77")
    detail = client.get(url("po_detail", made))
    assert detail.context["back_ordered"] == 4
    assert "4 packages are still on back order." in detail.content.decode()


def test_receiving_more_than_is_owed_is_refused_and_changes_nothing(gloves_order: dict[str, Any]) -> None:
    made = _sent(gloves_order)
    gloves_line, chair_line = gloves_order["gloves_line"], gloves_order["chair_line"]
    client = client_for(gloves_order["manager"])
    before = state()
    response = client.post(url("po_receive", made), {
        "place": gloves_order["room"].pk, f"good_{gloves_line.pk}": "2", f"lot_{gloves_line.pk}": "G-1",
        f"good_{chair_line.pk}": "3"})
    assert response.status_code == 400
    assert "only 2 still owed" in response.content.decode()
    assert state() == before


def test_a_lot_tracked_item_needs_its_lot_number(gloves_order: dict[str, Any]) -> None:
    made = _sent(gloves_order)
    before = state()
    response = client_for(gloves_order["manager"]).post(url("po_receive", made), {
        "place": gloves_order["room"].pk, f"good_{gloves_order['gloves_line'].pk}": "1"})
    assert response.status_code == 400
    assert "enter the lot number" in response.content.decode()
    assert state() == before


def test_a_draft_order_is_not_received(gloves_order: dict[str, Any]) -> None:
    client = client_for(gloves_order["manager"])
    page = client.get(url("po_receive", gloves_order["order"]))
    assert page.context["receivable"] is False
    before = state()
    response = client.post(url("po_receive", gloves_order["order"]), {
        "place": gloves_order["room"].pk, f"good_{gloves_order['chair_line'].pk}": "1"})
    assert response.status_code == 400
    assert "Only an order sent to the vendor can be received." in response.content.decode()
    assert state() == before


def test_expected_date_and_notes(gloves_order: dict[str, Any]) -> None:
    made = gloves_order["order"]
    client = client_for(gloves_order["manager"])
    response = client.post(url("po_edit", made), {"expected_on": "2030-05-02", "notes": "Deliver to the back door"})
    assert response.status_code == 302
    made.refresh_from_db()
    assert (made.expected_on, made.notes) == (dt.date(2030, 5, 2), "Deliver to the back door")
    made = _sent(gloves_order)
    refused = client.post(url("po_edit", made), {"expected_on": "2030-05-03", "notes": "Changed"})
    assert refused.status_code == 400
    assert "no longer change" in refused.content.decode()
    made.refresh_from_db()
    assert made.expected_on == dt.date(2030, 5, 2)


# --- the vendor's invoice --------------------------------------------------------------------------------------


@pytest.fixture
def received(gloves_order: dict[str, Any]) -> dict[str, Any]:
    """The order sent, 6 boxes of gloves and both chairs received."""
    made = _sent(gloves_order)
    client_for(gloves_order["manager"]).post(url("po_receive", made), {
        "place": gloves_order["room"].pk, f"good_{gloves_order['gloves_line'].pk}": "6",
        f"lot_{gloves_order['gloves_line'].pk}": "G-77", f"good_{gloves_order['chair_line'].pk}": "2"})
    return gloves_order


def _invoice(data: dict[str, Any], vendor_pk: int, number: str, total: str, gloves: tuple[str, str],
             chairs: tuple[str, str]) -> dict[str, Any]:
    return {"vendor": vendor_pk, "number": number, "invoice_date": "2026-03-15", "due_on": "2026-04-14",
            "total": total, f"quantity_{data['gloves_line'].pk}": gloves[0], f"price_{data['gloves_line'].pk}": gloves[1],
            f"quantity_{data['chair_line'].pk}": chairs[0], f"price_{data['chair_line'].pk}": chairs[1]}


def test_an_invoice_that_matches_is_ready_to_pay_then_paid(received: dict[str, Any]) -> None:
    client = client_for(received["manager"])
    page = client.get(url("po_invoice", received["order"]))
    assert page.status_code == 200
    assert page.context["form"][f"quantity_{received['gloves_line'].pk}"].initial == 6  # received, not invoiced
    response = client.post(url("po_invoice", received["order"]), _invoice(
        received, received["vendor"].pk, "INV-1", "411.00", ("6", "8.50"), ("2", "180.00")))
    invoice = VendorInvoice.objects.get()
    assert response.status_code == 302
    assert (invoice.status, invoice.variances) == (InvoiceStatus.READY, [])
    listing = client.get(reverse("inventory:vinvoice_list"))
    assert [row.pk for row in listing.context["table"].page.object_list] == [invoice.pk]
    client.post(url("vinvoice_paid", invoice))
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


def test_quantity_and_price_variances_are_shown_and_a_second_manager_accepts_them(received: dict[str, Any],
                                                                                  north: Any) -> None:
    client = client_for(received["manager"])
    client.post(url("po_invoice", received["order"]), _invoice(
        received, received["vendor"].pk, "INV-2", "445.00", ("10", "8.50"), ("2", "180.00")))
    invoice = VendorInvoice.objects.get(number="INV-2")
    assert invoice.status == InvoiceStatus.VARIANCE
    page = client.get(url("vinvoice_detail", invoice))
    gloves_row = page.context["lines"][0]
    assert (gloves_row.ordered, gloves_row.received, gloves_row.invoiced_in_all, gloves_row.quantity_variance) == (
        10, 6, 10, 4)
    assert "invoiced 10, received 6" in page.content.decode()
    refused = client.post(url("vinvoice_accept", invoice), {"note": "Credit note coming"})
    assert refused.status_code == 400
    assert "Someone other than the person who entered the invoice" in refused.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.VARIANCE
    second = user_with_role(Role.PRACTICE_MANAGER, Tier.ENTRY, locations=[north])
    no_reason = client_for(second).post(url("vinvoice_accept", invoice), {"note": ""})
    assert no_reason.status_code == 400
    assert client_for(second).post(url("vinvoice_accept", invoice), {"note": "Credit note coming"}).status_code == 302
    invoice.refresh_from_db()
    assert (invoice.status, invoice.approved_by) == (InvoiceStatus.READY, second)


def test_a_price_variance_is_counted_per_line(received: dict[str, Any]) -> None:
    client_for(received["manager"]).post(url("po_invoice", received["order"]), _invoice(
        received, received["vendor"].pk, "INV-3", "412.50", ("6", "8.75"), ("2", "180.00")))
    invoice = VendorInvoice.objects.get(number="INV-3")
    page = client_for(received["manager"]).get(url("vinvoice_detail", invoice))
    assert page.context["lines"][0].price_variance == Decimal("1.50")
    assert invoice.status == InvoiceStatus.VARIANCE


def test_an_invoice_from_another_vendor_is_refused_and_nothing_is_entered(received: dict[str, Any]) -> None:
    staples = vendor("Staples")
    before = state()
    response = client_for(received["manager"]).post(url("po_invoice", received["order"]), _invoice(
        received, staples.pk, "ST-1", "411.00", ("6", "8.50"), ("2", "180.00")))
    assert response.status_code == 400
    assert "was placed with Medline, not with Staples" in response.content.decode()
    assert state() == before


def test_an_invoice_number_is_entered_once_per_vendor(received: dict[str, Any]) -> None:
    client = client_for(received["manager"])
    data = _invoice(received, received["vendor"].pk, "INV-9", "51.00", ("6", "8.50"), ("0", "180.00"))
    client.post(url("po_invoice", received["order"]), data)
    again = client.post(url("po_invoice", received["order"]), data)
    assert again.status_code == 400
    assert "already entered" in again.content.decode()
    assert VendorInvoice.objects.count() == 1


def test_invoices_are_for_managers_only(received: dict[str, Any], north: Any) -> None:
    nurse = user_with_role(Role.CLINICAL_STAFF, locations=[north])
    client = client_for(nurse)
    before = state()
    assert client.get(url("po_invoice", received["order"])).status_code == 404
    assert client.post(url("po_invoice", received["order"]), _invoice(
        received, received["vendor"].pk, "X", "1.00", ("1", "1"), ("0", "1"))).status_code == 404
    assert client.get(reverse("inventory:vinvoice_list")).status_code == 404
    assert state() == before
    assert denials(nurse) == 3


# --- query counts ----------------------------------------------------------------------------------------------


def _queries(client: Client, address: str) -> int:
    client.get(address)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(address)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_order_and_invoice_lists_cost_the_same_queries_with_more_rows(north: Any, south: Any) -> None:
    manager = user_with_role(Role.PRACTICE_MANAGER, Tier.ENTRY)
    client = client_for(manager)

    def add(count: int) -> None:
        for n in range(count):
            supplier = vendor(f"Vendor {PurchaseOrder.objects.count()}-{n}")
            made = order(north if n % 2 else south, supplier, manager, [
                {"description": "Chair", "quantity": 2, "unit_price": Decimal("10")},
                {"description": "Desk", "quantity": 1, "unit_price": Decimal("50")}])
            VendorInvoice.objects.create(vendor=supplier, order=made, number=f"I-{made.pk}",
                                         invoice_date=dt.date(2026, 3, 1), total=Decimal("70"),
                                         status=InvoiceStatus.READY, entered_by=manager)

    add(2)
    orders_url, invoices_url = reverse("inventory:po_list") + "?status=all", reverse("inventory:vinvoice_list")
    few = (_queries(client, orders_url), _queries(client, invoices_url))
    add(12)
    assert (_queries(client, orders_url), _queries(client, invoices_url)) == few
