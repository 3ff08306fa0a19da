"""Reads of claims, their status history and the coverage a claim is billed to, scoped by the claim's location."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from openpractice.accounts.permissions import location_ids_where
from openpractice.accounts.roles import Perm
from openpractice.patients.models import Coverage, Patient

from ..choices import EDITABLE_CLAIM_STATUSES, ClaimFrequency, ClaimStatus, Severity
from ..models import Claim, ClaimIssue, ClaimLine, ClaimStatusChange
from .charges import patient_text_q


def claim_scoped(*, actor: Any, permission: str = Perm.BILLING_VIEW) -> QuerySet[Claim]:
    """Every claim at the actor's locations for `permission`, with what a row shows joined in."""
    ids = location_ids_where(actor, permission)
    queryset = Claim.objects.select_related("patient", "payer", "location")
    if ids is None:
        return queryset
    return queryset.filter(location_id__in=ids)


def claim_list(
    *,
    actor: Any,
    status: str = "",
    payer_id: int | None = None,
    location_id: int | None = None,
    q: str = "",
    permission: str = Perm.BILLING_VIEW,
) -> QuerySet[Claim]:
    """Claims in scope, filtered; each row carries its count of scrubber errors and warnings (no query per row).
    `q` is a claim number (ours or the payer's) or a patient search (name, account number, date of birth)."""
    queryset = claim_scoped(actor=actor, permission=permission).annotate(
        error_count=Count("issues", filter=Q(issues__severity=Severity.ERROR)),
        warning_count=Count("issues", filter=Q(issues__severity=Severity.WARNING)),
    )
    if status:
        queryset = queryset.filter(status=status)
    if payer_id is not None:
        queryset = queryset.filter(payer_id=payer_id)
    if location_id is not None:
        queryset = queryset.filter(location_id=location_id)
    q = q.strip()[:100]
    if q:
        queryset = queryset.filter(Q(claim_number__iexact=q) | Q(payer_claim_number__iexact=q) | patient_text_q(q))
    # Explicit order: Meta.ordering is dropped from GROUP BY queries, so PostgreSQL would return any order.
    return queryset.order_by("-date_of_service", "-pk")


def claim_detail_queryset(*, actor: Any, permission: str = Perm.BILLING_VIEW) -> QuerySet[Claim]:
    """Claims in scope with everything the claim page shows: lines, issues, history, adjustments, replacements."""
    return claim_scoped(actor=actor, permission=permission).select_related(
        "charge", "coverage", "coverage__plan", "rendering_provider", "billing_provider", "referring_provider",
        "original_claim", "batch", "created_by",
    ).prefetch_related(
        Prefetch("lines", queryset=ClaimLine.objects.order_by("line_number")),
        Prefetch("issues", queryset=ClaimIssue.objects.order_by("severity", "line_number", "pk")),
        Prefetch("status_changes", queryset=ClaimStatusChange.objects.select_related("actor").order_by("at", "pk")),
        "prior_adjustments",
        Prefetch("replacements", queryset=Claim.objects.order_by("pk")),
    )


def claim_get(*, actor: Any, pk: int, permission: str = Perm.BILLING_VIEW) -> Claim:
    """One claim in scope with lines, issues and history. Out of scope raises Claim.DoesNotExist."""
    return claim_detail_queryset(actor=actor, permission=permission).get(pk=pk)


def claim_history(claim: Claim) -> list[ClaimStatusChange]:
    """Who (or which file) moved the claim, from what to what, when and why; oldest first."""
    return list(ClaimStatusChange.objects.filter(claim=claim).select_related("actor").order_by("at", "pk"))


def claim_is_editable(claim: Claim) -> bool:
    """Its content may be rebuilt and scrubbed again: not with the payer and not waiting in an unsent batch (a
    claim rejected after its batch was sent keeps the link to that batch and is editable)."""
    return claim.status in EDITABLE_CLAIM_STATUSES and not claim.in_open_batch


def coverage_for_claim(*, patient: Patient, on_date: dt.date, rank: int) -> Coverage | None:
    """The patient's coverage of `rank` (1 primary, 2 secondary) in force on the date of service.

    Billing needs the policy that was in force on the day, including one ended since (ending a policy keeps it
    valid for services up to its last day); a policy switched off without an end date (merged away) does not
    count — Coverage.is_in_force_on, the predicate the scrubber applies too. When two qualify, the active one
    wins, then the latest start. A patient has a handful of policies: one query."""
    candidates = (Coverage.objects.filter(patient=patient, rank=rank, effective_from__lte=on_date)
                  .select_related("payer").order_by("-is_active", "-effective_from", "-pk"))
    return next((coverage for coverage in candidates if coverage.is_in_force_on(on_date)), None)


def open_claim_for(*, charge_id: int, rank: int, exclude_pk: int | None = None) -> Claim | None:
    """The claim (original or corrected) still open for this charge and payer order, if any. Void claims
    (frequency 8) do not count: they cancel a claim, they do not bill."""
    queryset = Claim.objects.filter(charge_id=charge_id, payer_rank=rank).exclude(status=ClaimStatus.CLOSED).exclude(
        frequency_code=ClaimFrequency.VOID)
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.order_by("pk").first()


def earlier_payer_claim(claim: Claim) -> Claim | None:
    """For a secondary claim: the claim of the payer before it for the same charge (the one whose payment it
    reports), the most recent one that billed (not a void)."""
    if claim.payer_rank <= 1:
        return None
    return (
        Claim.objects.filter(charge_id=claim.charge_id, payer_rank=claim.payer_rank - 1)
        .exclude(frequency_code=ClaimFrequency.VOID)
        .order_by("-pk")
        .first()
    )
