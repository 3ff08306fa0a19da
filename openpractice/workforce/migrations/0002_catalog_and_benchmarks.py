"""Seed the credential catalog (DOMAIN.md's certifications with their issuing bodies, and the clinical licences)
and the Payscale June 2022 pay benchmarks. Both are data the practice edits afterwards; this only gives a new
practice a start."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import migrations

CREDENTIALS = [
    # code, name, issuer, kind, renewal months, needed to see patients
    ("CEHRS", "Certified Electronic Health Records Specialist", "National Healthcareer Association",
     "certification", 24, False),
    ("CMM", "Certified Medical Manager", "Professional Association of Health Care Office Management",
     "certification", 12, False),
    ("CMPE", "Certified Medical Practice Executive", "American College of Medical Practice Executives (MGMA)",
     "certification", 36, False),
    ("CPPM", "Certified Physician Practice Manager", "AAPC", "certification", 24, False),
    ("CAP", "Certified Administrative Professional", "International Association of Administrative Professionals",
     "certification", 60, False),
    ("MOS", "Microsoft Office Specialist / Microsoft 365 Certified", "Microsoft", "certification", None, False),
    ("PACE", "Professional Administrative Certification of Excellence",
     "American Society of Administrative Professionals", "certification", None, False),
    ("MD-DO", "Physician licence (MD/DO)", "State medical board", "licence", 24, True),
    ("RN", "Registered nurse licence", "State board of nursing", "licence", 24, True),
    ("LPN", "Licensed practical nurse licence", "State board of nursing", "licence", 24, True),
    ("DEA", "DEA controlled substance registration", "U.S. Drug Enforcement Administration", "licence", 36, False),
    ("BLS", "Basic Life Support (CPR)", "American Heart Association or American Red Cross", "certification", 24,
     False),
]

BENCHMARKS = [
    # title, role, p10, median, p90 (annual, USD)
    ("Medical practice manager", "practice_manager", "47000", "63100", "88000"),
    ("Office manager", "office_manager", "28200", "38800", "55000"),
]


def seed(apps: Any, schema_editor: Any) -> None:
    credential_type = apps.get_model("workforce", "CredentialType")
    for code, name, issuer, kind, months, clinical in CREDENTIALS:
        credential_type.objects.get_or_create(code=code, defaults={
            "name": name, "issuer": issuer, "kind": kind, "renewal_months": months,
            "required_to_see_patients": clinical})
    benchmark = apps.get_model("workforce", "PayBenchmark")
    for title, role, low, median, high in BENCHMARKS:
        benchmark.objects.get_or_create(title=title, source="Payscale", as_of=dt.date(2022, 6, 1), defaults={
            "role": role, "percentile_10": Decimal(low), "median": Decimal(median), "percentile_90": Decimal(high),
            "note": "National figures, annual pay."})


class Migration(migrations.Migration):
    dependencies = [("workforce", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
