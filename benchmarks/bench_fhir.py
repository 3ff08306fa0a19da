"""The FHIR facade on the large seed: searches and reads against the REST API's equivalents, and `$export`.

Usage: python benchmarks/bench_fhir.py --database sqlite|postgresql [--size large] [--runs 15] [--reuse] [--json]

It uses the database bench_dashboards.py seeds (`openpractice demo` + `openpractice seed --size <size>`: 100,000
patients, 1,000,000 appointments and about a million charge lines at large); `--reuse` measures on one seeded
before. Each call goes through Django's test client (the whole middleware stack) with a personal API token of the
demo's senior practice manager, who sees every location.

Measured, in rounds that alternate FHIR and REST:
- pairs of the same question asked of both interfaces (median, p95, query count): a patient search by name
  (50 per page), one patient, a location's appointments on a busy day (100 per page), a patient's claims;
- `$export` of every patient and coverage (the background job run in this process): seconds, resources per
  second, and the largest NDJSON file.
The ratio is FHIR's median over REST's. Our target: FHIR within 1.5× of REST for the same question (both build
the same rows; FHIR's resources are larger), and every search under 300 ms on PostgreSQL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from audit_common import median_ms, p95_ms, server_version  # noqa: E402
from bench_dashboards import SIZES, _queries, _timed, counts, prepare  # noqa: E402

TARGET_MS = 300.0
TARGET_RATIO = 1.5
USER = "pm_senior"


def _token_client() -> Any:
    from django.test import Client

    from openpractice.accounts.models import User
    from openpractice.accounts.services.tokens import token_create

    user = User.objects.get(username=USER)
    _token, secret = token_create(actor=user, user=user, name="bench_fhir")
    client = Client()
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return client


def _busiest_day() -> tuple[int, dt.datetime, dt.datetime]:
    """The location and practice-day with the most appointments in the last year (a realistic heavy page)."""
    from django.db.models import Count
    from django.db.models.functions import TruncDate
    from django.utils import timezone

    from openpractice.scheduling.models import Appointment

    since = timezone.now() - dt.timedelta(days=365)
    row = (Appointment.objects.filter(starts_at__gte=since).annotate(day=TruncDate("starts_at"))
           .values("location_id", "day").annotate(n=Count("pk")).order_by("-n").first())
    assert row is not None, "the seed has no appointments in the last year"
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(row["day"], dt.time(), zone)
    return row["location_id"], start, start + dt.timedelta(days=1)


def _questions() -> list[tuple[str, str, str]]:
    """(label, FHIR path, REST path) of each question."""
    from django.db.models import Count

    from openpractice.billing.models import Claim
    from openpractice.patients.models import Patient

    patient = Patient.objects.filter(is_active=True).order_by("pk")[1000]  # any patient, the same every run
    claimed = (Claim.objects.values("patient_id").annotate(n=Count("pk")).order_by("-n").first() or {})
    claim_patient = Patient.objects.get(pk=claimed["patient_id"])
    location_id, start, end = _busiest_day()
    prefix = patient.last_name[:3]
    return [
        ("patient search by name (50)", f"/fhir/r4/Patient?name={prefix}&_count=50",
         f"/api/v1/patients?q={prefix}&limit=50"),
        ("one patient", f"/fhir/r4/Patient/{patient.pk}", f"/api/v1/patients/{patient.pk}"),
        ("a location's busiest day of appointments (100)",
         f"/fhir/r4/Appointment?location={location_id}&date=ge{start.isoformat()}&date=lt{end.isoformat()}"
         "&_count=100".replace("+", "%2B"),
         f"/api/v1/appointments?location={location_id}&starts_from={start.isoformat()}"
         f"&starts_before={end.isoformat()}&limit=100".replace("+", "%2B")),
        ("a patient's claims", f"/fhir/r4/Claim?patient={claim_patient.pk}&_count=50",
         f"/api/v1/claims?q={claim_patient.account_number}&limit=50"),
    ]


def measure(runs: int) -> dict[str, Any]:
    client = _token_client()
    rows: dict[str, Any] = {}
    calls: list[tuple[str, str, Callable[[], int]]] = []
    for label, fhir_path, rest_path in _questions():
        for kind, path in (("fhir", fhir_path), ("rest", rest_path)):
            def get(path: str = path) -> int:
                return client.get(path).status_code
            calls.append((label, kind, get))
            rows.setdefault(label, {})[kind] = {"path": path}
    for label, kind, call in calls:  # warm-up, and the status each answers
        for _ in range(2):
            rows[label][kind]["status"] = call()
    times: dict[tuple[str, str], list[float]] = {(label, kind): [] for label, kind, _call in calls}
    for _ in range(runs):
        for label, kind, call in calls:
            times[(label, kind)].append(_timed(call))
    for label, kind, call in calls:
        entry = rows[label][kind]
        entry["median_ms"] = round(median_ms(times[(label, kind)]), 1)
        entry["p95_ms"] = round(p95_ms(times[(label, kind)]), 1)
        entry["queries"], entry["slowest_queries"] = _queries(call)
    for pair in rows.values():
        pair["ratio"] = round(pair["fhir"]["median_ms"] / pair["rest"]["median_ms"], 2)
        pair["meets_target"] = (pair["fhir"]["status"] == 200 and pair["ratio"] <= TARGET_RATIO
                                and pair["fhir"]["median_ms"] < TARGET_MS)
    return rows


def measure_export() -> dict[str, Any]:
    """$export of every patient and coverage, the job run here (the worker runs the same function)."""
    from openpractice.accounts.models import User
    from openpractice.api.fhir.export import build_export
    from openpractice.integrations.models import BulkExport
    from openpractice.integrations.services_export import export_request

    user = User.objects.get(username=USER)
    export = export_request(actor=user, resource_types=["Patient", "Coverage"], since=None,
                            request_url="/fhir/r4/$export?_type=Patient,Coverage")
    started = time.perf_counter()
    build_export(export.pk)
    seconds = time.perf_counter() - started
    export = BulkExport.objects.get(pk=export.pk)
    files = {row.resource_type: row.count for row in export.files.all()}
    total = sum(files.values())
    largest = max((len(row.content) for row in export.files.all()), default=0)
    return {"status": export.status, "seconds": round(seconds, 1), "resources": files,
            "per_second": round(total / seconds) if seconds else None, "largest_file_mb": round(largest / 1e6, 1)}


def run(database: str, size: str, runs: int, reuse: bool) -> dict[str, Any]:
    made = prepare(database, size, reuse)
    from django.db import connection

    result = {"database": connection.vendor, "server_version": server_version(), "size": size, "runs": runs,
              **{key: value for key, value in made.items() if key != "seed_output"}, "counts": counts(),
              "questions": measure(runs), "export": measure_export()}
    result["meets_target"] = all(pair["meets_target"] for pair in result["questions"].values())
    return result


def render(results: list[dict[str, Any]]) -> list[str]:
    """The docs/benchmarks.md section (run_all.py calls it)."""
    lines = [
        "## Interoperability: the FHIR facade against the REST API",
        "",
        "The same questions asked of `/fhir/r4/` and `/api/v1/` on bench_dashboards' seeded database (`openpractice demo`",
        "+ `openpractice seed --size <size>`; the size and row counts are below), through Django's test client with a",
        f"personal API token of the senior practice manager. Target: FHIR within {TARGET_RATIO}× of REST and every search",
        f"under {TARGET_MS:.0f} ms (PostgreSQL). Medians of the rounds; query counts of one call.",
        "",
        "| database | question | FHIR median / p95 | REST median / p95 | queries (FHIR / REST) | ratio | target met |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        for label, pair in r["questions"].items():
            f, s = pair["fhir"], pair["rest"]
            lines.append(f"| {r['server_version']} | {label} | {f['median_ms']:.1f} / {f['p95_ms']:.1f} ms | "
                         f"{s['median_ms']:.1f} / {s['p95_ms']:.1f} ms | {f['queries']} / {s['queries']} | "
                         f"×{pair['ratio']:.2f} | {'yes' if pair['meets_target'] else '**NO**'} |")
    lines += ["", "`$export` (Patient and Coverage, every patient in scope, the background job timed in one process):", ""]
    for r in results:
        c = r["counts"]
        lines.insert(6, "")
        lines.insert(7, f"Seed `{r['size']}`: {c['patients']:,} patients, {c['appointments']:,} appointments, "
                        f"{c['claims']:,} claims ({r['server_version']}, {r['runs']} rounds).")
    for r in results:
        e = r["export"]
        kinds = ", ".join(f"{count:,} {kind}" for kind, count in e["resources"].items())
        lines.append(f"- {r['server_version']}: {e['status']} in {e['seconds']} s ({kinds}; {e['per_second']:,} "
                     f"resources/s; largest file {e['largest_file_mb']} MB).")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, choices=["sqlite", "postgresql"])
    parser.add_argument("--size", default="large", choices=SIZES)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)  # run_all passes it to every benchmark
    args = parser.parse_args(argv)
    result = run(args.database, args.size, args.runs, args.reuse)
    print(json.dumps(result) if args.json else "\n".join(render([result])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
