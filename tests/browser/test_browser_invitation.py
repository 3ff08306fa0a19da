"""The administrator invites a new colleague; the invitation arrives by real SMTP; the colleague opens the link,
chooses a password and sets up MFA; the auditor then finds the invitation in the audit trail."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from live_app import DemoUser, LiveApp, message_text
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Riverbend-Front-Desk-2024!"


def test_an_invited_colleague_sets_a_password_and_the_auditor_sees_the_invitation(
    page: Page,
    browser: Browser,
    live_app: LiveApp,
    sign_in: Callable[[Page, DemoUser], None],
) -> None:
    administrator = live_app.user("administrator")
    sign_in(page, administrator)

    # The administrator fills in the invitation form.
    page.goto("/accounts/users/invite/")
    expect(page.get_by_role("heading", name="Invite someone")).to_be_visible()
    page.get_by_label("First name").fill("Morgan")
    page.get_by_label("Last name").fill("Ellery")
    page.get_by_label("Email").fill("morgan.ellery@riverbend.example")
    page.get_by_label("Username").fill("mellery")
    page.get_by_label("Job title").fill("Front desk associate")
    first_role = page.get_by_role("group", name="Role 1")
    first_role.get_by_label("Role and tier").select_option(label="Front desk")
    first_role.get_by_label("All locations").check()
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text("Morgan Ellery was invited")

    # The mail went out over SMTP, with a link back to this server.
    mail = live_app.mailbox.wait_for("morgan.ellery@riverbend.example")
    links = re.findall(rf"{re.escape(live_app.url)}/accounts/invitation/[^\s\"'<>]+", message_text(mail))
    assert links, message_text(mail)

    # Morgan opens it in her own browser and chooses a password.
    invitee = browser.new_context(base_url=live_app.url)
    try:
        invited = invitee.new_page()
        invited.goto(links[0])
        expect(invited.get_by_role("heading", name="Choose your password")).to_be_visible()
        invited.get_by_label("New password").fill(NEW_PASSWORD)
        invited.get_by_label("Repeat the password").fill(NEW_PASSWORD)
        invited.get_by_role("button", name="Set password").click()
        expect(invited).to_have_url(re.compile(r"/accounts/login/"))

        # Their role sees patients' demographics, so her first sign-in sets up the authenticator.
        invited.get_by_label("Username").fill("mellery")
        invited.get_by_label("Password").fill(NEW_PASSWORD)
        invited.get_by_role("button", name="Sign in").click()
        expect(invited).to_have_url(re.compile(r"/accounts/mfa/setup/"))
        secret = invited.locator("#totp-secret").inner_text().strip()
        invited.get_by_role("textbox", name=re.compile("code", re.IGNORECASE)).fill(
            live_app.totp.code("mellery", secret)
        )
        invited.get_by_role("button", name="Turn on").click()
        expect(invited.get_by_role("heading", name="Your recovery codes")).to_be_visible()
        invited.get_by_role("link", name="I have saved them, continue").click()
        expect(invited).to_have_url(f"{live_app.url}/")
        expect(invited.locator(".topbar")).to_contain_text("Morgan Ellery")
    finally:
        invitee.close()

    # The auditor, in a third browser, finds the invitation in the audit trail.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_app.user("auditor"))
    page.goto("/audit/")
    page.get_by_label("Action").fill("user.invited")
    page.get_by_role("button", name="Filter").click()
    row = page.locator("#results tbody tr").filter(has_text="user.invited")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(administrator.username)
    expect(row).to_contain_text("Allowed")
    accepted = page.goto("/audit/?action=invitation.accepted")
    assert accepted is not None
    assert accepted.ok
    expect(page.locator("#results tbody tr").filter(has_text="invitation.accepted")).to_have_count(1)
