"""Vendor invoices from the pages: entered against the order the vendor names (services.purchasing.invoice_match
does the three-way match), a mismatch accepted by a second person with a reason, and a ready invoice marked paid.

inventory.manage at the order's location, like invoice_match. Money moves here: audited; refusals change nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record

from ..choices import InvoiceStatus, OrderStatus
from ..models import PurchaseOrder, VendorInvoice
from .purchasing import InvoicedIn, invoice_match

INVOICEABLE = (OrderStatus.SENT, OrderStatus.PARTIAL, OrderStatus.RECEIVED, OrderStatus.CLOSED)


def _require(actor: Any, action: str, target: Any, location_id: int) -> None:
    if not can(actor, Perm.INVENTORY_MANAGE, location_id):
        raise refuse(actor=actor, permission=Perm.INVENTORY_MANAGE, action=action, target=target)


def invoice_enter(*, actor: Any, vendor: Any, order: PurchaseOrder, number: str, invoice_date: dt.date,
                  total: Decimal, lines: Sequence[InvoicedIn], due_on: dt.date | None = None) -> VendorInvoice:
    """The vendor's invoice as printed: its vendor must be the order's (a bill from another company for this
    order is refused), the order must have gone out, each line one of the order's; then the three-way match."""
    _require(actor, "inventory.invoice_match", order, order.location_id)
    if vendor is None or vendor.pk != order.vendor_id:
        raise ValidationError({"vendor": _("Order %(number)s was placed with %(ordered)s, not with %(vendor)s: "
                                           "enter the invoice against that vendor's order.") % {
            "number": order.number, "ordered": order.vendor, "vendor": vendor}})
    if order.status not in INVOICEABLE:
        raise ValidationError(_("Order %(number)s was not sent to the vendor; it cannot be invoiced.")
                              % {"number": order.number})
    if due_on is not None and due_on < invoice_date:
        raise ValidationError({"due_on": _("The due date is before the invoice date.")})
    if not [line for line in lines if line.quantity]:
        raise ValidationError(_("Enter the quantity invoiced on at least one line."))
    if any(line.line.order_id != order.pk for line in lines):
        raise ValidationError(_("A line is not on this order."))
    if any(line.quantity < 0 or line.unit_price < 0 for line in lines):
        raise ValidationError(_("Quantities and prices cannot be negative."))
    return invoice_match(actor=actor, order=order, number=number, invoice_date=invoice_date, total=total,
                         lines=[line for line in lines if line.quantity], due_on=due_on)


def invoice_accept(*, actor: Any, invoice: VendorInvoice, note: str) -> VendorInvoice:
    """Accept an invoice that does not match (the vendor's credit is coming, the price rise was agreed): someone
    other than the person who entered it, with a reason; it becomes ready to pay."""
    _require(actor, "inventory.invoice_accept", invoice, invoice.order.location_id)
    if invoice.entered_by_id == getattr(actor, "pk", None):
        raise ValidationError(_("Someone other than the person who entered the invoice accepts its differences."))
    if not note.strip():
        raise ValidationError({"note": _("Say why the differences are accepted.")})
    with transaction.atomic():
        locked = VendorInvoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status != InvoiceStatus.VARIANCE:
            raise ValidationError(_("Only an invoice that does not match waits for acceptance."))
        locked.status, locked.approved_by = InvoiceStatus.READY, actor
        locked.save(update_fields=["status", "approved_by", "updated_at"])
        record(actor=actor, action="inventory.invoice_accepted", target=locked,
               location_id=invoice.order.location_id, changed_fields=["status", "approved_by"],
               reason=note.strip()[:200])
    return locked


def invoice_mark_paid(*, actor: Any, invoice: VendorInvoice) -> VendorInvoice:
    """Record that a ready invoice was paid."""
    _require(actor, "inventory.invoice_paid", invoice, invoice.order.location_id)
    with transaction.atomic():
        locked = VendorInvoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status != InvoiceStatus.READY:
            raise ValidationError(_("Only an invoice that is ready to pay is marked paid."))
        locked.status = InvoiceStatus.PAID
        locked.save(update_fields=["status", "updated_at"])
        record(actor=actor, action="inventory.invoice_paid", target=locked, location_id=invoice.order.location_id,
               changed_fields=["status"])
    return locked
