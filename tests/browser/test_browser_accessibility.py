"""axe-core on the pages everyone sees first: no serious or critical accessibility violations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from live_app import DemoUser, LiveApp
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

_BLOCKING = {"serious", "critical"}


def blocking_violations(page: Page) -> list[dict[str, Any]]:
    results = Axe().run(page)
    assert results.response["testEngine"]["name"] == "axe-core"  # axe really ran in the page
    return [violation for violation in results.response["violations"] if violation.get("impact") in _BLOCKING]


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — {', '.join(str(n['target']) for n in v['nodes'][:5])}"
        for v in violations
    )


def test_the_login_page_has_no_serious_accessibility_violations(page: Page) -> None:
    page.goto("/accounts/login/")
    violations = blocking_violations(page)
    assert violations == [], describe(violations)


def test_the_home_page_has_no_serious_accessibility_violations(
    page: Page, live_app: LiveApp, sign_in: Callable[[Page, DemoUser], None]
) -> None:
    sign_in(page, live_app.user("practice_manager", "senior"))
    violations = blocking_violations(page)
    assert violations == [], describe(violations)
