"""Access review reads: practice-wide (no location scope), for compliance.view; the detail page's findings in one
query with their users, grouped by kind in Python."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet

from openpractice.accounts.permissions import can, grants
from openpractice.accounts.roles import Perm, Role

from ..choices import FindingKind
from ..models import AccessReview, AccessReviewFinding

PERM = Perm.COMPLIANCE_VIEW


@dataclass(frozen=True)
class FindingGroup:
    kind: str
    label: str
    findings: list[AccessReviewFinding]

    @property
    def count(self) -> int:
        return len(self.findings)


def review_scoped(*, actor: Any) -> QuerySet[AccessReview]:
    """Every review for compliance.view holders, none for anyone else."""
    if not can(actor, PERM):
        return AccessReview.objects.none()
    return AccessReview.objects.select_related("created_by", "signed_off_by")


def review_list(*, actor: Any) -> QuerySet[AccessReview]:
    # Explicit order: Meta.ordering is dropped from GROUP BY queries, so PostgreSQL would return any order.
    return review_scoped(actor=actor).annotate(finding_count=Count("findings")).order_by("-period_end", "-pk")


def finding_groups(*, review: AccessReview) -> list[FindingGroup]:
    """The review's findings by kind, in the order of FindingKind (every kind listed, empty ones too)."""
    by_kind: dict[str, list[AccessReviewFinding]] = {kind: [] for kind in FindingKind.values}
    for finding in (AccessReviewFinding.objects.filter(review=review).select_related("user")
                    .order_by("kind", "user__last_name", "user__first_name", "user__username", "day", "pk")):
        by_kind[finding.kind].append(finding)
    return [FindingGroup(kind=kind, label=str(label), findings=by_kind[kind]) for kind, label in FindingKind.choices]


def is_privacy_officer(user: Any) -> bool:
    """Sign-off is the privacy officer's: the role itself, not only a permission practice managers share."""
    return any(grant.role == Role.PRIVACY_OFFICER for grant in grants(user))


def may_manage(user: Any) -> bool:
    return can(user, Perm.COMPLIANCE_MANAGE)


def may_sign_off(user: Any, review: AccessReview) -> bool:
    return review.signed_off_at is None and may_manage(user) and is_privacy_officer(user)
