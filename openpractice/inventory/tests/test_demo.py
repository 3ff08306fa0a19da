"""The demo practice has a supply chain: vendors of every kind with contacts, contracts (one at its notice deadline
within 30 days, one involving PHI and linked to the BAA register) and negotiations with savings; a catalogue with
packagings and vendor prices; storage places per location; stock below par and lots expiring soon; every kind of
movement; requisitions in each state; orders sent, partly received and received with a matched invoice; cycle
counts; a request for quotes; rep visits that left samples. All of it went through the services (the ledger equals
the levels, audit events are there, no stamp in the future). Seeding again adds nothing."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Min
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.audit.models import AuditEvent
from openpractice.compliance.models import BusinessAssociate
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.inventory.choices import (
    CountStatus,
    InvoiceStatus,
    MovementKind,
    OrderStatus,
    PlaceKind,
    RequisitionStatus,
)
from openpractice.inventory.demo import seed_catalogue, seed_purchasing, seed_stock
from openpractice.inventory.models import (
    CycleCount,
    Item,
    PurchaseOrder,
    RequestForQuote,
    Requisition,
    RfqQuote,
    StockLevel,
    StockMovement,
    StoragePlace,
    VendorInvoice,
    VendorItem,
)
from openpractice.inventory.selectors import stock as stock_selectors
from openpractice.inventory.services.stock import ledger_matches_levels
from openpractice.vendors.choices import ContractStatus, NegotiationOutcome, VendorKind
from openpractice.vendors.demo import seed_vendors
from openpractice.vendors.models import Contract, Negotiation, RepVisit, Vendor

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (
        Vendor, Contract, Negotiation, RepVisit, Item, VendorItem, StoragePlace, StockMovement, Requisition,
        PurchaseOrder, VendorInvoice, CycleCount, RequestForQuote, AuditEvent)}


def test_the_demo_supply_chain_covers_every_page_and_went_through_the_services() -> None:
    call_command("demo", stdout=StringIO(), stderr=StringIO())
    today = practice_today()
    keeper = User.objects.get(username="om_experienced")

    # Vendors, contracts, negotiations.
    vendors = list(Vendor.objects.all())
    assert len(vendors) >= 8
    assert {vendor.kind for vendor in vendors} == set(VendorKind.values)
    assert all(vendor.contacts.exists() for vendor in vendors)
    created = AuditEvent.objects.filter(action="vendors.vendor_created")
    assert sorted(created.values_list("object_id", flat=True)) == sorted(str(vendor.pk) for vendor in vendors)
    running = [contract for contract in Contract.objects.filter(status=ContractStatus.ACTIVE)
               if contract.notice_deadline is not None]
    assert any(0 <= (contract.notice_deadline - today).days <= 30 for contract in running)  # type: ignore[operator]
    phi = Contract.objects.get(handles_phi=True)
    assert BusinessAssociate.objects.filter(vendor=phi.vendor, handles_phi=True).count() == 1
    assert Contract.objects.filter(status=ContractStatus.DRAFT).exists()
    assert Negotiation.objects.filter(outcome=NegotiationOutcome.AGREED, annual_savings__gt=0).exists()
    assert Negotiation.objects.filter(outcome=NegotiationOutcome.OPEN).exists()

    # Catalogue and places.
    assert Item.objects.count() >= 40
    assert Item.objects.filter(packagings__isnull=False).distinct().count() >= 30
    assert VendorItem.objects.filter(contract__isnull=False).exists()
    assert VendorItem.objects.values("item_id").distinct().count() >= 35
    for location in Location.objects.all():
        kinds = set(StoragePlace.objects.filter(location=location).values_list("kind", flat=True))
        assert {PlaceKind.SUPPLY_ROOM, PlaceKind.EXAM_ROOM, PlaceKind.SAMPLES} <= kinds

    # Stock: below par, expiring soon, every kind of movement, never negative, ledger equals levels.
    assert stock_selectors.below_reorder_point(actor=keeper).count() >= 5
    soon = stock_selectors.expiring(actor=keeper, today=today, within_days=30)
    assert soon.filter(lot__expires_on__gte=today).exists()
    assert soon.filter(lot__expires_on__lt=today).exists()  # one expired lot still on the shelf
    assert set(StockMovement.objects.values_list("kind", flat=True)) == set(MovementKind.values)
    assert not StockLevel.objects.filter(quantity__lt=0).exists()
    assert ledger_matches_levels()
    assert StockMovement.objects.filter(occurred_at__gt=timezone.now()).count() == 0
    earliest = StockMovement.objects.aggregate(first=Min("occurred_at"))["first"]
    assert earliest is not None
    assert earliest < timezone.now() - dt.timedelta(days=30)
    assert {count.status for count in CycleCount.objects.all()} == {CountStatus.APPROVED, CountStatus.SUBMITTED}

    # Purchasing.
    assert {RequisitionStatus.DRAFT, RequisitionStatus.SUBMITTED, RequisitionStatus.APPROVED,
            RequisitionStatus.REJECTED, RequisitionStatus.ORDERED} <= set(
        Requisition.objects.values_list("status", flat=True))
    assert {OrderStatus.DRAFT, OrderStatus.SENT, OrderStatus.PARTIAL, OrderStatus.RECEIVED} <= set(
        PurchaseOrder.objects.values_list("status", flat=True))
    received = PurchaseOrder.objects.get(status=OrderStatus.RECEIVED)
    assert received.invoices.get().status == InvoiceStatus.READY
    partial = PurchaseOrder.objects.get(status=OrderStatus.PARTIAL)
    assert partial.invoices.get().status == InvoiceStatus.VARIANCE
    assert any(line.back_ordered > 0 for line in partial.lines.all())
    assert all(order.sent_at is not None and order.sent_at < timezone.now()
               for order in PurchaseOrder.objects.exclude(status=OrderStatus.DRAFT))
    assert AuditEvent.objects.filter(action="inventory.order_sent").count() == 3
    rfq = RequestForQuote.objects.get()
    assert RfqQuote.objects.filter(line__rfq=rfq).values("vendor_id").distinct().count() == 2

    # Sales-rep visits: samples into sample stock, one against the policy.
    visits = list(RepVisit.objects.all())
    assert len(visits) == 3
    with_samples = set(StockMovement.objects.filter(kind=MovementKind.SAMPLE).values_list("rep_visit_id", flat=True))
    assert len(with_samples) == 2
    assert StockMovement.objects.filter(kind=MovementKind.SAMPLE).exclude(to_place__kind=PlaceKind.SAMPLES).count() == 0
    assert [visit for visit in visits if visit.policy_exceptions]

    # Seeding again adds nothing.
    before = _counts()
    context: dict[str, Any] = {"report": [], "users": {user.username: user for user in User.objects.all()},
                               "locations": {location.code: location for location in Location.objects.all()}}
    for seed in (seed_vendors, seed_catalogue, seed_stock, seed_purchasing):
        seed(context)
    assert _counts() == before
