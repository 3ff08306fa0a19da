"""Rep samples into sample stock; a suggested order becomes a submitted requisition at current prices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import user_with_role
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.inventory.choices import MovementKind, PlaceKind, RequisitionStatus
from openpractice.inventory.models import Packaging, ParLevel, StockLevel, StockMovement, VendorItem
from openpractice.inventory.selectors.stock import suggested_orders
from openpractice.inventory.services import purchasing, samples
from openpractice.inventory.tests.factories import ItemFactory, place_at
from openpractice.vendors.choices import VendorKind
from openpractice.vendors.models import RepVisit, Vendor

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 27)


def test_samples_go_into_the_sample_cabinet_by_lot_linked_to_the_visit(north: Any) -> None:
    clerk = user_with_role(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])
    vendor = Vendor.objects.create(name="Pharma Co", kind=VendorKind.SALES)
    visit = RepVisit.objects.create(vendor=vendor, rep_name="Pat", location=north, visited_at=timezone.now(),
                                    logged_by=clerk)
    cabinet = place_at(north, "Sample cabinet")
    cabinet.kind = PlaceKind.SAMPLES
    cabinet.save()
    inhaler = ItemFactory(name="Inhaler sample", lot_tracked=True)
    with pytest.raises(ValidationError, match="sample cabinet"):
        samples.samples_receive(actor=clerk, visit=visit, place=place_at(north), samples=[
            samples.SampleIn(inhaler, 4, "L1", dt.date(2027, 5, 1))])
    samples.samples_receive(actor=clerk, visit=visit, place=cabinet, samples=[
        samples.SampleIn(inhaler, 4, "L1", dt.date(2027, 5, 1))])
    movement = StockMovement.objects.get()
    assert (movement.kind, movement.quantity, movement.rep_visit_id) == (MovementKind.SAMPLE, 4, visit.pk)
    assert StockLevel.objects.get(place=cabinet).quantity == 4


def test_a_refused_sample_receipt_is_audited_and_changes_nothing(north: Any, south: Any) -> None:
    """The refusal is checked before the transaction, so its audit event is kept."""
    south_clerk = user_with_role(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[south])
    vendor = Vendor.objects.create(name="Pharma Co", kind=VendorKind.SALES)
    visit = RepVisit.objects.create(vendor=vendor, rep_name="Pat", location=north, visited_at=timezone.now(),
                                    logged_by=south_clerk)
    cabinet = place_at(north, "Sample cabinet")
    cabinet.kind = PlaceKind.SAMPLES
    cabinet.save()
    with pytest.raises(PermissionDenied):
        samples.samples_receive(actor=south_clerk, visit=visit, place=cabinet, samples=[
            samples.SampleIn(ItemFactory(), 4)])
    assert AuditEvent.objects.filter(actor=south_clerk, outcome=Outcome.DENIED,
                                     action="inventory.samples_receive").exists()
    assert not StockMovement.objects.exists()


def test_a_suggested_order_becomes_a_submitted_requisition(north: Any) -> None:
    manager = user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    medline = Vendor.objects.create(name="Medline", kind=VendorKind.SUPPLIER)
    gloves = ItemFactory(name="Gloves", preferred_vendor=medline)
    box = Packaging.objects.create(item=gloves, name="box", base_quantity=100)
    VendorItem.objects.create(vendor=medline, item=gloves, packaging=box, price=Decimal("8.00"),
                              effective_from=dt.date(2026, 1, 1))
    ParLevel.objects.create(item=gloves, place=place_at(north), par=250, reorder_point=50)
    [order] = suggested_orders(actor=manager, today=TODAY)
    requisition = purchasing.requisition_from_suggestion(actor=manager, location=north, order=order)
    assert requisition.status == RequisitionStatus.SUBMITTED
    line = requisition.lines.get()
    assert (line.quantity, line.packaging, line.unit_price, line.vendor) == (3, box, Decimal("8.0000"), medline)
    assert requisition.total == Decimal("24.00")
