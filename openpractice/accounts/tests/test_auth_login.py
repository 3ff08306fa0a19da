"""Signing in and out: password, throttling, session rotation, sign-out, keep-alive, the location switcher."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from openpractice.accounts.middleware import SESSION_LAST_SEEN, SESSION_STARTED
from openpractice.accounts.models import User, UserSession
from openpractice.accounts.roles import Role
from openpractice.accounts.tests.factories import TEST_PASSWORD
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
PROFILE = "/accounts/profile/"


# Helpers shared by the other sign-in test modules ---------------------------------------------------------

def password_login(client: Client, user: User | str, password: str = TEST_PASSWORD, *, ip: str = "127.0.0.1",
                   next_url: str = "") -> Any:
    username = user if isinstance(user, str) else user.username
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN, data, REMOTE_ADDR=ip, HTTP_USER_AGENT="pytest-browser/1.0")


def fresh_code(device: TOTPDevice) -> str:
    """The code the authenticator app would show now, or for the next 30-second step when the current one was
    already used (the server accepts one step of drift, and never a step at or before the last one used)."""
    device.refresh_from_db()
    now_t = int((time.time() - device.t0) // device.step)
    target = max(now_t + device.drift, device.last_t + 1)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, target - now_t):0{device.digits}d}"


def signed_in_user_id(client: Client) -> Any:
    return client.session.get(SESSION_KEY)


# Fixtures ---------------------------------------------------------------------------------------------------

@pytest.fixture
def hr_person(make_user: Callable[..., User]) -> User:
    """HR sees no patient information, so MFA is not required of them."""
    return make_user(Role.HR, username="hana")


# Password ---------------------------------------------------------------------------------------------------

def test_the_login_page_has_labelled_fields(client: Client, practice: Any) -> None:
    response = client.get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_username">' in html
    assert '<label for="id_password">' in html
    assert 'autocomplete="current-password"' in html


def test_signing_in_rotates_the_session_key_registers_the_session_and_is_audited(
    client: Client, hr_person: User
) -> None:
    planted = client.session
    planted["before_sign_in"] = True
    planted.save()
    planted_key = planted.session_key

    response = password_login(client, hr_person, next_url=PROFILE)

    assert response.status_code == 302
    assert response["Location"] == PROFILE
    new_key = client.session.session_key
    assert new_key != planted_key
    assert not Session.objects.filter(session_key=planted_key).exists()
    assert signed_in_user_id(client) == str(hr_person.pk)
    row = UserSession.objects.get(user=hr_person)
    assert row.session_key == new_key
    assert row.ip_address == "127.0.0.1"
    assert row.user_agent == "pytest-browser/1.0"
    assert row.ended_at is None
    assert client.session[SESSION_STARTED] == pytest.approx(time.time(), abs=5)
    assert client.session[SESSION_LAST_SEEN] == pytest.approx(time.time(), abs=5)
    assert AuditEvent.objects.filter(action="auth.login", actor=hr_person).count() == 1
    assert client.get(PROFILE).status_code == 200


def test_without_next_a_user_who_needs_no_code_goes_to_the_home_page(client: Client, hr_person: User) -> None:
    response = password_login(client, hr_person)

    assert response.status_code == 302
    assert response["Location"] == resolve_url(settings.LOGIN_REDIRECT_URL)


@pytest.mark.parametrize("evil", ["https://evil.example/steal", "//evil.example/", "/accounts/logout/?expired=1"])
def test_next_never_leads_off_the_site_or_into_signing_out(client: Client, hr_person: User, evil: str) -> None:
    response = password_login(client, hr_person, next_url=evil)

    assert response.status_code == 302
    assert response["Location"] == resolve_url(settings.LOGIN_REDIRECT_URL)
    assert signed_in_user_id(client) == str(hr_person.pk)


def test_a_wrong_password_is_refused_and_audited_with_the_typed_username_but_never_the_password(
    client: Client, hr_person: User
) -> None:
    response = password_login(client, hr_person, "not-the-password-123")

    assert response.status_code == 200
    assert "The username or password is not right." in response.content.decode()
    assert signed_in_user_id(client) is None
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.actor is None
    assert event.actor_label == "hana"
    row = AuditEvent.objects.filter(pk=event.pk).values().get()
    assert all("not-the-password-123" not in str(value) for value in row.values())


def test_a_password_typed_into_the_username_box_never_reaches_the_audit_trail(
    client: Client, hr_person: User
) -> None:
    password_login(client, "Secret-Passphrase-42", "Secret-Passphrase-42")

    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.actor_id is None
    assert event.actor_label == ""
    assert event.reason == "unknown username"
    row = AuditEvent.objects.filter(pk=event.pk).values().get()
    assert all("Secret-Passphrase-42" not in str(value) for value in row.values())


def test_a_throttled_unknown_username_is_audited_without_it(client: Client, practice: Any) -> None:
    statuses = [password_login(client, "my-password-123", "whatever-password").status_code for _ in range(6)]

    assert statuses[-1] == 429
    throttled = AuditEvent.objects.filter(action="auth.login_throttled")
    assert throttled.exists()
    assert {event.actor_label for event in throttled} == {""}
    assert all("unknown username" in event.reason for event in throttled)
    assert not AuditEvent.objects.filter(actor_label="my-password-123").exists()


def test_a_deactivated_user_cannot_sign_in(client: Client, hr_person: User) -> None:
    hr_person.is_active = False
    hr_person.save(update_fields=["is_active"])

    response = password_login(client, hr_person)

    assert response.status_code == 200
    assert signed_in_user_id(client) is None
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 1


def test_a_signed_in_user_opening_the_login_page_goes_on(client: Client, hr_person: User) -> None:
    password_login(client, hr_person)

    response = client.get(LOGIN, {"next": PROFILE})

    assert response.status_code == 302
    assert response["Location"] == PROFILE


# Throttling -------------------------------------------------------------------------------------------------

def _fail(client: Client, user: User, times: int, ip: str = "10.0.0.1") -> list[int]:
    return [password_login(client, user, "wrong-password-xyz", ip=ip).status_code for _ in range(times)]


def test_after_five_wrong_passwords_even_the_right_password_is_refused(client: Client, hr_person: User) -> None:
    statuses = _fail(client, hr_person, 5)
    assert statuses[:4] == [200, 200, 200, 200]
    assert statuses[4] == 429  # the fifth failure pauses the pair at once

    response = password_login(client, hr_person, ip="10.0.0.1")

    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert response["Retry-After"] == str(15 * 60)
    assert signed_in_user_id(client) is None
    assert not UserSession.objects.filter(user=hr_person).exists()
    throttled = AuditEvent.objects.filter(action="auth.login_throttled")
    assert throttled.count() == 2
    assert {event.actor_label for event in throttled} == {"hana"}
    assert all(event.actor_id is None for event in throttled)
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 4


def test_the_pause_holds_for_one_address_so_the_real_user_elsewhere_can_still_sign_in(
    client: Client, hr_person: User
) -> None:
    _fail(client, hr_person, 5, ip="10.0.0.1")

    response = password_login(Client(), hr_person, ip="10.0.0.2", next_url=PROFILE)

    assert response.status_code == 302
    assert response["Location"] == PROFILE


def test_after_the_cool_off_the_right_password_works_again(client: Client, hr_person: User) -> None:
    _fail(client, hr_person, 5)
    assert password_login(client, hr_person, ip="10.0.0.1").status_code == 429

    # Travel sixteen minutes forward: the recorded failures are now older than the fifteen-minute pause.
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=attempt.attempt_time - timedelta(minutes=16))
    response = password_login(client, hr_person, ip="10.0.0.1", next_url=PROFILE)

    assert response.status_code == 302
    assert response["Location"] == PROFILE
    assert signed_in_user_id(client) == str(hr_person.pk)


def test_a_successful_sign_in_clears_earlier_failures(client: Client, hr_person: User) -> None:
    _fail(client, hr_person, 4)
    assert password_login(client, hr_person, ip="10.0.0.1").status_code == 302
    client.post(reverse("accounts:logout"))

    assert _fail(client, hr_person, 4) == [200, 200, 200, 200]


# Sign-out ---------------------------------------------------------------------------------------------------

def test_signing_out_ends_the_session_everywhere_it_is_recorded(client: Client, hr_person: User) -> None:
    password_login(client, hr_person)
    key = client.session.session_key

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert not Session.objects.filter(session_key=key).exists()
    assert UserSession.objects.get(session_key=key).ended_at is not None
    assert AuditEvent.objects.filter(action="auth.logout", actor=hr_person).count() == 1
    assert client.get(PROFILE)["Location"].startswith(reverse("accounts:login"))


def test_a_plain_get_of_sign_out_asks_first_and_signs_nobody_out(client: Client, hr_person: User) -> None:
    password_login(client, hr_person)

    response = client.get(reverse("accounts:logout"))

    assert response.status_code == 200
    assert signed_in_user_id(client) == str(hr_person.pk)
    assert not AuditEvent.objects.filter(action="auth.logout").exists()


def test_the_idle_timer_in_the_page_signs_out_and_lands_on_the_login_page_with_the_reason(
    client: Client, hr_person: User
) -> None:
    password_login(client, hr_person)

    response = client.get(reverse("accounts:logout"), {"expired": "1"})

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?expired=idle"
    assert signed_in_user_id(client) is None
    assert AuditEvent.objects.filter(action="auth.session_expired", actor=hr_person).count() == 1
    page = client.get(response["Location"]).content.decode()
    assert "You were signed out after 15 minutes without activity" in page


# Keep-alive -------------------------------------------------------------------------------------------------

def test_keepalive_answers_204_and_counts_as_activity(client: Client, hr_person: User) -> None:
    password_login(client, hr_person)
    session = client.session
    session[SESSION_LAST_SEEN] = time.time() - 600
    session.save()

    response = client.post(reverse("accounts:keepalive"))

    assert response.status_code == 204
    assert client.session[SESSION_LAST_SEEN] == pytest.approx(time.time(), abs=5)


def test_keepalive_refuses_get_and_anonymous_callers(client: Client, practice: Any) -> None:
    assert client.post(reverse("accounts:keepalive")).status_code == 401
    assert client.get(reverse("accounts:keepalive")).status_code == 405


# Location switcher ------------------------------------------------------------------------------------------

def _session_without_clock(client: Client) -> dict[str, Any]:
    """The session's contents apart from the idle clock, which every request moves."""
    return {key: value for key, value in client.session.items() if key != SESSION_LAST_SEEN}


