"""The /employees API router: list/read/create/update in scope; SSN and bank details never returned."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from ninja.testing import TestClient

from openpractice.accounts.roles import Role, Tier
from openpractice.api.routers.employees import router
from openpractice.audit.models import AuditEvent
from openpractice.workforce.models import Employee

from .factories import EmployeeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> TestClient:
    return TestClient(router)


def test_list_and_read_mask_sensitive_values(api: TestClient, make_user: Any, north: Any, south: Any) -> None:
    hr = make_user(Role.HR, locations=[north])
    mine = EmployeeFactory(location=north, ssn="123-45-6789", bank_account_number="000123456789",
                           bank_routing_number="021000021")
    EmployeeFactory(location=south)
    response = api.get("", user=hr)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["items"][0]["id"] == mine.pk
    text = json.dumps(body)
    assert "123-45-6789" not in text
    assert "000123456789" not in text
    assert "021000021" not in text
    assert body["items"][0]["ssn_last4"] == "6789"
    assert body["items"][0]["bank_account_last4"] == "6789"
    assert api.get(f"/{mine.pk}", user=hr).json()["employee_number"] == mine.employee_number


def test_out_of_scope_and_out_of_role_answer_404(api: TestClient, make_user: Any, north: Any, south: Any) -> None:
    hr = make_user(Role.HR, locations=[north])
    elsewhere = EmployeeFactory(location=south, first_name="Kept")
    assert api.get(f"/{elsewhere.pk}", user=hr).status_code == 404
    assert api.patch(f"/{elsewhere.pk}", json={"first_name": "Changed"}, user=hr).status_code == 404
    front = make_user(Role.FRONT_DESK)
    assert api.get("", user=front).status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.first_name == "Kept"
    assert AuditEvent.objects.filter(outcome="denied").count() == 3


def test_create_and_update(api: TestClient, make_user: Any, north: Any) -> None:
    hr = make_user(Role.HR, locations=[north])
    response = api.post("", json={"employee_number": "A1", "first_name": "Kim", "last_name": "Lo",
                                  "location": north.pk, "hire_date": "2025-01-02", "ssn": "123456789"}, user=hr)
    assert response.status_code == 201, response.content
    assert "ssn" not in response.json()
    assert response.json()["ssn_last4"] == "6789"
    employee = Employee.objects.get(employee_number="A1")
    assert employee.ssn == "123-45-6789"
    assert employee.hire_date == dt.date(2025, 1, 2)
    response = api.patch(f"/{employee.pk}", json={"phone": "555-0199", "status": "on_leave"}, user=hr)
    assert response.status_code == 200
    assert response.json()["status"] == "on_leave"
    office_mid = make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    assert api.patch(f"/{employee.pk}", json={"phone": "1"}, user=office_mid).status_code == 404
    employee.refresh_from_db()
    assert employee.phone == "555-0199"
