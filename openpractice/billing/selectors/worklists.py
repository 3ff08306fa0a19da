"""The billing worklists: what needs a biller's hands today, scoped to the actor's locations.

- held: claims the scrubber held, with their first error;
- rejected: claims a payer or clearinghouse rejected, with the reason it gave (the reason of the latest change
  to rejected);
- near the filing limit: claims not yet sent (draft, held, ready, rejected) whose timely-filing deadline (date
  of service + the payer's limit) is within 30 days or already past, the most urgent first.

A fixed number of queries, whatever the number of claims: each list is one query for its first rows and one for
its count; the filing-limit list reads the payers' limits first and filters per payer in the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery

from openpractice.accounts.permissions import location_ids_where
from openpractice.accounts.roles import Perm
from openpractice.core.selectors import practice_now
from openpractice.patients.models import Payer

from ..choices import ClaimStatus, Severity
from ..models import Claim, ClaimIssue, ClaimStatusChange, in_open_batch_q

NEAR_LIMIT_DAYS = 30
ROWS_SHOWN = 50
UNSENT_STATUSES: tuple[str, ...] = (ClaimStatus.DRAFT, ClaimStatus.HELD, ClaimStatus.READY, ClaimStatus.REJECTED)
SCRUBBABLE_STATUSES: tuple[str, ...] = (ClaimStatus.DRAFT, ClaimStatus.HELD)


@dataclass(frozen=True)
class Worklist:
    rows: list[Claim]
    count: int

    @property
    def more(self) -> int:
        return self.count - len(self.rows)


@dataclass(frozen=True)
class Worklists:
    held: Worklist
    rejected: Worklist
    near_limit: Worklist
    today: dt.date

    @property
    def shown(self) -> int:
        return len(self.held.rows) + len(self.rejected.rows) + len(self.near_limit.rows)


def claims_in_scope(*, actor: Any, permission: str = Perm.BILLING_VIEW) -> QuerySet[Claim]:
    ids = location_ids_where(actor, permission)
    queryset = Claim.objects.all()
    return queryset if ids is None else queryset.filter(location_id__in=ids)


def claims_to_scrub(*, actor: Any) -> QuerySet[Claim]:
    """Draft and held claims not waiting in an unsent batch, at the locations where the actor manages billing (a
    claim sent in an earlier batch, rejected and put back to draft, is scrubbed again)."""
    return claims_in_scope(actor=actor, permission=Perm.BILLING_MANAGE).filter(
        status__in=SCRUBBABLE_STATUSES).exclude(in_open_batch_q())


def _shown(queryset: QuerySet[Claim]) -> QuerySet[Claim]:
    return queryset.select_related("patient", "payer", "location")


def held_claims(*, actor: Any, limit: int = ROWS_SHOWN) -> Worklist:
    first_error = ClaimIssue.objects.filter(claim=OuterRef("pk"), severity=Severity.ERROR).order_by("pk")
    held = claims_in_scope(actor=actor).filter(status=ClaimStatus.HELD)
    rows = _shown(held).annotate(first_error=Subquery(first_error.values("message")[:1]),
                                 first_error_hint=Subquery(first_error.values("fix_hint")[:1]))
    return Worklist(rows=list(rows.order_by("date_of_service", "pk")[:limit]), count=held.count())


def rejected_claims(*, actor: Any, limit: int = ROWS_SHOWN) -> Worklist:
    latest = ClaimStatusChange.objects.filter(claim=OuterRef("pk"), to_status=ClaimStatus.REJECTED).order_by(
        "-at", "-pk")
    rejected = claims_in_scope(actor=actor).filter(status=ClaimStatus.REJECTED)
    rows = _shown(rejected).annotate(rejection_reason=Subquery(latest.values("reason")[:1]),
                                     rejected_at=Subquery(latest.values("at")[:1]))
    return Worklist(rows=list(rows.order_by("date_of_service", "pk")[:limit]), count=rejected.count())


def near_filing_limit(*, actor: Any, today: dt.date, limit: int = ROWS_SHOWN,
                      within_days: int = NEAR_LIMIT_DAYS) -> Worklist:
    """Unsent claims whose deadline (date of service + the payer's limit) is at most `within_days` away or past,
    sorted by days left; each row carries `deadline`, `days_left` and `days_late` (0 until the deadline passed)."""
    limits = dict(Payer.objects.values_list("pk", "timely_filing_days"))
    by_days: dict[int, list[int]] = {}
    for payer_id, days in limits.items():
        by_days.setdefault(days, []).append(payer_id)
    condition = Q()
    for days, payer_ids in by_days.items():
        # deadline <= today + within  <=>  date of service <= today + within - days
        condition |= Q(payer_id__in=payer_ids, date_of_service__lte=today + dt.timedelta(days=within_days - days))
    if not by_days:
        return Worklist(rows=[], count=0)
    near = claims_in_scope(actor=actor).filter(condition, status__in=UNSENT_STATUSES)
    keyed = sorted(
        (dos + dt.timedelta(days=limits[payer_id]), pk) for pk, dos, payer_id in
        near.values_list("pk", "date_of_service", "payer_id").iterator(chunk_size=2000)
    )
    first = keyed[:limit]
    deadlines = {pk: deadline for deadline, pk in first}
    rows = {claim.pk: claim for claim in _shown(Claim.objects.filter(pk__in=list(deadlines)))}
    shown = []
    for pk, deadline in deadlines.items():
        claim = rows[pk]
        claim.deadline = deadline  # type: ignore[attr-defined]
        claim.days_left = (deadline - today).days  # type: ignore[attr-defined]
        claim.days_late = max(0, -claim.days_left)  # type: ignore[attr-defined]
        shown.append(claim)
    return Worklist(rows=shown, count=len(keyed))


def worklists(*, actor: Any, today: dt.date | None = None, limit: int = ROWS_SHOWN) -> Worklists:
    day = today or practice_now().date()
    return Worklists(
        held=held_claims(actor=actor, limit=limit),
        rejected=rejected_claims(actor=actor, limit=limit),
        near_limit=near_filing_limit(actor=actor, today=day, limit=limit),
        today=day,
    )
