"""GET /users, GET /users/{id} (users.view) and POST /users/{id}/deactivate (users.manage)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.models import ApiToken, User
from openpractice.accounts.roles import Perm, Role, Tier, permissions_for, role_tier_pairs
from openpractice.accounts.services.tokens import token_create
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location

from .conftest import API, TokenClient, user_without_roles

pytestmark = pytest.mark.django_db


def _ids(pair: tuple[str, str]) -> str:
    return f"{pair[0]}-{pair[1]}"


@pytest.fixture
def colleague(make_user: Callable[..., User]) -> User:
    """Someone every user manager may manage: office manager (entry) holds nothing a practice manager lacks."""
    return make_user(Role.OFFICE_MANAGER, Tier.ENTRY, username="colleague", first_name="Casey", last_name="Cole")


@pytest.mark.parametrize("role_tier", role_tier_pairs(), ids=_ids)
def test_listing_and_reading_users_follows_the_permission_table(
    colleague: User, make_user: Callable[..., User], api_as: Callable[[User], TokenClient],
    role_tier: tuple[str, str],
) -> None:
    user = make_user(*role_tier)
    client = api_as(user)

    listing = client.get(f"{API}/users")
    detail = client.get(f"{API}/users/{colleague.pk}")

    if Perm.USERS_VIEW in permissions_for(*role_tier):
        assert listing.status_code == 200
        assert {row["username"] for row in listing.json()["items"]} == {"colleague", user.username}
        assert detail.status_code == 200
        body = detail.json()
        assert body["username"] == "colleague"
        assert body["status"] == "active"
        assert body["roles"] == [{"role": "office_manager", "role_name": "Office manager", "tier": "entry",
                                  "tier_name": "Entry level", "all_locations": True, "locations": []}]
    else:
        assert listing.status_code == detail.status_code == 404
        assert listing.json()["code"] == "not_found"
        assert AuditEvent.objects.filter(actor=user, outcome="denied").count() == 2


@pytest.mark.parametrize("role_tier", role_tier_pairs(), ids=_ids)
def test_deactivating_a_user_follows_the_permission_table(
    colleague: User, make_user: Callable[..., User], api_as: Callable[[User], TokenClient],
    role_tier: tuple[str, str],
) -> None:
    user = make_user(*role_tier)
    _token, colleague_secret = token_create(actor=colleague, user=colleague, name="script")

    response = api_as(user).post(f"{API}/users/{colleague.pk}/deactivate")

    colleague.refresh_from_db()
    if Perm.USERS_MANAGE in permissions_for(*role_tier):
        assert response.status_code == 200
        assert response.json()["status"] == "deactivated"
        assert response.json()["is_active"] is False
        assert colleague.is_active is False
        assert TokenClient(colleague_secret).get(f"{API}/me").status_code == 401
        assert AuditEvent.objects.filter(actor=user, action="user.deactivated", outcome="allowed").exists()
    else:
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert colleague.is_active is True
        assert colleague.deactivated_at is None
        assert not ApiToken.objects.filter(user=colleague, revoked_at__isnull=False).exists()
        assert AuditEvent.objects.filter(actor=user, outcome="denied").exists()
        assert not AuditEvent.objects.filter(action="user.deactivated").exists()


def test_a_practice_manager_cannot_deactivate_someone_with_more_access(
    administrator: User, make_user: Callable[..., User], api_as: Callable[[User], TokenClient]
) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED)

    response = api_as(manager).post(f"{API}/users/{administrator.pk}/deactivate")

    assert response.status_code == 404
    administrator.refresh_from_db()
    assert administrator.is_active is True
    assert AuditEvent.objects.filter(actor=manager, outcome="denied").exists()


def test_a_user_manager_of_one_location_cannot_reach_people_of_another(
    north: Location, south: Location, make_user: Callable[..., User], api_as: Callable[[User], TokenClient]
) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north])
    southerner = make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[south])
    client = api_as(manager)

    assert client.get(f"{API}/users/{southerner.pk}").status_code == 404
    response = client.post(f"{API}/users/{southerner.pk}/deactivate")

    assert response.status_code == 404
    southerner.refresh_from_db()
    assert southerner.is_active is True
    denials = AuditEvent.objects.filter(actor=manager, outcome="denied")
    assert denials.count() == 2
    assert {event.object_id for event in denials} == {str(southerner.pk)}


def test_deactivating_yourself_answers_422_and_changes_nothing(
    administrator: User, api_as: Callable[[User], TokenClient]
) -> None:
    response = api_as(administrator).post(f"{API}/users/{administrator.pk}/deactivate")
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    administrator.refresh_from_db()
    assert administrator.is_active is True


def test_deactivating_twice_changes_nothing_the_second_time(
    administrator: User, colleague: User, api_as: Callable[[User], TokenClient]
) -> None:
    client = api_as(administrator)
    assert client.post(f"{API}/users/{colleague.pk}/deactivate").status_code == 200
    assert client.post(f"{API}/users/{colleague.pk}/deactivate").status_code == 200
    assert AuditEvent.objects.filter(action="user.deactivated").count() == 1


def test_a_user_that_does_not_exist_answers_404(administrator: User, api_as: Callable[[User], TokenClient]) -> None:
    client = api_as(administrator)
    assert client.get(f"{API}/users/999999").json() == {"code": "not_found", "message": "Not found."}
    assert client.post(f"{API}/users/999999/deactivate").status_code == 404


def test_deactivation_needs_post(administrator: User, colleague: User, api_as: Callable[[User], TokenClient]) -> None:
    response = api_as(administrator).get(f"{API}/users/{colleague.pk}/deactivate")
    assert response.status_code == 405
    colleague.refresh_from_db()
    assert colleague.is_active is True


def _queries_for_list(client: TokenClient, make_user: Callable[..., User], north: Location, rows: int) -> int:
    existing = User.objects.count()
    for _ in range(rows - existing):
        make_user(Role.FRONT_DESK, locations=[north])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{API}/users", {"limit": 200})
    assert response.json()["count"] == rows
    return len(queries.captured_queries)


def test_the_user_list_query_count_does_not_grow_with_rows(
    north: Location, administrator: User, make_user: Callable[..., User], api_as: Callable[[User], TokenClient]
) -> None:
    client = api_as(administrator)
    client.get(f"{API}/me")  # the token's last-used time is now fresh: no UPDATE in the measured calls
    assert _queries_for_list(client, make_user, north, 3) == _queries_for_list(client, make_user, north, 30)


def test_a_user_without_a_role_cannot_list_users(api_as: Callable[[User], TokenClient]) -> None:
    nobody = user_without_roles()
    assert api_as(nobody).get(f"{API}/users").status_code == 404
    assert AuditEvent.objects.filter(actor=nobody, outcome="denied").exists()
