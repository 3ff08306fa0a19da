"""Slot: free (and busy) times of one Schedule, computed, never stored.

Free slots come from the scheduling app's own free-slot finder (selectors.next_free_slots: the provider's weekly
hours at the location, minus active appointments anywhere, minus time off, minus times when every room is taken
for types that need one), the same one the booking page offers. Like that page it needs schedule.manage, at the
schedule's location. Busy slots are the active appointments of the provider at that location (times only: no
patient).

Search needs `schedule`; `start` bounds a window of at most 31 days (default: the next 7 days; never before
now); `service-type` (an appointment type) sizes the free slots, else they are 15-minute blocks.
Ids: "<provider>-<location>-<UTC yyyymmddhhmm>-<appointment type id, or 0 for 15-minute blocks>" for free slots,
"...-busy" for busy ones. Reading one recomputes it: a slot that is no longer free answers 404.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.http import Http404, HttpRequest
from django.utils import timezone

from openpractice.accounts.permissions import can, location_ids_where
from openpractice.accounts.roles import Perm
from openpractice.core.models import Location
from openpractice.core.web import deny
from openpractice.scheduling.choices import ACTIVE_STATUSES
from openpractice.scheduling.models import Appointment, AppointmentType, Provider, ProviderTemplate
from openpractice.scheduling.selectors import SLOT_STEP_MINUTES, next_free_slots

from ..base import ResourceType, register
from ..errors import FhirError
from ..mapping import compact, concept, instant, reference
from ..search import Criteria, SearchParam, date_range, parse_int_id, token
from .schedule import APPOINTMENT_TYPE_SYSTEM, parse_schedule_id, schedule_id, split_reference

DEFAULT_WINDOW = dt.timedelta(days=7)
MAX_WINDOW = dt.timedelta(days=31)
SLOT_ID = re.compile(r"([0-9]{1,18})-([0-9]{1,18})-([0-9]{12})-([0-9]{1,18}|busy)")
FREE, BUSY = "free", "busy"
FHIR_SLOT_STATUSES = (FREE, BUSY, "busy-unavailable", "busy-tentative", "entered-in-error")


@dataclass(frozen=True)
class SlotRow:
    provider_id: int
    location_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str
    appointment_type: AppointmentType | None = None  # what the free slot was sized for

    @property
    def ident(self) -> str:
        suffix = "busy" if self.status == BUSY else str(self.appointment_type.pk if self.appointment_type else 0)
        return f"{schedule_id(self.provider_id, self.location_id)}-{self.starts_at.astimezone(dt.UTC):%Y%m%d%H%M}-{suffix}"


def _schedule_condition(value: str, modifier: str) -> Q:
    kind, ident = split_reference(value)
    if kind not in ("", "Schedule"):
        raise FhirError(400, "invalid", "schedule refers to a Schedule.", expression=["schedule"])
    parse_schedule_id(ident, what="schedule")
    return Q()  # applied by SlotResource.search


def _start_condition(value: str, modifier: str) -> Q:
    _window_edge(value)
    return Q()


def _status_codes(system: str | None, code: str) -> Q:
    if code not in FHIR_SLOT_STATUSES:
        raise FhirError(400, "invalid", f"Unknown status {code!r}; use one of: {', '.join(FHIR_SLOT_STATUSES)}.",
                        expression=["status"])
    return Q()


def _service_type_codes(system: str | None, code: str) -> Q:
    if system not in (None, "", APPOINTMENT_TYPE_SYSTEM):
        raise FhirError(400, "invalid", f"service-type: use {APPOINTMENT_TYPE_SYSTEM}|<appointment type id>.",
                        expression=["service-type"])
    parse_int_id(code, what="service-type")
    return Q()


def _window_edge(value: str) -> tuple[str, dt.datetime, dt.datetime]:
    prefix = value[:2] if value[:2].isalpha() else "eq"
    if prefix not in ("eq", "ge", "gt", "le", "lt"):
        raise FhirError(400, "not-supported", "start: use the prefixes eq, ge, gt, le or lt.", expression=["start"])
    start, end = date_range(value[2:] if value[:2].isalpha() else value, what="start")
    return prefix, start, end


def _window(criteria: Criteria) -> tuple[dt.datetime, dt.datetime]:
    """The [low, high) window of slot starts asked for: at most MAX_WINDOW long, never before now."""
    now = timezone.now()
    low: dt.datetime | None = None
    high: dt.datetime | None = None
    for value in criteria.values_of("start"):
        if "," in value:
            raise FhirError(400, "not-supported", "start: give one value per parameter (repeat it for a range).",
                            expression=["start"])
        prefix, start, end = _window_edge(value)
        lower = {"eq": start, "ge": start, "gt": end}.get(prefix)
        upper = {"eq": end, "le": end, "lt": start}.get(prefix)
        if lower is not None:
            low = lower if low is None else max(low, lower)
        if upper is not None:
            high = upper if high is None else min(high, upper)
    if low is None:
        low = now if high is None else max(now, high - DEFAULT_WINDOW)
    if high is None:
        high = low + DEFAULT_WINDOW
    if high - low > MAX_WINDOW:
        raise FhirError(400, "too-costly", "start: ask for at most 31 days at a time (e.g. start=ge2026-12-01&"
                                           "start=lt2026-12-15).", expression=["start"])
    return max(low, now), high


def _one(criteria: Criteria, name: str) -> str | None:
    values = criteria.values_of(name)
    if len(values) > 1 or any("," in value for value in values):
        raise FhirError(400, "not-supported", f"Give {name} once, with one value.", expression=[name])
    return values[0] if values else None


def _statuses(criteria: Criteria) -> set[str]:
    wanted = set(FHIR_SLOT_STATUSES)
    for value in criteria.values_of("status"):
        wanted &= {part.strip().rpartition("|")[2] for part in value.split(",")}
    return wanted


def _manage_scope(request: HttpRequest, location_id: int) -> bool:
    ids = location_ids_where(request.user, Perm.SCHEDULE_MANAGE)
    return can(request.user, Perm.SCHEDULE_MANAGE) if ids is None else location_id in ids


def _grid_type() -> AppointmentType:
    """What the free-slot finder sizes slots by when no appointment type is asked for: the 15-minute grid (an
    unsaved value, never stored)."""
    return AppointmentType(name="", duration_minutes=SLOT_STEP_MINUTES, needs_room=False)


def _free(request: HttpRequest, provider: Provider, location: Location, kind: AppointmentType | None,
          low: dt.datetime, high: dt.datetime) -> list[SlotRow]:
    # Enough for every 15-minute start in the window (the finder stops at `limit`).
    days = (high - low).days + 2
    limit = days * 24 * 60 // SLOT_STEP_MINUTES
    found = next_free_slots(actor=request.user, appointment_type=kind or _grid_type(), provider=provider,
                            location=location, after=low, limit=limit)
    return [SlotRow(provider.pk, location.pk, slot.starts_at, slot.ends_at, FREE, kind)
            for slot in found if slot.starts_at < high]


def _busy(provider_id: int, location_id: int, low: dt.datetime, high: dt.datetime) -> list[SlotRow]:
    booked = Appointment.objects.filter(provider_id=provider_id, location_id=location_id, status__in=ACTIVE_STATUSES,
                                        starts_at__gte=low, starts_at__lt=high)
    return [SlotRow(provider_id, location_id, start, end, BUSY)
            for start, end in booked.order_by("starts_at", "pk").values_list("starts_at", "ends_at")]


@register
class SlotResource(ResourceType):
    name = "Slot"
    permissions = (Perm.SCHEDULE_MANAGE,)
    documentation = __doc__ or ""
    search_params = {
        "schedule": SearchParam("schedule", "reference", "Required: Schedule/<provider id>-<location id>.",
                                _schedule_condition, target="Schedule"),
        "start": SearchParam("start", "date", "The slot's start (eq, ge, gt, le, lt; repeat for a range). At most "
                             "31 days; default the next 7 days.", _start_condition),
        "status": token("status", "free or busy (busy-unavailable, busy-tentative, entered-in-error match none).",
                        _status_codes),
        "service-type": token("service-type", f"{APPOINTMENT_TYPE_SYSTEM}|<appointment type id>: free slots long "
                              "enough for that type (and with a free room when it needs one).",
                              _service_type_codes),
    }

    def search(self, request: HttpRequest, criteria: Criteria) -> tuple[int, list[Any]]:
        wanted = _one(criteria, "schedule")
        if wanted is None:
            raise FhirError(400, "required", "Slot search needs schedule=Schedule/<provider id>-<location id>.",
                            expression=["schedule"])
        provider_id, location_id = parse_schedule_id(split_reference(wanted)[1], what="schedule")
        low, high = _window(criteria)
        statuses = _statuses(criteria)
        type_value = _one(criteria, "service-type")
        kind: AppointmentType | None = None
        if type_value is not None:
            kind = AppointmentType.objects.filter(pk=parse_int_id(type_value.rpartition("|")[2]),
                                                  is_active=True).first()
            if kind is None:
                return 0, []  # no such bookable type: nothing matches
        if not _manage_scope(request, location_id) or high <= low:
            return 0, []
        provider = Provider.objects.filter(pk=provider_id).first()
        location = Location.objects.filter(pk=location_id).first()
        if provider is None or location is None:
            return 0, []
        rows: list[SlotRow] = []
        if FREE in statuses:
            rows += _free(request, provider, location, kind, low, high)
        if BUSY in statuses:
            rows += _busy(provider_id, location_id, low, high)
        rows.sort(key=lambda row: (row.starts_at, row.status))
        return len(rows), rows[criteria.offset : criteria.offset + criteria.count]

    def read(self, request: HttpRequest, ident: str) -> Any:
        match = SLOT_ID.fullmatch(ident)
        if match is None:
            raise Http404()
        provider_id, location_id = int(match.group(1)), int(match.group(2))
        try:
            start = dt.datetime.strptime(match.group(3), "%Y%m%d%H%M").replace(tzinfo=dt.UTC)
        except ValueError:
            raise Http404() from None
        if not _manage_scope(request, location_id):
            if ProviderTemplate.objects.filter(provider_id=provider_id, location_id=location_id).exists():
                raise deny(request, permission=Perm.SCHEDULE_MANAGE, object_type="scheduling.slot", object_id=ident)
            raise Http404()
        if match.group(4) == BUSY:
            # Ids carry the minute: the booking that starts within it.
            rows = _busy(provider_id, location_id, start, start + dt.timedelta(minutes=1))
        else:
            provider = Provider.objects.filter(pk=provider_id).first()
            location = Location.objects.filter(pk=location_id).first()
            type_id = int(match.group(4))
            kind = AppointmentType.objects.filter(pk=type_id, is_active=True).first() if type_id else None
            if provider is None or location is None or (type_id and kind is None) or start < timezone.now():
                raise Http404()
            rows = [row for row in _free(request, provider, location, kind, start, start + dt.timedelta(minutes=1))
                    if row.starts_at == start]
        if not rows:
            raise Http404()  # taken, off, outside the hours, or never was: not (or no longer) a free slot
        return rows[0]

    def to_resource(self, row: SlotRow, request: HttpRequest) -> dict[str, Any]:
        kind = row.appointment_type
        return compact({
            "resourceType": "Slot",
            "id": row.ident,
            "serviceType": [concept(APPOINTMENT_TYPE_SYSTEM, str(kind.pk), kind.name)] if kind else [],
            "schedule": reference("Schedule", schedule_id(row.provider_id, row.location_id)),
            "status": row.status,
            "start": instant(row.starts_at),
            "end": instant(row.ends_at),
        })
