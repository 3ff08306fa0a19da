"""Who may call the API: token and session callers, and everyone else gets a JSON 401."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from openpractice.accounts.models import ApiToken, User
from openpractice.accounts.roles import Role
from openpractice.accounts.services.tokens import token_create, token_revoke
from openpractice.accounts.tests.factories import confirmed_totp, sign_in
from openpractice.api.urls import api
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Practice

from .conftest import API, TokenClient

pytestmark = pytest.mark.django_db

# Every operation of the API, with a sample path. test_every_operation_is_listed_here keeps this complete.
ENDPOINTS: list[tuple[str, str]] = [
    ("get", f"{API}/me"),
    ("get", f"{API}/practice"),
    ("patch", f"{API}/practice"),
    ("get", f"{API}/locations"),
    ("get", f"{API}/locations/1"),
    ("get", f"{API}/users"),
    ("get", f"{API}/users/1"),
    ("post", f"{API}/users/1/deactivate"),
    ("get", f"{API}/audit-events"),
    ("get", f"{API}/providers"),
    ("get", f"{API}/providers/1"),
    ("post", f"{API}/providers"),
    ("patch", f"{API}/providers/1"),
    ("get", f"{API}/appointments"),
    ("post", f"{API}/appointments"),
    ("get", f"{API}/appointments/1"),
    ("patch", f"{API}/appointments/1"),
    ("get", f"{API}/patients"),
    ("post", f"{API}/patients"),
    ("get", f"{API}/patients/1"),
    ("patch", f"{API}/patients/1"),
    ("get", f"{API}/coverages"),
    ("post", f"{API}/coverages"),
    ("get", f"{API}/coverages/1"),
    ("patch", f"{API}/coverages/1"),
    ("get", f"{API}/payers"),
    ("post", f"{API}/payers"),
    ("get", f"{API}/payers/1"),
    ("patch", f"{API}/payers/1"),
    ("get", f"{API}/fee-schedules"),
    ("post", f"{API}/fee-schedules"),
    ("get", f"{API}/fee-schedules/1"),
    ("patch", f"{API}/fee-schedules/1"),
    ("get", f"{API}/fee-schedules/1/entries"),
    ("put", f"{API}/fee-schedules/1/entries/1"),
    ("delete", f"{API}/fee-schedules/1/entries/1"),
    ("get", f"{API}/charges"),
    ("post", f"{API}/charges"),
    ("get", f"{API}/charges/1"),
    ("get", f"{API}/claims"),
    ("get", f"{API}/claims/1"),
    ("get", f"{API}/claims/1/history"),
    ("post", f"{API}/claims/1/status"),
    ("get", f"{API}/payments"),
    ("post", f"{API}/payments"),
    ("get", f"{API}/payments/1"),
    ("get", f"{API}/remittances"),
    ("get", f"{API}/remittances/1"),
    ("post", f"{API}/remittances/imports"),
    ("get", f"{API}/remittances/imports"),
    ("get", f"{API}/remittances/imports/1"),
    ("get", f"{API}/positions"),
    ("post", f"{API}/positions"),
    ("get", f"{API}/positions/1"),
    ("patch", f"{API}/positions/1"),
    ("get", f"{API}/employees"),
    ("post", f"{API}/employees"),
    ("get", f"{API}/employees/1"),
    ("patch", f"{API}/employees/1"),
    ("get", f"{API}/credentials"),
    ("post", f"{API}/credentials"),
    ("get", f"{API}/credentials/1"),
    ("patch", f"{API}/credentials/1"),
    ("get", f"{API}/trainings"),
    ("post", f"{API}/trainings"),
    ("get", f"{API}/trainings/1"),
    ("patch", f"{API}/trainings/1"),
    ("get", f"{API}/timesheets"),
    ("post", f"{API}/timesheets"),
    ("get", f"{API}/timesheets/1"),
    ("patch", f"{API}/timesheets/1"),
    ("get", f"{API}/policies"),
    ("post", f"{API}/policies"),
    ("get", f"{API}/policies/1"),
    ("patch", f"{API}/policies/1"),
    ("get", f"{API}/acknowledgements"),
    ("post", f"{API}/acknowledgements"),
    ("get", f"{API}/incidents"),
    ("post", f"{API}/incidents"),
    ("get", f"{API}/incidents/1"),
    ("patch", f"{API}/incidents/1"),
    ("get", f"{API}/disclosures"),
    ("post", f"{API}/disclosures"),
    ("get", f"{API}/disclosures/1"),
    ("get", f"{API}/cases"),
    ("post", f"{API}/cases"),
    ("get", f"{API}/cases/1"),
    ("post", f"{API}/cases/1/acknowledge"),
    ("post", f"{API}/cases/1/resolve"),
    ("get", f"{API}/risks"),
    ("post", f"{API}/risks"),
    ("get", f"{API}/risks/1"),
    ("patch", f"{API}/risks/1"),
    ("get", f"{API}/vendors"),
    ("post", f"{API}/vendors"),
    ("get", f"{API}/vendors/1"),
    ("patch", f"{API}/vendors/1"),
    ("post", f"{API}/vendors/1/contacts"),
    ("get", f"{API}/contracts"),
    ("post", f"{API}/contracts"),
    ("get", f"{API}/contracts/1"),
    ("patch", f"{API}/contracts/1"),
    ("get", f"{API}/rep-visits"),
    ("post", f"{API}/rep-visits"),
    ("get", f"{API}/rep-visits/1"),
    ("get", f"{API}/items"),
    ("post", f"{API}/items"),
    ("get", f"{API}/items/1"),
    ("patch", f"{API}/items/1"),
    ("post", f"{API}/items/1/prices"),
    ("get", f"{API}/stock"),
    ("get", f"{API}/stock/places"),
    ("get", f"{API}/stock/reorder"),
    ("get", f"{API}/stock/1"),
    ("get", f"{API}/stock-movements"),
    ("post", f"{API}/stock-movements"),
    ("get", f"{API}/stock-movements/1"),
    ("post", f"{API}/stock-movements/uses"),
    ("get", f"{API}/storage-places"),
    ("post", f"{API}/storage-places"),
    ("get", f"{API}/storage-places/1"),
    ("patch", f"{API}/storage-places/1"),
    ("get", f"{API}/supply-requisitions"),
    ("post", f"{API}/supply-requisitions"),
    ("get", f"{API}/supply-requisitions/1"),
    ("patch", f"{API}/supply-requisitions/1"),
    ("post", f"{API}/supply-requisitions/1/submit"),
    ("post", f"{API}/supply-requisitions/1/decide"),
    ("get", f"{API}/cycle-counts"),
    ("post", f"{API}/cycle-counts"),
    ("get", f"{API}/cycle-counts/1"),
    ("patch", f"{API}/cycle-counts/1"),
    ("post", f"{API}/cycle-counts/1/submit"),
    ("post", f"{API}/cycle-counts/1/approve"),
    ("get", f"{API}/assets"),
    ("post", f"{API}/assets"),
    ("get", f"{API}/assets/1"),
    ("patch", f"{API}/assets/1"),
    ("get", f"{API}/maintenance-plans"),
    ("post", f"{API}/maintenance-plans"),
    ("get", f"{API}/maintenance-plans/1"),
    ("patch", f"{API}/maintenance-plans/1"),
    ("get", f"{API}/work-orders"),
    ("post", f"{API}/work-orders"),
    ("get", f"{API}/work-orders/1"),
    ("patch", f"{API}/work-orders/1"),
    ("get", f"{API}/safety-logs"),
    ("post", f"{API}/safety-logs"),
    ("get", f"{API}/safety-logs/1"),
    ("get", f"{API}/purchase-orders"),
    ("post", f"{API}/purchase-orders"),
    ("get", f"{API}/purchase-orders/1"),
    ("post", f"{API}/purchase-orders/1/send"),
    ("post", f"{API}/purchase-orders/1/receipts"),
    ("post", f"{API}/purchase-orders/1/invoices"),
    ("get", f"{API}/messages"),
    ("post", f"{API}/messages"),
    ("get", f"{API}/messages/1"),
    ("patch", f"{API}/messages/1"),
    ("get", f"{API}/routing-rules"),
    ("post", f"{API}/routing-rules"),
    ("get", f"{API}/routing-rules/1"),
    ("patch", f"{API}/routing-rules/1"),
    ("get", f"{API}/queues"),
    ("post", f"{API}/queues"),
    ("get", f"{API}/queues/1"),
    ("patch", f"{API}/queues/1"),
    ("get", f"{API}/kpis"),
    ("get", f"{API}/kpis/1/trend"),
    ("get", f"{API}/calendar"),
    ("get", f"{API}/budgets"),
    ("put", f"{API}/budgets"),
    ("get", f"{API}/budgets/variance"),
    ("get", f"{API}/appointment-types"),
    ("post", f"{API}/appointment-types"),
    ("get", f"{API}/appointment-types/1"),
    ("patch", f"{API}/appointment-types/1"),
    ("get", f"{API}/rooms"),
    ("post", f"{API}/rooms"),
    ("get", f"{API}/rooms/1"),
    ("patch", f"{API}/rooms/1"),
    ("get", f"{API}/denials"),
    ("get", f"{API}/denials/1"),
    ("post", f"{API}/denials/1/assign"),
    ("post", f"{API}/denials/1/notes"),
    ("post", f"{API}/denials/1/appeal"),
    ("post", f"{API}/denials/1/corrected"),
    ("post", f"{API}/denials/1/close"),
    ("get", f"{API}/write-offs"),
    ("post", f"{API}/write-offs"),
    ("get", f"{API}/write-offs/1"),
    ("post", f"{API}/write-offs/1/decide"),
    ("get", f"{API}/refunds"),
    ("post", f"{API}/refunds"),
    ("get", f"{API}/refunds/1"),
    ("get", f"{API}/payment-plans"),
    ("post", f"{API}/payment-plans"),
    ("get", f"{API}/payment-plans/1"),
    ("post", f"{API}/payment-plans/1/end"),
    ("get", f"{API}/statement-runs"),
    ("post", f"{API}/statement-runs"),
    ("get", f"{API}/statement-runs/1"),
    ("get", f"{API}/statements"),
    ("get", f"{API}/statements/1"),
    ("get", f"{API}/claim-batches"),
    ("get", f"{API}/claim-batches/1"),
    ("get", f"{API}/pto-requests"),
    ("post", f"{API}/pto-requests"),
    ("get", f"{API}/pto-requests/1"),
    ("post", f"{API}/pto-requests/1/cancel"),
    ("post", f"{API}/pto-requests/1/decide"),
    ("get", f"{API}/provider-templates"),
    ("post", f"{API}/provider-templates"),
    ("get", f"{API}/provider-templates/1"),
    ("patch", f"{API}/provider-templates/1"),
    ("delete", f"{API}/provider-templates/1"),
    ("get", f"{API}/time-off-periods"),
    ("post", f"{API}/time-off-periods"),
    ("get", f"{API}/time-off-periods/1"),
    ("delete", f"{API}/time-off-periods/1"),
    ("get", f"{API}/waitlist-entries"),
    ("post", f"{API}/waitlist-entries"),
    ("get", f"{API}/waitlist-entries/1"),
    ("patch", f"{API}/waitlist-entries/1"),
    ("get", f"{API}/referring-providers"),
    ("post", f"{API}/referring-providers"),
    ("get", f"{API}/referring-providers/1"),
    ("patch", f"{API}/referring-providers/1"),
    ("patch", f"{API}/cases/1"),
    ("get", f"{API}/business-associates"),
    ("post", f"{API}/business-associates"),
    ("get", f"{API}/business-associates/1"),
    ("patch", f"{API}/business-associates/1"),
    ("get", f"{API}/business-associate-agreements"),
    ("post", f"{API}/business-associate-agreements"),
    ("get", f"{API}/business-associate-agreements/1"),
    ("patch", f"{API}/business-associate-agreements/1"),
    ("post", f"{API}/business-associate-agreements/1/activate"),
    ("post", f"{API}/business-associate-agreements/1/terminate"),
    ("get", f"{API}/pay-periods"),
    ("post", f"{API}/pay-periods"),
    ("get", f"{API}/pay-periods/1"),
    ("post", f"{API}/pay-periods/1/close"),
    ("post", f"{API}/pay-periods/1/reopen"),
    ("get", f"{API}/job-requisitions"),
    ("post", f"{API}/job-requisitions"),
    ("get", f"{API}/job-requisitions/1"),
    ("patch", f"{API}/job-requisitions/1"),
    ("post", f"{API}/job-requisitions/1/submit"),
    ("post", f"{API}/job-requisitions/1/decide"),
    ("post", f"{API}/job-requisitions/1/cancel"),
    ("get", f"{API}/applicants"),
    ("post", f"{API}/applicants"),
    ("get", f"{API}/applicants/1"),
    ("patch", f"{API}/applicants/1"),
    ("post", f"{API}/applicants/1/stage"),
]
# Path parameters of the OpenAPI document, replaced by the sample id used above.
PATH_IDS = ("{location_id}", "{user_id}", "{provider_id}", "{appointment_id}", "{patient_id}", "{coverage_id}",
            "{payer_id}", "{fee_schedule_id}", "{entry_code}",
            "{charge_id}", "{claim_id}", "{payment_id}", "{remittance_id}",
            "{import_id}", "{position_id}", "{employee_id}", "{credential_id}", "{training_id}",
            "{entry_id}", "{policy_id}", "{incident_id}", "{disclosure_id}", "{case_id}", "{risk_id}",
            "{vendor_id}", "{contract_id}", "{visit_id}", "{item_id}", "{level_id}", "{movement_id}", "{order_id}",
            "{asset_id}", "{plan_id}", "{work_order_id}", "{message_id}", "{rule_id}", "{queue_id}", "{key}",
            "{appointment_type_id}", "{room_id}", "{denial_id}", "{pto_request_id}", "{place_id}",
            "{write_off_id}", "{refund_id}", "{payment_plan_id}", "{statement_run_id}", "{statement_id}",
            "{claim_batch_id}",
            "{requisition_id}", "{count_id}", "{business_associate_id}", "{agreement_id}", "{pay_period_id}",
            "{applicant_id}", "{provider_template_id}", "{time_off_period_id}", "{waitlist_entry_id}",
            "{referring_provider_id}")


def _sample_path(path: str) -> str:
    for name in PATH_IDS:
        path = path.replace(name, "1")
    return path


def _call(client: Client, method: str, path: str, **kwargs: object) -> object:
    if method in {"get", "delete"}:
        return getattr(client, method)(path, **kwargs)
    return getattr(client, method)(path, data="{}", content_type="application/json", **kwargs)


def test_every_operation_is_listed_here() -> None:
    schema = api.get_openapi_schema(path_prefix="")
    operations = {
        (method, _sample_path(path))
        for path, methods in schema["paths"].items()
        for method in methods
    }
    assert operations == {(method, path.removeprefix(API)) for method, path in ENDPOINTS}


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_an_anonymous_caller_gets_401_json_on_every_endpoint(
    client: Client, practice: Practice, method: str, path: str
) -> None:
    response = _call(client, method, path)
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/json"  # type: ignore[index]
    body = response.json()  # type: ignore[attr-defined]
    assert body["code"] == "not_authenticated"
    assert body["message"]
    assert response["WWW-Authenticate"].startswith("Bearer")  # type: ignore[index]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_a_wrong_token_gets_401_on_every_endpoint(practice: Practice, method: str, path: str) -> None:
    client = Client(headers={"Authorization": "Bearer op_abcdefgh_not-a-real-secret"})
    response = _call(client, method, path)
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert response.json()["code"] == "not_authenticated"  # type: ignore[attr-defined]


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Token abc", "op_x"])
def test_a_malformed_authorization_header_gets_401(practice: Practice, header: str) -> None:
    response = Client(headers={"Authorization": header}).get(f"{API}/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_bearer_token_authenticates_as_its_owner(
    make_user: Callable[..., User], api_as: Callable[[User], TokenClient]
) -> None:
    clerk = make_user(Role.FRONT_DESK, username="clerk")
    response = api_as(clerk).get(f"{API}/me")
    assert response.status_code == 200
    assert response.json()["username"] == "clerk"
    assert response.json()["auth_method"] == "token"


def test_a_revoked_token_gets_401(make_user: Callable[..., User]) -> None:
    clerk = make_user(Role.FRONT_DESK)
    token, secret = token_create(actor=clerk, user=clerk, name="script")
    client = TokenClient(secret)
    assert client.get(f"{API}/me").status_code == 200

    token_revoke(actor=clerk, token=token)

    response = client.get(f"{API}/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_deactivated_users_token_gets_401(make_user: Callable[..., User]) -> None:
    clerk = make_user(Role.FRONT_DESK)
    _token, secret = token_create(actor=clerk, user=clerk, name="script")
    User.objects.filter(pk=clerk.pk).update(is_active=False)

    response = TokenClient(secret).get(f"{API}/me")
    assert response.status_code == 401


def test_using_a_token_records_when_it_was_last_used(make_user: Callable[..., User]) -> None:
    clerk = make_user(Role.FRONT_DESK)
    token, secret = token_create(actor=clerk, user=clerk, name="script")
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(hours=1))
    before = timezone.now()

    TokenClient(secret).get(f"{API}/me")

    last_used = ApiToken.objects.get(pk=token.pk).last_used_at
    assert last_used is not None
    assert last_used >= before


def test_the_token_secret_is_not_stored_anywhere_in_the_token_table(make_user: Callable[..., User]) -> None:
    clerk = make_user(Role.FRONT_DESK)
    _token, secret = token_create(actor=clerk, user=clerk, name="script")
    TokenClient(secret).get(f"{API}/me")
    for row in ApiToken.objects.values():
        assert all(secret.split("_", 2)[2] not in str(value) for value in row.values())


def test_a_signed_in_session_may_call_the_api(client: Client, make_user: Callable[..., User]) -> None:
    clerk = make_user(Role.FRONT_DESK, username="clerk")
    sign_in(client, clerk)
    response = client.get(f"{API}/me")
    assert response.status_code == 200
    assert response.json()["auth_method"] == "session"


def test_a_session_without_mfa_is_refused_when_the_role_requires_mfa(
    client: Client, make_user: Callable[..., User]
) -> None:
    clerk = make_user(Role.FRONT_DESK)  # front desk sees PHI: MFA required
    client.force_login(clerk)  # password only
    response = client.get(f"{API}/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_session_without_mfa_changing_something_gets_401_not_a_csrf_complaint(
    make_user: Callable[..., User], practice: Practice
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(Role.ADMINISTRATOR))  # password only; administrators need MFA
    response = client.patch(f"{API}/practice", data='{"name": "Changed"}', content_type="application/json")
    assert response.status_code == 401
    practice.refresh_from_db()
    assert practice.name == "Riverbend Family Medicine"


def test_a_session_without_mfa_is_refused_when_the_user_has_an_authenticator(
    client: Client, make_user: Callable[..., User]
) -> None:
    hr = make_user(Role.HR)  # MFA not required for the role, but this person enrolled an authenticator
    confirmed_totp(hr)
    client.force_login(hr)
    assert client.get(f"{API}/me").status_code == 401


def test_a_session_without_mfa_is_enough_when_the_role_does_not_require_it(
    client: Client, make_user: Callable[..., User]
) -> None:
    hr = make_user(Role.HR)  # no PHI, hands out no access
    client.force_login(hr)
    assert client.get(f"{API}/me").status_code == 200


def _csrf_client(user: User) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    sign_in(client, user)
    secret = "a" * 32
    client.cookies[settings.CSRF_COOKIE_NAME] = secret
    return client, secret


def test_a_session_caller_needs_the_csrf_token_to_change_anything(
    make_user: Callable[..., User], practice: Practice
) -> None:
    admin = make_user(Role.ADMINISTRATOR)
    client, _secret = _csrf_client(admin)

    response = client.patch(f"{API}/practice", data='{"name": "Changed"}', content_type="application/json")

    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    practice.refresh_from_db()
    assert practice.name == "Riverbend Family Medicine"


def test_a_session_caller_with_the_csrf_token_can_change_things(
    make_user: Callable[..., User], practice: Practice
) -> None:
    admin = make_user(Role.ADMINISTRATOR)
    client, secret = _csrf_client(admin)

    response = client.patch(f"{API}/practice", data='{"name": "Changed"}', content_type="application/json",
                            headers={"X-CSRFToken": secret})

    assert response.status_code == 200
    practice.refresh_from_db()
    assert practice.name == "Changed"


def test_a_session_caller_reads_without_a_csrf_token(make_user: Callable[..., User], practice: Practice) -> None:
    client, _secret = _csrf_client(make_user(Role.ADMINISTRATOR))
    assert client.get(f"{API}/practice").status_code == 200


def test_a_token_caller_needs_no_csrf_token(make_user: Callable[..., User], practice: Practice) -> None:
    admin = make_user(Role.ADMINISTRATOR)
    _token, secret = token_create(actor=admin, user=admin, name="script")
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {secret}"})
    response = client.patch(f"{API}/practice", data='{"name": "Changed"}', content_type="application/json")
    assert response.status_code == 200


def test_a_token_callers_actions_are_audited_as_that_user(make_user: Callable[..., User], practice: Practice) -> None:
    admin = make_user(Role.ADMINISTRATOR)
    _token, secret = token_create(actor=admin, user=admin, name="script")
    TokenClient(secret).patch(f"{API}/practice", {"name": "Changed"})
    event = AuditEvent.objects.get(action="practice.updated")
    assert event.actor == admin


@pytest.mark.parametrize("scheme", ["Bearer", "Token", "bearer"])
def test_the_secret_never_reaches_the_log_even_in_debug_mode(
    make_user: Callable[..., User], settings: Any, caplog: pytest.LogCaptureFixture, scheme: str
) -> None:
    settings.DEBUG = True
    clerk = make_user(Role.FRONT_DESK)
    token, secret = token_create(actor=clerk, user=clerk, name="script")
    token_revoke(actor=clerk, token=token)  # a refused call is the one most likely to be logged
    caplog.set_level(logging.DEBUG)

    Client(headers={"Authorization": f"{scheme} {secret}"}).get(f"{API}/me")

    assert caplog.records
    assert secret.split("_", 2)[2] not in caplog.text
