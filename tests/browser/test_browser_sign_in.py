"""Signing in as a person does it: username and password, then the code from the authenticator app."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from live_app import DemoUser, LiveApp
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("role", "tier"), [("practice_manager", "senior"), ("administrator", None)])
def test_a_demo_user_signs_in_with_password_and_code_and_lands_on_the_home_page(
    page: Page, live_app: LiveApp, sign_in: Callable[[Page, DemoUser], None], role: str, tier: str | None
) -> None:
    user = live_app.user(role, tier)
    sign_in(page, user)
    expect(page).to_have_url(f"{live_app.url}/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    # The top bar names who is signed in, and the menu offers only what the role may use.
    expect(page.locator(".topbar")).to_contain_text(user.raw.get("name") or user.username)
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def test_a_wrong_code_is_refused_and_the_person_stays_on_the_code_page(
    page: Page, live_app: LiveApp, sign_in: Callable[[Page, DemoUser], None]
) -> None:
    user = live_app.user("auditor")
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/accounts/mfa/verify/"))
    right = live_app.totp.code(user.username, user.totp_secret)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    page.get_by_label("Authentication code").fill(wrong)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/accounts/mfa/verify/"))
    expect(page.get_by_label("Authentication code")).to_have_attribute("aria-invalid", "true")
    # Leaving the code page for the home page sends the half-signed-in person straight back.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/mfa/verify/"))


def test_a_wrong_password_does_not_say_which_half_was_wrong(page: Page, live_app: LiveApp) -> None:
    user = live_app.user("front_desk")
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(user.password + "-not")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("alert")).to_contain_text("username or password")
