"""The services the purchasing pages added: approval limits (services.approval_limits), placing the orders of a
requisition and editing an order (services.orders), entering, accepting and paying vendor invoices
(services.invoices). Each refuses who may not and what is wrong, changes nothing when it refuses, and audits."""

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
from openpractice.inventory.models import ApprovalLimit, PurchaseOrder, VendorInvoice
from openpractice.inventory.services import approval_limits, invoices, orders
from openpractice.inventory.services.purchasing import InvoicedIn, approval_limit
from openpractice.inventory.tests.factories import place_at
from openpractice.inventory.tests.factories_purchasing import order, requisition, vendor

pytestmark = pytest.mark.django_db


def limits() -> dict[tuple[str, str], Decimal | None]:
    return {(row.role, row.tier): row.max_amount for row in ApprovalLimit.objects.all()}


# --- approval limits -------------------------------------------------------------------------------------------


def test_the_limits_are_replaced_as_a_whole_and_audited(north: Any) -> None:
    senior = user_with_role(Role.PRACTICE_MANAGER, Tier.SENIOR)
    clinical = user_with_role(Role.CLINICAL_STAFF, locations=[north])
    changed = approval_limits.approval_limits_set(actor=senior, limits={
        (Role.PRACTICE_MANAGER, Tier.ENTRY): None, (Role.PRACTICE_MANAGER, Tier.ADVANCED): None,
        (Role.PRACTICE_MANAGER, Tier.SENIOR): None, (Role.OFFICE_MANAGER, Tier.ENTRY): Decimal("250"),
        (Role.OFFICE_MANAGER, Tier.MID): Decimal("2500.00"), (Role.CLINICAL_STAFF, Tier.STANDARD): Decimal("50")})
    assert sorted(changed) == ["clinical_staff/standard", "office_manager/entry", "office_manager/experienced"]
    assert limits()[(Role.OFFICE_MANAGER, Tier.ENTRY)] == Decimal("250.00")
    assert (Role.OFFICE_MANAGER, Tier.EXPERIENCED) not in limits()  # left out: no longer approves
    assert approval_limit(clinical, north.pk) == Decimal("50.00")
    event = AuditEvent.objects.get(action="inventory.approval_limits_set")
    assert event.actor_id == senior.pk


@pytest.mark.parametrize(("pair", "amount", "message"), [
    ((Role.FRONT_DESK, Tier.STANDARD), Decimal("10"), "cannot approve"),
    ((Role.OFFICE_MANAGER, Tier.ENTRY), Decimal("-1"), "A limit is an amount"),
])
def test_limits_for_roles_that_cannot_approve_or_below_zero_are_refused(pair: tuple[str, str], amount: Decimal,
                                                                        message: str) -> None:
    before = limits()
    with pytest.raises(ValidationError, match=message):
        approval_limits.approval_limits_set(actor=user_with_role(Role.PRACTICE_MANAGER, Tier.SENIOR),
                                            limits={pair: amount})
    assert limits() == before


def test_only_practice_managers_set_limits() -> None:
    manager = user_with_role(Role.OFFICE_MANAGER, Tier.EXPERIENCED)
    before = limits()
    with pytest.raises(PermissionDenied):
        approval_limits.approval_limits_set(actor=manager, limits={(Role.OFFICE_MANAGER, Tier.EXPERIENCED): None})
    assert limits() == before
    assert AuditEvent.objects.filter(actor=manager, outcome=Outcome.DENIED).exists()


# --- placing orders, editing them ------------------------------------------------------------------------------


def test_placing_orders_chooses_vendors_for_open_lines_only(north: Any, south: Any) -> None:
    nurse = user_with_role(Role.CLINICAL_STAFF, locations=[north])
    manager = user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    medline, staples = vendor("Medline"), vendor("Staples")
    approved = requisition(nurse, north, "10.00", status=RequisitionStatus.APPROVED, vendor_=medline)
    chosen = approved.lines.get()
    room = place_at(north)
    with pytest.raises(ValidationError, match="already has the vendor"):
        orders.orders_place(actor=manager, requisition=approved, receive_into=room, today=dt.date(2026, 3, 1),
                            vendors={chosen.pk: staples})
    with pytest.raises(PermissionDenied):
        orders.orders_place(actor=user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[south]),
                            requisition=approved, receive_into=room, today=dt.date(2026, 3, 1))
    assert not PurchaseOrder.objects.exists()
    open_line = approved.lines.create(description="Desk", quantity=1, unit_price=Decimal("5"))
    placed = orders.orders_place(actor=manager, requisition=approved, receive_into=room, today=dt.date(2026, 3, 1),
                                 vendors={open_line.pk: staples})
    assert sorted(order_.vendor.name for order_ in placed) == ["Medline", "Staples"]
    assert AuditEvent.objects.filter(action="inventory.requisition_vendors_chosen").count() == 1


def test_an_order_line_without_a_vendor_stops_the_whole_order(north: Any) -> None:
    approved = requisition(user_with_role(Role.CLINICAL_STAFF, locations=[north]), north, "10.00",
                           status=RequisitionStatus.APPROVED)
    with pytest.raises(ValidationError, match="vendor for every line"):
        orders.orders_place(actor=user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[north]),
                            requisition=approved, receive_into=place_at(north), today=dt.date(2026, 3, 1))
    approved.refresh_from_db()
    assert approved.status == RequisitionStatus.APPROVED
    assert not PurchaseOrder.objects.exists()


