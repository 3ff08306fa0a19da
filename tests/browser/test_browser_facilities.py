"""Facilities work orders, in a real browser. A medical assistant reports the vaccine fridge out of service with a
photo; the office manager gives it to the biomedical firm with a visit time and emails it; the mail arrives at the
local SMTP server; the firm opens the link from the mail (no account, a fresh browser), sets it done and records
its invoice; the office manager verifies the work; the firm's link then no longer works."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable

import pytest
from live_app import DemoUser, LiveApp, message_text
from playwright.sync_api import Browser, Page, expect
from test_billing import sign_out

pytestmark = pytest.mark.browser

TITLE = "Vaccine fridge not cooling (browser test)"
FIRM = "BioMed Equipment Services"


def png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def status_of(page: Page) -> str:
    return page.locator(".page-header [data-status]").inner_text().strip()


def test_a_broken_fridge_is_reported_sent_to_a_firm_fixed_through_its_link_and_verified(
    page: Page, browser: Browser, live_app: LiveApp, sign_in: Callable[[Page, DemoUser], None]
) -> None:
    assistant = live_app.user("clinical_staff")
    office = live_app.user("office_manager", "mid")

    # The medical assistant reports the fridge, with a photo.
    sign_in(page, assistant)
    page.goto("/facilities/work-orders/report/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Report a problem")
    fridge = page.locator("#id_asset option", has_text="Vaccine refrigerator")
    if fridge.count():  # the equipment register of the demo (seeder 90)
        page.locator("#id_asset").select_option(value=fridge.first.get_attribute("value"))
    page.get_by_label("What is wrong").fill(TITLE)
    page.get_by_label("Details").fill("Display reads 12 °C; vaccines moved to the backup unit.")
    page.get_by_label("The equipment is out of service").check()
    page.get_by_label("Photo").set_input_files(files=[{"name": "fridge.png", "mimeType": "image/png",
                                                       "buffer": png_bytes()}])
    page.get_by_role("button", name="Send the report").click()
    expect(page).to_have_url(re.compile(r"/facilities/work-orders/mine/"))
    row = page.locator("tbody tr", has_text=TITLE)
    expect(row).to_contain_text("New")
    number = row.locator("td").first.inner_text().strip()
    assert number.startswith("WO-")
    sign_out(page)

    # The office manager gives it to the firm with a visit time and emails it.
    sign_in(page, office)
    page.goto(f"/facilities/work-orders/?q={TITLE.split()[0]}")
    page.get_by_role("link", name=number).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    expect(page.locator("#photos img")).to_have_count(1)
    page.locator("#assign_vendor").select_option(label=FIRM)
    visit = (dt.datetime.now() + dt.timedelta(days=1)).replace(hour=9, minute=0)
    page.locator("#assign_scheduled_for").fill(visit.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Save the assignment").click()
    assert status_of(page) == "Scheduled"
    address = page.locator("#dispatch_sent_to").input_value()
    assert "@" in address, "the demo firm has a contact address"
    page.locator("#dispatch_message").fill("Lab at the back; ask for Tom.")
    page.get_by_role("button", name="Email the work order").click()
    expect(page.locator("main")).to_contain_text(f"was sent to {address}")
    detail_url = page.url.split("#")[0]

    mail = live_app.mailbox.wait_for(address, subject_contains=number)
    link = next(word for word in message_text(mail).split() if "/facilities/firm/" in word)
    assert link.startswith(live_app.url)

    # The firm, without an account, records its visit through the link.
    firm_context = browser.new_context(base_url=live_app.url, locale="en-US")
    firm_page = firm_context.new_page()
    try:
        firm_page.goto(link)
        expect(firm_page.get_by_role("heading", level=1)).to_have_text(f"Work order {number}")
        expect(firm_page.locator("main")).to_contain_text(TITLE)
        expect(firm_page.locator("main")).not_to_contain_text(assistant.raw.get("name") or assistant.username)
        firm_page.locator("#status_status").select_option(value="done")
        firm_page.locator("#status_note").fill("Door gasket replaced; holds 4 °C.")
        firm_page.get_by_role("button", name="Save the status").click()
        expect(firm_page.locator("main")).to_contain_text("Status saved.")
        assert status_of(firm_page) == "Done"
        firm_page.locator("#cost_kind").select_option(value="vendor_invoice")
        firm_page.locator("#cost_amount").fill("245.00")
        firm_page.locator("#cost_invoice_number").fill("BES-7781")
        firm_page.get_by_role("button", name="Add the cost").click()
        expect(firm_page.locator("#costs")).to_contain_text("BES-7781")
    finally:
        firm_context.close()

    # The office manager sees the firm's work and verifies it.
    page.goto(detail_url)
    assert status_of(page) == "Done"
    expect(page.locator("[data-cost-total]")).to_have_text("245.00")
    expect(page.locator("#timeline")).to_contain_text(FIRM)
    page.get_by_role("button", name="Verify and close").click()
    assert status_of(page) == "Verified"

    # The link no longer works.
    late_context = browser.new_context(base_url=live_app.url, locale="en-US")
    late_page = late_context.new_page()
    try:
        response = late_page.goto(link)
        assert response is not None
        assert response.status == 404
        expect(late_page.get_by_role("heading", level=1)).to_have_text("This link no longer works")
        expect(late_page.locator("main")).not_to_contain_text(TITLE)
    finally:
        late_context.close()
