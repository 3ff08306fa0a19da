"""The API tokens page: every signed-in user lists, creates and revokes their own tokens."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from openpractice.accounts.models import ApiToken, User
from openpractice.accounts.roles import Role, role_tier_pairs
from openpractice.accounts.services.tokens import token_authenticate, token_create
from openpractice.accounts.tests.factories import sign_in
from openpractice.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

LIST = reverse("accounts:token_list")
CREATE = reverse("accounts:token_create")


def _revoke_url(token: ApiToken) -> str:
    return reverse("accounts:token_revoke", kwargs={"pk": token.pk})


def test_the_token_pages_live_under_accounts_tokens() -> None:
    assert LIST == "/accounts/tokens/"
    assert CREATE == "/accounts/tokens/new/"


@pytest.mark.parametrize("path", [LIST, CREATE, "/accounts/tokens/1/revoke/"])
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, path: str) -> None:
    response = client.get(path) if path == LIST else client.post(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("role_tier", role_tier_pairs(), ids=lambda pair: f"{pair[0]}-{pair[1]}")
def test_every_role_may_manage_its_own_tokens(
    client: Client, make_user: Callable[..., User], role_tier: tuple[str, str]
) -> None:
    user = make_user(*role_tier)
    sign_in(client, user)
    assert client.get(LIST).status_code == 200
    response = client.post(CREATE, {"name": "Reporting"})
    assert response.status_code == 200
    assert ApiToken.objects.filter(user=user, name="Reporting").count() == 1


def test_the_list_shows_my_tokens_with_prefix_dates_and_status_but_not_others(
    client: Client, make_user: Callable[..., User]
) -> None:
    me = make_user(Role.FRONT_DESK)
    mine, _secret = token_create(actor=me, user=me, name="Spreadsheet")
    other = make_user(Role.FRONT_DESK)
    token_create(actor=other, user=other, name="Someone else's")
    sign_in(client, me)

    html = client.get(LIST).content.decode()

    assert "Spreadsheet" in html
    assert f"op_{mine.prefix}_" in html
    assert "Never" in html  # last used
    assert "Active" in html
    assert "Someone else" not in html
    assert reverse("api-v1:openapi-view") in html


def test_creating_a_token_shows_the_secret_once_and_stores_only_its_hash(
    client: Client, make_user: Callable[..., User]
) -> None:
    me = make_user(Role.FRONT_DESK)
    sign_in(client, me)

    response = client.post(CREATE, {"name": "Spreadsheet"})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    secret = re.search(r"op_[a-z0-9]{8}_[A-Za-z0-9_-]+", html)
    assert secret is not None
    assert "shown only this once" in html
    assert "data-copy-target" in html
    token = ApiToken.objects.get(user=me)
    assert token.token_hash == hashlib.sha256(secret.group(0).encode()).hexdigest()
    assert token_authenticate(secret.group(0)) == me
    assert secret.group(0) not in client.get(LIST).content.decode()
    assert AuditEvent.objects.filter(actor=me, action="accounts.token_created").count() == 1


def test_creating_a_token_without_a_name_shows_the_error_and_creates_nothing(
    client: Client, make_user: Callable[..., User]
) -> None:
    sign_in(client, make_user(Role.FRONT_DESK))
    response = client.post(CREATE, {"name": "   "})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    assert not ApiToken.objects.exists()


def test_the_create_page_only_answers_post(client: Client, make_user: Callable[..., User]) -> None:
    sign_in(client, make_user(Role.FRONT_DESK))
    assert client.get(CREATE).status_code == 405


def test_revoking_my_token_stops_it_working(client: Client, make_user: Callable[..., User]) -> None:
    me = make_user(Role.FRONT_DESK)
    token, secret = token_create(actor=me, user=me, name="Spreadsheet")
    sign_in(client, me)

    response = client.post(_revoke_url(token))

    assert response.status_code == 302
    assert response["Location"] == LIST
    assert token_authenticate(secret) is None
    assert "Revoked" in client.get(LIST).content.decode()
    assert AuditEvent.objects.filter(actor=me, action="accounts.token_revoked").count() == 1


def test_the_revoke_button_asks_for_confirmation(client: Client, make_user: Callable[..., User]) -> None:
    me = make_user(Role.FRONT_DESK)
    token_create(actor=me, user=me, name="Spreadsheet")
    sign_in(client, me)
    assert "data-confirm=" in client.get(LIST).content.decode()


def test_revoking_needs_post(client: Client, make_user: Callable[..., User]) -> None:
    me = make_user(Role.FRONT_DESK)
    token, secret = token_create(actor=me, user=me, name="Spreadsheet")
    sign_in(client, me)
    assert client.get(_revoke_url(token)).status_code == 405
    assert token_authenticate(secret) == me


def test_revoking_someone_elses_token_is_404_audited_and_changes_nothing(
    client: Client, make_user: Callable[..., User]
) -> None:
    owner = make_user(Role.FRONT_DESK)
    token, secret = token_create(actor=owner, user=owner, name="Theirs")
    intruder = make_user(Role.ADMINISTRATOR)  # even a user manager: this page is for one's own tokens
    sign_in(client, intruder)

    response = client.post(_revoke_url(token))

    assert response.status_code == 404
    assert token_authenticate(secret) == owner
    denial = AuditEvent.objects.get(actor=intruder, outcome="denied")
    assert denial.object_type == "accounts.apitoken"
    assert denial.object_id == str(token.pk)


def test_revoking_a_token_that_does_not_exist_is_404(client: Client, make_user: Callable[..., User]) -> None:
    sign_in(client, make_user(Role.FRONT_DESK))
    assert client.post("/accounts/tokens/999999/revoke/").status_code == 404
