"""Reads of providers, the schedule and free slots, scoped by the actor's locations."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, location_ids_where
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.choices import Weekday
from openpractice.core.models import Location
from openpractice.core.selectors import practice_timezone_name
from openpractice.patients.models import Patient
from openpractice.patients.selectors import patient_search

from .choices import ACTIVE_STATUSES
from .models import (
    MAX_APPOINTMENT_MINUTES,
    Appointment,
    AppointmentType,
    CopayPayment,
    Provider,
    ProviderTemplate,
    ReferringProvider,
    Room,
    TimeOff,
)

# Free slots start on this grid (minutes past the start of a template period).
SLOT_STEP_MINUTES = 15
# How far ahead next_free_slots looks.
SLOT_HORIZON_DAYS = 42



def overlapping(start: dt.datetime, end: dt.datetime) -> Q:
    """Appointments that overlap [start, end). The lower bound on starts_at changes nothing in the result (no
    appointment is longer than MAX_APPOINTMENT_MINUTES) but lets the database use the starts_at index."""
    return Q(starts_at__lt=end, ends_at__gt=start,
             starts_at__gt=start - dt.timedelta(minutes=MAX_APPOINTMENT_MINUTES))

def practice_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(practice_timezone_name())


def local_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants where a practice-local calendar day begins and ends (DST-aware)."""
    zone = practice_zone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


# --- providers -----------------------------------------------------------------------------------------------


def provider_list(*, actor: Any, permission: str = Perm.SCHEDULE_VIEW) -> QuerySet[Provider]:
    """Providers working at one of the actor's locations for `permission` (all with all-location scope)."""
    ids = location_ids_where(actor, permission)
    queryset = Provider.objects.prefetch_related(Prefetch("locations", queryset=Location.objects.order_by("name")))
    if ids is None:
        return queryset.all() if can(actor, permission) else queryset.none()
    return queryset.filter(pk__in=Provider.objects.filter(locations__in=ids).values("pk"))


def provider_templates(provider: Provider) -> list[ProviderTemplate]:
    return list(provider.templates.select_related("location").order_by("weekday", "start"))


def provider_time_off(provider: Provider, *, after: dt.datetime | None = None) -> list[TimeOff]:
    queryset = provider.time_off.all()
    if after is not None:
        queryset = queryset.filter(ends_at__gt=after)
    return list(queryset.order_by("starts_at"))


def appointment_type_list() -> QuerySet[AppointmentType]:
    """Appointment types are practice-wide settings, not PHI."""
    return AppointmentType.objects.order_by("name")


def room_list(*, actor: Any, permission: str = Perm.SCHEDULE_VIEW) -> QuerySet[Room]:
    ids = location_ids_where(actor, permission)
    queryset = Room.objects.select_related("location")
    if ids is None:
        return queryset.all() if can(actor, permission) else queryset.none()
    return queryset.filter(location_id__in=ids)


# --- appointments --------------------------------------------------------------------------------------------


def appointment_list(*, actor: Any, permission: str = Perm.SCHEDULE_VIEW) -> QuerySet[Appointment]:
    """Appointments at the actor's locations, with what a row shows joined in (no query per row)."""
    ids = location_ids_where(actor, permission)
    queryset = Appointment.objects.select_related("patient", "provider", "location", "room", "appointment_type")
    if ids is None:
        return queryset.all() if can(actor, permission) else queryset.none()
    return queryset.filter(location_id__in=ids)


def appointment_copays(appointment: Appointment) -> list[CopayPayment]:
    return list(appointment.copay_payments.select_related("received_by").order_by("received_at"))


def may_see_money_and_notes(actor: Any, location: Location | int | None = None) -> bool:
    """Copay amounts and front-desk notes: for those who handle them (schedule managers) or see patients'
    financial data. The office manager entry tier sees the schedule without them."""
    return can(actor, Perm.SCHEDULE_MANAGE, location) or can(actor, Perm.PATIENTS_FINANCIAL, location)


def detail_location_ids(actor: Any) -> frozenset[int]:
    """Ids of the locations where may_see_money_and_notes() holds, worked out once for a page that lists
    appointments or waitlist entries of several locations (templates test `location_id in ...`)."""
    manage = location_ids_where(actor, Perm.SCHEDULE_MANAGE)
    financial = location_ids_where(actor, Perm.PATIENTS_FINANCIAL)
    if manage is None or financial is None:  # held at every location, including ones added later
        return frozenset(Location.objects.values_list("pk", flat=True))
    return manage | financial


