"""Reads of the denials worklist: Denial rows (raised by 835 posting) at the actor's locations (the claim's), with
filters, counts and amounts by category, each row's suggested next step, and who may be assigned a denial.

The category was set from the CARC/RARC codes when the denial was raised; the suggested next step comes from
the same codes through billing/denial_categories.categorize(), so the advice follows that table as it improves.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Sum

from openpractice.accounts.models import RoleAssignment, User
from openpractice.accounts.permissions import location_ids_where
from openpractice.accounts.roles import PERMISSION_TABLE, Perm

from ..choices import DenialCategory, DenialStatus
from ..denial_categories import categorize
from ..models import ClaimLine, ClaimStatusChange, Denial, RemittanceAdjustment, RemittanceLine

# Still waiting for someone: the worklist shows these unless a status is chosen.
WORKING_STATUSES: tuple[str, ...] = (DenialStatus.OPEN, DenialStatus.APPEALED, DenialStatus.CORRECTED)
UNASSIGNED = "none"
MINE = "me"


def denial_scoped(*, actor: Any, permission: str = Perm.BILLING_VIEW) -> QuerySet[Denial]:
    """Denials of claims at the actor's locations for `permission`, with what a row shows joined in."""
    ids = location_ids_where(actor, permission)
    queryset = Denial.objects.select_related(
        "claim", "claim__patient", "claim__payer", "claim__location", "assigned_to", "remittance_claim",
        "remittance_claim__remittance")
    if ids is None:
        return queryset
    return queryset.filter(claim__location_id__in=sorted(ids))


def denial_list(*, actor: Any, category: str = "", payer_id: int | None = None, status: str = "",
                assigned: str = "", location_id: int | None = None) -> QuerySet[Denial]:
    """The worklist, filtered. `status` "" means every status still being worked (open, appealed, corrected);
    `assigned` is "me", "none" (unassigned), a user's id, or "" for anyone."""
    queryset = denial_scoped(actor=actor)
    if category:
        queryset = queryset.filter(category=category)
    if payer_id is not None:
        queryset = queryset.filter(claim__payer_id=payer_id)
    queryset = queryset.filter(status=status) if status else queryset.filter(status__in=WORKING_STATUSES)
    if assigned == MINE:
        queryset = queryset.filter(assigned_to_id=getattr(actor, "pk", None))
    elif assigned == UNASSIGNED:
        queryset = queryset.filter(assigned_to__isnull=True)
    elif assigned.isdigit():
        queryset = queryset.filter(assigned_to_id=int(assigned))
    if location_id is not None:
        queryset = queryset.filter(claim__location_id=location_id)
    return queryset


@dataclass(frozen=True)
class CategoryGroup:
    category: str
    label: str
    count: int
    amount: Decimal


def denial_groups(queryset: QuerySet[Denial]) -> list[CategoryGroup]:
    """Count and amount per category over `queryset` (every category listed, zero when none). One query."""
    totals: dict[str, tuple[int, Decimal]] = {
        row["category"]: (row["count"], Decimal(row["amount"]).quantize(Decimal("0.01")))
        for row in queryset.order_by().values("category").annotate(count=Count("pk"),
                                                                   amount=Sum("amount", default=Decimal(0)))}
    return [CategoryGroup(category=value, label=str(label), count=totals.get(value, (0, Decimal(0)))[0],
                          amount=totals.get(value, (0, Decimal("0.00")))[1])
            for value, label in DenialCategory.choices]


def next_step(denial: Denial) -> str:
    """What to do about this denial, in plain words, from its reason and remark codes."""
    return categorize(list(denial.reason_codes or []), list(denial.remark_codes or []))[1]


def with_next_steps(denials: Any) -> list[Denial]:
    """The rows of a page, each with `next_step` set (no query)."""
    rows = list(denials)
    for denial in rows:
        denial.next_step = next_step(denial)  # type: ignore[attr-defined]
    return rows


def denial_detail_queryset(*, actor: Any, permission: str = Perm.BILLING_VIEW) -> QuerySet[Denial]:
    """Denials in scope with what the denial page shows: the claim's lines and history, the claim payment's
    lines and adjustments, and the claim's replacements (a corrected claim)."""
    return denial_scoped(actor=actor, permission=permission).select_related(
        "claim__coverage", "claim__original_claim").prefetch_related(
        Prefetch("claim__lines", queryset=ClaimLine.objects.order_by("line_number")),
        Prefetch("claim__status_changes", queryset=ClaimStatusChange.objects.select_related("actor")
                 .order_by("at", "pk")),
        "claim__replacements",
        Prefetch("remittance_claim__lines", queryset=RemittanceLine.objects.order_by("position")),
        Prefetch("remittance_claim__adjustments", queryset=RemittanceAdjustment.objects.select_related("line")
                 .order_by("pk")),
    )


def _manage_pairs() -> Q:
    """Role assignments whose (role, tier) grants billing.manage."""
    condition = Q(pk__in=[])
    for (role, tier), permissions in PERMISSION_TABLE.items():
        if Perm.BILLING_MANAGE in permissions:
            condition |= Q(role=role, tier=tier)
    return condition


def denial_assignees(*, location_id: int) -> QuerySet[User]:
    """Active people who manage billing at `location_id`: whom a denial there may be given to."""
    assignments = RoleAssignment.objects.filter(_manage_pairs()).filter(
        Q(all_locations=True) | Q(locations__id=location_id))
    return User.objects.filter(is_active=True, pk__in=assignments.values("user_id")).order_by(
        "last_name", "first_name", "username")


def assignee_choices(*, actor: Any) -> QuerySet[User]:
    """People a denial in the actor's scope may be assigned to (for the worklist's filter)."""
    ids = location_ids_where(actor, Perm.BILLING_VIEW)
    assignments = RoleAssignment.objects.filter(_manage_pairs())
    if ids is not None:
        assignments = assignments.filter(Q(all_locations=True) | Q(locations__id__in=sorted(ids)))
    return User.objects.filter(is_active=True, pk__in=assignments.values("user_id")).order_by(
        "last_name", "first_name", "username")
