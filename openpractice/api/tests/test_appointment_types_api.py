"""/appointment-types: read by anyone who sees the schedule; added and changed only with practice.manage at every
location, through the settings service (audited). Refusals are 404, audited, and change nothing; bad input 422."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core.models import Location
from openpractice.scheduling.models import AppointmentType
from openpractice.scheduling.tests.factories import AppointmentTypeFactory

from .conftest import API, TokenClient

pytestmark = pytest.mark.django_db

Api = Callable[[User], TokenClient]
TYPES = f"{API}/appointment-types"


@pytest.fixture
def manager(make_user: Callable[..., User]) -> User:
    return make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)


def refusals(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def rows() -> list[tuple[Any, ...]]:
    return list(AppointmentType.objects.order_by("pk").values_list(
        "name", "duration_minutes", "colour", "needs_room", "is_active"))


def test_anyone_who_sees_the_schedule_lists_types_by_name_and_filters_them(
        make_user: Callable[..., User], north: Location, api_as: Api) -> None:
    AppointmentTypeFactory(name="Follow-up")
    AppointmentTypeFactory(name="Annual physical", needs_room=True)
    retired = AppointmentTypeFactory(name="Flu shot", is_active=False)
    client = api_as(make_user(Role.FRONT_DESK, locations=[north]))
    response = client.get(TYPES)
    assert response.status_code == 200, response.content
    assert [row["name"] for row in response.json()["items"]] == ["Annual physical", "Flu shot", "Follow-up"]
    assert [row["id"] for row in client.get(TYPES, {"active": "false"}).json()["items"]] == [retired.pk]
    assert [row["name"] for row in client.get(TYPES, {"q": "FOLL"}).json()["items"]] == ["Follow-up"]
    detail = client.get(f"{TYPES}/{retired.pk}")
    assert detail.status_code == 200
    assert detail.json()["is_active"] is False
    assert client.get(f"{TYPES}/999999").status_code == 404


def test_the_list_runs_the_same_queries_for_many_rows(manager: User, api_as: Api) -> None:
    client = api_as(manager)
    AppointmentTypeFactory()
    client.get(TYPES)
    with CaptureQueriesContext(connection) as few:
        client.get(TYPES)
    AppointmentTypeFactory.create_batch(10)
    with CaptureQueriesContext(connection) as many:
        assert client.get(TYPES).json()["count"] == 11
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_role_without_the_schedule_reads_nothing(make_user: Callable[..., User], api_as: Api) -> None:
    hr = make_user(Role.HR)
    kind = AppointmentTypeFactory()
    assert api_as(hr).get(TYPES).status_code == 404
    assert api_as(hr).get(f"{TYPES}/{kind.pk}").status_code == 404
    assert refusals(hr) == 2


def test_a_senior_practice_manager_adds_and_changes_a_type_and_it_is_audited(manager: User, api_as: Api) -> None:
    client = api_as(manager)
    response = client.post(TYPES, {"name": " New patient visit ", "duration_minutes": 40, "needs_room": True})
    assert response.status_code == 201, response.content
    created = AppointmentType.objects.get(pk=response.json()["id"])
    assert (created.name, created.duration_minutes, created.needs_room, created.colour) == (
        "New patient visit", 40, True, "#2a7ab0")
    assert AuditEvent.objects.filter(actor=manager, action="appointment_type.created",
                                     object_id=str(created.pk)).exists()
    response = client.patch(f"{TYPES}/{created.pk}", {"duration_minutes": 45, "is_active": False})
    assert response.status_code == 200, response.content
    assert (response.json()["duration_minutes"], response.json()["is_active"]) == (45, False)
    assert AuditEvent.objects.filter(actor=manager, action="appointment_type.updated",
                                     object_id=str(created.pk)).exists()


@pytest.mark.parametrize("body", [
    {"name": "Visit", "duration_minutes": 4}, {"name": "Visit", "duration_minutes": 481}, {"name": "", "duration_minutes": 30},
    {"name": "x" * 61, "duration_minutes": 30}, {"name": "Visit", "duration_minutes": 30, "colour": "red"},
    {"name": "Vi\x00sit", "duration_minutes": 30}, {"name": "Taken", "duration_minutes": 30}, {"duration_minutes": 30},
    {"name": "   ", "duration_minutes": 30},
])
def test_bad_input_is_a_422_and_adds_nothing(manager: User, api_as: Api, body: dict[str, Any]) -> None:
    AppointmentTypeFactory(name="Taken")
    before = rows()
    response = api_as(manager).post(TYPES, body)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "validation_error"
    assert rows() == before


def test_a_change_to_a_name_already_used_is_a_422(manager: User, api_as: Api) -> None:
    AppointmentTypeFactory(name="Taken")
    kind = AppointmentTypeFactory(name="Mine")
    before = rows()
    assert api_as(manager).patch(f"{TYPES}/{kind.pk}", {"name": "Taken"}).status_code == 422
    assert rows() == before


@pytest.mark.parametrize(("role", "tier", "at_one_location"), [
    (Role.FRONT_DESK, "standard", False),
    (Role.PRACTICE_MANAGER, Tier.ADVANCED, False),
    (Role.PRACTICE_MANAGER, Tier.SENIOR, True),  # practice.manage, but not at every location
])
def test_without_practice_manage_everywhere_adding_or_changing_is_404_audited_and_changes_nothing(
        make_user: Callable[..., User], north: Location, south: Location, api_as: Api, role: str, tier: str,
        at_one_location: bool) -> None:
    caller = make_user(role, tier, locations=[north] if at_one_location else None)
    kind = AppointmentTypeFactory(name="Follow-up")
    before = rows()
    client = api_as(caller)
    assert client.post(TYPES, {"name": "New", "duration_minutes": 20}).status_code == 404
    assert client.patch(f"{TYPES}/{kind.pk}", {"duration_minutes": 60}).status_code == 404
    assert refusals(caller) == 2
    assert rows() == before
