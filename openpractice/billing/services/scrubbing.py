"""Scrubbing claims: run the scrubber, keep its findings as ClaimIssue rows, move each claim to held or ready.

`claims_scrub` is the bulk path (the worklists' "scrub all" button, the demo, the benchmark): no task queue, a
fixed number of queries per chunk of claims for loading and for storing findings, one status change per claim
that moves (through claim_transition) and one audit event for the whole run. `claim_scrub` scrubs one claim
and audits it on its own.

Only claims still editable (draft, held, ready, rejected) and not in a batch are scrubbed; the bulk path skips
and counts the others. Permission: billing.manage at every claim's location, refused (and audited) before
anything is written.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Min, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import location_ids_where
from openpractice.accounts.roles import Perm
from openpractice.audit import services as audit
from openpractice.core.gc_pause import gc_paused
from openpractice.core.selectors import practice_now

from ..choices import EDITABLE_CLAIM_STATUSES, OPEN_BATCH_STATUSES, ClaimStatus, StatusSource
from ..models import Claim, ClaimIssue
from ..scrubber import ClaimInput, Finding, build_context, first_error, load_claims, scrub_many
from ..scrubber.context import chunks
from .authorization import authorize_at
from .claim_status import claims_transition

ISSUE_MESSAGE_MAX = ClaimIssue._meta.get_field("message").max_length or 300
ISSUE_HINT_MAX = ClaimIssue._meta.get_field("fix_hint").max_length or 300


@dataclass
class ScrubRun:
    """What a run did: claims scrubbed (then ready or held) and claims skipped (sent, in a batch or gone)."""

    scrubbed: int = 0
    ready: int = 0
    held: int = 0
    skipped: int = 0
    errors: int = 0
    warnings: int = 0
    held_claim_ids: list[int] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return (f"{self.scrubbed} scrubbed: {self.ready} ready, {self.held} held; {self.skipped} skipped; "
                f"{self.errors} error(s), {self.warnings} warning(s)")


def _claim_ids(claims: Iterable[Claim] | QuerySet[Claim]) -> list[int]:
    if isinstance(claims, QuerySet):
        return list(claims.order_by().values_list("pk", flat=True).distinct())
    return sorted({claim.pk for claim in claims})


def _authorize(*, actor: Any, claim_ids: Sequence[int], action: str) -> None:
    """billing.manage at the location of every claim (authorize_at, per location: the refusal names the first
    claim of the location refused); refused and audited before any transaction opens."""
    if location_ids_where(actor, Perm.BILLING_MANAGE) is None:
        return  # every location: the claims' locations need not be read
    first_claim: dict[int, int] = {}
    for chunk in chunks(claim_ids):
        for location_id, first in (Claim.objects.filter(pk__any_of=chunk).order_by().values_list("location_id")
                                   .annotate(first=Min("pk"))):
            first_claim[location_id] = min(first, first_claim.get(location_id, first))
    for location_id, first in sorted(first_claim.items(), key=lambda item: item[1]):
        authorize_at(actor=actor, location_id=location_id, action=action, target=Claim(pk=first))


def _issue(claim_id: int, finding: Finding) -> ClaimIssue:
    return ClaimIssue(claim_id=claim_id, rule=finding.rule[:40], severity=finding.severity,
                      line_number=finding.line_number, message=finding.message[:ISSUE_MESSAGE_MAX],
                      fix_hint=finding.fix_hint[:ISSUE_HINT_MAX])


def _scrub_locked(*, actor: Any, claim_ids: Sequence[int], today: dt.date) -> tuple[ScrubRun, list[ClaimInput]]:
    """Inside the caller's transaction: lock the claims, scrub the eligible ones, store and apply the results."""
    run = ScrubRun()
    eligible: list[int] = []
    locked_statuses: dict[int, str] = {}
    for chunk in chunks(claim_ids):
        # A claim keeps its link to a submitted batch: only an unsent (built or failed) batch holds it back.
        for pk, status, batch_status in Claim.objects.select_for_update(of=("self",)).filter(
                pk__any_of=chunk).values_list("pk", "status", "batch__status"):
            if status in EDITABLE_CLAIM_STATUSES and batch_status not in OPEN_BATCH_STATUSES:
                eligible.append(pk)
                locked_statuses[pk] = status
    run.skipped = len(claim_ids) - len(eligible)
    items = load_claims(eligible, rows=True)  # read-only rows, not Claim instances: most of the load time
    context = build_context(items, today=today)
    results = scrub_many(items, context)
    now = timezone.now()
    for chunk in chunks(eligible):
        ClaimIssue.objects.filter(claim_id__any_of=chunk).delete()
    ClaimIssue.objects.bulk_create(
        (_issue(claim_id, finding) for claim_id, findings in results.items() for finding in findings),
        batch_size=1000,
    )
    moves: list[tuple[Claim, str, str]] = []
    for item in items:
        claim = item.claim
        findings = results[claim.pk]
        counts = Counter(finding.severity for finding in findings)
        run.errors += counts["error"]
        run.warnings += counts["warning"]
        problem = first_error(findings)
        target = ClaimStatus.HELD if problem is not None else ClaimStatus.READY
        if claim.status != target:
            moves.append((claim, target, problem.message if problem is not None else ""))
        claim.scrubbed_at = now
        run.scrubbed += 1
        if problem is not None:
            run.held += 1
            run.held_claim_ids.append(claim.pk)
        else:
            run.ready += 1
    moving = {claim.pk for claim, _to, _why in moves}
    staying = [pk for pk in eligible if pk not in moving]
    for chunk in chunks(staying):
        Claim.objects.filter(pk__any_of=chunk).update(scrubbed_at=now, updated_at=now)
    _move(actor=actor, moves=moves, locked_statuses=locked_statuses, scrubbed_at=now)
    return run, items


