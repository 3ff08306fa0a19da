"""/api/v1/remittances: remittances paying claims at your locations (with claim payments, lines, adjustments and
PLB), the imported files, and importing an 835 (multipart; dry run)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.api.tests.conftest import API, TokenClient, token_client_for
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.billing.models import Claim, LedgerEntry, ProviderAdjustment, Remittance, RemittanceImport
from openpractice.billing.tests.factories import make_claim
from openpractice.billing.tests.remit_support import charge_ledger, era_for
from openpractice.billing.tests.test_remittance_views import a_claim_payment, an_import, paid_at
from openpractice.core.models import Location

pytestmark = pytest.mark.django_db


@pytest.fixture
def biller(make_user: Callable[..., User]) -> User:
    return make_user(Role.BILLER, username="biller")


@pytest.fixture
def north_biller(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.BILLER, locations=[north], username="north-biller")


@pytest.fixture
def api(biller: User) -> TokenClient:
    return token_client_for(biller)


def denied(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


# --- remittances ------------------------------------------------------------------------------------------------


def test_the_list_shows_each_remittance_with_its_claim_count(api: TokenClient, biller: User, north: Location) -> None:
    remittance, _paid = paid_at(biller, north)
    a_claim_payment(remittance, None)
    body = api.get(f"{API}/remittances").json()
    assert body["count"] == 1
    item = body["items"][0]
    assert (item["id"], item["trace_number"], item["payment_amount"], item["payment_method"], item["claim_count"],
            item["payment_date"], item["import_id"]) == (
        remittance.pk, "EFT1001", "80.00", "ACH", 2, "2026-11-20", remittance.source_id)


def test_the_list_filters_by_payer_payment_dates_and_trace_number(api: TokenClient, biller: User,
                                                                  north: Location) -> None:
    first, _paid = paid_at(biller, north, "EFT-FIRST")
    second, _paid = paid_at(biller, north, "EFT-SECOND")
    Remittance.objects.filter(pk=second.pk).update(payment_date="2026-12-01")

    def ids(**params: object) -> list[int]:
        return [item["id"] for item in api.get(f"{API}/remittances", params).json()["items"]]

    assert ids(payer_id=first.payer_id) == [first.pk]
    assert ids(payment_date_from="2026-11-25") == [second.pk]
    assert ids(payment_date_to="2026-11-25") == [first.pk]
    assert ids(trace_number="EFT-SECOND") == [second.pk]
    assert ids(trace_number="EFT") == []


def test_a_bad_filter_value_is_a_json_validation_error(api: TokenClient) -> None:
    response = api.get(f"{API}/remittances", {"payment_date_from": "yesterday"})
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_the_list_costs_the_same_queries_for_few_and_many_remittances(api: TokenClient, biller: User,
                                                                      north: Location) -> None:
    def queries() -> int:
        api.get(f"{API}/remittances")
        with CaptureQueriesContext(connection) as captured:
            assert api.get(f"{API}/remittances").status_code == 200
        return len(captured)

    paid_at(biller, north, "EFT-A")
    few = queries()
    for index in range(10):
        paid_at(biller, north, f"EFT-B{index}")
    assert queries() == few


def test_the_detail_has_claim_payments_lines_adjustments_and_plb(api: TokenClient, biller: User,
                                                                  north: Location) -> None:
    remittance, claim_payment = paid_at(biller, north)
    ProviderAdjustment.objects.create(remittance=remittance, reason_code="L6", amount=Decimal("-1.50"))
    body = api.get(f"{API}/remittances/{remittance.pk}").json()
    assert body["claims_not_shown"] == 0
    assert body["provider_adjustments"] == [{"reason_code": "L6", "reference": "", "fiscal_period_date": None,
                                             "amount": "-1.50"}]
    (claim,) = body["claims"]
    assert (claim["claim_id"], claim["match"], claim["status_code"], claim["paid_amount"],
            claim["patient_responsibility"], claim["patient"]["id"], claim["location_id"]) == (
        claim_payment.claim_id, "matched", "1", "80.00", "20.00", claim_payment.claim.patient_id, north.pk)
    assert claim["adjustments"] == [{"group_code": "PR", "reason_code": "2", "amount": "20.00", "quantity": None}]
    (line,) = claim["lines"]
    assert (line["procedure_code"], line["modifiers"], line["allowed_amount"], line["remark_codes"]) == (
        "99213", ["25"], "100.00", ["M15"])
    assert line["adjustments"] == [{"group_code": "CO", "reason_code": "45", "amount": "25.00", "quantity": None}]
    assert AuditEvent.objects.filter(actor=biller, action="patients.viewed",
                                     patient_id=claim_payment.claim.patient_id).count() == 1


def test_the_detail_shows_a_north_biller_only_north_claim_payments(
        north_biller: User, biller: User, north: Location, south: Location) -> None:
    remittance, north_payment = paid_at(biller, north)
    south_claim = make_claim(location=south, actor=biller, status="accepted")
    a_claim_payment(remittance, south_claim)
    a_claim_payment(remittance, None)
    body = token_client_for(north_biller).get(f"{API}/remittances/{remittance.pk}").json()
    assert [claim["id"] for claim in body["claims"]] == [north_payment.pk]
    assert body["claims_not_shown"] == 2
    assert not AuditEvent.objects.filter(actor=north_biller, patient_id=south_claim.patient_id).exists()


def test_a_remittance_of_another_location_is_a_404_and_audited(north_biller: User, biller: User,
                                                               south: Location) -> None:
    remittance, _paid = paid_at(biller, south)
    client = token_client_for(north_biller)
    assert client.get(f"{API}/remittances").json()["count"] == 0
    response = client.get(f"{API}/remittances/{remittance.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert denied(north_biller) == 1


def test_front_desk_cannot_read_remittances(make_user: Callable[..., User], biller: User, north: Location) -> None:
    remittance, _paid = paid_at(biller, north)
    desk = make_user(Role.FRONT_DESK, username="desk")
    client = token_client_for(desk)
    assert client.get(f"{API}/remittances").status_code == 404
    assert client.get(f"{API}/remittances/{remittance.pk}").status_code == 404
    assert client.get(f"{API}/remittances/imports").status_code == 404
    assert denied(desk) == 3


# --- imported files -------------------------------------------------------------------------------------------


def test_the_imports_list_and_detail_show_the_summary(api: TokenClient, biller: User, north: Location) -> None:
    remittance, _paid = paid_at(biller, north)
    an_import(biller, "refused.835", status="refused", payments=0, errors=["segment 14: does not balance"])
    body = api.get(f"{API}/remittances/imports").json()
    assert body["count"] == 2
    assert api.get(f"{API}/remittances/imports", {"status": "refused"}).json()["items"][0]["summary"]["errors"] == [
        "segment 14: does not balance"]
    detail = api.get(f"{API}/remittances/imports/{remittance.source_id}").json()
    assert (detail["filename"], detail["status"], detail["imported_by"]["username"]) == (
        "EFT1001.835", "posted", "biller")
    assert detail["summary"]["paid_total"] == "80.00"
    assert detail["summary"]["claims_matched"] == 1


def test_a_north_biller_reads_files_paying_north_claims_without_their_messages(
        north_biller: User, biller: User, north: Location, south: Location) -> None:
    north_remittance, _paid = paid_at(biller, north, "EFT-NORTH")
    RemittanceImport.objects.filter(pk=north_remittance.source_id).update(
        summary={**north_remittance.source.summary, "notices": ["claim OP-SOUTH-1 already posted"]})
    south_remittance, _paid = paid_at(biller, south, "EFT-SOUTH")
    client = token_client_for(north_biller)
    assert [item["id"] for item in client.get(f"{API}/remittances/imports").json()["items"]] == [
        north_remittance.source_id]
    assert client.get(f"{API}/remittances/imports/{north_remittance.source_id}").json()["summary"]["notices"] == []
    assert client.get(f"{API}/remittances/imports/{south_remittance.source_id}").status_code == 404
    assert denied(north_biller) == 1


# --- importing ------------------------------------------------------------------------------------------------


def upload(client: TokenClient, text: str, **fields: str) -> Any:
    return client.client.post(f"{API}/remittances/imports",
                              {"file": SimpleUploadedFile("era.835", text.encode()), **fields},
                              headers={**client.headers, "Idempotency-Key": str(uuid.uuid4())})


def accepted_claim(actor: User, location: Location) -> Claim:
    claim = make_claim(location=location, actor=actor, status="accepted")
    charge_ledger([claim], actor)
    return claim


def posted_state() -> tuple[int, int, int]:
    return RemittanceImport.objects.count(), Remittance.objects.count(), LedgerEntry.objects.count()


def test_importing_an_835_answers_201_with_the_summary(api: TokenClient, biller: User, north: Location) -> None:
    claim = accepted_claim(biller, north)
    response = upload(api, era_for([claim]))
    assert response.status_code == 201
    body = response.json()
    made = RemittanceImport.objects.get()
    assert body == {"payments": 1, "claims_matched": 1, "claims_unmatched": 0, "paid_total": "100.00",
                    "adjustment_total": "25.00", "patient_responsibility_total": "0.00", "denied_claims": 0,
                    "reversed_claims": 0, "duplicates_skipped": 0, "errors": [], "notices": [], "dry_run": False,
                    "import_id": made.pk}
    assert Claim.objects.get(pk=claim.pk).status == "paid"


def test_a_dry_run_answers_200_and_posts_nothing(api: TokenClient, biller: User, north: Location) -> None:
    claim = accepted_claim(biller, north)
    before = posted_state()
    response = upload(api, era_for([claim]), dry_run="true")
    assert response.status_code == 200
    body = response.json()
    assert (body["dry_run"], body["import_id"], body["claims_matched"], body["paid_total"]) == (
        True, None, 1, "100.00")
    assert posted_state() == before


def test_importing_the_same_file_twice_posts_it_once(api: TokenClient, biller: User, north: Location) -> None:
    claim = accepted_claim(biller, north)
    assert upload(api, era_for([claim])).status_code == 201
    entries = LedgerEntry.objects.count()
    again = upload(api, era_for([claim]))
    assert again.status_code == 200
    assert (again.json()["payments"], again.json()["duplicates_skipped"]) == (1, 1)
    assert "already imported" in again.json()["notices"][0]
    assert LedgerEntry.objects.count() == entries
    assert RemittanceImport.objects.get(pk=again.json()["import_id"]).status == "duplicate"


def test_a_damaged_file_is_refused_with_422_naming_the_segment(api: TokenClient, biller: User,
                                                              north: Location) -> None:
    claim = accepted_claim(biller, north)
    paid = f"CLP*{claim.claim_number}*1*125.00*100.00"
    response = upload(api, era_for([claim]).replace(paid, f"CLP*{claim.claim_number}*1*125.00*99.00"))
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "file_refused"
    assert "segment" in body["errors"][0]["msg"].lower()
    assert Remittance.objects.count() == 0


def test_an_import_without_a_file_is_a_validation_error(api: TokenClient) -> None:
    response = api.client.post(f"{API}/remittances/imports", {}, headers=api.headers)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_an_empty_file_is_refused_before_the_service(api: TokenClient) -> None:
    response = upload(api, "")
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "file"]
    assert RemittanceImport.objects.count() == 0


def test_front_desk_cannot_import_and_nothing_is_posted(make_user: Callable[..., User], biller: User,
                                                        north: Location) -> None:
    claim = accepted_claim(biller, north)
    desk = make_user(Role.FRONT_DESK, username="desk")
    before = posted_state()
    response = upload(token_client_for(desk), era_for([claim]))
    assert response.status_code == 404
    assert denied(desk) == 1
    assert posted_state() == before


def test_a_file_paying_claims_outside_the_callers_locations_is_forbidden(
        north_biller: User, biller: User, north: Location, south: Location) -> None:
    claims = [accepted_claim(biller, north), accepted_claim(biller, south)]
    before = posted_state()
    response = upload(token_client_for(north_biller), era_for(claims))
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert "South Clinic" in response.json()["message"]
    assert posted_state() == before
    assert denied(north_biller) == 1
