"""The OpenAPI document and the interactive docs: for signed-in staff only, and complete."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.accounts.tests.factories import sign_in

from .conftest import API, TokenClient

pytestmark = pytest.mark.django_db

OPENAPI = f"{API}/openapi.json"
DOCS = f"{API}/docs"


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_the_openapi_document_answers_401_json_to_anonymous_callers(client: Client) -> None:
    response = client.get(OPENAPI)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_the_docs_page_sends_anonymous_visitors_to_sign_in(client: Client) -> None:
    response = client.get(DOCS)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "next=/api/v1/docs" in response["Location"]


def test_a_session_that_has_not_finished_mfa_gets_neither(client: Client, make_user: Callable[..., User]) -> None:
    client.force_login(make_user(Role.FRONT_DESK))  # MFA required, not done
    assert client.get(OPENAPI).status_code == 401
    docs = client.get(DOCS)
    assert docs.status_code == 302
    assert docs["Location"].startswith("/accounts/mfa/")


def test_a_signed_in_user_sees_the_docs_page(client: Client, make_user: Callable[..., User]) -> None:
    sign_in(client, make_user(Role.FRONT_DESK))
    response = client.get(DOCS)
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "/api/v1/openapi.json" in html
    assert "cdn" not in html.lower()  # the closed-network promise: django-ninja's own static files


@pytest.fixture
def document(client: Client, make_user: Callable[..., User]) -> dict[str, Any]:
    sign_in(client, make_user(Role.FRONT_DESK))
    response = client.get(OPENAPI)
    assert response.status_code == 200
    return response.json()


def test_the_openapi_document_is_well_formed(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "OpenPractice API"
    assert document["info"]["version"] == "1"
    assert "Bearer" in document["info"]["description"]
    schemas = document["components"]["schemas"]
    for ref in _refs(document):
        assert ref.startswith("#/components/schemas/")
        assert ref.removeprefix("#/components/schemas/") in schemas, ref
    operation_ids = [op["operationId"] for path in document["paths"].values() for op in path.values()]
    assert len(operation_ids) == len(set(operation_ids))


def test_the_openapi_document_lists_every_endpoint(document: dict[str, Any]) -> None:
    operations = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}
    assert operations == {
        ("GET", "/api/v1/me"),
        ("GET", "/api/v1/practice"),
        ("PATCH", "/api/v1/practice"),
        ("GET", "/api/v1/locations"),
        ("GET", "/api/v1/locations/{location_id}"),
        ("GET", "/api/v1/users"),
        ("GET", "/api/v1/users/{user_id}"),
        ("POST", "/api/v1/users/{user_id}/deactivate"),
        ("GET", "/api/v1/audit-events"),
        ("GET", "/api/v1/providers"),
        ("GET", "/api/v1/providers/{provider_id}"),
        ("POST", "/api/v1/providers"),
        ("PATCH", "/api/v1/providers/{provider_id}"),
        ("GET", "/api/v1/appointments"),
        ("POST", "/api/v1/appointments"),
        ("GET", "/api/v1/appointments/{appointment_id}"),
        ("PATCH", "/api/v1/appointments/{appointment_id}"),
        ("GET", "/api/v1/patients"),
        ("POST", "/api/v1/patients"),
        ("GET", "/api/v1/patients/{patient_id}"),
        ("PATCH", "/api/v1/patients/{patient_id}"),
        ("GET", "/api/v1/coverages"),
        ("POST", "/api/v1/coverages"),
        ("GET", "/api/v1/coverages/{coverage_id}"),
        ("PATCH", "/api/v1/coverages/{coverage_id}"),
        ("GET", "/api/v1/payers"),
        ("POST", "/api/v1/payers"),
        ("GET", "/api/v1/payers/{payer_id}"),
        ("PATCH", "/api/v1/payers/{payer_id}"),
        ("GET", "/api/v1/fee-schedules"),
        ("POST", "/api/v1/fee-schedules"),
        ("GET", "/api/v1/fee-schedules/{fee_schedule_id}"),
        ("PATCH", "/api/v1/fee-schedules/{fee_schedule_id}"),
        ("GET", "/api/v1/fee-schedules/{fee_schedule_id}/entries"),
        ("PUT", "/api/v1/fee-schedules/{fee_schedule_id}/entries/{entry_code}"),
        ("DELETE", "/api/v1/fee-schedules/{fee_schedule_id}/entries/{entry_code}"),
        ("GET", "/api/v1/charges"),
        ("POST", "/api/v1/charges"),
        ("GET", "/api/v1/charges/{charge_id}"),
        ("GET", "/api/v1/claims"),
        ("GET", "/api/v1/payments"),
        ("POST", "/api/v1/payments"),
        ("GET", "/api/v1/payments/{payment_id}"),
        ("GET", "/api/v1/remittances"),
        ("GET", "/api/v1/remittances/{remittance_id}"),
        ("POST", "/api/v1/remittances/imports"),
        ("GET", "/api/v1/remittances/imports"),
        ("GET", "/api/v1/remittances/imports/{import_id}"),
        ("GET", "/api/v1/claims/{claim_id}"),
        ("GET", "/api/v1/claims/{claim_id}/history"),
        ("POST", "/api/v1/claims/{claim_id}/status"),
        ("GET", "/api/v1/positions"),
        ("POST", "/api/v1/positions"),
        ("GET", "/api/v1/positions/{position_id}"),
        ("PATCH", "/api/v1/positions/{position_id}"),
        ("GET", "/api/v1/employees"),
        ("POST", "/api/v1/employees"),
        ("GET", "/api/v1/employees/{employee_id}"),
        ("PATCH", "/api/v1/employees/{employee_id}"),
        ("GET", "/api/v1/credentials"),
        ("POST", "/api/v1/credentials"),
        ("GET", "/api/v1/credentials/{credential_id}"),
        ("PATCH", "/api/v1/credentials/{credential_id}"),
        ("GET", "/api/v1/trainings"),
        ("POST", "/api/v1/trainings"),
        ("GET", "/api/v1/trainings/{training_id}"),
        ("PATCH", "/api/v1/trainings/{training_id}"),
        ("GET", "/api/v1/timesheets"),
        ("POST", "/api/v1/timesheets"),
        ("GET", "/api/v1/timesheets/{entry_id}"),
        ("PATCH", "/api/v1/timesheets/{entry_id}"),
        ("GET", "/api/v1/policies"),
        ("POST", "/api/v1/policies"),
        ("GET", "/api/v1/policies/{policy_id}"),
        ("PATCH", "/api/v1/policies/{policy_id}"),
        ("GET", "/api/v1/acknowledgements"),
        ("POST", "/api/v1/acknowledgements"),
        ("GET", "/api/v1/incidents"),
        ("POST", "/api/v1/incidents"),
        ("GET", "/api/v1/incidents/{incident_id}"),
        ("PATCH", "/api/v1/incidents/{incident_id}"),
        ("GET", "/api/v1/disclosures"),
        ("POST", "/api/v1/disclosures"),
        ("GET", "/api/v1/disclosures/{disclosure_id}"),
        ("GET", "/api/v1/cases"),
        ("POST", "/api/v1/cases"),
        ("GET", "/api/v1/cases/{case_id}"),
        ("POST", "/api/v1/cases/{case_id}/acknowledge"),
        ("POST", "/api/v1/cases/{case_id}/resolve"),
        ("GET", "/api/v1/risks"),
        ("POST", "/api/v1/risks"),
        ("GET", "/api/v1/risks/{risk_id}"),
        ("PATCH", "/api/v1/risks/{risk_id}"),
        ("GET", "/api/v1/vendors"),
        ("POST", "/api/v1/vendors"),
        ("GET", "/api/v1/vendors/{vendor_id}"),
        ("PATCH", "/api/v1/vendors/{vendor_id}"),
        ("POST", "/api/v1/vendors/{vendor_id}/contacts"),
        ("GET", "/api/v1/contracts"),
        ("POST", "/api/v1/contracts"),
        ("GET", "/api/v1/contracts/{contract_id}"),
        ("PATCH", "/api/v1/contracts/{contract_id}"),
        ("GET", "/api/v1/rep-visits"),
        ("POST", "/api/v1/rep-visits"),
        ("GET", "/api/v1/rep-visits/{visit_id}"),
        ("GET", "/api/v1/items"),
        ("POST", "/api/v1/items"),
        ("GET", "/api/v1/items/{item_id}"),
        ("PATCH", "/api/v1/items/{item_id}"),
        ("POST", "/api/v1/items/{item_id}/prices"),
        ("GET", "/api/v1/stock"),
        ("GET", "/api/v1/stock/places"),
        ("GET", "/api/v1/stock/reorder"),
        ("GET", "/api/v1/stock/{level_id}"),
        ("GET", "/api/v1/stock-movements"),
        ("POST", "/api/v1/stock-movements"),
        ("GET", "/api/v1/stock-movements/{movement_id}"),
        ("POST", "/api/v1/stock-movements/uses"),
        ("GET", "/api/v1/storage-places"), ("POST", "/api/v1/storage-places"),
        ("GET", "/api/v1/storage-places/{place_id}"), ("PATCH", "/api/v1/storage-places/{place_id}"),
        ("GET", "/api/v1/supply-requisitions"), ("POST", "/api/v1/supply-requisitions"),
        ("GET", "/api/v1/supply-requisitions/{requisition_id}"),
        ("PATCH", "/api/v1/supply-requisitions/{requisition_id}"),
        ("POST", "/api/v1/supply-requisitions/{requisition_id}/submit"),
        ("POST", "/api/v1/supply-requisitions/{requisition_id}/decide"),
        ("GET", "/api/v1/cycle-counts"), ("POST", "/api/v1/cycle-counts"),
        ("GET", "/api/v1/cycle-counts/{count_id}"), ("PATCH", "/api/v1/cycle-counts/{count_id}"),
        ("POST", "/api/v1/cycle-counts/{count_id}/submit"), ("POST", "/api/v1/cycle-counts/{count_id}/approve"),
        ("GET", "/api/v1/assets"), ("POST", "/api/v1/assets"), ("GET", "/api/v1/assets/{asset_id}"),
        ("PATCH", "/api/v1/assets/{asset_id}"),
        ("GET", "/api/v1/maintenance-plans"), ("POST", "/api/v1/maintenance-plans"),
        ("GET", "/api/v1/maintenance-plans/{plan_id}"), ("PATCH", "/api/v1/maintenance-plans/{plan_id}"),
        ("GET", "/api/v1/safety-logs"), ("POST", "/api/v1/safety-logs"), ("GET", "/api/v1/safety-logs/{entry_id}"),
        ("GET", "/api/v1/work-orders"), ("POST", "/api/v1/work-orders"), ("GET", "/api/v1/work-orders/{work_order_id}"),
        ("PATCH", "/api/v1/work-orders/{work_order_id}"),
        ("GET", "/api/v1/purchase-orders"),
        ("POST", "/api/v1/purchase-orders"),
        ("GET", "/api/v1/purchase-orders/{order_id}"),
        ("POST", "/api/v1/purchase-orders/{order_id}/send"),
        ("POST", "/api/v1/purchase-orders/{order_id}/receipts"),
        ("POST", "/api/v1/purchase-orders/{order_id}/invoices"),
        ("GET", "/api/v1/messages"), ("POST", "/api/v1/messages"), ("GET", "/api/v1/messages/{message_id}"),
        ("PATCH", "/api/v1/messages/{message_id}"),
        ("GET", "/api/v1/routing-rules"), ("POST", "/api/v1/routing-rules"),
        ("GET", "/api/v1/routing-rules/{rule_id}"), ("PATCH", "/api/v1/routing-rules/{rule_id}"),
        ("GET", "/api/v1/queues"), ("POST", "/api/v1/queues"), ("GET", "/api/v1/queues/{queue_id}"),
        ("PATCH", "/api/v1/queues/{queue_id}"),
        ("GET", "/api/v1/kpis"), ("GET", "/api/v1/kpis/{key}/trend"), ("GET", "/api/v1/calendar"),
        ("GET", "/api/v1/budgets"), ("PUT", "/api/v1/budgets"), ("GET", "/api/v1/budgets/variance"),
        ("GET", "/api/v1/appointment-types"), ("POST", "/api/v1/appointment-types"),
        ("GET", "/api/v1/appointment-types/{appointment_type_id}"),
        ("PATCH", "/api/v1/appointment-types/{appointment_type_id}"),
        ("GET", "/api/v1/rooms"), ("POST", "/api/v1/rooms"), ("GET", "/api/v1/rooms/{room_id}"),
        ("PATCH", "/api/v1/rooms/{room_id}"),
        ("GET", "/api/v1/denials"), ("GET", "/api/v1/denials/{denial_id}"),
        ("POST", "/api/v1/denials/{denial_id}/assign"), ("POST", "/api/v1/denials/{denial_id}/notes"),
        ("POST", "/api/v1/denials/{denial_id}/appeal"), ("POST", "/api/v1/denials/{denial_id}/corrected"),
        ("POST", "/api/v1/denials/{denial_id}/close"),
        ("GET", "/api/v1/write-offs"), ("POST", "/api/v1/write-offs"), ("GET", "/api/v1/write-offs/{write_off_id}"),
        ("POST", "/api/v1/write-offs/{write_off_id}/decide"),
        ("GET", "/api/v1/refunds"), ("POST", "/api/v1/refunds"), ("GET", "/api/v1/refunds/{refund_id}"),
        ("GET", "/api/v1/payment-plans"), ("POST", "/api/v1/payment-plans"),
        ("GET", "/api/v1/payment-plans/{payment_plan_id}"), ("POST", "/api/v1/payment-plans/{payment_plan_id}/end"),
        ("GET", "/api/v1/statement-runs"), ("POST", "/api/v1/statement-runs"),
        ("GET", "/api/v1/statement-runs/{statement_run_id}"),
        ("GET", "/api/v1/statements"), ("GET", "/api/v1/statements/{statement_id}"),
        ("GET", "/api/v1/claim-batches"), ("GET", "/api/v1/claim-batches/{claim_batch_id}"),
        ("GET", "/api/v1/pto-requests"), ("POST", "/api/v1/pto-requests"),
        ("GET", "/api/v1/pto-requests/{pto_request_id}"), ("POST", "/api/v1/pto-requests/{pto_request_id}/cancel"),
        ("POST", "/api/v1/pto-requests/{pto_request_id}/decide"),
        ("GET", "/api/v1/provider-templates"), ("POST", "/api/v1/provider-templates"),
        ("GET", "/api/v1/provider-templates/{provider_template_id}"),
        ("PATCH", "/api/v1/provider-templates/{provider_template_id}"),
        ("DELETE", "/api/v1/provider-templates/{provider_template_id}"),
        ("GET", "/api/v1/time-off-periods"), ("POST", "/api/v1/time-off-periods"),
        ("GET", "/api/v1/time-off-periods/{time_off_period_id}"),
        ("DELETE", "/api/v1/time-off-periods/{time_off_period_id}"),
        ("GET", "/api/v1/waitlist-entries"), ("POST", "/api/v1/waitlist-entries"),
        ("GET", "/api/v1/waitlist-entries/{waitlist_entry_id}"),
        ("PATCH", "/api/v1/waitlist-entries/{waitlist_entry_id}"),
        ("GET", "/api/v1/referring-providers"), ("POST", "/api/v1/referring-providers"),
        ("GET", "/api/v1/referring-providers/{referring_provider_id}"),
        ("PATCH", "/api/v1/referring-providers/{referring_provider_id}"),
        ("PATCH", "/api/v1/cases/{case_id}"),
        ("GET", "/api/v1/business-associates"), ("POST", "/api/v1/business-associates"),
        ("GET", "/api/v1/business-associates/{business_associate_id}"),
        ("PATCH", "/api/v1/business-associates/{business_associate_id}"),
        ("GET", "/api/v1/business-associate-agreements"), ("POST", "/api/v1/business-associate-agreements"),
        ("GET", "/api/v1/business-associate-agreements/{agreement_id}"),
        ("PATCH", "/api/v1/business-associate-agreements/{agreement_id}"),
        ("POST", "/api/v1/business-associate-agreements/{agreement_id}/activate"),
        ("POST", "/api/v1/business-associate-agreements/{agreement_id}/terminate"),
        ("GET", "/api/v1/pay-periods"), ("POST", "/api/v1/pay-periods"), ("GET", "/api/v1/pay-periods/{pay_period_id}"),
        ("POST", "/api/v1/pay-periods/{pay_period_id}/close"), ("POST", "/api/v1/pay-periods/{pay_period_id}/reopen"),
        ("GET", "/api/v1/job-requisitions"), ("POST", "/api/v1/job-requisitions"),
        ("GET", "/api/v1/job-requisitions/{requisition_id}"), ("PATCH", "/api/v1/job-requisitions/{requisition_id}"),
        ("POST", "/api/v1/job-requisitions/{requisition_id}/submit"),
        ("POST", "/api/v1/job-requisitions/{requisition_id}/decide"),
        ("POST", "/api/v1/job-requisitions/{requisition_id}/cancel"),
        ("GET", "/api/v1/applicants"), ("POST", "/api/v1/applicants"), ("GET", "/api/v1/applicants/{applicant_id}"),
        ("PATCH", "/api/v1/applicants/{applicant_id}"), ("POST", "/api/v1/applicants/{applicant_id}/stage"),
    }


def test_every_operation_documents_its_authentication_and_error_answers(document: dict[str, Any]) -> None:
    security = document["components"]["securitySchemes"]
    assert {scheme["type"] for scheme in security.values()} == {"http", "apiKey"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation["security"], (method, path)
            responses = set(operation["responses"])
            # A success answer (200, 201 for a create, 204 for a delete), and the errors every caller must handle.
            assert responses & {"200", "201", "204"}, (method, path)
            assert {"401", "404"} <= responses, (method, path)
            error = operation["responses"]["401"]["content"]["application/json"]["schema"]["$ref"]
            assert error == "#/components/schemas/ErrorOut"


def test_a_token_may_fetch_the_openapi_document_for_code_generators(
    make_user: Callable[..., User], api_as: Callable[[User], TokenClient]
) -> None:
    response = api_as(make_user(Role.FRONT_DESK)).get(OPENAPI)
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")
