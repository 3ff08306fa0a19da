"""Role dashboards on the large seed (target: each under 300 ms server time on PostgreSQL, query counts bounded).

Usage: python benchmarks/bench_dashboards.py --database sqlite|postgresql [--size large] [--runs 15] [--reuse]
       [--json]

A database of its own (PostgreSQL: op_bench_dash; SQLite: var/bench/op_bench_dash-<size>.sqlite3), migrated, the
demo practice (`openpractice demo`) and `openpractice seed --size <size>` (100,000 patients, 1,000,000
appointments and about a million charge lines over five years at large; timed, then VACUUM ANALYZE). The database
is kept afterwards: seeding takes minutes, so `--reuse` measures again on a database this script seeded before
at the same size (without it, the database is made again).

Measured, each page through Django's test client (the whole middleware stack, the view, the template; signed in
as the demo user of the role, MFA done), after a warm-up, in rounds that alternate the pages and the references:
- each role dashboard (PAGES): *cold*, Django's cache emptied before each request (the dashboards keep period
  KPIs in the cache for minutes: the first view after that is the worst case), and *warm* (cache kept);
- query count per page (CaptureQueriesContext) and its slowest queries;
- references in the same rounds: billing's A/R aging page and its KPI page as the biller, and a hand-written SQL
  aggregate over the same charges (bench_ar.reference_sql: the aging and the five receivables KPIs through a
  cursor). Ratios are each dashboard's cold median over these.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from audit_common import PG_SERVER, ROOT, _pg_admin, median_ms, p95_ms, server_version  # noqa: E402

TARGET_MS = 300.0
DB_NAME = "op_bench_dash"
# (label, demo username, URL name) of each page measured. The role dashboards of issue 11.
PAGES: tuple[tuple[str, str, str], ...] = (
    ("practice manager (senior)", "pm_senior", "reporting:dashboard_practice"),
    ("office manager (experienced)", "om_experienced", "reporting:dashboard_office"),
    ("billing", "biller", "reporting:dashboard_billing"),
    ("HR", "hr", "reporting:dashboard_hr"),
    ("privacy officer", "privacy", "reporting:dashboard_privacy"),
)
# Reference pages measured in the same rounds: (label, username, URL name).
REFERENCE_PAGES: tuple[tuple[str, str, str], ...] = (
    ("A/R aging page (billing)", "biller", "billing:receivables"),
    ("receivables KPIs page (billing)", "biller", "billing:receivables_kpis"),
)
SIZES = ("small", "medium", "large")
SLOWEST = 3  # slowest queries kept per page


def _workdir(database: str, size: str) -> Path:
    return ROOT / "var" / "bench" / (f"{DB_NAME}-{size}" if database == "sqlite" else DB_NAME)


def _configure(database: str, size: str) -> Path:
    """Point this process's Django at the benchmark database (not created here)."""
    workdir = _workdir(database, size)
    (workdir / "staticfiles").mkdir(parents=True, exist_ok=True)  # the static files middleware wants it
    os.environ["OPENPRACTICE_DATA_DIR"] = str(workdir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    os.environ["OPENPRACTICE_DEMO"] = "1"  # `openpractice demo` and `seed` work in demo mode only
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if database == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    else:
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{DB_NAME}"
    sys.path.insert(0, str(ROOT))
    return workdir


def _pg_exists() -> bool:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
        return connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone() is not None


def _seeded_size() -> str | None:
    """The size of the bulk seed this database holds, from the seeders' audit events (None: not seeded, or the
    billing seed is missing)."""
    from openpractice.audit.models import AuditEvent

    reasons = dict(AuditEvent.objects.filter(action__in=["patients.bulk_seeded", "billing.bulk_seeded"])
                   .values_list("action", "reason"))
    if "billing.bulk_seeded" not in reasons:
        return None
    return next((size for size in SIZES if reasons.get("patients.bulk_seeded", "").startswith(f"seed --size {size}:")),
                None)


def prepare(database: str, size: str, reuse: bool) -> dict[str, Any]:
    """The seeded database, made now or (with `reuse`) found from an earlier run. Returns how it was made."""
    workdir = _workdir(database, size)
    exists = (workdir / "bench.sqlite3").exists() if database == "sqlite" else _pg_exists()
    if exists and not reuse:
        if database == "sqlite":
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            _pg_admin(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        exists = False
    _configure(database, size)
    if database == "postgresql" and not exists:
        _pg_admin(f'CREATE DATABASE "{DB_NAME}"')

    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    if exists:
        found = _seeded_size()
        if found != size:
            raise SystemExit(f"--reuse: the database {DB_NAME} holds {f'the {found} seed' if found else 'no billing seed'}"
                             f", not {size}; run without --reuse to seed it again.")
        return {"reused": True}
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("demo", verbosity=0, stdout=_Capture())  # its table of logins is not the benchmark's output
    made = time.perf_counter()
    out = _Capture()
    call_command("seed", size=size, verbosity=2, stdout=out)
    seeded = time.perf_counter()
    if connection.vendor == "postgresql":  # SQLite: the seed's ANALYZE is all it needs
        with connection.cursor() as cursor:
            # What a live database has after autovacuum: statistics and visibility maps (index-only scans).
            cursor.execute("VACUUM ANALYZE")
    return {"reused": False, "demo_seconds": round(made - started, 1), "seed_seconds": round(seeded - made, 1),
            "vacuum_seconds": round(time.perf_counter() - seeded, 1), "seed_output": out.lines}


class _Capture:
    """A stdout for call_command that keeps the lines (the seed prints each seeder's time at verbosity 2)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def write(self, text: str, *args: Any, **kwargs: Any) -> None:
        self.lines += [line for line in text.splitlines() if line.strip()]

    def flush(self) -> None:
        pass


def counts() -> dict[str, int]:
    from openpractice.billing.models import AccountBalance, Charge, ChargeLine, Claim, Denial, LedgerEntry
    from openpractice.patients.models import Patient
    from openpractice.scheduling.models import Appointment

    return {"patients": Patient.objects.count(), "appointments": Appointment.objects.count(),
            "charges": Charge.objects.count(), "charge_lines": ChargeLine.objects.count(),
            "claims": Claim.objects.count(), "ledger_entries": LedgerEntry.objects.count(),
            "account_balances": AccountBalance.objects.count(), "denials": Denial.objects.count()}


def _client(username: str) -> Any:
    from django.test import Client

    from openpractice.accounts.models import User
    from openpractice.accounts.tests.factories import sign_in

    return sign_in(Client(), User.objects.get(username=username))


def _page(username: str, url_name: str) -> tuple[Callable[[], int], str] | None:
    """A call that GETs the page as the user and returns the status code; None when the URL does not exist (yet)."""
    from django.urls import NoReverseMatch, reverse

    try:
        url = reverse(url_name)
    except NoReverseMatch:
        return None
    client = _client(username)

    def get() -> int:
        return client.get(url).status_code

    return get, url


def _timed(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _queries(call: Callable[[], Any]) -> tuple[int, list[dict[str, Any]]]:
    """How many statements one call sends, and the slowest of them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    slowest = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:SLOWEST]
    return len(captured.captured_queries), [
        {"ms": round(float(q["time"]) * 1000, 1), "sql": q["sql"][:400]} for q in slowest]


def _reference_sql() -> Callable[[], Any]:
    """bench_ar's hand-written SQL for the aging and the five receivables KPIs (last 90 days), through a cursor."""
    from bench_ar import _run_reference, reference_sql
    from django.db import connection

    from openpractice.billing.selectors import receivables
    from openpractice.core.selectors import practice_today

    today = practice_today()
    start = today - dt.timedelta(days=89)
    statements = reference_sql(connection.vendor, as_of=today, start=start, end=today,
                               since=receivables._day_start(start),
                               until=receivables._day_start(today + dt.timedelta(days=1)))
    return lambda: _run_reference(statements)


def measure(runs: int) -> dict[str, Any]:
    from django.core.cache import cache

    pages: dict[str, dict[str, Any]] = {}
    calls: dict[str, Callable[[], int]] = {}
    for label, username, url_name in (*PAGES, *REFERENCE_PAGES):
        found = _page(username, url_name)
        if found is None:
            pages[label] = {"url_name": url_name, "user": username, "missing": True}
            continue
        calls[label], url = found
        pages[label] = {"url_name": url_name, "url": url, "user": username, "missing": False}
    calls["hand-written SQL (aging + KPIs)"] = _reference_sql()
    pages["hand-written SQL (aging + KPIs)"] = {"url_name": "", "user": "", "missing": False}

    def cold(call: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            cache.clear()
            return call()
        return run

    for label, call in calls.items():  # warm-up: templates, plans, the database's pages
        for _ in range(2):
            status = cold(call)()
        if label in {page[0] for page in (*PAGES, *REFERENCE_PAGES)}:
            pages[label]["status"] = status
    cold_times: dict[str, list[float]] = {label: [] for label in calls}
    warm_times: dict[str, list[float]] = {label: [] for label in calls}
    for _ in range(runs):
        for label, call in calls.items():
            cache.clear()
            cold_times[label].append(_timed(call))
            warm_times[label].append(_timed(call))  # the same page again: what the first request cached
    for label, call in calls.items():
        entry = pages[label]
        entry["cold_median_ms"] = round(median_ms(cold_times[label]), 1)
        entry["cold_p95_ms"] = round(p95_ms(cold_times[label]), 1)
        entry["warm_median_ms"] = round(median_ms(warm_times[label]), 1)
        cache.clear()
        entry["queries_cold"], entry["slowest_queries"] = _queries(call)
        entry["queries_warm"], _slowest = _queries(call)
    reference_labels = [label for label, *_rest in REFERENCE_PAGES] + ["hand-written SQL (aging + KPIs)"]
    for label, _username, _url_name in PAGES:
        entry = pages[label]
        if entry["missing"]:
            continue
        entry["ratios"] = {ref: round(entry["cold_median_ms"] / pages[ref]["cold_median_ms"], 2)
                           for ref in reference_labels
                           if not pages[ref]["missing"] and pages[ref].get("cold_median_ms")}
        entry["meets_target"] = (entry.get("status") == 200 and entry["cold_median_ms"] < TARGET_MS
                                 and entry["warm_median_ms"] < TARGET_MS)
    return pages


def run(database: str, size: str, runs: int, reuse: bool) -> dict[str, Any]:
    made = prepare(database, size, reuse)
    from django.db import connection

    result = {"database": connection.vendor, "server_version": server_version(), "size": size, "runs": runs,
              "database_name": DB_NAME if connection.vendor == "postgresql" else str(connection.settings_dict["NAME"]),
              **made, "counts": counts(), "pages": measure(runs)}
    dashboards = [result["pages"][label] for label, *_rest in PAGES]
    result["meets_target"] = all(page.get("meets_target") for page in dashboards)
    return result


def render(results: list[dict[str, Any]]) -> list[str]:
    """The docs/benchmarks.md section (run_all.py calls it)."""
    lines = [
        "## Management reporting: role dashboards on the large seed",
        "",
        "Target: each role dashboard under 300 ms server time on PostgreSQL (SQLite: figures reported), query counts",
        "bounded, with the large seed (100,000 patients, 1,000,000 appointments and about a million charge lines over",
        "five years: `openpractice demo` + `openpractice seed --size large`). The GET through Django's test client",
        "(middleware, view, template) as the demo user of each role. *Cold*: Django's cache emptied before the",
        "request (the dashboards cache period KPIs for minutes); *warm*: the same request again. References in the same",
        "rounds: billing's A/R aging page and KPI page as the biller, and bench_ar's hand-written SQL for the aging and",
        "the five receivables KPIs. The ratio is the cold median over the hand-written SQL's.",
        "",
        "| database | page | user | cold median / p95 | warm median | queries (cold / warm) | ratio to hand SQL "
        "| target met |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        for label, page in r["pages"].items():
            if page.get("missing"):
                lines.append(f"| {r['server_version']} | {label} | {page['user']} | not built yet | | | | |")
                continue
            ratio = page.get("ratios", {}).get("hand-written SQL (aging + KPIs)")
            met = page.get("meets_target")
            lines.append(
                f"| {r['server_version']} | {label} | {page['user'] or '—'} | {page['cold_median_ms']:.1f} / "
                f"{page['cold_p95_ms']:.1f} ms | {page['warm_median_ms']:.1f} ms | {page['queries_cold']} / "
                f"{page['queries_warm']} | {f'×{ratio:.1f}' if ratio is not None else '—'} | "
                f"{'—' if met is None else 'yes' if met else '**NO**'} |")
    lines += ["", "Seeding (`openpractice seed --size large` on top of the demo practice; then, on PostgreSQL, VACUUM "
              "ANALYZE):", ""]
    for r in results:
        c = r["counts"]
        made = (f"{r['seed_seconds']:.0f} s for the bulk seed ({'; '.join(r.get('seed_output', [])[:-1])})"
                if not r.get("reused") else "reused from an earlier run")
        lines.append(f"- {r['database']} (size {r['size']}): {made}; {c['patients']:,} patients, {c['appointments']:,} appointments, "
                     f"{c['charges']:,} charges ({c['charge_lines']:,} lines), {c['claims']:,} claims, "
                     f"{c['ledger_entries']:,} ledger entries, {c['denials']:,} denials.")
    for r in results:
        lines += ["", f"<details><summary>Slowest queries per page on {r['database']} (cold)</summary>", "", "```"]
        for label, page in r["pages"].items():
            for query in page.get("slowest_queries", []):
                lines.append(f"{label}: {query['ms']} ms  {query['sql'][:200]}")
        lines += ["```", "", "</details>"]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, choices=["sqlite", "postgresql"])
    parser.add_argument("--size", default="large", choices=SIZES)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--reuse", action="store_true",
                        help="measure on the database an earlier run seeded at this size (seeding takes minutes)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)  # run_all passes it to every benchmark
    args = parser.parse_args(argv)
    result = run(args.database, args.size, args.runs, args.reuse)
    print(json.dumps(result) if args.json else "\n".join(render([result])))
    return 0  # a missed target is a figure to report (meets_target), not a crash of the run


if __name__ == "__main__":
    sys.exit(main())
