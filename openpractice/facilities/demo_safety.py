"""Demo data for the safety logs and cleaning (seeder 92, wired in facilities/demo.py):

- checkpoints at each location: the vaccine refrigerator (36–46 °F) and freezer (-58 to 5 °F) twice a day, the
  autoclave's cycles every open day and its spore test weekly (where there is an autoclave), and the monthly
  eyewash, fire extinguisher and AED checks; tied to the demo equipment where it exists;
- thirty days of entries by the people who take them, with two gaps (a freezer reading and an autoclave cycle)
  that show on the missing-entries page and in the daily round, and this morning's readings at Downtown only (the
  rest of today's round is still due);
- one refrigerator reading out of range at North Hills two days ago, recorded through the service (the managers'
  alert goes to the Outbox), with its corrective action and a work order for the door gasket;
- cleaning schedules by the demo's cleaning firm under its contract (and the Cary waiting room by staff), and two
  inspections: one all passed, one with a failed task that opened a work order.

The readings older than the back-dating window cannot go through the service (it refuses entries more than a week
late, as it must), so the history is written as rows; everything recent, the alert, the corrective action, the
schedules, inspections and work orders go through the services as the people who would do them. Dates count from
the practice's today; seeding again adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.core.models import Location
from openpractice.core.selectors import practice_timezone_name, practice_today

from . import selectors_safety as selectors
from .choices import SafetyCheckKind, SafetyFrequency
from .models import CleaningSchedule, SafetyCheckpoint, SafetyLogEntry
from .services import cleaning as cleaning_services
from .services import safety as safety_services

HISTORY_DAYS = 30
FAHRENHEIT = "°F"


@dataclass(frozen=True)
class DemoCheckpoint:
    location: str
    name: str
    kind: str
    frequency: str
    room: str = ""
    asset: str = ""  # a demo asset tag
    minimum: str | None = None
    maximum: str | None = None
    active: bool = True


def _fridge(location: str, room: str, asset: str) -> DemoCheckpoint:
    return DemoCheckpoint(location, f"Vaccine refrigerator, {room.lower()}", SafetyCheckKind.FRIDGE_TEMPERATURE,
                          SafetyFrequency.TWICE_DAILY, room, asset, "36.0", "46.0")


def _freezer(location: str, room: str, asset: str = "", active: bool = True, name: str = "") -> DemoCheckpoint:
    return DemoCheckpoint(location, name or f"Vaccine freezer, {room.lower()}", SafetyCheckKind.FREEZER_TEMPERATURE,
                          SafetyFrequency.TWICE_DAILY, room, asset, "-58.0", "5.0", active)


def _monthly(location: str, kind: str, name: str, room: str, asset: str = "") -> DemoCheckpoint:
    return DemoCheckpoint(location, name, kind, SafetyFrequency.MONTHLY, room, asset)


CHECKPOINTS: tuple[DemoCheckpoint, ...] = (
    _fridge("downtown", "Lab", "A-0001"),
    _freezer("downtown", "Lab", "A-0002"),
    DemoCheckpoint("downtown", "Autoclave cycles", SafetyCheckKind.AUTOCLAVE_CYCLE, SafetyFrequency.DAILY,
                   "Sterilization", "A-0003"),
    DemoCheckpoint("downtown", "Autoclave spore test", SafetyCheckKind.SPORE_TEST, SafetyFrequency.WEEKLY,
                   "Sterilization", "A-0003"),
    _monthly("downtown", SafetyCheckKind.EYEWASH, "Eyewash station, lab", "Lab"),
    _monthly("downtown", SafetyCheckKind.FIRE_EXTINGUISHER, "Fire extinguishers (3)", "Hallways"),
    _monthly("downtown", SafetyCheckKind.AED, "AED, main hallway", "Hallway", "A-0007"),
    _fridge("north-hills", "Lab", "A-0101"),
    _freezer("north-hills", "Lab"),
    DemoCheckpoint("north-hills", "Autoclave cycles", SafetyCheckKind.AUTOCLAVE_CYCLE, SafetyFrequency.DAILY,
                   "Sterilization", "A-0102"),
    DemoCheckpoint("north-hills", "Autoclave spore test", SafetyCheckKind.SPORE_TEST, SafetyFrequency.WEEKLY,
                   "Sterilization", "A-0102"),
    _monthly("north-hills", SafetyCheckKind.EYEWASH, "Eyewash station, sterilization", "Sterilization"),
    _monthly("north-hills", SafetyCheckKind.FIRE_EXTINGUISHER, "Fire extinguishers (2)", "Hallways"),
    _monthly("north-hills", SafetyCheckKind.AED, "AED, front desk", "Front desk"),
    _fridge("cary", "Nurse station", "A-0201"),
    # The specimen freezer is out of service (see its asset): its checkpoint is retired meanwhile.
    _freezer("cary", "Lab", "A-0202", active=False, name="Specimen freezer, lab"),
    _monthly("cary", SafetyCheckKind.EYEWASH, "Eyewash station, lab", "Lab"),
    _monthly("cary", SafetyCheckKind.FIRE_EXTINGUISHER, "Fire extinguishers (2)", "Hallways"),
    _monthly("cary", SafetyCheckKind.AED, "AED, waiting room", "Waiting room", "A-0203"),
)
# Who takes the readings at each location (demo usernames).
RECORDERS = {"downtown": "om_experienced", "north-hills": "clinical", "cary": "om_entry"}
# The slots left empty on purpose: (location, checkpoint kind, days ago, slot).
GAPS = (("downtown", SafetyCheckKind.FREEZER_TEMPERATURE, 5, "pm"),
        ("north-hills", SafetyCheckKind.AUTOCLAVE_CYCLE, 3, "day"))

CLEANING_TASKS = ("Empty the trash and the sharps-free recycling bins", "Vacuum carpets and mop hard floors",
                  "Disinfect exam tables, counters and door handles",
                  "Clean and restock the restrooms (soap, paper towels, toilet paper)",
                  "Wipe the waiting-room chairs and the front-desk counter", "Clean the glass of the entrance doors")
WAITING_ROOM_TASKS = ("Wipe the chairs and armrests with disinfectant wipes", "Tidy the magazines and toys",
                      "Check the hand-sanitizer dispensers")


def _gap_day(location: Location, days_ago: int, today: dt.date, open_days: frozenset[int] | None) -> dt.date:
    """The open day nearest `days_ago` days back (so the gap is on a day that expects an entry)."""
    day = today - dt.timedelta(days=days_ago)
    while open_days is not None and day.weekday() not in open_days:
        day -= dt.timedelta(days=1)
    return day


def _reading(kind: str, rng: random.Random) -> Decimal:
    if kind == SafetyCheckKind.FRIDGE_TEMPERATURE:
        return Decimal(str(round(rng.uniform(37.6, 43.8), 1)))
    return Decimal(str(round(rng.uniform(-9.0, -1.0), 1)))


def _history(checkpoint: SafetyCheckpoint, *, today: dt.date, open_days: frozenset[int] | None, recorder: User,
             skip: set[tuple[dt.date, str]], rng: random.Random) -> list[SafetyLogEntry]:
    """Entries for the last HISTORY_DAYS days up to yesterday (and this morning at Downtown), as rows."""
    since = today - dt.timedelta(days=HISTORY_DAYS)
    checkpoint.first_entry_on = since  # type: ignore[attr-defined]  # the log starts a month ago
    rows: list[SafetyLogEntry] = []
    slots = selectors.expected_slots(checkpoint, since=since, until=today, days_open=open_days)
    if checkpoint.frequency in (SafetyFrequency.WEEKLY, SafetyFrequency.MONTHLY):
        # The current week / month is done too when its first open day has passed.
        start = (today - dt.timedelta(days=today.weekday()) if checkpoint.frequency == SafetyFrequency.WEEKLY
                 else today.replace(day=1))
        slots.append(selectors.Slot(checkpoint, start, "day", today))
    for slot in slots:
        day = slot.log_date
        if slot.is_period:  # on the period's first open day (Tuesday for the spore test)
            day = day + dt.timedelta(days=1 if checkpoint.frequency == SafetyFrequency.WEEKLY else 0)
            while open_days is not None and day.weekday() not in open_days and day < slot.period_end:
                day += dt.timedelta(days=1)
            if day >= today:
                continue
        if (day, slot.slot) in skip or day > today:
            continue
        if day == today and (checkpoint.location.code != "downtown" or slot.slot != "am"):
            continue
        temperature = checkpoint.kind in selectors.TEMPERATURE_KINDS
        rows.append(SafetyLogEntry(checkpoint=checkpoint, log_date=day, slot=slot.slot, recorded_by=recorder,
                                   value=_reading(checkpoint.kind, rng) if temperature else None, passed=True,
                                   notes="Cycle 134 °C / 3 min, indicator strip changed colour" if
                                   checkpoint.kind == SafetyCheckKind.AUTOCLAVE_CYCLE and rng.random() < 0.1 else ""))
    return rows


def _checkpoints(keeper: User, locations: dict[str, Location], assets: dict[str, Any]) -> list[SafetyCheckpoint]:
    created = []
    for spec in CHECKPOINTS:
        if spec.location not in locations:
            continue
        asset = assets.get(spec.asset)
        created.append(safety_services.checkpoint_create(actor=keeper, data={
            "location": locations[spec.location], "room": spec.room, "name": spec.name, "kind": spec.kind,
            "frequency": spec.frequency, "asset": asset if asset is not None
            and asset.location_id == locations[spec.location].pk else None,
            "minimum": spec.minimum, "maximum": spec.maximum, "unit": FAHRENHEIT if spec.minimum else "",
            "is_active": spec.active}))
    return created


def _excursion_target(checkpoints: list[SafetyCheckpoint], today: dt.date,
                      open_days: dict[int, frozenset[int] | None]) -> tuple[SafetyCheckpoint, dt.date] | None:
    """North Hills' refrigerator, the afternoon of two open days ago: where the reading out of range goes."""
    fridge = next((c for c in checkpoints if c.location.code == "north-hills"
                   and c.kind == SafetyCheckKind.FRIDGE_TEMPERATURE), None)
    if fridge is None:
        return None
    day = _gap_day(fridge.location, 2, today, open_days[fridge.location_id])
    return (fridge, day) if day >= today - dt.timedelta(days=selectors.BACKDATE_DAYS) else None


