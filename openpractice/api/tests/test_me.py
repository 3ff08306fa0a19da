"""GET /me: any authenticated caller learns their roles, scope and permissions."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from openpractice.accounts.models import User
from openpractice.accounts.roles import Perm, Role, Tier, permissions_for
from openpractice.accounts.tests.factories import give_role
from openpractice.core.models import Location

from .conftest import API, TokenClient, user_without_roles

pytestmark = pytest.mark.django_db


def test_me_lists_roles_tiers_locations_and_permissions(
    north: Location, south: Location, make_user: Callable[..., User], api_as: Callable[[User], TokenClient]
) -> None:
    manager = make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north], username="olivia")
    give_role(manager, Role.FRONT_DESK, locations=[south])

    body = api_as(manager).get(f"{API}/me").json()

    assert body["username"] == "olivia"
    assert body["auth_method"] == "token"
    assert sorted((r["role"], r["tier"], r["location_ids"]) for r in body["roles"]) == [
        ("front_desk", "standard", [south.pk]),
        ("office_manager", "mid", [north.pk]),
    ]
    assert body["tiers"] == ["mid", "standard"]
    assert body["all_locations"] is False
    assert [loc["code"] for loc in body["locations"]] == ["north", "south"]
    expected = permissions_for(Role.OFFICE_MANAGER, Tier.MID) | permissions_for(Role.FRONT_DESK, Tier.STANDARD)
    assert body["permissions"] == sorted(expected)


def test_me_for_an_all_locations_role_lists_every_location(
    north: Location, south: Location, auditor: User, api_as: Callable[[User], TokenClient]
) -> None:
    body = api_as(auditor).get(f"{API}/me").json()
    assert body["all_locations"] is True
    assert {loc["code"] for loc in body["locations"]} == {"north", "south"}
    assert Perm.AUDIT_VIEW in body["permissions"]


def test_me_works_for_a_user_without_any_role(north: Location, api_as: Callable[[User], TokenClient]) -> None:
    body = api_as(user_without_roles()).get(f"{API}/me").json()
    assert body["roles"] == []
    assert body["locations"] == []
    assert body["permissions"] == []
