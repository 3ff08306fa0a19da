"""The people pages: every route against every role and tier, scope, forms, the list's query count."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.models import Invitation, RoleAssignment, User
from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm, Role, Tier, role_tier_pairs
from openpractice.accounts.selectors import user_is_manageable
from openpractice.accounts.services.users import RoleSpec, user_deactivate, user_invite
from openpractice.accounts.tests.factories import sign_in
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    target: str  # which fixture user the URL points at: "", "staff", "pending", "gone"
    permission: str

    def url(self, people: dict[str, User]) -> str:
        pk = people[self.target].pk if self.target else None
        return {
            "user_list": "/accounts/users/",
            "user_invite": "/accounts/users/invite/",
            "user_detail": f"/accounts/users/{pk}/",
            "user_edit": f"/accounts/users/{pk}/edit/",
            "user_roles": f"/accounts/users/{pk}/roles/",
            "user_deactivate": f"/accounts/users/{pk}/deactivate/",
            "user_reactivate": f"/accounts/users/{pk}/reactivate/",
            "invitation_resend": f"/accounts/users/{pk}/invitation/resend/",
            "invitation_revoke": f"/accounts/users/{pk}/invitation/revoke/",
        }[self.name]


ROUTES = [
    Route("user_list", "get", "", Perm.USERS_VIEW),
    Route("user_detail", "get", "staff", Perm.USERS_VIEW),
    Route("user_invite", "get", "", Perm.USERS_MANAGE),
    Route("user_invite", "post", "", Perm.USERS_MANAGE),
    Route("user_edit", "get", "staff", Perm.USERS_MANAGE),
    Route("user_edit", "post", "staff", Perm.USERS_MANAGE),
    Route("user_roles", "get", "staff", Perm.USERS_MANAGE),
    Route("user_roles", "post", "staff", Perm.USERS_MANAGE),
    Route("user_deactivate", "post", "staff", Perm.USERS_MANAGE),
    Route("user_reactivate", "post", "gone", Perm.USERS_MANAGE),
    Route("invitation_resend", "post", "pending", Perm.USERS_MANAGE),
    Route("invitation_revoke", "post", "pending", Perm.USERS_MANAGE),
]


@pytest.fixture
def people(administrator: User, make_user: Callable[..., User], north: Location) -> dict[str, User]:
    """Targets every manager may manage: office managers (entry) at North — active, invited, deactivated."""
    staff = make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north], username="staff", email="staff@example.test")
    gone = make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north], username="gone")
    user_deactivate(actor=administrator, user=gone)
    pending = user_invite(actor=administrator, email="pending@example.test", username="pending", first_name="Pat",
                          last_name="Ending", roles=[RoleSpec(role=Role.OFFICE_MANAGER, tier=Tier.ENTRY,
                                                              location_ids={north.pk})])
    return {"staff": staff, "gone": gone, "pending": pending}


def post_data(route: Route, north: Location) -> dict[str, Any]:
    grant = f"{Role.OFFICE_MANAGER}:{Tier.MID}"
    if route.name == "user_invite":
        return {"first_name": "New", "last_name": "Person", "email": "new@example.test", "username": "newperson",
                "roles-TOTAL_FORMS": "1", "roles-INITIAL_FORMS": "0", "roles-0-grant": grant,
                "roles-0-locations": [str(north.pk)]}
    if route.name == "user_edit":
        return {"first_name": "Changed", "last_name": "Name", "email": "changed@example.test", "job_title": "X"}
    if route.name == "user_roles":
        return {"roles-TOTAL_FORMS": "1", "roles-INITIAL_FORMS": "1", "roles-0-grant": grant,
                "roles-0-locations": [str(north.pk)]}
    return {}


def snapshot() -> list[Any]:
    """Everything a people route could change."""
    users = list(User.objects.order_by("pk").values_list("pk", "username", "email", "first_name", "is_active",
                                                          "deactivated_at", "password"))
    roles = list(RoleAssignment.objects.order_by("pk").values_list("user_id", "role", "tier", "all_locations",
                                                                   "locations"))
    invitations = list(Invitation.objects.order_by("pk").values_list("pk", "token_hash", "revoked_at",
                                                                     "accepted_at"))
    return [users, roles, invitations]


def _request(client: Client, route: Route, url: str, north: Location) -> Any:
    if route.method == "get":
        return client.get(url)
    return client.post(url, post_data(route, north))


@pytest.mark.parametrize(("role", "tier"), role_tier_pairs())
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method}-{r.name}")
def test_every_people_route_answers_each_role_and_tier_as_the_permission_table_says(
    client: Client, make_user: Callable[..., User], people: dict[str, User], north: Location,
    route: Route, role: str, tier: str,
) -> None:
    actor = make_user(role, tier)
    allowed = can(actor, route.permission) and (
        route.permission == Perm.USERS_VIEW or not route.target
        or user_is_manageable(actor=actor, user=people[route.target])
    )
    sign_in(client, actor)
    before = snapshot()
    response = _request(client, route, route.url(people), north)
    denials = AuditEvent.objects.filter(actor=actor, outcome="denied").count()
    if allowed:
        assert response.status_code in (200, 302), response.content[:500]
        assert denials == 0
    else:
        assert response.status_code == 404
        assert snapshot() == before
        assert denials == 1


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method}-{r.name}")
def test_every_people_route_sends_an_anonymous_visitor_to_sign_in(
    client: Client, people: dict[str, User], north: Location, route: Route
) -> None:
    before = snapshot()
    response = _request(client, route, route.url(people), north)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert snapshot() == before


# --- scope -------------------------------------------------------------------------------------------------


def test_a_location_scoped_viewer_sees_only_people_who_share_a_location(
    client: Client, make_user: Callable[..., User], north: Location, south: Location
) -> None:
    viewer = make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north], username="viewer")
    make_user(Role.FRONT_DESK, locations=[north], username="northdesk")
    southdesk = make_user(Role.FRONT_DESK, locations=[south], username="southdesk")
    make_user(Role.BILLER, username="everywhere")
    sign_in(client, viewer)
    page = client.get("/accounts/users/")
    assert page.status_code == 200
    names = {person.username for person in page.context["table"].page.object_list}
    assert names == {"viewer", "northdesk", "everywhere"}
    before = snapshot()
    assert client.get(f"/accounts/users/{southdesk.pk}/").status_code == 404
    assert snapshot() == before
    assert AuditEvent.objects.filter(actor=viewer, outcome="denied", object_id=str(southdesk.pk)).count() == 1


def test_a_practice_manager_cannot_open_an_administrators_roles(
    client: Client, make_user: Callable[..., User], administrator: User
) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)
    sign_in(client, manager)
    detail = client.get(f"/accounts/users/{administrator.pk}/")
    assert detail.status_code == 200
    assert b"Edit roles" not in detail.content
    assert b"Deactivate" not in detail.content
    before = snapshot()
    assert client.get(f"/accounts/users/{administrator.pk}/roles/").status_code == 404
    assert client.post(f"/accounts/users/{administrator.pk}/deactivate/").status_code == 404
    assert snapshot() == before
    assert AuditEvent.objects.filter(actor=manager, outcome="denied").count() == 2


# --- list page ---------------------------------------------------------------------------------------------


def test_the_people_list_searches_sorts_and_answers_htmx_with_the_table_only(
    client: Client, administrator: User, make_user: Callable[..., User], north: Location
) -> None:
    make_user(Role.FRONT_DESK, locations=[north], username="zed", first_name="Zed", last_name="Adams")
    make_user(Role.BILLER, username="amy", first_name="Amy", last_name="Young", job_title="Coder")
    sign_in(client, administrator)
    found = client.get("/accounts/users/", {"q": "coder"})
    assert [p.username for p in found.context["table"].page.object_list] == ["amy"]
    by_username = client.get("/accounts/users/", {"sort": "-username"})
    usernames = [p.username for p in by_username.context["table"].page.object_list]
    assert usernames == sorted(usernames, reverse=True)
    unknown_sort = client.get("/accounts/users/", {"sort": "password"})
    assert unknown_sort.status_code == 200
    assert unknown_sort.context["table"].sort == "name"
    partial = client.get("/accounts/users/", {"q": "zed"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="user-table")
    assert partial.status_code == 200
    assert b"<html" not in partial.content
    assert b"Zed Adams" in partial.content


def test_the_people_list_filters_by_status(
    client: Client, administrator: User, people: dict[str, User]
) -> None:
    sign_in(client, administrator)
    for status, expected in [("invited", {"pending"}), ("deactivated", {"gone"})]:
        page = client.get("/accounts/users/", {"status": status})
        assert {p.username for p in page.context["table"].page.object_list} == expected


def _list_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/accounts/users/", {"sort": "username"})
    assert response.status_code == 200
    return len(queries)


def test_the_people_list_costs_the_same_queries_for_5_or_30_people(
    client: Client, administrator: User, make_user: Callable[..., User], north: Location, south: Location
) -> None:
    def add(count: int) -> None:
        for _ in range(count):
            person = make_user(Role.FRONT_DESK, locations=[north, south])
            RoleAssignment.objects.create(user=person, role=Role.HR, all_locations=True)

    add(4)
    sign_in(client, administrator)
    client.get("/accounts/users/")  # warm the per-process caches (practice settings, place-of-service codes)
    few = _list_queries(client)
    add(25)
    many = _list_queries(client)
    assert User.objects.count() == 30
    assert few == many


# --- forms -------------------------------------------------------------------------------------------------


def test_the_invite_form_offers_only_the_roles_the_actor_may_grant(
    client: Client, make_user: Callable[..., User], north: Location
) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED)
    sign_in(client, manager)
    page = client.get("/accounts/users/invite/")
    assert b'value="office_manager:mid"' in page.content
    assert b'value="biller:standard"' not in page.content
    assert b'value="administrator:standard"' not in page.content
    forged = client.post("/accounts/users/invite/", {
        "first_name": "A", "last_name": "B", "email": "ab@example.test", "username": "ab",
        "roles-TOTAL_FORMS": "1", "roles-INITIAL_FORMS": "0", "roles-0-grant": "administrator:standard",
        "roles-0-all_locations": "on",
    })
    assert forged.status_code == 400
    assert not User.objects.filter(username="ab").exists()


def test_the_invite_form_explains_a_role_row_without_locations(
    client: Client, administrator: User, north: Location
) -> None:
    sign_in(client, administrator)
    response = client.post("/accounts/users/invite/", {
        "first_name": "A", "last_name": "B", "email": "ab@example.test", "username": "ab",
        "roles-TOTAL_FORMS": "2", "roles-INITIAL_FORMS": "0", "roles-0-grant": "front_desk:standard",
        "roles-1-grant": "",
    })
    assert response.status_code == 400
    assert b"Choose at least one location for this role." in response.content
    assert not User.objects.filter(username="ab").exists()


def test_the_invite_form_reports_a_taken_email_on_the_field(
    client: Client, administrator: User, north: Location, make_user: Callable[..., User]
) -> None:
    make_user(Role.HR, email="taken@example.test")
    sign_in(client, administrator)
    response = client.post("/accounts/users/invite/", {
        "first_name": "A", "last_name": "B", "email": "taken@example.test", "username": "ab",
        "roles-TOTAL_FORMS": "1", "roles-INITIAL_FORMS": "0", "roles-0-grant": "hr:standard",
        "roles-0-all_locations": "on",
    })
    assert response.status_code == 400
    assert "email" in response.context["form"].errors


def test_editing_roles_through_the_page_replaces_them_and_audits_the_change(
    client: Client, administrator: User, make_user: Callable[..., User], north: Location, south: Location
) -> None:
    person = make_user(Role.FRONT_DESK, locations=[north])
    sign_in(client, administrator)
    page = client.get(f"/accounts/users/{person.pk}/roles/")
    assert page.status_code == 200
    assert b'value="front_desk:standard" selected' in page.content
    response = client.post(f"/accounts/users/{person.pk}/roles/", {
        "roles-TOTAL_FORMS": "2", "roles-INITIAL_FORMS": "1",
        "roles-0-grant": "front_desk:standard", "roles-0-locations": [str(north.pk)], "roles-0-DELETE": "on",
        "roles-1-grant": "office_manager:experienced", "roles-1-locations": [str(north.pk), str(south.pk)],
    })
    assert response.status_code == 302
    assert {(a.role, a.tier) for a in RoleAssignment.objects.filter(user=person)} == {
        (Role.OFFICE_MANAGER, Tier.EXPERIENCED)
    }
    event = AuditEvent.objects.get(action="user.roles_changed", object_id=str(person.pk))
    assert set(event.changed_field_list) == {"roles.front_desk", "roles.office_manager"}


def test_an_administrator_cannot_change_their_own_roles_through_the_page(
    client: Client, administrator: User
) -> None:
    sign_in(client, administrator)
    assert client.get(f"/accounts/users/{administrator.pk}/roles/").status_code == 404
    response = client.post(f"/accounts/users/{administrator.pk}/roles/", {
        "roles-TOTAL_FORMS": "1", "roles-INITIAL_FORMS": "0", "roles-0-grant": "hr:standard",
        "roles-0-all_locations": "on",
    })
    assert response.status_code == 404
    assert list(RoleAssignment.objects.filter(user=administrator).values_list("role", flat=True)) == [
        Role.ADMINISTRATOR]
    assert AuditEvent.objects.filter(actor=administrator, outcome="denied",
                                     object_id=str(administrator.pk)).count() == 2
    detail = client.get(f"/accounts/users/{administrator.pk}/")
    assert f"/accounts/users/{administrator.pk}/roles/".encode() not in detail.content


def test_deactivating_from_the_page_signs_the_person_out_at_once(
    client: Client, administrator: User, make_user: Callable[..., User]
) -> None:
    person = make_user(Role.HR)
    their_browser = sign_in(Client(), person)
    assert their_browser.get("/accounts/users/").status_code == 200
    sign_in(client, administrator)
    detail = client.get(f"/accounts/users/{person.pk}/")
    assert b"data-confirm" in detail.content
    response = client.post(f"/accounts/users/{person.pk}/deactivate/")
    assert response.status_code == 302
    next_request = their_browser.get("/accounts/users/")
    assert next_request.status_code == 302
    assert next_request["Location"].startswith("/accounts/login/")
    person.refresh_from_db()
    assert not person.is_active


def test_the_person_page_shows_roles_sessions_and_invitation(
    client: Client, administrator: User, people: dict[str, User]
) -> None:
    sign_in(client, administrator)
    page = client.get(f"/accounts/users/{people['pending'].pk}/")
    assert page.status_code == 200
    assert b"Office manager" in page.content
    assert b"Entry level" in page.content
    assert b"waiting" in page.content
    assert b"Withdraw invitation" in page.content
    assert page.context["detail"].open_sessions == 0
    mine = client.get(f"/accounts/users/{administrator.pk}/")
    assert mine.context["detail"].is_self
    assert b"Deactivate" not in mine.content


def test_people_appear_in_the_menu_for_those_who_may_view_them(
    client: Client, make_user: Callable[..., User]
) -> None:
    sign_in(client, make_user(Role.HR))
    assert b'href="/accounts/users/"' in client.get("/accounts/profile/").content
    other = sign_in(Client(), make_user(Role.FRONT_DESK))
    assert b'href="/accounts/users/"' not in other.get("/accounts/profile/").content


def test_a_role_row_with_locations_but_no_role_is_not_silently_dropped(
    client: Client, administrator: User, north: Location
) -> None:
    sign_in(client, administrator)
    response = client.post("/accounts/users/invite/", {
        "first_name": "A", "last_name": "B", "email": "ab@example.test", "username": "ab",
        "roles-TOTAL_FORMS": "2", "roles-INITIAL_FORMS": "0", "roles-0-grant": "hr:standard",
        "roles-0-all_locations": "on", "roles-1-grant": "", "roles-1-locations": [str(north.pk)],
    })
    assert response.status_code == 400
    assert b"Choose a role for these locations" in response.content
    assert not User.objects.filter(username="ab").exists()
