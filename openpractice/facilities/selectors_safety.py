"""Safety-log reads: checkpoints and entries at the actor's locations (facilities.view there), what is due today,
what is missing, the open alerts and the inspection-ready report.

Expected entries ("slots"), per active checkpoint, from the day it was set up (or its first entry, if earlier):
- twice a day: "am" and "pm" on each day the location is open;
- daily: one ("day") on each day the location is open;
- weekly: one per ISO week (Monday to Sunday), any day of it;
- monthly: one per calendar month, any day of it.
A location without opening hours on record counts as open every day (a vaccine refrigerator still needs its
readings). A week or month counts once it has ended within the range asked for: the current one is "due", not yet
missing. Only current entries (not superseded by a correction) fill a slot.

Every function costs a fixed number of queries, however many checkpoints and entries there are.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Min, Q, QuerySet
from django.utils.translation import gettext as _

from openpractice.accounts.models import User
from openpractice.accounts.permissions import can, location_ids_where, prefetch_grants
from openpractice.accounts.roles import PERMISSION_TABLE, Perm
from openpractice.core.models import Location, OpeningHours
from openpractice.core.selectors import practice_timezone_name

from .choices import SafetyCheckKind, SafetyFrequency
from .models import Asset, SafetyCheckpoint, SafetyLogEntry

TEMPERATURE_KINDS = frozenset({SafetyCheckKind.FRIDGE_TEMPERATURE, SafetyCheckKind.FREEZER_TEMPERATURE})
SLOT_ORDER = {"am": 0, "pm": 1, "day": 2}
# How far back an entry may be recorded late (and corrected); the daily round offers the missing ones of that time.
BACKDATE_DAYS = 7
# The longest range the missing-entries page and the report cover.
MAX_RANGE_DAYS = 366


def slots_for(frequency: str) -> tuple[str, ...]:
    return ("am", "pm") if frequency == SafetyFrequency.TWICE_DAILY else ("day",)


def slot_label(slot: str) -> str:
    return {"am": _("morning"), "pm": _("afternoon"), "day": ""}.get(slot, slot)


# --- scope -----------------------------------------------------------------------------------------------------


def _in_locations(actor: Any, permission: str, field_name: str) -> Q | None:
    """The condition "at a location where the actor holds `permission`"; None when they hold it nowhere."""
    ids = location_ids_where(actor, permission)
    if ids is None:
        return Q()
    if not ids:
        return None
    return Q(**{f"{field_name}__in": ids})


def checkpoints_visible(*, actor: Any, permission: str = Perm.FACILITIES_VIEW) -> QuerySet[SafetyCheckpoint]:
    condition = _in_locations(actor, permission, "location_id")
    if condition is None:
        return SafetyCheckpoint.objects.none()
    return SafetyCheckpoint.objects.filter(condition).select_related("location", "asset")


def entries_visible(*, actor: Any, permission: str = Perm.FACILITIES_VIEW) -> QuerySet[SafetyLogEntry]:
    condition = _in_locations(actor, permission, "checkpoint__location_id")
    if condition is None:
        return SafetyLogEntry.objects.none()
    return SafetyLogEntry.objects.filter(condition).select_related(
        "checkpoint__location", "checkpoint__asset", "recorded_by", "corrective_action_by")


def locations_for(*, actor: Any, permission: str = Perm.FACILITIES_VIEW) -> QuerySet[Location]:
    """Active locations where the actor holds `permission`, for the pickers."""
    ids = location_ids_where(actor, permission)
    queryset = Location.objects.active().order_by("name", "pk")
    if ids is None:
        return queryset
    return queryset.filter(pk__in=ids)


def asset_choices(*, actor: Any) -> QuerySet[Asset]:
    """Equipment a checkpoint may be tied to: at the locations where the actor manages facilities."""
    condition = _in_locations(actor, Perm.FACILITIES_MANAGE, "location_id")
    if condition is None:
        return Asset.objects.none()
    return Asset.objects.filter(condition).select_related("location").order_by("location__name", "name", "pk")


def checkpoint_rows(*, actor: Any, location_id: int | None = None, active: bool | None = True,
                    kind: str = "") -> QuerySet[SafetyCheckpoint]:
    queryset = checkpoints_visible(actor=actor)
    if location_id is not None:
        queryset = queryset.filter(location_id=location_id)
    if active is not None:
        queryset = queryset.filter(is_active=active)
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset.order_by("location__name", "kind", "name", "pk")


def checkpoint_entries(checkpoint: SafetyCheckpoint, *, since: dt.date) -> QuerySet[SafetyLogEntry]:
    """The checkpoint's entries from `since` on, corrections included, newest first."""
    return checkpoint.entries.filter(log_date__gte=since).select_related(
        "recorded_by", "corrective_action_by").prefetch_related("work_orders").order_by(
        "-log_date", "slot", "-recorded_at", "-pk")


