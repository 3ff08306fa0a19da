"""The second factor: required for roles that see PHI, set up with a QR code, codes that cannot be replayed,
recovery codes that work once, throttled guessing, and managing it from one's profile."""

from __future__ import annotations

import re
from base64 import b32encode
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from openpractice.accounts.models import User, UserSession
from openpractice.accounts.roles import Role
from openpractice.accounts.tests.factories import confirmed_totp
from openpractice.accounts.tests.test_auth_login import PROFILE, fresh_code, password_login
from openpractice.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

VERIFY = "/accounts/mfa/verify/"
SETUP = "/accounts/mfa/setup/"


@pytest.fixture
def clerk(make_user: Callable[..., User]) -> User:
    """Front desk sees patient demographics, so MFA is required."""
    return make_user(Role.FRONT_DESK, username="fran")


@pytest.fixture
def hr_person(make_user: Callable[..., User]) -> User:
    return make_user(Role.HR, username="hana")


def _codes_on_page(response: Any) -> list[str]:
    return re.findall(r"<li>([a-z2-7]{8})</li>", response.content.decode())


def _enrol(client: Client, user: User) -> tuple[TOTPDevice, list[str]]:
    """Password, then the setup page with a code from the (computed) app; returns the device and codes."""
    password_login(client, user)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(SETUP, {"code": fresh_code(device)})
    assert response.status_code == 200
    return TOTPDevice.objects.get(user=user, confirmed=True), _codes_on_page(response)


def _sign_in_with_code(client: Client, user: User, code: str, next_url: str = PROFILE) -> Any:
    password_login(client, user, next_url=next_url)
    return client.post(VERIFY, {"code": code, "next": next_url})


def _wait_out_the_throttle(device: TOTPDevice) -> None:
    """Time travel: django-otp's pause after a wrong code (one second after the first) is over."""
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(minutes=2)
    )


def _is_verified(client: Client) -> bool:
    return DEVICE_ID_SESSION_KEY in client.session


# Required for PHI roles ---------------------------------------------------------------------------------------

def test_a_front_desk_user_without_an_authenticator_is_sent_to_set_one_up(client: Client, clerk: User) -> None:
    response = password_login(client, clerk, next_url=PROFILE)

    assert response.status_code == 302
    assert response["Location"] == f"{SETUP}?next=%2Faccounts%2Fprofile%2F"


@pytest.mark.parametrize("path", ["/", PROFILE, "/accounts/password/change/", "/settings/"])
def test_a_front_desk_user_cannot_reach_any_page_before_setting_up_mfa(
    client: Client, clerk: User, path: str
) -> None:
    password_login(client, clerk)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith(SETUP)
    assert client.post(reverse("accounts:keepalive")).status_code == 302


def test_a_role_without_phi_and_without_an_authenticator_goes_straight_in(client: Client, hr_person: User) -> None:
    response = password_login(client, hr_person, next_url=PROFILE)

    assert response["Location"] == PROFILE
    assert client.get(PROFILE).status_code == 200
    assert not _is_verified(client)


def test_a_half_signed_in_user_may_still_sign_out(client: Client, clerk: User) -> None:
    password_login(client, clerk)

    response = client.post(reverse("accounts:logout"))

    assert response["Location"] == reverse("accounts:login")
    assert AuditEvent.objects.filter(action="auth.logout", actor=clerk).exists()


# Setting up ---------------------------------------------------------------------------------------------------

def test_the_setup_page_draws_the_qr_code_as_inline_svg_and_shows_the_key(client: Client, clerk: User) -> None:
    password_login(client, clerk)

    response = client.get(SETUP)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<div class="qr"><svg role="img" aria-label=' in html
    assert "<script>" not in html
    assert " style=" not in html
    device = TOTPDevice.objects.get(user=clerk, confirmed=False)
    secret = b32encode(device.bin_key).decode().rstrip("=")
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in html
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


def test_reloading_the_setup_page_keeps_the_same_secret(client: Client, clerk: User) -> None:
    password_login(client, clerk)
    client.get(SETUP)
    first = TOTPDevice.objects.get(user=clerk, confirmed=False).key

    client.get(SETUP)

    assert TOTPDevice.objects.get(user=clerk, confirmed=False).key == first


