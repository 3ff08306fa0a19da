"""FHIR Location: read, search, paging, scope (practice.view at the location), errors, query counts, metadata."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import UserFactory
from openpractice.audit.models import AuditEvent
from openpractice.core.tests.factories import LocationFactory, OpeningHoursFactory

from .support import FhirClient, body, pages, resource_ids, search_ids, validate

pytestmark = pytest.mark.django_db


def test_read_validates_with_address_and_hours(desk: Any, north: Any) -> None:
    OpeningHoursFactory(location=north, weekday=1, opens_at=dt.time(8), closes_at=dt.time(12))
    OpeningHoursFactory(location=north, weekday=1, opens_at=dt.time(13), closes_at=dt.time(17, 30))
    response = FhirClient(desk).get(f"Location/{north.pk}")
    assert response.status_code == 200
    resource = body(response)
    validate(resource)
    assert resource["name"] == "North Clinic"
    assert resource["status"] == "active"
    assert resource["address"]["postalCode"] == "27603"
    assert resource["telecom"] == [{"system": "phone", "value": "919-555-0101", "use": "work"}]
    assert resource["managingOrganization"]["reference"] == f"Organization/practice-{north.practice_id}"
    assert resource["type"][0]["coding"][0]["code"] == "11"
    assert resource["hoursOfOperation"] == [
        {"daysOfWeek": ["tue"], "openingTime": "08:00:00", "closingTime": "12:00:00"},
        {"daysOfWeek": ["tue"], "openingTime": "13:00:00", "closingTime": "17:30:00"},
    ]


def test_search_by_each_parameter(make_user: Callable[..., Any], north: Any, south: Any) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY)
    closed = LocationFactory(practice=north.practice, name="West Annex", postal_code="27999", is_active=False)
    client = FhirClient(manager)
    assert search_ids(client, "Location", {}) == [str(north.pk), str(south.pk), str(closed.pk)]
    assert search_ids(client, "Location", {"_id": str(south.pk)}) == [str(south.pk)]
    assert search_ids(client, "Location", {"name": "south"}) == [str(south.pk)]
    assert search_ids(client, "Location", {"address-postalcode": "2799"}) == [str(closed.pk)]
    assert search_ids(client, "Location", {"status": "inactive"}) == [str(closed.pk)]
    assert search_ids(client, "Location", {"status": "active"}) == [str(north.pk), str(south.pk)]
    assert search_ids(client, "Location", {"identifier": "NORTH"}) == [str(north.pk)]
    assert search_ids(client, "Location", {"name": "south", "status": "inactive"}) == []


def test_paging_links_cover_every_location_once(make_user: Callable[..., Any], practice: Any) -> None:
    for _ in range(7):
        LocationFactory(practice=practice)
    client = FhirClient(make_user(Role.PRACTICE_MANAGER, Tier.ENTRY))
    bundles = list(pages(client, body(client.get("Location", {"_count": "3"}))))
    assert len(bundles) == 3
    seen: list[str] = []
    for bundle in bundles:
        validate(bundle)
        assert bundle["total"] == 7
        seen += resource_ids(bundle)
    assert len(seen) == 7 == len(set(seen))


def test_out_of_scope_read_is_404_and_audited(desk: Any, north: Any, south: Any) -> None:
    client = FhirClient(desk)
    response = client.get(f"Location/{south.pk}")
    assert response.status_code == 404
    validate(body(response))
    assert AuditEvent.objects.filter(action="access.denied", actor=desk, object_id=str(south.pk)).exists()
    assert search_ids(client, "Location", {}) == [str(north.pk)]


def test_out_of_role_search_is_404_and_audited(practice: Any) -> None:
    nobody = UserFactory()  # every role holds practice.view: out of role means no role at all
    response = FhirClient(nobody).get("Location")
    assert response.status_code == 404
    validate(body(response))
    assert AuditEvent.objects.filter(action="access.denied", actor=nobody).exists()


def test_bad_search_values_are_400(desk: Any) -> None:
    client = FhirClient(desk)
    for query in ({"status": "suspended-ish"}, {"_id": "north"}, {"address-city": "Raleigh"},
                  {"name:missing": "true"}, {"address-postalcode": "x" * 201}):
        response = client.get("Location", query)
        assert response.status_code == 400, query
        validate(body(response))


def _queries(client: FhirClient) -> int:
    client.get("Location")  # warm the per-minute caches
    with CaptureQueriesContext(connection) as captured:
        assert client.get("Location", {"_count": "100"}).status_code == 200
    return len(captured)


def test_search_costs_the_same_for_3_or_30(make_user: Callable[..., Any], practice: Any) -> None:
    client = FhirClient(make_user(Role.PRACTICE_MANAGER, Tier.ENTRY))

    def add(count: int) -> None:
        for _ in range(count):
            OpeningHoursFactory(location=LocationFactory(practice=practice))

    add(3)
    few = _queries(client)
    add(27)
    assert _queries(client) == few


def test_metadata_lists_location(desk: Any) -> None:
    statement = body(FhirClient(desk).get("metadata"))
    validate(statement)
    location = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Location")
    assert {p["name"] for p in location["searchParam"]} >= {"_id", "name", "address-postalcode", "status"}
