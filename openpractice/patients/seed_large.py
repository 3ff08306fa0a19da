"""Bulk patients and coverage for `openpractice seed --size ...` (benchmarks and load tests).

Adds N patients spread over the practice's locations, about 80 % of them with coverage (a fifth of those with a
secondary policy too), on top of the demo practice's payers and plans. Deterministic for a given seed, inserted
with bulk_create in batches, and ONE summary audit event. Refuses (before writing anything) without the demo's
payer plans, or when this database was bulk-seeded already: a second run would double the data behind the
benchmark figures, so the rule is one bulk seed per database.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.db.models import Max
from django.utils import timezone

from openpractice.audit.models import AuditEvent
from openpractice.audit.services import record
from openpractice.core.models import Location
from openpractice.core.seeding import SEED_BATCH, SeedRefused, large_seeder

from .demo import CITIES, FIRST_F, FIRST_M, LAST, STREETS
from .models import Coverage, Patient, PayerPlan

SEEDED_ACTION = "patients.bulk_seeded"
COVERED_SHARE = 0.8
SECONDARY_SHARE = 0.2
AREA_CODES = ("919", "984", "252", "336", "704", "910")
COPAYS = [Decimal(v) for v in ("0.00", "20.00", "25.00", "30.00", "40.00", "50.00")]

# Made-up surnames from syllables (about 1,500 of them) on top of the common ones, so that a last-name prefix
# selects a realistic share of a large practice instead of 1/30 of it.
_HEADS = ["Ab", "Bar", "Bel", "Cal", "Dor", "El", "Fen", "Gar", "Hal", "Ing", "Jor", "Kel", "Lan", "Mar", "Nor",
          "Ol", "Pem", "Quin", "Ros", "Sal", "Tal", "Ul", "Van", "Wes", "Yor", "Zel", "Ash", "Brad", "Crom", "Dun"]
_MIDS = ["", "a", "e", "i", "o", "er", "in", "an", "en", "is"]
_TAILS = ["ton", "ford", "well", "by", "son", "ley", "man", "wood", "field"]
SYNTHETIC_LAST = sorted({f"{h}{m}{t}" for h in _HEADS for m in _MIDS for t in _TAILS})


def _refuse_if_unready() -> tuple[list[Location], list[PayerPlan]]:
    if AuditEvent.objects.filter(action=SEEDED_ACTION).exists():
        raise SeedRefused("This database has been bulk-seeded already (one bulk seed per database: a second one "
                          "would double the data behind the benchmark figures). Seed a fresh demo database.")
    locations = list(Location.objects.filter(is_active=True).order_by("pk"))
    plans = list(PayerPlan.objects.filter(is_active=True).select_related("payer").order_by("pk"))
    if not locations or not plans:
        raise SeedRefused("The demo practice's locations and payer plans are missing: run `openpractice demo` "
                          "on this database first.")
    return locations, plans


@large_seeder(30)
def seed_patients(context: dict[str, Any]) -> None:
    locations, plans = _refuse_if_unready()
    count: int = context["patients"]
    rng = random.Random(context["seed"] * 1_000 + 30)
    today = timezone.localdate()
    top = Patient.objects.aggregate(top=Max("account_number"))["top"]
    first_number = int(top[1:]) + 1 if top else 1001
    if first_number + count > 10**7:
        raise SeedRefused("Account numbers would run past P9999999.")
    surnames = LAST * 20 + SYNTHETIC_LAST  # the common names stay common (about 0.5 % each)
    patients_total = coverages_total = 0
    number = first_number
    remaining = count
    while remaining:
        size = min(SEED_BATCH, remaining)
        batch: list[Patient] = []
        for _ in range(size):
            sex = rng.choice("FFFFMMMMU")
            first = rng.choice(FIRST_F if sex == "F" else FIRST_M if sex == "M" else FIRST_F + FIRST_M)
            city, zip_code = rng.choice(CITIES)
            patient = Patient(
                account_number=f"P{number:07d}", first_name=first, last_name=rng.choice(surnames),
                middle_name=rng.choice(("", "", "A", "J", "Marie", "Lee")),
                date_of_birth=today - dt.timedelta(days=rng.randint(365, 95 * 365)), sex=sex,
                address_line1=f"{rng.randint(10, 9999)} {rng.choice(STREETS)} Street", city=city, state="NC",
                postal_code=zip_code,
                phone_mobile=f"{rng.choice(AREA_CODES)}-{rng.randint(200, 999)}-{rng.randint(0, 9999):04d}",
                phone_home=(f"{rng.choice(AREA_CODES)}-{rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"
                            if rng.random() < 0.25 else ""),
                email=f"{first.lower()}.{number}@example.com" if rng.random() < 0.7 else "",
                home_location=locations[rng.randrange(len(locations))],
                preferred_language=rng.choice(("English",) * 8 + ("Spanish", "Vietnamese")),
            )
            patient.refresh_search_keys()  # bulk_create skips save()
            batch.append(patient)
            number += 1
        # PostgreSQL and SQLite (3.35+) both return the new ids, which the coverages need.
        Patient.objects.bulk_create(batch, batch_size=SEED_BATCH)
        coverages = _coverages(rng, batch, plans, today)
        Coverage.objects.bulk_create(coverages, batch_size=SEED_BATCH)
        patients_total += len(batch)
        coverages_total += len(coverages)
        remaining -= size
    record(actor=None, action=SEEDED_ACTION, object_type="patients.patient",
           changed_fields=["patients", "coverages"],
           reason=f"seed --size {context['size']}: {patients_total} patients (P{first_number:07d}–"
                  f"P{number - 1:07d}), {coverages_total} coverages")
    context["report"].append(f"{patients_total:,} patients, {coverages_total:,} coverages")


def _coverages(rng: random.Random, patients: list[Patient], plans: list[PayerPlan],
               today: dt.date) -> list[Coverage]:
    rows: list[Coverage] = []
    for patient in patients:
        if rng.random() >= COVERED_SHARE:
            continue  # self-pay
        ranks = 2 if rng.random() < SECONDARY_SHARE else 1
        for rank in range(1, ranks + 1):
            plan = rng.choice(plans)
            child = patient.age_on(today) < 18 and rank == 1
            coverage = Coverage(
                patient_id=patient.pk, rank=rank, payer_id=plan.payer_id, plan=plan,
                member_id=f"{plan.payer.payer_id[:3]}{rng.randint(10**8, 10**9 - 1)}",
                group_number=f"G{rng.randint(1000, 99999)}" if rng.random() < 0.7 else "",
                subscriber_relationship="child" if child else "self",
                effective_from=today.replace(month=1, day=1) - dt.timedelta(days=365 * rng.randint(0, 6)),
                copay=rng.choice(COPAYS),
            )
            if child:
                coverage.subscriber_first_name = rng.choice(FIRST_F + FIRST_M)
                coverage.subscriber_last_name = patient.last_name
                coverage.subscriber_date_of_birth = patient.date_of_birth - dt.timedelta(days=rng.randint(20, 40) * 365)
                coverage.subscriber_sex = rng.choice("FM")
            rows.append(coverage)
    return rows