def test_an_order_keeps_its_notes_once_sent_and_closes_to_changes_when_received(north: Any) -> None:
    manager = user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    sent = order(north, vendor("Medline"), manager, [{"description": "Chair", "quantity": 1,
                                                      "unit_price": Decimal("1")}])
    updated = orders.order_update(actor=manager, order=sent, expected_on=dt.date(2030, 1, 2), notes="")
    assert updated.expected_on == dt.date(2030, 1, 2)
    with pytest.raises(ValidationError, match="no longer change"):
        orders.order_update(actor=manager, order=sent, expected_on=None, notes="Hello")
    PurchaseOrder.objects.filter(pk=sent.pk).update(status=OrderStatus.RECEIVED)
    with pytest.raises(ValidationError, match="finished"):
        orders.order_update(actor=manager, order=sent, expected_on=None, notes="")
    with pytest.raises(PermissionDenied):
        orders.order_update(actor=user_with_role(Role.CLINICAL_STAFF, locations=[north]), order=sent,
                            expected_on=None, notes="")


# --- invoices --------------------------------------------------------------------------------------------------


@pytest.fixture
def sent_order(north: Any) -> dict[str, Any]:
    manager = user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    medline = vendor("Medline")
    made = order(north, medline, manager, [{"description": "Chair", "quantity": 2, "unit_price": Decimal("100"),
                                            "received": 2}], status=OrderStatus.RECEIVED)
    return {"manager": manager, "vendor": medline, "order": made, "line": made.lines.get()}


def _enter(data: dict[str, Any], **changes: Any) -> VendorInvoice:
    arguments: dict[str, Any] = {"actor": data["manager"], "vendor": data["vendor"], "order": data["order"],
                                 "number": "INV-1", "invoice_date": dt.date(2026, 3, 1), "total": Decimal("200"),
                                 "lines": [InvoicedIn(data["line"], 2, Decimal("100"))]}
    arguments.update(changes)
    return invoices.invoice_enter(**arguments)


def test_invoice_entry_refuses_another_vendors_bill_a_draft_order_and_empty_lines(sent_order: dict[str, Any],
                                                                                   north: Any) -> None:
    with pytest.raises(ValidationError, match="was placed with Medline, not with Staples"):
        _enter(sent_order, vendor=vendor("Staples"))
    with pytest.raises(ValidationError, match="at least one line"):
        _enter(sent_order, lines=[InvoicedIn(sent_order["line"], 0, Decimal("100"))])
    with pytest.raises(ValidationError, match="due date is before"):
        _enter(sent_order, due_on=dt.date(2026, 2, 1))
    other = order(north, sent_order["vendor"], sent_order["manager"], [
        {"description": "Desk", "quantity": 1, "unit_price": Decimal("1")}])
    with pytest.raises(ValidationError, match="not on this order"):
        _enter(sent_order, lines=[InvoicedIn(other.lines.get(), 1, Decimal("1"))])
    draft = order(north, sent_order["vendor"], sent_order["manager"], [
        {"description": "Desk", "quantity": 1, "unit_price": Decimal("1")}], status=OrderStatus.DRAFT)
    with pytest.raises(ValidationError, match="was not sent"):
        _enter(sent_order, order=draft, lines=[InvoicedIn(draft.lines.get(), 1, Decimal("1"))])
    assert not VendorInvoice.objects.exists()
    with pytest.raises(PermissionDenied):
        _enter(sent_order, actor=user_with_role(Role.CLINICAL_STAFF, locations=[north]))
    assert _enter(sent_order).status == InvoiceStatus.READY


def test_differences_are_accepted_by_someone_else_with_a_reason_then_paid(sent_order: dict[str, Any],
                                                                          north: Any) -> None:
    invoice = _enter(sent_order, total=Decimal("210"), lines=[InvoicedIn(sent_order["line"], 2, Decimal("105"))])
    assert invoice.status == InvoiceStatus.VARIANCE
    with pytest.raises(ValidationError, match="Someone other than"):
        invoices.invoice_accept(actor=sent_order["manager"], invoice=invoice, note="Agreed")
    second = user_with_role(Role.PRACTICE_MANAGER, Tier.ENTRY, locations=[north])
    with pytest.raises(ValidationError, match="Say why"):
        invoices.invoice_accept(actor=second, invoice=invoice, note=" ")
    with pytest.raises(ValidationError, match="Only an invoice that is ready"):
        invoices.invoice_mark_paid(actor=second, invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.VARIANCE
    accepted = invoices.invoice_accept(actor=second, invoice=invoice, note="Price rise agreed by phone")
    assert (accepted.status, accepted.approved_by) == (InvoiceStatus.READY, second)
    assert AuditEvent.objects.get(action="inventory.invoice_accepted").reason == "Price rise agreed by phone"
    assert invoices.invoice_mark_paid(actor=second, invoice=accepted).status == InvoiceStatus.PAID
    with pytest.raises(ValidationError):
        invoices.invoice_accept(actor=second, invoice=accepted, note="again")
