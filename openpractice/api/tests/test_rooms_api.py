"""/rooms: read at the locations where the caller sees the schedule; added, changed, moved and retired with
practice.manage at the room's location (and at the new one), through the settings service (audited). Another
location's room is 404 and the refusal audited; refusals and bad input change nothing."""

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
from openpractice.scheduling.models import Room
from openpractice.scheduling.tests.factories import RoomFactory

from .conftest import API, TokenClient

pytestmark = pytest.mark.django_db

Api = Callable[[User], TokenClient]
ROOMS = f"{API}/rooms"


@pytest.fixture
def manager_north(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north])


def refusals(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def rows() -> list[tuple[Any, ...]]:
    return list(Room.objects.order_by("pk").values_list("location_id", "name", "is_active"))


def test_the_list_shows_the_rooms_at_the_callers_locations(
        make_user: Callable[..., User], north: Location, south: Location, api_as: Api) -> None:
    exam = RoomFactory(location=north, name="Exam 1")
    retired = RoomFactory(location=north, name="Exam 2", is_active=False)
    elsewhere = RoomFactory(location=south, name="Exam 1")
    desk = make_user(Role.FRONT_DESK, locations=[north])
    client = api_as(desk)
    response = client.get(ROOMS)
    assert response.status_code == 200, response.content
    assert [row["id"] for row in response.json()["items"]] == [exam.pk, retired.pk]
    assert response.json()["items"][0]["location"] == {"id": north.pk, "name": north.name, "code": north.code}
    assert [row["id"] for row in client.get(ROOMS, {"active": "true"}).json()["items"]] == [exam.pk]
    assert client.get(ROOMS, {"location_id": south.pk}).json()["count"] == 0
    assert client.get(f"{ROOMS}/{exam.pk}").status_code == 200
    assert client.get(f"{ROOMS}/{elsewhere.pk}").status_code == 404
    assert refusals(desk) == 1


def test_the_list_runs_the_same_queries_for_many_rows(manager_north: User, north: Location, api_as: Api) -> None:
    client = api_as(manager_north)
    RoomFactory(location=north)
    client.get(ROOMS)
    with CaptureQueriesContext(connection) as few:
        client.get(ROOMS)
    RoomFactory.create_batch(10, location=north)
    with CaptureQueriesContext(connection) as many:
        assert client.get(ROOMS).json()["count"] == 11
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize("query", [{"location_id": 0}, {"location_id": "north"}, {"active": "maybe"},
                                   {"limit": 500}])
def test_the_list_refuses_bad_filters(manager_north: User, api_as: Api, query: dict[str, Any]) -> None:
    assert api_as(manager_north).get(ROOMS, query).status_code == 422


def test_a_manager_adds_renames_and_retires_a_room_and_it_is_audited(manager_north: User, north: Location,
                                                                     api_as: Api) -> None:
    client = api_as(manager_north)
    response = client.post(ROOMS, {"location_id": north.pk, "name": "Procedure room"})
    assert response.status_code == 201, response.content
    room = Room.objects.get(pk=response.json()["id"])
    assert (room.location_id, room.name, room.is_active) == (north.pk, "Procedure room", True)
    response = client.patch(f"{ROOMS}/{room.pk}", {"name": "Procedure 1", "is_active": False})
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["is_active"]) == ("Procedure 1", False)
    actions = set(AuditEvent.objects.filter(actor=manager_north, object_id=str(room.pk)).values_list("action",
                                                                                                     flat=True))
    assert {"room.created", "room.updated"} <= actions


def test_moving_a_room_needs_practice_manage_at_the_new_location_too(
        manager_north: User, north: Location, south: Location, make_user: Callable[..., User], api_as: Api) -> None:
    room = RoomFactory(location=north, name="Exam 1")
    before = rows()
    response = api_as(manager_north).patch(f"{ROOMS}/{room.pk}", {"location_id": south.pk})
    assert response.status_code == 422  # South: not a location the caller may use
    assert rows() == before
    everywhere = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)
    response = api_as(everywhere).patch(f"{ROOMS}/{room.pk}", {"location_id": south.pk})
    assert response.status_code == 200, response.content
    assert response.json()["location"]["id"] == south.pk


@pytest.mark.parametrize("body", [
    {"name": "Exam 9"}, {"location_id": 999999, "name": "Exam 9"}, {"location_id": "north", "name": "Exam 9"},
    {"location_id": None, "name": ""}, {"location_id": None, "name": "x" * 41},
    {"location_id": None, "name": "Ex\x00am"}, {"location_id": None, "name": "Taken"},
    {"location_id": None, "name": "  "},
])
def test_bad_input_is_a_422_and_adds_nothing(manager_north: User, north: Location, api_as: Api,
                                             body: dict[str, Any]) -> None:
    RoomFactory(location=north, name="Taken")
    before = rows()
    if body.get("location_id", 0) is None:
        body = {**body, "location_id": north.pk}
    response = api_as(manager_north).post(ROOMS, body)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "validation_error"
    assert rows() == before


def test_a_room_at_another_location_cannot_be_changed_and_the_refusal_is_audited(
        manager_north: User, south: Location, api_as: Api) -> None:
    room = RoomFactory(location=south, name="Exam 1")
    before = rows()
    response = api_as(manager_north).patch(f"{ROOMS}/{room.pk}", {"name": "Mine now"})
    assert response.status_code == 404
    assert refusals(manager_north) == 1
    assert rows() == before


def test_adding_a_room_where_the_caller_does_not_manage_is_404_audited_and_adds_nothing(
        make_user: Callable[..., User], manager_north: User, north: Location, south: Location, api_as: Api) -> None:
    desk = make_user(Role.FRONT_DESK, locations=[north])
    before = rows()
    assert api_as(desk).post(ROOMS, {"location_id": north.pk, "name": "Exam 5"}).status_code == 404
    assert refusals(desk) == 1
    # An entry practice manager sees South (practice.view) but may not manage it.
    outside = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY, locations=[south])
    assert api_as(outside).post(ROOMS, {"location_id": south.pk, "name": "Exam 5"}).status_code == 404
    assert refusals(outside) == 1
    assert rows() == before
