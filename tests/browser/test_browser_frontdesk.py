"""The front desk hub, in a real browser. The receptionist logs a call from a patient who wants to move an
appointment; the demo's routing rules send it to the Scheduling queue (or the after-hours one when the location is
closed); the receptionist opens it, answers by email
from a template, and the mail reaches the caller at the local SMTP server, tagged with the message's number and
recorded on the message's timeline."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from live_app import DemoUser, LiveApp, message_text
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

CALLER = "Browser Caller"
EMAIL = "browser.caller@example.com"


def test_a_logged_call_is_routed_to_its_queue_and_answered_by_email(
    page: Page, live_app: LiveApp, sign_in: Callable[[Page, DemoUser], None]
) -> None:
    desk = live_app.user("front_desk")
    sign_in(page, desk)

    page.goto("/frontdesk/calls/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log a call")
    page.get_by_label("Caller's name").fill(CALLER)
    page.get_by_label("Caller's number").fill("(919) 555-0199")
    page.get_by_label("Caller's email").fill(EMAIL)
    page.get_by_label("Reason for the call").select_option(value="appointment")
    page.locator("#id_body").fill("Needs to reschedule Thursday's appointment to Friday morning.")
    location = page.locator("#id_location")
    if location.locator("option:checked").get_attribute("value") in (None, ""):
        location.select_option(index=1)
    page.get_by_role("button", name="Log the call").click()

    logged = page.locator("#logged-title")
    expect(logged).to_contain_text("Logged as MSG-")
    number = re.search(r"MSG-\d+", logged.inner_text())
    assert number is not None
    # The demo's rules: calls while the location is closed go to "After hours" (first rule), else the words of
    # the message send it to Scheduling. Which one applies depends on when the test runs.
    expect(page.locator("main")).to_contain_text(re.compile(r"It went to the queue (Scheduling|After hours)"))

    page.get_by_role("link", name="Open the message").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(number.group(0))
    reply = page.locator("form[action$='/reply/']")
    reply.locator("select[name=template]").select_option(label="Appointment confirmed")
    # htmx fills the reply from the template, placeholders and all
    expect(reply.locator("textarea[name=body]")).to_have_value(re.compile("Your appointment is confirmed"))
    page.get_by_role("button", name="Send the reply").click()
    expect(page.locator("#timeline")).to_contain_text("Reply sent")

    mail = live_app.mailbox.wait_for(EMAIL, subject_contains=number.group(0))
    text = message_text(mail)
    assert "Your appointment is confirmed" in text
    assert "Dear Browser," in text, "the placeholder is filled with the caller's first name"
    assert mail["Message-ID"], "the reply carries a Message-ID, so the caller's answer threads back"
