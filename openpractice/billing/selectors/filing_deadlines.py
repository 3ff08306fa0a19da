"""Timely-filing deadlines in a date range, for the compliance calendar (reporting reads it).

The deadline of an unsent claim (draft, held, ready, rejected) is its date of service plus its payer's limit. The
worklist (worklists.near_filing_limit) answers "what is due within 30 days of today"; the calendar needs "what falls
between two dates", so this reads the payers' limits first (one query) and asks the claims, per limit, for the dates
of service that put the deadline in the range (one query), whatever the number of claims. Only the claim number,
the payer and the location are read: never the patient.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from openpractice.patients.models import Payer

from .worklists import UNSENT_STATUSES, claims_in_scope


@dataclass(frozen=True)
class FilingDeadline:
    claim_id: int
    claim_number: str
    payer_name: str
    location_id: int
    location_name: str
    deadline: dt.date


def filing_deadlines(*, actor: Any, start: dt.date, end: dt.date, location_id: int | None = None,
                     limit: int = 1000) -> tuple[list[FilingDeadline], bool]:
    """Unsent claims the actor sees (billing.view where the claim is) whose deadline falls in [start, end], soonest
    first, at most `limit` of them; the flag says whether more were left out. Two queries."""
    if end < start:
        return [], False
    by_days: dict[int, list[int]] = {}
    for payer_id, days in Payer.objects.values_list("pk", "timely_filing_days"):
        by_days.setdefault(days, []).append(payer_id)
    if not by_days:
        return [], False
    condition = Q()
    for days, payer_ids in by_days.items():
        # start <= date of service + days <= end  <=>  start - days <= date of service <= end - days
        condition |= Q(payer_id__in=payer_ids, date_of_service__gte=start - dt.timedelta(days=days),
                       date_of_service__lte=end - dt.timedelta(days=days))
    claims = claims_in_scope(actor=actor).filter(condition, status__in=UNSENT_STATUSES)
    if location_id is not None:
        claims = claims.filter(location_id=location_id)
    limits = {payer_id: days for days, payer_ids in by_days.items() for payer_id in payer_ids}
    rows = [
        FilingDeadline(claim_id=pk, claim_number=number, payer_name=payer_name, location_id=loc_id,
                       location_name=loc_name, deadline=dos + dt.timedelta(days=limits[payer_id]))
        for pk, number, dos, payer_id, payer_name, loc_id, loc_name in claims.values_list(
            "pk", "claim_number", "date_of_service", "payer_id", "payer__name", "location_id", "location__name",
        ).iterator(chunk_size=2000)
    ]
    rows.sort(key=lambda row: (row.deadline, row.claim_number))
    return rows[:limit], len(rows) > limit
