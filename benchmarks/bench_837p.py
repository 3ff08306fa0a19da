"""837P writer at 10,000 claims (target: under 2 s, excluding validation, with memory that does not grow with the
batch).

Usage: python benchmarks/bench_837p.py --database sqlite|postgresql [--claims 10000] [--runs 3] [--json]

A database of its own (a temporary SQLite file, or the PostgreSQL database op_bench_837p), migrated, then bulk-
loaded: a practice with two locations, 20 providers, 6 payers and `--claims` ready claims, one per patient, with
1-3 lines each. One claim in ten goes to a secondary payer after the primary paid (the primary payer's claim for
the same charge is there, paid, so it carries the 2320/2330 COB loops with two adjustments), one patient in five
is a dependent (2000C patient loop), and every fourth claim has a service facility other than the billing
address. The ready claims are the ones written.

Measured:
- writing the 837P for every claim (`claims_for_837p` + `write_837p` into a file, exactly as a batch is built,
  without the claim locking and bookkeeping): median of `--runs` runs;
- one `batch_build` end to end (lock, assign, write, hash, audit) on the same claims;
- tracemalloc's peak while writing the first 1,000 claims and while writing all of them: the ratio shows whether
  memory grows with the batch;
- the reference, in the same run: pyx12 (`validate_x12`, the library the issue names) validating the same file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from audit_common import bench_database, npi, server_version

TARGET_SECONDS = 2.0
DB_NAME = "op_bench_837p"
SMALL = 1000




def load(claims: int) -> dict[str, Any]:
    """Bulk-create the practice and `claims` ready claims; returns what was made and how long it took."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from openpractice.accounts.models import RoleAssignment
    from openpractice.accounts.roles import Role, Tier
    from openpractice.billing.models import BillingSettings, Charge, Claim, ClaimAdjustment, ClaimLine
    from openpractice.core.models import Location, Practice
    from openpractice.patients.models import Coverage, Patient, Payer
    from openpractice.scheduling.models import Provider

    started = time.perf_counter()
    with transaction.atomic():
        user = get_user_model().objects.create(username="bench-biller", email="bench@example.test", is_active=True)
        RoleAssignment.objects.create(user=user, role=Role.BILLER, tier=Tier.STANDARD, all_locations=True)
        practice = Practice.objects.create(
            name="Benchmark Family Medicine", legal_name="Benchmark Family Medicine, PLLC", ein="56-1234567",
            group_npi=npi(0), kind="medical_group", address_line1="100 Main Street", city="Raleigh", state="NC",
            postal_code="27601-1234", phone="919-555-0100")
        main = Location.objects.create(practice=practice, name="Main", code="main", address_line1="100 Main Street",
                                       city="Raleigh", state="NC", postal_code="27601-1234", phone="919-555-0101")
        annex = Location.objects.create(practice=practice, name="Annex", code="annex", npi=npi(1),
                                        address_line1="200 Oak Avenue", city="Cary", state="NC",
                                        postal_code="27511-2222", phone="919-555-0102")
        providers = Provider.objects.bulk_create(
            Provider(first_name=f"Provider{n}", last_name=f"Doctor{n}", credential="MD", kind="physician",
                     npi=npi(10 + n), taxonomy_code="207Q00000X") for n in range(20))
        payers = Payer.objects.bulk_create(
            Payer(name=f"Benchmark Payer {n}", payer_id=f"BP{n:04d}", claim_filing_indicator="CI",
                  address_line1="PO Box 1000", city="Atlanta", state="GA", postal_code="30301") for n in range(6))
        BillingSettings.objects.create(submitter_name="Benchmark Family Medicine", submitter_id="BENCH01",
                                       contact_name="Billing Office", contact_phone="9195550100",
                                       receiver_name="Benchmark Clearinghouse", receiver_id="CLEAR01")
        patients = Patient.objects.bulk_create(
            Patient(account_number=f"B{n:09d}", first_name=f"First{n % 997}", middle_name="Q" if n % 3 else "",
                    last_name=f"Last{n % 1009}", date_of_birth=dt.date(1950 + n % 60, 1 + n % 12, 1 + n % 28),
                    sex="FMU"[n % 3], address_line1=f"{n} Elm Street", city="Raleigh", state="NC",
                    postal_code="27601", home_location=main if n % 4 else annex)
            for n in range(claims))
        primaries: list[Coverage] = []
        secondaries: dict[int, Coverage] = {}
        for n, patient in enumerate(patients):
            dependent = n % 5 == 1
            primaries.append(Coverage(
                patient=patient, rank=1, payer=payers[n % 6], member_id=f"M{n:09d}", group_number=f"G{n % 50}",
                subscriber_relationship="child" if dependent else "self", effective_from=dt.date(2024, 1, 1),
                subscriber_first_name="Parent" if dependent else "", subscriber_last_name=f"Last{n % 1009}"
                if dependent else "", subscriber_date_of_birth=dt.date(1970, 5, 5) if dependent else None,
                subscriber_sex="F" if dependent else ""))
            if n % 10 == 3:
                secondaries[n] = Coverage(patient=patient, rank=2, payer=payers[(n + 1) % 6], member_id=f"S{n:09d}",
                                          effective_from=dt.date(2024, 1, 1))
        Coverage.objects.bulk_create(primaries)
        Coverage.objects.bulk_create(secondaries.values())
        dos = dt.date(2026, 11, 2)
        charges = Charge.objects.bulk_create(
            Charge(patient=patient, location=patient.home_location, place_of_service="11",
                   rendering_provider=providers[n % 20], date_of_service=dos, status="billed", created_by=user)
            for n, patient in enumerate(patients))
        rows = []
        for n, (patient, charge) in enumerate(zip(patients, charges, strict=True)):
            coverage = secondaries.get(n) or primaries[n]
            lines = 1 + n % 3
            rows.append(Claim(
                claim_number=f"OP{n + 1:07d}", charge=charge, patient=patient, location=charge.location,
                coverage=coverage, payer=coverage.payer, payer_rank=coverage.rank, status="ready",
                date_of_service=dos, place_of_service="11", rendering_provider=charge.rendering_provider,
                prior_authorization=f"PA{n}" if n % 7 == 0 else "", diagnosis_codes=["E119", "I10", "Z794"][:1 + n % 3],
                total_charge=Decimal("125.00") * lines, created_by=user,
                prior_payer_paid=Decimal("80.00") if n in secondaries else None,
                prior_payer_paid_on=dt.date(2026, 11, 20) if n in secondaries else None))
        made = Claim.objects.bulk_create(rows)
        # The primary payer's claims (paid) of the charges billed to a secondary payer: the 2320/2330 loops name
        # the payer and coverage those claims billed.
        Claim.objects.bulk_create(
            Claim(claim_number=f"OP{claims + n + 1:07d}", charge=charges[n], patient=patients[n],
                  location=charges[n].location, coverage=primaries[n], payer=primaries[n].payer, payer_rank=1,
                  status="paid", date_of_service=dos, place_of_service="11",
                  rendering_provider=charges[n].rendering_provider, diagnosis_codes=["E119"],
                  total_charge=Decimal("125.00") * (1 + n % 3), created_by=user)
            for n in secondaries)
        ClaimLine.objects.bulk_create(
            ClaimLine(claim=claim, line_number=line, procedure_code=("99213", "36415", "85025")[line - 1],
                      modifiers=["25"] if line == 1 and claim.pk % 2 else [], units=Decimal(1), service_date_from=dos,
                      service_date_to=dos, pointers=[1], amount=Decimal("125.00"))
            for claim in made for line in range(1, 1 + int(claim.total_charge / Decimal(125))))
        ClaimAdjustment.objects.bulk_create(
            adjustment for claim in made if claim.payer_rank == 2 for adjustment in (
                ClaimAdjustment(claim=claim, group_code="CO", reason_code="45",
                                amount=claim.total_charge - Decimal("90.00")),
                ClaimAdjustment(claim=claim, group_code="PR", reason_code="1", amount=Decimal("10.00"))))
    return {"claims": claims, "secondary_claims": len(secondaries), "load_seconds": round(time.perf_counter() - started, 1),
            "actor": user}


