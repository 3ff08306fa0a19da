"""/api/v1/payments: patient payments at your locations (list, one with where it went), and recording one exactly
once per Idempotency-Key. Reads need billing.view or billing.collect_payments, recording billing.collect_payments;
out of role or scope answers 404 like the rest of the API."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.api.tests.conftest import API, TokenClient, token_client_for
from openpractice.audit.models import AuditEvent
from openpractice.billing.choices import EntryKind, PaymentMethod
from openpractice.billing.models import Claim, LedgerEntry, PatientPayment
from openpractice.billing.services import patient_payments as services
from openpractice.billing.tests.test_patient_payments_services import (
    assert_ledger_sound,
    balance,
    denied,
    money_state,
    owed_claim,
)
from openpractice.core.models import Location
from openpractice.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db
URL = f"{API}/payments"


@pytest.fixture
def biller(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.BILLER, locations=[north], username="biller-north")


@pytest.fixture
def desk(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.FRONT_DESK, locations=[north], username="desk-north")


@pytest.fixture
def api(desk: User) -> TokenClient:
    return token_client_for(desk)


@pytest.fixture
def claim(biller: User, north: Location) -> Claim:
    return owed_claim(actor=biller, location=north, patient_owes=Decimal("40.00"), payer_owes=Decimal("60.00"))


def post(api: TokenClient, body: dict[str, Any], key: str | None = "key-1") -> Any:
    headers = dict(api.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    return api.client.post(URL, json.dumps(body), content_type="application/json", headers=headers)


def body_for(claim: Claim, **changes: Any) -> dict[str, Any]:
    return {"patient_id": claim.patient_id, "amount": "25.00", "method": "card", "received_on": "2026-11-20",
            "reference": "auth 1", **changes}


def take(actor: User, claim: Claim, amount: str = "25.00", **fields: Any) -> PatientPayment:
    values: dict[str, Any] = {"method": PaymentMethod.CASH, "received_on": dt.date(2026, 11, 20), **fields}
    return services.patient_payment_record(actor=actor, patient=claim.patient, amount=amount, **values)


# --- recording ------------------------------------------------------------------------------------------------


def test_posting_records_the_payment_and_says_where_it_went(api: TokenClient, desk: User, claim: Claim) -> None:
    response = post(api, body_for(claim, amount="50.00"))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["amount"], body["applied"], body["credit"], body["method"]) == ("50.00", "40.00", "10.00", "card")
    assert [(row["claim_number"], row["amount"]) for row in body["applications"]] == [
        (claim.claim_number, "40.00"), ("", "10.00")]
    payment = PatientPayment.objects.get()
    assert (payment.received_by, payment.idempotency_key) == (desk, "key-1")
    assert balance(claim) == Decimal("0.00")
    assert_ledger_sound()


def test_the_same_key_and_body_answer_200_with_the_first_payment_and_post_nothing(api: TokenClient,
                                                                                  claim: Claim) -> None:
    first = post(api, body_for(claim))
    entries = LedgerEntry.objects.count()
    again = post(api, body_for(claim, amount="25"))  # the same amount, written differently
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert PatientPayment.objects.count() == 1
    assert LedgerEntry.objects.count() == entries
    assert LedgerEntry.objects.filter(kind=EntryKind.PATIENT_PAYMENT).count() == 1
    assert_ledger_sound()


def test_the_same_key_with_another_body_is_409_and_posts_nothing(api: TokenClient, claim: Claim) -> None:
    post(api, body_for(claim))
    before = money_state()
    response = post(api, body_for(claim, amount="26.00"))
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert "already used" in response.json()["message"]
    assert money_state() == before


@pytest.mark.parametrize(("key", "code"), [(None, "idempotency_key_required"), ("  ", "idempotency_key_required"),
                                           ("k" * 81, "idempotency_key_invalid")])
def test_a_missing_or_unusable_key_is_400_and_posts_nothing(api: TokenClient, claim: Claim, key: str | None,
                                                            code: str) -> None:
    before = money_state()
    response = post(api, body_for(claim), key=key)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert "Idempotency-Key" in response.json()["message"]
    assert money_state() == before


def test_keys_are_per_api_user(api: TokenClient, biller: User, claim: Claim) -> None:
    assert post(api, body_for(claim)).status_code == 201
    assert post(token_client_for(biller), body_for(claim)).status_code == 201
    assert PatientPayment.objects.count() == 2


@pytest.mark.parametrize(("changes", "field"), [
    ({"amount": "100000.01"}, "amount"), ({"amount": "0"}, "amount"), ({"amount": "1.234"}, "amount"),
    ({"method": "gold"}, "method"), ({"method": "check", "reference": ""}, "reference"),
])
def test_a_payment_that_makes_no_sense_is_422_with_the_field(api: TokenClient, claim: Claim,
                                                             changes: dict[str, str], field: str) -> None:
    before = money_state()
    response = post(api, body_for(claim, **changes))
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", field]
    assert money_state() == before


def test_a_patient_of_another_location_is_422_and_nothing_posted(api: TokenClient, south: Location) -> None:
    patient = PatientFactory(home_location=south)
    before = money_state()
    response = post(api, {"patient_id": patient.pk, "amount": "5.00", "method": "cash", "received_on": "2026-11-20"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "patient_id"]
    assert money_state() == before


def test_a_provider_may_read_but_not_record_payments(make_user: Callable[..., User], north: Location,
                                                     desk: User, claim: Claim) -> None:
    take(desk, claim)
    provider = make_user(Role.PROVIDER, locations=[north])
    client = token_client_for(provider)
    assert client.get(URL).json()["count"] == 1
    before = money_state()
    response = post(client, body_for(claim))
    assert response.status_code == 404
    assert money_state() == before
    assert denied(provider) == 1


def test_a_role_without_either_permission_gets_404_everywhere(make_user: Callable[..., User], north: Location,
                                                              desk: User, claim: Claim) -> None:
    payment = take(desk, claim)
    nurse = make_user(Role.CLINICAL_STAFF, locations=[north])
    client = token_client_for(nurse)
    before = money_state()
    assert client.get(URL).status_code == 404
    assert client.get(f"{URL}/{payment.pk}").status_code == 404
    assert post(client, body_for(claim)).status_code == 404
    assert money_state() == before
    assert denied(nurse) == 3


# --- reading --------------------------------------------------------------------------------------------------


def test_the_list_shows_payments_of_your_locations_and_audits_each_patient(
        api: TokenClient, desk: User, make_user: Callable[..., User], south: Location, claim: Claim) -> None:
    take(desk, claim, "10.00")
    take(desk, claim, "5.00", received_on=dt.date(2026, 11, 21))
    south_claim = owed_claim(actor=make_user(Role.BILLER, locations=[south]), location=south,
                             patient_owes=Decimal("5.00"))
    take(make_user(Role.FRONT_DESK, locations=[south]), south_claim)
    body = api.get(URL).json()
    assert body["count"] == 2
    assert [(item["amount"], item["received_on"]) for item in body["items"]] == [
        ("5.00", "2026-11-21"), ("10.00", "2026-11-20")]
    assert body["items"][0]["patient"]["id"] == claim.patient_id
    assert AuditEvent.objects.filter(actor=desk, action="patients.viewed", patient_id=claim.patient_id).count() == 1


def test_the_list_filters_by_patient_dates_and_method(api: TokenClient, desk: User, biller: User,
                                                      north: Location, claim: Claim) -> None:
    cash = take(desk, claim, "10.00", received_on=dt.date(2026, 11, 1))
    card = take(desk, claim, "5.00", method=PaymentMethod.CARD, received_on=dt.date(2026, 11, 10))
    other = owed_claim(actor=biller, location=north, patient_owes=Decimal("5.00"))
    take(desk, other, "5.00")

    def ids(**params: Any) -> list[int]:
        response = api.get(URL, params)
        assert response.status_code == 200, response.json()
        return [item["id"] for item in response.json()["items"]]

    assert ids(patient_id=claim.patient_id) == [card.pk, cash.pk]
    assert ids(patient_id=claim.patient_id, method="cash") == [cash.pk]
    assert ids(received_from="2026-11-05", received_to="2026-11-10") == [card.pk]
    assert ids(patient_id=claim.patient_id, order_by="amount") == [card.pk, cash.pk]  # not a filter: ignored
    assert api.get(URL, {"method": "gold"}).status_code == 422


def test_one_payment_shows_where_it_went_and_its_refunds(api: TokenClient, desk: User, biller: User,
                                                         claim: Claim) -> None:
    payment = take(desk, claim, "50.00")
    services.refund_issue(actor=biller, patient=claim.patient, payment=payment, amount="4.00",
                          method=PaymentMethod.CASH, reason="overpaid")
    response = api.get(f"{URL}/{payment.pk}")
    assert response.status_code == 200
    body = response.json()
    assert (body["applied"], body["credit"], body["refunded"]) == ("40.00", "10.00", "4.00")
    assert [(row["amount"], row["reason"]) for row in body["refunds"]] == [("4.00", "overpaid")]
    assert AuditEvent.objects.filter(actor=desk, action="patients.viewed", patient_id=claim.patient_id).exists()


def test_a_payment_of_another_location_is_404_and_the_attempt_audited(
        api: TokenClient, desk: User, make_user: Callable[..., User], south: Location) -> None:
    south_claim = owed_claim(actor=make_user(Role.BILLER, locations=[south]), location=south,
                             patient_owes=Decimal("5.00"))
    payment = take(make_user(Role.FRONT_DESK, locations=[south]), south_claim)
    response = api.get(f"{URL}/{payment.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert denied(desk) == 1
    assert api.get(f"{URL}/{payment.pk + 1000}").status_code == 404


def test_the_list_takes_the_same_number_of_queries_whatever_the_rows(api: TokenClient, desk: User,
                                                                     biller: User, north: Location) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(URL).status_code == 200
        return sum(1 for query in captured.captured_queries if "audit_auditevent" not in query["sql"])

    take(desk, owed_claim(actor=biller, location=north, patient_owes=Decimal("5.00")))
    api.get(URL)
    one = queries()
    for _ in range(4):
        take(desk, owed_claim(actor=biller, location=north, patient_owes=Decimal("5.00")))
    assert queries() == one


def test_the_openapi_document_names_the_idempotency_key_header(api: TokenClient) -> None:
    document = api.get(f"{API}/openapi.json").json()
    parameters = document["paths"][f"{URL}"]["post"]["parameters"]
    assert {"in": "header", "name": "Idempotency-Key", "required": True}.items() <= parameters[0].items()
