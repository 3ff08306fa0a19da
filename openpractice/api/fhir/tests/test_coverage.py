"""FHIR Coverage: read, search, paging, scope by the patient's home location, PHI audit, errors, query counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent
from openpractice.patients.tests.factories import CoverageFactory, PatientFactory, PayerFactory, PayerPlanFactory

from .support import FhirClient, body, entries, pages, resource_ids, search_ids, validate

pytestmark = pytest.mark.django_db

MEMBER_ID = "https://openpractice.org/fhir/member-id"


def test_read_validates_and_is_audited(desk: Any, north: Any) -> None:
    plan = PayerPlanFactory(name="Gold PPO")
    coverage = CoverageFactory(patient=PatientFactory(home_location=north), payer=plan.payer, plan=plan,
                               member_id="XYZ123", group_number="G-77", rank=2, copay=Decimal("30.00"),
                               effective_from=dt.date(2024, 1, 1), effective_to=dt.date(2099, 12, 31))
    response = FhirClient(desk).get(f"Coverage/{coverage.pk}")
    assert response.status_code == 200
    resource = body(response)
    validate(resource)
    assert resource["status"] == "active"
    assert resource["subscriberId"] == "XYZ123"
    assert resource["identifier"][0]["value"] == "XYZ123"
    assert resource["beneficiary"]["reference"] == f"Patient/{coverage.patient_id}"
    assert resource["subscriber"]["reference"] == f"Patient/{coverage.patient_id}"
    assert resource["payor"][0]["reference"] == f"Organization/payer-{plan.payer_id}"
    assert resource["relationship"]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/subscriber-relationship", "code": "self", "display": "Self"}
    assert resource["period"] == {"start": "2024-01-01", "end": "2099-12-31"}
    assert resource["order"] == 2
    assert {(c["type"]["coding"][0]["code"], c["value"]) for c in resource["class"]} == {
        ("group", "G-77"), ("plan", str(plan.pk))}
    assert resource["costToBeneficiary"][0]["valueMoney"] == {"value": 30.0, "currency": "USD"}
    assert "contained" not in resource
    assert AuditEvent.objects.filter(action="patients.viewed", patient_id=coverage.patient_id, reason="fhir").count() == 1


def test_a_dependent_s_subscriber_is_a_contained_related_person(desk: Any, north: Any) -> None:
    coverage = CoverageFactory(patient=PatientFactory(home_location=north), subscriber_relationship="child",
                               subscriber_first_name="Lena", subscriber_last_name="Hart", subscriber_sex="F",
                               subscriber_date_of_birth=dt.date(1975, 3, 4), subscriber_city="Cary",
                               subscriber_state="NC")
    resource = body(FhirClient(desk).get(f"Coverage/{coverage.pk}"))
    validate(resource)
    assert resource["subscriber"] == {"reference": "#subscriber"}
    person = resource["contained"][0]
    assert person["resourceType"] == "RelatedPerson"
    assert person["name"][0]["family"] == "Hart"
    assert person["birthDate"] == "1975-03-04"
    assert person["relationship"][0]["coding"][0]["code"] == "PRN"
    assert resource["relationship"]["coding"][0]["code"] == "child"


def test_search_by_each_parameter(desk: Any, north: Any, south: Any) -> None:
    ada, bob = PatientFactory(home_location=north), PatientFactory(home_location=north)
    aetna, blue = PayerFactory(), PayerFactory()
    first = CoverageFactory(patient=ada, payer=aetna, member_id="AAA1")
    ended = CoverageFactory(patient=ada, payer=blue, rank=2, effective_to=dt.date(2024, 6, 30))
    off = CoverageFactory(patient=bob, payer=blue, is_active=False)
    CoverageFactory(patient=PatientFactory(home_location=south), payer=aetna)  # out of scope
    client = FhirClient(desk)
    assert search_ids(client, "Coverage", {}) == [str(first.pk), str(ended.pk), str(off.pk)]
    assert search_ids(client, "Coverage", {"_id": str(ended.pk)}) == [str(ended.pk)]
    assert search_ids(client, "Coverage", {"patient": f"Patient/{bob.pk}"}) == [str(off.pk)]
    assert search_ids(client, "Coverage", {"beneficiary": str(ada.pk)}) == [str(first.pk), str(ended.pk)]
    assert search_ids(client, "Coverage", {"payor": f"Organization/payer-{aetna.pk}"}) == [str(first.pk)]
    assert search_ids(client, "Coverage", {"payor": f"payer-{blue.pk}"}) == [str(ended.pk), str(off.pk)]
    assert search_ids(client, "Coverage", {"payor": "Organization/practice-1"}) == []
    assert search_ids(client, "Coverage", {"status": "active"}) == [str(first.pk)]
    assert search_ids(client, "Coverage", {"status": "cancelled"}) == [str(ended.pk), str(off.pk)]
    assert search_ids(client, "Coverage", {"status": "draft"}) == []
    assert search_ids(client, "Coverage", {"identifier": "aaa1"}) == [str(first.pk)]
    assert search_ids(client, "Coverage", {"identifier": f"{MEMBER_ID}|AAA1"}) == [str(first.pk)]
    assert search_ids(client, "Coverage", {"identifier": "urn:x|AAA1"}) == []
    cancelled = body(client.get("Coverage", {"_id": str(ended.pk)}))
    assert entries(cancelled)[0]["status"] == "cancelled"


def test_paging_audits_each_patient_on_the_page_once(desk: Any, north: Any) -> None:
    patients = [PatientFactory(home_location=north) for _ in range(3)]
    for patient in patients:
        CoverageFactory(patient=patient, rank=1)
        CoverageFactory(patient=patient, rank=2)
    client = FhirClient(desk)
    bundles = list(pages(client, body(client.get("Coverage", {"_count": "3"}))))
    assert len(bundles) == 2
    seen: list[str] = []
    for bundle in bundles:
        validate(bundle)
        assert bundle["total"] == 6
        seen += resource_ids(bundle)
    assert len(seen) == 6 == len(set(seen))
    # Page 1 shows patients 1 (twice) and 2, page 2 patients 2 and 3 (twice): one event per patient per page.
    viewed = AuditEvent.objects.filter(action="patients.viewed", reason="fhir")
    assert sorted(pk or 0 for pk in viewed.values_list("patient_id", flat=True)) == sorted(
        [patients[0].pk, patients[1].pk, patients[1].pk, patients[2].pk])


def test_out_of_scope_read_is_404_and_audited_without_phi_event(desk: Any, south: Any) -> None:
    other = CoverageFactory(patient=PatientFactory(home_location=south))
    client = FhirClient(desk)
    response = client.get(f"Coverage/{other.pk}")
    assert response.status_code == 404
    validate(body(response))
    assert AuditEvent.objects.filter(action="access.denied", actor=desk, object_id=str(other.pk)).exists()
    assert not AuditEvent.objects.filter(action="patients.viewed").exists()
    assert client.get("Coverage/999999").status_code == 404


def test_out_of_role_is_404_and_audited(make_user: Callable[..., Any], north: Any) -> None:
    coverage = CoverageFactory(patient=PatientFactory(home_location=north))
    hr = make_user(Role.HR)  # no patient data at all
    for path in ("Coverage", f"Coverage/{coverage.pk}"):
        response = FhirClient(hr).get(path)
        assert response.status_code == 404
        validate(body(response))
    assert AuditEvent.objects.filter(action="access.denied", actor=hr).count() == 2
    assert not AuditEvent.objects.filter(action="patients.viewed").exists()


def test_bad_search_values_are_400(desk: Any) -> None:
    client = FhirClient(desk)
    for query in ({"status": "expired"}, {"patient": "Practitioner/1"}, {"patient": "abc"},
                  {"payor": "Organization/12"}, {"payor": "Patient/payer-1"}, {"_id": "x"}, {"subscriber": "1"},
                  {"status:not": "active"}):
        response = client.get("Coverage", query)
        assert response.status_code == 400, query
        validate(body(response))


def _reads(client: FhirClient) -> int:
    """Queries of one search, less the audit trail's writes (one event per patient shown, by design)."""
    client.get("Coverage", {"_count": "0"})  # warm the per-minute caches
    with CaptureQueriesContext(connection) as captured:
        assert client.get("Coverage", {"_count": "100"}).status_code == 200
    return len([query for query in captured.captured_queries if "audit_" not in query["sql"]])


def test_search_costs_the_same_for_3_or_30(desk: Any, north: Any) -> None:
    client = FhirClient(desk)
    patient = PatientFactory(home_location=north)

    def add(count: int) -> None:
        for _ in range(count):
            CoverageFactory(patient=patient, is_active=False, plan=PayerPlanFactory())

    add(3)
    few = _reads(client)
    add(27)
    assert _reads(client) == few


def test_metadata_lists_coverage(desk: Any) -> None:
    statement = body(FhirClient(desk).get("metadata"))
    validate(statement)
    coverage = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Coverage")
    assert {p["name"] for p in coverage["searchParam"]} >= {"_id", "patient", "beneficiary", "payor", "status",
                                                             "identifier"}
