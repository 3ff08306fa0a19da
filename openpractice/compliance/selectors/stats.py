"""Aggregate compliance figures for the reporting dashboards and KPIs (counts and dates; no patient).

Incidents and their breach-notification clocks are read through incidents.incident_scoped and deadline_scoped
(compliance.incidents at the incident's location); policies and acknowledgement campaigns are practice-wide
(compliance.view).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm

from ..choices import BreachDetermination, IncidentStatus, NotificationAudience
from ..models import AcknowledgementCampaign, NotificationDeadline
from .incidents import deadline_scoped, incident_scoped
from .policies import percent, review_due, with_progress

NOTICES_SHOWN = 5


def notices_managed(*, actor: Any) -> QuerySet[NotificationDeadline]:
    """The breach-notification deadlines of the incidents the actor manages."""
    return deadline_scoped(actor=actor).order_by()


@dataclass(frozen=True)
class NoticeRow:
    incident_id: int
    incident_title: str
    audience: str
    due_on: dt.date
    days_left: int  # negative: overdue


@dataclass(frozen=True)
class IncidentSummary:
    open: int  # not closed
    awaiting_determination: int  # open, breach not yet determined
    notices_open: int
    notices_overdue: int
    next_notices: list[NoticeRow]


def incident_summary(*, actor: Any, today: dt.date, location_id: int | None = None) -> IncidentSummary:
    """Open incidents and the breach notices still to send, the soonest first. Three queries."""
    incidents = incident_scoped(actor=actor).order_by()
    notices = notices_managed(actor=actor).filter(done_on__isnull=True)
    if location_id is not None:
        incidents = incidents.filter(location_id=location_id)
        notices = notices.filter(incident__location_id=location_id)
    counts = incidents.exclude(status=IncidentStatus.CLOSED).aggregate(
        open=Count("pk"), pending=Count("pk", filter=Q(determination=BreachDetermination.PENDING)))
    notice_counts = notices.aggregate(open=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=today)))
    labels = dict(NotificationAudience.choices)
    rows = [NoticeRow(incident_id=row["incident_id"], incident_title=row["incident__title"],
                      audience=str(labels.get(row["audience"], row["audience"])), due_on=row["due_on"],
                      days_left=(row["due_on"] - today).days)
            for row in notices.order_by("due_on", "pk").values("incident_id", "incident__title", "audience",
                                                              "due_on")[:NOTICES_SHOWN]]
    return IncidentSummary(open=counts["open"], awaiting_determination=counts["pending"],
                           notices_open=notice_counts["open"], notices_overdue=notice_counts["overdue"],
                           next_notices=rows)


@dataclass(frozen=True)
class CampaignRow:
    campaign_id: int
    policy_title: str
    due_on: dt.date
    asked: int
    acknowledged: int
    percent: int


def campaign_progress(*, actor: Any, limit: int = 5) -> list[CampaignRow]:
    """The latest acknowledgement campaigns (by due date) with how many of the people asked acknowledged. One
    query (with_progress counts in subqueries)."""
    if not can(actor, Perm.COMPLIANCE_VIEW):
        return []
    campaigns = with_progress(AcknowledgementCampaign.objects.select_related("version__policy")
                              .order_by("-due_on", "-pk"))[:limit]
    rows = []
    for campaign in campaigns:
        asked, acknowledged = campaign.asked, campaign.acknowledged  # type: ignore[attr-defined]
        rows.append(CampaignRow(campaign.pk, campaign.version.policy.title, campaign.due_on, asked, acknowledged,
                                percent(acknowledged, asked)))
    return rows


def policy_review_counts(*, actor: Any, today: dt.date) -> tuple[int, int]:
    """(policies in force due for review within 30 days or overdue, of those overdue). One query."""
    counts = review_due(actor=actor, today=today).order_by().aggregate(
        due=Count("pk"), overdue=Count("pk", filter=Q(next_review_on__lt=today)))
    return counts["due"], counts["overdue"]
