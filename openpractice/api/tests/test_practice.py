"""GET /practice for every role that may see it; PATCH /practice only for those who manage it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from openpractice.accounts.models import User
from openpractice.accounts.roles import Perm, permissions_for, role_tier_pairs
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location, Practice

from .conftest import API, TokenClient, user_without_roles

pytestmark = pytest.mark.django_db

ROLE_TIERS = role_tier_pairs()


def _ids(pair: tuple[str, str]) -> str:
    return f"{pair[0]}-{pair[1]}"


@pytest.mark.parametrize("role_tier", ROLE_TIERS, ids=_ids)
def test_reading_the_practice_follows_the_permission_table(
    practice: Practice, make_user: Callable[..., User], api_as: Callable[[User], TokenClient],
    role_tier: tuple[str, str],
) -> None:
    user = make_user(*role_tier)
    response = api_as(user).get(f"{API}/practice")

    if Perm.PRACTICE_VIEW in permissions_for(*role_tier):
        assert response.status_code == 200
        body = response.json()
        assert body["name"] == practice.name
        assert body["ein"] == practice.ein
        assert body["address"]["city"] == practice.city
        assert body["kind_name"] == "Medical group"
    else:
        assert response.status_code == 404
        assert AuditEvent.objects.filter(actor=user, outcome="denied").exists()


def test_a_user_without_any_role_cannot_read_the_practice(
    practice: Practice, api_as: Callable[[User], TokenClient]
) -> None:
    nobody = user_without_roles()
    response = api_as(nobody).get(f"{API}/practice")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Not found."}
    denial = AuditEvent.objects.get(actor=nobody, outcome="denied")
    assert Perm.PRACTICE_VIEW in denial.reason


@pytest.mark.parametrize("role_tier", ROLE_TIERS, ids=_ids)
def test_changing_the_practice_follows_the_permission_table(
    practice: Practice, make_user: Callable[..., User], api_as: Callable[[User], TokenClient],
    role_tier: tuple[str, str],
) -> None:
    user = make_user(*role_tier)
    response = api_as(user).patch(f"{API}/practice", {"name": "Riverbend Health", "idle_timeout_minutes": 20})

    practice.refresh_from_db()
    if Perm.PRACTICE_MANAGE in permissions_for(*role_tier):
        assert response.status_code == 200
        assert response.json()["name"] == "Riverbend Health"
        assert (practice.name, practice.idle_timeout_minutes) == ("Riverbend Health", 20)
        event = AuditEvent.objects.get(action="practice.updated")
        assert set(event.changed_field_list) == {"name", "idle_timeout_minutes"}
    else:
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert (practice.name, practice.idle_timeout_minutes) == ("Riverbend Family Medicine", 15)
        assert AuditEvent.objects.filter(actor=user, outcome="denied").exists()
        assert not AuditEvent.objects.filter(action="practice.updated").exists()


def test_a_manager_of_one_location_cannot_change_the_whole_practice(
    practice: Practice, north: Location, make_user: Callable[..., User], api_as: Callable[[User], TokenClient]
) -> None:
    admin_north = make_user("administrator", locations=[north])
    response = api_as(admin_north).patch(f"{API}/practice", {"name": "Only North"})

    assert response.status_code == 404
    practice.refresh_from_db()
    assert practice.name == "Riverbend Family Medicine"
    assert AuditEvent.objects.filter(actor=admin_north, outcome="denied").exists()


def test_only_the_fields_sent_are_changed(
    practice: Practice, administrator: User, api_as: Callable[[User], TokenClient]
) -> None:
    response = api_as(administrator).patch(f"{API}/practice", {"phone": "919-555-0199"})
    assert response.status_code == 200
    practice.refresh_from_db()
    assert practice.phone == "919-555-0199"
    assert practice.name == "Riverbend Family Medicine"
    assert AuditEvent.objects.get(action="practice.updated").changed_field_list == ["phone"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"ein": "123"}, "ein"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"kind": "spaceship"}, "kind"),
        ({"state": "ZZ"}, "state"),
        ({"idle_timeout_minutes": 500}, "idle_timeout_minutes"),
        ({"idle_timeout_minutes": "soon"}, "idle_timeout_minutes"),
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"singleton": False}, "singleton"),
    ],
)
def test_invalid_changes_answer_422_with_the_field_and_change_nothing(
    practice: Practice, administrator: User, api_as: Callable[[User], TokenClient],
    payload: dict[str, object], field: str,
) -> None:
    response = api_as(administrator).patch(f"{API}/practice", payload)

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["message"]
    assert any(field in [str(part) for part in error["loc"]] for error in body["errors"]), body
    practice.refresh_from_db()
    assert practice.name == "Riverbend Family Medicine"
    assert practice.ein == "56-1234567"
    assert not AuditEvent.objects.filter(action="practice.updated").exists()


def test_a_body_that_is_not_json_answers_400_json(
    practice: Practice, administrator: User, api_as: Callable[[User], TokenClient]
) -> None:
    client = api_as(administrator)
    response = client.client.patch(f"{API}/practice", "{not json", content_type="application/json",
                                   headers=client.headers)
    assert response.status_code == 400
    assert response.json() == {"code": "bad_request", "message": "Cannot parse request body"}
    practice.refresh_from_db()
    assert practice.name == "Riverbend Family Medicine"


def test_without_a_practice_the_endpoint_answers_404(
    db: None, make_user: Callable[..., User], api_as: Callable[[User], TokenClient]
) -> None:
    Practice.objects.all().delete()
    response = api_as(make_user("auditor")).get(f"{API}/practice")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
