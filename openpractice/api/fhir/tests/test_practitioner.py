"""FHIR Practitioner and PractitionerRole: read, search, paging, scope, errors, query counts, metadata."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.scheduling.tests.factories import ProviderFactory, ProviderTemplateFactory

from .support import FhirClient, body, pages, resource_ids, search_ids, validate

pytestmark = pytest.mark.django_db

NPI = "http://hl7.org/fhir/sid/us-npi"


# -- Practitioner -----------------------------------------------------------------------------------------------

def test_practitioner_read_validates(desk: Any, north: Any) -> None:
    provider = ProviderFactory(first_name="Mara", last_name="Quill", credential="DO", locations=[north])
    response = FhirClient(desk).get(f"Practitioner/{provider.pk}")
    assert response.status_code == 200
    resource = body(response)
    validate(resource)
    assert resource["identifier"][0] == {"system": NPI, "value": provider.npi, "type": {"coding": [
        {"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "NPI"}]}}
    assert resource["name"][0]["family"] == "Quill"
    assert resource["name"][0]["given"] == ["Mara"]
    assert resource["active"] is True
    codes = {(c["system"], c["code"]) for q in resource["qualification"] for c in q["code"]["coding"]}
    assert ("http://terminology.hl7.org/CodeSystem/v2-0360", "DO") in codes
    assert ("http://nucc.org/provider-taxonomy", "207Q00000X") in codes
    # Reading providers is not a PHI read: no patients.viewed event.
    assert not AuditEvent.objects.filter(action="patients.viewed").exists()


def test_practitioner_search_by_each_parameter(desk: Any, north: Any, south: Any) -> None:
    mara = ProviderFactory(first_name="Mara", last_name="Quill", locations=[north])
    otto = ProviderFactory(first_name="Otto", last_name="Brandt", locations=[north], is_active=False)
    ProviderFactory(first_name="Mara", last_name="Quill", locations=[south])  # out of scope
    client = FhirClient(desk)
    assert search_ids(client, "Practitioner", {"_id": str(mara.pk)}) == [str(mara.pk)]
    assert search_ids(client, "Practitioner", {"name": "qui"}) == [str(mara.pk)]
    assert search_ids(client, "Practitioner", {"name": "otto"}) == [str(otto.pk)]
    assert search_ids(client, "Practitioner", {"family": "brandt"}) == [str(otto.pk)]
    assert search_ids(client, "Practitioner", {"given": "Mara"}) == [str(mara.pk)]
    assert search_ids(client, "Practitioner", {"identifier": f"{NPI}|{otto.npi}"}) == [str(otto.pk)]
    assert search_ids(client, "Practitioner", {"identifier": str(mara.npi)}) == [str(mara.pk)]
    assert search_ids(client, "Practitioner", {"identifier": f"urn:other|{mara.npi}"}) == []
    assert search_ids(client, "Practitioner", {"active": "false"}) == [str(otto.pk)]
    assert search_ids(client, "Practitioner", {"active": "true"}) == [str(mara.pk)]
    assert sorted(search_ids(client, "Practitioner", {})) == sorted([str(mara.pk), str(otto.pk)])


def test_practitioner_paging_links_cover_every_provider_once(desk: Any, north: Any) -> None:
    for _ in range(7):
        ProviderFactory(locations=[north])
    client = FhirClient(desk)
    bundles = list(pages(client, body(client.get("Practitioner", {"_count": "3"}))))
    assert len(bundles) == 3
    seen: list[str] = []
    for bundle in bundles:
        validate(bundle)
        assert bundle["total"] == 7
        seen += resource_ids(bundle)
    assert len(seen) == 7 == len(set(seen))


def test_practitioner_out_of_scope_read_is_404_and_audited(desk: Any, south: Any) -> None:
    other = ProviderFactory(locations=[south])
    response = FhirClient(desk).get(f"Practitioner/{other.pk}")
    assert response.status_code == 404
    validate(body(response))
    assert AuditEvent.objects.filter(action="access.denied", actor=desk, object_id=str(other.pk)).exists()
    assert FhirClient(desk).get("Practitioner/999999").status_code == 404


def test_practitioner_out_of_role_is_404_and_audited(make_user: Callable[..., Any], north: Any) -> None:
    provider = ProviderFactory(locations=[north])
    hr = make_user(Role.HR)  # no schedule.view
    client = FhirClient(hr)
    for path in ("Practitioner", f"Practitioner/{provider.pk}", "PractitionerRole"):
        response = client.get(path)
        assert response.status_code == 404, path
        validate(body(response))
    assert AuditEvent.objects.filter(action="access.denied", actor=hr).count() == 3


def test_practitioner_bad_search_values_are_400(desk: Any) -> None:
    client = FhirClient(desk)
    for query in ({"_id": "x1"}, {"active": "maybe"}, {"npi": "1"}, {"name:above": "x"}, {"_count": "many"},
                  {"identifier:text": "1"}):
        response = client.get("Practitioner", query)
        assert response.status_code == 400, query
        validate(body(response))


def _queries(client: FhirClient, path: str) -> int:
    client.get(path)  # warm the per-minute caches (practice settings, token last use) so both counts are alike
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, {"_count": "100"})
    assert response.status_code == 200
    return len(captured)


def test_practitioner_search_costs_the_same_for_3_or_30(desk: Any, north: Any) -> None:
    client = FhirClient(desk)
    for _ in range(3):
        ProviderFactory(locations=[north])
    few = _queries(client, "Practitioner")
    for _ in range(27):
        ProviderFactory(locations=[north])
    assert _queries(client, "Practitioner") == few


# -- PractitionerRole -------------------------------------------------------------------------------------------

def test_practitioner_role_read_validates_with_hours(desk: Any, north: Any, south: Any) -> None:
    provider = ProviderFactory(last_name="Quill", locations=[north, south], taxonomy_code="363LF0000X", kind="np")
    ProviderTemplateFactory(provider=provider, location=north, weekday=0, start=dt.time(8), end=dt.time(12))
    ProviderTemplateFactory(provider=provider, location=south, weekday=2, start=dt.time(13), end=dt.time(17))
    response = FhirClient(desk).get(f"PractitionerRole/{provider.pk}-{north.pk}")
    assert response.status_code == 200
    resource = body(response)
    validate(resource)
    assert resource["id"] == f"{provider.pk}-{north.pk}"
    assert resource["practitioner"]["reference"] == f"Practitioner/{provider.pk}"
    assert resource["location"][0]["reference"] == f"Location/{north.pk}"
    assert resource["organization"]["reference"] == f"Organization/practice-{north.practice_id}"
    assert resource["specialty"][0]["coding"][0]["code"] == "363LF0000X"
    # Only the hours at this location.
    assert resource["availableTime"] == [{"daysOfWeek": ["mon"], "availableStartTime": "08:00:00",
                                          "availableEndTime": "12:00:00"}]
    assert resource["active"] is True


def test_practitioner_role_at_another_location_is_404_and_audited(desk: Any, north: Any,
                                                                   south: Any) -> None:
    provider = ProviderFactory(locations=[north, south])
    client = FhirClient(desk)
    response = client.get(f"PractitionerRole/{provider.pk}-{south.pk}")
    assert response.status_code == 404
    validate(body(response))
    assert AuditEvent.objects.filter(action="access.denied", object_id=f"{provider.pk}-{south.pk}").exists()
    # A pair that does not exist answers the same, without a denial; a malformed id is a 400.
    assert client.get(f"PractitionerRole/{provider.pk}-999999").status_code == 404
    assert client.get("PractitionerRole/abc").status_code == 400
    assert search_ids(client, "PractitionerRole", {}) == [f"{provider.pk}-{north.pk}"]


def test_practitioner_role_search_by_each_parameter(make_user: Callable[..., Any], north: Any, south: Any) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY)  # all locations
    mara = ProviderFactory(last_name="Aaron", locations=[north, south])
    otto = ProviderFactory(last_name="Brandt", locations=[south], is_active=False)
    south.is_active = False
    south.save(update_fields=["is_active"])
    client = FhirClient(manager)
    everyone = [f"{mara.pk}-{north.pk}", f"{mara.pk}-{south.pk}", f"{otto.pk}-{south.pk}"]
    assert search_ids(client, "PractitionerRole", {}) == everyone  # by name, then location
    assert search_ids(client, "PractitionerRole", {"practitioner": f"Practitioner/{otto.pk}"}) == everyone[2:]
    assert search_ids(client, "PractitionerRole", {"practitioner": str(mara.pk)}) == everyone[:2]
    assert search_ids(client, "PractitionerRole", {"location": f"Location/{north.pk}"}) == everyone[:1]
    assert search_ids(client, "PractitionerRole", {"active": "true"}) == everyone[:1]
    assert search_ids(client, "PractitionerRole", {"active": "false"}) == everyone[1:]
    assert search_ids(client, "PractitionerRole", {"_id": everyone[1]}) == everyone[1:2]
    assert search_ids(client, "PractitionerRole", {"_count": "2", "_offset": "2"}) == everyone[2:]
    for query in ({"practitioner": "Patient/1"}, {"location": "north"}, {"active": "yes"}, {"_id": "12"},
                  {"specialty": "x"}):
        response = client.get("PractitionerRole", query)
        assert response.status_code == 400, query
        validate(body(response))


def test_practitioner_role_search_costs_the_same_for_3_or_30(desk: Any, north: Any) -> None:
    client = FhirClient(desk)

    def add(count: int) -> None:
        for _ in range(count):
            provider = ProviderFactory(locations=[north])
            ProviderTemplateFactory(provider=provider, location=north)

    add(3)
    few = _queries(client, "PractitionerRole")
    add(27)
    assert _queries(client, "PractitionerRole") == few


def test_metadata_lists_practitioner_types(desk: Any) -> None:
    statement = body(FhirClient(desk).get("metadata"))
    validate(statement)
    served = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert {p["name"] for p in served["Practitioner"]["searchParam"]} == {
        "_id", "name", "family", "given", "identifier", "active"}
    assert {p["name"] for p in served["PractitionerRole"]["searchParam"]} >= {"practitioner", "location", "active"}
