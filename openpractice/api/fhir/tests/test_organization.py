"""FHIR Organization: the practice (practice-<n>) and the payers (payer-<n>), each kind behind its own permission."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.roles import Role
from openpractice.accounts.tests.factories import UserFactory
from openpractice.audit.models import AuditEvent
from openpractice.patients.tests.factories import PayerFactory

from .support import FhirClient, body, entries, search_ids, validate

pytestmark = pytest.mark.django_db

NPI = "http://hl7.org/fhir/sid/us-npi"
EIN = "urn:oid:2.16.840.1.113883.4.4"
PAYER_ID = "https://openpractice.org/fhir/payer-id"


@pytest.fixture
def biller(make_user: Callable[..., Any]) -> Any:
    return make_user(Role.BILLER)  # practice.view and payers.view


def test_practice_and_payer_read_validate(biller: Any, practice: Any) -> None:
    payer = PayerFactory(name="Blue Ridge Health", payer_id="BRH01", phone="800-555-0100",
                         portal_url="https://providers.example.com")
    client = FhirClient(biller)
    own = body(client.get(f"Organization/practice-{practice.pk}"))
    validate(own)
    assert own["name"] == "Riverbend Family Medicine"
    assert own["alias"] == ["Riverbend Family Medicine, PLLC"]
    assert own["type"][0]["coding"][0]["code"] == "prov"
    assert {(i["system"], i["value"]) for i in own["identifier"]} == {(NPI, "1234567893"), (EIN, "56-1234567")}
    theirs = body(client.get(f"Organization/payer-{payer.pk}"))
    validate(theirs)
    assert theirs["id"] == f"payer-{payer.pk}"
    assert theirs["type"][0]["coding"][0]["code"] == "pay"
    assert theirs["identifier"] == [{"system": PAYER_ID, "value": "BRH01"}]
    assert {"system": "url", "value": "https://providers.example.com", "use": "work"} in theirs["telecom"]
    assert "notes" not in str(theirs)


def test_search_by_each_parameter_and_paging(biller: Any, practice: Any) -> None:
    aetna = PayerFactory(name="Aetna", payer_id="60054")
    blue = PayerFactory(name="Blue Ridge", payer_id="BRH01", is_active=False)
    client = FhirClient(biller)
    own = f"practice-{practice.pk}"
    everyone = [own, f"payer-{aetna.pk}", f"payer-{blue.pk}"]
    assert search_ids(client, "Organization", {}) == everyone  # the practice first, then payers by name
    assert search_ids(client, "Organization", {"type": "prov"}) == [own]
    assert search_ids(client, "Organization", {"type": "http://terminology.hl7.org/CodeSystem/organization-type|pay"}) == everyone[1:]
    assert search_ids(client, "Organization", {"name": "riverbend"}) == [own]
    assert search_ids(client, "Organization", {"name": "Riverbend Family Medicine, P"}) == [own]  # the legal name
    assert search_ids(client, "Organization", {"name:contains": "ridge"}) == [f"payer-{blue.pk}"]
    assert search_ids(client, "Organization", {"_id": f"payer-{aetna.pk}"}) == [f"payer-{aetna.pk}"]
    assert search_ids(client, "Organization", {"_id": own}) == [own]
    assert search_ids(client, "Organization", {"identifier": f"{NPI}|1234567893"}) == [own]
    assert search_ids(client, "Organization", {"identifier": f"{EIN}|561234567"}) == [own]
    assert search_ids(client, "Organization", {"identifier": f"{PAYER_ID}|brh01"}) == [f"payer-{blue.pk}"]
    assert search_ids(client, "Organization", {"identifier": "60054"}) == [f"payer-{aetna.pk}"]
    assert search_ids(client, "Organization", {"identifier": "urn:x|60054"}) == []
    assert search_ids(client, "Organization", {"active": "false"}) == [f"payer-{blue.pk}"]
    # Paging runs across both kinds.
    for offset in range(3):
        bundle = body(client.get("Organization", {"_count": "1", "_offset": str(offset)}))
        validate(bundle)
        assert bundle["total"] == 3
        assert [r["id"] for r in entries(bundle)] == [everyone[offset]]
        assert any(link["relation"] == "next" for link in bundle["link"]) == (offset < 2)
    assert search_ids(client, "Organization", {"_count": "2", "_offset": "1"}) == everyone[1:]


def test_a_caller_sees_only_the_kinds_they_may(make_user: Callable[..., Any], practice: Any) -> None:
    payer = PayerFactory()
    clinical = make_user(Role.CLINICAL_STAFF)  # practice.view, no payers.view
    client = FhirClient(clinical)
    assert search_ids(client, "Organization", {}) == [f"practice-{practice.pk}"]
    assert search_ids(client, "Organization", {"type": "pay"}) == []
    response = client.get(f"Organization/payer-{payer.pk}")
    assert response.status_code == 404
    validate(body(response))
    assert AuditEvent.objects.filter(action="access.denied", actor=clinical, object_id=str(payer.pk),
                                     object_type="patients.payer").exists()
    assert client.get("Organization/payer-999999").status_code == 404


def test_out_of_role_search_is_404_and_audited(practice: Any) -> None:
    nobody = UserFactory()  # every role holds practice.view: out of role means no role at all
    response = FhirClient(nobody).get("Organization")
    assert response.status_code == 404
    validate(body(response))
    assert AuditEvent.objects.filter(action="access.denied", actor=nobody).exists()


def test_bad_search_values_are_400(biller: Any) -> None:
    client = FhirClient(biller)
    for query in ({"type": "clinic"}, {"_id": "12"}, {"_id": "vendor-1"}, {"active": "yes"}, {"partof": "x"},
                  {"name:below": "x"}):
        response = client.get("Organization", query)
        assert response.status_code == 400, query
        validate(body(response))
    assert client.get("Organization/12").status_code == 400


def _queries(client: FhirClient) -> int:
    client.get("Organization")  # warm the per-minute caches
    with CaptureQueriesContext(connection) as captured:
        assert client.get("Organization", {"_count": "100"}).status_code == 200
    return len(captured)


def test_search_costs_the_same_for_3_or_30(biller: Any, practice: Any) -> None:
    client = FhirClient(biller)
    for _ in range(3):
        PayerFactory()
    few = _queries(client)
    for _ in range(27):
        PayerFactory()
    assert _queries(client) == few


def test_metadata_lists_organization(biller: Any) -> None:
    statement = body(FhirClient(biller).get("metadata"))
    validate(statement)
    organization = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Organization")
    assert {p["name"] for p in organization["searchParam"]} >= {"_id", "name", "type", "identifier"}
