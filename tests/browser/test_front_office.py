"""The front desk's day, in a real browser: register a patient with insurance, book a visit at the desk's own
location, check the patient in collecting the copay (payment recorded, receipt shown), check them out; and an
insurance card upload that is not an image is refused with a clear message."""

from __future__ import annotations

import datetime as dt
import io
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from live_app import DemoUser, LiveApp
from playwright.sync_api import FilePayload, Locator, Page, expect
from test_browser_accessibility import blocking_violations, describe

pytestmark = pytest.mark.browser

COPAY = "25.00"
PAYER = "Aetna"


@dataclass(frozen=True)
class NewPatient:
    """Someone no demo patient (nor another test's patient) resembles: the duplicate check stays quiet."""

    first: str
    last: str
    born: dt.date
    phone: str

    @classmethod
    def invent(cls) -> NewPatient:
        letters = "bcdfghjklmnpqrstvwxz"
        token = "".join(secrets.choice(letters) for _ in range(8))
        born = dt.date(1950, 1, 1) + dt.timedelta(days=secrets.randbelow(365 * 50))
        return cls(first=f"Ju{token[:4]}", last=f"Quill{token[4:]}", born=born,
                   phone=f"919-555-{secrets.randbelow(10000):04d}")


def field(page: Page, label: str) -> Locator:
    """The form field labelled exactly `label` (a required field's label ends in a hidden "*")."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}( \*)?$"))


def flash(page: Page, text: str | re.Pattern[str]) -> None:
    expect(page.locator(".messages")).to_contain_text(text)


def htmx_settled(page: Page) -> None:
    """Wait until no htmx request is in flight and its swap has settled."""
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)


def register_patient(page: Page, person: NewPatient) -> str:
    """Fill in the registration form; returns the new record's URL."""
    first, last = person.first, person.last
    page.goto("/patients/")
    page.get_by_role("link", name="Register patient").click()
    expect(page.get_by_role("heading", name="Register patient")).to_be_visible()
    page.get_by_label("First name").fill(first)
    page.get_by_label("Last name").fill(last)
    page.get_by_label("Date of birth").fill(person.born.isoformat())
    field(page, "Sex").select_option(label="Female")
    # The front desk works at Downtown only, so that is the one location offered.
    home = page.get_by_label("Home location")
    expect(home.locator("option", has_text="Downtown Raleigh")).to_have_count(1)
    home.select_option(label="Downtown Raleigh")
    field(page, "Address").fill("412 Oak Street")
    page.get_by_label("City").fill("Raleigh")
    page.get_by_label("State").select_option(value="NC")
    page.get_by_label("ZIP code").fill("27601")
    page.get_by_label("Mobile phone").fill(person.phone)
    page.get_by_role("button", name="Register patient").click()
    flash(page, re.compile(r"Patient registered with account number P\d{7}"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{first} {last}")
    demographics = page.locator("section", has=page.get_by_role("heading", name="Demographics"))
    expect(demographics).to_contain_text(f"{person.born:%m/%d/%Y}")
    expect(demographics).to_contain_text("Downtown Raleigh")
    # The front desk never sees an SSN field, nor one on the record.
    expect(demographics).not_to_contain_text(re.compile(r"\d{3}-\d{2}-\d{4}"))
    return page.url


def add_coverage(page: Page, patient_url: str) -> None:
    page.goto(patient_url)
    page.get_by_role("link", name="Add coverage").click()
    expect(page.get_by_role("heading", name="Add coverage")).to_be_visible()
    field(page, "Payer").select_option(label=PAYER)
    page.get_by_label("Member ID").fill("W123456789")
    page.get_by_label("Group number").fill("GRP-778")
    page.get_by_label("Copay").fill(COPAY)
    page.get_by_role("button", name="Save coverage").click()
    flash(page, "Coverage added.")
    coverage = page.locator("section", has=page.get_by_role("heading", name="Insurance coverage"))
    expect(coverage.get_by_role("heading", name=f"Primary: {PAYER}")).to_be_visible()
    expect(coverage).to_contain_text("W123456789")
    expect(coverage).to_contain_text(f"${COPAY}")


def test_the_front_desk_registers_books_checks_in_with_copay_and_checks_out(
    page: Page, live_app: LiveApp, sign_in: Callable[[Page, DemoUser], None]
) -> None:
    sign_in(page, live_app.user("front_desk"))
    person = NewPatient.invent()
    first, last = person.first, person.last

    # 1. Register the patient and their insurance, with a copay.
    patient_url = register_patient(page, person)
    add_coverage(page, patient_url)

    # 2. Book: find the patient, ask for the next free follow-up slots, take the first one.
    page.goto("/schedule/")
    page.get_by_role("link", name="Book appointment").click()
    expect(page.get_by_role("heading", name="Book appointment")).to_be_visible()
    page.get_by_label("Find by name, date of birth, phone or account number").fill(last)
    page.get_by_role("button", name="Find", exact=True).click()
    page.get_by_role("link", name=re.compile(rf"{last}, {first}")).click()
    expect(page.get_by_text(f"Booking for {first} {last}")).to_be_visible()
    kind = page.locator("#slot-type")
    kind.select_option(value=kind.locator("option", has_text="Follow-up").get_attribute("value"))
    page.get_by_role("button", name="Find free slots").click()
    slots = page.locator("section", has=page.get_by_role("heading", name="Next free slots")).get_by_role("link")
    expect(slots.first).to_be_visible()
    # The desk manages the schedule at Downtown only: every slot offered is there.
    for text in slots.all_inner_texts():
        assert "Downtown Raleigh" in text, text
    slot_text = slots.first.inner_text()
    provider_name = slot_text.split("—", 1)[1].split(",", 1)[0].strip()
    slots.first.click()
    expect(page.get_by_text(f"Booking for {first} {last}")).to_be_visible()
    expect(field(page, "Location").locator("option:checked")).to_have_text("Downtown Raleigh")
    page.get_by_role("button", name="Book", exact=True).click()
    flash(page, "Appointment booked.")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{last}, {first} — Follow-up")
    header = page.locator(".page-header")
    expect(header.locator(".badge")).to_have_text("Booked")
    visit = page.locator("section", has=page.get_by_role("heading", name="Visit"))
    expect(visit).to_contain_text(provider_name)
    expect(visit).to_contain_text("Downtown Raleigh")
    copay = page.locator("section", has=page.get_by_role("heading", name="Copay"))
    expect(copay).to_contain_text(f"Copay due from the primary coverage: ${COPAY}")
    expect(copay).to_contain_text("No copay collected.")
    appointment_url = page.url

    # 3. Check in, collecting the copay by card.
    header.get_by_role("link", name="Check in").click()
    expect(page.get_by_role("heading", name="Check in")).to_be_visible()
    expect(page.locator("main")).to_contain_text(f"Copay due from the primary coverage: ${COPAY}")
    page.get_by_label("Copay collected").fill(COPAY)
    page.get_by_label("Paid by").select_option(label="Card")
    page.get_by_role("button", name="Check in").click()
    expect(page).to_have_url(appointment_url)
    flash(page, re.compile(rf"Checked in\. Copay of \${re.escape(COPAY)} received, receipt CP\d{{8}}-[0-9A-F]{{8}}"))
    receipt = re.search(r"receipt (CP\d{8}-[0-9A-F]{8})", page.locator(".messages").inner_text())
    assert receipt is not None
    expect(header.locator(".badge")).to_have_text("Checked in")
    copay = page.locator("section", has=page.get_by_role("heading", name="Copay"))
    payment = copay.locator("li", has_text=receipt.group(1))
    expect(payment).to_contain_text(f"${COPAY} — Card")
    expect(page.locator("section", has=page.get_by_role("heading", name="Visit"))).to_contain_text("Checked in")
    expect(header.get_by_role("link", name="Check in")).to_have_count(0)

    # 4. Check out: the visit is complete (billing starts from here).
    header.get_by_role("button", name="Check out").click()
    expect(page).to_have_url(appointment_url)
    flash(page, "Checked out: the visit is complete.")
    expect(header.locator(".badge")).to_have_text("Completed")
    expect(page.locator("section", has=page.get_by_role("heading", name="Visit"))).to_contain_text("Checked out")
    expect(header.get_by_role("button", name="Check out")).to_have_count(0)
    # The copay stays on record after check-out.
    expect(page.locator("section", has=page.get_by_role("heading", name="Copay"))).to_contain_text(receipt.group(1))

    # The day's schedule shows the visit as completed, also after paging days with htmx and coming back.
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Schedule").click()
    expect(page.get_by_role("heading", name="Schedule", exact=True)).to_be_visible()
    day_title = page.locator("#day-grid .day-title").inner_text()
    visit_in_grid = page.locator("#day-grid a.appt", has_text=f"{last}, {first}")
    expect(visit_in_grid).to_contain_text("Completed")
    page.locator("#day-grid").get_by_role("link", name="Next day").click()
    expect(page.locator("#day-grid .day-title")).not_to_have_text(day_title)
    expect(visit_in_grid).to_have_count(0)
    page.locator("#day-grid").get_by_role("link", name="Previous day").click()
    expect(page.locator("#day-grid .day-title")).to_have_text(day_title)
    expect(visit_in_grid).to_contain_text("Completed")


def tiny_png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 5), (40, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_card_upload_that_is_not_an_image_is_refused_with_a_clear_message(
    page: Page, live_app: LiveApp, sign_in: Callable[[Page, DemoUser], None]
) -> None:
    sign_in(page, live_app.user("front_desk"))
    patient_url = register_patient(page, NewPatient.invent())
    add_coverage(page, patient_url)

    coverage = page.locator("section", has=page.get_by_role("heading", name="Insurance coverage"))
    coverage.get_by_role("link", name="Upload card").click()
    expect(page.get_by_role("heading", name=f"Insurance card: {PAYER}")).to_be_visible()
    card_url = page.url
    # A PDF renamed to .png, sent as image/png: the bytes decide, not the name or the browser's type.
    page.get_by_label("Side").select_option(label="Front")
    page.get_by_label("Card image").set_input_files(
        files=FilePayload(name="card-front.png", mimeType="image/png", buffer=b"%PDF-1.4\n% not an image\n")
    )
    page.get_by_role("button", name="Upload").click()
    error = page.locator(".field-has-error")
    expect(error).to_contain_text("This file is not an image we can read (use JPEG, PNG, WebP or GIF).")
    expect(page.get_by_label("Card image")).to_have_attribute("aria-invalid", "true")
    expect(page).to_have_url(card_url)

    # Nothing was stored: the record still shows no card.
    page.goto(patient_url)
    coverage = page.locator("section", has=page.get_by_role("heading", name="Insurance coverage"))
    expect(coverage.get_by_role("link", name="Front")).to_have_count(0)

    # A real image goes through and is offered as a download.
    coverage.get_by_role("link", name="Upload card").click()
    page.get_by_label("Side").select_option(label="Front")
    page.get_by_label("Card image").set_input_files(
        files=FilePayload(name="card-front.png", mimeType="image/png", buffer=tiny_png())
    )
    page.get_by_role("button", name="Upload").click()
    flash(page, "Card image uploaded.")
    coverage = page.locator("section", has=page.get_by_role("heading", name="Insurance coverage"))
    with page.expect_download() as download:
        coverage.get_by_role("link", name="Front").click()
    assert download.value.suggested_filename.endswith("-front.png")


def test_the_guarantor_is_picked_from_a_search_on_the_registration_form(
    page: Page, live_app: LiveApp, sign_in: Callable[[Page, DemoUser], None]
) -> None:
    sign_in(page, live_app.user("front_desk"))
    parent = NewPatient.invent()
    parent_url = register_patient(page, parent)
    account = re.search(r"P\d{7}", page.locator("h1").inner_text())
    assert account is not None

    child = NewPatient.invent()
    page.goto("/patients/new/")
    page.get_by_label("First name").fill(child.first)
    page.get_by_label("Last name").fill(child.last)
    guarantor = page.get_by_role("group", name="Guarantor")
    expect(guarantor.get_by_role("radio", name=re.compile("^Self"))).to_be_checked()
    # Typing searches (htmx swaps in the options); Enter in the box searches too and never submits the form.
    search = guarantor.get_by_label("Find the guarantor")
    search.fill(parent.last)
    option = guarantor.get_by_role("radio", name=re.compile(rf"^{parent.last}, {parent.first} — .* {account.group(0)}$"))
    expect(option).to_have_count(1)
    with page.expect_response(lambda response: "guarantor_q=" in response.url):
        search.press("Enter")
    htmx_settled(page)
    expect(option).to_have_count(1)
    expect(page).to_have_url(re.compile(r"/patients/new/$"))
    expect(page.get_by_label("First name")).to_have_value(child.first)  # nothing was reloaded
    option.check()
    violations = blocking_violations(page)  # the picker, with its search results in place
    assert violations == [], describe(violations)

    page.get_by_label("Date of birth").fill(child.born.isoformat())
    field(page, "Sex").select_option(label="Male")
    page.get_by_label("Home location").select_option(label="Downtown Raleigh")
    field(page, "Address").fill("412 Oak Street")
    page.get_by_label("City").fill("Raleigh")
    page.get_by_label("State").select_option(value="NC")
    page.get_by_label("ZIP code").fill("27601")
    page.get_by_label("Mobile phone").fill(child.phone)
    page.get_by_role("button", name="Register patient").click()
    flash(page, re.compile(r"Patient registered with account number P\d{7}"))
    demographics = page.locator("section", has=page.get_by_role("heading", name="Demographics"))
    expect(demographics).to_contain_text(f"{parent.first} {parent.last} {account.group(0)}")

    # On the parent's record, picking the child as guarantor would close a loop: refused on the field.
    page.goto(parent_url)
    page.get_by_role("link", name="Edit").first.click()
    guarantor = page.get_by_role("group", name="Guarantor")
    guarantor.get_by_label("Find the guarantor").fill(child.last)
    loop = guarantor.get_by_role("radio", name=re.compile(rf"^{child.last}, {child.first}"))
    expect(loop).to_have_count(1)
    htmx_settled(page)
    loop.check()
    page.get_by_role("button", name="Save patient").click()
    expect(page.locator(".field-has-error")).to_contain_text("already has this patient as their guarantor")
    page.goto(parent_url)
    expect(page.locator("section", has=page.get_by_role("heading", name="Demographics"))).to_contain_text(
        re.compile(r"Guarantor\s*Self")
    )
