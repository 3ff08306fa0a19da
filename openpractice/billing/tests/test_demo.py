"""The demo practice bills: charges for past visits, claims built and scrubbed through the services, some held
with a reason, batches sent whose files validate, every claim's history starting at draft; the payers' 835s
posted (payments, denials, a reversal), patient payments and statements, on a sound ledger."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum

from openpractice.billing.choices import ClaimStatus, EntryKind, Party, RemittanceClaimMatch
from openpractice.billing.models import (
    Charge,
    Claim,
    ClaimBatch,
    ClaimIssue,
    ClaimStatusChange,
    Denial,
    LedgerEntry,
    PatientPayment,
    RemittanceClaim,
    Statement,
)
from openpractice.billing.selectors.batches import batch_file
from openpractice.billing.services.ledger import ledger_differences
from openpractice.billing.x12.validate import validate_x12

pytestmark = pytest.mark.django_db


def test_the_demo_practice_has_claims_in_every_stage_of_their_life() -> None:
    call_command("demo", stdout=StringIO(), stderr=StringIO())

    assert Charge.objects.count() > 20
    statuses = dict(Claim.objects.values_list("status").annotate(n=Count("pk")))
    assert statuses.get(ClaimStatus.READY, 0) > 0
    assert statuses.get(ClaimStatus.HELD, 0) > 0
    assert statuses.get(ClaimStatus.SUBMITTED, 0) + statuses.get(ClaimStatus.ACCEPTED, 0) > 0
    held = Claim.objects.filter(status=ClaimStatus.HELD)
    assert not held.exclude(issues__severity="error").exists(), "a held claim always says why"
    assert ClaimIssue.objects.filter(severity="error").exclude(fix_hint="").exists()
    # Totals agree with the lines, and every claim's history starts with its creation as a draft.
    for claim in Claim.objects.annotate(lines_total=Sum("lines__amount")):
        assert claim.total_charge == claim.lines_total
    first_moves = ClaimStatusChange.objects.filter(from_status="").values_list("claim_id", "to_status")
    assert {to for _claim, to in first_moves} == {ClaimStatus.DRAFT}
    assert {claim for claim, _to in first_moves} == set(Claim.objects.values_list("pk", flat=True))

    batch = ClaimBatch.objects.order_by("pk").first()
    assert batch is not None
    assert batch.status == "submitted"
    assert batch.claim_count == batch.claims.count() > 0
    path = batch_file(batch)
    assert path is not None
    assert validate_x12(path).ok


def test_the_demo_practice_has_remittances_denials_a_reversal_payments_and_statements() -> None:
    call_command("demo", stdout=StringIO(), stderr=StringIO())

    statuses = dict(Claim.objects.values_list("status").annotate(n=Count("pk")))
    assert statuses.get(ClaimStatus.PAID, 0) + statuses.get(ClaimStatus.PARTIAL, 0) > 10
    assert statuses.get(ClaimStatus.DENIED, 0) >= 1
    assert Denial.objects.exists()
    assert RemittanceClaim.objects.filter(status_code="22", reverses__isnull=False).count() == 1
    assert not RemittanceClaim.objects.filter(match=RemittanceClaimMatch.UNMATCHED).exists()
    assert PatientPayment.objects.exists()
    assert Statement.objects.exists()
    # Every balance is the sum of its entries, and the patients' payments went onto the ledger.
    assert ledger_differences() == []
    assert LedgerEntry.objects.filter(kind=EntryKind.PATIENT_PAYMENT).exists()
    assert LedgerEntry.objects.filter(kind=EntryKind.TRANSFER, party=Party.PATIENT).exists()
