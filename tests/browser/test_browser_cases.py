"""Cases, in a real browser. The front desk takes a patient's billing complaint and files it; it shows under "My
cases" as new. The practice manager finds it in the case list, assigns it to himself, acknowledges it, notes a
call, resolves it (upheld), writes the resolution letter and downloads it as a PDF; the front desk sees the
outcome, and not the case workers' notes."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import pytest
from live_app import DemoUser, LiveApp
from playwright.sync_api import Page, expect
from test_billing import sign_out
from test_front_office import field, flash

pytestmark = pytest.mark.browser


def status_badge(page: Page) -> str:
    return page.locator(".page-header .badge").first.inner_text().strip()


def test_a_billing_complaint_is_filed_worked_resolved_and_answered_with_a_pdf_letter(
    page: Page, live_app: LiveApp, sign_in: Callable[[Page, DemoUser], None], tmp_path: Path
) -> None:
    desk = live_app.user("front_desk")
    manager = live_app.user("practice_manager", "advanced")  # works patient cases where the front desk works
    token = secrets.token_hex(3)
    subject = f"Charged twice for one visit {token}"

    # The front desk writes down what the patient said.
    sign_in(page, desk)
    page.goto("/cases/file/")
    expect(page.get_by_role("heading", level=1)).to_have_text("File a patient complaint")
    field(page, "Category").select_option(label="Billing dispute")
    field(page, "Subject").fill(subject)
    field(page, "What happened").fill("The patient says her card was charged twice for the March visit.")
    page.locator("#id_location").select_option(label="Downtown Raleigh")  # (the header has a location switcher)
    field(page, "Severity").select_option(label="Medium")
    field(page, "Complainant's name").fill("Dana Reyes")
    field(page, "Complainant's address, phone or email").fill("12 Elm St\nRaleigh, NC 27601")
    page.get_by_role("button", name="File", exact=True).click()
    flash(page, "is filed and goes to the case workers")
    expect(page.get_by_role("heading", level=1)).to_have_text("My cases")
    row = page.locator("tbody tr", has_text=subject)
    expect(row).to_contain_text("New")
    number = row.get_by_role("link").inner_text().strip()
    assert number.startswith("CASE-")
    sign_out(page)

    # The practice manager finds it in the list and works it.
    sign_in(page, manager)
    page.goto("/cases/")
    page.get_by_label("Search subject or number").fill(token)
    listed = page.locator("#case-table tbody tr", has_text=subject)
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("Unassigned")
    listed.get_by_role("link", name=number).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{number}: {subject}")
    assert status_badge(page) == "New"
    expect(page.locator("#timeline")).to_contain_text("Case received on")

    work = page.locator("#work")
    work.locator("#assign_assignee").select_option(label="Marcus Bell")
    work.get_by_role("button", name="Assign", exact=True).click()
    flash(page, "Assignment saved.")
    expect(page.locator("dl.details").first).to_contain_text("Marcus Bell")

    work.locator("#ack_note").fill("Called Mrs Reyes: we are looking into it.")
    work.get_by_role("button", name="Acknowledge", exact=True).click()
    flash(page, "Case acknowledged.")
    assert status_badge(page) == "Acknowledged"

    work.locator("#note_kind").select_option(label="Action taken")
    work.locator("#note_body").fill("Found the duplicate card payment in the deposit report.")
    work.get_by_role("button", name="Add", exact=True).click()
    flash(page, "Added to the timeline.")
    expect(page.locator("#timeline")).to_contain_text("Found the duplicate card payment")

    work.locator("#resolve_outcome").select_option(label="Upheld")
    work.locator("#resolve_resolution").fill("We refunded the second charge of $45.00 to your card on file.")
    work.get_by_role("button", name="Resolve", exact=True).click()
    flash(page, "Case resolved.")
    assert status_badge(page) == "Resolved"

    letters = page.locator("#letters")
    letters.locator("#letter_kind").select_option(label="Resolution letter")
    letters.get_by_role("button", name="Write the letter", exact=True).click()
    flash(page, "Letter written")
    with page.expect_download() as started:
        letters.get_by_role("link", name="Download PDF Resolution letter").click()
    download = started.value
    assert download.suggested_filename == f"{number}-resolution-letter.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    sign_out(page)

    # The front desk sees the outcome of what she filed, not the timeline.
    sign_in(page, desk)
    page.goto("/cases/mine/")
    row = page.locator("tbody tr", has_text=subject)
    expect(row).to_contain_text("Resolved")
    expect(row).to_contain_text("Upheld")
    row.get_by_role("link", name=number).click()
    expect(page.locator("dl.details")).to_contain_text("charged twice for the March visit")
    expect(page.locator("body")).not_to_contain_text("duplicate card payment")