def _move(*, actor: Any, moves: Sequence[tuple[Claim, str, str]], locked_statuses: Mapping[int, str],
          scrubbed_at: dt.datetime) -> None:
    """Each (claim, status, reason) through the claim lifecycle, recorded as the scrubber's change, scrubbed_at
    written in the same UPDATE. Audited by the caller's one event for the run."""
    claims_transition(actor=actor, moves=moves, source=StatusSource.SCRUBBER, locked_statuses=locked_statuses,
                      also_set={"scrubbed_at": scrubbed_at})


def claims_scrub(*, actor: Any, claims: Iterable[Claim] | QuerySet[Claim], today: dt.date | None = None) -> ScrubRun:
    """Scrub many claims at once: one audit event for the run. `today` (for the timely-filing and line-date
    rules) defaults to the practice's today."""
    claim_ids = _claim_ids(claims)
    if not claim_ids:
        return ScrubRun()
    _authorize(actor=actor, claim_ids=claim_ids, action="billing.claims_scrubbed")
    with gc_paused(), transaction.atomic():
        run, items = _scrub_locked(actor=actor, claim_ids=claim_ids, today=today or practice_now().date())
        locations = {item.claim.location_id for item in items}
        audit.record(actor=actor, action="billing.claims_scrubbed", object_type="billing.claim",
                     location_id=next(iter(locations)) if len(locations) == 1 else None,
                     changed_fields=["status", "scrubbed_at", "issues"] if run.scrubbed else [],
                     reason=run.summary)
    return run


def claim_scrub(*, actor: Any, claim: Claim, today: dt.date | None = None) -> list[ClaimIssue]:
    """Scrub one claim and return its findings in the scrubber's order; the claim moves to held or ready. Raises
    ValidationError for a claim that is no longer editable (sent, closed) or already in a batch."""
    _authorize(actor=actor, claim_ids=[claim.pk], action="billing.claim_scrubbed")
    with transaction.atomic():
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        if locked.status not in EDITABLE_CLAIM_STATUSES:
            raise ValidationError(
                _("This claim is %(status)s; only draft, held, ready or rejected claims are scrubbed.")
                % {"status": ClaimStatus(locked.status).label.lower()}, code="not_editable")
        if locked.in_open_batch:
            raise ValidationError(_("This claim is in a batch waiting to be sent; discard the batch before "
                                    "scrubbing it again."), code="in_batch")
        before = locked.status
        run, items = _scrub_locked(actor=actor, claim_ids=[claim.pk], today=today or practice_now().date())
        scrubbed = items[0].claim  # a read-only row: the audit target is the locked Claim, brought up to date
        locked.status, locked.scrubbed_at = scrubbed.status, scrubbed.scrubbed_at
        audit.record(actor=actor, action="billing.claim_scrubbed", target=locked, patient_id=locked.patient_id,
                     location_id=locked.location_id, changed_fields=["status", "scrubbed_at", "issues"],
                     reason=f"{before} -> {locked.status}: {run.errors} error(s), {run.warnings} warning(s)")
    claim.status = locked.status
    claim.scrubbed_at = locked.scrubbed_at
    return list(ClaimIssue.objects.filter(claim=claim).order_by("pk"))
