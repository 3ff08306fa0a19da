"""Supplies, in a real browser. Stock in the supply room has fallen to its reorder point: the office manager opens
the suggested orders and turns one vendor's into a requisition; the practice manager approves it and writes the
purchase order, which is emailed to the vendor with its PDF (it arrives at the local SMTP server); part of the
delivery comes: stock rises by what arrived and the rest stays on back order."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from live_app import DemoUser, LiveApp
from playwright.sync_api import Page, expect
from test_billing import sign_out

pytestmark = pytest.mark.browser


def status_of(page: Page) -> str:
    return page.locator(".page-header [data-status]").inner_text().strip()


def test_low_stock_becomes_an_approved_order_emailed_to_the_vendor_and_a_partial_delivery(
    page: Page, live_app: LiveApp, sign_in: Callable[[Page, DemoUser], None]
) -> None:
    office = live_app.user("office_manager", "mid")
    senior = live_app.user("practice_manager", "senior")

    # The office manager turns the first vendor's suggested order into a requisition.
    sign_in(page, office)
    page.goto("/inventory/stock/suggested-orders/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Suggested orders")
    first = page.locator("section.card", has=page.get_by_role("button", name=re.compile("Create requisition"))).first
    vendor = first.get_by_role("heading", level=2).inner_text().strip()
    first.get_by_role("button", name=re.compile("Create requisition")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Requisition")
    assert status_of(page) == "Waiting for approval"
    requisition_url = page.url
    sign_out(page)

    # The senior practice manager approves it and writes the purchase order.
    sign_in(page, senior)
    page.goto(requisition_url)
    page.get_by_label("Approve").check()
    page.get_by_role("button", name="Record the decision").click()
    assert status_of(page) == "Approved"
    page.get_by_role("link", name="Write the purchase orders").click()
    page.get_by_role("button", name="Write the purchase orders").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Purchase order PO-")
    number = page.get_by_role("heading", level=1).inner_text().split()[-1]
    expect(page.locator("dl.details")).to_contain_text(vendor)
    address = page.locator("dl.details dd").first.inner_text().split("·")[-1].strip()
    assert "@" in address, "the demo vendor has an order address"

    # Emailed to the vendor, PDF attached.
    page.get_by_role("button", name="Email the order").click()
    assert status_of(page) == "Sent to the vendor"
    mail = live_app.mailbox.wait_for(address, subject_contains=number)  # the demo mailed this vendor before
    attachments = [part for part in mail.iter_attachments() if part.get_content_type() == "application/pdf"]
    assert len(attachments) == 1
    assert attachments[0].get_content().startswith(b"%PDF")

    # Part of the first line arrives.
    first_line = page.locator("section.card table.data tbody tr").first
    ordered = int(first_line.locator("td").nth(2).inner_text())
    page.get_by_role("link", name="Receive a delivery").click()
    good_inputs = page.locator("input[name^='good_']")
    good_inputs.first.fill("1")
    lot = page.locator("input[name^='lot_']")
    if lot.count():
        lot.first.fill("BROWSER-1")
        page.locator("input[name^='expires_']").first.fill("2099-01-31")
    page.get_by_role("button", name="Record the delivery").click()
    assert status_of(page) == "Partly received"
    first_line = page.locator("section.card table.data tbody tr").first
    expect(first_line.locator("td").nth(5)).to_have_text("1")  # received
    if ordered > 1:
        expect(first_line.locator("td").nth(7)).to_have_text(str(ordered - 1))  # still owed
    expect(page.locator("main")).to_contain_text("on back order")

    # The stock rose: the ledger shows the receipt against the order.
    page.goto(f"/inventory/stock/movements/?q={number}")
    expect(page.locator("tbody")).to_contain_text(number)
