"""Fixtures for browser tests: one real app server per session (see live_app.py), headless Chromium, a
signed-in page per demo user, and a screenshot plus the page's HTML in test-artifacts/ when a test fails.

Not pytest-django's live_server: its teardown empties tables with TRUNCATE, which the audit table's
PostgreSQL trigger refuses (as it should). The app runs in its own process on its own database instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from live_app import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, DEMO_COMMAND, ROOT, DemoUser, LiveApp
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    """Keep each phase's report on the test item, so fixtures can tell in teardown whether it failed."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def live_app() -> Iterator[LiveApp]:
    if not DEMO_COMMAND.exists():
        pytest.fail(f"browser tests need `openpractice demo --json` ({DEMO_COMMAND.relative_to(ROOT)})")
    ARTIFACTS.mkdir(exist_ok=True)
    app = LiveApp(log_path=ARTIFACTS / "browser-server.log")
    app.log_path.write_text("")
    with app:
        yield app


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_session: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"browser tests need Debian's chromium at {CHROMIUM} (make browser-deps)")
    browser = playwright_session.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser, live_app: LiveApp) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=live_app.url, viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(15_000)
    yield context
    context.close()


def _artifact_name(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::", 1)[-1])[:120]


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    page = context.new_page()
    yield page
    failed = any(getattr(getattr(request.node, f"report_{when}", None), "failed", False) for when in ("setup", "call"))
    if failed:
        name = _artifact_name(request.node.nodeid)
        ARTIFACTS.mkdir(exist_ok=True)
        for open_page in context.pages:
            suffix = "" if open_page is page else f"-{context.pages.index(open_page)}"
            try:
                open_page.screenshot(path=str(ARTIFACTS / f"{name}{suffix}.png"), full_page=True)
                (ARTIFACTS / f"{name}{suffix}.html").write_text(open_page.content())
            except Exception as exc:  # noqa: BLE001 - a failed capture must not hide the test's own failure
                (ARTIFACTS / f"{name}{suffix}.capture-error.txt").write_text(repr(exc))


@pytest.fixture
def sign_in(live_app: LiveApp) -> Callable[[Page, DemoUser], None]:
    """sign_in(page, user): password, then the authenticator code, as a person types them."""

    def do(page: Page, user: DemoUser) -> None:
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(user.password)
        page.get_by_role("button", name="Sign in").click()
        if user.totp_secret:
            expect(page).to_have_url(re.compile(r"/accounts/mfa/verify/"))
            page.get_by_label("Authentication code").fill(live_app.totp.code(user.username, user.totp_secret))
            page.get_by_role("button", name="Continue").click()
        expect(page).not_to_have_url(re.compile(r"/accounts/(login|mfa)/"))

    return do
