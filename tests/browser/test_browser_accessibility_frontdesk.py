"""axe-core on the front desk hub's pages, as the receptionist and the office manager see them: no serious or
critical violations (one sign-in each, every page checked before the verdict)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from live_app import DemoUser, LiveApp
from playwright.sync_api import Page, expect
from test_billing import sign_out
from test_browser_accessibility_front_office import AxeReport

pytestmark = pytest.mark.browser


def test_the_front_desk_hub_pages_have_no_serious_accessibility_violations(
    page: Page, live_app: LiveApp, sign_in: Callable[[Page, DemoUser], None]
) -> None:
    sign_in(page, live_app.user("front_desk"))
    report = AxeReport(page)

    page.goto("/frontdesk/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    report.check("messages, mine")
    page.goto("/frontdesk/?tab=all")
    report.check("messages, all")
    page.locator("table a[href*='/frontdesk/messages/']").first.click()
    expect(page.locator("#timeline")).to_be_visible()
    report.check("a message")
    page.goto("/frontdesk/calls/new/")
    report.check("log a call")
    page.get_by_role("button", name="Log the call").click()  # empty: the required fields in error
    expect(page.locator(".field-has-error").first).to_be_visible()
    report.check("log a call, with errors")
    for path, name in (("/frontdesk/internal/new/", "message a colleague"), ("/frontdesk/callbacks/", "callbacks"),
                       ("/frontdesk/directory/", "staff directory")):
        page.goto(path)
        report.check(name)
    sign_out(page)

    sign_in(page, live_app.user("office_manager", "experienced"))
    for path, name in (("/frontdesk/rules/", "routing rules"), ("/frontdesk/rules/new/", "new rule"),
                       ("/frontdesk/queues/", "queues"), ("/frontdesk/templates/", "reply templates"),
                       ("/frontdesk/mailboxes/", "mailboxes"), ("/frontdesk/reports/", "report")):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        report.check(name)
    sign_out(page)

    page.goto("/contact/")
    report.check("public contact form")
    report.assert_clean()
