"""Samples for THE route matrix (tests/test_routes.py), merged there: SAMPLES maps a route kind (the first word
of a route name, or the KIND_OF_ROUTE override) to a function (world, actor) -> (object in the actor's scope,
object outside it or None when the kind is practice-wide). PRACTICE_WIDE names the kinds that have no
out-of-scope object (left out of the scope test).

    "supplyreq": a draft requisition the actor wrote at North (anyone may open their own), and the stranger's at
                 South (out of scope for someone at North only)
    "po":        a purchase order sent to the vendor, to North and to South
    "vinvoice":  a vendor invoice that does not match, on each of those orders
    "rfq":       a request for quotes (practice-wide)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.utils import timezone

from openpractice.inventory.choices import InvoiceStatus, OrderStatus, RequisitionStatus
from openpractice.inventory.models import (
    PurchaseOrder,
    RequestForQuote,
    Requisition,
    RfqLine,
    StoragePlace,
    VendorInvoice,
)
from openpractice.inventory.tests.factories import ItemFactory
from openpractice.vendors.choices import VendorKind
from openpractice.vendors.models import Vendor


def _requisition(location: Any, requester: Any, vendor: Vendor) -> Requisition:
    requisition = Requisition.objects.create(location=location, requested_by=requester, total=Decimal("360.00"),
                                             status=RequisitionStatus.DRAFT, justification="Route sample")
    requisition.lines.create(description="Waiting room chair", quantity=2, unit_price=Decimal("180.00"),
                             vendor=vendor)
    return requisition


def _cache(world: Any) -> dict[str, Any]:
    cache: dict[str, Any] = world.__dict__.setdefault("_purchasing_samples", {})
    if not cache:
        vendor = Vendor.objects.create(name="Route Supplies Inc", kind=VendorKind.SUPPLIER,
                                       order_email="orders@route-supplies.test")
        other = Vendor.objects.create(name="Route Rival Ltd", kind=VendorKind.SUPPLIER)
        cache["vendor"] = vendor
        for key, location in (("north", world.north), ("south", world.south)):
            place = StoragePlace.objects.create(location=location, name=f"Route supply room {key}")
            cache[f"supplyreq:{key}"] = _requisition(location, world.stranger, vendor)
            order = PurchaseOrder.objects.create(
                number=f"PO-ROUTE-{key.upper()}", vendor=vendor, location=location, receive_into=place,
                created_by=world.stranger, status=OrderStatus.SENT, sent_at=timezone.now(),
                sent_to=vendor.order_email)
            line = order.lines.create(description="Waiting room chair", quantity=2, unit_price=Decimal("180.00"))
            cache[f"po:{key}"] = order
            invoice = VendorInvoice.objects.create(
                vendor=vendor, order=order, number=f"INV-ROUTE-{key.upper()}", invoice_date=dt.date(2026, 1, 5),
                total=Decimal("360.00"), status=InvoiceStatus.VARIANCE, entered_by=world.stranger,
                variances=["Waiting room chair: invoiced 2, received 0"])
            invoice.lines.create(order_line=line, quantity=2, unit_price=Decimal("180.00"))
            cache[f"vinvoice:{key}"] = invoice
        rfq = RequestForQuote.objects.create(title="Route gloves", due_on=dt.date(2026, 2, 1),
                                             created_by=world.stranger)
        rfq.vendors.set([vendor, other])
        RfqLine.objects.create(rfq=rfq, item=ItemFactory(), quantity=10)
        cache["rfq"] = rfq
    return cache


def requisitions(world: Any, actor: Any) -> tuple[Requisition, Requisition]:
    """The actor's own draft at North (the stranger's for the anonymous), and the stranger's at South."""
    cache = _cache(world)
    if actor is None:
        return cache["supplyreq:north"], cache["supplyreq:south"]
    key = f"supplyreq:own:{actor.pk}"
    if key not in cache:
        cache[key] = _requisition(world.north, actor, cache["vendor"])
    return cache[key], cache["supplyreq:south"]


def _pair(kind: str) -> Callable[[Any, Any], tuple[Any, Any]]:
    def samples(world: Any, actor: Any) -> tuple[Any, Any]:
        cache = _cache(world)
        return cache[f"{kind}:north"], cache[f"{kind}:south"]

    return samples


SAMPLES: dict[str, Callable[[Any, Any], tuple[Any, Any]]] = {
    "supplyreq": requisitions,
    "po": _pair("po"),
    "vinvoice": _pair("vinvoice"),
    "rfq": lambda world, actor: (_cache(world)["rfq"], None),
}
KIND_OF_ROUTE: dict[str, str] = {}
PRACTICE_WIDE: frozenset[str] = frozenset({"rfq"})
