"""Remittances in a real browser. The biller imports an 835 that pays one of the demo's claims still waiting for the
payer (with a contractual adjustment and coinsurance), denies another (CO-16 with remark M51: coding) and pays a
claim number that is not ours; the summary and its drill-down say what was posted, and the same file imported again
posts nothing. The denial waits in the worklist under its category with the suggested next step, and the biller
works it: assigns it, adds a note, appeals with the PDF letter, closes it as resolved. The front desk gets a 404 on
each of these pages, and axe finds no serious violation on them.

The 835 is written by the product's writer (billing/x12/writer_835.py) for claims of the live app's database, in
the app's own environment (`manage.py shell`, see write_835_in_app): this process does not share that database.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from live_app import DemoUser, LiveApp
from playwright.sync_api import Locator, Page, expect
from test_billing import sign_out
from test_browser_accessibility_front_office import AxeReport
from test_front_office import field, flash

pytestmark = pytest.mark.browser

CENT = Decimal("0.01")
MARK = "BROWSER-835 "  # the line of `manage.py shell` output that carries write_835's answer
CODING_NEXT_STEP = ("Compare the procedure codes, modifiers and diagnoses with the visit note, fix the charge and "
                    "send a corrected claim.")
NOT_FOUND = "There is nothing here, or it is not yours to see."


# --- the 835, written inside the app -------------------------------------------------------------------------


def write_835(tag: str) -> dict[str, Any]:
    """Runs in the app's environment (write_835_in_app). Picks one payer's two claims that no remittance answered
    yet (the demo leaves each payer's newest two waiting), of two patients, the paid one's patient without a
    secondary coverage (so the coinsurance stays with the patient), and writes one payment that pays the first
    70% per line (10% CO-45, 20% PR-2 coinsurance), denies the second (CO-16, remark M51) and pays, 80%, a claim
    number that is not ours. Returns the file and what it says, claim by claim."""
    from django.utils import timezone

    from openpractice.billing.choices import ClaimFrequency, ClaimStatus
    from openpractice.billing.models import Claim, RemittanceClaim
    from openpractice.billing.x12 import writer_835
    from openpractice.patients.models import Coverage

    def cents(value: Decimal) -> Decimal:
        return value.quantize(CENT, rounding=ROUND_HALF_UP)

    answered = RemittanceClaim.objects.filter(claim__isnull=False).values("claim_id")
    waiting = (Claim.objects.filter(status__in=[ClaimStatus.SUBMITTED, ClaimStatus.ACCEPTED], payer_rank=1,
                                    frequency_code=ClaimFrequency.ORIGINAL)
               .exclude(pk__in=answered).select_related("payer", "patient", "coverage").order_by("pk"))
    with_secondary = set(Coverage.objects.filter(rank__gt=1).values_list("patient_id", flat=True))
    by_payer: dict[int, list[Claim]] = defaultdict(list)
    for claim in waiting:
        by_payer[claim.payer_id].append(claim)
    for claims in by_payer.values():
        paid = next((claim for claim in claims if claim.patient_id not in with_secondary), None)
        denied = next((claim for claim in claims if paid is not None and claim.patient_id != paid.patient_id), None)
        if paid is not None and denied is not None:
            break
    else:
        raise LookupError("no payer has two unanswered claims of two patients: the demo data changed")

    def shares(line: Any) -> list[tuple[str, str, Decimal]]:
        return [("CO", "45", cents(line.amount * Decimal("0.10"))), ("PR", "2", cents(line.amount * Decimal("0.20")))]

    lines = [(line.amount, *(amount for _group, _reason, amount in shares(line)))
             for line in paid.lines.order_by("line_number")]
    stranger = writer_835.claim_payment(paid, number=f"ZZ{tag}", payer_claim_number=f"ICNZZ{tag}")
    parts = [
        writer_835.claim_payment(paid, adjustments=shares),
        writer_835.claim_payment(denied, status="4", denial_reason="16", remarks=["M51"]),
        stranger,
    ]
    payer = paid.payer
    paid_on = timezone.localdate() - dt.timedelta(days=1)
    trace = f"BRW{tag}"
    text = writer_835.era(parts, trace=trace, payer_key=f"1{payer.pk:09d}", payer_name=payer.name.upper()[:60],
                          payer_id=payer.payer_id or "PAYER01", payment_date=paid_on)

    def described(claim: Claim) -> dict[str, Any]:
        return {"number": claim.claim_number, "pk": claim.pk, "patient_id": claim.patient_id,
                "patient": f"{claim.patient.last_name}, {claim.patient.first_name}",
                "charge": str(claim.total_charge), "date_of_service": claim.date_of_service.isoformat()}

    return {"file": text, "filename": f"era-{tag}.835", "trace": trace, "payer": payer.name,
            "paid_on": paid_on.isoformat(), "paid": described(paid) | {"lines": [[str(v) for v in row] for row in lines]},
            "denied": described(denied), "stranger": {"number": f"ZZ{tag}", "paid": str(stranger.paid)}}


@dataclass(frozen=True)
class Era:
    """What write_835 wrote, with the amounts the file carries for the claim it pays."""

    data: dict[str, Any]

    @property
    def file(self) -> bytes:
        return str(self.data["file"]).encode("ascii")

    @property
    def filename(self) -> str:
        return str(self.data["filename"])

    @property
    def trace(self) -> str:
        return str(self.data["trace"])

    @property
    def paid(self) -> dict[str, Any]:
        return dict(self.data["paid"])

    @property
    def denied(self) -> dict[str, Any]:
        return dict(self.data["denied"])

    @property
    def stranger(self) -> dict[str, Any]:
        return dict(self.data["stranger"])

    def _column(self, index: int) -> Decimal:
        return sum((Decimal(row[index]) for row in self.paid["lines"]), Decimal(0))

    @property
    def contractual(self) -> Decimal:  # CO-45 of the paid claim
        return self._column(1)

    @property
    def coinsurance(self) -> Decimal:  # PR-2 of the paid claim
        return self._column(2)

    @property
    def paid_amount(self) -> Decimal:  # CLP04 of the paid claim: each line's charge less its adjustments
        return self._column(0) - self.contractual - self.coinsurance

    @property
    def payment_amount(self) -> Decimal:  # BPR02: every claim payment, ours or not
        return self.paid_amount + Decimal(self.stranger["paid"])


def write_835_in_app(live_app: LiveApp) -> Era:
    tag = secrets.token_hex(4).upper()
    here = str(Path(__file__).resolve().parent)
    code = (f"import json, sys; sys.path.insert(0, {here!r}); import {Path(__file__).stem} as scenario; "
            f"print({MARK!r} + json.dumps(scenario.write_835({tag!r})))")
    output = live_app.manage("shell", "-c", code)
    answer = next((line for line in output.splitlines() if line.startswith(MARK)), None)
    assert answer is not None, output[-2000:]
    era = Era(json.loads(answer[len(MARK):]))
    assert min(era.paid_amount, era.contractual, era.coinsurance) > 0, era.data
    return era


# --- the pages -----------------------------------------------------------------------------------------------


def money(value: Decimal | str) -> str:
    return f"${Decimal(value):.2f}"


def grouped_money(value: Decimal | str) -> str:  # floatformat:"2g"
    return f"${Decimal(value):,.2f}"


def amount(text: str) -> Decimal:
    """A dollar amount as the pages write it ("$1,234.50", "-$20.00")."""
    cleaned = text.strip().replace(",", "").replace("$", "")
    assert re.fullmatch(r"-?\d+\.\d\d", cleaned), text
    return Decimal(cleaned)


def detail(scope: Locator, term: str) -> Locator:
    """The <dd> of the <dt> that reads `term` in a details list."""
    return scope.locator(f"xpath=.//dt[normalize-space()={json.dumps(term)}]/following-sibling::dd[1]")


def card(page: Page, heading: str | re.Pattern[str]) -> Locator:
    return page.locator("section", has=page.get_by_role("heading", name=heading, exact=True))


def upload(page: Page, era: Era) -> Locator:
    """Import the file on the Import 835 page; returns the summary card."""
    expect(page.get_by_role("heading", name="Import 835", level=1)).to_be_visible()
    field(page, "X12 file").set_input_files(files=[{"name": era.filename, "mimeType": "application/edi-x12",
                                                     "buffer": era.file}])
    expect(page.get_by_label("Check only, post nothing")).not_to_be_checked()
    page.get_by_role("button", name="Import", exact=True).click()
    summary = card(page, f"File {era.filename}")
    expect(summary).to_be_visible()
    return summary


def open_upload(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Remittances (835)").click()
    expect(page.get_by_role("heading", name="Remittances (835)", level=1)).to_be_visible()
    page.get_by_role("link", name="Import 835").click()


def coding_card(page: Page) -> tuple[int, Decimal]:
    """The Coding card of the denials worklist: how many are being worked, for how much."""
    coding = page.locator(".cards a.card", has=page.locator(".stat-label", has_text=re.compile(r"^Coding — ")))
    expect(coding).to_have_count(1)
    label = coding.locator(".stat-label").inner_text()
    return int(coding.locator(".stat").inner_text()), amount(label.split("—", 1)[1])


@dataclass(frozen=True)
class Account:
    """A patient's account as the biller reads it: the balance cards, the claim's row of Open claims and the
    whole Open claims and Ledger cards (compared as text: a second posting would change them)."""

    cards: str
    claim_row: tuple[Decimal, Decimal] | None  # the claim's (owed by insurance, owed by the patient)
    open_claims: str
    ledger_rows: int
    waiting_on_insurance: Decimal


def account(page: Page, patient_id: int, claim_number: str) -> Account:
    page.goto(f"/billing/patients/{patient_id}/account/")
    expect(page.get_by_role("heading", name=re.compile(r"^Patient account — "), level=1)).to_be_visible()
    open_claims = card(page, "Open claims")
    row = open_claims.locator("tbody tr", has=page.locator("td:first-child", has_text=claim_number))
    claim_row = None
    if row.count():
        cells = row.locator("td")
        claim_row = (amount(cells.nth(2).inner_text()), amount(cells.nth(3).inner_text()))
    waiting = page.locator(".cards .card", has=page.locator(".stat-label", has_text="Waiting on insurance"))
    return Account(cards=page.locator(".cards").first.inner_text(), claim_row=claim_row,
                   open_claims=open_claims.inner_text(), ledger_rows=card(page, "Ledger").locator("tbody tr").count(),
                   waiting_on_insurance=amount(waiting.locator(".stat").inner_text()))


def refused(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None
    assert response.status == 404, (url, response.status)
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.locator("main")).to_contain_text(NOT_FOUND)


# --- the tests -----------------------------------------------------------------------------------------------


def test_the_biller_imports_an_835_once_and_works_its_denial_and_the_front_desk_is_refused(
    page: Page, live_app: LiveApp, sign_in: Callable[[Page, DemoUser], None]
) -> None:
    era = write_835_in_app(live_app)
    paid, denied, stranger = era.paid, era.denied, era.stranger
    biller = live_app.user("biller")
    biller_name = str(biller.raw["name"])
    sign_in(page, biller)

    # Before: both claims wholly with the payer; the Coding denials being worked.
    before_paid = account(page, paid["patient_id"], paid["number"])
    assert before_paid.claim_row is not None, before_paid
    assert before_paid.claim_row[0] == Decimal(paid["charge"]), before_paid
    before_denied = account(page, denied["patient_id"], denied["number"])
    assert before_denied.claim_row is not None, before_denied
    assert before_denied.claim_row[0] == Decimal(denied["charge"]), before_denied
    page.goto("/billing/denials/")
    coding_before = coding_card(page)

    # 1. Import 835 from the Billing menu: what was posted, in the summary.
    open_upload(page)
    summary = upload(page, era)
    expect(summary.get_by_role("status")).to_have_text("Posted 1 payment.")
    expected = {
        "Payments": "1", "Claims matched": "2", "Claims not matched": "1 — in the exceptions queue",
        "Paid": money(era.paid_amount), "Adjustments": money(era.contractual),
        "Patient responsibility": money(era.coinsurance), "Denied claims": "1 — denials worklist",
        "Reversed claims": "0", "Duplicates skipped": "0",
    }
    for term, value in expected.items():
        expect(detail(summary, term)).to_have_text(value)
    expect(summary.locator("h3", has_text="Notices").locator("xpath=following-sibling::ul[1]")).to_contain_text(
        f"Claim payment {stranger['number']} ({era.trace}) is in the exceptions queue: No claim of ours has this "
        "number.")
    payments = card(page, "Payments").locator("tbody tr")
    expect(payments).to_have_count(1)
    expect(payments.locator("td")).to_have_text([era.data["payer"], era.trace,
                                                 dt.date.fromisoformat(era.data["paid_on"]).strftime("%m/%d/%Y"),
                                                 money(era.payment_amount), "3"])
    matched = card(page, re.compile(r"^Matched claims \d+$")).locator("tbody tr")
    expect(matched).to_have_count(2)
    expect(matched.filter(has_text=paid["number"]).locator("td")).to_have_text(
        [paid["number"], "Processed as primary", money(paid["charge"]), money(era.paid_amount),
         money(era.coinsurance), era.trace])
    expect(matched.filter(has_text=denied["number"]).locator("td")).to_have_text(
        [denied["number"], "Denied", money(denied["charge"]), "$0.00", "$0.00", era.trace])
    denied_group = card(page, re.compile(r"^Denied \d+$"))
    expect(denied_group.get_by_role("heading")).to_have_text("Denied 1")
    expect(denied_group.locator("tbody tr")).to_have_count(1)
    expect(denied_group.locator("tbody tr").first).to_contain_text(denied["number"])
    expect(denied_group.get_by_role("link", name="Open the denials worklist")).to_be_visible()
    unmatched = card(page, re.compile(r"^Not matched \(exceptions queue\) \d+$")).locator("tbody tr")
    expect(unmatched).to_have_count(1)
    expect(unmatched.locator("td").first).to_have_text(stranger["number"])
    expect(page.get_by_role("heading", name=re.compile(r"^Reversed"))).to_have_count(0)

    # Drill down: the payment, then the claim it paid (now paid, by the 835).
    card(page, "Payments").get_by_role("link", name=era.trace).click()
    expect(page.get_by_role("heading", name=f"Remittance {era.trace}", level=1)).to_be_visible()
    remittance_url = page.url
    payment = card(page, "Payment")
    expect(detail(payment, "Amount (BPR02)")).to_have_text(money(era.payment_amount))
    expect(detail(payment, "File")).to_have_text(era.filename)
    claim_payments = card(page, re.compile(r"^Claim payments \d+$"))
    expect(claim_payments.get_by_role("heading", level=2)).to_have_text("Claim payments 3")
    expect(claim_payments).not_to_contain_text("not shown")  # the biller covers every location
    stranger_payment = claim_payments.locator("article", has=page.locator("h3", has_text=stranger["number"]))
    expect(stranger_payment.locator("h3 .badge")).to_have_text(["Processed as primary",
                                                               "Not matched: in the exceptions queue"])
    expect(detail(stranger_payment, "Paid (CLP04)")).to_have_text(money(stranger["paid"]))
    expect(stranger_payment.get_by_role("link", name="Match or dismiss")).to_be_visible()
    paid_payment = claim_payments.locator("article", has=page.get_by_role("link", name=paid["number"]))
    expect(detail(paid_payment, "Paid (CLP04)")).to_have_text(money(era.paid_amount))
    expect(detail(paid_payment, "Patient responsibility")).to_have_text(money(era.coinsurance))
    denied_payment = claim_payments.locator("article", has=page.get_by_role("link", name=denied["number"]))
    expect(denied_payment.locator("h3 .badge")).to_have_text("Denied")
    expect(detail(denied_payment, "Denial")).to_contain_text("Coding — Open")
    paid_payment.get_by_role("link", name=paid["number"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Claim {paid['number']} — {paid['patient']}")
    expect(page.locator(".page-header .badge").first).to_have_text("Paid")
    history = card(page, "Status history").locator("tbody tr")
    expect(history.filter(has_text=f"835 {era.trace}: paid {era.paid_amount:.2f}")).to_have_count(1)

    # The money: the paid claim owes the payer nothing and the patient the coinsurance; the denied one stays
    # with the payer, to be worked.
    after_paid = account(page, paid["patient_id"], paid["number"])
    assert after_paid.claim_row == (Decimal(0), before_paid.claim_row[1] + era.coinsurance), after_paid
    assert after_paid.waiting_on_insurance == before_paid.waiting_on_insurance - Decimal(paid["charge"]), after_paid
    assert after_paid.ledger_rows > before_paid.ledger_rows, after_paid
    after_denied = account(page, denied["patient_id"], denied["number"])
    assert after_denied.claim_row == before_denied.claim_row, after_denied
    assert after_denied.waiting_on_insurance == before_denied.waiting_on_insurance, after_denied

    # The same file again: a duplicate, nothing posted twice.
    open_upload(page)
    summary = upload(page, era)
    expect(summary.get_by_role("status")).to_have_text(
        "Duplicate: this file (or every payment in it) was already imported. Nothing was posted again.")
    for term, value in {"Payments": "1", "Claims matched": "0", "Claims not matched": "0", "Paid": "$0.00",
                        "Denied claims": "0", "Duplicates skipped": "1"}.items():
        expect(detail(summary, term)).to_have_text(value)
    expect(summary).to_contain_text(re.compile(
        rf"This file was already imported on \d\d/\d\d/\d{{4}} \d\d:\d\d [AP]M \({re.escape(era.filename)}\): "
        r"nothing was posted\."))
    expect(card(page, "Payments")).to_have_count(0)
    assert account(page, paid["patient_id"], paid["number"]) == after_paid
    assert account(page, denied["patient_id"], denied["number"]) == after_denied
    page.goto(f"/billing/remittances/?q={era.trace}")
    expect(page.locator("#remittance-table tbody tr")).to_have_count(1)
    page.goto(f"/billing/remittances/imports/?q={era.filename}")
    imports = page.locator("#remittance-import-table tbody tr")
    expect(imports).to_have_count(2)
    # (imported, file, by, status, payments, claims, paid): the duplicate held one payment and posted nothing.
    duplicate = imports.filter(has=page.locator("td:nth-child(4)", has_text="Already imported (nothing posted)"))
    expect(duplicate.locator("td:nth-child(n+5)")).to_have_text(["1", "0 matched", "$0.00"])  # 1 payment, skipped
    posted = imports.filter(has=page.locator("td:nth-child(4)", has_text=re.compile("^Posted$")))
    expect(posted.locator("td:nth-child(n+5)")).to_have_text(
        ["1", re.compile(r"^2 matched, 1 not matched ?, 1 denied$"), money(era.paid_amount)])
    page.goto(f"/billing/remittances/exceptions/?q={stranger['number']}")
    queued = page.locator("#exception-table tbody tr")
    expect(queued).to_have_count(1)
    expect(queued).to_contain_text(money(stranger["paid"]))
    page.goto(f"/billing/remittances/imports/?q={era.filename}")
    posted.get_by_role("link").click()
    expect(page.get_by_role("heading", name=f"835 file {era.filename}", level=1)).to_be_visible()
    import_url = page.url
    expect(detail(card(page, f"File {era.filename}"), "Paid")).to_have_text(money(era.paid_amount))

    # 2. The denial, in the worklist under Coding with its next step.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Denials", exact=True).click()
    expect(page.get_by_role("heading", name="Denials", level=1)).to_be_visible()
    count, total = coding_card(page)
    assert (count, total) == (coding_before[0] + 1, coding_before[1] + Decimal(denied["charge"])), (
        coding_before, count, total)
    page.locator(".cards a.card", has_text="Coding —").click()
    expect(page).to_have_url(re.compile(r"[?&]category=coding"))
    rows = page.locator("#denial-table tbody tr")
    shown = min(count, 25)  # the worklist's page
    expect(rows).to_have_count(shown)
    expect(rows.locator("td:nth-child(5)")).to_have_text(["Coding"] * shown)
    row = rows.filter(has=page.get_by_role("link", name=denied["number"], exact=True))
    expect(row.locator("td")).to_have_text([
        denied["number"], denied["patient"], era.data["payer"],
        dt.date.fromisoformat(denied["date_of_service"]).strftime("%m/%d/%Y"), "Coding", "16 M51",
        grouped_money(denied["charge"]), "Open", "—", CODING_NEXT_STEP, re.compile(r"\d\d/\d\d/\d{4}")])

    # The biller works it: assigns it to themself, notes the call, appeals (the letter as a PDF), resolves it.
    row.get_by_role("link", name=denied["number"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Denial of claim {denied['number']} — "
                                                              f"{denied['patient']}")
    denial_url = page.url
    header = page.locator(".page-header")
    expect(header.locator(".badge")).to_have_text("Open")
    expect(page.locator("main")).to_contain_text(f"Next step: {CODING_NEXT_STEP}")
    what = card(page, "What the payer denied")
    expect(detail(what, "Category")).to_have_text("Coding")
    expect(detail(what, "Reason codes (CARC)")).to_have_text("16")
    expect(detail(what, "Remark codes (RARC)")).to_have_text("M51")
    expect(detail(what, "Amount denied")).to_have_text(grouped_money(denied["charge"]))
    expect(detail(what, "Remittance")).to_contain_text(era.trace)
    page.get_by_label("Assign to").select_option(label=biller_name)
    page.get_by_role("button", name="Assign", exact=True).click()
    flash(page, f"Assigned to {biller_name}.")
    expect(detail(card(page, "What the payer denied"), "Assigned to")).to_have_text(biller_name)
    call = f"Called {era.data['payer']}: the M51 is the missing modifier on line 1 (ref {era.trace})."
    page.get_by_label("Add a note").fill(call)
    page.get_by_role("button", name="Add note").click()
    flash(page, "Note added.")
    expect(card(page, "Notes")).to_contain_text(call)

    header.get_by_role("link", name="Appeal (letter)").click()
    expect(page.get_by_role("heading", name=f"Appeal of claim {denied['number']}", level=1)).to_be_visible()
    expect(page.locator("main")).to_contain_text(f"Suggested next step: {CODING_NEXT_STEP}")
    argument = (f"The visit of {denied['patient']} was coded as documented; the records are attached. We ask "
                f"you to reprocess claim {denied['number']}.")
    field(page, "Why the claim should be paid").fill(argument)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Appeal and download the letter").click()
    download = download_info.value
    assert download.suggested_filename == f"appeal-{denied['number']}.pdf", download.suggested_filename
    letter = Path(download.path()).read_bytes()
    assert letter.startswith(b"%PDF-"), letter[:64]
    assert b"%%EOF" in letter[-1024:], letter[-64:]
    page.goto(denial_url)
    expect(header.locator(".badge")).to_have_text("Appealed")
    expect(header.get_by_role("link", name="Appeal again (letter)")).to_be_visible()
    expect(card(page, "The claim").locator(".badge").first).to_have_text("Appealed")
    expect(card(page, "Notes")).to_contain_text(argument)
    history = card(page, "Claim status history").locator("tbody tr")
    expect(history.filter(has_text="appeal of denial")).to_have_count(1)

    page.goto("/billing/denials/?category=coding")
    row = page.locator("#denial-table tbody tr").filter(has=page.get_by_role("link", name=denied["number"]))
    expect(row.locator("td:nth-child(8)")).to_have_text("Appealed")
    expect(row.locator("td:nth-child(9)")).to_have_text(biller_name)
    row.get_by_role("link", name=denied["number"]).click()

    close = page.locator("form", has=page.get_by_role("group", name="Close the denial"))
    expect(close.get_by_label("Resolved")).to_be_checked()
    close.get_by_label("Why").fill("The payer reprocessed the claim after the appeal.")
    close.get_by_role("button", name="Close the denial").click()
    flash(page, "Denial resolved.")
    expect(header.locator(".badge")).to_have_text("Resolved")
    expect(page.get_by_role("heading", name="Work the denial")).to_have_count(0)
    expect(header.get_by_role("link", name=re.compile("Appeal"))).to_have_count(0)
    expect(detail(card(page, "What the payer denied"), "Closed")).to_have_text(re.compile(r"\d\d/\d\d/\d{4}"))
    page.goto("/billing/denials/")
    assert coding_card(page) == coding_before  # no longer being worked
    expect(page.get_by_role("link", name=denied["number"], exact=True)).to_have_count(0)
    page.goto("/billing/denials/?status=resolved&category=coding")
    resolved = page.locator("#denial-table tbody tr").filter(has=page.get_by_role("link", name=denied["number"]))
    expect(resolved.locator("td:nth-child(8)")).to_have_text("Resolved")
    sign_out(page)

    # 3. The front desk: none of it exists for them.
    sign_in(page, live_app.user("front_desk"))
    for url in ("/billing/remittances/import/", "/billing/denials/", denial_url, remittance_url, import_url,
                "/billing/remittances/exceptions/"):
        refused(page, url)


def test_the_remittance_and_denial_pages_have_no_serious_accessibility_violations(
    page: Page, live_app: LiveApp, sign_in: Callable[[Page, DemoUser], None]
) -> None:
    era = write_835_in_app(live_app)
    sign_in(page, live_app.user("biller"))
    report = AxeReport(page)

    page.goto("/billing/remittances/import/")
    expect(page.get_by_role("heading", name="Import 835", level=1)).to_be_visible()
    report.check("Import 835")
    page.get_by_role("button", name="Import", exact=True).click()  # no file: the field in error
    expect(page.locator(".field-has-error")).to_have_count(1)
    report.check("Import 835 without a file")
    summary = upload(page, era)
    expect(detail(summary, "Denied claims")).to_have_text("1 — denials worklist")
    report.check("Import 835, the summary with its drill-down")
    page.get_by_role("link", name="This import's page").click()
    expect(page.get_by_role("heading", name=f"835 file {era.filename}", level=1)).to_be_visible()
    report.check("imported file")
    card(page, "Payments").get_by_role("link", name=era.trace).click()
    expect(page.get_by_role("heading", name=f"Remittance {era.trace}", level=1)).to_be_visible()
    report.check("remittance")

    page.goto("/billing/denials/")
    expect(page.locator("#denial-table tbody tr").first).to_be_visible()
    report.check("denials worklist")
    page.goto("/billing/denials/?category=coding")
    denied = page.locator("#denial-table tbody tr").filter(has=page.get_by_role("link", name=era.denied["number"]))
    expect(denied).to_have_count(1)
    report.check("denials worklist, coding")
    denied.get_by_role("link", name=era.denied["number"]).click()
    expect(page.get_by_role("heading", name="Work the denial")).to_be_visible()
    report.check("denial")
    page.get_by_role("link", name="Appeal (letter)").click()
    page.get_by_role("button", name="Appeal and download the letter").click()  # no argument: the field in error
    expect(page.locator(".field-has-error")).to_have_count(1)
    report.check("appeal, without an argument")

    report.assert_clean()
