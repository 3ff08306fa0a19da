"""The idle warning's server side: how long the session has left, asked without counting as activity, and
the page carrying what the warning script needs (no script reads the CSRF cookie, which is HttpOnly)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from openpractice.accounts.middleware import SESSION_LAST_SEEN, SESSION_STARTED
from openpractice.accounts.models import User
from openpractice.accounts.roles import Role

pytestmark = pytest.mark.django_db

URL = "/accounts/session/remaining/"
BACKGROUND = {"X-OP-Background": "1"}


@pytest.fixture
def person(make_user: Callable[..., User]) -> User:
    return make_user(Role.FRONT_DESK, username="desk")


def _idle_for(client: Client, seconds: float) -> None:
    session = client.session
    session[SESSION_LAST_SEEN] = time.time() - seconds
    session.save()


def test_the_url_has_a_stable_name() -> None:
    assert reverse("accounts:session_remaining") == URL


def test_a_fresh_session_has_the_whole_idle_limit_left(person: User, signed_in: Callable[[User], Client]) -> None:
    response = signed_in(person).get(URL, headers=BACKGROUND)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert 15 * 60 - 5 <= response.json()["seconds_left"] <= 15 * 60
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


def test_asking_in_the_background_does_not_count_as_activity(person: User, signed_in: Callable[[User], Client]) -> None:
    client = signed_in(person)
    _idle_for(client, 10 * 60)
    first = client.get(URL, headers=BACKGROUND).json()["seconds_left"]
    second = client.get(URL, headers=BACKGROUND).json()["seconds_left"]
    assert 5 * 60 - 5 <= second <= first <= 5 * 60


def test_activity_in_another_tab_shows_as_more_time_left(person: User, signed_in: Callable[[User], Client]) -> None:
    client = signed_in(person)
    _idle_for(client, 14 * 60 + 30)
    assert client.get(URL, headers=BACKGROUND).json()["seconds_left"] <= 30
    client.get("/")  # the same session, working in another tab
    assert client.get(URL, headers=BACKGROUND).json()["seconds_left"] >= 15 * 60 - 5


def test_the_absolute_limit_counts_when_it_comes_first(person: User, signed_in: Callable[[User], Client]) -> None:
    client = signed_in(person)
    session = client.session
    session[SESSION_STARTED] = time.time() - (12 * 3600 - 40)
    session.save()
    assert client.get(URL, headers=BACKGROUND).json()["seconds_left"] <= 40


def test_an_ended_session_is_sent_to_sign_in(person: User, signed_in: Callable[[User], Client]) -> None:
    client = signed_in(person)
    _idle_for(client, 16 * 60)
    response = client.get(URL, headers=BACKGROUND)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_signed_out_visitors_are_sent_to_sign_in(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_only_get_is_answered(person: User, signed_in: Callable[[User], Client]) -> None:
    assert signed_in(person).post(URL, headers=BACKGROUND).status_code == 405


def test_pages_carry_the_csrf_token_and_the_urls_the_idle_warning_uses(
    person: User, signed_in: Callable[[User], Client]
) -> None:
    response = signed_in(person).get("/")
    body = response.content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in body
    assert f'data-remaining-url="{URL}"' in body
    assert 'data-keepalive-url="/accounts/keepalive/"' in body


def test_the_csrf_cookie_is_httponly_in_every_environment(client: Client) -> None:
    # Development must fail the same way production would if a script went back to reading the cookie.
    response = client.get(reverse("accounts:login"))
    assert response.cookies["op_csrftoken"]["httponly"] is True
