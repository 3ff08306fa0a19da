"""Inventory and purchasing: items and their packagings, vendor prices, storage places, lots, stock on hand and
the movement ledger, par levels, cycle counts, requisitions, purchase orders, receiving, vendor invoices and
requests for quotes.

Quantities of stock are whole base units (an item's "each"). Stock on hand is one row per item, place and lot;
the database refuses a negative quantity (CHECK), and the services change it only with F() under a row lock, so
two people taking the last box at once cannot both succeed. Every change of stock is one StockMovement row: the
ledger and the levels always agree.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from openpractice.core.models import TimeStampedModel

from .choices import (
    CountStatus,
    InvoiceStatus,
    ItemCategory,
    MovementKind,
    OrderStatus,
    PlaceKind,
    RequisitionStatus,
)


class Item(TimeStampedModel):
    sku = models.CharField(_("item number"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=9, choices=ItemCategory.choices)
    base_unit = models.CharField(_("unit"), max_length=20, default="each",
                                 help_text=_("The smallest unit stock is counted in."))
    lot_tracked = models.BooleanField(_("tracks lots and expiry"), default=False)
    preferred_vendor = models.ForeignKey("vendors.Vendor", on_delete=models.SET_NULL, null=True, blank=True,
                                         related_name="preferred_items", verbose_name=_("preferred vendor"))
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class Packaging(models.Model):
    """How an item is bought: a case of 100 is 100 base units."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="packagings")
    name = models.CharField(_("name"), max_length=40)
    base_quantity = models.PositiveIntegerField(_("units in it"), validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["item", "base_quantity"]
        constraints = [
            models.UniqueConstraint(fields=["item", "name"], name="packaging_name_once"),
            models.CheckConstraint(condition=Q(base_quantity__gte=1), name="packaging_holds_something"),
        ]

    def __str__(self) -> str:
        return f"{self.name} of {self.base_quantity}"


class VendorItem(models.Model):
    """A vendor's number and price for an item in one packaging, from a date (a price schedule line; under a
    contract when the price is a contract price)."""

    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="vendor_items")
    packaging = models.ForeignKey(Packaging, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                  help_text=_("Empty: priced per base unit."))
    vendor_sku = models.CharField(_("vendor item number"), max_length=60, blank=True)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=4, validators=[MinValueValidator(Decimal("0"))])
    effective_from = models.DateField(_("from"))
    effective_to = models.DateField(_("until"), null=True, blank=True)
    contract = models.ForeignKey("vendors.Contract", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="prices")

    class Meta:
        ordering = ["item", "vendor", "-effective_from"]
        indexes = [models.Index(fields=["item", "vendor", "effective_from"], name="vendoritem_lookup_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="vendoritem_price_positive"),
            models.CheckConstraint(condition=Q(effective_to__isnull=True)
                                   | Q(effective_to__gte=F("effective_from")), name="vendoritem_dates_order"),
            models.UniqueConstraint(fields=["vendor", "item", "packaging", "effective_from"],
                                    name="vendoritem_one_price_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.vendor} {self.item} {self.price}"


class StoragePlace(models.Model):
    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, related_name="storage_places")
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=11, choices=PlaceKind.choices, default=PlaceKind.SUPPLY_ROOM)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["location", "name"]
        constraints = [models.UniqueConstraint(fields=["location", "name"], name="place_name_once_per_location")]

    def __str__(self) -> str:
        return self.name


class Lot(models.Model):
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="lots")
    number = models.CharField(_("lot number"), max_length=40)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)

    class Meta:
        ordering = ["item", "expires_on", "number"]
        constraints = [models.UniqueConstraint(fields=["item", "number"], name="lot_number_once_per_item")]

    def __str__(self) -> str:
        return self.number


