"""Policy library reads. compliance.view sees every policy and version (drafts too), campaigns and reports; every
signed-in user reads the versions in force and their own acknowledgement requests. Policies are practice-wide;
people in reports follow the user scope of accounts (a role at one of the actor's locations)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from openpractice.accounts.models import User
from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.accounts.selectors import user_list

from ..choices import VersionStatus
from ..models import (
    Acknowledgement,
    AcknowledgementCampaign,
    AcknowledgementRequest,
    Policy,
    PolicyAttachment,
    PolicyVersion,
)

IN_PROGRESS = (VersionStatus.DRAFT, VersionStatus.REVIEW, VersionStatus.APPROVED)
REVIEW_HORIZON_DAYS = 30


def _in_force() -> Q:
    return Q(status=VersionStatus.PUBLISHED, policy__retired_at__isnull=True)


def policies_visible(*, actor: Any) -> QuerySet[Policy]:
    """compliance.view: every policy; anyone else signed in: policies with a version in force."""
    if can(actor, Perm.COMPLIANCE_VIEW):
        return Policy.objects.all()
    if not getattr(actor, "is_authenticated", False):
        return Policy.objects.none()
    return Policy.objects.filter(retired_at__isnull=True, versions__status=VersionStatus.PUBLISHED).distinct()


def policy_list(*, actor: Any, category: str = "", status: str = "") -> QuerySet[Policy]:
    """The library (compliance.view): each row with its version in force and its version in progress, in a fixed
    number of queries. `status`: a version status some version has, or "retired" for retired policies."""
    if not can(actor, Perm.COMPLIANCE_VIEW):
        return Policy.objects.none()
    published = PolicyVersion.objects.filter(policy=OuterRef("pk"), status=VersionStatus.PUBLISHED)
    progress = PolicyVersion.objects.filter(policy=OuterRef("pk"), status__in=IN_PROGRESS)
    queryset = Policy.objects.select_related("owner").annotate(
        current_number=Subquery(published.values("number")[:1]),
        current_effective_on=Subquery(published.values("effective_on")[:1]),
        next_review_on=Subquery(published.values("next_review_on")[:1]),
        progress_number=Subquery(progress.values("number")[:1]),
        progress_status=Subquery(progress.values("status")[:1]),
    )
    if category:
        queryset = queryset.filter(category=category)
    if status == VersionStatus.RETIRED:
        queryset = queryset.filter(retired_at__isnull=False)
    elif status in VersionStatus.values:
        queryset = queryset.filter(Exists(PolicyVersion.objects.filter(policy=OuterRef("pk"), status=status)))
    return queryset


def versions_visible(*, actor: Any) -> QuerySet[PolicyVersion]:
    """compliance.view: every version; anyone else signed in: versions in force."""
    queryset = PolicyVersion.objects.select_related("policy", "author", "approved_by", "published_by")
    if can(actor, Perm.COMPLIANCE_VIEW):
        return queryset
    if not getattr(actor, "is_authenticated", False):
        return queryset.none()
    return queryset.filter(_in_force())


def attachments_visible(*, actor: Any) -> QuerySet[PolicyAttachment]:
    return PolicyAttachment.objects.select_related("version__policy").filter(
        version__in=versions_visible(actor=actor).values("pk"))


def current_version(policy: Policy) -> PolicyVersion | None:
    return (policy.versions.filter(status=VersionStatus.PUBLISHED).select_related("published_by", "approved_by")
            .prefetch_related("attachments").first())


def in_progress_version(policy: Policy) -> PolicyVersion | None:
    return policy.versions.filter(status__in=IN_PROGRESS).first()


def version_history(policy: Policy) -> QuerySet[PolicyVersion]:
    return policy.versions.select_related("author", "approved_by", "published_by").order_by("-number")


def _acknowledged_at() -> Subquery:
    return Subquery(Acknowledgement.objects.filter(
        version_id=OuterRef("campaign__version_id"), user_id=OuterRef("user_id")).values("acknowledged_at")[:1])


def with_progress(campaigns: QuerySet[AcknowledgementCampaign]) -> QuerySet[AcknowledgementCampaign]:
    """Each campaign with `asked` and `acknowledged` (a request whose person acknowledged the campaign's version,
    whenever), as two subqueries: the page costs the same however many people were asked."""
    asked = (AcknowledgementRequest.objects.filter(campaign=OuterRef("pk")).order_by()
             .values("campaign").annotate(n=Count("pk")).values("n"))
    done = (AcknowledgementRequest.objects.filter(campaign=OuterRef("pk"),
                                                  user__policy_acks__version=F("campaign__version"))
            .order_by().values("campaign").annotate(n=Count("pk")).values("n"))
    return campaigns.annotate(
        asked=Coalesce(Subquery(asked, output_field=IntegerField()), Value(0)),
        acknowledged=Coalesce(Subquery(done, output_field=IntegerField()), Value(0)),
    )


def percent(done: int, total: int) -> int:
    return round(100 * done / total) if total else 0


def policy_campaigns(*, actor: Any, policy: Policy) -> list[AcknowledgementCampaign]:
    if not can(actor, Perm.COMPLIANCE_VIEW):
        return []
    rows = list(with_progress(AcknowledgementCampaign.objects.filter(version__policy=policy)
                              .select_related("version", "created_by")))
    for row in rows:
        row.percent = percent(row.acknowledged, row.asked)  # type: ignore[attr-defined]
    return rows


def campaigns_visible(*, actor: Any) -> QuerySet[AcknowledgementCampaign]:
    if not can(actor, Perm.COMPLIANCE_VIEW):
        return AcknowledgementCampaign.objects.none()
    return with_progress(AcknowledgementCampaign.objects.select_related("version__policy", "created_by"))


def campaign_people(campaign: AcknowledgementCampaign) -> QuerySet[AcknowledgementRequest]:
    """The people asked, each with when they acknowledged (None: not yet); open ones first."""
    return (AcknowledgementRequest.objects.filter(campaign=campaign).select_related("user")
            .annotate(acknowledged_at=_acknowledged_at())
            .order_by(F("acknowledged_at").asc(nulls_first=True), "user__last_name", "user__first_name", "pk"))


def requests_own(*, actor: Any) -> QuerySet[AcknowledgementRequest]:
    """The actor's own requests (self-service: nobody else's, whatever their role)."""
    if not getattr(actor, "is_authenticated", False):
        return AcknowledgementRequest.objects.none()
    return (AcknowledgementRequest.objects.filter(user=actor)
            .select_related("campaign__version__policy")
            .annotate(acknowledged_at=_acknowledged_at()))


@dataclass(frozen=True)
class MyPolicies:
    open: Sequence[AcknowledgementRequest]
    done: Sequence[AcknowledgementRequest]
    library: Sequence[PolicyVersion]


def my_policies(*, actor: Any) -> MyPolicies:
    """Requests to acknowledge (the version in force, not yet acknowledged; earliest due first), those done or
    replaced by a newer version, and every policy in force to read."""
    rows = list(requests_own(actor=actor).order_by("due_on", "pk"))
    open_rows = [row for row in rows if row.acknowledged_at is None  # type: ignore[attr-defined]
                 and row.campaign.version.status == VersionStatus.PUBLISHED
                 and row.campaign.version.policy.retired_at is None]
    open_ids = {row.pk for row in open_rows}
    done = sorted((row for row in rows if row.pk not in open_ids), key=lambda row: row.due_on, reverse=True)
    library = list(PolicyVersion.objects.filter(_in_force()).select_related("policy")
                   .order_by("policy__category", "policy__title"))
    return MyPolicies(open=open_rows, done=done, library=library)


def users_visible(*, actor: Any) -> QuerySet[User]:
    """People whose acknowledgements the actor may report on (compliance.view, accounts' location rule)."""
    return user_list(actor=actor, permission=Perm.COMPLIANCE_VIEW)


@dataclass(frozen=True)
class PersonReport:
    person: User
    requests: Sequence[AcknowledgementRequest]
    acknowledgements: Sequence[Acknowledgement]


def person_report(*, person: User) -> PersonReport:
    """Which versions the person was asked to acknowledge and when they did, and every acknowledgement they
    ever gave (kept forever, for versions since retired too). The caller checked the person is in scope."""
    requests = list(AcknowledgementRequest.objects.filter(user=person)
                    .select_related("campaign__version__policy")
                    .annotate(acknowledged_at=_acknowledged_at()).order_by("-due_on", "-pk"))
    acknowledgements = list(Acknowledgement.objects.filter(user=person).select_related("version__policy")
                            .order_by("-acknowledged_at", "-pk"))
    return PersonReport(person=person, requests=requests, acknowledgements=acknowledgements)


def review_due(*, actor: Any, today: dt.date) -> QuerySet[PolicyVersion]:
    """Versions in force whose review is due within 30 days or overdue (compliance.view)."""
    if not can(actor, Perm.COMPLIANCE_VIEW):
        return PolicyVersion.objects.none()
    return (PolicyVersion.objects.filter(_in_force(),
                                         next_review_on__lte=today + dt.timedelta(days=REVIEW_HORIZON_DAYS))
            .select_related("policy__owner").order_by("next_review_on", "pk"))


def acknowledgements_visible(*, actor: Any) -> QuerySet[Acknowledgement]:
    """The actor's own acknowledgements and, with compliance.view, those of the people the accounts scope gives
    them."""
    condition = Q(user_id=actor.pk)
    if can(actor, Perm.COMPLIANCE_VIEW):
        condition |= Q(user__in=users_visible(actor=actor).values("pk"))
    return Acknowledgement.objects.filter(condition).select_related("version__policy")

