"""From the visit to the payer, in a real browser: the front desk checks a patient in and out; the biller adds a
practice scrubber rule, enters the visit's charges, builds the claim (held by the rule, with its message and fix
hint), fixes the charge, rebuilds the claim (ready), builds the payer's 837P batch, downloads the file and submits
it; the claim's status history names who did each step. And the front desk has no billing at all."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable

import pytest
from live_app import DemoUser, LiveApp
from playwright.sync_api import Page, expect
from test_front_office import PAYER, NewPatient, add_coverage, field, flash, htmx_settled, register_patient

pytestmark = pytest.mark.browser

DIAGNOSIS = "E11.9"
CODE = "99213"
MODIFIER = "25"


def practice_today(page: Page) -> dt.date:
    """Today where the practice is, as the schedule shows it (the server's clock and time zone, not ours)."""
    page.goto("/schedule/")
    title = page.locator("#day-grid .day-title")
    expect(title).to_be_visible()
    return dt.datetime.strptime(title.inner_text().strip(), "%A, %B %d, %Y").date()


def book_earlier_today(page: Page, person: NewPatient, today: dt.date) -> str:
    """Book a follow-up for `person` this morning, before the provider's hours (the walk-in the desk records
    after the fact): a visit of today that no other booking can take. Returns the appointment's URL."""
    page.goto("/schedule/book/")
    page.get_by_label("Find by name, date of birth, phone or account number").fill(person.last)
    page.get_by_role("button", name="Find", exact=True).click()
    page.get_by_role("link", name=re.compile(rf"{person.last}, {person.first}")).click()
    expect(page.get_by_text(f"Booking for {person.first} {person.last}")).to_be_visible()
    kind = page.locator("#slot-type")
    kind.select_option(value=kind.locator("option", has_text="Follow-up").get_attribute("value"))
    page.get_by_role("button", name="Find free slots").click()
    slots = page.locator("section", has=page.get_by_role("heading", name="Next free slots")).get_by_role("link")
    expect(slots.first).to_be_visible()
    slots.first.click()  # the provider, location and room of a real opening
    expect(field(page, "Location").locator("option:checked")).to_have_text("Downtown Raleigh")
    field(page, "Date").fill(today.isoformat())
    field(page, "Time").fill(f"06:{5 * secrets.randbelow(12):02d}")
    page.get_by_label("Book outside the provider's hours").check()
    page.get_by_role("button", name="Book", exact=True).click()
    flash(page, "Appointment booked.")
    expect(page.locator(".page-header .badge")).to_have_text("Booked")
    expect(page.locator("section", has=page.get_by_role("heading", name="Visit"))).to_contain_text(
        f"{today:%m/%d/%Y}")
    return page.url


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def test_a_checked_out_visit_is_charged_scrubbed_fixed_batched_downloaded_and_submitted(
    page: Page, live_app: LiveApp, sign_in: Callable[[Page, DemoUser], None]
) -> None:
    person = NewPatient.invent()
    first, last = person.first, person.last

    # 1. The front desk registers the patient with insurance, books a visit today, checks them in and out.
    sign_in(page, live_app.user("front_desk"))
    patient_url = register_patient(page, person)
    add_coverage(page, patient_url)
    today = practice_today(page)
    appointment_url = book_earlier_today(page, person, today)
    header = page.locator(".page-header")
    header.get_by_role("link", name="Check in").click()
    expect(page.get_by_role("heading", name="Check in")).to_be_visible()
    page.get_by_role("button", name="Check in").click()
    expect(page).to_have_url(appointment_url)
    flash(page, "Checked in.")
    header.get_by_role("button", name="Check out").click()
    flash(page, "Checked out: the visit is complete.")
    expect(header.locator(".badge")).to_have_text("Completed")
    visit = page.locator("section", has=page.get_by_role("heading", name="Visit"))
    expect(visit).to_contain_text("Checked out")
    # Charges are the billing office's: the desk sees neither the charges nor a way to enter them.
    expect(visit.get_by_role("button", name="Enter charges")).to_have_count(0)
    sign_out(page)

    # 2. The biller adds a practice rule on the Scrubber rules page: this payer's 99213 needs modifier 25.
    biller = live_app.user("biller")
    biller_name = str(biller.raw["name"])
    sign_in(page, biller)
    menu = page.get_by_role("navigation", name="Main")
    menu.get_by_role("link", name="Scrubber rules").click()
    expect(page.get_by_role("heading", name="Scrubber rules", level=1)).to_be_visible()
    page.get_by_role("link", name="Add rule").click()
    expect(page.get_by_role("heading", name="Add a scrubber rule")).to_be_visible()
    rule_name = f"{PAYER}: {CODE} with modifier {MODIFIER} ({secrets.token_hex(3)})"
    message = f"{PAYER} pays a visit on the day of a procedure only with modifier {MODIFIER} on {CODE}."
    fix_hint = f"Add modifier {MODIFIER} to the {CODE} line of the charge, then rebuild the claim."
    field(page, "Name").fill(rule_name)
    field(page, "Payer").select_option(label=PAYER)
    field(page, "Procedure code (CPT/HCPCS)").fill(CODE)
    field(page, "Requires modifier").fill(MODIFIER)
    page.get_by_role("group", name="Severity").get_by_label("Error (holds the claim)").check()
    field(page, "Message for the biller").fill(message)
    field(page, "How to fix").fill(fix_hint)
    # The form says what the rule does, in one sentence, as it is typed (htmx).
    explanation = page.locator("#rule-explanation")
    expect(explanation).to_contain_text(
        f"On lines for {PAYER} with code {CODE}: require modifier {MODIFIER} — error")
    htmx_settled(page)
    page.get_by_role("button", name="Add rule").click()
    flash(page, f"Rule “{rule_name}” added: it applies from the next scrub.")
    expect(page.locator("#rule-table").get_by_role("row", name=re.compile(re.escape(rule_name)))).to_have_count(1)

    # 3. The standard fee of 99213, as the fee schedule lists it.
    menu.get_by_role("link", name="Fee schedules").click()
    page.get_by_role("link", name="Standard fees").click()
    expect(page.get_by_role("heading", name="Standard fees", level=1)).to_be_visible()
    fee_row = page.locator("table.data tbody tr", has=page.locator("td", has_text=re.compile(rf"^{CODE}$")))
    fee_row = fee_row.filter(has=page.locator("td", has_text=re.compile("^—$")))
    expect(fee_row).to_have_count(1)
    fee = fee_row.locator("td").nth(2).inner_text().strip()
    assert re.fullmatch(r"\d+\.\d{2}", fee), fee

    # 4. "Enter charges" on the checked-out visit.
    page.goto(appointment_url)
    visit = page.locator("section", has=page.get_by_role("heading", name="Visit"))
    visit.get_by_role("button", name="Enter charges").click()
    flash(page, "Charge started from the visit: add the diagnoses and the lines.")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{last}, {first}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{today:%m/%d/%Y}")
    charge_url = page.url

    # The diagnosis, then a line priced from the fee schedule (the charge left empty).
    field(page, "Diagnosis 1").fill(DIAGNOSIS)
    page.get_by_role("button", name="Save diagnoses").click()
    flash(page, "Diagnoses saved.")
    diagnoses = page.locator("section", has=page.get_by_role("heading", name="Diagnoses (ICD-10-CM)"))
    expect(diagnoses.locator("ol")).to_contain_text(f"1. {DIAGNOSIS}")
    expect(diagnoses.locator("ol")).to_contain_text("Type 2 diabetes mellitus without complications")
    field(page, "CPT/HCPCS").fill(CODE)
    expect(field(page, "Diagnosis pointers")).to_have_value("1")
    page.get_by_role("button", name="Add line").click()
    flash(page, "Line added.")
    lines = page.locator("section", has=page.get_by_role("heading", name="Procedure lines"))
    line = lines.locator("tbody tr", has_text=CODE)
    expect(line).to_have_count(1)
    expect(line.locator("td").nth(2)).to_have_text("—")  # no modifier yet
    expect(line).to_contain_text(f"${fee}")
    expect(lines.locator("tfoot")).to_contain_text(f"${fee}")

    # 5. Build the claim: scrubbed at once, and held by the practice's rule, in the rule's own words.
    page.get_by_role("button", name="Build claim").click()
    flash(page, re.compile(r"Claim OP\d{7} built and held by the scrubber: fix the 1 problem\(s\) below\."))
    number = re.search(r"OP\d{7}", page.locator(".messages").inner_text())
    assert number is not None
    claim_number = number.group(0)
    claim_url = page.url
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Claim {claim_number} — {last}, {first}")
    expect(page.locator(".page-header .badge").first).to_have_text("Held by the scrubber")
    findings = page.locator("section", has=page.get_by_role("heading", name="What the scrubber found"))
    error = findings.locator("tbody tr")
    expect(error).to_have_count(1)
    expect(error.locator("td").nth(0)).to_have_text("Error")
    expect(error.locator("td").nth(1)).to_have_text("1")
    expect(error.locator("td").nth(2)).to_have_text(message)
    expect(error.locator("td").nth(3)).to_have_text(fix_hint)
    # The worklist of held claims lists it too, with what to fix.
    page.goto(f"/billing/claims/?status=held&q={claim_number}")
    expect(page.locator("#claim-table").get_by_role("link", name=claim_number)).to_be_visible()
    page.goto(claim_url)

    # 6. Fix: from the claim to the charge, add the modifier to the line, rebuild the claim: ready.
    findings = page.locator("section", has=page.get_by_role("heading", name="What the scrubber found"))
    findings.get_by_role("link", name="Fix the charge").click()
    expect(page).to_have_url(charge_url)
    lines = page.locator("section", has=page.get_by_role("heading", name="Procedure lines"))
    lines.locator("tbody tr", has_text=CODE).get_by_role("link", name="Edit").click()
    expect(page.get_by_role("heading", name=f"Line 1: {CODE}")).to_be_visible()
    field(page, "Modifiers").fill(MODIFIER)
    page.get_by_role("button", name="Save line").click()
    flash(page, "Line 1 saved.")
    flash(page, f"This charge is billed: claim {claim_number} is back in draft. Rebuild it so it carries the change.")
    line = page.locator("section", has=page.get_by_role("heading", name="Procedure lines")).locator(
        "tbody tr", has_text=CODE)
    expect(line.locator("td").nth(2)).to_have_text(MODIFIER)
    expect(line).to_contain_text(f"${fee}")  # no fee for 99213-25 of its own: the code's fee stands
    page.locator("main p", has_text="After a change, rebuild its claim").get_by_role(
        "link", name=claim_number).click()
    expect(page).to_have_url(claim_url)
    page.get_by_role("button", name="Rebuild from the charge").click()
    flash(page, "Claim rebuilt from the charge. The claim is ready to send.")
    expect(page.locator(".page-header .badge").first).to_have_text("Ready to send")
    expect(page.get_by_text(re.compile(r"The scrubber found nothing to fix"))).to_be_visible()
    expect(page.get_by_role("heading", name="What the scrubber found")).to_have_count(0)
    claim_line = page.locator("section", has=page.get_by_role("heading", name="Lines")).locator(
        "tbody tr", has_text=CODE)
    expect(claim_line.locator("td").nth(2)).to_have_text(MODIFIER)

    # 7. A batch for the payer: built, checked by pyx12, with the claim in it.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Batches (837P)").click()
    expect(page.get_by_role("heading", name="837P batches", level=1)).to_be_visible()
    page.get_by_role("link", name="Build a batch").click()
    expect(page.get_by_role("heading", name="Build a batch")).to_be_visible()
    ready = page.locator("section", has=page.get_by_role("heading", name="Ready claims not yet in a batch"))
    expect(ready.locator("tbody tr", has_text=PAYER)).to_have_count(1)
    payer = field(page, "Payer")
    payer.select_option(value=payer.locator("option", has_text=re.compile(rf"^{PAYER} \(")).get_attribute("value"))
    expect(page.get_by_label("Check the file with pyx12 after building it")).to_be_checked()
    page.get_by_role("button", name="Build the batch").click()
    flash(page, re.compile(r"Batch \d{9} built with \d+ claim\(s\)\."))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Batch \d{9}$"))
    batch_url = page.url
    details = page.locator("section", has=page.get_by_role("heading", name="File"))
    expect(details).to_contain_text(PAYER)
    validation = page.locator("section", has=page.get_by_role("heading", name="pyx12 validation"))
    expect(validation.locator(".badge")).to_have_text("Valid")
    in_batch = page.locator("section", has=page.get_by_role("heading", name="Claims", exact=True))
    expect(in_batch.locator("tbody tr", has_text=claim_number)).to_contain_text("Ready to send")

    # 8. Download the 837P: an X12 interchange with the claim in a CLM segment.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the 837P").click()
    download = download_info.value
    assert re.fullmatch(r"837P-\d{9}\.x12", download.suggested_filename), download.suggested_filename
    expect(details).to_contain_text(download.suggested_filename)
    text = download.path().read_text(encoding="ascii")
    assert text.startswith("ISA*"), text[:120]
    segments = [segment.strip() for segment in text.split("~") if segment.strip()]
    assert segments[0].startswith("ISA*"), segments[0]
    assert segments[-1].startswith("IEA*"), segments[-1]
    assert any(segment.startswith(f"CLM*{claim_number}*") for segment in segments), claim_number
    starts = [segment.split("*") for segment in segments if segment.startswith("ST*837*")]
    ends = [segment.split("*") for segment in segments if segment.startswith("SE*")]
    assert starts, "no ST*837 segment"
    assert len(starts) == len(ends), (starts, ends)
    assert [st[2] for st in starts] == [se[2] for se in ends]  # each transaction closed with its own number

    # 9. Submit: the file goes to the drop directory, the claims are submitted.
    page.get_by_role("button", name="Submit (drop for the clearinghouse)").click()
    expect(page).to_have_url(batch_url)
    flash(page, re.compile(r"Batch submitted: the file is in .+ and its claims are marked submitted\."))
    expect(page.locator(".page-header .badge").first).to_have_text("Submitted")
    expect(page.get_by_role("button", name="Submit (drop for the clearinghouse)")).to_have_count(0)
    log = page.locator("section", has=page.get_by_role("heading", name="Submission log"))
    expect(log.locator("tbody tr")).to_have_count(1)
    expect(log.locator("tbody tr")).to_contain_text("Delivered")
    expect(log.locator("tbody tr")).to_contain_text(biller_name)
    in_batch = page.locator("section", has=page.get_by_role("heading", name="Claims", exact=True))
    in_batch.get_by_role("link", name=claim_number).click()

    # 10. The claim is submitted, in the batch, and its history says who did each step.
    expect(page).to_have_url(claim_url)
    expect(page.locator(".page-header .badge").first).to_have_text("Submitted")
    billed = page.locator("section", has=page.get_by_role("heading", name="What is billed"))
    expect(billed.get_by_role("link", name=re.compile(r"\d{9}"))).to_be_visible()
    history = page.locator("section", has=page.get_by_role("heading", name="Status history")).locator("tbody tr")
    steps = [
        ("Draft", "Held by the scrubber", "(Scrubber)"),
        ("Held by the scrubber", "Draft", "charge changed: rebuild the claim"),
        ("Draft", "Ready to send", "(Scrubber)"),
        ("Ready to send", "Submitted", "(Batch)"),
    ]
    for was, became, note in steps:
        row = history.filter(has=page.locator("td:nth-child(2)", has_text=re.compile(rf"^{re.escape(was)}$"))).filter(
            has=page.locator("td:nth-child(3)", has_text=re.compile(rf"^{re.escape(became)}$")))
        expect(row).to_have_count(1)
        expect(row.locator("td").nth(3)).to_contain_text(biller_name)
        expect(row).to_contain_text(note)


def test_the_front_desk_sees_only_patient_payments_under_billing_and_is_refused_the_claims(
    page: Page, live_app: LiveApp, sign_in: Callable[[Page, DemoUser], None]
) -> None:
    sign_in(page, live_app.user("front_desk"))
    menu = page.get_by_role("navigation", name="Main")
    expect(menu.get_by_role("link", name="Schedule")).to_be_visible()  # the menu is there, with the desk's work
    # The desk takes patients' payments (billing.collect_payments), and nothing else of billing.
    expect(menu.get_by_role("link", name="Patient payments", exact=True)).to_have_count(1)
    for item in ("Claim worklists", "Charges", "Claims", "Batches (837P)", "Scrubber rules", "Remittances (835)",
                 "Denials", "A/R aging", "Patient statements"):
        expect(menu.get_by_role("link", name=item, exact=True)).to_have_count(0)
    response = page.goto("/billing/claims/")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.locator("main")).to_contain_text("There is nothing here, or it is not yours to see.")
    expect(page.locator("#claim-table")).to_have_count(0)