class StockLevel(models.Model):
    """On hand: one row per item, place and lot (no lot for items that do not track lots)."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="levels")
    place = models.ForeignKey(StoragePlace, on_delete=models.PROTECT, related_name="levels")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, null=True, blank=True, related_name="levels")
    quantity = models.IntegerField(default=0)

    class Meta:
        ordering = ["item", "place", "lot"]
        indexes = [models.Index(fields=["place", "item"], name="stocklevel_place_item_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=0), name="stock_never_negative"),
            models.UniqueConstraint(fields=["item", "place", "lot"], condition=Q(lot__isnull=False),
                                    name="stock_one_row_per_lot"),
            models.UniqueConstraint(fields=["item", "place"], condition=Q(lot__isnull=True),
                                    name="stock_one_row_without_lot"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}@{self.place_id}: {self.quantity}"


class StockMovement(models.Model):
    """The ledger: every change of stock, never edited. Receive/sample/adjust-in add to `to_place`; consume/
    adjust-out/expire/dispose take from `from_place`; a transfer does both."""

    # Every ledger row updates each of its indexes: the item is covered by movement_item_time_idx, and the
    # document links, empty on almost every row, have partial indexes (Meta) instead of full ones.
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="movements", db_index=False)
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, null=True, blank=True, related_name="movements")
    kind = models.CharField(max_length=10, choices=MovementKind.choices)
    quantity = models.PositiveIntegerField()
    from_place = models.ForeignKey(StoragePlace, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    to_place = models.ForeignKey(StoragePlace, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    unit_cost = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    occurred_at = models.DateTimeField(db_index=True)
    # Where it came from, when it came from a document.
    receipt_line = models.ForeignKey("ReceiptLine", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="movements", db_index=False)
    count_line = models.ForeignKey("CycleCountLine", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="movements", db_index=False)
    rep_visit = models.ForeignKey("vendors.RepVisit", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", db_index=False)
    # The movements of one service call (a use taken from two lots, a transfer) share an operation id; the first
    # of them carries the caller's Idempotency-Key, so the same key from the same person records one operation.
    operation = models.UUIDField(db_index=True)
    idempotency_key = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["item", "occurred_at"], name="movement_item_time_idx"),
            *(models.Index(fields=[field], condition=Q(**{f"{field}__isnull": False}), name=f"movement_{field}_idx")
              for field in ("receipt_line", "count_line", "rep_visit")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="movement_moves_something"),
            models.UniqueConstraint(fields=["actor", "idempotency_key"], condition=~Q(idempotency_key=""),
                                    name="movement_idempotency_once"),
            models.CheckConstraint(
                condition=(Q(kind__in=[MovementKind.RECEIVE, MovementKind.SAMPLE, MovementKind.ADJUST_IN],
                             from_place__isnull=True, to_place__isnull=False)
                           | Q(kind__in=[MovementKind.CONSUME, MovementKind.ADJUST_OUT, MovementKind.EXPIRE,
                                         MovementKind.DISPOSE], from_place__isnull=False, to_place__isnull=True)
                           | (Q(kind=MovementKind.TRANSFER, from_place__isnull=False, to_place__isnull=False)
                              & ~Q(from_place=F("to_place")))),
                name="movement_places_match_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity} x {self.item_id}"


class ParLevel(models.Model):
    """Keep `par` on hand at this place; at or below `reorder_point`, suggest ordering back up to par."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="par_levels")
    place = models.ForeignKey(StoragePlace, on_delete=models.CASCADE, related_name="par_levels")
    par = models.PositiveIntegerField(_("par level"))
    reorder_point = models.PositiveIntegerField(_("reorder point"))

    class Meta:
        ordering = ["place", "item"]
        constraints = [
            models.UniqueConstraint(fields=["item", "place"], name="par_once_per_place"),
            models.CheckConstraint(condition=Q(reorder_point__lt=F("par")), name="par_above_reorder_point"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}@{self.place_id} par {self.par}"


class CycleCount(TimeStampedModel):
    """A count of one storage place. Counted quantities that differ from the books wait for approval; approval
    posts the adjustments."""

    place = models.ForeignKey(StoragePlace, on_delete=models.PROTECT, related_name="counts")
    status = models.CharField(max_length=9, choices=CountStatus.choices, default=CountStatus.OPEN)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["place"], condition=Q(status__in=["open", "submitted"]),
                                               name="one_count_at_a_time_per_place")]

    def __str__(self) -> str:
        return f"Count {self.pk} of {self.place}"


