"""Rate limits per API token (per user for browser sessions): over the limit, 429 with Retry-After; each token
has its own bucket; writes have their own lower limit; the count starts again with the next window."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory, override_settings

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.accounts.services.tokens import token_create
from openpractice.accounts.tests.factories import sign_in

from ..throttling import Rate, check_rate, parse_rate
from .conftest import API, TokenClient

pytestmark = pytest.mark.django_db

ME = f"{API}/me"


@pytest.fixture
def clerk(make_user: Callable[..., User]) -> User:
    return make_user(Role.FRONT_DESK, username="clerk")


def token_for(user: User, name: str = "tests") -> TokenClient:
    _token, secret = token_create(actor=user, user=user, name=name)
    return TokenClient(secret)


@override_settings(OPENPRACTICE_API_RATE_LIMIT="3/min")
def test_a_token_over_its_limit_gets_429_with_retry_after(clerk: User) -> None:
    client = token_for(clerk)
    assert [client.get(ME).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get(ME)
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert 1 <= int(refused["Retry-After"]) <= 60


@override_settings(OPENPRACTICE_API_RATE_LIMIT="2/min")
def test_two_tokens_of_one_user_have_separate_buckets(clerk: User) -> None:
    laptop, script = token_for(clerk, "laptop"), token_for(clerk, "script")
    laptop.get(ME), laptop.get(ME)
    assert laptop.get(ME).status_code == 429
    assert script.get(ME).status_code == 200


@override_settings(OPENPRACTICE_API_RATE_LIMIT="2/min")
def test_a_browser_session_is_limited_per_user(client: Client, clerk: User) -> None:
    sign_in(client, clerk)
    assert [client.get(ME).status_code for _ in range(3)] == [200, 200, 429]


@override_settings(OPENPRACTICE_API_RATE_LIMIT="100/min", OPENPRACTICE_API_WRITE_RATE_LIMIT="1/min")
def test_writes_have_their_own_lower_limit_and_reads_go_on(clerk: User) -> None:
    client = token_for(clerk)
    assert client.patch(f"{API}/practice", {"name": "Renamed"}).status_code != 429  # a 404 here: not allowed
    again = client.patch(f"{API}/practice", {"name": "Renamed"})
    assert again.status_code == 429
    assert client.get(ME).status_code == 200


@override_settings(OPENPRACTICE_API_RATE_LIMIT="2/s")
def test_the_limit_resets_with_the_next_window(clerk: User) -> None:
    client = token_for(clerk)
    while True:  # start at the beginning of a second, so that the three calls fall in one window
        fraction = time.time() % 1
        if fraction < 0.5:
            break
        time.sleep(1 - fraction + 0.01)
    assert [client.get(ME).status_code for _ in range(3)] == [200, 200, 429]
    time.sleep(1.0)
    assert client.get(ME).status_code == 200


@override_settings(OPENPRACTICE_API_RATE_LIMIT="off", OPENPRACTICE_API_WRITE_RATE_LIMIT="off")
def test_off_turns_the_limits_off(clerk: User) -> None:
    client = token_for(clerk)
    assert {client.get(ME).status_code for _ in range(5)} == {200}


@override_settings(OPENPRACTICE_API_RATE_LIMIT="2/min")
def test_check_rate_is_the_same_limit_for_views_outside_the_api(clerk: User) -> None:
    request = RequestFactory().get("/fhir/r4/Patient")
    request.user = clerk
    request.api_token_id = 41  # type: ignore[attr-defined]
    assert check_rate(request) is None
    assert check_rate(request) is None
    wait = check_rate(request)
    assert wait is not None
    assert 1 <= wait <= 60
    request.api_token_id = 42  # type: ignore[attr-defined]
    assert check_rate(request) is None  # another token: its own bucket


@pytest.mark.parametrize(("text", "rate"), [("600/min", Rate(600, 60)), ("120/m", Rate(120, 60)),
                                            ("100/5m", Rate(100, 300)), ("10/s", Rate(10, 1)),
                                            ("5000/day", Rate(5000, 86400)), ("off", None), ("", None)])
def test_rates_are_read_from_the_usual_notation(text: str, rate: Rate | None) -> None:
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["600", "600/fortnight", "0/min", "lots/min"])
def test_a_bad_rate_is_a_configuration_error(text: str) -> None:
    with pytest.raises(ImproperlyConfigured):
        parse_rate(text)
