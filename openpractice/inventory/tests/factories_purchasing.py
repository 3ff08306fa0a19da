"""Purchasing test data built directly (not through the services), for the page and spend tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from openpractice.inventory.choices import OrderStatus, RequisitionStatus
from openpractice.inventory.models import PurchaseOrder, PurchaseOrderLine, Requisition
from openpractice.inventory.tests.factories import place_at
from openpractice.vendors.choices import VendorKind
from openpractice.vendors.models import Vendor

_numbers = iter(range(1, 1_000_000))


def vendor(name: str, email: str = "") -> Vendor:
    return Vendor.objects.create(name=name, kind=VendorKind.SUPPLIER, order_email=email)


def requisition(requester: Any, location: Any, amount: str, *, status: str = RequisitionStatus.SUBMITTED,
                vendor_: Any = None, description: str = "Waiting room chair") -> Requisition:
    """A requisition of one described line worth `amount`."""
    made = Requisition.objects.create(location=location, requested_by=requester, total=Decimal(amount),
                                      status=status,
                                      submitted_at=timezone.now() if status != RequisitionStatus.DRAFT else None)
    made.lines.create(description=description, quantity=1, unit_price=Decimal(amount), vendor=vendor_)
    return made


def order(location: Any, vendor_: Vendor, creator: Any, lines: list[dict[str, Any]], *,
          status: str = OrderStatus.SENT, placed_at: dt.datetime | None = None, expected_on: dt.date | None = None,
          place: Any = None) -> PurchaseOrder:
    """A purchase order with lines (each a dict of PurchaseOrderLine fields), placed (sent) at `placed_at`."""
    placed_at = placed_at or timezone.now()
    made = PurchaseOrder.objects.create(
        number=f"PO-T-{next(_numbers):06d}", vendor=vendor_, location=location,
        receive_into=place or place_at(location, f"Supply room {next(_numbers)}"), created_by=creator, status=status,
        sent_at=placed_at if status != OrderStatus.DRAFT else None, expected_on=expected_on)
    PurchaseOrderLine.objects.bulk_create([PurchaseOrderLine(order=made, **line) for line in lines])
    return made