class CycleCountLine(models.Model):
    count = models.ForeignKey(CycleCount, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    expected = models.IntegerField()
    counted = models.PositiveIntegerField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["count", "item", "lot"]
        constraints = [
            models.UniqueConstraint(fields=["count", "item", "lot"], condition=Q(lot__isnull=False),
                                    name="count_line_once_per_lot"),
            models.UniqueConstraint(fields=["count", "item"], condition=Q(lot__isnull=True),
                                    name="count_line_once_without_lot"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} counted {self.counted}"

    @property
    def variance(self) -> int | None:
        return None if self.counted is None else self.counted - self.expected


class ApprovalLimit(models.Model):
    """Up to how much a role at a tier approves a requisition alone (empty: no limit). Seeded with the issue's
    defaults; the practice changes them."""

    role = models.CharField(max_length=20)
    tier = models.CharField(max_length=12)
    max_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["role", "tier"]
        constraints = [models.UniqueConstraint(fields=["role", "tier"], name="approval_limit_once")]

    def __str__(self) -> str:
        return f"{self.role}/{self.tier}: {self.max_amount or 'no limit'}"


class Requisition(TimeStampedModel):
    """A request to buy (supplies, furniture, equipment) by any staff member, approved by someone whose limit
    covers its total."""

    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=9, choices=RequisitionStatus.choices, default=RequisitionStatus.DRAFT)
    needed_by = models.DateField(_("needed by"), null=True, blank=True)
    justification = models.TextField(_("why"), blank=True)
    total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(total__gte=0), name="requisition_total_positive")]

    def __str__(self) -> str:
        return f"REQ-{self.pk:05d}" if self.pk else "REQ-new"


class RequisitionLine(models.Model):
    requisition = models.ForeignKey(Requisition, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             help_text=_("Empty: something not in the catalogue (a chair, say), described."))
    description = models.CharField(_("description"), max_length=200, blank=True)
    packaging = models.ForeignKey(Packaging, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(_("estimated unit price"), max_digits=12, decimal_places=4, validators=[MinValueValidator(0)])
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["requisition", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="requisition_line_quantity"),
            models.CheckConstraint(condition=Q(item__isnull=False) | ~Q(description=""),
                                   name="requisition_line_says_what"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.item_id or self.description}"


class PurchaseOrder(TimeStampedModel):
    number = models.CharField(_("PO number"), max_length=20, unique=True)
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="purchase_orders")
    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("ship to"))
    receive_into = models.ForeignKey(StoragePlace, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("receive into"))
    status = models.CharField(max_length=9, choices=OrderStatus.choices, default=OrderStatus.DRAFT)
    requisitions = models.ManyToManyField(Requisition, blank=True, related_name="orders")
    expected_on = models.DateField(_("expected on"), null=True, blank=True)
    notes = models.TextField(_("notes to the vendor"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_to = models.EmailField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["vendor", "status"], name="po_vendor_status_idx")]

    def __str__(self) -> str:
        return self.number


