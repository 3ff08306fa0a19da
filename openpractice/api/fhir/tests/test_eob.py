"""FHIR ExplanationOfBenefit from 835 claim payments: mapping, search, scope (404 + audit), PHI audit, query count."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.billing.models import Remittance, RemittanceClaim
from openpractice.billing.tests.factories import make_claim
from openpractice.billing.tests.test_remittance_views import a_claim_payment, a_remittance

from .support import FhirClient, body, pages, resource_ids, search_ids, validate

pytestmark = pytest.mark.django_db

CARC = "https://x12.org/codes/claim-adjustment-reason-codes"


def _paid(actor: Any, location: Any, trace: str = "EFT1001", **kwargs: Any) -> RemittanceClaim:
    claim = make_claim(location=location, actor=actor, status="paid")
    return a_claim_payment(a_remittance(actor, trace=trace, payer=claim.payer), claim, **kwargs)


def test_read_maps_the_adjudication_and_validates(biller_north: Any, north: Any) -> None:
    payment = _paid(biller_north, north)
    claim = payment.claim
    assert claim is not None
    response = FhirClient(biller_north).get(f"ExplanationOfBenefit/{payment.pk}")
    assert response.status_code == 200, response.content
    eob = body(response)
    validate(eob)
    assert (eob["status"], eob["use"], eob["outcome"]) == ("active", "claim", "complete")
    assert eob["type"]["coding"][0]["code"] == "professional"
    assert eob["patient"] == {"reference": f"Patient/{claim.patient_id}"}
    assert eob["claim"] == {"reference": f"Claim/{claim.pk}"}
    assert eob["insurer"] == {"reference": f"Organization/payer-{claim.payer_id}"}
    assert eob["provider"] == {"reference": f"Practitioner/{claim.rendering_provider_id}"}
    assert eob["insurance"] == [{"focal": True, "coverage": {"reference": f"Coverage/{claim.coverage_id}"}}]
    (item,) = eob["item"]
    amounts = {entry["category"]["coding"][0]["code"]: entry["amount"]["value"] for entry in item["adjudication"]}
    assert amounts == {"submitted": 125.0, "eligible": 100.0, "benefit": 80.0, "CO": 25.0}
    contractual = next(e for e in item["adjudication"] if e["category"]["coding"][0]["code"] == "CO")
    assert contractual["reason"]["coding"][0] == {"system": CARC, "code": "45"}
    assert item["productOrService"]["coding"][0]["code"] == "99213"
    assert item["modifier"][0]["coding"][0]["code"] == "25"
    # The claim-level PR-2 (coinsurance) and the patient's share.
    assert [(a["category"]["coding"][0]["code"], a["reason"]["coding"][0]["code"], a["amount"]["value"])
            for a in eob["adjudication"]] == [("PR", "2", 20.0)]
    totals = {t["category"]["coding"][0]["code"]: t["amount"]["value"] for t in eob["total"]}
    assert totals == {"submitted": 125.0, "benefit": 80.0, "patient-responsibility": 20.0}
    assert eob["payment"]["amount"] == {"value": 80.0, "currency": "USD"}
    assert eob["payment"]["date"] == "2026-11-20"
    assert eob["payment"]["identifier"]["value"] == "EFT1001"
    notes = {note["number"]: note["text"] for note in eob["processNote"]}
    assert "M15" in notes[item["noteNumber"][0]]
    assert any("N130" in text for text in notes.values())
    assert AuditEvent.objects.filter(action="patients.viewed", patient_id=claim.patient_id, reason="fhir").count() == 1


def test_deductible_copay_denial_and_reversal(biller_north: Any, north: Any) -> None:
    payment = _paid(biller_north, north)
    payment.adjustments.filter(line__isnull=True).update(reason_code="1")  # PR-1: deductible
    denied = _paid(biller_north, north, trace="EFT2", status_code="4", paid=Decimal("0.00"))
    forwarded = _paid(biller_north, north, trace="EFT3", status_code="19")
    assert payment.claim is not None
    reversal = a_claim_payment(a_remittance(biller_north, trace="EFT-REV", payer=payment.claim.payer), payment.claim,
                               status_code="22", paid=Decimal("-80.00"))
    RemittanceClaim.objects.filter(pk=reversal.pk).update(reverses=payment)
    client = FhirClient(biller_north)
    original = body(client.get(f"ExplanationOfBenefit/{payment.pk}"))
    validate(original)
    assert original["status"] == "cancelled"
    codes = [c["code"] for c in original["adjudication"][0]["category"]["coding"]]
    assert codes == ["PR", "deductible"]
    assert body(client.get(f"ExplanationOfBenefit/{denied.pk}"))["outcome"] == "error"
    assert body(client.get(f"ExplanationOfBenefit/{forwarded.pk}"))["outcome"] == "partial"
    taken_back = body(client.get(f"ExplanationOfBenefit/{reversal.pk}"))
    validate(taken_back)
    assert (taken_back["status"], taken_back["payment"]["amount"]["value"]) == ("active", -80.0)


def test_unmatched_claim_payments_are_not_served(biller_north: Any, make_user: Callable[..., Any]) -> None:
    everywhere = make_user(Role.BILLER, username="biller-all")
    unmatched = a_claim_payment(a_remittance(everywhere), None)
    response = FhirClient(everywhere).get(f"ExplanationOfBenefit/{unmatched.pk}")
    assert response.status_code == 404
    assert FhirClient(everywhere).get("ExplanationOfBenefit").json()["total"] == 0


def test_out_of_scope_read_is_404_and_audited(biller_north: Any, south: Any) -> None:
    other = _paid(biller_north, south)
    response = FhirClient(biller_north).get(f"ExplanationOfBenefit/{other.pk}")
    assert response.status_code == 404
    validate(body(response))
    assert AuditEvent.objects.filter(action="access.denied", actor=biller_north, object_id=str(other.pk),
                                     outcome=Outcome.DENIED).exists()
    assert not AuditEvent.objects.filter(action="patients.viewed", actor=biller_north).exists()


def test_out_of_role_search_is_404(make_user: Callable[..., Any]) -> None:
    clinical = make_user(Role.CLINICAL_STAFF)
    assert FhirClient(clinical).get("ExplanationOfBenefit").status_code == 404
    assert AuditEvent.objects.filter(action="access.denied", actor=clinical).exists()


def test_search_by_each_parameter(biller_north: Any, north: Any, south: Any) -> None:
    first = _paid(biller_north, north, trace="T1")
    second = _paid(biller_north, north, trace="T2")
    _paid(biller_north, south, trace="T3")  # out of scope
    assert first.claim is not None
    assert second.claim is not None
    Remittance.objects.filter(pk=first.remittance_id).update(posted_at="2021-06-15T12:00:00Z")
    client = FhirClient(biller_north)

    def search(**params: str) -> list[str]:
        return search_ids(client, "ExplanationOfBenefit", params)

    assert search() == [str(first.pk), str(second.pk)]
    assert search(_id=str(second.pk)) == [str(second.pk)]
    assert search(patient=f"Patient/{first.claim.patient_id}") == [str(first.pk)]
    assert search(claim=f"Claim/{second.claim.pk}") == [str(second.pk)]
    assert search(claim=str(second.claim.pk)) == [str(second.pk)]
    assert search(created="2021-06") == [str(first.pk)]
    assert search(created="gt2021-12-31") == [str(second.pk)]
    for bad in ({"claim": "Patient/1"}, {"created": "someday"}, {"status": "active"}):
        response = client.get("ExplanationOfBenefit", bad)
        assert response.status_code == 400, bad
        validate(body(response))


def test_paging_and_flat_query_count(biller_north: Any, north: Any) -> None:
    client = FhirClient(biller_north)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("ExplanationOfBenefit", {"_count": "50"}).status_code == 200
        return len(captured)

    for index in range(3):
        _paid(biller_north, north, trace=f"A{index}")
    queries()  # the token's first use costs a few more
    few = queries()
    for index in range(10):
        _paid(biller_north, north, trace=f"B{index}")
    assert queries() == few
    seen: list[str] = []
    for bundle in pages(client, body(client.get("ExplanationOfBenefit", {"_count": "5"}))):
        validate(bundle)
        assert bundle["total"] == 13
        seen += resource_ids(bundle)
    assert len(seen) == 13 == len(set(seen))