def patient_pick(*, actor: Any, text: str, limit: int, picker: str) -> list[Patient]:
    """The patients a picker (booking, waitlist) offers for `text`: at most `limit`, none without text. Shown
    patients are PHI: one `patients.searched` event per search, as on the patient list, with how many were
    shown and never the search text (it is PHI too)."""
    if not text:
        return []
    matches = list(patient_search(actor=actor, text=text)[:limit])
    record(actor=actor, action="patients.searched", object_type="patients.patient",
           reason=f"{picker}: {len(matches)} shown")
    return matches


@dataclass(frozen=True)
class DayColumn:
    """One provider's column of the day grid: the appointments, and the template periods that day."""

    provider: Provider
    appointments: tuple[Appointment, ...]
    periods: tuple[tuple[dt.time, dt.time], ...]


@dataclass(frozen=True)
class DayRow:
    time: dt.time
    cells: tuple[tuple[Appointment, ...], ...]  # per column: the appointments starting in this row
    open_in: tuple[bool, ...]  # per column: inside a template period


@dataclass(frozen=True)
class DayView:
    day: dt.date
    columns: tuple[DayColumn, ...]
    rows: tuple[DayRow, ...]
    appointment_count: int


def day_view(*, actor: Any, day: dt.date, provider: Provider | None = None,
             location: Location | None = None, step_minutes: int = SLOT_STEP_MINUTES) -> DayView:
    """The grid for one practice-local day: time rows x providers. A fixed number of queries whatever the
    number of appointments (providers, their locations, templates, appointments)."""
    start, end = local_day_bounds(day)
    zone = practice_zone()
    providers = provider_list(actor=actor).filter(is_active=True)
    appointments = appointment_list(actor=actor).filter(overlapping(start, end))
    templates = ProviderTemplate.objects.filter(weekday=day.weekday())
    if provider is not None:
        providers = providers.filter(pk=provider.pk)
        appointments = appointments.filter(provider=provider)
    if location is not None:
        providers = providers.filter(locations=location)
        appointments = appointments.filter(location=location)
        templates = templates.filter(location=location)
    provider_rows = list(providers.order_by("last_name", "first_name"))
    wanted = {p.pk for p in provider_rows}
    by_provider: dict[int, list[Appointment]] = defaultdict(list)
    for appointment in appointments.filter(provider_id__in=wanted).order_by("starts_at", "pk"):
        by_provider[appointment.provider_id].append(appointment)
    periods: dict[int, list[tuple[dt.time, dt.time]]] = defaultdict(list)
    for template in templates.filter(provider_id__in=wanted).order_by("start"):
        periods[template.provider_id].append((template.start, template.end))
    columns = tuple(DayColumn(provider=p, appointments=tuple(by_provider[p.pk]), periods=tuple(periods[p.pk]))
                    for p in provider_rows)

    # Rows: from the earliest template or appointment to the latest, on the step grid (default 8:00–17:00).
    local_times = [a.starts_at.astimezone(zone) for c in columns for a in c.appointments]
    local_ends = [a.ends_at.astimezone(zone) for c in columns for a in c.appointments]
    first_minutes = [t.hour * 60 + t.minute for t in local_times] + [
        s.hour * 60 + s.minute for c in columns for s, _e in c.periods]
    last_minutes = [t.hour * 60 + t.minute if t.date() == day else 24 * 60 for t in local_ends] + [
        e.hour * 60 + e.minute for c in columns for _s, e in c.periods]
    first = min(first_minutes, default=8 * 60) // step_minutes * step_minutes
    last = max(last_minutes, default=17 * 60)
    rows: list[DayRow] = []
    minute = first
    while minute < last and minute < 24 * 60:
        clock = dt.time(minute // 60, minute % 60)
        cells = []
        open_in = []
        for column in columns:
            cells.append(tuple(
                a for a in column.appointments
                if minute <= _local_minutes(a.starts_at, zone, day) < minute + step_minutes
            ))
            open_in.append(any(s <= clock < e for s, e in column.periods))
        rows.append(DayRow(time=clock, cells=tuple(cells), open_in=tuple(open_in)))
        minute += step_minutes
    count = sum(len(c.appointments) for c in columns)
    return DayView(day=day, columns=columns, rows=tuple(rows), appointment_count=count)


def _local_minutes(moment: dt.datetime, zone: zoneinfo.ZoneInfo, day: dt.date) -> int:
    local = moment.astimezone(zone)
    if local.date() < day:
        return 0
    return local.hour * 60 + local.minute


# --- free slots ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FreeSlot:
    provider: Provider
    location: Location
    starts_at: dt.datetime
    ends_at: dt.datetime
    room: Room | None


Interval = tuple[dt.datetime, dt.datetime]


def _overlaps(busy: Iterable[Interval], start: dt.datetime, end: dt.datetime) -> bool:
    return any(b_start < end and b_end > start for b_start, b_end in busy)


def next_free_slots(*, actor: Any, appointment_type: AppointmentType, provider: Provider | None = None,
                    location: Location | None = None, after: dt.datetime | None = None,
                    limit: int = 10) -> list[FreeSlot]:
    """The earliest free slots for `appointment_type`: the providers' weekly templates, minus booked
    appointments, minus time off, minus (when the type needs a room) times when every room is taken.
    Only providers and locations where the actor may manage the schedule. Five queries whatever the range."""
    after = after or timezone.now()
    zone = practice_zone()
    duration = dt.timedelta(minutes=appointment_type.duration_minutes)
    horizon = after + dt.timedelta(days=SLOT_HORIZON_DAYS)
    ids = location_ids_where(actor, Perm.SCHEDULE_MANAGE)
    if ids is not None and not ids:
        return []
    templates = ProviderTemplate.objects.select_related("provider", "location").filter(
        provider__is_active=True, location__is_active=True)
    if ids is not None:
        templates = templates.filter(location_id__in=ids)
    if provider is not None:
        templates = templates.filter(provider=provider)
    if location is not None:
        templates = templates.filter(location=location)
    by_weekday: dict[int, list[ProviderTemplate]] = defaultdict(list)
    for template in templates.order_by("start", "provider__last_name", "pk"):
        by_weekday[template.weekday].append(template)
    if not by_weekday:
        return []
    provider_ids = {t.provider_id for ts in by_weekday.values() for t in ts}
    location_ids = {t.location_id for ts in by_weekday.values() for t in ts}
    busy: dict[int, list[Interval]] = defaultdict(list)
    for provider_id, b_start, b_end in Appointment.objects.filter(
        provider_id__in=provider_ids, status__in=ACTIVE_STATUSES, starts_at__lt=horizon, ends_at__gt=after,
    ).values_list("provider_id", "starts_at", "ends_at"):
        busy[provider_id].append((b_start, b_end))
    for provider_id, b_start, b_end in TimeOff.objects.filter(
        provider_id__in=provider_ids, starts_at__lt=horizon, ends_at__gt=after,
    ).values_list("provider_id", "starts_at", "ends_at"):
        busy[provider_id].append((b_start, b_end))
    rooms: dict[int, list[Room]] = defaultdict(list)
    room_busy: dict[int, list[Interval]] = defaultdict(list)
    if appointment_type.needs_room:
        for each in Room.objects.select_related("location").filter(location_id__in=location_ids, is_active=True):
            rooms[each.location_id].append(each)
        for room_id, b_start, b_end in Appointment.objects.filter(
            room__location_id__in=location_ids, status__in=ACTIVE_STATUSES, starts_at__lt=horizon, ends_at__gt=after,
        ).values_list("room_id", "starts_at", "ends_at"):
            room_busy[room_id].append((b_start, b_end))

    found: list[FreeSlot] = []
    day = after.astimezone(zone).date()
    last_day = horizon.astimezone(zone).date()
    step = dt.timedelta(minutes=SLOT_STEP_MINUTES)
    while day <= last_day and len(found) < limit:
        today: list[FreeSlot] = []
        for template in by_weekday.get(day.weekday(), []):
            period_end = dt.datetime.combine(day, template.end, tzinfo=zone)
            start = dt.datetime.combine(day, template.start, tzinfo=zone)
            while start + duration <= period_end:
                end = start + duration
                if start >= after and not _overlaps(busy[template.provider_id], start, end):
                    room: Room | None = None
                    if appointment_type.needs_room:
                        room = next((r for r in rooms[template.location_id]
                                     if not _overlaps(room_busy[r.pk], start, end)), None)
                    if room is not None or not appointment_type.needs_room:
                        today.append(FreeSlot(provider=template.provider, location=template.location,
                                              starts_at=start.astimezone(dt.UTC), ends_at=end.astimezone(dt.UTC),
                                              room=room))
                start += step
        today.sort(key=lambda s: (s.starts_at, s.provider.last_name, s.provider.pk))
        found.extend(today)
        day += dt.timedelta(days=1)
    return found[:limit]


def primary_copay_due(coverages: Iterable[Any]) -> Decimal | None:
    """The copay of the first-ranked coverage among those active, or None without coverage."""
    ranked = sorted(coverages, key=lambda c: c.rank)
    return ranked[0].copay if ranked else None


# --- weekly hours ---------------------------------------------------------------------------------------------


def outside_hours_warning(*, provider: Provider, location: Location, starts_at: dt.datetime,
                          ends_at: dt.datetime) -> str | None:
    """None when [starts_at, ends_at) lies inside one of the provider's weekly periods at `location` on that
    practice-local weekday; otherwise a sentence the desk can act on."""
    zone = practice_zone()
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    day = start.date()
    periods = list(ProviderTemplate.objects.filter(provider=provider, location=location, weekday=day.weekday())
                   .order_by("start").values_list("start", "end"))
    if end.date() == day and any(s <= start.time() and end.time() <= e for s, e in periods):
        return None
    weekday = Weekday(day.weekday()).label
    names = {"provider": provider.display_name, "location": location.name, "weekday": weekday}
    if not periods:
        return _("%(provider)s has no hours at %(location)s on %(weekday)s.") % names
    hours = ", ".join(f"{s:%H:%M}–{e:%H:%M}" for s, e in periods)
    return _("%(start)s–%(end)s is outside %(provider)s's hours at %(location)s on %(weekday)s (%(hours)s).") % {
        **names, "hours": hours, "start": f"{start:%H:%M}", "end": f"{end:%H:%M}"}


# --- the week -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekPeriod:
    provider: Provider
    location: Location
    start: dt.time
    end: dt.time


@dataclass(frozen=True)
class WeekDay:
    day: dt.date
    appointments: tuple[Appointment, ...]
    periods: tuple[WeekPeriod, ...]
    time_off: tuple[TimeOff, ...]


@dataclass(frozen=True)
class WeekView:
    start: dt.date
    days: tuple[WeekDay, ...]
    appointment_count: int


def week_start(day: dt.date) -> dt.date:
    """The Monday of `day`'s week."""
    return day - dt.timedelta(days=day.weekday())


def week_view(*, actor: Any, day: dt.date, provider: Provider | None = None,
              location: Location | None = None) -> WeekView:
    """Seven practice-local days from the Monday of `day`'s week: each day's appointments, weekly periods and
    time off, for one provider, one location, or all the actor's. Three queries whatever the number of
    appointments (appointments, periods, time off); the provider scope is a subquery of each."""
    monday = week_start(day)
    start = local_day_bounds(monday)[0]
    end = local_day_bounds(monday + dt.timedelta(days=6))[1]
    zone = practice_zone()
    providers = provider_list(actor=actor).filter(is_active=True)
    if provider is not None:
        providers = providers.filter(pk=provider.pk)
    if location is not None:
        providers = providers.filter(locations=location)
    provider_ids = providers.values("pk")
    appointments = appointment_list(actor=actor).filter(overlapping(start, end), provider_id__in=provider_ids)
    templates = ProviderTemplate.objects.select_related("provider", "location").filter(provider_id__in=provider_ids)
    ids = location_ids_where(actor, Perm.SCHEDULE_VIEW)
    if ids is not None:
        templates = templates.filter(location_id__in=ids)
    if location is not None:
        appointments = appointments.filter(location=location)
        templates = templates.filter(location=location)
    time_off = TimeOff.objects.select_related("provider").filter(
        provider_id__in=provider_ids, starts_at__lt=end, ends_at__gt=start)

    by_day: dict[dt.date, list[Appointment]] = defaultdict(list)
    count = 0
    for appointment in appointments.order_by("starts_at", "provider__last_name", "pk"):
        by_day[appointment.starts_at.astimezone(zone).date()].append(appointment)
        count += 1
    by_weekday: dict[int, list[WeekPeriod]] = defaultdict(list)
    for template in templates.order_by("start", "provider__last_name", "pk"):
        by_weekday[template.weekday].append(WeekPeriod(provider=template.provider, location=template.location,
                                                       start=template.start, end=template.end))
    offs = list(time_off.order_by("starts_at", "pk"))
    days = []
    for offset in range(7):
        current = monday + dt.timedelta(days=offset)
        day_start, day_end = local_day_bounds(current)
        days.append(WeekDay(
            day=current, appointments=tuple(by_day[current]), periods=tuple(by_weekday[current.weekday()]),
            time_off=tuple(o for o in offs if o.starts_at < day_end and o.ends_at > day_start),
        ))
    return WeekView(start=monday, days=tuple(days), appointment_count=count)


# --- referring providers --------------------------------------------------------------------------------------


def referring_provider_list() -> QuerySet[ReferringProvider]:
    """Clinicians outside the practice: practice-wide reference data, not PHI."""
    return ReferringProvider.objects.order_by("last_name", "first_name")