@pytest.fixture
def clerk_north(make_user: Callable[..., User], north: Location, south: Location) -> User:
    return make_user(Role.HR, username="nora", locations=[north])


def test_switching_to_a_location_within_ones_roles_is_remembered(
    client: Client, clerk_north: User, north: Location
) -> None:
    password_login(client, clerk_north)

    response = client.post(reverse("accounts:switch_location"), {"location": north.pk}, HTTP_REFERER=f"http://testserver{PROFILE}")

    assert response.status_code == 302
    assert response["Location"] == f"http://testserver{PROFILE}"
    assert client.session["location_id"] == north.pk
    client.post(reverse("accounts:switch_location"), {"location": ""})
    assert "location_id" not in client.session


def test_switching_to_a_location_outside_ones_roles_is_404_audited_and_changes_nothing(
    client: Client, clerk_north: User, north: Location, south: Location
) -> None:
    password_login(client, clerk_north)
    client.post(reverse("accounts:switch_location"), {"location": north.pk})
    before = _session_without_clock(client)

    response = client.post(reverse("accounts:switch_location"), {"location": south.pk})

    assert response.status_code == 404
    assert _session_without_clock(client) == before
    assert client.session["location_id"] == north.pk
    denied = AuditEvent.objects.get(outcome="denied")
    assert denied.actor == clerk_north
    assert denied.object_type == "core.location"
    assert denied.object_id == str(south.pk)


@pytest.mark.parametrize("value", ["not-a-number", "999999"])
def test_switching_to_a_nonsense_location_is_404_and_audited(
    client: Client, clerk_north: User, value: str
) -> None:
    password_login(client, clerk_north)

    response = client.post(reverse("accounts:switch_location"), {"location": value})

    assert response.status_code == 404
    assert "location_id" not in client.session
    assert AuditEvent.objects.filter(outcome="denied", actor=clerk_north).count() == 1


def test_the_switcher_needs_a_signed_in_user(client: Client, north: Location) -> None:
    response = client.post(reverse("accounts:switch_location"), {"location": north.pk})

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
