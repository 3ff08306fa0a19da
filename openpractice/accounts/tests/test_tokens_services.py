"""Personal API tokens: created with a secret shown once, stored only as a hash, revocable, checked safely."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openpractice.accounts.models import ApiToken, User
from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.services.tokens import token_authenticate, token_create, token_list, token_revoke
from openpractice.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(make_user: Callable[..., User]) -> User:
    return make_user(Role.FRONT_DESK, username="clerk")


def test_a_new_token_has_the_documented_shape_and_is_stored_only_as_its_sha256(clerk: User) -> None:
    token, secret = token_create(actor=clerk, user=clerk, name="Spreadsheet")

    scheme, prefix, rest = secret.split("_", 2)
    assert scheme == "op"
    assert prefix == token.prefix
    assert len(prefix) == 8
    assert len(rest) >= 43  # token_urlsafe(32)
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert all(secret not in str(value) and rest not in str(value) for value in row.values())


def test_two_tokens_never_share_a_secret_or_prefix(clerk: User) -> None:
    first, first_secret = token_create(actor=clerk, user=clerk, name="One")
    second, second_secret = token_create(actor=clerk, user=clerk, name="Two")
    assert first_secret != second_secret
    assert first.prefix != second.prefix


def test_creating_a_token_is_audited_without_the_secret(clerk: User) -> None:
    token, secret = token_create(actor=clerk, user=clerk, name="Spreadsheet")

    event = AuditEvent.objects.get(action="accounts.token_created")
    assert event.actor == clerk
    assert event.outcome == "allowed"
    assert event.object_type == "accounts.apitoken"
    assert event.object_id == str(token.pk)
    assert all(secret not in str(value) for value in AuditEvent.objects.values().get().values())


def test_a_user_manager_may_create_a_token_for_someone_else(make_user: Callable[..., User], clerk: User) -> None:
    admin = make_user(Role.ADMINISTRATOR)
    token, _secret = token_create(actor=admin, user=clerk, name="Integration")
    assert token.user == clerk
    assert AuditEvent.objects.get(action="accounts.token_created").actor == admin


def test_a_user_without_users_manage_cannot_create_a_token_for_someone_else(
    make_user: Callable[..., User], clerk: User
) -> None:
    colleague = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY)

    with pytest.raises(PermissionDenied):
        token_create(actor=colleague, user=clerk, name="Sneaky")

    assert not ApiToken.objects.exists()
    denial = AuditEvent.objects.get(outcome="denied")
    assert denial.actor == colleague
    assert denial.action == "accounts.token_created"


def test_a_token_needs_a_name(clerk: User) -> None:
    with pytest.raises(ValidationError) as excinfo:
        token_create(actor=clerk, user=clerk, name="   ")
    assert "name" in excinfo.value.message_dict
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_token_name_longer_than_80_characters_is_refused(clerk: User) -> None:
    with pytest.raises(ValidationError):
        token_create(actor=clerk, user=clerk, name="x" * 81)
    assert not ApiToken.objects.exists()


def test_an_inactive_user_cannot_get_a_token(make_user: Callable[..., User], clerk: User) -> None:
    admin = make_user(Role.ADMINISTRATOR)
    clerk.is_active = False
    clerk.save(update_fields=["is_active"])
    with pytest.raises(ValidationError):
        token_create(actor=admin, user=clerk, name="Too late")
    assert not ApiToken.objects.exists()


def test_the_secret_authenticates_its_owner(clerk: User) -> None:
    _token, secret = token_create(actor=clerk, user=clerk, name="Spreadsheet")
    assert token_authenticate(secret) == clerk


@pytest.mark.parametrize(
    "mangle",
    [
        lambda s: s[:-1] + ("A" if s[-1] != "A" else "B"),  # last character changed
        lambda s: s + "x",
        lambda s: s.upper(),
        lambda s: s.replace("op_", "xx_", 1),
        lambda s: "op_" + s.split("_", 2)[1] + "_",  # prefix alone
        lambda s: "",
        lambda s: "op_" + "a" * 500,
        lambda s: "Bearer " + s,
    ],
)
def test_anything_but_the_exact_secret_authenticates_nobody(clerk: User, mangle: Callable[[str], str]) -> None:
    _token, secret = token_create(actor=clerk, user=clerk, name="Spreadsheet")
    assert token_authenticate(mangle(secret)) is None


def test_a_revoked_token_authenticates_nobody(clerk: User) -> None:
    token, secret = token_create(actor=clerk, user=clerk, name="Spreadsheet")
    token_revoke(actor=clerk, token=token)
    assert token_authenticate(secret) is None


def test_a_deactivated_users_token_authenticates_nobody(clerk: User) -> None:
    _token, secret = token_create(actor=clerk, user=clerk, name="Spreadsheet")
    User.objects.filter(pk=clerk.pk).update(is_active=False)
    assert token_authenticate(secret) is None


def test_revoking_is_audited_once_and_revoking_again_changes_nothing(clerk: User) -> None:
    token, _secret = token_create(actor=clerk, user=clerk, name="Spreadsheet")
    token_revoke(actor=clerk, token=token)
    first_revoked_at = ApiToken.objects.get(pk=token.pk).revoked_at
    token_revoke(actor=clerk, token=token)

    assert ApiToken.objects.get(pk=token.pk).revoked_at == first_revoked_at
    assert AuditEvent.objects.filter(action="accounts.token_revoked", outcome="allowed").count() == 1


def test_someone_else_cannot_revoke_my_token(make_user: Callable[..., User], clerk: User) -> None:
    token, secret = token_create(actor=clerk, user=clerk, name="Spreadsheet")
    colleague = make_user(Role.FRONT_DESK)

    with pytest.raises(PermissionDenied):
        token_revoke(actor=colleague, token=token)

    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    assert token_authenticate(secret) == clerk
    denial = AuditEvent.objects.get(outcome="denied")
    assert (denial.actor, denial.action) == (colleague, "accounts.token_revoked")


def test_an_administrator_can_revoke_anyones_token(make_user: Callable[..., User], clerk: User) -> None:
    token, secret = token_create(actor=clerk, user=clerk, name="Spreadsheet")
    token_revoke(actor=make_user(Role.ADMINISTRATOR), token=token)
    assert token_authenticate(secret) is None


def test_first_use_records_last_used_at(clerk: User) -> None:
    token, secret = token_create(actor=clerk, user=clerk, name="Spreadsheet")
    assert token.last_used_at is None
    before = timezone.now()
    token_authenticate(secret)
    last_used = ApiToken.objects.get(pk=token.pk).last_used_at
    assert last_used is not None
    assert last_used >= before


def test_last_used_at_is_written_at_most_once_a_minute(clerk: User) -> None:
    token, secret = token_create(actor=clerk, user=clerk, name="Spreadsheet")
    token_authenticate(secret)
    first = ApiToken.objects.get(pk=token.pk).last_used_at

    with CaptureQueriesContext(connection) as queries:
        token_authenticate(secret)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    assert not any(q["sql"].lstrip().upper().startswith("UPDATE") for q in queries.captured_queries)


def test_last_used_at_moves_on_after_a_minute(clerk: User) -> None:
    token, secret = token_create(actor=clerk, user=clerk, name="Spreadsheet")
    long_ago = timezone.now() - timedelta(minutes=5)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=long_ago)
    token_authenticate(secret)
    last_used = ApiToken.objects.get(pk=token.pk).last_used_at
    assert last_used is not None
    assert last_used > long_ago


def test_the_secret_never_reaches_the_database_in_a_query(clerk: User) -> None:
    _token, secret = token_create(actor=clerk, user=clerk, name="Spreadsheet")
    with CaptureQueriesContext(connection) as queries:
        token_authenticate(secret)
    secret_part = secret.split("_", 2)[2]
    assert queries.captured_queries
    assert all(secret_part not in q["sql"] for q in queries.captured_queries)


def test_only_the_owner_or_a_user_manager_can_list_tokens(make_user: Callable[..., User], clerk: User) -> None:
    token, _secret = token_create(actor=clerk, user=clerk, name="Spreadsheet")
    assert list(token_list(actor=clerk, user=clerk)) == [token]
    assert list(token_list(actor=make_user(Role.ADMINISTRATOR), user=clerk)) == [token]
    assert list(token_list(actor=make_user(Role.FRONT_DESK), user=clerk)) == []
