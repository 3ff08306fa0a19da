"""Posting 835 remittances: exactly once, all or nothing per payment, matched to our claims, into the ledger.
Payments, contractual adjustments, the patient's share (or the secondary payer's), denials, reversals, PLB, the
exceptions queue; refusals and dry runs change nothing."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.db.models import Sum

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.billing.choices import EntryKind, Party
from openpractice.billing.models import (
    AccountBalance,
    Claim,
    ClaimStatusChange,
    Denial,
    LedgerEntry,
    ProviderAdjustment,
    Remittance,
    RemittanceAdjustment,
    RemittanceClaim,
    RemittanceImport,
    RemittanceLine,
)
from openpractice.billing.services.batches import batch_build, batch_submit
from openpractice.billing.services.ledger import ledger_differences
from openpractice.billing.services.remittance_posting import (
    remittance_claim_dismiss,
    remittance_claim_resolve,
    remittance_import,
)
from openpractice.billing.tests.factories import make_claim
from openpractice.billing.tests.remit_support import (
    ClaimPart,
    charge_ledger,
    claim_payment,
    era,
    era_for,
    interchange,
    transaction_set,
)
from openpractice.billing.tests.x12_support import ready_claim, ready_practice
from openpractice.billing.transports import batch_file_path
from openpractice.billing.x12.reader import read_segments
from openpractice.core.models import Location, Practice
from openpractice.patients.tests.factories import CoverageFactory, PatientFactory, PayerFactory

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).resolve().parents[4] / "shared" / "x12-samples"
DOS = dt.date(2026, 11, 2)
TWO_LINES = (("99213", Decimal("100.00")), ("36415", Decimal("20.00")))
CENT = Decimal("0.01")  # SQLite's SUM() adds decimals as floating point: sums are rounded back to cents


@pytest.fixture
def biller(make_user: Callable[..., User]) -> User:
    return make_user(Role.BILLER, username="biller")


def accepted(location: Location, actor: User, *, lines: Any = TWO_LINES, **kwargs: Any) -> Claim:
    """A claim the payer has accepted, with its charge in the ledger."""
    claim = make_claim(location=location, actor=actor, status="accepted", lines=lines, date_of_service=DOS,
                       **kwargs)
    charge_ledger([claim], actor)
    return claim


def balance(claim: Claim, party: str = Party.PAYER, payer: Any = None) -> Decimal:
    rows = AccountBalance.objects.filter(claim=claim, party=party)
    if party == Party.PAYER:
        rows = rows.filter(payer=payer or claim.payer)
    return total(rows, "balance")


def total(rows: Any, column: str = "amount") -> Decimal:
    return (rows.aggregate(total=Sum(column))["total"] or Decimal(0)).quantize(CENT)


def entries_sum(claim: Claim) -> Decimal:
    return total(LedgerEntry.objects.filter(claim=claim))


def post(actor: User, text: str, name: str = "era.835", **kwargs: Any) -> Any:
    return remittance_import(actor=actor, filename=name, data=text.encode(), **kwargs)


def state() -> tuple[Any, ...]:
    """Everything posting writes, to prove a refusal or a dry run changed nothing."""
    return tuple(list(model.objects.order_by("pk").values()) for model in (
        LedgerEntry, AccountBalance, Remittance, RemittanceClaim, RemittanceLine, RemittanceAdjustment,
        ProviderAdjustment, Denial, ClaimStatusChange, Claim))


# --- the round trip --------------------------------------------------------------------------------------------


def test_an_835_paying_two_claims_posts_payments_write_downs_and_the_patients_share(
        biller: User, north: Location) -> None:
    claims = [accepted(north, biller), accepted(north, biller)]

    summary = post(biller, era_for(claims, paid=Decimal("0.70"), patient=Decimal("0.10")))

    assert summary.errors == []
    assert (summary.payments, summary.claims_matched, summary.claims_unmatched) == (1, 2, 0)
    assert summary.paid_total == Decimal("168.00")  # 70% of 2 x 120.00
    assert summary.adjustment_total == Decimal("48.00")  # CO-45: 20%
    assert summary.patient_responsibility_total == Decimal("24.00")  # PR-2: 10%
    for claim in claims:
        claim.refresh_from_db()
        assert claim.status == "paid"
        assert claim.payer_claim_number == f"ICN{claim.pk:08d}"
        assert balance(claim) == 0
        assert balance(claim, Party.PATIENT) == Decimal("12.00")
        assert entries_sum(claim) == Decimal("12.00")  # charges - payments - adjustments: what the patient owes
        kinds = {kind: amount.quantize(CENT) for kind, amount in LedgerEntry.objects.filter(claim=claim)
                 .values_list("kind").annotate(total=Sum("amount"))}
        assert kinds == {EntryKind.CHARGE: Decimal("120.00"), EntryKind.PAYER_PAYMENT: Decimal("-84.00"),
                         EntryKind.CONTRACTUAL: Decimal("-24.00"), EntryKind.TRANSFER: Decimal("0.00")}
        assert set(LedgerEntry.objects.filter(claim=claim, kind=EntryKind.TRANSFER).values_list(
            "group_code", "reason_code")) == {("PR", "2")}
    # Every line was matched through REF*6R and keeps what the payer allowed and paid.
    lines = RemittanceLine.objects.order_by("pk")
    assert all(line.claim_line_id is not None for line in lines)
    assert [(line.allowed_amount, line.paid_amount) for line in lines[:2]] == [
        (Decimal("80.00"), Decimal("70.00")), (Decimal("16.00"), Decimal("14.00"))]
    assert LedgerEntry.objects.filter(kind=EntryKind.PAYER_PAYMENT, claim_line__isnull=True).count() == 0
    assert ledger_differences() == []
    remittance = Remittance.objects.get()
    assert remittance.payer == claims[0].payer
    assert (remittance.trace_number, remittance.payment_amount) == ("T1", Decimal("168.00"))
    imported = RemittanceImport.objects.get()
    assert (imported.status, imported.summary["claims_matched"]) == ("posted", 2)
    assert summary.import_id == imported.pk
    changes = ClaimStatusChange.objects.filter(source="835")
    assert sorted(changes.values_list("from_status", "to_status")) == [("accepted", "paid")] * 2
    actions = list(AuditEvent.objects.filter(action__startswith="billing.").values_list("action", "patient_id"))
    assert actions.count(("billing.remittance_posted", None)) == 1
    assert sorted(p or 0 for a, p in actions if a == "billing.claim_payment_posted") == sorted(
        c.patient_id for c in claims)


def test_our_own_837_round_trips_into_an_835_that_posts(biller: User, north: Location, practice: Practice,
                                                        settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path
    ready_practice(practice)
    claims = [ready_claim(north, biller), ready_claim(north, biller)]
    charge_ledger(claims, biller)
    batch = batch_build(actor=biller)
    assert batch is not None
    assert batch_submit(actor=biller, batch=batch).succeeded
    sent = [segment.element(1) for segment in read_segments(batch_file_path(batch).read_bytes())
            if segment.id == "CLM"]
    billed = list(Claim.objects.filter(claim_number__in=sent).order_by("pk"))
    assert len(billed) == 2

    summary = post(biller, era_for(billed))

    assert (summary.claims_matched, summary.claims_unmatched) == (2, 0)
    for claim in billed:
        claim.refresh_from_db()
        assert claim.status == "paid"
        assert balance(claim) == 0
    assert ledger_differences() == []


def test_lines_without_ref_6r_match_on_code_date_and_charge(biller: User, north: Location) -> None:
    claim = accepted(north, biller)

    post(biller, era_for([claim], control_numbers=False))

    assert sorted(RemittanceLine.objects.values_list("claim_line__procedure_code", flat=True)) == ["36415", "99213"]
    claim.refresh_from_db()
    assert claim.status == "paid"


def test_claim_level_adjustments_without_lines_post_on_the_claim(biller: User, north: Location) -> None:
    claim = accepted(north, biller)

    post(biller, era_for([claim], lines=False, patient=Decimal("0.20")))

    assert balance(claim) == 0
    assert balance(claim, Party.PATIENT) == Decimal("24.00")
    assert not LedgerEntry.objects.filter(claim=claim, claim_line__isnull=False).exists()


def test_a_payment_leaving_part_with_the_payer_makes_the_claim_partial(biller: User, north: Location) -> None:
    claim = accepted(north, biller)
    # The payer adjudicates only the first line (100.00 billed, 80.00 paid): the second line's 20.00 stays open.
    segments = _without_line(claim_payment(claim).segments, "36415")
    segments[0] = segments[0].replace("*120.00*96.00*", "*100.00*80.00*", 1)

    post(biller, era([ClaimPart(segments=segments, paid=Decimal("80.00"))]))

    claim.refresh_from_db()
    assert claim.status == "partial"
    assert balance(claim) == Decimal("20.00")


def _without_line(segments: list[str], code: str) -> list[str]:
    out: list[str] = []
    skipping = False
    for segment in segments:
        if segment.startswith("SVC"):
            skipping = f":{code}" in segment.split("*")[1]
        if not skipping:
            out.append(segment)
    return out


# --- exactly once --------------------------------------------------------------------------------------------------


def test_importing_the_same_file_again_posts_nothing_and_says_so(biller: User, north: Location) -> None:
    claim = accepted(north, biller)
    text = era_for([claim])
    post(biller, text)
    before = state()

    again = post(biller, text, name="era-again.835")

    assert state() == before
    assert again.claims_matched == 0
    assert (again.payments, again.duplicates_skipped) == (1, 1)
    assert "already imported" in again.notices[0]
    assert list(RemittanceImport.objects.order_by("pk").values_list("status", flat=True)) == ["posted", "duplicate"]


def test_the_same_payment_inside_another_file_is_skipped(biller: User, north: Location) -> None:
    first, second = accepted(north, biller), accepted(north, biller)
    post(biller, era_for([first], trace="EFT100"))
    ledger_rows = LedgerEntry.objects.count()
    # Another file (another envelope) holds the same payment again and a new one.
    text = interchange([transaction_set([claim_payment(first)], trace="EFT100", control=1),
                        transaction_set([claim_payment(second)], trace="EFT200", control=2)], control=7)

    summary = post(biller, text, name="weekly.835")

    assert (summary.payments, summary.duplicates_skipped, summary.claims_matched) == (2, 1, 1)
    assert any("EFT100" in notice and "already posted" in notice for notice in summary.notices)
    assert Remittance.objects.count() == 2
    assert LedgerEntry.objects.count() - ledger_rows == LedgerEntry.objects.filter(claim=second).exclude(
        kind=EntryKind.CHARGE).count()
    assert balance(first) == 0
    assert ledger_differences() == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite takes one writer at a time: no race to lose")
def test_two_imports_of_one_file_at_the_same_moment_post_it_once(make_user: Callable[..., User],
                                                                 north: Location) -> None:
    biller = make_user(Role.BILLER, username="racer")
    claims = [accepted(north, biller) for _ in range(3)]
    data = era_for(claims).encode()
    start = threading.Barrier(2)
    results: list[Any] = []
    failures: list[BaseException] = []

    def run(name: str) -> None:
        try:
            start.wait(timeout=10)
            results.append(remittance_import(actor=biller, filename=name, data=data))
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(f"era-{n}.835",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    assert Remittance.objects.count() == 1
    assert sorted(r.claims_matched for r in results) == [0, 3]
    assert LedgerEntry.objects.filter(kind=EntryKind.PAYER_PAYMENT).count() == 6
    assert ledger_differences() == []


# --- refusals ------------------------------------------------------------------------------------------------------


def test_an_unbalanced_file_is_refused_with_its_segment_and_nothing_is_posted(biller: User,
                                                                              north: Location) -> None:
    good, bad = accepted(north, biller), accepted(north, biller)
    text = era([claim_payment(good), claim_payment(bad)])
    broken = text.replace(f"CLP*{bad.claim_number}*1*120.00*96.00", f"CLP*{bad.claim_number}*1*120.00*95.00")
    assert broken != text
    before = state()

    summary = post(biller, broken)

    assert state() == before
    assert len(summary.errors) == 1
    assert "segment" in summary.errors[0].lower()
    refused = RemittanceImport.objects.get()
    assert refused.status == "refused"
    assert refused.error
    assert summary.import_id == refused.pk


def test_someone_without_payment_posting_is_refused_and_nothing_changes(
        make_user: Callable[..., User], biller: User, north: Location) -> None:
    claim = accepted(north, biller)
    front_desk = make_user(Role.FRONT_DESK, username="desk")
    before = state()

    with pytest.raises(PermissionDenied):
        post(front_desk, era_for([claim]))

    assert state() == before
    assert not RemittanceImport.objects.exists()
    assert AuditEvent.objects.filter(actor=front_desk, outcome=Outcome.DENIED).count() == 1


def test_a_biller_of_one_clinic_cannot_post_a_file_paying_another_clinics_claims(
        make_user: Callable[..., User], biller: User, north: Location, south: Location) -> None:
    mine, theirs = accepted(north, biller), accepted(south, biller)
    north_biller = make_user(Role.BILLER, username="north-biller", locations=[north])
    before = state()

    with pytest.raises(PermissionDenied, match="South Clinic"):
        post(north_biller, era_for([mine, theirs]))

    assert state() == before
    assert AuditEvent.objects.filter(actor=north_biller, outcome=Outcome.DENIED).count() == 1


def test_a_dry_run_reports_what_an_import_would_do_and_changes_nothing(biller: User, north: Location) -> None:
    claims = [accepted(north, biller), accepted(north, biller)]
    text = era_for(claims, patient=Decimal("0.20"))
    before = state()
    events = AuditEvent.objects.count()

    dry = post(biller, text, dry_run=True)

    assert state() == before
    assert not RemittanceImport.objects.exists()
    assert AuditEvent.objects.count() == events
    assert dry.dry_run
    assert dry.import_id is None
    real = post(biller, text)
    assert {k: v for k, v in dry.as_json().items() if k not in ("dry_run", "import_id")} == {
        k: v for k, v in real.as_json().items() if k not in ("dry_run", "import_id")}


# --- denials, reversals, PLB -------------------------------------------------------------------------------------


def test_a_denied_claim_keeps_its_balance_with_the_payer_and_goes_to_the_denials_worklist(
        biller: User, north: Location) -> None:
    claim = accepted(north, biller)

    summary = post(biller, era_for([claim], status="4", denial_reason="29"))

    claim.refresh_from_db()
    assert claim.status == "denied"
    assert summary.denied_claims == 1
    assert summary.adjustment_total == 0
    assert balance(claim) == Decimal("120.00")  # not written off by the posting: the denial is worked
    denial = Denial.objects.get()
    assert (denial.claim, denial.category, denial.reason_codes, denial.amount) == (
        claim, "timely_filing", ["29"], Decimal("120.00"))
    assert denial.status == "open"


def test_nothing_paid_and_nothing_left_to_the_patient_is_a_denial_even_when_processed(
        biller: User, north: Location) -> None:
    claim = accepted(north, biller)

    post(biller, era_for([claim], adjustments=lambda line: [("CO", "16", line.amount)], remarks=("N54",)))

    claim.refresh_from_db()
    assert claim.status == "denied"
    assert Denial.objects.get().category == "authorization"  # from the remark code


def test_a_reversal_takes_back_the_earlier_posting_and_the_claim_is_with_the_payer_again(
        biller: User, north: Location) -> None:
    claim = accepted(north, biller)
    post(biller, era_for([claim], patient=Decimal("0.20"), trace="T1"))

    summary = post(biller, era_for([claim], patient=Decimal("0.20"), status="22", trace="T2"))

    claim.refresh_from_db()
    assert claim.status == "accepted"
    assert summary.reversed_claims == 1
    assert summary.paid_total == Decimal("-96.00")
    assert balance(claim) == Decimal("120.00")
    assert balance(claim, Party.PATIENT) == 0
    reversal = RemittanceClaim.objects.get(status_code="22")
    assert reversal.reverses == RemittanceClaim.objects.get(status_code="1")
    assert LedgerEntry.objects.filter(reverses__isnull=False).count() == LedgerEntry.objects.filter(
        remittance_claim=reversal.reverses).count()
    assert ledger_differences() == []


def test_a_reversal_and_the_corrected_payment_in_one_remittance(biller: User, north: Location) -> None:
    claim = accepted(north, biller)
    post(biller, era_for([claim], trace="T1"))

    post(biller, era([claim_payment(claim, status="22"), claim_payment(claim, paid=Decimal("0.90"))], trace="T2"))

    claim.refresh_from_db()
    assert claim.status == "paid"
    assert balance(claim) == 0
    assert total(LedgerEntry.objects.filter(claim=claim, kind=EntryKind.PAYER_PAYMENT)) == Decimal("-108.00")
    assert list(ClaimStatusChange.objects.filter(claim=claim, source="835").values_list("to_status", flat=True)) \
        == ["paid", "accepted", "paid"]


def test_a_reversal_with_nothing_to_reverse_waits_in_the_exceptions_queue(biller: User, north: Location) -> None:
    claim = accepted(north, biller)

    summary = post(biller, era_for([claim], status="22"))

    queued = RemittanceClaim.objects.get()
    assert (queued.match, queued.claim) == ("unmatched", claim)
    assert "no earlier payment" in queued.note
    assert summary.claims_unmatched == 1
    assert balance(claim) == Decimal("120.00")


def test_provider_level_adjustments_are_kept_and_a_recoupment_naming_our_claim_is_posted_on_it(
        biller: User, north: Location) -> None:
    paid, overpaid = accepted(north, biller), accepted(north, biller)
    post(biller, era_for([overpaid], paid=Decimal("1"), trace="T0"))  # paid in full, 20.00 more than allowed
    # The payer takes 20.00 back on `overpaid` out of today's payment and adds 1.50 interest to it.
    text = era_for([paid], trace="T1", plb=[("WO", overpaid.claim_number, Decimal("20.00")),
                                            ("L6", "", Decimal("-1.50"))])

    post(biller, text)

    remittance = Remittance.objects.get(trace_number="T1")
    assert remittance.payment_amount == Decimal("77.50")  # 96.00 - 20.00 + 1.50
    assert sorted(remittance.provider_adjustments.values_list("reason_code", "amount")) == [
        ("L6", Decimal("-1.50")), ("WO", Decimal("20.00"))]
    assert balance(overpaid) == Decimal("20.00")
    assert LedgerEntry.objects.get(kind=EntryKind.PROVIDER_ADJUSTMENT).remittance == remittance
    assert ledger_differences() == []


# --- the secondary payer ---------------------------------------------------------------------------------------------


def test_after_the_primary_pays_the_secondary_claim_is_built_and_takes_the_patients_share(
        biller: User, north: Location) -> None:
    patient = PatientFactory(home_location=north)
    primary_coverage = CoverageFactory(patient=patient, rank=1, effective_from=dt.date(2024, 1, 1))
    secondary_payer = PayerFactory(name="Second Mutual")
    CoverageFactory(patient=patient, rank=2, payer=secondary_payer, effective_from=dt.date(2024, 1, 1))
    claim = accepted(north, biller, coverage=primary_coverage)

    summary = post(biller, era_for([claim], paid=Decimal("0.60"), patient=Decimal("0.25")))

    secondary = Claim.objects.get(payer_rank=2)
    assert (secondary.charge_id, secondary.payer, secondary.status) == (claim.charge_id, secondary_payer, "draft")
    assert secondary.prior_payer_paid == Decimal("72.00")
    assert sorted(secondary.prior_adjustments.values_list("group_code", "reason_code", "amount")) == [
        ("CO", "45", Decimal("18.00")), ("PR", "2", Decimal("30.00"))]
    assert balance(claim) == 0
    assert balance(claim, Party.PATIENT) == 0
    assert balance(secondary, payer=secondary_payer) == Decimal("30.00")
    assert summary.patient_responsibility_total == Decimal("30.00")
    assert ledger_differences() == []
    # Then the secondary's own remittance pays it: the primary's part comes as OA-23, posted on neither claim.
    charge_family = total(LedgerEntry.objects.filter(charge_id=claim.charge_id))
    assert charge_family == Decimal("30.00")
    Claim.objects.filter(pk=secondary.pk).update(status="accepted")
    secondary.refresh_from_db()

    post(biller, era_for([secondary], status="2", trace="S1",
                         adjustments=lambda line: [("OA", "23", line.amount * Decimal("0.75"))]))

    secondary.refresh_from_db()
    assert secondary.status == "paid"
    assert balance(secondary, payer=secondary_payer) == 0
    assert total(LedgerEntry.objects.filter(charge_id=claim.charge_id)) == 0
    assert ledger_differences() == []


def test_a_secondary_payment_on_the_primary_claims_number_goes_to_the_secondary_claim(
        biller: User, north: Location) -> None:
    patient = PatientFactory(home_location=north)
    primary_coverage = CoverageFactory(patient=patient, rank=1, effective_from=dt.date(2024, 1, 1))
    CoverageFactory(patient=patient, rank=2, effective_from=dt.date(2024, 1, 1))
    claim = accepted(north, biller, coverage=primary_coverage)
    post(biller, era_for([claim], paid=Decimal("0.80"), patient=Decimal("0.20")))
    secondary = Claim.objects.get(payer_rank=2)
    Claim.objects.filter(pk=secondary.pk).update(status="accepted")

    post(biller, era_for([claim], status="2", trace="S1", control_numbers=False,
                         adjustments=lambda line: [("OA", "23", line.amount * Decimal("0.80"))]))

    secondary.refresh_from_db()
    assert secondary.status == "paid"
    assert balance(secondary) == 0
    assert RemittanceClaim.objects.get(status_code="2").claim == secondary


# --- the exceptions queue --------------------------------------------------------------------------------------------


def test_an_unknown_claim_waits_in_the_queue_while_the_rest_of_the_payment_posts(biller: User,
                                                                               north: Location) -> None:
    known, other = accepted(north, biller), accepted(north, biller)
    text = era([claim_payment(known), claim_payment(other, number="NOT-OURS-1")])

    summary = post(biller, text)

    assert (summary.claims_matched, summary.claims_unmatched) == (1, 1)
    queued = RemittanceClaim.objects.get(match="unmatched")
    assert (queued.claim, queued.claim_number, queued.lines.count()) == (None, "NOT-OURS-1", 2)
    assert queued.adjustments.count() == 2
    assert balance(other) == Decimal("120.00")
    assert any("NOT-OURS-1" in notice for notice in summary.notices)

    resolved = remittance_claim_resolve(actor=biller, remittance_claim=queued, claim=other)

    assert (resolved.match, resolved.claim, resolved.resolved_by) == ("resolved", other, biller)
    other.refresh_from_db()
    assert other.status == "paid"
    assert balance(other) == 0
    assert all(line.claim_line_id for line in resolved.lines.all())
    assert ledger_differences() == []
    with pytest.raises(ValidationError, match="no longer in the exceptions queue"):
        remittance_claim_resolve(actor=biller, remittance_claim=queued, claim=other)


def test_a_claim_not_with_the_payer_is_not_posted(biller: User, north: Location) -> None:
    draft = make_claim(location=north, actor=biller, status="draft", lines=TWO_LINES)

    post(biller, era_for([draft]))

    queued = RemittanceClaim.objects.get()
    assert (queued.match, queued.claim) == ("unmatched", draft)
    assert not queued.lines.filter(claim_line__isnull=False).exists()
    assert not LedgerEntry.objects.filter(claim=draft).exclude(kind=EntryKind.CHARGE).exists()


def test_dismissing_needs_a_note_and_posts_nothing(biller: User, north: Location) -> None:
    claim = accepted(north, biller)
    post(biller, era([claim_payment(claim, number="ELSEWHERE-9")]))
    queued = RemittanceClaim.objects.get()
    with pytest.raises(ValidationError):
        remittance_claim_dismiss(actor=biller, remittance_claim=queued, note="  ")

    dismissed = remittance_claim_dismiss(actor=biller, remittance_claim=queued, note="Another practice's claim.")

    assert (dismissed.match, dismissed.note) == ("dismissed", "Another practice's claim.")
    assert balance(claim) == Decimal("120.00")


def test_resolving_needs_payment_posting_at_the_claims_clinic(make_user: Callable[..., User], biller: User,
                                                              north: Location, south: Location) -> None:
    claim = accepted(south, biller)
    post(biller, era([claim_payment(claim, number="TYPO-1")]))
    queued = RemittanceClaim.objects.get()
    north_biller = make_user(Role.BILLER, username="north-only", locations=[north])
    before = state()

    with pytest.raises(PermissionDenied):
        remittance_claim_resolve(actor=north_biller, remittance_claim=queued, claim=claim)

    assert state() == before
    assert AuditEvent.objects.filter(actor=north_biller, outcome=Outcome.DENIED).count() == 1


# --- public samples ----------------------------------------------------------------------------------------------------


def _sample(name: str) -> bytes:
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"public X12 samples not found at {SAMPLES} (see its README)")
    return path.read_bytes()


def test_a_public_835_whose_claims_are_not_ours_all_waits_in_the_queue(biller: User) -> None:
    data = _sample("835-emedny.txt")

    summary = remittance_import(actor=biller, filename="emedny.835", data=data)

    assert summary.errors == []
    assert (summary.payments, summary.claims_matched, summary.claims_unmatched) == (1, 0, 3)
    assert RemittanceClaim.objects.filter(match="unmatched").count() == 3
    assert RemittanceLine.objects.count() == 10
    assert not LedgerEntry.objects.exists()
    assert Remittance.objects.get().payment_amount == Decimal("45.75")


def test_a_transaction_set_without_an_envelope_is_refused(biller: User) -> None:
    data = _sample("835-bcbsnc-st-se-only.txt")

    summary = remittance_import(actor=biller, filename="bcbsnc.835", data=data)

    assert summary.errors
    assert RemittanceImport.objects.get().status == "refused"
    assert not Remittance.objects.exists()


def test_a_legacy_file_with_an_odd_address_posts_and_says_what_it_skipped(biller: User) -> None:
    data = _sample("835-uhc-legacy-invalid-N402.txt")

    summary = remittance_import(actor=biller, filename="uhc.835", data=data)

    assert summary.errors == []
    assert summary.claims_unmatched == 2
    assert any("N402" in notice for notice in summary.notices)
    assert Remittance.objects.get().payment_amount == Decimal("349.99")
