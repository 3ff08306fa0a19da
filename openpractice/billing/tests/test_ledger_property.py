"""Property (hypothesis, stateful): whatever sequence of charges, remittances (payments, denials, reversals, the
same file again), adjustments, patient payments, refunds and reversed entries the ledger goes through, every
cached balance equals its entries, and for every claim and every patient

    balance = charges - payments - adjustments + refunds (+ what was transferred in, - out, for a claim)

while transfers never create or destroy money and each payment posts once."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.billing.choices import EntryKind, Party
from openpractice.billing.models import AccountBalance, Claim, LedgerEntry, Remittance
from openpractice.billing.services.ledger import NewEntry, ledger_differences, ledger_post, ledger_reverse
from openpractice.billing.services.remittance_posting import remittance_import
from openpractice.billing.tests.factories import make_claim
from openpractice.billing.tests.remit_support import charge_ledger, era_for
from openpractice.core.models import Location

PAYMENTS = (EntryKind.PAYER_PAYMENT, EntryKind.PATIENT_PAYMENT)
ADJUSTMENTS = (EntryKind.CONTRACTUAL, EntryKind.PAYER_ADJUSTMENT, EntryKind.WRITE_OFF, EntryKind.PROVIDER_ADJUSTMENT)
AMOUNTS = st.decimals(min_value=Decimal("1.00"), max_value=Decimal("400.00"), places=2)
SHARES = st.decimals(min_value=Decimal("0"), max_value=Decimal("1"), places=2)
CODES = ("99213", "36415", "85025", "93000")
CENT = Decimal("0.01")


def _sum(rows: Any, column: str = "amount") -> Decimal:
    # SQLite's SUM() adds decimals as floating point: round back to cents.
    return (rows.aggregate(total=Sum(column))["total"] or Decimal(0)).quantize(CENT)


def _unsound() -> list[Any]:
    """ledger_differences(), less the floating-point noise of SQLite's SUM() in its recomputed side."""
    return [d for d in ledger_differences() if d.from_entries.quantize(CENT) != d.cached]


def _identity(entries: Any) -> tuple[Decimal, Decimal, Decimal, Decimal, Decimal]:
    """(charges, payments, adjustments, refunds, net transfers) of some entries, each as a positive effect."""
    charges = _sum(entries.filter(kind=EntryKind.CHARGE))
    payments = -_sum(entries.filter(kind__in=PAYMENTS))
    adjustments = -_sum(entries.filter(kind__in=ADJUSTMENTS))
    refunds = _sum(entries.filter(kind=EntryKind.REFUND))
    transfers = _sum(entries.filter(kind=EntryKind.TRANSFER))
    return charges, payments, adjustments, refunds, transfers