def _write(path: Path, queryset: Any) -> Any:
    from openpractice.billing.models import BillingSettings
    from openpractice.billing.x12.envelope import Envelope
    from openpractice.billing.x12.writer_837p import claims_for_837p, write_837p
    from openpractice.core.models import Practice

    billing = BillingSettings.objects.get()
    envelope = Envelope(sender_id=billing.submitter_id, receiver_id=billing.receiver_id, interchange_number=1,
                        group_number=1, usage_indicator="T", created=dt.datetime(2026, 11, 27, 9, 0))
    with open(path, "w", encoding="ascii", newline="\n", buffering=1 << 16) as out:
        return write_837p(out, claims_for_837p(queryset), envelope=envelope, billing_settings=billing,
                          practice=Practice.objects.get())


def _peak(path: Path, queryset: Any) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        _write(path, queryset)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure(*, runs: int, loaded: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from openpractice.billing.models import Claim
    from openpractice.billing.services.batches import batch_build
    from openpractice.billing.x12.validate import validate_x12

    workdir = Path(tempfile.mkdtemp(prefix="bench-837p-"))
    everything = Claim.objects.filter(status="ready")
    first = everything.order_by("pk").values_list("pk", flat=True)[SMALL - 1]
    small = everything.filter(pk__lte=first)
    target = workdir / "all.x12"
    _write(target, everything)  # warm: imports, templates of the query compiler, the database's pages
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        summary = _write(target, everything)
        times.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as captured:
        _write(target, everything)
    size = target.stat().st_size
    peak_small = _peak(workdir / "small.x12", small)
    peak_all = _peak(target, everything)
    started = time.perf_counter()
    validation = validate_x12(target)
    validate_seconds = time.perf_counter() - started
    started = time.perf_counter()
    batch = batch_build(actor=loaded["actor"])
    build_seconds = time.perf_counter() - started
    for path in workdir.iterdir():
        path.unlink()
    workdir.rmdir()
    write_seconds = statistics.median(times)
    return {
        "claims": summary.claim_count, "segments": summary.segment_count, "transaction_sets": summary.transaction_sets,
        "file_bytes": size, "write_runs": [round(t, 3) for t in times], "write_seconds": round(write_seconds, 3),
        "claims_per_second": int(summary.claim_count / write_seconds), "queries": len(captured.captured_queries),
        "peak_small_kib": round(peak_small / 1024), "peak_all_kib": round(peak_all / 1024),
        "peak_ratio": round(peak_all / max(peak_small, 1), 2), "small_claims": SMALL,
        "validate_seconds": round(validate_seconds, 1), "valid": validation.ok,
        "validation_errors": validation.errors[:3],
        "ratio_to_reference": round(validate_seconds / write_seconds, 1),
        "build_seconds": round(build_seconds, 2), "built_claims": batch.claim_count if batch else 0,
        "meets_target": write_seconds < TARGET_SECONDS and validation.ok and peak_all < 2 * peak_small,
    }


def run(database: str, claims: int, runs: int) -> dict[str, Any]:
    with bench_database(database, DB_NAME):
        from django.db import connection

        loaded = load(claims)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        result = measure(runs=runs, loaded=loaded)
        result.update(database=database, server_version=server_version(), secondary_claims=loaded["secondary_claims"],
                      load_seconds=loaded["load_seconds"])
        return result




def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, choices=["sqlite", "postgresql"])
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)  # run_all passes it to every benchmark
    args = parser.parse_args(argv)
    if args.claims < SMALL:
        parser.error(f"--claims must be at least {SMALL} (the small batch of the memory comparison)")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    result = run(args.database, args.claims, args.runs)
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))
    return 0  # a missed target is a figure to report (meets_target), not a crash of the run


if __name__ == "__main__":
    sys.exit(main())
