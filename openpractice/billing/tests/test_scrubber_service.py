"""Scrubbing through the service: findings stored, the claim moved to held or ready, audited, permission."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.billing.choices import ClaimStatus, Severity, StatusSource
from openpractice.billing.models import Claim, ClaimBatch, ClaimIssue, ClaimStatusChange
from openpractice.billing.services.scrubbing import claim_scrub, claims_scrub
from openpractice.billing.tests.factories import ScrubRuleFactory

from .scrub_samples import clean_claim, today


@pytest.fixture
def biller(make_user: Any, north: Any) -> Any:
    return make_user(Role.BILLER, locations=[north])


def held_claim(location: Any, actor: Any, **fields: Any) -> Claim:
    """A claim with two errors: the rendering NPI fails its check digit and CLM02 is off."""
    claim = clean_claim(location=location, actor=actor, **fields)
    provider = claim.rendering_provider
    provider.npi = provider.npi[:9] + str((int(provider.npi[9]) + 1) % 10)  # one digit off: the check fails
    provider.save(update_fields=["npi"])
    claim.total_charge = Decimal("999.00")
    claim.save(update_fields=["total_charge"])
    return claim


def state(claim: Claim) -> tuple[Any, ...]:
    claim.refresh_from_db()
    return (claim.status, claim.scrubbed_at, list(claim.issues.values_list("rule", flat=True)),
            claim.status_changes.count())


# --- one claim -----------------------------------------------------------------------------------------------


def test_a_clean_claim_becomes_ready_with_no_issues(north: Any, biller: Any) -> None:
    claim = clean_claim(location=north, actor=biller)
    assert claim_scrub(actor=biller, claim=claim) == []
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.READY
    assert claim.scrubbed_at is not None
    change = claim.status_changes.get()
    assert (change.from_status, change.to_status, change.source, change.actor) == (
        ClaimStatus.DRAFT, ClaimStatus.READY, StatusSource.SCRUBBER, biller)


def test_a_claim_with_an_error_is_held_and_says_what_to_fix(north: Any, biller: Any) -> None:
    claim = held_claim(north, biller)
    issues = claim_scrub(actor=biller, claim=claim)
    assert [issue.rule for issue in issues] == ["npi_check_digit", "claim_total"]
    npi = claim.rendering_provider.npi
    assert issues[0].message == f"The rendering provider's NPI {npi} fails the check digit — it is probably mistyped."
    assert issues[0].fix_hint == "Fix it under Providers."
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.HELD
    assert claim.status_changes.get().reason == issues[0].message  # the first error is the reason


def test_one_audit_event_names_the_claim_and_its_patient_without_phi(north: Any, biller: Any) -> None:
    claim = held_claim(north, biller)
    claim_scrub(actor=biller, claim=claim)
    event = AuditEvent.objects.get(action="billing.claim_scrubbed")
    assert (event.object_id, event.patient_id, event.location_id) == (str(claim.pk), claim.patient_id, north.pk)
    assert event.reason == "draft -> held: 2 error(s), 0 warning(s)"
    assert not AuditEvent.objects.filter(action="billing.claim_status_changed").exists()


def test_scrubbing_again_replaces_the_issues_and_a_fixed_claim_becomes_ready(north: Any, biller: Any) -> None:
    claim = held_claim(north, biller)
    claim_scrub(actor=biller, claim=claim)
    claim_scrub(actor=biller, claim=claim)
    assert claim.issues.count() == 2
    claim.total_charge = Decimal("137.00")
    claim.save(update_fields=["total_charge"])
    provider = claim.rendering_provider
    provider.npi = provider.npi[:9] + str((int(provider.npi[9]) - 1) % 10)
    provider.save(update_fields=["npi"])
    assert claim_scrub(actor=biller, claim=claim) == []
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.READY
    assert list(claim.status_changes.values_list("to_status", flat=True)) == [ClaimStatus.HELD, ClaimStatus.READY]


def test_warnings_alone_leave_the_claim_ready_and_are_kept(north: Any, biller: Any) -> None:
    claim = clean_claim(location=north, actor=biller)
    ScrubRuleFactory(procedure_code="99213", requires_modifier="25", severity=Severity.WARNING, created_by=biller)
    [issue] = claim_scrub(actor=biller, claim=claim)
    assert (issue.severity, issue.line_number) == (Severity.WARNING, 1)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.READY


def test_a_rejected_claim_can_be_scrubbed_again(north: Any, biller: Any) -> None:
    claim = clean_claim(location=north, actor=biller, status=ClaimStatus.REJECTED)
    claim_scrub(actor=biller, claim=claim)
    assert claim.status == ClaimStatus.READY


@pytest.mark.parametrize("status", [ClaimStatus.SUBMITTED, ClaimStatus.PAID, ClaimStatus.CLOSED])
def test_a_claim_already_sent_or_closed_is_not_scrubbed(status: str, north: Any, biller: Any) -> None:
    claim = held_claim(north, biller, status=status)
    before = state(claim)
    with pytest.raises(ValidationError, match="only draft, held, ready or rejected"):
        claim_scrub(actor=biller, claim=claim)
    assert state(claim) == before


def test_a_claim_in_a_batch_is_not_scrubbed(north: Any, biller: Any) -> None:
    claim = clean_claim(location=north, actor=biller, status=ClaimStatus.READY)
    claim.batch = ClaimBatch.objects.create(interchange_control_number=1, group_control_number=1, file_name="b.x12",
                                            usage_indicator="T", created_by=biller)
    claim.save(update_fields=["batch"])
    before = state(claim)
    with pytest.raises(ValidationError, match="in a batch"):
        claim_scrub(actor=biller, claim=claim)
    assert state(claim) == before


def test_a_biller_of_another_location_cannot_scrub_the_claim(north: Any, south: Any, biller: Any,
                                                              make_user: Any) -> None:
    claim = held_claim(south, make_user(Role.BILLER, locations=[south]))
    before = state(claim)
    with pytest.raises(PermissionDenied):
        claim_scrub(actor=biller, claim=claim)
    assert state(claim) == before
    denied = AuditEvent.objects.get(actor=biller, outcome=Outcome.DENIED)
    assert (denied.object_type, denied.object_id) == ("billing.claim", str(claim.pk))


def test_someone_who_only_views_billing_cannot_scrub(north: Any, biller: Any, make_user: Any) -> None:
    viewer = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY, locations=[north])
    claim = held_claim(north, biller)
    before = state(claim)
    with pytest.raises(PermissionDenied):
        claims_scrub(actor=viewer, claims=[claim])
    assert state(claim) == before
    assert AuditEvent.objects.filter(actor=viewer, outcome=Outcome.DENIED).count() == 1


# --- many claims ---------------------------------------------------------------------------------------------


def test_a_run_counts_ready_held_and_skipped_claims_and_writes_one_audit_event(north: Any, biller: Any) -> None:
    ready = [clean_claim(location=north, actor=biller) for _ in range(2)]
    held = held_claim(north, biller, status=ClaimStatus.HELD)
    sent = clean_claim(location=north, actor=biller, status=ClaimStatus.SUBMITTED)
    run = claims_scrub(actor=biller, claims=Claim.objects.all())
    assert (run.scrubbed, run.ready, run.held, run.skipped, run.errors, run.warnings) == (3, 2, 1, 1, 2, 0)
    assert run.held_claim_ids == [held.pk]
    assert sorted(Claim.objects.filter(status=ClaimStatus.READY).values_list("pk", flat=True)) == [
        claim.pk for claim in ready]
    sent.refresh_from_db()
    assert (sent.status, sent.scrubbed_at) == (ClaimStatus.SUBMITTED, None)
    event = AuditEvent.objects.get(action="billing.claims_scrubbed")
    assert (event.actor, event.location_id, event.patient_id) == (biller, north.pk, None)
    assert event.reason == "3 scrubbed: 2 ready, 1 held; 1 skipped; 2 error(s), 0 warning(s)"
    assert AuditEvent.objects.exclude(action="billing.claims_scrubbed").count() == 0
    # held -> held is no change: only the two claims that moved have a history entry
    assert ClaimStatusChange.objects.filter(source=StatusSource.SCRUBBER).count() == 2


def test_a_run_over_nothing_does_nothing(biller: Any) -> None:
    assert claims_scrub(actor=biller, claims=Claim.objects.none()).scrubbed == 0
    assert not AuditEvent.objects.exists()


def test_a_run_that_reaches_one_claim_out_of_scope_scrubs_none(north: Any, south: Any, biller: Any,
                                                               make_user: Any) -> None:
    mine = held_claim(north, biller)
    theirs = held_claim(south, make_user(Role.BILLER, locations=[south]))
    before = (state(mine), state(theirs))
    with pytest.raises(PermissionDenied):
        claims_scrub(actor=biller, claims=[mine, theirs])
    assert (state(mine), state(theirs)) == before


def _run_queries(actor: Any, claims: list[Claim]) -> int:
    with CaptureQueriesContext(connection) as captured:
        claims_scrub(actor=actor, claims=claims)
    return len(captured.captured_queries)


def test_rescrubbing_ready_claims_takes_the_same_queries_for_two_or_ten(north: Any, biller: Any) -> None:
    claims = [clean_claim(location=north, actor=biller, status=ClaimStatus.READY) for _ in range(10)]
    ScrubRuleFactory(procedure_code="99214", requires_modifier="25", created_by=biller)
    claims_scrub(actor=biller, claims=claims)  # warm: scrubbed_at set, nothing moves
    assert _run_queries(biller, claims[:2]) == _run_queries(biller, claims)


def test_the_issues_are_stored_with_line_numbers_and_in_the_scrubbers_order(north: Any, biller: Any) -> None:
    claim = clean_claim(location=north, actor=biller)
    claim.lines.filter(line_number=2).update(pointers=[5], modifiers=["LT", "RT"])
    claim.diagnosis_codes = ["E119", "25000"]
    claim.save(update_fields=["diagnosis_codes"])
    claims_scrub(actor=biller, claims=[claim], today=today())
    assert list(ClaimIssue.objects.filter(claim=claim).order_by("pk").values_list("rule", "line_number")) == [
        ("icd9_code", None), ("modifier_conflict", 2), ("diagnosis_pointers", 2)]
