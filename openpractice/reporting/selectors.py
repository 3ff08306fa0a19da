"""What the home page shows the signed-in user: only counts and places their permissions let them see."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from openpractice.accounts import selectors as accounts_selectors
from openpractice.accounts.permissions import can, grants, reachable_location_ids
from openpractice.accounts.roles import Perm, Role, Tier
from openpractice.audit import selectors as audit_selectors
from openpractice.audit.models import Outcome
from openpractice.core import selectors as core_selectors
from openpractice.core.models import Location
from openpractice.scheduling import selectors as scheduling_selectors
from openpractice.scheduling.choices import AppointmentStatus


@dataclass(frozen=True)
class GrantSummary:
    role: str
    tier: str
    locations: tuple[str, ...]  # empty = all locations
    all_locations: bool


@dataclass(frozen=True)
class Card:
    label: Any
    value: int
    url_name: str = ""
    url_query: str = ""
    note: Any = ""


@dataclass
class HomeSummary:
    practice_name: str
    now: dt.datetime  # practice-local
    greeting: Any
    grants: list[GrantSummary]
    cards: list[Card] = field(default_factory=list)
    locations_today: list[core_selectors.LocationToday] = field(default_factory=list)


def _greeting(hour: int) -> Any:
    if hour < 12:
        return _("Good morning")
    if hour < 18:
        return _("Good afternoon")
    return _("Good evening")


def _grant_summaries(actor: Any) -> list[GrantSummary]:
    actor_grants = grants(actor)
    # Names only for roles held at chosen locations ("all locations" is shown as such): no query without them.
    reach = reachable_location_ids(actor)
    places = Location.objects.all() if reach is None else Location.objects.filter(pk__in=reach)
    names = dict(places.values_list("pk", "name")) if any(g.location_ids for g in actor_grants) else {}
    return [
        GrantSummary(
            role=str(Role(grant.role).label) if grant.role in Role.values else grant.role,
            tier=str(Tier(grant.tier).label) if grant.tier in Tier.values else grant.tier,
            locations=tuple(sorted(names[pk] for pk in grant.location_ids if pk in names)),
            all_locations=grant.all_locations,
        )
        for grant in actor_grants
    ]


def home_summary(*, actor: Any, now: dt.datetime | None = None) -> HomeSummary:
    """The home page's data. A fixed number of queries, however many rows lie behind the counts."""
    now = now or timezone.now()
    local_now = now.astimezone(zoneinfo.ZoneInfo(core_selectors.practice_timezone_name()))
    practice = core_selectors.practice_settings()
    summary = HomeSummary(
        practice_name=practice.name,
        now=local_now,
        greeting=_greeting(local_now.hour),
        grants=_grant_summaries(actor),
    )
    if can(actor, Perm.PRACTICE_VIEW):
        summary.locations_today = core_selectors.location_hours_today(actor=actor, now=now)
        open_now = sum(1 for item in summary.locations_today if item.open_now)
        summary.cards.append(Card(
            label=_("Locations"), value=len(summary.locations_today), url_name="core:location_list",
            note=_("%(count)s open now") % {"count": open_now},
        ))
        departments = core_selectors.department_list(actor=actor, permission=Perm.PRACTICE_VIEW)
        summary.cards.append(Card(
            label=_("Departments"), value=departments.filter(is_active=True).count(),
            url_name="core:department_list",
        ))
    if can(actor, Perm.SCHEDULE_VIEW):
        summary.cards.extend(_schedule_cards(actor=actor, local_now=local_now, now=now))
    if can(actor, Perm.USERS_VIEW):
        people = accounts_selectors.user_list(actor=actor, permission=Perm.USERS_VIEW)
        summary.cards.append(Card(
            label=_("Active staff"), value=people.filter(is_active=True, deactivated_at__isnull=True).count(),
            url_name="accounts:user_list",
        ))
    if can(actor, Perm.USERS_MANAGE):
        invited = accounts_selectors.user_list(actor=actor, permission=Perm.USERS_MANAGE)
        summary.cards.append(Card(
            label=_("Open invitations"),
            value=invited.filter(**{"status": accounts_selectors.UserStatus.INVITED}).count(),  # annotated by user_list
            url_name="accounts:user_list",
        ))
    if can(actor, Perm.AUDIT_VIEW):
        midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
        today = audit_selectors.audit_event_list(actor=actor, since=midnight)
        summary.cards.append(Card(label=_("Audit events today"), value=today.count(), url_name="audit:event_list"))
        week_ago = now - dt.timedelta(days=7)
        denied = audit_selectors.audit_event_list(actor=actor, since=week_ago, outcome=Outcome.DENIED)
        summary.cards.append(Card(
            label=_("Denied accesses, last 7 days"), value=denied.count(), url_name="audit:event_list",
            url_query="outcome=denied",
        ))
    return summary


def _schedule_cards(*, actor: Any, local_now: dt.datetime, now: dt.datetime) -> list[Card]:
    """Today's visits at the actor's locations, in one aggregate query: how many, who is here, who is to come."""
    start, end = scheduling_selectors.local_day_bounds(local_now.date())
    today = scheduling_selectors.appointment_list(actor=actor).filter(starts_at__gte=start, starts_at__lt=end)
    counts = today.aggregate(
        scheduled=Count("pk", filter=~Q(status=AppointmentStatus.CANCELLED)),
        here=Count("pk", filter=Q(status=AppointmentStatus.CHECKED_IN)),
        to_come=Count("pk", filter=Q(status=AppointmentStatus.BOOKED, starts_at__gte=now)),
    )
    return [
        Card(label=_("Appointments today"), value=counts["scheduled"], url_name="scheduling:schedule_day",
             note=_("%(count)s still to come") % {"count": counts["to_come"]}),
        Card(label=_("Checked in now"), value=counts["here"], url_name="scheduling:schedule_day"),
    ]
