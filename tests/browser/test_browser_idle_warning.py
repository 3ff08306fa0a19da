"""The idle warning in a real browser: it appears when the server's session is really about to end, "Stay
signed in" keeps the session, and a tab left alone while the person works in another tab stays signed in.

The page's timers run on Playwright's fake clock (page.clock), so minutes pass in an instant; the server keeps
real time, and its idle clock is moved by rewriting the session row through `openpractice shell`."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from live_app import DemoUser, LiveApp
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

REMAINING = re.compile(r"/accounts/session/remaining/$")


def signed_in_on_fake_clock(page: Page, live_app: LiveApp, sign_in: Callable[[Page, DemoUser], None],
                            role: str) -> int:
    """Sign in, then reload the home page with the page's clock under the test's control; the idle limit."""
    sign_in(page, live_app.user(role))
    page.clock.install()
    page.goto("/")
    timeout = int(page.locator("body").get_attribute("data-idle-timeout") or "0")
    assert timeout >= 120
    return timeout


def server_idle_for(page: Page, live_app: LiveApp, seconds: int) -> None:
    """Make the server believe this browser's session has been idle for `seconds`."""
    key = next(cookie["value"] for cookie in page.context.cookies() if cookie["name"] == "op_session")
    live_app.manage("shell", "-c", (
        "import time; from django.contrib.sessions.backends.db import SessionStore; "
        f"store = SessionStore({key!r}); store['op_last_seen'] = time.time() - {seconds}; store.save()"
    ))


def seconds_left_on_server(page: Page) -> int:
    """Ask as the warning does: in the background, so asking is not activity."""
    data: dict[str, Any] = page.evaluate(
        """url => fetch(url, {headers: {"X-OP-Background": "1"}}).then(r => r.json())""",
        "/accounts/session/remaining/",
    )
    return int(data["seconds_left"])


def test_the_warning_appears_before_the_server_ends_the_session_and_stay_signed_in_keeps_it(
    page: Page, live_app: LiveApp, sign_in: Callable[[Page, DemoUser], None]
) -> None:
    timeout = signed_in_on_fake_clock(page, live_app, sign_in, "biller")
    server_idle_for(page, live_app, timeout - 45)
    dialog = page.get_by_role("dialog", name="Are you still there?")
    expect(dialog).to_be_hidden()

    with page.expect_response(REMAINING):
        page.clock.fast_forward((timeout - 50) * 1000)
    expect(dialog).to_be_visible()
    # The countdown follows the server's clock (about 45 seconds left), not this tab's.
    assert 20 <= int(dialog.locator("[data-idle-countdown]").inner_text()) <= 46

    # The keep-alive POST carries the CSRF token from the page (the cookie is HttpOnly: scripts cannot read it).
    with page.expect_response(re.compile(r"/accounts/keepalive/$")) as keepalive:
        dialog.get_by_role("button", name="Stay signed in").click()
    assert keepalive.value.status == 204
    expect(dialog).to_be_hidden()
    assert seconds_left_on_server(page) >= timeout - 10

    # The old deadline passes in this tab without a sign-out: the timer started again from the click.
    page.clock.fast_forward(120_000)
    expect(dialog).to_be_hidden()
    expect(page).to_have_url(f"{live_app.url}/")


def test_a_tab_left_alone_stays_signed_in_while_the_person_works_in_another_tab(
    page: Page, live_app: LiveApp, sign_in: Callable[[Page, DemoUser], None]
) -> None:
    timeout = signed_in_on_fake_clock(page, live_app, sign_in, "hr")
    other_tab = page.context.new_page()
    other_tab.goto("/accounts/profile/")  # activity in the same session, elsewhere

    # This tab's own timer runs out; it asks the server, which has the whole limit left, and carries on.
    with page.expect_response(REMAINING) as asked:
        page.clock.fast_forward((timeout + 5) * 1000)
    assert asked.value.json()["seconds_left"] > 60
    dialog = page.get_by_role("dialog", name="Are you still there?")
    expect(dialog).to_be_hidden()
    expect(page).to_have_url(f"{live_app.url}/")
    # Asking did not count as activity, and the session is still alive in both tabs.
    page.reload()
    expect(page).to_have_url(f"{live_app.url}/")
    other_tab.reload()
    expect(other_tab).to_have_url(re.compile(r"/accounts/profile/$"))


def test_a_tab_signs_out_when_the_server_says_the_session_has_ended(
    page: Page, live_app: LiveApp, sign_in: Callable[[Page, DemoUser], None]
) -> None:
    timeout = signed_in_on_fake_clock(page, live_app, sign_in, "clinical_staff")
    server_idle_for(page, live_app, timeout + 30)
    page.clock.fast_forward((timeout + 5) * 1000)
    expect(page).to_have_url(re.compile(r"/accounts/login/\?expired=idle"))
