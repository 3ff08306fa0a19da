"""Reads of the compliance calendar: the items a person may see in a range (filtered), laid out as a month grid or
an agenda; their feed and digest settings; the iCalendar document of a feed; what the weekly digest holds.

Who sees what: every signed-in person may open the calendar; each source shows only what its own permission and
the module's location rule give them (see reporting.calendar). Someone whose roles open no source sees an empty
calendar and is told why. The feed and the digest evaluate the person's permissions when they are read or sent,
never when the feed was made: a role taken away today empties tomorrow's feed.
"""

from __future__ import annotations

import calendar as std_calendar
import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from openpractice.accounts.models import User
from openpractice.accounts.permissions import reachable_location_ids
from openpractice.accounts.tokens_hash import token_digest
from openpractice.core.models import Location
from openpractice.core.selectors import practice_settings, practice_today

from .calendar import (
    DONE,
    DUE_SOON_DAYS,
    KINDS,
    MODULES,
    OVERDUE,
    CalendarItem,
    Source,
    Window,
    collect,
    visible_sources,
)
from .models import CalendarDigest, CalendarFeed

MAX_RANGE_DAYS = 366
# The agenda's range when none is asked for: the last month (what may have slipped) and the next two.
AGENDA_PAST_DAYS = 30
AGENDA_FUTURE_DAYS = 60
# What a feed holds: enough past to see what slipped, a year ahead.
FEED_PAST_DAYS = 90
FEED_FUTURE_DAYS = 365
# What the digest looks back over for items still overdue.
DIGEST_LOOKBACK_DAYS = 90
ITEMS_PER_DAY_IN_GRID = 4
# US practices read weeks from Sunday.
FIRST_WEEKDAY = std_calendar.SUNDAY


@dataclass(frozen=True)
class Filters:
    """What the person asked for. Empty sets mean every kind / module."""

    start: dt.date
    end: dt.date
    kinds: frozenset[str] = frozenset()
    modules: frozenset[str] = frozenset()
    location_id: int | None = None
    overdue_only: bool = False

    def kind_set(self) -> frozenset[str]:
        """The kinds asked for, a module standing for its kinds (both given: the kinds of that module)."""
        from_modules = frozenset(slug for slug, kind in KINDS.items() if kind.module in self.modules)
        if self.kinds and self.modules:
            return self.kinds & from_modules or frozenset({"-"})  # nothing matches both: no kind at all
        return self.kinds or from_modules


@dataclass
class CalendarResult:
    items: list[CalendarItem]
    sources: list[Source]  # what the person's roles let them see
    truncated: list[Source]  # sources that had more items than they show
    filters: Filters
    today: dt.date

    @property
    def overdue_count(self) -> int:
        return sum(1 for item in self.items if item.status == OVERDUE)


def calendar_items(*, actor: Any, filters: Filters, today: dt.date | None = None) -> CalendarResult:
    """The items of the range the actor may see, filtered, by date. A fixed number of queries per source."""
    today = today or practice_today()
    end = min(filters.end, today - dt.timedelta(days=1)) if filters.overdue_only else filters.end
    window = Window(start=filters.start, end=end, today=today, location_id=filters.location_id,
                    kinds=filters.kind_set())
    items, truncated = collect(actor, window)
    if filters.overdue_only:
        items = [item for item in items if item.status == OVERDUE]
    return CalendarResult(items=items, sources=visible_sources(actor), truncated=truncated, filters=filters,
                          today=today)


def calendar_locations(*, actor: Any) -> QuerySet[Location]:
    """Locations to filter by: those the actor's roles reach."""
    ids = reachable_location_ids(actor)
    queryset = Location.objects.order_by("name", "pk")
    return queryset if ids is None else queryset.filter(pk__in=sorted(ids))


def kind_choices() -> list[tuple[str, list[tuple[str, Any]]]]:
    """The kinds, grouped by module (for a select with optgroups)."""
    return [(str(label), [(slug, kind.label) for slug, kind in KINDS.items() if kind.module == module])
            for module, label in MODULES.items()]


def module_choices() -> list[tuple[str, Any]]:
    return list(MODULES.items())


# --- the month grid ----------------------------------------------------------------------------------------------


@dataclass
class Day:
    date: dt.date
    in_month: bool
    is_today: bool
    items: list[CalendarItem] = field(default_factory=list)
    more: int = 0


@dataclass
class Month:
    first: dt.date  # the month's first day
    weeks: list[list[Day]]
    weekday_names: list[str]

    @property
    def start(self) -> dt.date:
        return self.weeks[0][0].date

    @property
    def end(self) -> dt.date:
        return self.weeks[-1][-1].date

    @property
    def previous(self) -> dt.date:
        return (self.first - dt.timedelta(days=1)).replace(day=1)

    @property
    def following(self) -> dt.date:
        return (self.first + dt.timedelta(days=32)).replace(day=1)


def month_grid(*, first: dt.date, today: dt.date) -> Month:
    """The weeks (Sunday to Saturday) that show `first`'s month, empty."""
    first = first.replace(day=1)
    weeks = [[Day(date=day, in_month=day.month == first.month, is_today=day == today) for day in week]
             for week in std_calendar.Calendar(FIRST_WEEKDAY).monthdatescalendar(first.year, first.month)]
    names = [weeks[0][i].date.strftime("%A") for i in range(7)]
    return Month(first=first, weeks=weeks, weekday_names=names)


