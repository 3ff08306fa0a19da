"""The role dashboards in a real browser, on the demo practice: each role's manager signs in, opens the dashboards
index, follows the link to their dashboard and finds its KPI tiles (with a status against the practice's targets)
and server-drawn SVG charts. A full-page screenshot of each dashboard is saved on every run, as the issue asks:
test-artifacts/dashboards/<role>.png."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from live_app import ARTIFACTS, DemoUser, LiveApp
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

SCREENSHOTS = ARTIFACTS / "dashboards"

# (file name, demo role, tier, the dashboard's link text on the index, its heading, a panel it must show)
DASHBOARDS = [
    ("practice_manager", "practice_manager", "senior", "Practice", "Practice dashboard", "Accounts receivable"),
    ("office_manager", "office_manager", "experienced", "Office", "Office dashboard", "Today's schedule"),
    ("biller", "biller", None, "Billing", "Billing dashboard", "Claims by status"),
    ("hr", "hr", None, "Human resources", "Human resources dashboard", "Hiring pipeline"),
    ("privacy_officer", "privacy_officer", None, "Privacy and compliance", "Privacy and compliance dashboard",
     "Incidents and breach clocks"),
]


@pytest.mark.parametrize(("name", "role", "tier", "link", "heading", "panel"), DASHBOARDS,
                         ids=[row[0] for row in DASHBOARDS])
def test_each_role_opens_its_dashboard_and_sees_charts(
    page: Page, live_app: LiveApp, sign_in: Callable[[Page, DemoUser], None], name: str, role: str,
    tier: str | None, link: str, heading: str, panel: str,
) -> None:
    sign_in(page, live_app.user(role, tier))
    page.goto("/dashboards/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboards")
    page.locator("main .cards").get_by_role("link", name=re.compile(f"^{re.escape(link)}\\b")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.get_by_role("heading", level=2, name=panel)).to_be_visible()
    chart = page.locator("svg.chart").first
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None
    assert box["width"] > 200
    # Drawn to scale, not squashed: the height follows the width as the viewBox says. (A chart's own height depends
    # on the day's data -- one location open on a Saturday is a one-row chart -- so no fixed floor here.)
    _x, _y, view_width, view_height = (float(part) for part in (chart.get_attribute("viewBox") or "").split())
    assert box["height"] > 30
    assert box["height"] == pytest.approx(box["width"] * view_height / view_width, abs=1.5)
    # Each chart names itself for assistive technology.
    label = chart.get_attribute("aria-labelledby") or ""
    assert label.endswith("-desc")
    expect(page.locator(f"#{label.split()[0]}")).not_to_be_empty()
    # The KPI tiles say where each stands against the demo targets.
    tiles = page.locator(".kpi-tile")
    expect(tiles.first).to_be_visible()
    assert tiles.count() >= 2
    statuses = " ".join(page.locator(".kpi-status .badge").all_inner_texts())
    assert any(word in statuses for word in ("On target", "Close to target", "Off target"))
    # The period filter works without JavaScript: a plain GET form.
    page.get_by_label("Period", exact=True).select_option(label="This year")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"[?&]period=year"))
    expect(page.locator("svg.chart").first).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    assert (SCREENSHOTS / f"{name}.png").stat().st_size > 10_000
