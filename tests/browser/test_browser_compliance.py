"""Compliance, in a real browser. A policy goes from draft to force with four eyes: the privacy officer writes it and
sends it for review (and cannot approve her own version), the senior practice manager approves it, the privacy
officer publishes it and asks the billers to acknowledge it; the biller is emailed, finds it under "My policies",
attests, and the campaign shows 100%. An incident goes from a front-desk report to a breach: the privacy officer
assesses the four factors, determines a breach of 12 North Carolina residents, and the notices appear with their
dates (individuals 60 days after discovery, HHS's annual log 60 days after the end of that year)."""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Callable
from email.message import EmailMessage

import pytest
from django.utils.formats import date_format
from live_app import DemoUser, LiveApp, message_text
from playwright.sync_api import Page, expect
from test_billing import sign_out
from test_front_office import field, flash

pytestmark = pytest.mark.browser


def status_badge(page: Page) -> str:
    return page.locator(".page-header .badge").first.inner_text().strip()


def shown(day: dt.date) -> str:
    """A date as the app's pages print one (Django's DATE_FORMAT for en-us, e.g. "Aug. 1, 2025")."""
    return date_format(day)


def mail_about(live_app: LiveApp, to: str, subject_part: str, timeout: float = 20.0) -> EmailMessage:
    """The message to `to` whose subject names `subject_part` (the demo has mailed the same person before)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in list(live_app.mailbox.messages):
            if to.lower() in str(message.get("To", "")).lower() and subject_part in str(message.get("Subject", "")):
                return message
        time.sleep(0.3)
    raise TimeoutError(f"no mail to {to} about {subject_part!r} within {timeout:.0f}s")


def test_a_policy_is_written_approved_by_another_manager_published_and_acknowledged_by_the_biller(
    page: Page, live_app: LiveApp, sign_in: Callable[[Page, DemoUser], None]
) -> None:
    privacy = live_app.user("privacy_officer")
    senior = live_app.user("practice_manager", "senior")
    biller = live_app.user("biller")
    title = f"Claim corrections and voids {secrets.token_hex(3)}"
    effective = dt.date.today() + dt.timedelta(days=1)

    # The privacy officer writes the policy; a script in the text does not survive the save.
    sign_in(page, privacy)
    page.goto("/compliance/policies/new/")
    field(page, "Title").fill(title)
    field(page, "Category").select_option(label="Billing and coding compliance")
    field(page, "Review every (months)").fill("12")
    field(page, "Text").fill("<h2>Policy</h2><p>Corrected claims go out as frequency 7, voids as 8, each with "
                             "the original claim number.</p><script>alert('x')</script>")
    field(page, "Effective date").fill(effective.isoformat())
    page.get_by_role("button", name="Save", exact=True).click()
    flash(page, f"Policy “{title}” created with a first draft.")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    page.get_by_role("link", name="Version 1 in progress", exact=True).click()
    expect(page.locator(".policy-text")).to_contain_text("frequency 7")
    expect(page.locator(".policy-text script")).to_have_count(0)
    version_url = page.url
    page.get_by_role("button", name="Send for review", exact=True).click()
    flash(page, "Sent for review.")
    assert status_badge(page) == "In review"
    # Four eyes: the author is not offered the approval.
    expect(page.get_by_role("button", name="Approve", exact=True)).to_have_count(0)
    expect(page.get_by_text("Someone other than the author must approve this version.")).to_be_visible()
    sign_out(page)

    # The senior practice manager approves it.
    sign_in(page, senior)
    page.goto(version_url)
    page.get_by_role("button", name="Approve", exact=True).click()
    flash(page, "Version approved.")
    assert status_badge(page) == "Approved"
    expect(page.locator("dl.details")).to_contain_text("Whitfield")
    sign_out(page)

    # The privacy officer publishes it and asks the billers (one demo user) to acknowledge it.
    sign_in(page, privacy)
    page.goto(version_url)
    page.get_by_role("button", name="Publish", exact=True).click()
    flash(page, "Version published")
    assert status_badge(page) == "Published"
    page.get_by_role("link", name="Ask for acknowledgement", exact=True).click()
    page.get_by_role("radio", name="People with these roles").check()
    page.get_by_role("checkbox", name="Biller / coder").check()
    field(page, "Acknowledge by").fill((dt.date.today() + dt.timedelta(days=14)).isoformat())
    page.get_by_role("button", name="Start the campaign", exact=True).click()
    flash(page, "Campaign started: 1 person(s) asked.")
    expect(page.locator("dl.details")).to_contain_text("0 of 1 acknowledged (0%)")
    campaign_url = page.url
    sign_out(page)

    # The biller is emailed; "My policies" lists the request; he reads it and attests.
    notice = mail_about(live_app, biller.email, title)
    assert "/compliance/policies/requests/" in message_text(notice)
    sign_in(page, biller)
    page.get_by_role("link", name="My policies").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My policies")
    to_acknowledge = page.locator("section", has=page.get_by_role("heading", name="To acknowledge"))
    to_acknowledge.get_by_role("link", name=title).click()
    expect(page.locator(".policy-text")).to_contain_text("frequency 7")
    expect(page.get_by_text("I have read and understood this policy and will follow it.")).to_be_visible()
    page.get_by_role("button", name="Acknowledge", exact=True).click()
    expect(page.locator("form.form")).to_contain_text("Tick the box")  # not without the attestation
    page.get_by_label("I confirm the statement above.").check()
    page.get_by_role("button", name="Acknowledge", exact=True).click()
    flash(page, "Thank you: your acknowledgement is recorded.")
    expect(to_acknowledge.get_by_role("link", name=title)).to_have_count(0)
    done = page.locator("section", has=page.get_by_role("heading", name="Done or replaced"))
    expect(done.get_by_role("link", name=title)).to_be_visible()
    sign_out(page)

    # The privacy officer sees everyone asked has acknowledged.
    sign_in(page, privacy)
    page.goto(campaign_url)
    expect(page.locator("dl.details")).to_contain_text("1 of 1 acknowledged (100%)")
    people = page.locator("section", has=page.get_by_role("heading", name="People asked"))
    expect(people.locator("tbody tr")).to_have_count(1)
    expect(people.locator("tbody tr")).to_contain_text("Carter")
    expect(people.locator("tbody tr")).not_to_contain_text("Overdue")


def test_a_reported_incident_is_assessed_and_determined_a_breach_with_its_notification_deadlines(
    page: Page, live_app: LiveApp, sign_in: Callable[[Page, DemoUser], None]
) -> None:
    reporter = live_app.user("front_desk")
    privacy = live_app.user("privacy_officer")
    title = f"Reminder list emailed to the wrong patient {secrets.token_hex(3)}"
    # Ten days back: in the past wherever the server's practice day is.
    discovered = dt.date.today() - dt.timedelta(days=10)

    # Anyone signed in reports what they noticed; the reporter follows the status only.
    sign_in(page, reporter)
    page.get_by_role("link", name="Report an incident").first.click()
    field(page, "Title").fill(title)
    field(page, "Kind").select_option(label="Unauthorized access or disclosure")
    page.locator("#id_location").select_option(label="Downtown Raleigh")  # (the page header has a location switcher)
    field(page, "Discovered on").fill(discovered.isoformat())
    field(page, "Occurred on").fill((discovered - dt.timedelta(days=1)).isoformat())
    field(page, "What happened").fill("Tomorrow's reminder list for Downtown went to one patient's email address "
                                      "instead of the office printer.")
    field(page, "PHI involved").fill("Names, appointment times and visit reasons.")
    page.get_by_role("button", name="Report", exact=True).click()
    flash(page, "Thank you: the incident is reported to the privacy officer.")
    expect(page.get_by_role("heading", level=1)).to_have_text("My incident reports")
    row = page.locator("tbody tr", has_text=title)
    expect(row).to_contain_text("Open")
    expect(row.get_by_role("link")).to_have_count(0)
    sign_out(page)

    # The privacy officer finds it, assesses the four factors and determines a breach.
    sign_in(page, privacy)
    page.goto("/compliance/incidents/")
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("#deadlines")).to_contain_text("No notice required")
    page.get_by_role("link", name="Assess", exact=True).click()
    answers = {
        "nature_extent": ("Names, appointment times and visit reasons of 12 patients.", "Medium"),
        "recipient": ("A patient of the practice, not bound by HIPAA.", "High"),
        "acquired_viewed": ("She opened the email and called the office.", "High"),
        "mitigation": ("She deleted it on the phone with us; no attestation in writing.", "Medium"),
    }
    for name, (text, level) in answers.items():
        page.locator(f"#id_{name}").fill(text)
        page.locator(f"#id_{name}_risk").select_option(label=level)
    page.get_by_role("button", name="Save", exact=True).click()
    flash(page, "Risk assessment saved.")
    assert status_badge(page) == "Assessed"
    page.get_by_role("link", name="Determine", exact=True).click()
    expect(page.get_by_text("High-risk factors")).to_be_visible()
    field(page, "Determination").select_option(label="Breach: notification required")
    field(page, "Reason").fill("Viewed by an outside person; no written assurance of destruction.")
    page.get_by_role("button", name="Save", exact=True).click()
    flash(page, "Determination recorded.")
    expect(page.locator(".page-header")).to_contain_text("Breach: notification required")

    # The counts: 12 North Carolina residents.
    page.get_by_role("link", name="Change the counts", exact=True).click()
    field(page, "Individuals affected (total)").fill("12")
    page.locator("#id_state_1").select_option(value="NC")
    page.locator("#id_count_1").fill("12")
    page.get_by_role("button", name="Save", exact=True).click()
    flash(page, "Counts saved.")
    expect(page.locator("section", has=page.get_by_role("heading", name="Individuals affected"))).to_contain_text(
        "12 individuals in total: NC 12")

    # Under 500: the individuals within 60 days of discovery, HHS in the annual log; no media, no HHS at once.
    deadlines = page.locator("#deadlines tbody tr")
    expect(deadlines).to_have_count(2)
    individuals = page.locator("#deadlines tbody tr", has_text="Affected individuals")
    expect(individuals.locator("td").nth(1)).to_have_text(shown(discovered + dt.timedelta(days=60)))
    hhs = page.locator("#deadlines tbody tr", has_text="HHS annual log")
    expect(hhs.locator("td").nth(1)).to_have_text(shown(dt.date(discovered.year, 12, 31) + dt.timedelta(days=60)))
    expect(page.locator("#deadlines")).not_to_contain_text("media")
    expect(page.locator("#deadlines")).not_to_contain_text("500 or more")

    # The list shows the next notice due.
    page.goto("/compliance/incidents/")
    listed = page.locator("tbody tr", has_text=title)
    expect(listed).to_contain_text(shown(discovered + dt.timedelta(days=60)))
    expect(listed).to_contain_text("Breach")
