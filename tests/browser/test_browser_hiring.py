"""Hiring, in a real browser, from the request to the first day: the North Hills office manager raises a requisition
and submits it; the senior practice manager approves it, adds an applicant with a résumé, schedules an interview
(with the calendar invitation), fills in the scorecard, makes and extends an offer, records the acceptance and
hires (without the user account a practice manager may not grant), which opens the new employee's record with an
onboarding checklist under way. The office manager cannot
approve, and the résumé downloads for the people in the hiring process only."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable

import pytest
from live_app import DemoUser, LiveApp
from playwright.sync_api import Page, expect
from test_billing import sign_out
from test_front_office import field, flash

pytestmark = pytest.mark.browser

POSITION = "Patient Services Representative – North Hills"
RESUME = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def status_badge(page: Page) -> str:
    return page.locator(".page-header .badge").first.inner_text().strip()


def test_requisition_to_applicant_to_interview_to_offer_to_hire_to_onboarding(
    page: Page, live_app: LiveApp, sign_in: Callable[[Page, DemoUser], None]
) -> None:
    office_manager = live_app.user("office_manager", "mid")
    senior = live_app.user("practice_manager", "senior")
    suffix = secrets.token_hex(3)
    first, last = "Jordan", f"Ellery{suffix}"

    # The office manager raises the requisition; it waits for a senior role.
    sign_in(page, office_manager)
    page.goto("/workforce/hiring/requisitions/new/")
    field(page, "Position").select_option(label=POSITION)
    page.locator("#id_location").select_option(label="North Hills")
    field(page, "Openings").fill("1")
    field(page, "Why the practice needs this hire").fill(f"Second front desk seat for the extended hours ({suffix}).")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(POSITION)
    requisition_url = page.url
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.locator(".page-header")).to_contain_text("Waiting for approval")
    # Not theirs to approve, and no applicants before approval.
    expect(page.get_by_role("heading", name="Decision")).to_have_count(0)
    expect(page.get_by_role("link", name="Add applicant")).to_have_count(0)
    sign_out(page)

    # The senior practice manager approves it and adds an applicant with a résumé.
    sign_in(page, senior)
    page.goto(requisition_url)
    page.get_by_role("radio", name="Approve", exact=True).check()
    page.get_by_role("button", name="Record decision").click()
    expect(page.locator(".page-header")).to_contain_text("Approved, recruiting")
    expect(page.locator("section", has=page.get_by_role("heading", name="Approval trail"))).to_contain_text(
        "Whitfield")
    page.get_by_role("link", name="Add applicant").click()
    field(page, "First name").fill(first)
    field(page, "Last name").fill(last)
    field(page, "Email").fill(f"jordan.{suffix}@example.org")
    field(page, "Phone").fill("919-555-0142")
    page.get_by_label(re.compile(r"^Résumé")).set_input_files(
        files=[{"name": "resume.pdf", "mimeType": "application/pdf", "buffer": RESUME}])
    page.get_by_role("button", name=re.compile("Save|Add")).last.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{first} {last}")
    applicant_url = page.url
    with page.expect_download() as download:
        page.get_by_role("link", name="Download résumé").click()
    assert download.value.path().read_bytes() == RESUME

    # An interview tomorrow at ten, the senior manager on the panel, the applicant invited.
    page.get_by_role("link", name="Schedule an interview").click()
    tomorrow = dt.date.today() + dt.timedelta(days=2)
    field(page, "Starts at").fill(f"{tomorrow.isoformat()}T10:00")
    page.locator("#id_location").select_option(label="North Hills")  # (the page header has a location switcher)
    field(page, "Room, address or call link").fill("Conference room B")
    field(page, "Interviewers").select_option(label="Dana Whitfield")
    page.get_by_label("Invite the applicant").check()
    page.get_by_role("button", name=re.compile("Schedule")).last.click()
    expect(page.get_by_text("Conference room B")).to_be_visible()
    interview_url = page.url

    # The structured scorecard: a rating per criterion and a recommendation.
    page.goto(interview_url.rstrip("/") + "/scorecard/")
    for radio in page.locator("input[type=radio][name^=rating_][value='4']").all():
        radio.check()
    page.get_by_role("radio", name="Hire", exact=True).check()
    field(page, "Summary").fill("Calm with callers; knows eligibility checks.")
    page.get_by_role("button", name=re.compile("Submit|Save")).last.click()
    expect(page.locator("body")).to_contain_text("Calm with callers")

    # The applicant's page shows the interview; the offer is made, extended and accepted.
    page.goto(applicant_url)
    expect(page.locator("section", has=page.get_by_role("heading", name="Interviews"))).to_contain_text(
        "1 scorecard")
    page.get_by_role("link", name="Make an offer").click()
    field(page, "Pay").fill("19.50")
    field(page, "Pay basis").select_option(label="Hourly")
    field(page, "Other terms").fill("Health insurance after 30 days.")
    page.get_by_role("button", name=re.compile("Save|Make|Create")).last.click()
    expect(page.locator(".page-header")).to_contain_text("Draft")
    with page.expect_download() as letter:
        page.get_by_role("link", name="Letter (PDF)").first.click()
    assert letter.value.path().read_bytes().startswith(b"%PDF")
    page.get_by_role("button", name="Extend the offer").click()
    expect(page.locator(".page-header")).to_contain_text("Extended")
    field(page, "Answer").select_option(label="Accepted")
    page.get_by_role("button", name="Record the answer").click()
    expect(page.locator(".page-header")).to_contain_text("Accepted")

    # The hire. A front desk account carries patient permissions a practice manager does not hold, so asking for
    # one is refused (nothing written; the administrator invites them); the hire itself goes through.
    page.get_by_role("link", name="Hire").first.click()
    account = page.get_by_label("Create a user account (an invitation is emailed)")
    account.check()
    page.get_by_role("button", name="Hire", exact=True).click()
    expect(page.locator("form.form")).to_contain_text("You may not grant this role")
    account.uncheck()
    page.get_by_role("button", name="Hire", exact=True).click()
    flash(page, f"{first} {last} is hired")
    expect(page.get_by_role("heading", level=1)).to_contain_text(last)
    page.locator("main").get_by_role("link", name=re.compile(r"^Onboarding \d")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Onboarding")
    expect(page.locator("table")).to_contain_text("HIPAA")

    # The requisition is filled, and the applicant is hired.
    page.goto(requisition_url)
    expect(page.locator(".page-header")).to_contain_text("Filled")
    page.goto(applicant_url)
    expect(page.locator("body")).to_contain_text("Hired")