def month_fill(month: Month, items: list[CalendarItem], *, per_day: int = ITEMS_PER_DAY_IN_GRID) -> Month:
    """Put each item on its day: the first `per_day` of a day are shown, the rest counted (the agenda lists them)."""
    days = {day.date: day for week in month.weeks for day in week}
    for item in items:
        day = days.get(item.date)
        if day is None:
            continue
        if len(day.items) < per_day:
            day.items.append(item)
        else:
            day.more += 1
    return month


# --- feeds and digests -------------------------------------------------------------------------------------------


def feed_live(*, actor: Any) -> CalendarFeed | None:
    """The actor's feed in use, if any."""
    return CalendarFeed.objects.filter(user_id=actor.pk, revoked_at__isnull=True).first()


def feed_by_token(token: str) -> CalendarFeed | None:
    """The live feed whose token this is, of a person whose account is active; None otherwise (one query)."""
    if not token or len(token) > 200:
        return None
    return (CalendarFeed.objects.select_related("user")
            .filter(token_hash=token_digest(token), revoked_at__isnull=True, user__is_active=True,
                    user__deactivated_at__isnull=True).first())


def feed_filters(today: dt.date) -> Filters:
    return Filters(start=today - dt.timedelta(days=FEED_PAST_DAYS), end=today + dt.timedelta(days=FEED_FUTURE_DAYS))


def base_url() -> str:
    return str(settings.OPENPRACTICE_BASE_URL or "").rstrip("/")


def feed_ics(*, items: list[CalendarItem], now: dt.datetime | None = None) -> bytes:
    """The iCalendar document: one all-day event per item, with a UID that stays the same across reads, the time
    it was produced (DTSTAMP), the object's address and the module and kind as categories. Titles carry no PHI."""
    stamp = (now or timezone.now()).astimezone(dt.UTC)
    host = urlsplit(base_url()).hostname or "openpractice.local"
    document = Calendar()
    document.add("prodid", "-//OpenPractice//Compliance calendar//EN")
    document.add("version", "2.0")
    document.add("calscale", "GREGORIAN")
    document.add("method", "PUBLISH")
    document.add("x-wr-calname", _("%(practice)s compliance calendar") % {"practice": practice_settings().name})
    for item in items:
        event = Event()
        event.add("uid", f"{item.uid}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", item.date)
        event.add("dtend", item.date + dt.timedelta(days=1))
        status = "" if item.status != OVERDUE else f"{item.status_label}: "
        event.add("summary", f"{status}{item.title}")
        description = [str(item.kind_label), str(item.status_label)]
        if item.location_name:
            description.append(item.location_name)
        event.add("description", " · ".join(description))
        event.add("url", base_url() + item.url)
        event.add("categories", [str(item.module_label), str(item.kind_label)])
        event.add("transp", "TRANSPARENT")
        document.add_component(event)
    return bytes(document.to_ical())


def digest_enabled(*, actor: Any) -> bool:
    """Whether the actor gets the weekly digest (on until they turn it off)."""
    enabled = CalendarDigest.objects.filter(user_id=actor.pk).values_list("enabled", flat=True).first()
    return True if enabled is None else bool(enabled)


def digest_candidates(*, week_start: dt.date) -> QuerySet[User]:
    """Active people with an address whose digest is on and has not gone out since `week_start`."""
    not_sent = Q(calendar_digest__last_sent_on__isnull=True) | Q(calendar_digest__last_sent_on__lt=week_start)
    return (User.objects.filter(is_active=True, deactivated_at__isnull=True).exclude(email="")
            .filter(Q(calendar_digest__isnull=True) | (Q(calendar_digest__enabled=True) & not_sent))
            .order_by("pk"))


@dataclass(frozen=True)
class Digest:
    overdue: list[CalendarItem]
    coming: list[CalendarItem]  # due today and in the next DUE_SOON_DAYS days, not done

    @property
    def is_empty(self) -> bool:
        return not self.overdue and not self.coming


def digest_items(*, actor: Any, today: dt.date) -> Digest:
    """What the person's digest holds: what is overdue (over the last DIGEST_LOOKBACK_DAYS) and what falls due in
    the next DUE_SOON_DAYS days, done items left out."""
    result = calendar_items(actor=actor, today=today, filters=Filters(
        start=today - dt.timedelta(days=DIGEST_LOOKBACK_DAYS), end=today + dt.timedelta(days=DUE_SOON_DAYS)))
    return Digest(overdue=[item for item in result.items if item.status == OVERDUE],
                  coming=[item for item in result.items if item.date >= today and item.status != DONE])


def agenda_days(items: list[CalendarItem]) -> list[tuple[dt.date, list[CalendarItem]]]:
    """The items (sorted by date) grouped by day, for the agenda list."""
    days: list[tuple[dt.date, list[CalendarItem]]] = []
    for item in items:
        if not days or days[-1][0] != item.date:
            days.append((item.date, []))
        days[-1][1].append(item)
    return days