def needs_action(entry: SafetyLogEntry) -> bool:
    """A current entry out of range (or failed) with no corrective action yet: flagged wherever it shows."""
    return not entry.passed and not entry.corrective_action and entry.superseded_by_id is None


def open_alerts(*, actor: Any, location_id: int | None = None) -> QuerySet[SafetyLogEntry]:
    """Current entries out of range or failed that still wait for their corrective action, oldest first."""
    queryset = entries_visible(actor=actor).filter(passed=False, corrective_action="", superseded_by__isnull=True)
    if location_id is not None:
        queryset = queryset.filter(checkpoint__location_id=location_id)
    return queryset.order_by("log_date", "recorded_at", "pk")


def entry_history(entry: SafetyLogEntry) -> list[SafetyLogEntry]:
    """Every entry of the same checkpoint, day and slot (the first one written and its corrections), oldest
    first: the chain of corrections is kept, never rewritten."""
    return list(SafetyLogEntry.objects.filter(
        checkpoint_id=entry.checkpoint_id, log_date=entry.log_date, slot=entry.slot).select_related(
        "recorded_by", "corrective_action_by").order_by("recorded_at", "pk"))


# --- expected and missing entries ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """One expected entry: the day (for weekly and monthly checks, the period's first day), the slot, and the
    period's last day."""

    checkpoint: SafetyCheckpoint
    log_date: dt.date
    slot: str
    period_end: dt.date

    @property
    def is_period(self) -> bool:
        return self.period_end != self.log_date

    @property
    def label(self) -> str:
        if self.checkpoint.frequency == SafetyFrequency.WEEKLY:
            return _("week of %(day)s") % {"day": self.log_date.strftime("%m/%d/%Y")}
        if self.checkpoint.frequency == SafetyFrequency.MONTHLY:
            return self.log_date.strftime("%B %Y")
        label = slot_label(self.slot)
        day = self.log_date.strftime("%m/%d/%Y")
        return f"{day} {label}".strip()

    @property
    def sort_key(self) -> tuple[Any, ...]:
        return (self.checkpoint.location.name, self.log_date, SLOT_ORDER.get(self.slot, 9), self.checkpoint.name,
                self.checkpoint.pk)


def open_days(location_ids: Iterable[int]) -> dict[int, frozenset[int] | None]:
    """Weekdays (0 = Monday) each location is open; None for a location with no hours on record (every day)."""
    ids = list(set(location_ids))
    days: dict[int, set[int]] = defaultdict(set)
    for location_id, weekday in OpeningHours.objects.filter(location_id__in=ids).values_list("location_id", "weekday"):
        days[location_id].add(weekday)
    return {pk: (frozenset(days[pk]) if days.get(pk) else None) for pk in ids}


def _local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(zoneinfo.ZoneInfo(practice_timezone_name())).date()


def log_starts_on(checkpoint: SafetyCheckpoint) -> dt.date:
    """The first day the checkpoint expects entries: the day it was set up, or its first entry when earlier (a
    log kept on paper and entered afterwards). `first_entry_on` is annotated by `with_first_entry`."""
    created = _local_date(checkpoint.created_at) if checkpoint.created_at else dt.date.max
    first = getattr(checkpoint, "first_entry_on", None)
    return min(created, first) if first is not None else created


def with_first_entry(queryset: QuerySet[SafetyCheckpoint]) -> QuerySet[SafetyCheckpoint]:
    return queryset.annotate(first_entry_on=Min("entries__log_date"))


def _days(since: dt.date, until: dt.date) -> Iterator[dt.date]:
    day = since
    while day <= until:
        yield day
        day += dt.timedelta(days=1)


def _month_end(day: dt.date) -> dt.date:
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def expected_slots(checkpoint: SafetyCheckpoint, *, since: dt.date, until: dt.date,
                   days_open: frozenset[int] | None) -> list[Slot]:
    """The entries the checkpoint expects between `since` and `until` (see the module's rules)."""
    since = max(since, log_starts_on(checkpoint))
    if since > until:
        return []
    frequency = checkpoint.frequency
    slots: list[Slot] = []
    if frequency in (SafetyFrequency.TWICE_DAILY, SafetyFrequency.DAILY):
        for day in _days(since, until):
            if days_open is None or day.weekday() in days_open:
                slots.extend(Slot(checkpoint, day, slot, day) for slot in slots_for(frequency))
    elif frequency == SafetyFrequency.WEEKLY:
        monday = since - dt.timedelta(days=since.weekday())
        while monday + dt.timedelta(days=6) <= until:
            slots.append(Slot(checkpoint, monday, "day", monday + dt.timedelta(days=6)))
            monday += dt.timedelta(days=7)
    elif frequency == SafetyFrequency.MONTHLY:
        first = since.replace(day=1)
        while _month_end(first) <= until:
            slots.append(Slot(checkpoint, first, "day", _month_end(first)))
            first = _month_end(first) + dt.timedelta(days=1)
    return slots


