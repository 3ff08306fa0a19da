"""Demo data for scheduling: seven providers across the three demo locations with Monday–Friday templates,
appointment types, rooms and four weeks of appointments (two past, two ahead), inserted in bulk with one
summary audit event. Runs after the patients (30)."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from typing import Any

from django.utils import timezone

from openpractice.audit.services import record
from openpractice.core.models import Location
from openpractice.core.seeding import seeder
from openpractice.patients.models import Patient

from .choices import AppointmentStatus
from .models import Appointment, AppointmentType, Provider, ProviderTemplate, Room

# (first, last, credential, kind, NPI (Luhn-valid), taxonomy, billing, location codes)
PROVIDERS = [
    ("Maya", "Chen", "MD", "physician", "1245319599", "207Q00000X", True, ["downtown"]),
    ("Robert", "Okafor", "DO", "physician", "1003000126", "207Q00000X", True, ["downtown", "cary"]),
    ("Lucia", "Alvarez", "MD", "physician", "1114025228", "207R00000X", True, ["north-hills"]),
    ("James", "Whitfield", "FNP", "np", "1497758544", "363LF0000X", False, ["north-hills"]),
    ("Nadia", "Farouk", "PA-C", "pa", "1679576722", "363A00000X", False, ["cary"]),
    ("Daniel", "Brooks", "MD", "physician", "1881689024", "208D00000X", True, ["cary"]),
    ("Aisha", "Mensah", "MD", "physician", "1589024714", "207Q00000X", True, ["downtown", "north-hills"]),
]  # fmt: skip
# Providers who sign in: (first, last) -> accounts.demo username, so the demo "provider" login has a schedule.
PROVIDER_ACCOUNTS = {("Aisha", "Mensah"): "provider"}
# (name, minutes, colour, needs room)
TYPES = [
    ("Follow-up", 20, "#2a7ab0", False),
    ("Sick visit", 20, "#c0392b", False),
    ("New patient", 40, "#27ae60", True),
    ("Annual physical", 40, "#8e44ad", True),
    ("Procedure", 30, "#d35400", True),
]
ROOMS_PER_LOCATION = 3
PERIODS = [(dt.time(8, 0), dt.time(12, 0)), (dt.time(13, 0), dt.time(16, 0))]
CANCEL_REASONS = ["Patient called to cancel", "Patient ill", "Transportation problem", "Rescheduled by patient"]


def _saved(obj: Any) -> Any:
    obj.full_clean()
    obj.save(force_insert=True)
    return obj


@seeder(40)
def seed_schedule(context: dict[str, Any]) -> None:
    rng = random.Random(20240640)
    locations: dict[str, Location] = context["locations"]
    zone = zoneinfo.ZoneInfo(context["practice"].timezone)
    types = [_saved(AppointmentType(name=n, duration_minutes=m, colour=c, needs_room=r)) for n, m, c, r in TYPES]
    rooms: dict[int, list[Room]] = {
        location.pk: [_saved(Room(location=location, name=f"Exam {i}")) for i in range(1, ROOMS_PER_LOCATION + 1)]
        for location in locations.values()
    }
    providers: list[tuple[Provider, list[Location]]] = []
    templates: list[ProviderTemplate] = []
    users = context.get("users") or {}
    for first, last, credential, kind, npi, taxonomy, billing, codes in PROVIDERS:
        account = users.get(PROVIDER_ACCOUNTS.get((first, last), ""))
        provider = _saved(Provider(first_name=first, last_name=last, credential=credential, kind=kind, npi=npi,
                                   taxonomy_code=taxonomy, is_billing=billing, is_rendering=True, user=account))
        sites = [locations[code] for code in codes]
        provider.locations.set(sites)
        providers.append((provider, sites))
        for weekday in range(5):
            site = sites[weekday % len(sites)]  # providers with two sites alternate days
            templates.extend(ProviderTemplate(provider=provider, location=site, weekday=weekday, start=s, end=e)
                             for s, e in PERIODS)
    ProviderTemplate.objects.bulk_create(templates)

    patients_by_location: dict[int, list[int]] = {}
    for pk, home in Patient.objects.filter(is_active=True).values_list("pk", "home_location_id"):
        patients_by_location.setdefault(home, []).append(pk)
    everyone = [pk for pks in patients_by_location.values() for pk in pks]
    if not everyone:
        return
    now = timezone.now()
    today = now.astimezone(zone).date()
    actor = context.get("actor")
    rows: list[Appointment] = []
    room_busy: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    by_weekday: dict[tuple[int, int], list[ProviderTemplate]] = {}
    for template in templates:
        by_weekday.setdefault((template.provider_id, template.weekday), []).append(template)
    for offset in range(-14, 14):
        day = today + dt.timedelta(days=offset)
        for provider, _sites in providers:
            for template in by_weekday.get((provider.pk, day.weekday()), []):
                start = dt.datetime.combine(day, template.start, tzinfo=zone)
                period_end = dt.datetime.combine(day, template.end, tzinfo=zone)
                while True:
                    kind = rng.choice(types)
                    end = start + dt.timedelta(minutes=kind.duration_minutes)
                    if end > period_end:
                        break
                    if rng.random() < 0.35:  # a gap in the day
                        start += dt.timedelta(minutes=20)
                        continue
                    room = None
                    if kind.needs_room:
                        room = next((r for r in rooms[template.location_id] if not any(
                            b < end and e > start for b, e in room_busy.get(r.pk, []))), None)
                        if room is None:
                            start = end
                            continue
                        room_busy.setdefault(room.pk, []).append((start, end))
                    pool = patients_by_location.get(template.location_id) or everyone
                    row = Appointment(patient_id=rng.choice(pool), provider=provider, location_id=template.location_id,
                                      room=room, appointment_type=kind, starts_at=start, ends_at=end,
                                      created_by=actor)
                    if end <= now:
                        roll = rng.random()
                        if roll < 0.85:
                            row.status = AppointmentStatus.COMPLETED
                            row.checked_in_at = start - dt.timedelta(minutes=rng.randint(2, 15))
                            row.checked_out_at = end + dt.timedelta(minutes=rng.randint(0, 10))
                        elif roll < 0.93:
                            row.status = AppointmentStatus.NO_SHOW
                        else:
                            row.status = AppointmentStatus.CANCELLED
                            row.cancel_reason = rng.choice(CANCEL_REASONS)
                    rows.append(row)
                    start = end
    Appointment.objects.bulk_create(rows, batch_size=500)
    record(actor=actor, action="scheduling.demo_seeded", object_type="scheduling.appointment",
           changed_fields=["providers", "templates", "appointment_types", "rooms", "appointments"],
           reason=f"{len(providers)} providers, {len(rows)} appointments")
    context.setdefault("report", []).append(f"{len(providers)} providers, {len(rows)} appointments over four weeks")
