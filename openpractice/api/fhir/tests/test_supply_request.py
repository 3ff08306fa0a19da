"""FHIR SupplyRequest: purchase order lines read and searched with inventory.view's location scope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent
from openpractice.inventory.choices import ItemCategory, OrderStatus
from openpractice.inventory.models import PurchaseOrder, PurchaseOrderLine
from openpractice.inventory.tests.factories import ItemFactory
from openpractice.inventory.tests.factories_purchasing import order, vendor
from openpractice.vendors.models import Vendor

from .support import FhirClient, body, pages, resource_ids, validate

pytestmark = pytest.mark.django_db


def _order(location: Any, creator: Any, *, lines: int = 1, status: str = OrderStatus.SENT,
           created: dt.datetime | None = None) -> PurchaseOrder:
    supplier = Vendor.objects.filter(name="Henry Schein").first() or vendor("Henry Schein")
    made = order(location, supplier, creator, [
        {"item": ItemFactory(name=f"Gloves {n}"), "quantity": 2 + n, "unit_price": Decimal("8.95")}
        for n in range(lines)], status=status, expected_on=dt.date(2026, 1, 15))
    if created is not None:
        PurchaseOrder.objects.filter(pk=made.pk).update(created_at=created)
    return made


def test_read_maps_an_order_line(nurse_north: Any, north: Any) -> None:
    made = _order(north, nurse_north)
    line = made.lines.get()
    resource = body(FhirClient(nurse_north).get(f"SupplyRequest/{line.pk}"))
    validate(resource)
    assert resource["status"] == "active"
    assert resource["identifier"][0]["value"] == made.number
    assert resource["itemCodeableConcept"]["coding"][0]["code"] == line.item.sku  # type: ignore[union-attr]
    assert resource["quantity"] == {"value": 2, "unit": "each"}
    assert resource["supplier"] == [{"identifier": {"system": "https://openpractice.org/fhir/vendor",
                                                    "value": str(made.vendor_id)}, "display": "Henry Schein"}]
    assert "reference" not in resource["supplier"][0]
    assert resource["deliverTo"]["reference"] == f"Location/{north.pk}"
    assert resource["occurrenceDateTime"] == "2026-01-15"
    # A described line (not in the catalogue) validates too.
    described = PurchaseOrderLine.objects.create(order=made, description="Waiting room chair", quantity=1,
                                                 unit_price=Decimal("120"))
    other = body(FhirClient(nurse_north).get(f"SupplyRequest/{described.pk}"))
    validate(other)
    assert other["itemCodeableConcept"] == {"text": "Waiting room chair"}


def test_out_of_scope_read_is_404_and_audited(nurse_north: Any, south: Any) -> None:
    line = _order(south, nurse_north).lines.get()
    response = FhirClient(nurse_north).get(f"SupplyRequest/{line.pk}")
    assert response.status_code == 404
    validate(body(response))
    assert AuditEvent.objects.filter(action="access.denied", object_id=str(line.pk), actor=nurse_north).exists()
    assert FhirClient(nurse_north).get("SupplyRequest/999999").status_code == 404


def test_out_of_role_is_404(make_user: Callable[..., Any]) -> None:
    desk = make_user(Role.FRONT_DESK)
    assert FhirClient(desk).get("SupplyRequest").status_code == 404
    assert AuditEvent.objects.filter(action="access.denied", actor=desk).exists()


def test_search_parameters(nurse_north: Any, north: Any, south: Any) -> None:
    now = timezone.now()
    sent = _order(north, nurse_north, created=now - dt.timedelta(days=40))
    draft = _order(north, nurse_north, status=OrderStatus.DRAFT, created=now)
    received = _order(north, nurse_north, status=OrderStatus.CLOSED, created=now - dt.timedelta(days=1))
    _order(south, nurse_north)  # out of scope
    office = draft.lines.get()
    office.item.category = ItemCategory.OFFICE  # type: ignore[union-attr]
    office.item.save()  # type: ignore[union-attr]
    client = FhirClient(nurse_north)
    everything = body(client.get("SupplyRequest"))
    validate(everything)
    assert everything["total"] == 3
    # Newest order first.
    assert resource_ids(everything) == [str(o.lines.get().pk) for o in (draft, received, sent)]
    assert resource_ids(body(client.get("SupplyRequest", {"status": "draft"}))) == [str(office.pk)]
    assert resource_ids(body(client.get("SupplyRequest", {"status": "completed"}))) == [str(received.lines.get().pk)]
    assert body(client.get("SupplyRequest", {"status": "suspended"}))["total"] == 0
    assert resource_ids(body(client.get("SupplyRequest", {"identifier": sent.number.lower()}))) == [
        str(sent.lines.get().pk)]
    assert body(client.get("SupplyRequest", {"date": f"lt{(now - dt.timedelta(days=2)).date()}"}))["total"] == 1
    assert resource_ids(body(client.get("SupplyRequest", {"category": "office"}))) == [str(office.pk)]
    assert body(client.get("SupplyRequest", {"location": f"Location/{north.pk}"}))["total"] == 3
    assert body(client.get("SupplyRequest", {"location": str(south.pk)}))["total"] == 0
    assert resource_ids(body(client.get("SupplyRequest", {"_id": str(office.pk)}))) == [str(office.pk)]


def test_paging_covers_every_line_once(nurse_north: Any, north: Any) -> None:
    _order(north, nurse_north, lines=4)
    _order(north, nurse_north, lines=3)
    client = FhirClient(nurse_north)
    seen: list[str] = []
    for bundle in pages(client, body(client.get("SupplyRequest", {"_count": "3"}))):
        validate(bundle)
        assert bundle["total"] == 7
        seen += resource_ids(bundle)
    assert len(seen) == 7 == len(set(seen))


def test_query_count_is_flat(nurse_north: Any, north: Any) -> None:
    client = FhirClient(nurse_north)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("SupplyRequest", {"_count": "100"}).status_code == 200
        return len(captured)

    _order(north, nurse_north, lines=3)
    queries()  # the first call also looks up the token's first use
    few = queries()
    for _ in range(9):
        _order(north, nurse_north, lines=3)
    assert queries() == few


def test_bad_search_values_are_400(nurse_north: Any) -> None:
    client = FhirClient(nurse_north)
    for query in ({"status": "shipped"}, {"date": "soon"}, {"location": "Patient/1"}, {"_id": "x"},
                  {"category": "toys"}, {"vendor": "x"}):
        response = client.get("SupplyRequest", query)
        assert response.status_code == 400, query
        validate(body(response))