def _excursion(target: tuple[SafetyCheckpoint, dt.date] | None, users: dict[str, User]) -> int:
    """The reading out of range, recorded through the service by the nurse (the managers' alert goes out), the
    corrective action she took, and a work order the office manager opens for the door gasket."""
    nurse, manager = users.get("clinical"), users.get("om_mid")
    if target is None or nurse is None or manager is None:
        return 0
    fridge, day = target
    entry = safety_services.safety_entry_record(
        actor=nurse, checkpoint=fridge, log_date=day, slot="pm", value=Decimal("48.6"),
        notes="Data-logger alarm at 4:10 pm; door found ajar after restocking.")
    safety_services.safety_entry_act(actor=nurse, entry=entry, action=(
        "Door closed at 4:12 pm; excursion 35 minutes per the data logger (max 48.6 °F). Vaccines kept in the unit, "
        "marked DO NOT USE and the manufacturers called: all lots usable. Re-check 30 minutes later: 41.2 °F."))
    safety_services.safety_entry_work_order(actor=manager, entry=entry)
    return 1


def _cleaning(keeper: User, users: dict[str, User], locations: dict[str, Location], context: dict[str, Any],
              today: dt.date) -> tuple[int, int]:
    firm = (context.get("vendors") or {}).get("cleaning")
    contract = (context.get("contracts") or {}).get("cleaning")
    specs: list[dict[str, Any]] = [
        {"location": "downtown", "room": "", "vendor": firm, "frequency": SafetyFrequency.DAILY,
         "weekdays": [0, 1, 2, 3, 4], "tasks": CLEANING_TASKS},
        {"location": "north-hills", "room": "", "vendor": firm, "frequency": SafetyFrequency.DAILY,
         "weekdays": [0, 2, 4], "tasks": CLEANING_TASKS},
        {"location": "cary", "room": "Waiting room", "vendor": None, "frequency": SafetyFrequency.TWICE_DAILY,
         "weekdays": [], "tasks": WAITING_ROOM_TASKS},
    ]
    schedules: dict[str, CleaningSchedule] = {}
    for spec in specs:
        if spec["location"] not in locations:
            continue
        vendor = spec["vendor"]
        schedules[spec["location"]] = cleaning_services.cleaning_schedule_create(actor=keeper, data={
            "location": locations[spec["location"]], "room": spec["room"], "vendor": vendor,
            "contract": contract if vendor is not None and contract is not None and contract.vendor_id == vendor.pk
            else None, "frequency": spec["frequency"], "weekdays": spec["weekdays"], "tasks": "\n".join(spec["tasks"]),
            "is_active": True})
    inspections = 0
    if "downtown" in schedules:
        results = [cleaning_services.TaskResult(passed=True) for _task in CLEANING_TASKS]
        results[3] = cleaning_services.TaskResult(
            passed=False, note="Second-floor restroom: no paper towels, soap dispenser empty.", work_order=True)
        cleaning_services.cleaning_inspection_record(
            actor=keeper, schedule=schedules["downtown"], inspected_on=today - dt.timedelta(days=4), results=results,
            notes="Walk-through with Luis Moreno before opening.")
        inspections += 1
    inspector = users.get("om_mid", keeper)
    if "north-hills" in schedules:
        cleaning_services.cleaning_inspection_record(
            actor=inspector, schedule=schedules["north-hills"], inspected_on=today - dt.timedelta(days=9),
            results=[cleaning_services.TaskResult(passed=True) for _task in CLEANING_TASKS])
        inspections += 1
    return len(schedules), inspections