def _lookback(since: dt.date) -> dt.date:
    """The earliest day an entry can fill a slot that ends on or after `since` (a month's or a week's start)."""
    return min(since.replace(day=1), since - dt.timedelta(days=since.weekday()))


def missing_for(checkpoints: Sequence[SafetyCheckpoint], *, since: dt.date, until: dt.date) -> list[Slot]:
    """The expected slots of these checkpoints (annotated by `with_first_entry`, with their location) that have no
    current entry. Two queries: the opening hours and the entries of the range."""
    active = [checkpoint for checkpoint in checkpoints if checkpoint.is_active]
    if not active or since > until:
        return []
    hours = open_days(checkpoint.location_id for checkpoint in active)
    filled: dict[int, set[tuple[dt.date, str]]] = defaultdict(set)
    for checkpoint_id, log_date, slot in SafetyLogEntry.objects.filter(
            checkpoint_id__in=[checkpoint.pk for checkpoint in active], superseded_by__isnull=True,
            log_date__gte=_lookback(since), log_date__lte=until).values_list("checkpoint_id", "log_date", "slot"):
        filled[checkpoint_id].add((log_date, slot))
    missing: list[Slot] = []
    for checkpoint in active:
        done = filled.get(checkpoint.pk, set())
        for expected in expected_slots(checkpoint, since=since, until=until,
                                       days_open=hours[checkpoint.location_id]):
            if expected.is_period:
                if not any(expected.log_date <= day <= expected.period_end for day, _slot in done):
                    missing.append(expected)
            elif (expected.log_date, expected.slot) not in done:
                missing.append(expected)
    return sorted(missing, key=lambda slot: slot.sort_key)


def missing_entries(*, actor: Any, since: dt.date, until: dt.date,
                    location_id: int | None = None) -> list[Slot]:
    """Expected entries without one, at the actor's locations (facilities.view there)."""
    queryset = with_first_entry(checkpoint_rows(actor=actor, location_id=location_id))
    return missing_for(list(queryset), since=since, until=until)


# --- the daily round -------------------------------------------------------------------------------------------


@dataclass
class DueSlot:
    """One entry the round asks for today (or this week / month): the current entry when it is done."""

    slot: str
    log_date: dt.date
    label: str
    entry: SafetyLogEntry | None = None


@dataclass
class RoundRow:
    checkpoint: SafetyCheckpoint
    due: list[DueSlot] = field(default_factory=list)
    closed_today: bool = False
    late: list[Slot] = field(default_factory=list)

    @property
    def is_temperature(self) -> bool:
        return self.checkpoint.kind in TEMPERATURE_KINDS


def daily_round(*, actor: Any, location: Location, today: dt.date) -> list[RoundRow]:
    """Every active checkpoint at the location with what is due today: both slots of a twice-daily check, the
    daily one, this week's or this month's check (done once it has an entry any day of the period), each with
    its current entry when recorded; and the entries missing over the last BACKDATE_DAYS days (which may still be
    recorded late). Four queries."""
    checkpoints = list(with_first_entry(checkpoint_rows(actor=actor, location_id=location.pk)))
    if not checkpoints:
        return []
    days_open = open_days([location.pk])[location.pk]
    week_start = today - dt.timedelta(days=today.weekday())
    earliest = min(week_start, today.replace(day=1), today - dt.timedelta(days=BACKDATE_DAYS))
    current: dict[int, list[SafetyLogEntry]] = defaultdict(list)
    for entry in SafetyLogEntry.objects.filter(
            checkpoint_id__in=[checkpoint.pk for checkpoint in checkpoints], superseded_by__isnull=True,
            log_date__gte=earliest, log_date__lte=today).select_related("recorded_by").order_by("log_date", "pk"):
        current[entry.checkpoint_id].append(entry)
    late = missing_for(checkpoints, since=today - dt.timedelta(days=BACKDATE_DAYS),
                       until=today - dt.timedelta(days=1))
    late_by_checkpoint: dict[int, list[Slot]] = defaultdict(list)
    for gap in late:  # weeks and months that ended: the one still running shows as due below
        late_by_checkpoint[gap.checkpoint.pk].append(gap)
    rows: list[RoundRow] = []
    for checkpoint in checkpoints:
        entries = current.get(checkpoint.pk, [])
        row = RoundRow(checkpoint=checkpoint, late=late_by_checkpoint.get(checkpoint.pk, []))
        frequency = checkpoint.frequency
        if frequency in (SafetyFrequency.TWICE_DAILY, SafetyFrequency.DAILY):
            row.closed_today = days_open is not None and today.weekday() not in days_open
            for slot in slots_for(frequency):
                done = next((e for e in entries if e.log_date == today and e.slot == slot), None)
                if not row.closed_today or done is not None:
                    row.due.append(DueSlot(slot=slot, log_date=today, label=slot_label(slot) or _("today"),
                                           entry=done))
        else:
            start = week_start if frequency == SafetyFrequency.WEEKLY else today.replace(day=1)
            done = next((e for e in reversed(entries) if start <= e.log_date <= today), None)
            label = _("this week") if frequency == SafetyFrequency.WEEKLY else _("this month")
            row.due.append(DueSlot(slot="day", log_date=done.log_date if done else today, label=label, entry=done))
        rows.append(row)
    return rows


