"""axe-core on the front office's pages, as the people who use them see them: no serious or critical
violations. Each test signs in once and walks its pages, so one run reports every page that fails, not just
the first."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from live_app import DemoUser, LiveApp
from playwright.sync_api import Page, expect
from test_browser_accessibility import blocking_violations, describe

pytestmark = pytest.mark.browser


class AxeReport:
    """The blocking violations found on each page visited, keyed by a name for the page."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.by_page: dict[str, list[dict[str, Any]]] = {}

    def check(self, name: str) -> None:
        expect(self.page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)
        self.by_page[name] = blocking_violations(self.page)

    def assert_clean(self) -> None:
        failing = {name: violations for name, violations in self.by_page.items() if violations}
        assert not failing, "\n\n".join(f"{name}:\n{describe(v)}" for name, v in failing.items())


def test_the_front_desk_pages_have_no_serious_accessibility_violations(
    page: Page, live_app: LiveApp, sign_in: Callable[[Page, DemoUser], None]
) -> None:
    sign_in(page, live_app.user("front_desk"))
    report = AxeReport(page)

    # The patient list with a search that finds people, then one of them.
    page.goto("/patients/?q=smith")
    results = page.locator("table.data tbody a[href^='/patients/']")
    expect(results.first).to_be_visible()
    report.check("patient list, searched")
    results.first.click()
    expect(page.locator("section", has=page.get_by_role("heading", name="Demographics"))).to_be_visible()
    report.check("patient record")

    page.goto("/patients/new/")
    expect(page.get_by_role("heading", name="Register patient")).to_be_visible()
    report.check("registration form")
    page.get_by_role("button", name="Register patient").click()  # empty: every required field in error
    expect(page.locator(".field-has-error").first).to_be_visible()
    report.check("registration form with errors")

    page.goto("/schedule/")
    expect(page.locator("#day-grid .day-title")).to_be_visible()
    report.check("schedule, day view")

    page.goto("/schedule/week/")
    appointments = page.locator("#week-grid a.appt")
    expect(appointments.first).to_be_visible()
    report.check("schedule, week view")
    # Last week (paged with htmx) is all past: it has cancelled and no-show visits, which are drawn differently.
    title = page.locator("#week-grid .day-title").inner_text()
    page.locator("#week-grid").get_by_role("link", name="Previous week").click()
    expect(page.locator("#week-grid .day-title")).not_to_have_text(title)
    expect(page.locator("#week-grid a.appt-cancelled, #week-grid a.appt-no_show").first).to_be_visible()
    report.check("schedule, last week's view")
    appointments.first.click()
    expect(page).to_have_url(re.compile(r"/schedule/appointments/\d+/$"))
    expect(page.locator("section", has=page.get_by_role("heading", name="Visit"))).to_be_visible()
    report.check("appointment")
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Schedule").click()
    expect(page.locator("#day-grid a.appt").first).to_be_visible()
    report.check("schedule, day view of that appointment's day")

    page.goto("/schedule/book/")
    expect(page.get_by_role("heading", name="Book appointment")).to_be_visible()
    report.check("booking page")
    page.get_by_label("Find by name, date of birth, phone or account number").fill("smith")
    page.get_by_role("button", name="Find", exact=True).click()
    page.get_by_role("link", name=re.compile(r"^Smith, ")).first.click()
    expect(page.get_by_text("Booking for")).to_be_visible()
    page.get_by_role("button", name="Find free slots").click()
    expect(page.get_by_role("heading", name="Next free slots")).to_be_visible()
    report.check("booking page with a patient and free slots")

    report.assert_clean()


def test_the_payer_list_has_no_serious_accessibility_violations_for_the_biller(
    page: Page, live_app: LiveApp, sign_in: Callable[[Page, DemoUser], None]
) -> None:
    sign_in(page, live_app.user("biller"))
    report = AxeReport(page)
    page.goto("/patients/payers/")
    expect(page.locator("table.data tbody tr").first).to_be_visible()
    report.check("payer list")
    report.assert_clean()


def test_the_audit_viewer_has_no_serious_accessibility_violations_for_the_auditor(
    page: Page, live_app: LiveApp, sign_in: Callable[[Page, DemoUser], None]
) -> None:
    sign_in(page, live_app.user("auditor"))
    report = AxeReport(page)
    page.goto("/audit/")
    expect(page.locator("table.data tbody tr").first).to_be_visible()
    report.check("audit viewer")
    report.assert_clean()
