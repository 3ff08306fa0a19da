"""FHIR Device: facilities assets read and searched with facilities.view's location scope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent
from openpractice.facilities.choices import AssetKind, AssetStatus
from openpractice.facilities.tests.factories_assets import make_asset

from .support import FhirClient, body, pages, resource_ids, validate

pytestmark = pytest.mark.django_db


def test_read_maps_an_asset(nurse_north: Any, north: Any) -> None:
    asset = make_asset(location=north, tag="A-0042", room="Lab", manufacturer="Helmer Scientific",
                       model_number="iPR120", serial_number="HS-2291844", warranty_ends_on=dt.date(2027, 4, 11),
                       notes="Keep the door closed.", purchase_cost="6850.00")
    resource = body(FhirClient(nurse_north).get(f"Device/{asset.pk}"))
    validate(resource)
    assert resource["status"] == "active"
    assert [ident["value"] for ident in resource["identifier"]] == ["A-0042", "HS-2291844"]
    assert resource["serialNumber"] == "HS-2291844"
    assert resource["manufacturer"] == "Helmer Scientific"
    assert resource["modelNumber"] == "iPR120"
    assert resource["deviceName"] == [{"name": "Vaccine refrigerator", "type": "user-friendly-name"}]
    assert resource["type"]["coding"][0]["code"] == "refrigerator"
    assert resource["location"]["reference"] == f"Location/{north.pk}"
    assert resource["note"] == [{"text": "Keep the door closed."}]
    assert {"url": "https://openpractice.org/fhir/StructureDefinition/warranty-ends",
            "valueDate": "2027-04-11"} in resource["extension"]
    assert "6850" not in str(resource)
    # A bare asset (no optional fields) validates too.
    bare = make_asset(location=north, status=AssetStatus.RETIRED)
    minimal = body(FhirClient(nurse_north).get(f"Device/{bare.pk}"))
    validate(minimal)
    assert minimal["status"] == "inactive"
    assert minimal["statusReason"][0]["coding"][0]["code"] == "retired"


def test_out_of_scope_read_is_404_and_audited(nurse_north: Any, south: Any) -> None:
    asset = make_asset(location=south)
    response = FhirClient(nurse_north).get(f"Device/{asset.pk}")
    assert response.status_code == 404
    validate(body(response))
    assert AuditEvent.objects.filter(action="access.denied", object_id=str(asset.pk), actor=nurse_north).exists()


def test_out_of_role_is_404(make_user: Callable[..., Any]) -> None:
    biller = make_user(Role.BILLER)
    assert FhirClient(biller).get("Device").status_code == 404
    assert AuditEvent.objects.filter(action="access.denied", actor=biller).exists()


def test_search_parameters(nurse_north: Any, north: Any, south: Any) -> None:
    fridge = make_asset(location=north, tag="A-1", name="Fridge", manufacturer="Helmer", model_number="iPR120",
                        serial_number="SN-77")
    autoclave = make_asset(location=north, tag="A-2", name="Autoclave", kind=AssetKind.AUTOCLAVE,
                           manufacturer="Midmark", model_number="M11", status=AssetStatus.OUT_OF_SERVICE)
    make_asset(location=south, tag="A-3", name="Elsewhere")
    client = FhirClient(nurse_north)
    everything = body(client.get("Device"))
    validate(everything)
    assert resource_ids(everything) == [str(autoclave.pk), str(fridge.pk)]
    assert resource_ids(body(client.get("Device", {"status": "inactive"}))) == [str(autoclave.pk)]
    assert resource_ids(body(client.get("Device", {"status": "active"}))) == [str(fridge.pk)]
    assert resource_ids(body(client.get("Device", {"identifier": "a-1"}))) == [str(fridge.pk)]
    assert resource_ids(body(client.get("Device", {"identifier": "https://openpractice.org/fhir/serial-number|SN-77"}))) \
        == [str(fridge.pk)]
    assert resource_ids(body(client.get("Device", {"identifier": "https://openpractice.org/fhir/asset-tag|SN-77"}))) == []
    assert resource_ids(body(client.get("Device", {"type": "autoclave"}))) == [str(autoclave.pk)]
    assert resource_ids(body(client.get("Device", {"manufacturer": "mid"}))) == [str(autoclave.pk)]
    assert resource_ids(body(client.get("Device", {"model": "iPR"}))) == [str(fridge.pk)]
    assert body(client.get("Device", {"location": f"Location/{north.pk}"}))["total"] == 2
    assert body(client.get("Device", {"location": str(south.pk)}))["total"] == 0
    assert resource_ids(body(client.get("Device", {"_id": str(fridge.pk)}))) == [str(fridge.pk)]


def test_paging_covers_every_asset_once(nurse_north: Any, north: Any) -> None:
    for _ in range(7):
        make_asset(location=north)
    client = FhirClient(nurse_north)
    seen: list[str] = []
    for bundle in pages(client, body(client.get("Device", {"_count": "3"}))):
        validate(bundle)
        assert bundle["total"] == 7
        seen += resource_ids(bundle)
    assert len(seen) == 7 == len(set(seen))


def test_query_count_is_flat(nurse_north: Any, north: Any) -> None:
    client = FhirClient(nurse_north)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("Device", {"_count": "100"}).status_code == 200
        return len(captured)

    for _ in range(3):
        make_asset(location=north)
    queries()
    few = queries()
    for _ in range(27):
        make_asset(location=north)
    assert queries() == few


def test_bad_search_values_are_400(nurse_north: Any) -> None:
    client = FhirClient(nurse_north)
    for query in ({"status": "broken"}, {"type": "toaster"}, {"location": "Device/1"}, {"_id": "A-1"},
                  {"serial": "x"}, {"manufacturer:above": "x"}):
        response = client.get("Device", query)
        assert response.status_code == 400, query
        validate(body(response))
