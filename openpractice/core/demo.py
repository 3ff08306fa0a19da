"""Demo data for core: a believable family-medicine group in North Carolina with three locations (one open on
Saturday mornings) and its departments. The registry of seeders is `openpractice.core.seeding`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Model

from .choices import PracticeKind, Weekday
from .models import Department, Location, OpeningHours, Practice
from .seeding import seeder

PRACTICE = {
    "name": "Riverbend Family Medicine",
    "legal_name": "Riverbend Family Medicine, PLLC",
    "ein": "56-2837461",
    "group_npi": "1528364973",  # Luhn-valid (NPI check digit over 80840 + the first nine digits)
    "kind": PracticeKind.MEDICAL_GROUP,
    "timezone": "America/New_York",
    "address_line1": "410 Riverbend Parkway",
    "address_line2": "Suite 200",
    "city": "Raleigh",
    "state": "NC",
    "postal_code": "27603-2147",  # ZIP+4: the 837P needs nine digits for the billing provider
    "phone": "919-555-0100",
}

WEEKDAYS = (Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY)

# (code, name, place of service, phone, address, weekday hours, Saturday hours or None, own NPI)
LOCATIONS: list[dict[str, Any]] = [
    {
        "code": "downtown", "name": "Downtown Raleigh", "place_of_service": "11", "phone": "919-555-0110",
        "address_line1": "410 Riverbend Parkway", "address_line2": "Suite 100", "city": "Raleigh",
        "postal_code": "27603-2147", "hours": [((8, 0), (17, 0))], "saturday": ((9, 0), (12, 0)), "npi": "",
    },
    {
        "code": "north-hills", "name": "North Hills", "place_of_service": "11", "phone": "919-555-0120",
        "address_line1": "4208 Six Forks Road", "address_line2": "", "city": "Raleigh",
        "postal_code": "27609-6315", "hours": [((7, 30), (12, 0)), ((13, 0), (16, 30))], "saturday": None, "npi": "",
    },
    {
        "code": "cary", "name": "Cary Walk-in & Family Care", "place_of_service": "20", "phone": "919-555-0130",
        "address_line1": "1105 Kildaire Farm Road", "address_line2": "", "city": "Cary",
        "postal_code": "27511-4523", "hours": [((8, 0), (19, 0))], "saturday": None, "npi": "1742193851",
    },
]  # fmt: skip

# (name, location code or None for practice-wide, shared email)
DEPARTMENTS = [
    ("Administration", None, "admin@riverbend.example"),
    ("Business Office", None, "billing@riverbend.example"),
    ("Human Resources", None, "hr@riverbend.example"),
    ("Front Office – Downtown", "downtown", "frontdesk.downtown@riverbend.example"),
    ("Front Office – North Hills", "north-hills", "frontdesk.northhills@riverbend.example"),
    ("Front Office – Cary", "cary", "frontdesk.cary@riverbend.example"),
    ("Nursing & Clinical Support", None, ""),
    ("Facilities & Supplies", None, ""),
]


def _saved(obj: Model) -> Any:
    """Validate like a form would (so demo data obeys the same rules as typed-in data), then insert."""
    obj.full_clean()
    obj.save(force_insert=True)
    return obj


@seeder(10)
def seed_practice(context: dict[str, Any]) -> None:
    practice = _saved(Practice(**PRACTICE))
    locations: dict[str, Location] = {}
    for spec in LOCATIONS:
        location = _saved(Location(
            practice=practice, code=spec["code"], name=spec["name"], place_of_service=spec["place_of_service"],
            phone=spec["phone"], address_line1=spec["address_line1"], address_line2=spec["address_line2"],
            city=spec["city"], state="NC", postal_code=spec["postal_code"], npi=spec["npi"],
        ))  # fmt: skip
        periods = [(day, opens, closes) for day in WEEKDAYS for opens, closes in spec["hours"]]
        if spec["saturday"]:
            periods.append((Weekday.SATURDAY, *spec["saturday"]))
        for day, opens, closes in periods:
            _saved(OpeningHours(location=location, weekday=day, opens_at=dt.time(*opens), closes_at=dt.time(*closes)))
        locations[location.code] = location
    for name, code, email in DEPARTMENTS:
        _saved(Department(practice=practice, name=name, location=locations[code] if code else None, email=email))
    context["practice"] = practice
    context["locations"] = locations
