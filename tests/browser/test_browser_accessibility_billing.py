"""axe-core on the billing office's main pages, as the biller sees them with the demo practice's data: no serious
or critical violations. One sign-in walks every page, so one run reports every page that fails."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from live_app import DemoUser, LiveApp
from playwright.sync_api import Page, expect
from test_browser_accessibility_front_office import AxeReport

pytestmark = pytest.mark.browser


def test_the_billing_pages_have_no_serious_accessibility_violations_for_the_biller(
    page: Page, live_app: LiveApp, sign_in: Callable[[Page, DemoUser], None]
) -> None:
    sign_in(page, live_app.user("biller"))
    report = AxeReport(page)

    # The worklists, with the demo's claims held by the scrubber; one of them, with what to fix.
    page.goto("/billing/")
    held = page.locator("section", has=page.get_by_role("heading", name=re.compile("^Held by the scrubber")))
    expect(held.locator("tbody a").first).to_be_visible()
    report.check("worklists")
    held.locator("tbody a").first.click()
    expect(page.get_by_role("heading", name="What the scrubber found")).to_be_visible()
    report.check("claim held by the scrubber")

    # The charge behind it, with its diagnosis and line editors.
    page.locator(".breadcrumbs").get_by_role("link", name="Charge").click()
    expect(page.get_by_role("heading", name="Procedure lines")).to_be_visible()
    report.check("charge")

    page.goto("/billing/charges/")
    expect(page.locator("#charge-table tbody tr").first).to_be_visible()
    report.check("charge list")

    page.goto("/billing/claims/")
    expect(page.locator("#claim-table tbody tr").first).to_be_visible()
    report.check("claim list")

    # The demo's batch sent to the drop directory, and the list it is on.
    page.goto("/billing/batches/")
    batches = page.locator("#batch-table tbody a")
    expect(batches.first).to_be_visible()
    report.check("batch list")
    batches.first.click()
    expect(page.get_by_role("heading", name="Submission log")).to_be_visible()
    report.check("batch")

    # The forms of the flow: a scrubber rule explained as it is typed (htmx), and building a batch.
    page.goto("/billing/rules/new/")
    page.get_by_label(re.compile(r"^Procedure code \(CPT/HCPCS\)")).fill("99213")
    expect(page.locator("#rule-explanation")).to_contain_text("with code 99213")
    report.check("scrubber rule form, explained")
    page.goto("/billing/batches/new/")
    expect(page.get_by_role("heading", name="Build a batch")).to_be_visible()
    report.check("build a batch")

    report.assert_clean()
