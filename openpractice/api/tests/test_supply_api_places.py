"""/storage-places: inventory.view reads the places at the caller's locations; inventory.manage there adds, changes,
moves and retires them through the same service as the pages (a place holding stock neither moves nor retires).
A place at another location is 404 (audited); refusals and bad input change nothing; the list costs the same
queries whatever the rows."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.inventory.choices import PlaceKind
from openpractice.inventory.models import StoragePlace
from openpractice.inventory.tests.factories import ItemFactory

from .conftest import API
from .supply_support import Api, denials, errors_on, ids, list_queries, place, put, snapshot

pytestmark = pytest.mark.django_db

PLACES = f"{API}/storage-places"


@pytest.fixture
def nurse(make_user: Callable[..., User], north: Location) -> User:
    """Clinical staff at North: sees and uses stock there, manages nothing."""
    return make_user(Role.CLINICAL_STAFF, locations=[north], username="nurse")


@pytest.fixture
def manager(make_user: Callable[..., User], north: Location) -> User:
    """Office manager (mid) at North: manages inventory there, not at South."""
    return make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north], username="om-mid")


def test_the_list_and_a_place_show_the_callers_locations_only(nurse: User, north: Location, south: Location,
                                                              api_as: Api) -> None:
    room, cabinet = place(north, "Supply room"), place(north, "Sample cabinet", PlaceKind.SAMPLES)
    retired = StoragePlace.objects.create(location=north, name="Old closet", kind=PlaceKind.OTHER, is_active=False)
    place(south, "South supply room")
    client = api_as(nurse)

    everything = client.get(PLACES)
    assert ids(everything) == [retired.pk, cabinet.pk, room.pk]
    assert everything.json()["count"] == 3
    assert everything.json()["items"][1] == {
        "id": cabinet.pk, "name": "Sample cabinet", "kind": "samples", "is_active": True,
        "location": {"id": north.pk, "name": north.name, "code": north.code}}
    assert ids(client.get(PLACES, {"kind": "samples"})) == [cabinet.pk]
    assert ids(client.get(PLACES, {"active": False})) == [retired.pk]
    assert ids(client.get(PLACES, {"location_id": south.pk})) == []
    for params in ({"kind": "garage"}, {"limit": 0}, {"location_id": 0}):
        assert client.get(PLACES, params).status_code == 422, params
    assert client.get(f"{PLACES}/{room.pk}").json()["name"] == "Supply room"


def test_a_place_at_another_location_is_404_and_the_denial_audited(nurse: User, south: Location,
                                                                   api_as: Api) -> None:
    far = place(south)
    client = api_as(nurse)
    before = denials(nurse)
    assert client.get(f"{PLACES}/{far.pk}").status_code == 404
    assert denials(nurse) == before + 1
    # Missing altogether: the same answer (no existence leak), nothing to audit.
    assert client.get(f"{PLACES}/{far.pk + 1000}").status_code == 404


def test_people_without_inventory_roles_get_404_audited(make_user: Callable[..., User], north: Location,
                                                        api_as: Api) -> None:
    biller = make_user(Role.BILLER, locations=[north], username="biller")
    room = place(north)
    client = api_as(biller)
    for path in (PLACES, f"{PLACES}/{room.pk}"):
        before = denials(biller)
        assert client.get(path).status_code == 404, path
        assert denials(biller) == before + 1


def test_a_manager_adds_changes_and_retires_a_place(manager: User, north: Location, api_as: Api) -> None:
    client = api_as(manager)
    created = client.post(PLACES, {"location_id": north.pk, "name": "Exam room 2 cabinet", "kind": "exam_room"})
    assert created.status_code == 201, created.content
    made = StoragePlace.objects.get(pk=created.json()["id"])
    assert (made.location, made.name, made.kind, made.is_active) == (north, "Exam room 2 cabinet", "exam_room", True)

    renamed = client.patch(f"{PLACES}/{made.pk}", {"name": "Vaccine refrigerator", "kind": "supply_room"})
    assert renamed.status_code == 200, renamed.content
    assert (renamed.json()["name"], renamed.json()["kind"]) == ("Vaccine refrigerator", "supply_room")
    retired = client.patch(f"{PLACES}/{made.pk}", {"is_active": False})
    assert retired.json()["is_active"] is False
    made.refresh_from_db()
    assert (made.name, made.kind, made.is_active) == ("Vaccine refrigerator", "supply_room", False)
    assert AuditEvent.objects.filter(actor=manager, action="inventory.place_saved").count() == 3


def test_a_place_holding_stock_neither_retires_nor_moves(make_user: Callable[..., User], north: Location,
                                                          south: Location, api_as: Api) -> None:
    everywhere = make_user(Role.OFFICE_MANAGER, Tier.MID, username="om-all")
    room = place(north)
    put(ItemFactory(), room, 5)
    client = api_as(everywhere)
    before = snapshot()
    assert "is_active" in errors_on(client.patch(f"{PLACES}/{room.pk}", {"is_active": False}))
    assert "location" in errors_on(client.patch(f"{PLACES}/{room.pk}", {"location_id": south.pk}))
    assert snapshot() == before


def test_bad_input_is_a_clear_422_and_writes_nothing(manager: User, north: Location, south: Location,
                                                      api_as: Api) -> None:
    room = place(north, "Supply room")
    client = api_as(manager)
    before = snapshot()
    good = {"location_id": north.pk, "name": "Closet"}
    for body, field in (({"name": "Supply room"}, "__all__"), ({"location_id": 999_999}, "location_id"),
                        ({"kind": "garage"}, "kind"), ({"name": ""}, "name"), ({"name": "a\x00b"}, "name"),
                        ({"name": "x" * 81}, "name"), ({"location_id": 2**40}, "location_id")):
        fields = errors_on(client.post(PLACES, {**good, **body}))
        assert field in fields or field == "__all__", (body, fields)
    for patch, field in (({"name": None}, "name"), ({"kind": "garage"}, "kind"), ({"is_active": None}, "is_active"),
                         ({"location_id": 999_999}, "location_id")):
        assert field in errors_on(client.patch(f"{PLACES}/{room.pk}", patch)), patch
    assert snapshot() == before


def test_someone_who_only_uses_stock_cannot_change_places_and_nothing_changes(
        nurse: User, manager: User, north: Location, south: Location, api_as: Api) -> None:
    room = place(north)
    before = snapshot()
    client = api_as(nurse)
    for method, path, body in (("post", PLACES, {"location_id": north.pk, "name": "Closet"}),
                               ("patch", f"{PLACES}/{room.pk}", {"name": "Renamed"})):
        denied = denials(nurse)
        assert getattr(client, method)(path, body).status_code == 404, path
        assert denials(nurse) == denied + 1
    # A manager at North only: South is no location of theirs to add to, nor to move a place to.
    managing = api_as(manager)
    assert "location_id" in errors_on(managing.post(PLACES, {"location_id": south.pk, "name": "Closet"}))
    assert "location_id" in errors_on(managing.patch(f"{PLACES}/{room.pk}", {"location_id": south.pk}))
    assert snapshot() == before


def test_the_list_costs_the_same_queries_whatever_the_rows(manager: User, north: Location, api_as: Api) -> None:
    client = api_as(manager)
    client.get(f"{API}/me")
    for number in range(2):
        place(north, f"Room {number}")
    few = list_queries(client, PLACES)
    for number in range(2, 30):
        place(north, f"Room {number}")
    assert list_queries(client, PLACES) == few
    assert client.get(PLACES).json()["count"] == 30
