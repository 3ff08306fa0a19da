"""GET /locations and /locations/{id}: only the locations where the caller holds practice.view."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.models import User
from openpractice.accounts.roles import Perm, Role, Tier, permissions_for, role_tier_pairs
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location, Practice
from openpractice.core.tests.factories import LocationFactory, OpeningHoursFactory

from .conftest import API, TokenClient, user_without_roles

pytestmark = pytest.mark.django_db


def _ids(pair: tuple[str, str]) -> str:
    return f"{pair[0]}-{pair[1]}"


@pytest.mark.parametrize("role_tier", role_tier_pairs(), ids=_ids)
def test_listing_locations_follows_the_permission_table(
    north: Location, south: Location, make_user: Callable[..., User], api_as: Callable[[User], TokenClient],
    role_tier: tuple[str, str],
) -> None:
    user = make_user(*role_tier, locations=[north])
    client = api_as(user)

    listing = client.get(f"{API}/locations")
    detail = client.get(f"{API}/locations/{north.pk}")

    if Perm.PRACTICE_VIEW in permissions_for(*role_tier):
        assert listing.status_code == 200
        assert [row["code"] for row in listing.json()["items"]] == ["north"]
        assert listing.json()["count"] == 1
        assert detail.status_code == 200
        assert detail.json()["code"] == "north"
    else:
        assert listing.status_code == detail.status_code == 404
        assert AuditEvent.objects.filter(actor=user, outcome="denied").count() == 2


def test_a_user_without_a_role_sees_no_locations(north: Location, api_as: Callable[[User], TokenClient]) -> None:
    nobody = user_without_roles()
    client = api_as(nobody)
    assert client.get(f"{API}/locations").status_code == 404
    assert client.get(f"{API}/locations/{north.pk}").status_code == 404
    assert AuditEvent.objects.filter(actor=nobody, outcome="denied").count() == 2


def test_a_location_out_of_scope_answers_404_and_the_denial_is_audited(
    north: Location, south: Location, make_user: Callable[..., User], api_as: Callable[[User], TokenClient]
) -> None:
    clerk = make_user(Role.FRONT_DESK, locations=[north])

    response = api_as(clerk).get(f"{API}/locations/{south.pk}")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Not found."}
    denial = AuditEvent.objects.get(actor=clerk, outcome="denied")
    assert denial.object_type == "core.location"
    assert denial.object_id == str(south.pk)


def test_a_location_that_does_not_exist_answers_the_same_404_without_an_audit(
    north: Location, make_user: Callable[..., User], api_as: Callable[[User], TokenClient]
) -> None:
    clerk = make_user(Role.FRONT_DESK, locations=[north])
    response = api_as(clerk).get(f"{API}/locations/999999")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Not found."}
    assert not AuditEvent.objects.filter(outcome="denied").exists()


def test_a_user_with_all_locations_sees_every_location(
    north: Location, south: Location, auditor: User, api_as: Callable[[User], TokenClient]
) -> None:
    body = api_as(auditor).get(f"{API}/locations").json()
    assert body["count"] == 2
    assert [row["name"] for row in body["items"]] == ["North Clinic", "South Clinic"]


def test_a_location_comes_with_its_address_and_opening_hours(
    north: Location, auditor: User, api_as: Callable[[User], TokenClient]
) -> None:
    OpeningHoursFactory(location=north, weekday=1, opens_at=dt.time(13), closes_at=dt.time(17))
    OpeningHoursFactory(location=north, weekday=1, opens_at=dt.time(8), closes_at=dt.time(12))
    OpeningHoursFactory(location=north, weekday=0, opens_at=dt.time(8), closes_at=dt.time(17))

    body = api_as(auditor).get(f"{API}/locations/{north.pk}").json()

    assert body["address"] == {"line1": north.address_line1, "line2": "", "city": "Raleigh", "state": "NC",
                               "postal_code": "27603"}
    assert body["place_of_service"] == "11"
    assert body["place_of_service_name"]
    assert [(h["weekday_name"], h["opens_at"], h["closes_at"]) for h in body["opening_hours"]] == [
        ("Monday", "08:00:00", "17:00:00"),
        ("Tuesday", "08:00:00", "12:00:00"),
        ("Tuesday", "13:00:00", "17:00:00"),
    ]


def test_the_location_list_pages_with_limit_and_offset(
    practice: Practice, auditor: User, api_as: Callable[[User], TokenClient]
) -> None:
    for number in range(5):
        LocationFactory(practice=practice, name=f"Site {number}", code=f"site-{number}")
    body = api_as(auditor).get(f"{API}/locations", {"limit": 2, "offset": 2}).json()
    assert body["count"] == 5
    assert [row["name"] for row in body["items"]] == ["Site 2", "Site 3"]


def _queries_for_list(practice: Practice, client: TokenClient, rows: int) -> int:
    Location.objects.all().delete()
    for number in range(rows):
        location = LocationFactory(practice=practice, name=f"Site {number:02}", code=f"site-{number}")
        OpeningHoursFactory(location=location, weekday=0)
        OpeningHoursFactory(location=location, weekday=1)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{API}/locations", {"limit": 200})
    assert response.json()["count"] == rows
    return len(queries.captured_queries)


def test_the_location_list_query_count_does_not_grow_with_rows(
    practice: Practice, make_user: Callable[..., User], api_as: Callable[[User], TokenClient]
) -> None:
    client = api_as(make_user(Role.PRACTICE_MANAGER, Tier.SENIOR))
    client.get(f"{API}/me")  # the token's last-used time is now fresh: no UPDATE in the measured calls
    assert _queries_for_list(practice, client, 3) == _queries_for_list(practice, client, 30)
