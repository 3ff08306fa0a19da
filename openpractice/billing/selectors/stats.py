"""Aggregate billing figures for the reporting dashboards: counts and amounts only, never a claim or a patient.

Scope: the claims (and their denials) at the locations where the actor holds `permission` (reports.financial on
the dashboards), optionally narrowed to one location. Each function is one grouped query (the filing-limit count
reads the payers' limits first), whatever the number of claims: claims by status read the working statuses only
through claim_status_location_idx, denials by category the working statuses through denial_status_category_idx.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet

from openpractice.accounts.permissions import location_ids_where
from openpractice.patients.models import Payer

from ..choices import ClaimStatus
from ..models import Claim, Denial
from .denials import WORKING_STATUSES as DENIAL_WORKING_STATUSES
from .worklists import NEAR_LIMIT_DAYS, UNSENT_STATUSES

# Claims still on their way to being paid: what the billing office works.
PIPELINE_STATUSES: tuple[str, ...] = (
    ClaimStatus.DRAFT, ClaimStatus.HELD, ClaimStatus.READY, ClaimStatus.SUBMITTED, ClaimStatus.ACCEPTED,
    ClaimStatus.REJECTED, ClaimStatus.PARTIAL, ClaimStatus.DENIED, ClaimStatus.APPEALED,
)


def _claims(actor: Any, permission: str, location_id: int | None) -> QuerySet[Claim]:
    ids = location_ids_where(actor, permission)
    queryset = Claim.objects.order_by()
    if ids is not None:
        queryset = queryset.filter(location_id__in=sorted(ids))
    if location_id is not None:
        queryset = queryset.filter(location_id=location_id)
    return queryset


def claims_by_status(*, actor: Any, permission: str, location_id: int | None = None) -> dict[str, int]:
    """How many claims are in each status of the pipeline (paid and closed claims are left out)."""
    rows = (_claims(actor, permission, location_id).filter(status__in=PIPELINE_STATUSES)
            .values("status").annotate(n=Count("pk")).values_list("status", "n"))
    return dict(rows)


def open_denials_by_category(*, actor: Any, permission: str, location_id: int | None = None) -> dict[str, int]:
    """Denials still being worked (open, appealed, corrected claim sent), per category."""
    ids = location_ids_where(actor, permission)
    denials = Denial.objects.order_by().filter(status__in=DENIAL_WORKING_STATUSES)
    if ids is not None:
        denials = denials.filter(claim__location_id__in=sorted(ids))
    if location_id is not None:
        denials = denials.filter(claim__location_id=location_id)
    return dict(denials.values("category").annotate(n=Count("pk")).values_list("category", "n"))


def near_filing_limit_count(*, actor: Any, permission: str, today: dt.date, location_id: int | None = None,
                            within_days: int = NEAR_LIMIT_DAYS) -> tuple[int, int]:
    """(unsent claims whose timely-filing deadline is within `within_days`, of those already past it), as
    worklists.near_filing_limit counts them. Two queries."""
    by_days: dict[int, list[int]] = {}
    for payer_id, days in Payer.objects.values_list("pk", "timely_filing_days"):
        by_days.setdefault(days, []).append(payer_id)
    if not by_days:
        return 0, 0
    near = Q()
    late = Q()
    for days, payer_ids in by_days.items():
        near |= Q(payer_id__in=payer_ids, date_of_service__lte=today + dt.timedelta(days=within_days - days))
        late |= Q(payer_id__in=payer_ids, date_of_service__lt=today - dt.timedelta(days=days))
    counts = _claims(actor, permission, location_id).filter(near, status__in=UNSENT_STATUSES).aggregate(
        near=Count("pk"), late=Count("pk", filter=late))
    return counts["near"], counts["late"]