def seed_safety(context: dict[str, Any]) -> None:
    """Seeder 92 (registered by facilities/demo.py): safety checkpoints and logs, cleaning schedules and
    inspections."""
    users: dict[str, User] = context.get("users") or {}
    locations: dict[str, Location] = context.get("locations") or {}
    if "om_experienced" not in users or not locations:
        return
    report = context.setdefault("report", [])
    if SafetyCheckpoint.objects.exists() or CleaningSchedule.objects.exists():
        report.append("facilities safety logs and cleaning: already seeded, nothing added")
        return
    keeper = users["om_experienced"]
    today = practice_today()
    zone = zoneinfo.ZoneInfo(practice_timezone_name())
    checkpoints = _checkpoints(keeper, locations, context.get("assets") or {})
    open_days = selectors.open_days(location.pk for location in locations.values())
    rng = random.Random(92)
    target = _excursion_target(checkpoints, today, open_days)
    rows: list[SafetyLogEntry] = []
    for checkpoint in checkpoints:
        if not checkpoint.is_active:
            continue
        code = checkpoint.location.code
        recorder = users.get(RECORDERS.get(code, ""), keeper)
        skip = {(_gap_day(checkpoint.location, days_ago, today, open_days[checkpoint.location_id]), slot)
                for where, kind, days_ago, slot in GAPS if where == code and kind == checkpoint.kind}
        if target is not None and target[0].pk == checkpoint.pk:
            skip.add((target[1], "pm"))
        rows += _history(checkpoint, today=today, open_days=open_days[checkpoint.location_id], recorder=recorder,
                         skip=skip, rng=rng)
    SafetyLogEntry.objects.bulk_create(rows)
    for row in rows:  # when it was written on the day (bulk_create stamped them all now)
        at = dt.time(16, 5) if row.slot == "pm" else dt.time(8, 10)
        row.recorded_at = min(timezone.make_aware(dt.datetime.combine(row.log_date, at), zone), timezone.now())
    SafetyLogEntry.objects.bulk_update(rows, ["recorded_at"], batch_size=500)
    excursions = _excursion(target, users)
    schedules, inspections = _cleaning(keeper, users, locations, context, today)
    context["safety_checkpoints"] = checkpoints
    report.append(f"{len(checkpoints)} safety checkpoints, {len(rows) + excursions} log entries "
                  f"({excursions} out of range, {len(GAPS)} missing), {schedules} cleaning schedules, "
                  f"{inspections} cleaning inspections")
