"""FHIR Claim: read, search by each parameter, paging, scope and role (404 + audit), PHI audit, query count."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.billing.models import Claim
from openpractice.billing.tests.factories import make_claim

from ..resources.claim import CLAIM_STATUS_EXTENSION
from .support import FhirClient, body, pages, resource_ids, search_ids, validate

pytestmark = pytest.mark.django_db


def test_read_maps_the_claim_and_validates(biller_north: Any, north: Any) -> None:
    claim = make_claim(location=north, actor=biller_north, status="submitted", diagnoses=("E119", "I10"),
                       lines=(("99213", Decimal("125.00")), ("G0439", Decimal("80.00"))))
    claim.lines.filter(line_number=1).update(modifiers=["25"], units=Decimal(2))
    response = FhirClient(biller_north).get(f"Claim/{claim.pk}")
    assert response.status_code == 200, response.content
    resource = body(response)
    validate(resource)
    assert resource["status"] == "active"
    assert resource["extension"] == [{"url": CLAIM_STATUS_EXTENSION, "valueCoding": {
        "system": "https://openpractice.org/fhir/claim-status", "code": "submitted", "display": "Submitted"}}]
    assert resource["type"]["coding"][0] == {"system": "http://terminology.hl7.org/CodeSystem/claim-type",
                                             "code": "professional", "display": "Professional"}
    assert resource["use"] == "claim"
    assert resource["patient"] == {"reference": f"Patient/{claim.patient_id}"}
    assert resource["insurer"] == {"reference": f"Organization/payer-{claim.payer_id}"}
    assert resource["provider"] == {"reference": f"Practitioner/{claim.rendering_provider_id}"}
    assert resource["priority"]["coding"][0]["code"] == "normal"
    assert resource["insurance"] == [{"sequence": 1, "focal": True,
                                      "coverage": {"reference": f"Coverage/{claim.coverage_id}"}}]
    assert [d["diagnosisCodeableConcept"]["coding"][0] for d in resource["diagnosis"]] == [
        {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "E11.9"},
        {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "I10"}]
    first, second = resource["item"]
    assert first["productOrService"]["coding"][0] == {"system": "http://www.ama-assn.org/go/cpt", "code": "99213"}
    assert first["modifier"][0]["coding"][0]["code"] == "25"
    assert first["quantity"] == {"value": 2.0}
    assert first["unitPrice"] == {"value": 62.5, "currency": "USD"}
    assert first["net"] == {"value": 125.0, "currency": "USD"}
    assert first["servicedDate"] == "2026-11-02"
    assert first["diagnosisSequence"] == [1]
    assert second["productOrService"]["coding"][0]["system"] == \
        "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
    assert resource["total"] == {"value": 205.0, "currency": "USD"}
    assert resource["identifier"][0]["value"] == claim.claim_number
    assert AuditEvent.objects.filter(action="patients.viewed", patient_id=claim.patient_id, reason="fhir",
                                     actor=biller_north).count() == 1


def test_out_of_scope_read_is_404_and_audited(biller_north: Any, south: Any) -> None:
    other = make_claim(location=south, actor=biller_north)
    response = FhirClient(biller_north).get(f"Claim/{other.pk}")
    assert response.status_code == 404
    validate(body(response))
    assert AuditEvent.objects.filter(action="access.denied", actor=biller_north, object_id=str(other.pk),
                                     outcome=Outcome.DENIED).exists()
    assert not AuditEvent.objects.filter(action="patients.viewed", patient_id=other.patient_id).exists()
    assert FhirClient(biller_north).get("Claim/999999").status_code == 404


def test_out_of_role_search_is_404(make_user: Callable[..., Any], north: Any) -> None:
    front_desk = make_user(Role.FRONT_DESK, locations=[north])
    make_claim(location=north, actor=front_desk)
    response = FhirClient(front_desk).get("Claim")
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="access.denied", actor=front_desk).exists()
    assert not AuditEvent.objects.filter(action="patients.viewed", actor=front_desk).exists()


def test_search_by_each_parameter(biller_north: Any, north: Any, south: Any) -> None:
    draft = make_claim(location=north, actor=biller_north, status="draft")
    held = make_claim(location=north, actor=biller_north, status="held")
    paid = make_claim(location=north, actor=biller_north, status="paid")
    Claim.objects.filter(pk=paid.pk).update(payer_claim_number="PCN-77")
    closed = make_claim(location=north, actor=biller_north, status="closed")
    make_claim(location=south, actor=biller_north, status="paid")  # out of scope
    client = FhirClient(biller_north)

    def search(**params: str) -> list[str]:
        return search_ids(client, "Claim", params)

    assert search() == [str(c.pk) for c in (draft, held, paid, closed)]
    assert search(_id=str(paid.pk)) == [str(paid.pk)]
    assert search(patient=f"Patient/{held.patient_id}") == [str(held.pk)]
    assert search(status="draft") == [str(draft.pk), str(held.pk)]
    assert search(status="https://openpractice.org/fhir/claim-status|draft") == [str(draft.pk)]
    assert search(status="held") == [str(held.pk)]
    assert search(status="active") == [str(paid.pk)]
    assert search(status="cancelled") == [str(closed.pk)]
    assert search(status="paid,closed") == [str(paid.pk), str(closed.pk)]
    assert search(identifier=draft.claim_number) == [str(draft.pk)]
    assert search(identifier="https://openpractice.org/fhir/payer-claim-number|pcn-77") == [str(paid.pk)]
    assert search(identifier="urn:other|PCN-77") == []
    assert search(insurer=f"Organization/payer-{paid.payer_id}") == [str(paid.pk)]
    assert search(insurer="practice-1") == []
    Claim.objects.filter(pk=draft.pk).update(created_at="2020-03-04T10:00:00Z")
    assert search(created="2020-03") == [str(draft.pk)]
    assert str(draft.pk) not in search(created="gt2020-12-31")


def test_bad_search_values_are_400(biller_north: Any) -> None:
    client = FhirClient(biller_north)
    for query in ({"status": "lost"}, {"created": "soon"}, {"patient": "Practitioner/1"}, {"insurer": "Patient/1"},
                  {"_id": "x"}, {"payer": "1"}):
        response = client.get("Claim", query)
        assert response.status_code == 400, query
        validate(body(response))


def test_paging_covers_every_claim_once(biller_north: Any, north: Any) -> None:
    for _ in range(5):
        make_claim(location=north, actor=biller_north)
    client = FhirClient(biller_north)
    seen: list[str] = []
    for bundle in pages(client, body(client.get("Claim", {"_count": "2"}))):
        validate(bundle)
        assert bundle["total"] == 5
        seen += resource_ids(bundle)
    assert len(seen) == 5 == len(set(seen))


def test_each_patient_on_a_page_is_audited_once(biller_north: Any, north: Any) -> None:
    first = make_claim(location=north, actor=biller_north)
    make_claim(location=north, actor=biller_north, coverage=first.coverage)  # same patient again
    make_claim(location=north, actor=biller_north)
    FhirClient(biller_north).get("Claim")
    events = AuditEvent.objects.filter(action="patients.viewed", actor=biller_north, reason="fhir")
    assert events.count() == 2
    assert events.filter(patient_id=first.patient_id, location_id=north.pk).count() == 1


def test_query_count_does_not_grow_with_rows(biller_north: Any, north: Any) -> None:
    client = FhirClient(biller_north)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("Claim", {"_count": "50"}).status_code == 200
        return len(captured)

    for _ in range(3):
        make_claim(location=north, actor=biller_north)
    queries()  # the token's first use costs a few more (its last-used time)
    few = queries()
    for _ in range(12):
        make_claim(location=north, actor=biller_north)
    assert queries() == few