class LedgerMachine(RuleBasedStateMachine):
    actor: ClassVar[User]
    location: ClassVar[Location]

    claims = Bundle("claims")

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.traces = 0
        self.files: list[bytes] = []

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _import(self, data: bytes) -> None:
        remittance_import(actor=self.actor, filename=f"era-{self.traces}.835", data=data)

    def _trace(self) -> str:
        self.traces += 1
        return f"T{self.traces}"

    # -- rules ---------------------------------------------------------------------------------------------------

    @rule(target=claims, amounts=st.lists(AMOUNTS, min_size=1, max_size=3))
    def charge(self, amounts: list[Decimal]) -> Claim:
        lines = tuple(zip(CODES, amounts, strict=False))
        claim = make_claim(location=self.location, actor=self.actor, status="accepted", lines=lines)
        charge_ledger([claim], self.actor)
        return claim

    @rule(claim=claims, paid=SHARES, patient=SHARES)
    def payer_pays(self, claim: Claim, paid: Decimal, patient: Decimal) -> None:
        patient = min(patient, Decimal(1) - paid)
        claim.refresh_from_db()
        data = era_for([claim], trace=self._trace(), paid=paid, patient=patient).encode()
        self.files.append(data)
        self._import(data)

    @rule(claim=claims, reason=st.sampled_from(["50", "29", "197", "16"]))
    def payer_denies(self, claim: Claim, reason: str) -> None:
        claim.refresh_from_db()
        self._import(era_for([claim], trace=self._trace(), status="4", denial_reason=reason).encode())

    @rule(claim=claims)
    def payer_reverses(self, claim: Claim) -> None:
        claim.refresh_from_db()
        self._import(era_for([claim], trace=self._trace(), status="22").encode())

    @rule(pick=st.integers(min_value=0))
    def same_file_again(self, pick: int) -> None:
        if not self.files:
            return
        remittances = Remittance.objects.count()
        entries = LedgerEntry.objects.count()
        self._import(self.files[pick % len(self.files)])
        assert (Remittance.objects.count(), LedgerEntry.objects.count()) == (remittances, entries)

    @rule(claim=claims, amount=AMOUNTS, kind=st.sampled_from([EntryKind.PAYER_ADJUSTMENT, EntryKind.WRITE_OFF]))
    def adjust(self, claim: Claim, amount: Decimal, kind: str) -> None:
        party = Party.PAYER if kind == EntryKind.PAYER_ADJUSTMENT else Party.PATIENT
        self._post(claim, kind=kind, amount=-amount, party=party)

    @rule(claim=claims, amount=AMOUNTS)
    def patient_pays(self, claim: Claim, amount: Decimal) -> None:
        self._post(claim, kind=EntryKind.PATIENT_PAYMENT, amount=-amount, party=Party.PATIENT)

    @rule(claim=claims, amount=AMOUNTS)
    def patient_refunded(self, claim: Claim, amount: Decimal) -> None:
        self._post(claim, kind=EntryKind.REFUND, amount=amount, party=Party.PATIENT)

    @rule(claim=claims, pick=st.integers(min_value=0))
    def entry_reversed(self, claim: Claim, pick: int) -> None:
        reversed_ids = LedgerEntry.objects.filter(reverses__isnull=False).values("reverses_id")
        candidates = list(LedgerEntry.objects.filter(claim=claim, reverses__isnull=True, remittance_claim__isnull=True)
                          .exclude(pk__in=reversed_ids).order_by("pk"))
        if candidates:
            ledger_reverse(actor=self.actor, entries=[candidates[pick % len(candidates)]],
                           posted_on=candidates[0].posted_on, memo="entered in error")

    def _post(self, claim: Claim, *, kind: str, amount: Decimal, party: str) -> None:
        ledger_post(actor=self.actor, posted_on=claim.date_of_service, entries=[NewEntry(
            kind=kind, amount=amount, party=party, patient_id=claim.patient_id, location_id=claim.location_id,
            payer_id=claim.payer_id if party == Party.PAYER else None, claim_id=claim.pk, charge_id=claim.charge_id,
            service_date=claim.date_of_service)])

    # -- invariants ------------------------------------------------------------------------------------------------

    @invariant()
    def cached_balances_equal_their_entries(self) -> None:
        assert _unsound() == []

    @invariant()
    def every_claim_and_patient_balances(self) -> None:
        for claim_id in LedgerEntry.objects.values_list("claim_id", flat=True).distinct():
            charges, payments, adjustments, refunds, transfers = _identity(LedgerEntry.objects.filter(
                claim_id=claim_id))
            balance = _sum(AccountBalance.objects.filter(claim_id=claim_id), "balance")
            assert balance == charges - payments - adjustments + refunds + transfers
        for patient_id in LedgerEntry.objects.values_list("patient_id", flat=True).distinct():
            charges, payments, adjustments, refunds, transfers = _identity(LedgerEntry.objects.filter(
                patient_id=patient_id))
            assert transfers == 0  # a transfer moves money between parties and claims of one patient
            balance = _sum(AccountBalance.objects.filter(patient_id=patient_id), "balance")
            assert balance == charges - payments - adjustments + refunds

    @invariant()
    def each_payment_posts_once(self) -> None:
        posted = set(Remittance.objects.values_list("trace_number", flat=True))
        assert len(posted) == Remittance.objects.count()
        transfers = (LedgerEntry.objects.filter(kind=EntryKind.TRANSFER, remittance_claim__isnull=False).order_by()
                     .values_list("remittance_claim_id").annotate(total=Sum("amount")))
        assert all(total.quantize(CENT) == 0 for _pk, total in transfers)  # pairs: nothing made or lost


@pytest.mark.django_db
def test_the_ledger_identity_holds_through_any_sequence_of_postings(make_user: Callable[..., User],
                                                                   north: Location) -> None:
    LedgerMachine.actor = make_user(Role.BILLER, username="property-biller")
    LedgerMachine.location = north
    run_state_machine_as_test(LedgerMachine, settings=settings(
        max_examples=12, stateful_step_count=10, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]))
