"""Bulk appointments for `openpractice seed --size ...` (benchmarks and load tests).

N appointments over the last five years and the next four weeks, Monday to Friday inside the providers' weekly
templates at the demo practice's locations, skipping the days a location already has appointments (the demo's
four weeks). A provider never has two appointments at once and a room is never double-booked: each provider uses
a room of their own at each location (rooms are added where the demo has too few). The demo's six providers give
about 8,000 provider-days in five years; a size that would need more than MAX_PER_DAY appointments a
provider-day gets additional providers at the same locations (49 more for a million appointments), with
templates like the demo's. Past visits are completed (with check-in and check-out
times), no-shows or cancelled with a reason; future ones are booked.

Deterministic for a given seed and day, bulk_create in batches, ONE summary audit event. Refuses (before writing
anything) without the demo's providers and appointment types, or when the database was bulk-seeded already.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import zoneinfo
from collections import defaultdict
from typing import Any

from openpractice.audit.models import AuditEvent
from openpractice.audit.services import record
from openpractice.core.models import Location
from openpractice.core.seeding import SEED_BATCH, SeedRefused, large_seeder
from openpractice.core.selectors import practice_timezone_name
from openpractice.core.validators import npi_is_valid
from openpractice.patients.models import Patient

from .choices import AppointmentStatus
from .demo import CANCEL_REASONS, PERIODS
from .models import Appointment, AppointmentType, Provider, ProviderTemplate, Room

SEEDED_ACTION = "scheduling.bulk_seeded"
# Appointments per provider-day: a busy but believable family-medicine day inside a seven-hour template.
MAX_PER_DAY = 14
FUTURE_DAYS = 28
FIRST = ["Ava", "Ben", "Carmen", "Deepak", "Elena", "Farid", "Gwen", "Hiro", "Imani", "Jonas", "Keiko", "Leon"]
LAST = ["Abbott", "Baker", "Castillo", "Dawson", "Ellis", "Fischer", "Gupta", "Holt", "Ibarra", "Jensen",
        "Kowalski", "Lindqvist", "Morales", "Nakamura", "Osei", "Pereira", "Quigley", "Reyes", "Sato", "Tanaka"]


def _refuse_if_unready() -> tuple[list[Provider], list[AppointmentType]]:
    if AuditEvent.objects.filter(action=SEEDED_ACTION).exists():
        raise SeedRefused("This database has been bulk-seeded already (one bulk seed per database). Seed a fresh "
                          "demo database.")
    providers = list(Provider.objects.filter(is_active=True, templates__isnull=False).distinct().order_by("pk"))
    types = list(AppointmentType.objects.filter(is_active=True).order_by("pk"))
    if not providers or not types:
        raise SeedRefused("The demo practice's providers, templates and appointment types are missing: run "
                          "`openpractice demo` on this database first.")
    return providers, types


def _npis(count: int, taken: set[str]) -> list[str]:
    """`count` Luhn-valid NPIs not in use (2xxxxxxxxx: type-2 looking numbers nobody in the demo uses)."""
    found: list[str] = []
    stem = 200_000_000
    while len(found) < count:
        stem += 1
        for check in range(10):
            npi = f"{stem}{check}"
            if npi_is_valid(npi) and npi not in taken:
                found.append(npi)
                break
    return found


def _add_providers(count: int, locations: list[Location]) -> list[Provider]:
    taken = set(Provider.objects.values_list("npi", flat=True))
    added: list[Provider] = []
    for index, npi in enumerate(_npis(count, taken)):
        provider = Provider(first_name=FIRST[index % len(FIRST)], last_name=LAST[(index // len(FIRST)) % len(LAST)],
                            credential="MD", kind="physician", npi=npi, taxonomy_code="207Q00000X",
                            is_billing=True, is_rendering=True)
        provider.full_clean()
        added.append(provider)
    Provider.objects.bulk_create(added)
    templates: list[ProviderTemplate] = []
    through = Provider.locations.through
    links = []
    for index, provider in enumerate(added):
        location = locations[index % len(locations)]
        links.append(through(provider_id=provider.pk, location_id=location.pk))
        templates.extend(ProviderTemplate(provider=provider, location=location, weekday=weekday, start=start, end=end)
                         for weekday in range(5) for start, end in PERIODS)
    through.objects.bulk_create(links)
    ProviderTemplate.objects.bulk_create(templates)
    return added


def _rooms(providers_at: dict[int, list[int]]) -> dict[tuple[int, int], int]:
    """A room of their own for each provider at each location they work at (adding rooms where needed)."""
    own: dict[tuple[int, int], int] = {}
    for location_id, provider_ids in providers_at.items():
        rooms = list(Room.objects.filter(location_id=location_id, is_active=True).order_by("pk"))
        names = set(Room.objects.filter(location_id=location_id).values_list("name", flat=True))
        number = len(names)
        while len(rooms) < len(provider_ids):
            number += 1
            if f"Exam {number}" in names:
                continue
            room = Room(location_id=location_id, name=f"Exam {number}")
            room.save(force_insert=True)
            rooms.append(room)
        for provider_id, room in zip(provider_ids, rooms, strict=False):
            own[(provider_id, location_id)] = room.pk
    return own


@large_seeder(40)
def seed_appointments(context: dict[str, Any]) -> None:
    providers, types = _refuse_if_unready()
    target: int = context["appointments"]
    rng = random.Random(context["seed"] * 1_000 + 40)
    zone = zoneinfo.ZoneInfo(practice_timezone_name())
    now = dt.datetime.now(dt.UTC)
    today = now.astimezone(zone).date()
    first_day = today - dt.timedelta(days=365 * context["years"]) + dt.timedelta(days=FUTURE_DAYS)
    days = [first_day + dt.timedelta(days=n) for n in range((today - first_day).days + FUTURE_DAYS)]
    weekdays = sum(1 for day in days if day.weekday() < 5)
    needed = math.ceil(target / (weekdays * MAX_PER_DAY))
    added: list[Provider] = []
    if needed > len(providers):
        locations = list(Location.objects.filter(is_active=True).order_by("pk"))
        added = _add_providers(needed - len(providers), locations)

    # Each provider's periods by weekday, and who works where (for the rooms).
    periods: dict[tuple[int, int], list[tuple[int, dt.time, dt.time]]] = defaultdict(list)
    providers_at: dict[int, list[int]] = defaultdict(list)
    for template in ProviderTemplate.objects.filter(provider__is_active=True).order_by("provider_id", "weekday",
                                                                                        "start"):
        periods[(template.provider_id, template.weekday)].append((template.location_id, template.start, template.end))
        if template.provider_id not in providers_at[template.location_id]:
            providers_at[template.location_id].append(template.provider_id)
    own_room = _rooms(providers_at)
    patients_at: dict[int, list[int]] = defaultdict(list)
    for pk, home in Patient.objects.filter(is_active=True, merged_into__isnull=True).values_list(
            "pk", "home_location_id").order_by("pk"):
        patients_at[home].append(pk)
    everyone = [pk for pks in patients_at.values() for pk in pks]
    if not everyone:
        raise SeedRefused("There are no patients to book: run `openpractice demo` on this database first.")

    # The target spread evenly over every provider-day that has a template, the remainder on random ones.
    # Days on which a location already has appointments (the demo's four weeks) are left as they are there:
    # the rooms and providers of those visits stay free of double bookings without checking each one.
    taken = {(location_id, starts_at.astimezone(zone).date()) for location_id, starts_at in
             Appointment.objects.filter(starts_at__gte=dt.datetime.combine(days[0], dt.time.min, tzinfo=zone))
             .values_list("location_id", "starts_at")}
    working = sorted({provider_id for provider_id, _weekday in periods})
    provider_days = [(day, pk) for day in days for pk in working if periods.get((pk, day.weekday()))
                     and not any((location_id, day) in taken for location_id, _s, _e in periods[(pk, day.weekday())])]
    if not provider_days:
        raise SeedRefused("No provider has a weekly template: nothing can be booked.")
    base, extra = divmod(target, len(provider_days))
    bonus = set(rng.sample(range(len(provider_days)), extra))
    batch: list[Appointment] = []
    written = carry = 0
    for index, (day, provider_id) in enumerate(provider_days):
        quota = base + (1 if index in bonus else 0) + carry
        layout = _day_layout(rng, day, periods[(provider_id, day.weekday())], quota, types, zone)
        carry = quota - len(layout)  # a day too full for its share hands the rest to the next one
        for location_id, starts_at, ends_at, kind in layout:
            row = Appointment(patient_id=rng.choice(patients_at.get(location_id) or everyone),
                              provider_id=provider_id, location_id=location_id,
                              room_id=own_room.get((provider_id, location_id)) if kind.needs_room else None,
                              appointment_type=kind, starts_at=starts_at, ends_at=ends_at)
            if ends_at <= now:
                roll = rng.random()
                if roll < 0.85:
                    row.status = AppointmentStatus.COMPLETED
                    row.checked_in_at = starts_at - dt.timedelta(minutes=rng.randint(2, 15))
                    row.checked_out_at = ends_at + dt.timedelta(minutes=rng.randint(0, 10))
                elif roll < 0.93:
                    row.status = AppointmentStatus.NO_SHOW
                else:
                    row.status = AppointmentStatus.CANCELLED
                    row.cancel_reason = rng.choice(CANCEL_REASONS)
            batch.append(row)
            if len(batch) >= SEED_BATCH:
                Appointment.objects.bulk_create(batch, batch_size=SEED_BATCH)
                written += len(batch)
                batch = []
    Appointment.objects.bulk_create(batch, batch_size=SEED_BATCH)
    written += len(batch)
    record(actor=None, action=SEEDED_ACTION, object_type="scheduling.appointment",
           changed_fields=["appointments", *(["providers", "templates", "rooms"] if added else [])],
           reason=f"seed --size {context['size']}: {written} appointments {days[0]}–{days[-1]}, "
                  f"{len(added)} providers added")
    context["report"].append(f"{written:,} appointments from {days[0]} to {days[-1]}"
                             + (f", {len(added)} providers added" if added else ""))


def _day_layout(rng: random.Random, day: dt.date, day_periods: list[tuple[int, dt.time, dt.time]], quota: int,
                types: list[AppointmentType], zone: zoneinfo.ZoneInfo,
                ) -> list[tuple[int, dt.datetime, dt.datetime, AppointmentType]]:
    """`quota` non-overlapping appointments inside the day's periods, back to back with the free time spread
    as random gaps. Types are random; when the day is too full for long visits, the shortest type is used."""
    if quota <= 0:
        return []
    shortest = min(types, key=lambda t: t.duration_minutes)
    spans = [(location_id, dt.datetime.combine(day, start, tzinfo=zone), dt.datetime.combine(day, end, tzinfo=zone))
             for location_id, start, end in day_periods]
    total = sum(int((end - start).total_seconds()) // 60 for _l, start, end in spans)
    quota = min(quota, total // shortest.duration_minutes)
    kinds = [rng.choice(types) for _ in range(quota)]
    while sum(k.duration_minutes for k in kinds) > total - len(spans) * 40:
        longest = max(range(len(kinds)), key=lambda i: kinds[i].duration_minutes)
        if kinds[longest] is shortest or kinds[longest].duration_minutes == shortest.duration_minutes:
            break
        kinds[longest] = shortest
    layout: list[tuple[int, dt.datetime, dt.datetime, AppointmentType]] = []
    queue = list(kinds)
    for location_id, start, end in spans:
        cursor = start
        while queue:
            kind = queue[0]
            length = dt.timedelta(minutes=kind.duration_minutes)
            slack = int((end - cursor - length).total_seconds()) // 60
            if slack < 0:
                break
            # A gap in steps of five minutes, small enough to leave room for the rest of the queue.
            rest = sum(k.duration_minutes for k in queue[1:])
            room_for_gap = max(0, slack - rest) // 5
            cursor += dt.timedelta(minutes=5 * rng.randint(0, min(room_for_gap, 4)))
            layout.append((location_id, cursor, cursor + length, kind))
            cursor += length
            queue.pop(0)
    return layout
