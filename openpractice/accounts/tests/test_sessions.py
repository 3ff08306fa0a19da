"""Session limits (idle logoff, absolute limit), listing one's sessions, and ending them."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from openpractice.accounts.middleware import SESSION_LAST_SEEN, SESSION_STARTED
from openpractice.accounts.models import User, UserSession
from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.services.sessions import session_list_open, sessions_end_all
from openpractice.accounts.tests.factories import give_role
from openpractice.accounts.tests.test_auth_login import PROFILE, fresh_code, password_login
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location, Practice
from openpractice.core.selectors import practice_settings_forget

pytestmark = pytest.mark.django_db


@pytest.fixture
def hr_person(make_user: Callable[..., User]) -> User:
    return make_user(Role.HR, username="hana")


def _age(client: Client, *, idle_seconds: float = 0, started_seconds_ago: float | None = None) -> None:
    """Time travel for one session: pretend the last activity (and sign-in) happened that long ago."""
    session = client.session
    now = time.time()
    session[SESSION_LAST_SEEN] = now - idle_seconds
    if started_seconds_ago is not None:
        session[SESSION_STARTED] = now - started_seconds_ago
    session.save()


def _signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


# Idle logoff --------------------------------------------------------------------------------------------------

def test_a_session_idle_longer_than_the_practice_setting_is_signed_out_and_audited(
    client: Client, hr_person: User
) -> None:
    password_login(client, hr_person)
    key = client.session.session_key
    _age(client, idle_seconds=15 * 60 + 5)

    response = client.get(PROFILE)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?expired=idle&next=/accounts/profile/"
    assert not _signed_in(client)
    assert not Session.objects.filter(session_key=key).exists()
    assert UserSession.objects.get(session_key=key).ended_at is not None
    event = AuditEvent.objects.get(action="auth.session_expired")
    assert (event.actor, event.reason) == (hr_person, "idle")
    assert "without activity" in client.get(response["Location"]).content.decode()


def test_a_session_idle_just_under_the_limit_stays_signed_in(client: Client, hr_person: User) -> None:
    password_login(client, hr_person)
    _age(client, idle_seconds=15 * 60 - 30)

    assert client.get(PROFILE).status_code == 200
    assert client.session[SESSION_LAST_SEEN] == pytest.approx(time.time(), abs=5)


def test_the_idle_limit_follows_the_practice_setting(client: Client, hr_person: User, practice: Practice) -> None:
    practice.idle_timeout_minutes = 5
    practice.save(update_fields=["idle_timeout_minutes"])
    practice_settings_forget()
    password_login(client, hr_person)
    _age(client, idle_seconds=5 * 60 + 5)

    assert client.get(PROFILE)["Location"].startswith(f"{reverse('accounts:login')}?expired=idle")


def test_the_pages_own_background_checks_do_not_count_as_activity(client: Client, hr_person: User) -> None:
    password_login(client, hr_person)
    _age(client, idle_seconds=14 * 60)
    last_seen = client.session[SESSION_LAST_SEEN]

    assert client.get(PROFILE, headers={"X-OP-Background": "1"}).status_code == 200
    assert client.session[SESSION_LAST_SEEN] == last_seen

    _age(client, idle_seconds=15 * 60 + 5)
    response = client.get(PROFILE, headers={"X-OP-Background": "1"})
    assert response.status_code == 302
    assert not _signed_in(client)


def test_an_expired_htmx_request_is_told_to_go_to_the_login_page(client: Client, hr_person: User) -> None:
    password_login(client, hr_person)
    _age(client, idle_seconds=16 * 60)

    response = client.get(PROFILE, headers={"HX-Request": "true"})

    assert response.status_code == 204
    assert response["HX-Redirect"] == f"{reverse('accounts:login')}?expired=idle"


@pytest.mark.parametrize("path", ["/api/v1/practice", "/accounts/keepalive/"])
def test_expired_api_and_keepalive_calls_get_a_401_not_a_login_page(
    client: Client, hr_person: User, path: str
) -> None:
    password_login(client, hr_person)
    _age(client, idle_seconds=16 * 60)

    response = client.post(path)

    assert response.status_code == 401
    assert response.json()["code"] == "session_expired"
    assert not _signed_in(client)


def test_an_expired_form_post_goes_to_the_login_page_without_coming_back_to_the_post(
    client: Client, hr_person: User
) -> None:
    password_login(client, hr_person)
    _age(client, idle_seconds=16 * 60)

    response = client.post(reverse("accounts:sessions_end_others"))

    assert response["Location"] == f"{reverse('accounts:login')}?expired=idle"


def test_when_the_server_already_ended_the_session_the_idle_timer_lands_on_login_without_next(
    client: Client, hr_person: User
) -> None:
    password_login(client, hr_person)
    _age(client, idle_seconds=16 * 60)

    response = client.get(reverse("accounts:logout"), {"expired": "1"})

    assert response["Location"] == f"{reverse('accounts:login')}?expired=idle"
    assert AuditEvent.objects.filter(action="auth.session_expired").count() == 1


# Absolute limit -----------------------------------------------------------------------------------------------

def test_even_an_active_session_ends_at_the_absolute_limit(client: Client, hr_person: User) -> None:
    password_login(client, hr_person)
    _age(client, idle_seconds=10, started_seconds_ago=12 * 3600 + 60)

    response = client.get(PROFILE)

    assert response["Location"].startswith(f"{reverse('accounts:login')}?expired=absolute")
    assert not _signed_in(client)
    assert AuditEvent.objects.get(action="auth.session_expired").reason == "absolute"
    assert "time limit" in client.get(f"{reverse('accounts:login')}?expired=absolute").content.decode()


def test_a_session_just_under_the_absolute_limit_continues(client: Client, hr_person: User) -> None:
    password_login(client, hr_person)
    _age(client, idle_seconds=10, started_seconds_ago=12 * 3600 - 60)

    assert client.get(PROFILE).status_code == 200


def test_a_session_begun_without_the_login_page_starts_its_clocks_at_its_first_request(
    client: Client, hr_person: User
) -> None:
    client.force_login(hr_person)

    assert client.get(PROFILE).status_code == 200
    assert client.session[SESSION_STARTED] == pytest.approx(time.time(), abs=5)


# Ending sessions ----------------------------------------------------------------------------------------------

def test_ending_all_sessions_signs_the_user_out_of_every_browser_and_leaves_others_alone(
    hr_person: User, make_user: Callable[..., User]
) -> None:
    laptop, phone, colleague = Client(), Client(), Client()
    password_login(laptop, hr_person)
    password_login(phone, hr_person)
    unregistered = Client()
    unregistered.force_login(hr_person)  # a session made without the sign-in page is found as well
    other = make_user(Role.HR, username="olga")
    password_login(colleague, other)

    ended = sessions_end_all(user=hr_person)

    assert ended == 3
    for browser in (laptop, phone, unregistered):
        assert browser.get(PROFILE)["Location"].startswith(reverse("accounts:login"))
    assert colleague.get(PROFILE).status_code == 200
    assert not UserSession.objects.filter(user=hr_person, ended_at__isnull=True).exists()
    assert UserSession.objects.filter(user=other, ended_at__isnull=True).count() == 1
    assert AuditEvent.objects.get(action="auth.sessions_ended").reason == "3 session(s)"


def test_signing_out_my_other_sessions_keeps_this_one(client: Client, hr_person: User) -> None:
    phone = Client()
    password_login(phone, hr_person)
    password_login(client, hr_person)
    here = client.session.session_key

    response = client.post(reverse("accounts:sessions_end_others"))

    assert response["Location"] == PROFILE
    assert client.get(PROFILE).status_code == 200
    assert phone.get(PROFILE)["Location"].startswith(reverse("accounts:login"))
    assert [row.session_key for row in session_list_open(user=hr_person)] == [here]
    assert AuditEvent.objects.filter(action="auth.sessions_ended", actor=hr_person).count() == 1


def test_signing_out_other_sessions_needs_a_post(client: Client, hr_person: User) -> None:
    password_login(client, hr_person)

    assert client.get(reverse("accounts:sessions_end_others")).status_code == 405


# Profile -------------------------------------------------------------------------------------------------------

def test_the_profile_shows_roles_with_tiers_and_locations_mfa_status_and_sessions(
    client: Client, make_user: Callable[..., User], north: Location, south: Location
) -> None:
    manager = make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north], username="omar", email="omar@example.test")
    give_role(manager, Role.HR)
    phone = Client()
    password_login(phone, manager)
    password_login(client, manager)
    # An office manager needs MFA: set it up through the page.
    client.get(reverse("accounts:mfa_setup"))
    client.post(reverse("accounts:mfa_setup"), {"code": fresh_code(TOTPDevice.objects.get(user=manager))})

    html = client.get(PROFILE).content.decode()

    assert "omar@example.test" in html
    assert "<td>Office manager</td>\n          <td>Mid level</td>\n          <td>North Clinic</td>" in html
    assert "<td>HR specialist</td>\n          <td>Standard</td>\n          <td>All locations</td>" in html
    assert "10 recovery codes left" in html
    assert html.count("<tr>") == (1 + 2) + (1 + 2)  # roles: header and two rows; sessions: header and two
    assert html.count("This session</span>") == 1
    assert reverse("accounts:password_change") in html


def test_the_profile_needs_a_signed_in_user(client: Client, practice: Any) -> None:
    response = client.get(PROFILE)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next=/accounts/profile/"
