"""/risks: the security risk register. compliance.view lists and reads it (scores, bands, overdue); compliance.manage
adds and changes risks through the services (audited). Refusals are 404, audited, and change nothing; filters take
listed values only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.compliance.choices import RiskStatus, Safeguard
from openpractice.compliance.models import Risk
from openpractice.compliance.tests.route_samples_sra import make_assessment, make_risk
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today

from .conftest import API, TokenClient

pytestmark = pytest.mark.django_db

Api = Callable[[User], TokenClient]
RISKS = f"{API}/risks"


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    state = {}
    for model in apps.get_app_config("compliance").get_models():
        columns = [field.attname for field in model._meta.concrete_fields]
        state[model._meta.label] = list(model._default_manager.order_by("pk").values_list(*columns))
    return state


def denials(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["items"]]


@pytest.fixture
def officer(make_user: Callable[..., User]) -> User:
    return make_user(Role.PRIVACY_OFFICER, username="privacy")


@pytest.fixture
def desk(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.FRONT_DESK, locations=[north], username="desk")


def new_risk(**changes: Any) -> dict[str, Any]:
    return {"title": "Laptops without disk encryption", "safeguard": "technical", "likelihood": 3, "impact": 4,
            "description": "A lost laptop exposes cached PHI.", "remediation": "Turn on BitLocker.",
            "due_on": (practice_today() + dt.timedelta(days=60)).isoformat(), **changes}


def test_the_register_needs_compliance_view_and_is_scored_filtered_and_paginated(
        officer: User, auditor: User, desk: User, api_as: Api) -> None:
    yesterday = practice_today() - dt.timedelta(days=1)
    critical = make_risk(owner=officer, likelihood=5, impact=5, due_on=yesterday, title="Backups untested")
    low = make_risk(owner=officer, likelihood=1, impact=2, safeguard=Safeguard.PHYSICAL, title="Visitor log")
    closed = make_risk(owner=officer, likelihood=4, impact=4, status=RiskStatus.MITIGATED, title="Shared logins")
    client = api_as(auditor)

    everything = client.get(RISKS)
    assert ids(everything) == [critical.pk, low.pk, closed.pk]  # open first, highest score first
    row = everything.json()["items"][0]
    assert (row["score"], row["band"], row["overdue"]) == (25, "critical", True)
    assert ids(client.get(RISKS, {"status": "open"})) == [critical.pk, low.pk]
    assert ids(client.get(RISKS, {"band": "low"})) == [low.pk]
    assert ids(client.get(RISKS, {"safeguard": "physical"})) == [low.pk]
    assert ids(client.get(RISKS, {"overdue": True})) == [critical.pk]
    assert ids(client.get(RISKS, {"q": "login"})) == [closed.pk]
    page = client.get(RISKS, {"limit": 1, "offset": 1})
    assert ids(page) == [low.pk]
    assert page.json()["count"] == 3
    for params in ({"band": "scary"}, {"status": "lost"}, {"safeguard": "magic"}, {"limit": 0}):
        response = client.get(RISKS, params)
        assert response.status_code == 422, params
        assert response.json()["code"] == "validation_error"

    before = denials(desk)
    refused = api_as(desk).get(RISKS)
    assert refused.status_code == 404
    assert refused.json()["code"] == "not_found"
    assert denials(desk) == before + 1


def test_the_register_filters_by_assessment(officer: User, api_as: Api) -> None:
    assessment = make_assessment(started_by=officer)
    inside = make_risk(owner=officer, assessment=assessment)
    make_risk(owner=officer)
    assert ids(api_as(officer).get(RISKS, {"assessment_id": assessment.pk})) == [inside.pk]


def test_reading_a_risk(officer: User, auditor: User, desk: User, api_as: Api) -> None:
    risk = make_risk(owner=officer, likelihood=2, impact=3, title="Unlocked server closet")
    response = api_as(auditor).get(f"{RISKS}/{risk.pk}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["title"], body["score"], body["band"], body["owner_id"], body["status"]) == (
        "Unlocked server closet", 6, "medium", officer.pk, RiskStatus.OPEN)
    assert api_as(auditor).get(f"{RISKS}/999999").status_code == 404
    before = denials(desk)
    assert api_as(desk).get(f"{RISKS}/{risk.pk}").status_code == 404
    assert denials(desk) == before + 1


def test_a_manager_adds_a_risk_and_it_is_audited(officer: User, api_as: Api) -> None:
    assessment = make_assessment(started_by=officer)
    response = api_as(officer).post(RISKS, new_risk(assessment_id=assessment.pk))
    assert response.status_code == 201, response.content
    body = response.json()
    risk = Risk.objects.get()
    assert body["id"] == risk.pk
    assert (body["score"], body["band"], body["overdue"]) == (12, "high", False)
    assert (risk.owner, risk.created_by, risk.assessment) == (officer, officer, assessment)
    assert AuditEvent.objects.filter(actor=officer, action="compliance.risk_created",
                                     object_id=str(risk.pk)).exists()


def test_a_risk_that_is_not_valid_is_a_422_and_nothing_is_created(
        officer: User, make_user: Callable[..., User], api_as: Api) -> None:
    inactive = make_user(Role.HR, is_active=False)
    client = api_as(officer)
    before = snapshot()
    for changes, field in (({"likelihood": 6}, "likelihood"), ({"safeguard": "magic"}, "safeguard"),
                           ({"owner_id": 999999}, "owner_id"), ({"owner_id": inactive.pk}, "owner_id"),
                           ({"assessment_id": 999999}, "assessment_id"), ({"title": " "}, "title")):
        response = client.post(RISKS, new_risk(**changes))
        assert response.status_code == 422, (changes, response.content)
        assert any(field in [str(part) for part in error["loc"]] for error in response.json()["errors"]), changes
    assert snapshot() == before


def test_viewers_cannot_add_or_change_risks_and_nothing_changes(
        officer: User, auditor: User, desk: User, api_as: Api) -> None:
    risk = make_risk(owner=officer)
    for user in (auditor, desk):
        client = api_as(user)
        for call in (lambda c: c.post(RISKS, new_risk()), lambda c: c.patch(f"{RISKS}/{risk.pk}", {"impact": 1})):
            before, denied = snapshot(), denials(user)
            response = call(client)
            assert response.status_code == 404, user.username
            assert response.json()["code"] == "not_found"
            assert denials(user) == denied + 1
            assert snapshot() == before


def test_a_manager_changes_a_risk(officer: User, make_user: Callable[..., User], api_as: Api) -> None:
    hr = make_user(Role.HR)
    risk = make_risk(owner=officer, likelihood=3, impact=3, due_on=practice_today())
    client = api_as(officer)
    response = client.patch(f"{RISKS}/{risk.pk}", {"likelihood": 5, "owner_id": hr.pk, "due_on": None})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["likelihood"], body["score"], body["band"], body["owner_id"], body["due_on"]) == (
        5, 15, "high", hr.pk, None)
    event = AuditEvent.objects.get(actor=officer, action="compliance.risk_updated")
    assert set(event.changed_field_list) == {"likelihood", "owner", "due_on"}

    before = snapshot()
    for body in ({"title": None}, {"impact": 0}, {"owner_id": 999999}):
        assert client.patch(f"{RISKS}/{risk.pk}", body).status_code == 422, body
    assert snapshot() == before
    assert client.patch(f"{RISKS}/999999", {"impact": 2}).status_code == 404
