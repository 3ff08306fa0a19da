"""Purchasing writes: requisitions (any staff member) -> approval within the approver's limit -> purchase orders
per vendor -> sending -> receiving (partial, damaged, lots) -> the vendor's invoice matched three ways.

Approval: someone other than the requester, holding inventory.use at the requisition's location through a role
whose approval limit (ApprovalLimit, by role and tier; empty: no limit) covers the total. Purchase orders need
inventory.manage at the location; receiving needs inventory.use there (it puts stock on the shelf). Money moves
here, so every write is audited; refusals are audited and change nothing.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F, Max
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, grants, reachable_location_ids, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.models import Location
from openpractice.core.pdf import render_pdf
from openpractice.core.selectors import practice_get, practice_settings

from ..choices import InvoiceStatus, OrderStatus, RequisitionStatus
from ..models import (
    ApprovalLimit,
    Item,
    Packaging,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    Requisition,
    RequisitionLine,
    StoragePlace,
    VendorInvoice,
    VendorInvoiceLine,
)
from . import stock

CENT = Decimal("0.01")
# Money in: a price differs from the order when it is off by more than this per unit.
PRICE_TOLERANCE = Decimal("0.01")


@dataclass(frozen=True)
class LineIn:
    """One line of a requisition: an item from the catalogue, or a description (furniture, a one-off)."""

    quantity: int
    unit_price: Decimal
    item: Item | None = None
    description: str = ""
    packaging: Packaging | None = None
    vendor: Any = None  # vendors.Vendor


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT)


# --- requisitions ----------------------------------------------------------------------------------------------


def check_lines(lines: Sequence[LineIn]) -> None:
    if not lines:
        raise ValidationError(_("Add at least one line."))
    for number, line in enumerate(lines, start=1):
        if line.item is None and not line.description.strip():
            raise ValidationError(_("Line %(n)s: choose an item or describe what is wanted.") % {"n": number})
        if not isinstance(line.quantity, int) or isinstance(line.quantity, bool) or line.quantity < 1:
            raise ValidationError(_("Line %(n)s: the quantity must be a whole number of at least 1.") % {"n": number})
        if line.unit_price < 0:
            raise ValidationError(_("Line %(n)s: the price cannot be negative.") % {"n": number})
        if line.packaging is not None and (line.item is None or line.packaging.item_id != line.item.pk):
            raise ValidationError(_("Line %(n)s: the packaging is not the item's.") % {"n": number})


def requisition_create(*, actor: Any, location: Location, lines: Sequence[LineIn], needed_by: dt.date | None = None,
                       justification: str = "") -> Requisition:
    """Any staff member asks to buy something for a location they work at (a draft until submitted)."""
    if not getattr(actor, "is_authenticated", False):
        raise refuse(actor=actor, permission="signed in", action="inventory.requisition_create")
    reachable = reachable_location_ids(actor)
    if reachable is not None and location.pk not in reachable:
        raise ValidationError({"location": _("Choose a location you work at.")})
    check_lines(lines)
    total = money(sum((line.unit_price * line.quantity for line in lines), Decimal("0")))
    with transaction.atomic():
        requisition = Requisition(location=location, requested_by=actor, needed_by=needed_by,
                                  justification=justification.strip(), total=total)
        requisition.full_clean()
        requisition.save(force_insert=True)
        RequisitionLine.objects.bulk_create([
            RequisitionLine(requisition=requisition, item=line.item, description=line.description.strip(),
                            packaging=line.packaging, quantity=line.quantity, unit_price=line.unit_price,
                            vendor=line.vendor) for line in lines])
        record(actor=actor, action="inventory.requisition_created", target=requisition,
               location_id=location.pk, changed_fields=["lines", "total"])
    return requisition


def requisition_submit(*, actor: Any, requisition: Requisition) -> Requisition:
    if requisition.requested_by_id != getattr(actor, "pk", None):
        raise refuse(actor=actor, permission="requester", action="inventory.requisition_submit", target=requisition)
    with transaction.atomic():
        locked = Requisition.objects.select_for_update().get(pk=requisition.pk)
        if locked.status != RequisitionStatus.DRAFT:
            raise ValidationError(_("Only a draft can be submitted."))
        locked.status, locked.submitted_at = RequisitionStatus.SUBMITTED, timezone.now()
        locked.save(update_fields=["status", "submitted_at", "updated_at"])
        record(actor=actor, action="inventory.requisition_submitted", target=locked,
               location_id=locked.location_id, changed_fields=["status"])
    return locked


def approval_limit(actor: Any, location_id: int) -> Decimal | None:
    """The most the actor approves alone at a location: the highest limit among their roles there that hold
    inventory.use (None: no limit; Decimal(-1): they may not approve at all)."""
    limits = {(row.role, row.tier): row.max_amount for row in ApprovalLimit.objects.all()}
    best = Decimal(-1)
    for grant in grants(actor):
        if Perm.INVENTORY_USE not in grant.permissions:
            continue
        if not (grant.all_locations or location_id in grant.location_ids):
            continue
        if (grant.role, grant.tier) not in limits:
            continue
        amount = limits[(grant.role, grant.tier)]
        if amount is None:
            return None
        best = max(best, amount)
    return best


def may_approve(actor: Any, requisition: Requisition) -> bool:
    if requisition.requested_by_id == getattr(actor, "pk", None):
        return False  # nobody approves their own request
    limit = approval_limit(actor, requisition.location_id)
    return limit is None or limit >= requisition.total


def requisition_decide(*, actor: Any, requisition: Requisition, approve: bool, note: str = "") -> Requisition:
    """Approve (within the approver's limit) or reject (with a reason) a submitted requisition."""
    if not may_approve(actor, requisition):
        raise refuse(actor=actor, permission="approval limit", action="inventory.requisition_decide",
                     target=requisition, message=_("This requisition is above your approval limit, or yours."))
    if not approve and not note.strip():
        raise ValidationError({"note": _("Say why the requisition is rejected.")})
    with transaction.atomic():
        locked = Requisition.objects.select_for_update().get(pk=requisition.pk)
        if locked.status != RequisitionStatus.SUBMITTED:
            raise ValidationError(_("Only a submitted requisition can be decided."))
        locked.status = RequisitionStatus.APPROVED if approve else RequisitionStatus.REJECTED
        locked.decided_by, locked.decided_at, locked.decision_note = actor, timezone.now(), note.strip()
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
        record(actor=actor, action="inventory.requisition_" + ("approved" if approve else "rejected"),
               target=locked, location_id=locked.location_id, changed_fields=["status"])
    return locked


# --- purchase orders -------------------------------------------------------------------------------------------


def _next_number(today: dt.date) -> str:
    prefix = f"PO-{today.year}-"
    last = PurchaseOrder.objects.filter(number__startswith=prefix).aggregate(last=Max("number"))["last"]
    sequence = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{sequence:05d}"


def orders_from_requisition(*, actor: Any, requisition: Requisition, receive_into: StoragePlace,
                            today: dt.date) -> list[PurchaseOrder]:
    """One draft purchase order per vendor named on the approved requisition's lines."""
    if not can(actor, Perm.INVENTORY_MANAGE, requisition.location_id):
        raise refuse(actor=actor, permission=Perm.INVENTORY_MANAGE, action="inventory.order_create",
                     target=requisition)
    if receive_into.location_id != requisition.location_id:
        raise ValidationError({"receive_into": _("Choose a storage place at the requisition's location.")})
    with transaction.atomic():
        locked = Requisition.objects.select_for_update().get(pk=requisition.pk)
        if locked.status != RequisitionStatus.APPROVED:
            raise ValidationError(_("Only an approved requisition is ordered."))
        lines = list(locked.lines.select_related("item", "vendor").order_by("pk"))
        if any(line.vendor_id is None for line in lines):
            raise ValidationError(_("Choose a vendor for every line first."))
        # PostgreSQL: order numbers are handed out one at a time (SQLite writers already take turns).
        PurchaseOrder.objects.select_for_update().filter(number__startswith=f"PO-{today.year}-").order_by(
            "-number").first()
        orders = []
        for vendor_id in dict.fromkeys(line.vendor_id for line in lines if line.vendor_id is not None):
            order = PurchaseOrder(number=_next_number(today), vendor_id=vendor_id, location_id=locked.location_id,
                                  receive_into=receive_into, created_by=actor)
            order.save(force_insert=True)
            order.requisitions.add(locked)
            PurchaseOrderLine.objects.bulk_create([
                PurchaseOrderLine(order=order, item=line.item, description=line.description,
                                  packaging=line.packaging, quantity=line.quantity, unit_price=line.unit_price)
                for line in lines if line.vendor_id == vendor_id])
            record(actor=actor, action="inventory.order_created", target=order, location_id=order.location_id,
                   changed_fields=["lines"])
            orders.append(order)
        locked.status = RequisitionStatus.ORDERED
        locked.save(update_fields=["status", "updated_at"])
    return orders


def order_total(order: PurchaseOrder) -> Decimal:
    return money(sum((line.unit_price * line.quantity for line in order.lines.all()), Decimal("0")))


# --- receiving -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedIn:
    line: PurchaseOrderLine
    quantity: int = 0  # packages in good condition
    damaged: int = 0  # packages that arrived damaged (still owed)
    lot_number: str = ""
    expires_on: dt.date | None = None


def receipt_record(*, actor: Any, order: PurchaseOrder, lines: Sequence[ReceivedIn], place: StoragePlace | None = None,
                   packing_slip: str = "") -> Receipt:
    """What arrived: good packages go into stock as base units (by lot for lot-tracked items); damaged ones are
    noted and stay owed. A line cannot receive more than is still owed. The order becomes partly received or
    received."""
    place = place or order.receive_into
    if not can(actor, Perm.INVENTORY_USE, order.location_id):
        raise refuse(actor=actor, permission=Perm.INVENTORY_USE, action="inventory.receipt_record", target=order)
    if place.location_id != order.location_id:
        raise ValidationError({"place": _("Receive into a place at the order's location.")})
    wanted = [line for line in lines if line.quantity or line.damaged]
    if not wanted:
        raise ValidationError(_("Enter what arrived."))
    with transaction.atomic():
        locked = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
        if locked.status not in (OrderStatus.SENT, OrderStatus.PARTIAL):
            raise ValidationError(_("Only an order sent to the vendor can be received."))
        receipt = Receipt(order=locked, received_at=timezone.now(), received_by=actor, place=place,
                          packing_slip=packing_slip.strip())
        receipt.save(force_insert=True)
        for entry in wanted:
            line = PurchaseOrderLine.objects.select_for_update(of=("self",)).select_related("item", "packaging").filter(
                pk=entry.line.pk, order=locked).first()
            if line is None:
                raise ValidationError(_("A line is not on this order."))
            if entry.quantity < 0 or entry.damaged < 0:
                raise ValidationError(_("Quantities cannot be negative."))
            if entry.quantity + entry.damaged > line.back_ordered:  # damaged ones arrived too: not more than owed
                raise ValidationError(_("%(what)s: only %(owed)s still owed.") % {
                    "what": line.item or line.description, "owed": line.back_ordered})
            receipt_line = ReceiptLine(receipt=receipt, order_line=line, quantity=entry.quantity,
                                       damaged=entry.damaged)
            receipt_line.save(force_insert=True)
            if entry.quantity and line.item is not None:
                size = line.packaging.base_quantity if line.packaging else 1
                operation = stock.stock_receive(
                    actor=actor, item=line.item, place=place, quantity=entry.quantity * size,
                    lot_number=entry.lot_number, expires_on=entry.expires_on,
                    unit_cost=(line.unit_price / size).quantize(Decimal("0.0001")), reason=locked.number,
                    receipt_line=receipt_line)
                receipt_line.lot_id = operation.movements[0].lot_id
                receipt_line.save(update_fields=["lot"])
            PurchaseOrderLine.objects.filter(pk=line.pk).update(received=F("received") + entry.quantity,
                                                                damaged=F("damaged") + entry.damaged)
        owed = any(line.back_ordered > 0 for line in locked.lines.all())
        locked.status = OrderStatus.PARTIAL if owed else OrderStatus.RECEIVED
        locked.save(update_fields=["status", "updated_at"])
        record(actor=actor, action="inventory.receipt_recorded", target=locked, location_id=locked.location_id,
               changed_fields=["received", "status"], reason=f"receipt {receipt.pk}")
    return receipt


# --- the vendor's invoice --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoicedIn:
    line: PurchaseOrderLine
    quantity: int
    unit_price: Decimal


def invoice_match(*, actor: Any, order: PurchaseOrder, number: str, invoice_date: dt.date, total: Decimal,
                  lines: Sequence[InvoicedIn], due_on: dt.date | None = None) -> VendorInvoice:
    """Enter the vendor's invoice and match it three ways: each line's quantity against what was received (not
    just ordered) and its price against the order; the total against the lines. Anything off is listed and the
    invoice waits (VARIANCE); otherwise it is ready to pay."""
    if not can(actor, Perm.INVENTORY_MANAGE, order.location_id):
        raise refuse(actor=actor, permission=Perm.INVENTORY_MANAGE, action="inventory.invoice_match", target=order)
    if not number.strip():
        raise ValidationError({"number": _("Enter the vendor's invoice number.")})
    with transaction.atomic():
        if VendorInvoice.objects.filter(vendor_id=order.vendor_id, number=number.strip()).exists():
            raise ValidationError({"number": _("This vendor's invoice %(n)s is already entered.") % {
                "n": number.strip()}})
        variances: list[str] = []
        invoice = VendorInvoice(vendor_id=order.vendor_id, order=order, number=number.strip(),
                                invoice_date=invoice_date, due_on=due_on, total=money(total), entered_by=actor)
        invoice.save(force_insert=True)
        computed = Decimal("0")
        for entry in lines:
            line = PurchaseOrderLine.objects.select_related("item").filter(pk=entry.line.pk, order=order).first()
            if line is None:
                raise ValidationError(_("A line is not on this order."))
            already = sum(VendorInvoiceLine.objects.filter(order_line=line).exclude(invoice=invoice)
                          .values_list("quantity", flat=True))
            what = str(line.item or line.description)
            if already + entry.quantity > line.received:
                variances.append(_("%(what)s: invoiced %(inv)s, received %(rec)s") % {
                    "what": what, "inv": already + entry.quantity, "rec": line.received})
            if abs(entry.unit_price - line.unit_price) > PRICE_TOLERANCE:
                variances.append(_("%(what)s: price %(inv)s, ordered at %(po)s") % {
                    "what": what, "inv": entry.unit_price, "po": line.unit_price})
            VendorInvoiceLine(invoice=invoice, order_line=line, quantity=entry.quantity,
                              unit_price=entry.unit_price).save(force_insert=True)
            computed += entry.unit_price * entry.quantity
        if money(computed) != invoice.total:
            variances.append(_("the lines add up to %(sum)s, the invoice says %(total)s") % {
                "sum": money(computed), "total": invoice.total})
        invoice.variances = variances
        invoice.status = InvoiceStatus.VARIANCE if variances else InvoiceStatus.READY
        invoice.save(update_fields=["variances", "status"])
        record(actor=actor, action="inventory.invoice_matched", target=invoice, location_id=order.location_id,
               changed_fields=["status"], reason=f"{len(variances)} variance(s)")
    return invoice



# --- sending ---------------------------------------------------------------------------------------------------


def order_pdf(order: PurchaseOrder) -> bytes:
    lines = list(order.lines.select_related("item", "packaging").order_by("pk"))
    html = render_to_string("inventory/purchase_order.html", {
        "order": order, "lines": lines, "total": order_total(order), "practice": practice_get()})
    return render_pdf(html)


def order_send(*, actor: Any, order: PurchaseOrder) -> PurchaseOrder:
    """Email the order (PDF attached) to the vendor's order address and mark it sent. The order is claimed under a
    row lock first, so two clicks send it once; if the mail server refuses, it goes back to draft and the caller
    is told."""
    if not can(actor, Perm.INVENTORY_MANAGE, order.location_id):
        raise refuse(actor=actor, permission=Perm.INVENTORY_MANAGE, action="inventory.order_send", target=order)
    with transaction.atomic():
        locked = PurchaseOrder.objects.select_for_update().select_related("vendor", "location").get(pk=order.pk)
        if locked.status != OrderStatus.DRAFT:
            raise ValidationError(_("This order was already sent."))
        address = locked.vendor.order_email
        if not address:
            raise ValidationError(_("The vendor has no email address for orders."))
        locked.status, locked.sent_at, locked.sent_to = OrderStatus.SENT, timezone.now(), address
        locked.save(update_fields=["status", "sent_at", "sent_to", "updated_at"])
    try:  # building the PDF or the mail can fail too: whatever fails, the order goes back to draft
        message = EmailMessage(
            subject=_("Purchase order %(number)s from %(practice)s") % {
                "number": locked.number, "practice": practice_settings().name},
            body=render_to_string("inventory/email/purchase_order.txt", {"order": locked,
                                                                        "practice_name": practice_settings().name}),
            from_email=settings.DEFAULT_FROM_EMAIL, to=[address])
        message.attach(f"{locked.number}.pdf", order_pdf(locked), "application/pdf")
        get_connection(fail_silently=False).send_messages([message])
    except Exception as exc:
        with transaction.atomic():
            PurchaseOrder.objects.filter(pk=locked.pk, status=OrderStatus.SENT).update(
                status=OrderStatus.DRAFT, sent_at=None, sent_to="")
        if isinstance(exc, OSError | smtplib.SMTPException):
            raise ValidationError(_("The mail server did not take the order; it was not sent. Try again later.")
                                  ) from exc
        raise
    record(actor=actor, action="inventory.order_sent", target=locked, location_id=locked.location_id,
           changed_fields=["status", "sent_at", "sent_to"])
    return locked


# --- from suggested orders -------------------------------------------------------------------------------------


def requisition_from_suggestion(*, actor: Any, location: Location, order: Any) -> Requisition:
    """Turn one vendor's suggested order (selectors.stock.SuggestedOrder) into a submitted requisition at the
    current prices, in whole packages; lines without a price on file are left out (they need a quote first)."""
    if not can(actor, Perm.INVENTORY_MANAGE, location.pk):
        raise refuse(actor=actor, permission=Perm.INVENTORY_MANAGE, action="inventory.requisition_from_suggestion")
    lines = [LineIn(quantity=line.packages, unit_price=line.price.price, item=line.item,
                    packaging=line.price.packaging, vendor=order.vendor)
             for line in order.lines if line.price is not None]
    if not lines:
        raise ValidationError(_("None of these items has a price on file from this vendor."))
    with transaction.atomic():
        requisition = requisition_create(actor=actor, location=location, lines=lines,
                                         justification=_("Suggested order: back up to par levels."))
        return requisition_submit(actor=actor, requisition=requisition)
