"""The people services: invite, roles, profile, deactivate, reactivate — and who may do what."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.models import ApiToken, Invitation, RoleAssignment, User
from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm, Role, Tier
from openpractice.accounts.selectors import user_is_manageable
from openpractice.accounts.services.tokens import token_create
from openpractice.accounts.services.users import (
    RoleSpec,
    invitation_resend,
    invitation_revoke,
    user_deactivate,
    user_invite,
    user_reactivate,
    user_set_roles,
    user_update_profile,
)
from openpractice.accounts.tests.factories import give_role, sign_in
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location

pytestmark = pytest.mark.django_db


def invite(actor: User, *, roles: list[RoleSpec], username: str = "newbie", email: str = "newbie@example.test") -> User:
    return user_invite(actor=actor, email=email, username=username, first_name="Nia", last_name="Brooks",
                       job_title="Receptionist", roles=roles)


def front_desk_at(location: Location) -> RoleSpec:
    return RoleSpec(role=Role.FRONT_DESK, tier=Tier.STANDARD, location_ids={location.pk})


def denied(actor: User, action: str) -> int:
    return AuditEvent.objects.filter(actor=actor, action=action, outcome="denied").count()


# --- invite ------------------------------------------------------------------------------------------------


def test_an_invited_person_is_inactive_without_a_usable_password_and_holds_the_roles_given(
    administrator: User, north: Location, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        user = invite(administrator, roles=[front_desk_at(north)])
    assert not user.is_active
    assert not user.has_usable_password()
    assignment = RoleAssignment.objects.get(user=user)
    assert (assignment.role, assignment.tier, assignment.all_locations) == (Role.FRONT_DESK, Tier.STANDARD, False)
    assert list(assignment.locations.all()) == [north]
    event = AuditEvent.objects.get(action="user.invited")
    assert event.actor == administrator
    assert event.object_id == str(user.pk)
    assert "roles" in event.changed_field_list


def test_the_invitation_stores_only_a_hash_of_the_token_that_the_email_carries(
    administrator: User, north: Location, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        user = invite(administrator, roles=[front_desk_at(north)])
    invitation = Invitation.objects.get(user=user)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["newbie@example.test"]
    token = message.body.split("/accounts/invitation/")[1].split("/")[0]
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in invitation.token_hash
    days = (invitation.expires_at - invitation.created_at).days
    assert days in (settings.OPENPRACTICE_INVITATION_DAYS - 1, settings.OPENPRACTICE_INVITATION_DAYS)


def test_no_email_is_sent_when_the_invitation_is_rolled_back(
    administrator: User, north: Location, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        invite(administrator, roles=[front_desk_at(north)], username="bad name!")
    assert mail.outbox == []
    assert not User.objects.filter(email="newbie@example.test").exists()


def test_inviting_a_taken_email_or_username_names_the_field(administrator: User, north: Location) -> None:
    invite(administrator, roles=[front_desk_at(north)])
    with pytest.raises(ValidationError) as by_email:
        invite(administrator, roles=[front_desk_at(north)], username="other", email="NEWBIE@example.test")
    assert "email" in by_email.value.message_dict
    with pytest.raises(ValidationError) as by_username:
        invite(administrator, roles=[front_desk_at(north)], username="NewBie", email="other@example.test")
    assert "username" in by_username.value.message_dict
    assert User.objects.filter(username__iexact="newbie").count() == 1


@pytest.mark.parametrize(
    ("spec", "code"),
    [
        (RoleSpec(role=Role.PRACTICE_MANAGER, tier=Tier.STANDARD, all_locations=True), "tier"),
        (RoleSpec(role=Role.FRONT_DESK, tier=Tier.SENIOR, all_locations=True), "tier"),
        (RoleSpec(role="janitor", tier=Tier.STANDARD, all_locations=True), "role"),
        (RoleSpec(role=Role.FRONT_DESK, tier=Tier.STANDARD), "locations_missing"),
        (RoleSpec(role=Role.FRONT_DESK, tier=Tier.STANDARD, all_locations=True, location_ids={1}), "locations_both"),
        (RoleSpec(role=Role.FRONT_DESK, tier=Tier.STANDARD, location_ids={987654}), "locations_unknown"),
    ],
)
def test_a_role_that_does_not_fit_is_refused_with_a_clear_error(administrator: User, spec: RoleSpec, code: str) -> None:
    with pytest.raises(ValidationError) as error:
        invite(administrator, roles=[spec])
    assert code in [e.code for e in error.value.error_dict["roles"]]
    assert not User.objects.filter(username="newbie").exists()


def test_a_person_needs_at_least_one_role_and_holds_each_role_once(administrator: User, north: Location) -> None:
    with pytest.raises(ValidationError):
        invite(administrator, roles=[])
    with pytest.raises(ValidationError) as error:
        invite(administrator, roles=[front_desk_at(north), RoleSpec(role=Role.FRONT_DESK, all_locations=True)])
    assert "duplicate_role" in [e.code for e in error.value.error_dict["roles"]]


def test_someone_without_users_manage_cannot_invite_and_the_refusal_is_audited(
    make_user: Callable[..., User], north: Location
) -> None:
    hr = make_user(Role.HR)
    with pytest.raises(PermissionDenied):
        invite(hr, roles=[front_desk_at(north)])
    assert not User.objects.filter(username="newbie").exists()
    assert denied(hr, "user.invite") == 1


def test_a_practice_manager_cannot_grant_permissions_they_do_not_hold(
    make_user: Callable[..., User], north: Location
) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED)
    # A biller posts payments, which an advanced practice manager may not do.
    with pytest.raises(PermissionDenied):
        invite(manager, roles=[RoleSpec(role=Role.BILLER, all_locations=True)])
    with pytest.raises(PermissionDenied):
        invite(manager, roles=[RoleSpec(role=Role.PRACTICE_MANAGER, tier=Tier.SENIOR, all_locations=True)])
    assert not User.objects.filter(username="newbie").exists()
    assert denied(manager, "user.invite") == 2
    # Within their own permissions it works.
    user = invite(manager, roles=[RoleSpec(role=Role.OFFICE_MANAGER, tier=Tier.MID, location_ids={north.pk})])
    assert RoleAssignment.objects.filter(user=user, role=Role.OFFICE_MANAGER).exists()


def test_a_manager_of_one_location_grants_roles_only_there(
    make_user: Callable[..., User], north: Location, south: Location
) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north])
    om = RoleSpec(role=Role.OFFICE_MANAGER, tier=Tier.ENTRY, location_ids={south.pk})
    with pytest.raises(PermissionDenied):
        invite(manager, roles=[om])
    with pytest.raises(PermissionDenied):
        invite(manager, roles=[RoleSpec(role=Role.OFFICE_MANAGER, tier=Tier.ENTRY, all_locations=True)])
    assert not User.objects.filter(username="newbie").exists()
    invite(manager, roles=[RoleSpec(role=Role.OFFICE_MANAGER, tier=Tier.ENTRY, location_ids={north.pk})])


def test_resending_an_invitation_makes_the_old_link_stop_working(
    administrator: User, north: Location, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        user = invite(administrator, roles=[front_desk_at(north)])
    with django_capture_on_commit_callbacks(execute=True):
        invitation_resend(actor=administrator, user=user)
    first, second = Invitation.objects.filter(user=user).order_by("created_at", "pk")
    assert first.revoked_at is not None
    assert second.is_open
    assert len(mail.outbox) == 2
    assert mail.outbox[0].body != mail.outbox[1].body
    assert AuditEvent.objects.filter(action="invitation.resent", object_id=str(user.pk)).exists()


def test_revoking_an_invitation_closes_it_and_is_audited(administrator: User, north: Location) -> None:
    user = invite(administrator, roles=[front_desk_at(north)])
    invitation = Invitation.objects.get(user=user)
    invitation_revoke(actor=administrator, invitation=invitation)
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert not invitation.is_open
    assert AuditEvent.objects.filter(action="invitation.revoked", changed_fields="revoked_at").exists()


# --- roles -------------------------------------------------------------------------------------------------


def test_changing_roles_replaces_them_and_audits_the_changed_fields(
    administrator: User, make_user: Callable[..., User], north: Location, south: Location
) -> None:
    person = make_user(Role.FRONT_DESK, locations=[north])
    RoleAssignment.objects.create(user=person, role=Role.OFFICE_MANAGER, tier=Tier.ENTRY, all_locations=True)
    RoleAssignment.objects.create(user=person, role=Role.BILLER, tier=Tier.STANDARD, all_locations=True)
    user_set_roles(actor=administrator, user=person, roles=[
        RoleSpec(role=Role.FRONT_DESK, location_ids={north.pk, south.pk}),  # locations change
        RoleSpec(role=Role.OFFICE_MANAGER, tier=Tier.MID, all_locations=True),  # tier change
        RoleSpec(role=Role.HR, all_locations=True),  # added; biller removed
    ])
    held = {(a.role, a.tier) for a in RoleAssignment.objects.filter(user=person)}
    assert held == {(Role.FRONT_DESK, Tier.STANDARD), (Role.OFFICE_MANAGER, Tier.MID), (Role.HR, Tier.STANDARD)}
    assert set(RoleAssignment.objects.get(user=person, role=Role.FRONT_DESK).locations.all()) == {north, south}
    event = AuditEvent.objects.get(action="user.roles_changed")
    assert set(event.changed_field_list) == {
        "roles.front_desk.locations", "roles.office_manager.tier", "roles.hr", "roles.biller",
    }
    assert event.actor == administrator
    person = User.objects.get(pk=person.pk)
    assert can(person, Perm.WORKFORCE_PAYROLL)
    assert not can(person, Perm.BILLING_POST)


def test_saving_the_same_roles_changes_nothing_and_writes_no_audit_row(
    administrator: User, make_user: Callable[..., User], north: Location
) -> None:
    person = make_user(Role.FRONT_DESK, locations=[north])
    user_set_roles(actor=administrator, user=person, roles=[front_desk_at(north)])
    assert not AuditEvent.objects.filter(action="user.roles_changed").exists()


def test_nobody_changes_their_own_roles_not_even_an_administrator(
    administrator: User, make_user: Callable[..., User]
) -> None:
    with pytest.raises(PermissionDenied):
        user_set_roles(actor=administrator, user=administrator, roles=[RoleSpec(role=Role.HR, all_locations=True)])
    assert list(RoleAssignment.objects.filter(user=administrator).values_list("role", flat=True)) == [
        Role.ADMINISTRATOR]
    denied = AuditEvent.objects.get(action="user.set_roles", outcome="denied")
    assert denied.actor == administrator
    assert denied.object_id == str(administrator.pk)
    assert "own roles" in denied.reason
    # Another administrator may.
    second = make_user(Role.ADMINISTRATOR)
    user_set_roles(actor=second, user=administrator, roles=[RoleSpec(role=Role.HR, all_locations=True)])
    assert not RoleAssignment.objects.filter(user=administrator, role=Role.ADMINISTRATOR).exists()


def test_a_manager_cannot_change_someone_whose_access_exceeds_their_own(
    make_user: Callable[..., User], administrator: User, north: Location
) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)
    with pytest.raises(PermissionDenied):
        user_set_roles(actor=manager, user=administrator, roles=[front_desk_at(north)])
    with pytest.raises(PermissionDenied):
        user_deactivate(actor=manager, user=administrator)
    administrator.refresh_from_db()
    assert administrator.is_active
    assert RoleAssignment.objects.filter(user=administrator, role=Role.ADMINISTRATOR).exists()
    assert denied(manager, "user.set_roles") == 1
    assert denied(manager, "user.deactivate") == 1


# --- profile -----------------------------------------------------------------------------------------------


def test_updating_the_profile_audits_the_names_of_changed_fields_only(
    administrator: User, make_user: Callable[..., User]
) -> None:
    person = make_user(Role.HR, first_name="Ann", email="ann@example.test")
    user_update_profile(actor=administrator, user=person, data={
        "first_name": "Anne", "email": "Anne.New@Example.test", "last_name": person.last_name, "job_title": "",
    })
    person.refresh_from_db()
    assert (person.first_name, person.email) == ("Anne", "anne.new@example.test")
    event = AuditEvent.objects.get(action="user.profile_updated")
    assert set(event.changed_field_list) == {"first_name", "email"}
    assert "Anne" not in event.reason


def test_a_profile_cannot_take_another_persons_email(administrator: User, make_user: Callable[..., User]) -> None:
    person = make_user(Role.HR)
    with pytest.raises(ValidationError) as error:
        user_update_profile(actor=administrator, user=person, data={"email": administrator.email.upper()})
    assert "email" in error.value.message_dict


# --- deactivate / reactivate -------------------------------------------------------------------------------


def test_deactivating_ends_every_session_revokes_tokens_and_open_invitations(
    administrator: User, make_user: Callable[..., User]
) -> None:
    person = make_user(Role.HR)
    browser_one, browser_two = sign_in(Client(), person), sign_in(Client(), person)
    token, _secret = token_create(actor=person, user=person, name="Spreadsheet")
    assert Session.objects.count() == 2
    user_deactivate(actor=administrator, user=person)
    person.refresh_from_db()
    assert not person.is_active
    assert person.deactivated_at is not None
    assert Session.objects.count() == 0
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert browser_one.get("/accounts/users/").status_code == 302
    assert browser_two.get("/accounts/profile/").status_code == 302
    event = AuditEvent.objects.get(action="user.deactivated")
    assert set(event.changed_field_list) == {"is_active", "deactivated_at"}


def test_nobody_deactivates_themselves(administrator: User) -> None:
    with pytest.raises(ValidationError) as error:
        user_deactivate(actor=administrator, user=administrator)
    assert error.value.code == "self"
    administrator.refresh_from_db()
    assert administrator.is_active


def test_an_administrator_deactivated_by_another_leaves_that_one_as_the_last(
    administrator: User, make_user: Callable[..., User]
) -> None:
    other_admin = make_user(Role.ADMINISTRATOR)
    user_deactivate(actor=other_admin, user=administrator)
    # Now other_admin is the only active administrator and can neither drop the role nor leave.
    with pytest.raises(PermissionDenied):
        user_set_roles(actor=other_admin, user=other_admin, roles=[RoleSpec(role=Role.HR, all_locations=True)])
    with pytest.raises(ValidationError) as error:
        user_deactivate(actor=other_admin, user=other_admin)
    assert error.value.code == "self"
    assert User.objects.filter(is_active=True, role_assignments__role=Role.ADMINISTRATOR).get() == other_admin


def test_reactivating_gives_back_the_same_roles(administrator: User, make_user: Callable[..., User]) -> None:
    person = make_user(Role.HR)
    user_deactivate(actor=administrator, user=person)
    user_reactivate(actor=administrator, user=person)
    person = User.objects.get(pk=person.pk)
    assert person.is_active
    assert person.deactivated_at is None
    assert can(person, Perm.WORKFORCE_VIEW)
    assert AuditEvent.objects.filter(action="user.reactivated", object_id=str(person.pk)).exists()


def test_reactivating_someone_who_never_accepted_sends_a_new_invitation_instead(
    administrator: User, north: Location, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        person = invite(administrator, roles=[front_desk_at(north)])
    user_deactivate(actor=administrator, user=person)
    with django_capture_on_commit_callbacks(execute=True):
        user_reactivate(actor=administrator, user=person)
    person.refresh_from_db()
    assert not person.is_active
    assert person.deactivated_at is None
    assert Invitation.objects.filter(user=person, revoked_at__isnull=True, accepted_at__isnull=True).count() == 1
    assert len(mail.outbox) == 2


def test_deactivation_revokes_only_the_persons_own_tokens(administrator: User, make_user: Callable[..., User]) -> None:
    person, colleague = make_user(Role.HR), make_user(Role.HR)
    token_create(actor=person, user=person, name="Mine")
    token_create(actor=colleague, user=colleague, name="Theirs")
    user_deactivate(actor=administrator, user=person)
    assert ApiToken.objects.get(user=colleague).revoked_at is None


def test_an_invitation_withdrawn_before_the_task_runs_sends_no_mail(
    administrator: User, north: Location, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        person = invite(administrator, roles=[front_desk_at(north)])
        # Same transaction-less test block: the task runs at the end, after the withdrawal.
        invitation_revoke(actor=administrator, invitation=Invitation.objects.get(user=person))
    assert mail.outbox == []


# --- permissions compared location by location ---------------------------------------------------------------


@pytest.fixture
def split_manager(make_user: Callable[..., User], north: Location, south: Location) -> User:
    """Manages people at North; at South works the front desk (whose permissions the manager role lacks)."""
    manager = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north])
    give_role(manager, Role.FRONT_DESK, locations=[south])
    return manager


def test_a_manager_cannot_grant_at_one_location_what_they_hold_only_at_another(
    split_manager: User, north: Location
) -> None:
    with pytest.raises(PermissionDenied):
        user_invite(actor=split_manager, email="nia@example.test", username="nbrooks", first_name="Nia",
                    last_name="Brooks", roles=[front_desk_at(north)])
    assert not User.objects.filter(username="nbrooks").exists()
    denied = AuditEvent.objects.get(action="user.invite", outcome="denied")
    assert denied.actor == split_manager
    assert f"at locations {north.pk}" in denied.reason


def test_a_manager_cannot_manage_someone_whose_role_they_hold_only_at_another_location(
    split_manager: User, make_user: Callable[..., User], north: Location
) -> None:
    desk = make_user(Role.FRONT_DESK, locations=[north])
    assert not user_is_manageable(actor=split_manager, user=desk)
    with pytest.raises(PermissionDenied):
        user_deactivate(actor=split_manager, user=desk)
    desk.refresh_from_db()
    assert desk.is_active
    assert AuditEvent.objects.filter(actor=split_manager, action="user.deactivate", outcome="denied").exists()


def test_a_manager_may_still_grant_what_they_hold_at_that_location(
    make_user: Callable[..., User], north: Location
) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north])
    give_role(manager, Role.FRONT_DESK, locations=[north])
    person = user_invite(actor=manager, email="nia@example.test", username="nbrooks", first_name="Nia",
                         last_name="Brooks", roles=[front_desk_at(north)])
    assert user_is_manageable(actor=manager, user=person)


# --- checked again once the rows are locked -------------------------------------------------------------------


def test_a_manager_whose_role_was_removed_meanwhile_is_refused_under_the_lock(
    make_user: Callable[..., User], north: Location
) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)
    desk = make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])
    assert user_is_manageable(actor=manager, user=desk)  # the request's view, read before the change below
    RoleAssignment.objects.filter(user=manager).delete()  # another administrator removes the role meanwhile

    with pytest.raises(PermissionDenied):
        user_deactivate(actor=manager, user=desk)

    desk.refresh_from_db()
    assert desk.is_active
    assert desk.deactivated_at is None
    denied = AuditEvent.objects.get(action="user.deactivate", outcome="denied")
    assert denied.object_id == str(desk.pk)
    assert not AuditEvent.objects.filter(action="user.deactivated").exists()


def test_a_person_raised_to_administrator_meanwhile_cannot_be_changed_by_a_manager(
    make_user: Callable[..., User], north: Location
) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)
    desk = make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])
    stale = User.objects.prefetch_related("role_assignments__locations").get(pk=desk.pk)
    assert user_is_manageable(actor=manager, user=stale)  # the page read the person's roles ...
    give_role(desk, Role.ADMINISTRATOR)  # ... then another administrator made them an administrator

    with pytest.raises(PermissionDenied):
        user_set_roles(actor=manager, user=stale,
                       roles=[RoleSpec(role=Role.OFFICE_MANAGER, tier=Tier.MID, location_ids={north.pk})])

    assert RoleAssignment.objects.filter(user=desk, role=Role.ADMINISTRATOR).exists()
    assert AuditEvent.objects.filter(action="user.set_roles", outcome="denied", object_id=str(desk.pk)).exists()
    assert not AuditEvent.objects.filter(action="user.roles_changed").exists()


@pytest.mark.parametrize("change", ["set_roles", "deactivate"])
def test_the_administrators_are_locked_first_then_the_people_concerned_in_pk_order(
    administrator: User, make_user: Callable[..., User], north: Location, change: str
) -> None:
    desk = make_user(Role.FRONT_DESK, locations=[north])
    with CaptureQueriesContext(connection) as queries:
        if change == "set_roles":
            user_set_roles(actor=administrator, user=desk, roles=[RoleSpec(role=Role.HR, all_locations=True)])
        else:
            user_deactivate(actor=administrator, user=desk)
    user_reads = [q["sql"] for q in queries.captured_queries
                  if q["sql"].startswith("SELECT") and 'FROM "accounts_user"' in q["sql"]]
    admins = next(i for i, sql in enumerate(user_reads) if "accounts_roleassignment" in sql)
    people = next(i for i, sql in enumerate(user_reads) if "accounts_roleassignment" not in sql
                  and '"accounts_user"."id" IN' in sql)
    assert admins < people
    assert re.search(r'ORDER BY (1|"accounts_user"\."id") ASC', user_reads[admins])
    assert re.search(r'ORDER BY (1|"accounts_user"\."id") ASC', user_reads[people])
    if connection.vendor == "postgresql":
        assert user_reads[admins].endswith("FOR UPDATE")
        assert user_reads[people].endswith("FOR UPDATE")