class PurchaseOrderLine(models.Model):
    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    description = models.CharField(max_length=200, blank=True)
    vendor_sku = models.CharField(max_length=60, blank=True)
    packaging = models.ForeignKey(Packaging, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(max_digits=12, decimal_places=4, validators=[MinValueValidator(0)])
    on_contract = models.BooleanField(default=False)
    received = models.PositiveIntegerField(default=0)
    damaged = models.PositiveIntegerField(default=0)
    cancelled = models.PositiveIntegerField(default=0, help_text=_("Back ordered quantity no longer expected."))

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="po_line_quantity"),
            models.CheckConstraint(condition=Q(received__lte=F("quantity") - F("cancelled")),
                                   name="po_line_not_over_received"),
            models.CheckConstraint(condition=Q(item__isnull=False) | ~Q(description=""), name="po_line_says_what"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.item_id or self.description}"

    @property
    def back_ordered(self) -> int:
        return self.quantity - self.received - self.cancelled

    @property
    def amount(self) -> Decimal:
        return (self.unit_price * self.quantity).quantize(Decimal("0.01"))


class Receipt(models.Model):
    order = models.ForeignKey(PurchaseOrder, on_delete=models.PROTECT, related_name="receipts")
    received_at = models.DateTimeField()
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    place = models.ForeignKey(StoragePlace, on_delete=models.PROTECT, related_name="+")
    packing_slip = models.CharField(_("packing slip"), max_length=60, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"Receipt {self.pk} for {self.order_id}"


class ReceiptLine(models.Model):
    """Packages of one order line that arrived: good ones go into stock (as base units); damaged ones are
    recorded and stay owed by the vendor."""

    receipt = models.ForeignKey(Receipt, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(PurchaseOrderLine, on_delete=models.PROTECT, related_name="receipt_lines")
    quantity = models.PositiveIntegerField(default=0)
    damaged = models.PositiveIntegerField(default=0)
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["receipt", "pk"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1) | Q(damaged__gte=1),
                                              name="receipt_line_has_something")]

    def __str__(self) -> str:
        return f"{self.quantity} (+{self.damaged} damaged) of line {self.order_line_id}"


class VendorInvoice(TimeStampedModel):
    """The vendor's bill for an order, matched three ways: ordered, received, invoiced (quantity and price)."""

    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="invoices")
    order = models.ForeignKey(PurchaseOrder, on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(_("invoice number"), max_length=40)
    invoice_date = models.DateField(_("invoice date"))
    due_on = models.DateField(_("due on"), null=True, blank=True)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    status = models.CharField(max_length=8, choices=InvoiceStatus.choices, default=InvoiceStatus.ENTERED)
    variances = models.JSONField(default=list, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")

    class Meta:
        ordering = ["-invoice_date", "-pk"]
        constraints = [models.UniqueConstraint(fields=["vendor", "number"], name="invoice_number_once_per_vendor")]

    def __str__(self) -> str:
        return self.number


class VendorInvoiceLine(models.Model):
    invoice = models.ForeignKey(VendorInvoice, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(PurchaseOrderLine, on_delete=models.PROTECT, related_name="invoice_lines")
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=4, validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["invoice", "pk"]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.unit_price}"


class RequestForQuote(TimeStampedModel):
    """Ask several vendors for prices on the same items, compare side by side, award one."""

    title = models.CharField(_("title"), max_length=200)
    due_on = models.DateField(_("answers due"))
    vendors = models.ManyToManyField("vendors.Vendor", related_name="rfqs")
    awarded_vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+")
    awarded_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class RfqLine(models.Model):
    rfq = models.ForeignKey(RequestForQuote, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["rfq", "pk"]
        constraints = [models.UniqueConstraint(fields=["rfq", "item"], name="rfq_item_once")]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.item_id}"


class RfqQuote(models.Model):
    line = models.ForeignKey(RfqLine, on_delete=models.CASCADE, related_name="quotes")
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="+")
    unit_price = models.DecimalField(max_digits=12, decimal_places=4, validators=[MinValueValidator(0)])
    lead_days = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["line", "unit_price"]
        constraints = [models.UniqueConstraint(fields=["line", "vendor"], name="rfq_quote_once_per_vendor")]

    def __str__(self) -> str:
        return f"{self.vendor_id}: {self.unit_price}"
