"""/api/v1/charges: list and read at your locations, capture a charge with its diagnoses and lines in one
all-or-nothing call."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.api.tests.conftest import API, TokenClient, token_client_for
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.billing.models import Charge, ChargeDiagnosis, ChargeLine
from openpractice.billing.tests.factories import FeeScheduleEntryFactory, FeeScheduleFactory, make_charge
from openpractice.core.models import Location
from openpractice.patients.tests.factories import CoverageFactory, PatientFactory
from openpractice.scheduling.tests.factories import AppointmentFactory, ProviderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def biller(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.BILLER, locations=[north], username="biller-north")


@pytest.fixture
def api(biller: User) -> TokenClient:
    return token_client_for(biller)


@pytest.fixture
def fees(biller: User) -> None:
    schedule = FeeScheduleFactory(created_by=biller)
    FeeScheduleEntryFactory(schedule=schedule, procedure_code="99214", amount=Decimal("180.00"))


def denied(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def nothing_saved() -> bool:
    return not (Charge.objects.exists() or ChargeDiagnosis.objects.exists() or ChargeLine.objects.exists())


def stand_alone(north: Location, **changes: Any) -> dict[str, Any]:
    payload = {
        "patient_id": PatientFactory(home_location=north).pk, "location_id": north.pk,
        "rendering_provider_id": ProviderFactory(locations=[north]).pk, "date_of_service": "2026-11-02",
        "prior_authorization": "PA-9", "diagnoses": ["E11.9", "I10"],
        "lines": [{"procedure_code": "99214", "modifiers": ["25"], "pointers": [1, 2]},
                  {"procedure_code": "J1100", "units": "2", "amount": "30.00"}],
    }
    payload.update(changes)
    return payload


# --- read ------------------------------------------------------------------------------------------------------


def test_the_list_shows_charges_of_your_locations_and_audits_each_patient(api: TokenClient, biller: User,
                                                                         north: Location, south: Location) -> None:
    mine = make_charge(location=north, actor=biller)
    make_charge(location=south, actor=biller)
    response = api.get(f"{API}/charges")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["id"] == mine.pk
    assert item["diagnoses"] == ["E11.9", "I10"]
    assert item["lines"][0]["procedure_code"] == "99213"
    assert Decimal(item["total"]) == Decimal("125.00")
    assert AuditEvent.objects.filter(actor=biller, action="patients.viewed", patient_id=mine.patient_id).count() == 1


def test_the_list_filters_by_status_and_dates(api: TokenClient, biller: User, north: Location) -> None:
    old = make_charge(location=north, actor=biller, date_of_service=dt.date(2026, 10, 1))
    make_charge(location=north, actor=biller, date_of_service=dt.date(2026, 11, 2))
    response = api.get(f"{API}/charges", {"date_to": "2026-10-31", "status": "open"})
    assert [item["id"] for item in response.json()["items"]] == [old.pk]
    assert api.get(f"{API}/charges", {"status": "void"}).json()["count"] == 0


def _queries(api: TokenClient) -> int:
    api.get(f"{API}/charges")
    with CaptureQueriesContext(connection) as queries:
        assert api.get(f"{API}/charges").status_code == 200
    return len(queries)


def test_the_list_costs_the_same_queries_for_2_or_8_charges(api: TokenClient, biller: User, north: Location) -> None:
    # One patient: each distinct patient shown writes its own patients.viewed event (by design, like the
    # appointments API); what must not grow is the reading.
    coverage = CoverageFactory(patient=PatientFactory(home_location=north))
    for _ in range(2):
        make_charge(location=north, actor=biller, coverage=coverage)
    few = _queries(api)
    for _ in range(6):
        make_charge(location=north, actor=biller, coverage=coverage)
    assert _queries(api) == few


def test_one_charge_is_read_with_its_claims(api: TokenClient, biller: User, north: Location) -> None:
    charge = make_charge(location=north, actor=biller)
    response = api.get(f"{API}/charges/{charge.pk}")
    assert response.status_code == 200
    assert response.json()["patient"]["account_number"] == charge.patient.account_number
    assert response.json()["claims"] == []
    assert AuditEvent.objects.filter(actor=biller, action="patients.viewed", patient_id=charge.patient_id).exists()


def test_a_south_charge_is_not_found_for_a_north_biller(api: TokenClient, biller: User, south: Location) -> None:
    charge = make_charge(location=south, actor=biller)
    response = api.get(f"{API}/charges/{charge.pk}")
    assert response.status_code == 404
    assert denied(biller) == 1


def test_a_front_desk_clerk_cannot_list_charges(make_user: Callable[..., User], north: Location) -> None:
    clerk = make_user(Role.FRONT_DESK, locations=[north])
    assert token_client_for(clerk).get(f"{API}/charges").status_code == 404
    assert denied(clerk) == 1


# --- create ----------------------------------------------------------------------------------------------------


def test_a_charge_is_captured_with_its_diagnoses_and_lines(api: TokenClient, biller: User, north: Location,
                                                           fees: None) -> None:
    response = api.post(f"{API}/charges", stand_alone(north))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["diagnoses"] == ["E11.9", "I10"]
    assert [(line["procedure_code"], line["modifiers"], Decimal(line["amount"]), line["pointers"])
            for line in body["lines"]] == [("99214", ["25"], Decimal("180.00"), [1, 2]),
                                           ("J1100", [], Decimal("30.00"), [1])]
    assert body["prior_authorization"] == "PA-9"
    assert body["status"] == "open"
    assert Charge.objects.get().created_by == biller


def test_a_checked_out_visit_is_charged_through_the_api(api: TokenClient, north: Location, fees: None) -> None:
    provider = ProviderFactory(locations=[north], is_billing=True)
    appointment = AppointmentFactory(patient=PatientFactory(home_location=north), provider=provider, location=north,
                                     starts_at=dt.datetime(2026, 11, 2, 15, tzinfo=dt.UTC), status="completed")
    response = api.post(f"{API}/charges", {"appointment_id": appointment.pk, "diagnoses": ["I10"],
                                           "lines": [{"procedure_code": "99214"}]})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["appointment_id"], body["billing_provider"]["id"]) == (appointment.pk, provider.pk)
    assert body["date_of_service"] == "2026-11-02"


@pytest.mark.parametrize(("changes", "field"), [
    ({"lines": [{"procedure_code": "99214"}, {"procedure_code": "9921Z"}]}, "lines.2.procedure_code"),
    ({"lines": [{"procedure_code": "99215"}]}, "lines.1.amount"),
    ({"lines": [{"procedure_code": "99214", "pointers": [3]}]}, "lines.1.pointers"),
    ({"diagnoses": ["E11"]}, "diagnoses"),
    ({"date_of_service": "2099-01-01"}, "date_of_service"),
    ({"patient_id": 999999}, "patient_id"),
    ({"rendering_provider_id": 999999}, "rendering_provider_id"),
])
def test_one_bad_part_saves_nothing_and_names_the_field(api: TokenClient, north: Location, fees: None,
                                                        changes: dict[str, Any], field: str) -> None:
    response = api.post(f"{API}/charges", stand_alone(north, **changes))
    assert response.status_code == 422
    assert field in [error["loc"][-1] for error in response.json()["errors"]]
    assert nothing_saved()


def test_a_charge_at_a_location_out_of_scope_is_refused_and_audited(api: TokenClient, biller: User,
                                                                    north: Location, south: Location) -> None:
    response = api.post(f"{API}/charges", stand_alone(north, location_id=south.pk))
    assert response.status_code == 404
    assert nothing_saved()
    assert denied(biller) == 1


@pytest.mark.parametrize(("role", "tier"), [(Role.FRONT_DESK, Tier.STANDARD), (Role.PRACTICE_MANAGER, Tier.ENTRY)])
def test_people_without_billing_manage_cannot_capture_charges(make_user: Callable[..., User], north: Location,
                                                              role: str, tier: str) -> None:
    user = make_user(role, tier, locations=[north])
    response = token_client_for(user).post(f"{API}/charges", stand_alone(north))
    assert response.status_code == 404
    assert nothing_saved()
    assert denied(user) == 1