def test_a_wrong_setup_code_is_refused_inline_and_audited(client: Client, clerk: User) -> None:
    password_login(client, clerk)
    client.get(SETUP)

    response = client.post(SETUP, {"code": "000000"})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_code_helptext id_code_error"' in html
    assert not TOTPDevice.objects.filter(user=clerk, confirmed=True).exists()
    assert AuditEvent.objects.filter(action="auth.mfa_failed", actor=clerk).count() == 1
    assert not _is_verified(client)


def test_confirming_the_setup_turns_mfa_on_and_shows_ten_recovery_codes_once(client: Client, clerk: User) -> None:
    password_login(client, clerk)
    old_key = client.session.session_key

    _device, codes = _enrol(client, clerk)

    assert len(set(codes)) == 10
    assert sorted(codes) == sorted(StaticToken.objects.filter(device__user=clerk).values_list("token", flat=True))
    assert _is_verified(client)
    assert client.session.session_key != old_key
    assert UserSession.objects.get(user=clerk).session_key == client.session.session_key
    assert AuditEvent.objects.filter(action="auth.mfa_enrolled", actor=clerk).count() == 1
    assert client.get(PROFILE).status_code == 200
    # The codes page is not a page one can come back to: the profile shows only how many are left.
    profile = client.get(PROFILE).content.decode()
    assert "10 recovery codes left" in profile
    assert all(code not in profile for code in codes)
    assert client.get(SETUP)["Location"] == PROFILE


def test_a_user_with_an_authenticator_cannot_replace_it_with_only_the_password(
    client: Client, clerk: User
) -> None:
    device = confirmed_totp(clerk)
    password_login(client, clerk)

    response = client.get(SETUP)

    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    assert list(TOTPDevice.objects.filter(user=clerk)) == [device]


# Signing in with a code ---------------------------------------------------------------------------------------

def test_a_user_with_an_authenticator_enters_a_code_after_the_password_and_goes_on(
    client: Client, clerk: User
) -> None:
    device = confirmed_totp(clerk)

    first = password_login(client, clerk, next_url=PROFILE)
    assert first["Location"] == f"{VERIFY}?next=%2Faccounts%2Fprofile%2F"
    assert client.get(PROFILE)["Location"].startswith(VERIFY)
    key_before_code = client.session.session_key

    response = client.post(VERIFY, {"code": fresh_code(device), "next": PROFILE})

    assert response.status_code == 302
    assert response["Location"] == PROFILE
    assert _is_verified(client)
    assert client.session.session_key != key_before_code
    assert client.get(PROFILE).status_code == 200
    assert AuditEvent.objects.filter(action="auth.mfa_verified", actor=clerk).count() == 1


def test_a_used_totp_code_cannot_be_replayed(client: Client, clerk: User) -> None:
    device = confirmed_totp(clerk)
    code = fresh_code(device)
    assert _sign_in_with_code(client, clerk, code)["Location"] == PROFILE
    client.post(reverse("accounts:logout"))

    other = Client()
    response = _sign_in_with_code(other, clerk, code)

    assert response.status_code == 200
    assert "was already used" in response.content.decode()
    assert not _is_verified(other)
    assert other.get(PROFILE)["Location"].startswith(VERIFY)
    assert AuditEvent.objects.filter(action="auth.mfa_failed", actor=clerk).count() == 1


def test_a_recovery_code_signs_in_once_and_is_then_used_up(client: Client, clerk: User) -> None:
    _device, codes = _enrol(client, clerk)
    client.post(reverse("accounts:logout"))

    response = _sign_in_with_code(client, clerk, codes[3].upper())

    assert response["Location"] == PROFILE
    assert _is_verified(client)
    assert StaticToken.objects.filter(device__user=clerk).count() == 9
    assert not StaticToken.objects.filter(token=codes[3]).exists()
    assert "9 left" in client.get(PROFILE).content.decode()
    assert AuditEvent.objects.filter(action="auth.recovery_code_used", actor=clerk).count() == 1
    client.post(reverse("accounts:logout"))

    again = _sign_in_with_code(client, clerk, codes[3])

    assert again.status_code == 200
    assert not _is_verified(client)


