"""The demo practice bills: charges for past visits, claims built and scrubbed through the services, some held
with a reason, one batch sent whose file validates, and every claim's history starting at draft."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum

from openpractice.billing.choices import ClaimStatus
from openpractice.billing.models import Charge, Claim, ClaimBatch, ClaimIssue, ClaimStatusChange
from openpractice.billing.selectors.batches import batch_file
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

    batch = ClaimBatch.objects.get()
    assert batch.status == "submitted"
    assert batch.claim_count == batch.claims.count() > 0
    path = batch_file(batch)
    assert path is not None
    assert validate_x12(path).ok
