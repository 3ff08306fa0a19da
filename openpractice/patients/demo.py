"""Demo data: a dozen payers with plans and ~300 patients across the demo locations, most with coverage.
Deterministic (fixed seed), bulk inserts, and ONE audit event for the whole seeding."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from openpractice.audit.services import record
from openpractice.core.models import Location
from openpractice.core.seeding import seeder

from .models import Coverage, Patient, Payer, PayerPlan

# (name, payer id, filing indicator, timely filing days, claims address, city, state, ZIP, plans)
PAYERS: list[tuple[str, str, str, int, str, str, str, str, list[tuple[str, str]]]] = [
    ("Medicare Part B (Palmetto GBA)", "11502", "MB", 365, "PO Box 100190", "Columbia", "SC", "29202",
     [("Medicare Part B", "medicare")]),
    ("NC Medicaid", "NCMCD", "MC", 365, "PO Box 300011", "Raleigh", "NC", "27622", [("NC Medicaid Direct", "medicaid")]),
    ("Blue Cross NC", "10383", "BL", 180, "PO Box 35", "Durham", "NC", "27702",
     [("Blue Options PPO", "ppo"), ("Blue Local HMO", "hmo")]),
    ("Aetna", "60054", "CI", 120, "PO Box 981106", "El Paso", "TX", "79998", [("Aetna Choice POS II", "pos"),
                                                                               ("Aetna Open Access", "epo")]),
    ("Cigna", "62308", "CI", 90, "PO Box 188061", "Chattanooga", "TN", "37422", [("Cigna OAP", "ppo")]),
    ("UnitedHealthcare", "87726", "CI", 90, "PO Box 30555", "Salt Lake City", "UT", "84130",
     [("Choice Plus", "ppo"), ("Navigate HMO", "hmo")]),
    ("Humana Medicare Advantage", "61101", "16", 365, "PO Box 14601", "Lexington", "KY", "40512",
     [("Humana Gold Plus HMO", "medicare_advantage")]),
    ("Tricare East", "99726", "CH", 365, "PO Box 7981", "Madison", "WI", "53707", [("Tricare Prime", "tricare")]),
    ("WellCare of NC", "14163", "HM", 180, "PO Box 31224", "Tampa", "FL", "33631",
     [("WellCare Medicaid", "medicaid_managed")]),
    ("Ambetter of NC", "68069", "CI", 180, "PO Box 5010", "Farmington", "MO", "63640", [("Ambetter Essential", "epo")]),
    ("NC State Health Plan", "SHPNC", "BL", 180, "PO Box 30087", "Durham", "NC", "27702", [("80/20 Plan", "ppo")]),
    ("NC Industrial Commission (Workers' Comp)", "WCNC1", "WC", 730, "1236 Mail Service Center", "Raleigh", "NC",
     "27699", [("Workers' compensation", "workers_comp")]),
]  # fmt: skip

FIRST_F = ["Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Susan", "Jessica", "Sarah", "Karen", "Lisa",
           "Nancy", "Maria", "Ana", "Mei", "Aisha", "Grace", "Emily", "Olivia", "Sofia", "Chloe"]
FIRST_M = ["James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph", "Thomas", "Charles",
           "Daniel", "Luis", "Wei", "Omar", "Andre", "Ethan", "Noah", "Liam", "Mateo", "Kevin"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
        "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee",
        "Nguyen", "Chen", "Patel", "Okafor", "O'Brien", "Walker", "Hall", "Young", "King", "Wright"]
STREETS = ["Oak", "Maple", "Pine", "Cedar", "Elm", "Hillsborough", "Glenwood", "Falls of Neuse", "Six Forks", "Wade"]
CITIES = [("Raleigh", "27603"), ("Raleigh", "27609"), ("Cary", "27511"), ("Garner", "27529"), ("Apex", "27502")]
PATIENT_COUNT = 300


@seeder(30)
def seed_payers_and_patients(context: dict[str, Any]) -> None:
    rng = random.Random(20240603)
    payers: list[Payer] = []
    plans: list[PayerPlan] = []
    for name, payer_id, cfi, days, line1, city, state, zip_code, plan_rows in PAYERS:
        payer, _created = Payer.objects.get_or_create(name=name, defaults={
            "payer_id": payer_id, "claim_filing_indicator": cfi, "timely_filing_days": days, "address_line1": line1,
            "city": city, "state": state, "postal_code": zip_code, "phone": f"800-555-{rng.randint(1000, 9999)}"})
        payers.append(payer)
        for plan_name, plan_type in plan_rows:
            plan, _ = PayerPlan.objects.get_or_create(payer=payer, name=plan_name, defaults={"plan_type": plan_type})
            plans.append(plan)
    locations: list[Location] = list(context.get("locations", {}).values()) or list(Location.objects.all())
    if not locations or Patient.objects.exists():
        context.setdefault("report", []).append(f"{len(payers)} payers")
        return
    today = dt.date.today()
    patients: list[Patient] = []
    for index in range(PATIENT_COUNT):
        sex = rng.choice("FFFFMMMMU")
        first = rng.choice(FIRST_F if sex == "F" else FIRST_M if sex == "M" else FIRST_F + FIRST_M)
        city, zip_code = rng.choice(CITIES)
        born = today - dt.timedelta(days=rng.randint(1 * 365, 92 * 365))
        ssn = f"9{rng.randint(0, 99):02d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}" if rng.random() < 0.4 else ""
        patient = Patient(
            account_number=f"P{1001 + index:07d}", first_name=first, last_name=rng.choice(LAST),
            middle_name=rng.choice(["", "", "A", "J", "Marie", "Lee"]), date_of_birth=born, sex=sex,
            address_line1=f"{rng.randint(10, 9999)} {rng.choice(STREETS)} Street", city=city, state="NC",
            postal_code=zip_code, phone_mobile=f"919-555-{rng.randint(0, 9999):04d}",
            email=f"{first.lower()}.{index}@example.com" if rng.random() < 0.7 else "",
            home_location=locations[index % len(locations)],
            preferred_language=rng.choice(["English"] * 8 + ["Spanish", "Vietnamese"]), ssn=ssn,
            emergency_contact_name=rng.choice(["", f"{rng.choice(FIRST_F + FIRST_M)} {rng.choice(LAST)}"]),
        )
        patient.refresh_search_keys()  # bulk_create skips save()
        if patient.emergency_contact_name:
            patient.emergency_contact_phone = f"919-555-{rng.randint(0, 9999):04d}"
            patient.emergency_contact_relationship = rng.choice(["Spouse", "Parent", "Sibling", "Friend"])
        patients.append(patient)
    Patient.objects.bulk_create(patients, batch_size=500)
    coverages: list[Coverage] = []
    for patient in patients:
        if rng.random() < 0.1:
            continue  # self-pay
        ranks = 2 if rng.random() < 0.2 else 1
        for rank in range(1, ranks + 1):
            plan = rng.choice(plans)
            relationship = "self" if patient.age_on(today) >= 18 or rank > 1 else "child"
            coverage = Coverage(
                patient=patient, rank=rank, payer_id=plan.payer_id, plan=plan,
                member_id=f"{plan.payer.payer_id[:3]}{rng.randint(10**8, 10**9 - 1)}",
                group_number=f"G{rng.randint(1000, 99999)}" if rng.random() < 0.7 else "",
                subscriber_relationship=relationship,
                effective_from=today.replace(month=1, day=1) - dt.timedelta(days=365 * rng.randint(0, 4)),
                copay=Decimal(rng.choice(["0.00", "20.00", "25.00", "30.00", "40.00", "50.00"])),
            )
            if relationship == "child":
                coverage.subscriber_first_name = rng.choice(FIRST_F + FIRST_M)
                coverage.subscriber_last_name = patient.last_name
                coverage.subscriber_date_of_birth = patient.date_of_birth - dt.timedelta(days=rng.randint(20, 40) * 365)
                coverage.subscriber_sex = rng.choice("FM")
            coverages.append(coverage)
    Coverage.objects.bulk_create(coverages, batch_size=500)
    record(actor=context.get("actor"), action="patients.demo_seeded", object_type="patients.patient",
           changed_fields=["payers", "patients", "coverages"],
           reason=f"{len(payers)} payers, {len(patients)} patients, {len(coverages)} coverages")
    context.setdefault("report", []).append(f"{len(payers)} payers, {len(patients)} patients with coverage")