def test_guessing_codes_is_slowed_down_by_django_otp(client: Client, clerk: User) -> None:
    device = confirmed_totp(clerk)
    password_login(client, clerk)
    client.post(VERIFY, {"code": "123456"})
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    # As if four more wrong codes had followed, each after its wait: the next wait is 16 seconds.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=5)

    response = client.post(VERIFY, {"code": fresh_code(device)})

    assert response.status_code == 200
    assert "Too many wrong codes" in response.content.decode()
    assert not _is_verified(client)
    assert AuditEvent.objects.filter(action="auth.mfa_failed", actor=clerk).count() == 2

    # Once the wait is over the right code works.
    _wait_out_the_throttle(device)
    assert client.post(VERIFY, {"code": fresh_code(device)})["Location"] == "/"


def test_the_verify_page_sends_a_user_without_an_authenticator_onward(client: Client, clerk: User,
                                                                       hr_person: User) -> None:
    password_login(client, clerk)
    assert client.get(VERIFY)["Location"].startswith(SETUP)

    other = Client()
    password_login(other, hr_person)
    assert other.get(VERIFY)["Location"] == "/"


# Profile ------------------------------------------------------------------------------------------------------

def test_new_recovery_codes_need_a_current_code_and_replace_the_old_ones(client: Client, clerk: User) -> None:
    device, old_codes = _enrol(client, clerk)
    url = reverse("accounts:recovery_codes_regenerate")

    refused = client.post(url, {"code": "999999"})
    assert refused.status_code == 400
    assert 'aria-invalid="true"' in refused.content.decode()
    assert sorted(StaticToken.objects.values_list("token", flat=True)) == sorted(old_codes)
    _wait_out_the_throttle(device)

    response = client.post(url, {"code": fresh_code(device)})

    new_codes = _codes_on_page(response)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert len(new_codes) == 10
    assert sorted(StaticToken.objects.values_list("token", flat=True)) == sorted(new_codes)
    assert not set(new_codes) & set(old_codes)
    assert AuditEvent.objects.filter(action="auth.recovery_codes_generated", actor=clerk).count() == 1


def test_a_phi_role_cannot_remove_its_authenticator(client: Client, clerk: User) -> None:
    device, _codes = _enrol(client, clerk)
    assert "Remove authenticator" not in client.get(PROFILE).content.decode()

    response = client.post(reverse("accounts:mfa_remove"), {"code": fresh_code(device)})

    assert response.status_code == 400
    assert TOTPDevice.objects.filter(user=clerk, confirmed=True).exists()
    assert StaticToken.objects.filter(device__user=clerk).count() == 10
    assert not AuditEvent.objects.filter(action="auth.mfa_removed").exists()


def test_a_role_without_phi_may_remove_its_authenticator_with_a_current_code(
    client: Client, hr_person: User
) -> None:
    password_login(client, hr_person)
    response = client.get(SETUP)
    assert response.status_code == 200
    device = TOTPDevice.objects.get(user=hr_person)
    client.post(SETUP, {"code": fresh_code(device)})
    assert _is_verified(client)

    wrong = client.post(reverse("accounts:mfa_remove"), {"code": "111111"})
    assert wrong.status_code == 400
    assert TOTPDevice.objects.filter(user=hr_person).exists()
    _wait_out_the_throttle(device)

    response = client.post(reverse("accounts:mfa_remove"), {"code": fresh_code(device)})

    assert response["Location"] == PROFILE
    assert not TOTPDevice.objects.filter(user=hr_person).exists()
    assert not StaticDevice.objects.filter(user=hr_person).exists()
    assert AuditEvent.objects.filter(action="auth.mfa_removed", actor=hr_person).count() == 1
    assert client.get(PROFILE).status_code == 200


def test_profile_changes_to_mfa_need_the_second_factor_first(client: Client, clerk: User) -> None:
    device = confirmed_totp(clerk)
    password_login(client, clerk)

    response = client.post(reverse("accounts:recovery_codes_regenerate"), {"code": fresh_code(device)})

    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    assert not StaticToken.objects.filter(device__user=clerk).exists()
