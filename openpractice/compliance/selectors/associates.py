"""Business associate reads. compliance.view sees the whole register (associates are practice-wide, so there is no
location scope); anyone else sees nothing.

An agreement is in force on a day when it is active, its effective date has come and its end date (if any) has not
passed. A PHI-handling associate that is still in use and has no agreement in force is flagged. The register
computes each associate's standing in the one query that lists it (Exists/Subquery annotations), so the page costs
the same however many associates there are.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Case, CharField, Exists, OuterRef, Q, QuerySet, Subquery, Value, When

from openpractice.accounts.models import User
from openpractice.accounts.permissions import can
from openpractice.accounts.roles import PERMISSION_TABLE, Perm

from ..choices import AgreementStatus
from ..models import BusinessAssociate, BusinessAssociateAgreement

# Days ahead in which a review date or an end date makes an associate "review due" (and triggers a reminder).
REVIEW_HORIZON_DAYS = 30

# Standing of an associate in the register (the `standing` annotation).
FLAGGED = "flagged"        # handles PHI, in use, no agreement in force
REVIEW_DUE = "review_due"  # covered, but the review or the end date is within the horizon (or past, for review)
COVERED = "covered"
NOT_NEEDED = "not_needed"  # no PHI, no agreement in force
INACTIVE = "inactive"      # no longer used, no agreement in force
STANDINGS: tuple[str, ...] = (FLAGGED, REVIEW_DUE, COVERED, NOT_NEEDED, INACTIVE)


def in_force(today: dt.date, prefix: str = "") -> Q:
    """Agreements in force on `today` (`prefix` for lookups through a relation, e.g. "agreements__")."""
    return (Q(**{f"{prefix}status": AgreementStatus.ACTIVE, f"{prefix}effective_on__lte": today})
            & (Q(**{f"{prefix}expires_on__isnull": True}) | Q(**{f"{prefix}expires_on__gte": today})))


def associates_visible(*, actor: Any) -> QuerySet[BusinessAssociate]:
    if not can(actor, Perm.COMPLIANCE_VIEW):
        return BusinessAssociate.objects.none()
    return BusinessAssociate.objects.all()


def agreements_visible(*, actor: Any) -> QuerySet[BusinessAssociateAgreement]:
    if not can(actor, Perm.COMPLIANCE_VIEW):
        return BusinessAssociateAgreement.objects.none()
    return BusinessAssociateAgreement.objects.select_related("associate", "created_by")


def with_standing(queryset: QuerySet[BusinessAssociate], *, today: dt.date) -> QuerySet[BusinessAssociate]:
    """Each associate with its agreement in force (`baa_id`, `baa_expires_on`, `baa_review_on`), whether one is
    being negotiated (`has_draft`) and its `standing` (one of STANDINGS), all as annotations of the one query."""
    current = (BusinessAssociateAgreement.objects.filter(in_force(today), associate=OuterRef("pk"))
               .order_by("-effective_on", "-pk"))
    horizon = today + dt.timedelta(days=REVIEW_HORIZON_DAYS)
    return queryset.annotate(
        covered=Exists(current),
        has_draft=Exists(BusinessAssociateAgreement.objects.filter(associate=OuterRef("pk"),
                                                                   status=AgreementStatus.DRAFT)),
        baa_id=Subquery(current.values("pk")[:1]),
        baa_expires_on=Subquery(current.values("expires_on")[:1]),
        baa_review_on=Subquery(current.values("review_on")[:1]),
    ).annotate(standing=Case(
        When(Q(covered=True) & (Q(baa_review_on__lte=horizon) | Q(baa_expires_on__lte=horizon)),
             then=Value(REVIEW_DUE)),
        When(covered=True, then=Value(COVERED)),
        When(is_active=False, then=Value(INACTIVE)),
        When(handles_phi=True, then=Value(FLAGGED)),
        default=Value(NOT_NEEDED), output_field=CharField(),
    ))


def flagged_filter(today: dt.date) -> Q:
    """Associates that handle PHI, are in use and have no agreement in force (a filter on BusinessAssociate)."""
    current = BusinessAssociateAgreement.objects.filter(in_force(today), associate=OuterRef("pk"))
    return Q(~Exists(current), handles_phi=True, is_active=True)


def associate_list(*, actor: Any, today: dt.date, flagged_only: bool = False,
                   include_inactive: bool = True) -> QuerySet[BusinessAssociate]:
    """The register (compliance.view): every associate with its standing, in one query."""
    queryset = associates_visible(actor=actor)
    if flagged_only:
        queryset = queryset.filter(flagged_filter(today))
    if not include_inactive:
        queryset = queryset.filter(is_active=True)
    return with_standing(queryset, today=today)


def associate_standing(*, associate: BusinessAssociate, today: dt.date) -> BusinessAssociate:
    """One associate with the register's annotations (its detail page)."""
    return with_standing(BusinessAssociate.objects.filter(pk=associate.pk), today=today).get()


def associate_agreements(associate: BusinessAssociate) -> QuerySet[BusinessAssociateAgreement]:
    """The associate's agreements, newest first (drafts, those in force, ended ones)."""
    return (BusinessAssociateAgreement.objects.filter(associate=associate).select_related("created_by")
            .order_by("-created_at", "-pk"))


def agreement_in_force(agreement: BusinessAssociateAgreement, today: dt.date) -> bool:
    return (agreement.status == AgreementStatus.ACTIVE and agreement.effective_on is not None
            and agreement.effective_on <= today
            and (agreement.expires_on is None or agreement.expires_on >= today))


def flagged_count(*, actor: Any, today: dt.date) -> int:
    if not can(actor, Perm.COMPLIANCE_VIEW):
        return 0
    return BusinessAssociate.objects.filter(flagged_filter(today)).count()


def reminder_recipients() -> list[User]:
    """Active users holding compliance.manage (the register is practice-wide: a role anywhere counts)."""
    pairs = [pair for pair, permissions in PERMISSION_TABLE.items() if Perm.COMPLIANCE_MANAGE in permissions]
    held = Q(pk__in=[])
    for role, tier in pairs:
        held |= Q(role_assignments__role=role, role_assignments__tier=tier)
    candidates = User.objects.filter(held, is_active=True).exclude(email="").distinct().order_by("pk")
    # Restrictions (lapsed training) may withdraw the permission: ask the permission check itself.
    return [user for user in candidates if can(user, Perm.COMPLIANCE_MANAGE)]
