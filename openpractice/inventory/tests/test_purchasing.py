"""Purchasing: approval limits per role and tier, orders per vendor, the order emailed with its PDF to a real SMTP
server, partial receiving with a back order and damaged packages, and the three-way match."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import user_with_role
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.inventory.choices import InvoiceStatus, OrderStatus, RequisitionStatus
from openpractice.inventory.models import Packaging, PurchaseOrder, Requisition, StockLevel
from openpractice.inventory.services import purchasing
from openpractice.inventory.services.purchasing import InvoicedIn, LineIn, ReceivedIn
from openpractice.inventory.tests.factories import ItemFactory, place_at
from openpractice.vendors.choices import VendorKind
from openpractice.vendors.models import Vendor

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 27)


def _requisition(actor: Any, location: Any, amount: str, vendor: Any = None, item: Any = None) -> Requisition:
    requisition = purchasing.requisition_create(actor=actor, location=location, lines=[
        LineIn(quantity=1, unit_price=Decimal(amount), item=item, description="" if item else "Waiting room chair",
               vendor=vendor)])
    return purchasing.requisition_submit(actor=actor, requisition=requisition)


@pytest.mark.parametrize(("role", "tier", "amount", "allowed"), [
    (Role.OFFICE_MANAGER, Tier.ENTRY, "500.00", True),
    (Role.OFFICE_MANAGER, Tier.ENTRY, "500.01", False),
    (Role.OFFICE_MANAGER, Tier.MID, "2500.00", True),
    (Role.OFFICE_MANAGER, Tier.MID, "2500.01", False),
    (Role.OFFICE_MANAGER, Tier.EXPERIENCED, "10000.00", True),
    (Role.OFFICE_MANAGER, Tier.EXPERIENCED, "10000.01", False),
    (Role.PRACTICE_MANAGER, Tier.ENTRY, "250000.00", True),
    (Role.FRONT_DESK, Tier.STANDARD, "1.00", False),
    (Role.CLINICAL_STAFF, Tier.STANDARD, "1.00", False),
])
def test_approval_limits_by_role_and_tier(north: Any, role: str, tier: str, amount: str, allowed: bool) -> None:
    requester = user_with_role(Role.CLINICAL_STAFF, locations=[north])
    approver = user_with_role(role, tier, locations=[north])
    requisition = _requisition(requester, north, amount)
    if allowed:
        assert purchasing.requisition_decide(actor=approver, requisition=requisition,
                                             approve=True).status == RequisitionStatus.APPROVED
    else:
        with pytest.raises(PermissionDenied):
            purchasing.requisition_decide(actor=approver, requisition=requisition, approve=True)
        requisition.refresh_from_db()
        assert requisition.status == RequisitionStatus.SUBMITTED
        assert AuditEvent.objects.filter(actor_id=approver.pk, outcome=Outcome.DENIED).exists()


def test_nobody_approves_their_own_requisition_or_one_at_another_location(north: Any, south: Any) -> None:
    manager = user_with_role(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north])
    own = _requisition(manager, north, "10.00")
    with pytest.raises(PermissionDenied):
        purchasing.requisition_decide(actor=manager, requisition=own, approve=True)
    other = _requisition(user_with_role(Role.CLINICAL_STAFF, locations=[south]), south, "10.00")
    with pytest.raises(PermissionDenied):
        purchasing.requisition_decide(actor=manager, requisition=other, approve=True)
    assert set(Requisition.objects.values_list("status", flat=True)) == {RequisitionStatus.SUBMITTED}


def test_a_rejection_needs_a_reason(north: Any) -> None:
    requisition = _requisition(user_with_role(Role.CLINICAL_STAFF, locations=[north]), north, "10.00")
    approver = user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    with pytest.raises(ValidationError, match="why"):
        purchasing.requisition_decide(actor=approver, requisition=requisition, approve=False)
    assert purchasing.requisition_decide(actor=approver, requisition=requisition, approve=False,
                                         note="Use the spare chairs").status == RequisitionStatus.REJECTED


def test_requisition_to_order_to_email_to_partial_receipt_to_matched_invoice(north: Any, smtp_server: Any) -> None:
    nurse = user_with_role(Role.CLINICAL_STAFF, locations=[north])
    manager = user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    medline = Vendor.objects.create(name="Medline", kind=VendorKind.SUPPLIER, order_email="orders@medline.test")
    gloves = ItemFactory(name="Nitrile gloves M", lot_tracked=True)
    box = Packaging.objects.create(item=gloves, name="box", base_quantity=100)
    room = place_at(north)
    requisition = purchasing.requisition_create(actor=nurse, location=north, lines=[
        LineIn(quantity=10, unit_price=Decimal("8.50"), item=gloves, packaging=box, vendor=medline)])
    purchasing.requisition_submit(actor=nurse, requisition=requisition)
    purchasing.requisition_decide(actor=manager, requisition=requisition, approve=True)
    [order] = purchasing.orders_from_requisition(actor=manager, requisition=requisition, receive_into=room,
                                                 today=TODAY)
    assert order.number == "PO-2026-00001"
    purchasing.order_send(actor=manager, order=order)
    [message] = smtp_server.messages
    assert message["To"] == "orders@medline.test"
    assert "PO-2026-00001" in message["Subject"]
    attachments = [part for part in message.walk() if part.get_content_type() == "application/pdf"]
    assert len(attachments) == 1
    assert attachments[0].get_payload(decode=True).startswith(b"%PDF")
    with pytest.raises(ValidationError, match="already sent"):
        purchasing.order_send(actor=manager, order=order)

    line = order.lines.get()
    purchasing.receipt_record(actor=manager, order=order, lines=[
        ReceivedIn(line=line, quantity=6, damaged=1, lot_number="G-77", expires_on=dt.date(2029, 1, 1))])
    order.refresh_from_db()
    line.refresh_from_db()
    assert order.status == OrderStatus.PARTIAL
    assert (line.received, line.damaged, line.back_ordered) == (6, 1, 4)
    assert StockLevel.objects.get(item=gloves, place=room).quantity == 600
    with pytest.raises(ValidationError, match="only 4 still owed"):
        purchasing.receipt_record(actor=manager, order=order, lines=[ReceivedIn(line=line, quantity=5,
                                                                                lot_number="G-78")])

    off = purchasing.invoice_match(actor=manager, order=order, number="INV-1", invoice_date=TODAY,
                                   total=Decimal("85.00"), lines=[InvoicedIn(line, 10, Decimal("8.50"))])
    assert off.status == InvoiceStatus.VARIANCE
    assert off.variances == [f"Nitrile gloves M ({gloves.sku}): invoiced 10, received 6"]
    ok = purchasing.invoice_match(actor=manager, order=order, number="INV-2", invoice_date=TODAY,
                                  total=Decimal("51.00"), lines=[InvoicedIn(line, 6, Decimal("8.50"))])
    assert ok.status == InvoiceStatus.VARIANCE  # INV-1 already claimed 10 of the 6 received
    assert PurchaseOrder.objects.get().status == OrderStatus.PARTIAL


def test_a_clean_invoice_is_ready_to_pay_and_a_price_or_total_difference_is_not(north: Any) -> None:
    manager = user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    vendor = Vendor.objects.create(name="Staples", kind=VendorKind.SUPPLIER, order_email="o@staples.test")
    paper = ItemFactory(name="Copy paper")
    order = PurchaseOrder.objects.create(number="PO-2026-00009", vendor=vendor, location=north,
                                         receive_into=place_at(north), created_by=manager, status=OrderStatus.SENT)
    line = order.lines.create(item=paper, quantity=4, unit_price=Decimal("5.00"))
    purchasing.receipt_record(actor=manager, order=order, lines=[ReceivedIn(line=line, quantity=4)])
    ready = purchasing.invoice_match(actor=manager, order=order, number="A", invoice_date=TODAY,
                                     total=Decimal("20.00"), lines=[InvoicedIn(line, 4, Decimal("5.00"))])
    assert ready.status == InvoiceStatus.READY
    assert ready.variances == []
    other = Vendor.objects.create(name="Other", kind=VendorKind.SUPPLIER)
    order2 = PurchaseOrder.objects.create(number="PO-2026-00010", vendor=other, location=north,
                                          receive_into=place_at(north, "Back room"), created_by=manager,
                                          status=OrderStatus.SENT)
    line2 = order2.lines.create(item=paper, quantity=2, unit_price=Decimal("5.00"))
    purchasing.receipt_record(actor=manager, order=order2, lines=[ReceivedIn(line=line2, quantity=2)])
    pricey = purchasing.invoice_match(actor=manager, order=order2, number="A", invoice_date=TODAY,
                                      total=Decimal("11.00"), lines=[InvoicedIn(line2, 2, Decimal("5.25"))])
    assert pricey.status == InvoiceStatus.VARIANCE
    assert len(pricey.variances) == 2  # the price, and the total against the lines


def _sent_order(manager: Any, location: Any, number: str, vendor_name: str) -> PurchaseOrder:
    vendor = Vendor.objects.create(name=vendor_name, kind=VendorKind.SUPPLIER, order_email="o@vendor.test")
    order = PurchaseOrder.objects.create(number=number, vendor=vendor, location=location,
                                         receive_into=place_at(location, f"Room {number}"), created_by=manager,
                                         status=OrderStatus.SENT)
    order.lines.create(item=ItemFactory(), quantity=4, unit_price=Decimal("5.00"))
    return order


def test_a_line_of_another_order_or_more_damaged_than_owed_is_refused_and_changes_nothing(north: Any) -> None:
    manager = user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    order = _sent_order(manager, north, "PO-2026-00020", "A")
    other_line = _sent_order(manager, north, "PO-2026-00021", "B").lines.get()
    with pytest.raises(ValidationError, match="not on this order"):
        purchasing.receipt_record(actor=manager, order=order, lines=[ReceivedIn(line=other_line, quantity=1)])
    with pytest.raises(ValidationError, match="not on this order"):
        purchasing.invoice_match(actor=manager, order=order, number="X", invoice_date=TODAY, total=Decimal("5"),
                                 lines=[InvoicedIn(other_line, 1, Decimal("5.00"))])
    with pytest.raises(ValidationError, match="only 4 still owed"):
        purchasing.receipt_record(actor=manager, order=order, lines=[
            ReceivedIn(line=order.lines.get(), quantity=2, damaged=3)])
    assert not order.receipts.exists()
    assert not order.invoices.exists()
    assert not StockLevel.objects.exists()


def test_an_order_whose_pdf_cannot_be_built_goes_back_to_draft(north: Any, smtp_server: Any,
                                                                monkeypatch: Any) -> None:
    manager = user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    order = _sent_order(manager, north, "PO-2026-00030", "C")
    PurchaseOrder.objects.filter(pk=order.pk).update(status=OrderStatus.DRAFT)

    def broken(order: Any) -> bytes:
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(purchasing, "order_pdf", broken)
    with pytest.raises(RuntimeError):
        purchasing.order_send(actor=manager, order=order)
    order.refresh_from_db()
    assert (order.status, order.sent_at, order.sent_to) == (OrderStatus.DRAFT, None, "")
    assert smtp_server.messages == []
