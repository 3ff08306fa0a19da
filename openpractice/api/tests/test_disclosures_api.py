"""/disclosures: the same permissions, scope and audit as the disclosure pages. Refusals are 404 (audited) and
change nothing; the purpose filter takes listed values only; every patient returned is an audited read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.compliance.choices import DisclosurePurpose
from openpractice.compliance.models import Disclosure
from openpractice.compliance.tests.factories_incidents import IncidentFactory
from openpractice.compliance.tests.route_samples_disclosures import make_disclosure
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.patients.models import Patient
from openpractice.patients.tests.factories import PatientFactory

from .conftest import API, TokenClient

pytestmark = pytest.mark.django_db

Api = Callable[[User], TokenClient]


@pytest.fixture
def officer(make_user: Callable[..., User]) -> User:
    return make_user(Role.PRIVACY_OFFICER, username="privacy")


@pytest.fixture
def here(north: Location) -> Patient:
    return PatientFactory(home_location=north)


@pytest.fixture
def there(south: Location) -> Patient:
    return PatientFactory(home_location=south)


def _rows() -> list[Any]:
    return list(Disclosure.objects.order_by("pk").values_list())


def _denials(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def _reads(user: User, patient: Patient) -> int:
    return AuditEvent.objects.filter(actor=user, action="patients.viewed", patient_id=patient.pk).count()


def _payload(patient: Patient, **overrides: Any) -> dict[str, Any]:
    return {"patient_id": patient.pk, "disclosed_on": practice_today().isoformat(),
            "recipient": "Wake County Health Department", "purpose": DisclosurePurpose.PUBLIC_HEALTH,
            "information": "Laboratory result", **overrides}


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["items"]]


def test_the_list_filters_and_audits_each_patient_on_the_page(
        make_user: Callable[..., User], north: Location, here: Patient, there: Patient, officer: User,
        api_as: Api) -> None:
    north_only = make_user(Role.PRIVACY_OFFICER, locations=[north])
    today = practice_today()
    old = make_disclosure(patient=here, recorded_by=officer, disclosed_on=today - dt.timedelta(days=30),
                          purpose=DisclosurePurpose.JUDICIAL)
    new = make_disclosure(patient=here, recorded_by=officer)
    make_disclosure(patient=there, recorded_by=officer)
    client = api_as(north_only)
    assert ids(client.get(f"{API}/disclosures")) == [new.pk, old.pk]
    assert _reads(north_only, here) == 1  # one event for the patient, not one per row
    assert ids(client.get(f"{API}/disclosures", {"purpose": "judicial"})) == [old.pk]
    assert ids(client.get(f"{API}/disclosures", {"since": today.isoformat()})) == [new.pk]
    assert ids(client.get(f"{API}/disclosures", {"until": (today - dt.timedelta(days=1)).isoformat()})) == [old.pk]
    assert ids(client.get(f"{API}/disclosures", {"patient_id": there.pk})) == []
    assert client.get(f"{API}/disclosures", {"purpose": "treatment"}).status_code == 422
    assert _reads(north_only, there) == 0
    body = client.get(f"{API}/disclosures/{new.pk}").json()
    assert (body["patient_id"], body["recipient"], body["purpose"]) == (here.pk, new.recipient, "public_health")


def test_recording_through_the_api(officer: User, north: Location, here: Patient, api_as: Api) -> None:
    incident = IncidentFactory(location=north)
    response = api_as(officer).post(f"{API}/disclosures", _payload(
        here, location_id=north.pk, incident_id=incident.pk, purpose="breach", recipient_address="1 Main St"))
    assert response.status_code == 201, response.content
    body = response.json()
    disclosure = Disclosure.objects.get()
    assert body["id"] == disclosure.pk
    assert (disclosure.location, disclosure.incident, disclosure.recorded_by) == (north, incident, officer)
    assert AuditEvent.objects.filter(action="compliance.disclosure_recorded", patient_id=here.pk).count() == 1


@pytest.mark.parametrize(("overrides", "field"), [
    ({"disclosed_on": "tomorrow"}, "disclosed_on"),
    ({"purpose": "other"}, "purpose_detail"),
    ({"location_id": 999999}, "location_id"),
    ({"incident_id": 999999}, "incident_id"),
])
def test_invalid_records_answer_422_on_their_field(officer: User, here: Patient, api_as: Api,
                                                   overrides: dict[str, Any], field: str) -> None:
    if overrides.get("disclosed_on") == "tomorrow":
        overrides = {"disclosed_on": (practice_today() + dt.timedelta(days=1)).isoformat()}
    response = api_as(officer).post(f"{API}/disclosures", _payload(here, **overrides))
    assert response.status_code == 422, response.content
    assert field in {error["loc"][-1] for error in response.json()["errors"]}
    assert not Disclosure.objects.exists()


@pytest.mark.parametrize(("role", "tier", "scope"), [
    (Role.BILLER, Tier.STANDARD, "all"), (Role.FRONT_DESK, Tier.STANDARD, "all"),
    (Role.PRIVACY_OFFICER, Tier.STANDARD, "north"), (Role.PRACTICE_MANAGER, Tier.ENTRY, "all"),
])
def test_refusals_are_404_audited_and_change_nothing(make_user: Callable[..., User], officer: User, north: Location,
                                                     there: Patient, api_as: Api, role: str, tier: str,
                                                     scope: str) -> None:
    user = make_user(role, tier, locations=[north] if scope == "north" else None)
    disclosure = make_disclosure(patient=there, recorded_by=officer)
    client = api_as(user)
    before, denials = _rows(), _denials(user)
    listed = client.get(f"{API}/disclosures")
    if scope == "north":
        assert ids(listed) == []
    else:
        assert listed.status_code == 404
    assert client.get(f"{API}/disclosures/{disclosure.pk}").status_code == 404
    created = client.post(f"{API}/disclosures", _payload(there))
    assert created.status_code == 404
    assert created.json()["code"] == "not_found"
    assert _rows() == before
    assert _denials(user) == denials + (2 if scope == "north" else 3)
    assert _reads(user, there) == 0
