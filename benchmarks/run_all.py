"""Run every benchmark and rewrite docs/benchmarks.md with the figures, the machine and the date.

Usage: python benchmarks/run_all.py [--rows 1000000] [--only audit_verify,audit_write,frontoffice]

Sections of benchmarks left out with --only are kept from the current file.

Each benchmark runs in its own process per database (Django settings are per process) against a database of
its own (a temporary SQLite file, a PostgreSQL database named op_audit_bench_*), which it removes afterwards.
PostgreSQL is expected at BENCH_PG_SERVER (default postgres://postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
# The receivables benchmarks render their own sections (no Django at import).
from bench_835_post import render as render_835_post  # noqa: E402
from bench_835_read import render as render_835_read  # noqa: E402
from bench_ar import render as render_ar  # noqa: E402
from bench_compliance_audit import render as render_compliance_audit  # noqa: E402
from bench_dashboards import render as render_dashboards  # noqa: E402
from bench_fhir import render as render_fhir  # noqa: E402
from bench_frontdesk_routing import render as render_frontdesk_routing  # noqa: E402
from bench_inventory import render as render_inventory  # noqa: E402

ROOT = HERE.parent
DOC = ROOT / "docs" / "benchmarks.md"
DATABASES = ("sqlite", "postgresql")


def machine() -> dict[str, Any]:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_gib = 0.0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = int(line.split()[1]) / 1024 / 1024
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(memory_gib, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load_before": [round(value, 2) for value in os.getloadavg()],
    }


def run_script(script: str, database: str, extra: list[str]) -> dict[str, Any]:
    command = [sys.executable, str(HERE / f"{SCRIPTS.get(script, script)}.py"), "--database", database, "--json", *extra]
    print("running:", " ".join(command[1:]), flush=True)
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    if completed.returncode != 0:
        sys.stderr.write(completed.stderr)
        raise SystemExit(f"{script} on {database} failed ({completed.returncode})")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _yes(value: bool) -> str:
    return "yes" if value else "**NO**"


def render_verify(results: list[dict[str, Any]]) -> list[str]:
    lines = [
        "## Audit trail: `openpractice audit verify`",
        "",
        "Target: 1,000,000 rows verified in under 10 s on SQLite and on PostgreSQL.",
        "Reference (same run, same database): a plain read of every row and column of the trail in chain order",
        "through the same kind of cursor, checking nothing. verify asks the database for each row's canonical text",
        "instead of its 15 columns, so it can be cheaper than that plain read.",
        "",
        "| database | rows | verify (median of runs) | runs | rows/s | reference: plain read | ratio | target met |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        lines.append(
            f"| {r['server_version']} | {r['rows']:,} | {r['verify_seconds']:.2f} s | "
            f"{', '.join(f'{t:.2f}' for t in r['verify_runs'])} | {r['rows_per_second']:,} | "
            f"{r['reference_read_seconds']:.2f} s | {r['ratio_to_reference']:.2f} | {_yes(r['meets_target'])} |"
        )
    lines += ["", "Loading the benchmark trail (hashing every row with `chain.row_hash`, then bulk insert):", ""]
    for r in results:
        load = r["load"]
        lines.append(f"- {r['database']}: {load['rows']:,} rows in {load['load_seconds']} s "
                     f"(hashing {load['hash_seconds']} s, writing {load['write_seconds']} s).")
    for r in results:
        if r.get("profile"):
            lines += ["", f"<details><summary>Profile of one verify run on {r['database']} (cProfile, "
                      "by own time)</summary>", "", "```", *_profile_rows(r["profile"]), "```", "", "</details>"]
    return lines


def _profile_rows(text: str) -> list[str]:
    rows = [line.rstrip() for line in text.splitlines() if line.strip()]
    start = next((i for i, line in enumerate(rows) if line.lstrip().startswith("ncalls")), 0)
    return [row.replace(str(ROOT) + "/", "").replace(sys.prefix, "<venv>") for row in rows[start:start + 9]]


def render_write(results: list[dict[str, Any]]) -> list[str]:
    lines = [
        "## Audit trail: write overhead per audited request",
        "",
        "Target: median overhead under 2 ms with 1,000,000 audit rows in the table.",
        "Reference (same run, alternating): the same request through Django's test client with the whole middleware",
        "stack, without the audit call. *Read*: a record is read and the audit row is the request's only write (it",
        "brings its own commit). *Write*: one UPDATE in a transaction, and `record()` inside that same transaction, as",
        "services do.",
        "",
        "| database | rows in table | `record()` median / p95 | read: without → with | read overhead (ratio) "
        "| write: without → with | write overhead (ratio) | target met |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        read, write = r["read_request"], r["write_request"]
        lines.append(
            f"| {r['database']} | {r['rows']:,} | {r['record_median_ms']:.3f} / {r['record_p95_ms']:.3f} ms | "
            f"{read['reference_median_ms']:.3f} → {read['audited_median_ms']:.3f} ms | "
            f"+{read['overhead_median_ms']:.3f} ms (×{read['ratio']:.2f}) | "
            f"{write['reference_median_ms']:.3f} → {write['audited_median_ms']:.3f} ms | "
            f"+{write['overhead_median_ms']:.3f} ms (×{write['ratio']:.2f}) | {_yes(r['meets_target'])} |"
        )
    lines += ["", f"Requests per variant: {results[0]['requests'] if results else 0}, medians."]
    return lines


def render_frontoffice(results: list[dict[str, Any]]) -> list[str]:
    lines = [
        "## Front office: patient search and a provider's day at 100k patients / 1M appointments",
        "",
        "Target: median server time under 100 ms for each page on SQLite and on PostgreSQL, query counts constant.",
        "Page: the GET through Django's test client with the whole middleware stack, signed in as the demo front",
        "desk user (MFA done, Downtown only): `/patients/?q=...` (selector `patient_search`, paginator count, the",
        "template, the audit event) and `/schedule/?date=...&provider=...`. Selector: `patient_search` (its page of",
        "25 and the count) or `day_view`, without the view. Reference (same run, alternating with the page): the",
        "bare SQL of the same filter (the SQL the ORM compiles for the rows and the count) through a raw cursor.",
        "",
        "| database | page | matches | page median / p95 | selector | reference: bare SQL | ratio | queries "
        "| target met |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        for label, case in r["results"].items():
            queries = str(case["queries"])
            if "queries_on_an_empty_day" in case:
                queries += f" (empty day: {case['queries_on_an_empty_day']})"
            lines.append(
                f"| {r['server_version']} | {label} | {case['matches']:,} | {case['page_median_ms']:.1f} / "
                f"{case['page_p95_ms']:.1f} ms | {case.get('selector_median_ms', 0):.1f} ms | "
                f"{case['reference_median_ms']:.2f} ms | ×{case['ratio']:.1f} | {queries} | {_yes(case['meets_target'])} |"
            )
    lines += ["", "Seeding (`openpractice demo`, then `openpractice seed --size large`, timed alone):", ""]
    for r in results:
        counts = r["counts"]
        lines.append(f"- {r['database']}: {r['seed_seconds']:.0f} s for the bulk seed; then {counts['patients']:,} "
                     f"patients, {counts['appointments']:,} appointments, {counts['providers']} providers.")
    lines += ["", f"Runs per page: {results[0]['runs'] if results else 0}, medians. The ratio is the page's median "
              "over the bare SQL's: what the ORM, the view, the template, the session/MFA middleware and the audit "
              "write add."]
    for r in results:
        lines += ["", f"<details><summary>Plans on {r['database']} (EXPLAIN of each page query)</summary>", "",
                  "```"]
        for label, plan in r["plans"].items():
            lines += [f"{label}:", *(f"  {step}" for step in plan)]
        lines += ["```", "", "</details>"]
    return lines


def render_837p(results: list[dict[str, Any]]) -> list[str]:
    lines = [
        "## Claims: the 837P writer at 10,000 claims",
        "",
        "Target: the 837P (005010X222A1) of 10,000 ready claims written in under 2 s, excluding validation, with",
        "memory that does not grow with the batch. Written: `claims_for_837p` + `write_837p` into a file, as a batch",
        "is built (median of runs); *build*: one `batch_build` end to end (locks, assigns, writes, hashes, audits).",
        "Memory: tracemalloc's peak while writing the first 1,000 claims and while writing all of them. Reference",
        "(same run, same file): pyx12 validating it through its library (`validate_x12`).",
        "",
        "| database | claims (secondary) | segments | file | write (median) | runs | claims/s | queries "
        "| build | peak 1k → all | reference: pyx12 | ratio | valid | target met |",
        "| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in results:
        lines.append(
            f"| {r['server_version']} | {r['claims']:,} ({r['secondary_claims']:,}) | {r['segments']:,} | "
            f"{r['file_bytes'] / 1024 / 1024:.1f} MiB | {r['write_seconds']:.2f} s | "
            f"{', '.join(f'{t:.2f}' for t in r['write_runs'])} | {r['claims_per_second']:,} | {r['queries']} | "
            f"{r['build_seconds']:.2f} s | {r['peak_small_kib']:,} → {r['peak_all_kib']:,} KiB (×{r['peak_ratio']:.2f}) | "
            f"{r['validate_seconds']:.1f} s | ×{r['ratio_to_reference']:.0f} | {_yes(r['valid'])} | "
            f"{_yes(r['meets_target'])} |"
        )
    lines += ["", "Loading the claims (bulk create of patients, coverages, charges, claims, lines):", ""]
    for r in results:
        lines.append(f"- {r['database']}: {r['claims']:,} claims in {r['load_seconds']} s.")
    return lines


def render_scrub(results: list[dict[str, Any]]) -> list[str]:
    lines = [
        "## Claims: scrubbing 10,000 claims",
        "",
        "Target: 10,000 claims scrubbed in under 3 s. *Scrub*: `claims_scrub` over 10,000 draft claims, as the",
        "worklists' \"scrub all\" runs it (load, every built-in and practice rule, issues replaced, each claim moved",
        "to ready or held through `claims_transition` in bulk, one audit event); *of which status changes*: the time spent in",
        "that `claims_transition` call. *Re-scrub*: the same call once the claims are ready or held (no status",
        "moves). *Load* (`load_claims` + `build_context`) and *rules* (`scrub_many`, no database) measured apart.",
        "Reference (same run): the bare SQL reading the same claims, their relations and lines through a cursor.",
        "",
        "| database | claims (lines) | scrub (median) | runs | claims/s | of which status changes | re-scrub "
        "| load | rules | reference: bare read | ratio to target | queries: scrub / re-scrub | ready / held "
        "| target met |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        lines.append(
            f"| {r['server_version']} | {r['claims']:,} ({r['lines']:,}) | {r['scrub_seconds']:.2f} s | "
            f"{', '.join(f'{t:.2f}' for t in r['scrub_runs'])} | {r['claims_per_second']:,} | "
            f"{r['status_change_seconds']:.2f} s | {r['rescrub_seconds']:.2f} s | {r['load_seconds']:.2f} s | "
            f"{r['engine_seconds']:.2f} s | {r['reference_read_seconds']:.2f} s | ×{r['ratio_to_target']:.2f} | "
            f"{r['scrub_queries']:,} / {r['rescrub_queries']:,} | {r['ready']:,} / {r['held']:,} | "
            f"{_yes(r['meets_target'])} |"
        )
    lines += ["", "Loading the claims (bulk create of the practice, patients, coverages, charges, claims, lines):", ""]
    for r in results:
        lines.append(f"- {r['database']}: {r['claims']:,} claims in {r['setup_seconds']} s.")
    return lines


BENCHMARKS: dict[str, Callable[[list[dict[str, Any]]], list[str]]] = {
    "audit_verify": render_verify,
    "audit_write": render_write,
    "frontoffice": render_frontoffice,
    "bench_837p": render_837p,
    "scrub": render_scrub,
    "bench_835_read": render_835_read,
    "bench_835_post": render_835_post,
    "bench_ar": render_ar,
    "bench_compliance_audit": render_compliance_audit,
    "bench_inventory": render_inventory,
    "bench_frontdesk_routing": render_frontdesk_routing,
    "bench_dashboards": render_dashboards,
    "bench_fhir": render_fhir,
}
# Benchmarks whose script is not named after them (benchmarks/<script>.py).
SCRIPTS: dict[str, str] = {"scrub": "bench_scrub"}
# Benchmarks that use no database: run once.
DATABASE_FREE = frozenset({"bench_835_read"})


def kept_sections(names: list[str]) -> dict[str, list[str]]:
    """The sections of the current docs/benchmarks.md for benchmarks not run this time, kept as they are, so
    `--only frontoffice` does not wipe the audit figures (and the other way round)."""
    if not DOC.exists():
        return {}
    blocks: dict[str, list[str]] = {}
    current: list[str] | None = None
    previous = "an earlier run"
    for line in DOC.read_text().splitlines():
        if line.startswith("- Date: ") and current is None:
            previous = f"the run of {line.removeprefix('- Date: ')}"
        if line.startswith("## "):
            current = blocks.setdefault(line, [])
        if current is not None:
            current.append(line)
    kept: dict[str, list[str]] = {}
    for name, renderer in BENCHMARKS.items():
        if name in names:
            continue
        heading = renderer([])[0]
        if heading in blocks:
            block = blocks[heading]
            while block and not block[-1].strip():
                block.pop()
            if block[2:3] and block[2].startswith("_Figures from "):
                kept[name] = block  # kept once already: its note names the run the figures come from
            else:
                kept[name] = [block[0], "", f"_Figures from {previous}, kept: this run did not repeat it._",
                              *block[1:]]
    return kept


def render(info: dict[str, Any], sections: dict[str, list[dict[str, Any]]], started: datetime,
           kept: dict[str, list[str]] | None = None) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Produced by `make bench` (`benchmarks/run_all.py`), which rewrites this file; do not edit the figures by hand.",
        "Tests never assert wall-clock times; these runs are how the performance targets are checked.",
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC",
        f"- Machine: {info['cpus']} CPUs ({info['cpu']}), {info['memory_gib']} GiB RAM, {info['os']}, "
        f"Python {info['python']}",
        f"- Load average when the run started: {', '.join(map(str, info['load_before']))} "
        "(the machine may be shared; figures are medians for that reason)",
        "",
    ]
    kept = kept or {}
    for name in BENCHMARKS:
        if name in sections:
            lines += [*BENCHMARKS[name](sections[name]), ""]
        elif name in kept:
            lines += [*kept[name], ""]
    lines += [
        "## Notes",
        "",
        "- Each benchmark runs against a database of its own (a temporary SQLite file in WAL mode with the",
        "  project's settings; a PostgreSQL database `op_audit_bench_*` or `op_bench_frontoffice`), loaded with a",
        "  valid chain of realistic rows (audit) or the demo practice plus `openpractice seed --size large` (front",
        "  office), and deletes it afterwards.",
        "- verify streams rows in chain order and stops at the first bad row; a trail that fails earlier is faster.",
        "- What verify cannot prove from the chain alone (deleted newest rows, a chain rewritten from an edited row",
        "  on) and how a head kept outside the database closes that gap: docs/security.md, \"Audit trail\".",
        "- Patient search by name prefix: SQLite never uses an index for `LIKE 'smi%'` on a BINARY-collated column",
        "  (its LIKE ignores case), so the search read the whole name index: 171 ms a page at 100k patients. The",
        "  selector now adds the equivalent range (`>= 'smi' AND < 'smj'`), an index range on both databases.",
        "- The day view asks for `starts_at < end AND ends_at > start` with no lower bound on `starts_at`, so both",
        "  databases read every earlier appointment of the provider (about 18,000 at 1M): fine today, but growing",
        "  with the years. A lower bound (`starts_at > start - 8 h`, the longest appointment type) makes it an",
        "  index range on (provider, starts_at): 4.1 ms -> 0.18 ms for the bare query on SQLite.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated benchmark names")
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    started = datetime.now(UTC)
    info = machine()
    sections: dict[str, list[dict[str, Any]]] = {}
    for name in names:
        extra = ["--rows", str(args.rows)] + (["--profile"] if name == "audit_verify" else [])
        databases = DATABASES[:1] if name in DATABASE_FREE else DATABASES
        sections[name] = [run_script(name, database, extra) for database in databases]
    kept = kept_sections(names)
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(render(info, sections, started, kept))
    print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