# --- the inspection-ready report -------------------------------------------------------------------------------


@dataclass
class ReportLine:
    """A row of the report: an entry (corrections included, marked), or an expected entry that is missing."""

    log_date: dt.date
    slot: str
    entry: SafetyLogEntry | None = None
    missing: Slot | None = None

    @property
    def sort_key(self) -> tuple[Any, ...]:
        recorded = self.entry.recorded_at if self.entry else None
        return (self.log_date, SLOT_ORDER.get(self.slot, 9), recorded is None,
                recorded or dt.datetime.min.replace(tzinfo=dt.UTC), self.entry.pk if self.entry else 0)


@dataclass
class ReportSection:
    checkpoint: SafetyCheckpoint
    lines: list[ReportLine]
    entries: int = 0
    out_of_range: int = 0
    missing: int = 0
    open_alerts: int = 0


def report(*, actor: Any, location: Location, since: dt.date, until: dt.date) -> list[ReportSection]:
    """Per checkpoint of the location (the active ones, and retired ones with entries in the range): every entry of
    the range in date order, corrections and superseded readings included, with the missing entries in their
    place. Four queries, however many entries."""
    checkpoints = list(with_first_entry(checkpoints_visible(actor=actor).filter(location=location)).order_by(
        "kind", "name", "pk"))
    entries: dict[int, list[SafetyLogEntry]] = defaultdict(list)
    for entry in SafetyLogEntry.objects.filter(
            checkpoint_id__in=[checkpoint.pk for checkpoint in checkpoints], log_date__gte=since,
            log_date__lte=until).select_related("recorded_by", "corrective_action_by"):
        entries[entry.checkpoint_id].append(entry)
    missing: dict[int, list[Slot]] = defaultdict(list)
    for slot in missing_for(checkpoints, since=since, until=until):
        missing[slot.checkpoint.pk].append(slot)
    sections: list[ReportSection] = []
    for checkpoint in checkpoints:
        own, gaps = entries.get(checkpoint.pk, []), missing.get(checkpoint.pk, [])
        if not checkpoint.is_active and not own:
            continue
        lines = [ReportLine(log_date=e.log_date, slot=e.slot, entry=e) for e in own]
        lines += [ReportLine(log_date=gap.log_date, slot=gap.slot, missing=gap) for gap in gaps]
        lines.sort(key=lambda line: line.sort_key)
        current = [e for e in own if e.superseded_by_id is None]
        sections.append(ReportSection(
            checkpoint=checkpoint, lines=lines, entries=len(current),
            out_of_range=sum(1 for e in current if not e.passed), missing=len(gaps),
            open_alerts=sum(1 for e in current if needs_action(e))))
    return sections


# --- who is told -----------------------------------------------------------------------------------------------


def safety_managers(location_id: int) -> list[User]:
    """Active users with an email address who hold facilities.manage at the location: they get the alerts and the
    missing-entry summaries."""
    pairs = [pair for pair, granted in PERMISSION_TABLE.items() if Perm.FACILITIES_MANAGE in granted]
    held = Q(pk__in=[])
    for role, tier in pairs:
        held |= Q(role_assignments__role=role, role_assignments__tier=tier)
    covering = Q(role_assignments__all_locations=True) | Q(role_assignments__locations=location_id)
    candidates = User.objects.filter(held & covering, is_active=True).exclude(email="").distinct().order_by("pk")
    return [user for user in prefetch_grants(candidates) if can(user, Perm.FACILITIES_MANAGE, location_id)]
