"""Idempotency-Key on the POSTs that move money or stock: a retry answers the first answer and does nothing twice;
another body under the key is a 409; no key is a 400; a call that failed keeps nothing, so it may be retried."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import path
from ninja import NinjaAPI, Schema, Status

from config import urls as project_urls
from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import sign_in
from openpractice.audit.models import AuditEvent
from openpractice.billing.models import Charge, RemittanceImport
from openpractice.billing.tests.remit_support import era_for
from openpractice.billing.tests.test_api_remittances import accepted_claim
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.integrations.models import IdempotencyRecord
from openpractice.inventory.choices import PlaceKind
from openpractice.inventory.models import Packaging, StockMovement, VendorInvoice
from openpractice.inventory.services import purchasing
from openpractice.inventory.services.purchasing import LineIn
from openpractice.inventory.tests.factories import ItemFactory
from openpractice.patients.tests.factories import PatientFactory
from openpractice.scheduling.tests.factories import ProviderFactory

from .. import errors
from ..idempotency import HEADER, REPLAYED_HEADER, idempotent
from .conftest import API, TokenClient, token_client_for
from .supply_support import make_vendor, place

pytestmark = pytest.mark.django_db


def post(client: TokenClient, url: str, body: dict[str, Any], key: str | None) -> Any:
    headers = dict(client.headers)
    if key is not None:
        headers[HEADER] = key
    return client.client.post(url, json.dumps(body), content_type="application/json", headers=headers)


@pytest.fixture
def biller(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.BILLER, locations=[north], username="biller-north")


@pytest.fixture
def api(biller: User) -> TokenClient:
    return token_client_for(biller)


def charge_body(north: Location, **changes: Any) -> dict[str, Any]:
    return {"patient_id": PatientFactory(home_location=north).pk, "location_id": north.pk,
            "rendering_provider_id": ProviderFactory(locations=[north]).pk, "date_of_service": "2026-11-02",
            "diagnoses": ["I10"], "lines": [{"procedure_code": "J1100", "units": "2", "amount": "30.00"}], **changes}


# --- the contract, on POST /charges ----------------------------------------------------------------------------


def test_a_retry_with_the_same_key_answers_the_first_answer_and_captures_once(api: TokenClient,
                                                                              north: Location) -> None:
    body = charge_body(north)
    first = post(api, f"{API}/charges", body, "charge-1")
    assert first.status_code == 201, first.content
    assert REPLAYED_HEADER not in first
    again = post(api, f"{API}/charges", body, "charge-1")
    assert again.status_code == 201
    assert again[REPLAYED_HEADER] == "true"
    assert again.json() == first.json()
    assert Charge.objects.count() == 1


def test_the_same_key_with_another_body_is_409_and_captures_nothing_more(api: TokenClient, north: Location) -> None:
    body = charge_body(north)
    assert post(api, f"{API}/charges", body, "charge-1").status_code == 201
    other = post(api, f"{API}/charges", {**body, "date_of_service": "2026-11-03"}, "charge-1")
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    assert Charge.objects.count() == 1


def test_json_key_order_does_not_make_a_different_request(api: TokenClient, north: Location) -> None:
    body = charge_body(north)
    assert post(api, f"{API}/charges", body, "charge-1").status_code == 201
    reordered = dict(reversed(list(body.items())))
    assert post(api, f"{API}/charges", reordered, "charge-1")[REPLAYED_HEADER] == "true"


@pytest.mark.parametrize(("key", "code"), [(None, "idempotency_key_required"), ("   ", "idempotency_key_required"),
                                           ("k" * 81, "idempotency_key_invalid"),
                                           ("tab\tinside", "idempotency_key_invalid")])
def test_a_missing_or_unusable_key_is_400_and_captures_nothing(api: TokenClient, north: Location, key: str | None,
                                                                code: str) -> None:
    response = post(api, f"{API}/charges", charge_body(north), key)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert not Charge.objects.exists()
    assert not IdempotencyRecord.objects.exists()


def test_a_call_that_raised_keeps_nothing_so_the_key_may_be_used_again(api: TokenClient, north: Location) -> None:
    bad = charge_body(north, diagnoses=["NOT-A-CODE"])
    refused = post(api, f"{API}/charges", bad, "charge-1")
    assert refused.status_code == 422
    assert not IdempotencyRecord.objects.exists()
    fixed = post(api, f"{API}/charges", {**bad, "diagnoses": ["I10"]}, "charge-1")
    assert fixed.status_code == 201, fixed.content
    assert REPLAYED_HEADER not in fixed


def test_a_retry_while_the_first_call_runs_is_409_in_progress(api: TokenClient, north: Location) -> None:
    body = charge_body(north)
    assert post(api, f"{API}/charges", body, "charge-1").status_code == 201
    # What a first call leaves while it is still running: the claimed key, no answer yet.
    IdempotencyRecord.objects.update(status_code=None, response_body="")
    response = post(api, f"{API}/charges", body, "charge-1")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_in_progress"
    assert response["Retry-After"] == "1"
    assert Charge.objects.count() == 1


def test_keys_are_per_user(api: TokenClient, biller: User, make_user: Callable[..., User], north: Location) -> None:
    assert post(api, f"{API}/charges", charge_body(north), "shared").status_code == 201
    colleague = token_client_for(make_user(Role.BILLER, locations=[north], username="biller-two"))
    assert post(colleague, f"{API}/charges", charge_body(north), "shared").status_code == 201
    assert Charge.objects.count() == 2


def test_a_replay_is_audited(api: TokenClient, biller: User, north: Location) -> None:
    body = charge_body(north)
    post(api, f"{API}/charges", body, "charge-1")
    post(api, f"{API}/charges", body, "charge-1")
    assert AuditEvent.objects.filter(actor=biller, action="api.idempotent_replay").count() == 1


def test_the_openapi_document_names_the_header_on_every_applied_operation(api: TokenClient) -> None:
    document = api.get(f"{API}/openapi.json").json()
    for url, method in [("/charges", "post"), ("/remittances/imports", "post"),
                        ("/purchase-orders/{order_id}/receipts", "post"),
                        ("/purchase-orders/{order_id}/invoices", "post"), ("/rep-visits", "post"),
                        ("/payments", "post"), ("/stock-movements", "post"), ("/stock-movements/uses", "post"),
                        ("/cycle-counts/{count_id}/approve", "post"),
                        ("/write-offs", "post"), ("/write-offs/{write_off_id}/decide", "post"),
                        ("/refunds", "post"), ("/payment-plans", "post")]:
        operation = document["paths"][f"/api/v1{url}"][method]
        [header] = [p for p in operation["parameters"] if p["in"] == "header" and p["name"] == HEADER]
        assert header["required"] is True
        assert header["schema"]["maxLength"] == 80
        assert {"400", "409"} <= set(operation["responses"]), url


# --- a 5xx keeps nothing: a small API of its own with an operation that fails on purpose -----------------------


class FlakyIn(Schema):
    mode: str


calls: list[str] = []
flaky_api = NinjaAPI(urls_namespace="idempotency-test")
errors.install(flaky_api)


@flaky_api.post("/flaky", response={201: dict[str, int], 503: errors.ErrorOut})
@idempotent
def flaky(request: Any, payload: FlakyIn) -> Any:
    calls.append(payload.mode)
    if payload.mode == "raise":
        raise RuntimeError("the database went away")
    if payload.mode == "unavailable":
        return Status(503, errors.error_body("unavailable", "Try again."))
    return Status(201, {"calls": len(calls)})


urlpatterns = [path("test-api/", flaky_api.urls), *project_urls.urlpatterns]


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("mode", ["raise", "unavailable"])
def test_a_server_error_keeps_nothing_and_the_retry_runs_again(client: Client, make_user: Callable[..., User],
                                                                mode: str) -> None:
    sign_in(client, make_user(Role.FRONT_DESK))  # the test API has no authentication of its own
    calls.clear()
    failed = client.post("/test-api/flaky", {"mode": mode}, content_type="application/json", headers={HEADER: "k"})
    assert failed.status_code in {500, 503}
    assert not IdempotencyRecord.objects.exists()
    client.post("/test-api/flaky", {"mode": mode}, content_type="application/json", headers={HEADER: "k"})
    assert calls == [mode, mode]  # run again, not answered from a record


# --- each other operation it is applied to ---------------------------------------------------------------------


def test_an_835_import_retried_with_its_key_is_imported_once(api: TokenClient, biller: User,
                                                             north: Location) -> None:
    text = era_for([accepted_claim(biller, north)])

    def upload() -> Any:
        return api.client.post(f"{API}/remittances/imports", {"file": SimpleUploadedFile("era.835", text.encode())},
                               headers={**api.headers, HEADER: "era-1"})

    first = upload()
    assert first.status_code == 201, first.content
    again = upload()
    assert (again.status_code, again[REPLAYED_HEADER], again.json()) == (201, "true", first.json())
    assert RemittanceImport.objects.count() == 1


@pytest.fixture
def nurse(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.CLINICAL_STAFF, locations=[north], username="nurse")


@pytest.fixture
def manager(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north], username="om-mid")


def test_a_receipt_and_an_invoice_retried_with_their_keys_are_recorded_once(nurse: User, manager: User,
                                                                            north: Location) -> None:
    vendor = make_vendor(order_email="orders@piedmont.test")
    gloves = ItemFactory(name="Gloves")
    box = Packaging.objects.create(item=gloves, name="box", base_quantity=100)
    requisition = purchasing.requisition_create(actor=nurse, location=north, lines=[
        LineIn(quantity=10, unit_price=Decimal("8.50"), item=gloves, packaging=box, vendor=vendor)])
    purchasing.requisition_submit(actor=nurse, requisition=requisition)
    purchasing.requisition_decide(actor=manager, requisition=requisition, approve=True)
    client = token_client_for(manager)
    [order] = client.post(f"{API}/purchase-orders", {"requisition_id": requisition.pk,
                                                     "receive_into_id": place(north).pk}).json()
    assert client.post(f"{API}/purchase-orders/{order['id']}/send").status_code == 200
    assert len(mail.outbox) == 1
    line_id = order["lines"][0]["id"]

    receipt = {"packing_slip": "PS-1", "lines": [{"line_id": line_id, "quantity": 6}]}
    first = post(token_client_for(nurse), f"{API}/purchase-orders/{order['id']}/receipts", receipt, "receipt-1")
    assert first.status_code == 201, first.content
    moved = StockMovement.objects.count()
    again = post(token_client_for(nurse), f"{API}/purchase-orders/{order['id']}/receipts", receipt, "receipt-1")
    assert (again.status_code, again[REPLAYED_HEADER]) == (201, "true")
    assert again.json() == first.json()
    assert StockMovement.objects.count() == moved

    invoice = {"number": "INV-1", "invoice_date": "2025-06-12", "total": "51.00",
               "lines": [{"line_id": line_id, "quantity": 6, "unit_price": "8.50"}]}
    made = post(client, f"{API}/purchase-orders/{order['id']}/invoices", invoice, "invoice-1")
    assert made.status_code == 201, made.content
    replayed = post(client, f"{API}/purchase-orders/{order['id']}/invoices", invoice, "invoice-1")
    assert (replayed.status_code, replayed[REPLAYED_HEADER], replayed.json()) == (201, "true", made.json())
    assert VendorInvoice.objects.count() == 1
    # The same key on another order's path is another request.
    elsewhere = post(client, f"{API}/purchase-orders/{order['id'] + 1}/invoices", invoice, "invoice-1")
    assert elsewhere.json()["code"] == "idempotency_key_reused"


def test_a_rep_visit_with_samples_retried_with_its_key_is_logged_once(manager: User, north: Location) -> None:
    vendor = make_vendor("Novara Pharmaceuticals")
    pen = ItemFactory(name="GLP-1 pen sample", lot_tracked=True)
    cabinet = place(north, "Sample cabinet", PlaceKind.SAMPLES)
    body = {"vendor_id": vendor.pk, "rep_name": "Jordan Pike", "location_id": north.pk, "products": "GLP-1 pen",
            "sample_place_id": cabinet.pk, "samples": [{"item_id": pen.pk, "quantity": 6, "lot_number": "NV2291A",
                                                        "expires_on": (practice_today() + dt.timedelta(days=200))
                                                        .isoformat()}]}
    client = token_client_for(manager)
    first = post(client, f"{API}/rep-visits", body, "visit-1")
    assert first.status_code == 201, first.content
    again = post(client, f"{API}/rep-visits", body, "visit-1")
    assert (again.status_code, again[REPLAYED_HEADER], again.json()) == (201, "true", first.json())
    assert StockMovement.objects.count() == 1
