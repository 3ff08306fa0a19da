"""Reading an 835 of 5,000 claims and 10,000 lines (about 1.5-1.75 MB): target under 0.25 s and at least 5x
faster than edi-835-parser, with memory that does not grow with the file (a 100 MB file).

Usage: python benchmarks/bench_835_read.py [--claims 5000] [--runs 5] [--large-mb 100] [--traced-mb 10] [--json]
       (--database and --rows are accepted for benchmarks/run_all.py; the reader uses no database)

The file: one transaction set, `--claims` claims of two lines each (CLP, NM1*QC, DTM*232/233; per line SVC,
DTM*472, CAS, REF*6R, AMT*B6), a denial in every ten claims, coinsurance and a deductible in every seventh,
written by `openpractice.billing.tests.x12_835_text.write_large_835` (the tests' generator).

Measured, in the same run and on the same file:
- `read_835` from the path, every payment consumed (median of `--runs`);
- the tokenizer alone (`read_batches` from the path: segments split and checked, envelopes checked, as the 835
  reader takes them): the floor the 835 layer builds on;
- the reference floor: reading the file and `str.split` on the terminator and the element separator, no checks;
- edi-835-parser (`edi_835_parser.parse(path)`), the library the target compares with (median of up to 3 runs);
- memory, each figure from a fresh process, on files of transaction sets of 2,000 claims (as a payer splits a
  large remittance by check): the peak RSS (VmHWM) reading 2 sets and reading a `--large-mb` file (with the
  time that takes), and tracemalloc's peak reading 2 sets and a `--traced-mb` file (tracemalloc hooks every
  allocation and makes the reader about ten times slower, hence the smaller file).

The runs of each measure are interleaved (read, tokenizer, split, edi-835-parser, read, ...) so that a shared
machine's load falls on all of them alike.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import tracemalloc
import warnings
from pathlib import Path
from typing import Any

from audit_common import timed

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 0.25
TARGET_RATIO = 5.0
EDI_RUNS = 3
SET_CLAIMS = 2000  # claims per transaction set in the memory files


def _write(path: Path, *, claims: int, target_bytes: int = 0, claims_per_payment: int = 5000) -> dict[str, int]:
    from openpractice.billing.tests.x12_835_text import write_large_835

    with path.open("w", encoding="ascii", newline="", buffering=1 << 20) as out:
        return write_large_835(out, claims=claims, claims_per_payment=claims_per_payment, target_bytes=target_bytes)


def _consume(path: Path) -> tuple[int, int, int]:
    from openpractice.billing.x12 import read_835

    payments = claims = lines = 0
    for payment in read_835(path):
        payments += 1
        claims += len(payment.claims)
        lines += sum(len(claim.lines) for claim in payment.claims)
    return payments, claims, lines


def _split(path: Path) -> int:
    text = path.read_text()
    return len([segment.split("*") for segment in text.split("~")])


def _tokenize(path: Path) -> int:
    from openpractice.billing.x12.reader import read_batches

    return sum(len(batch.parts) for batch in read_batches(path))


def _edi_835_parser(path: Path) -> tuple[int, int]:
    from edi_835_parser import parse

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        transaction_sets = parse(str(path))
    claims = [claim for ts in transaction_sets.transaction_sets for claim in ts.claims]
    return len(claims), sum(len(claim.services) for claim in claims)


def child(path: Path, *, traced: bool) -> dict[str, Any]:
    """Read `path` in this (fresh) process: time, claims, and tracemalloc's peak or the peak RSS."""
    if traced:
        tracemalloc.start()
    seconds, (payments, claims, lines) = timed(lambda: _consume(path))
    result: dict[str, Any] = {"payments": payments, "claims": claims, "lines": lines, "seconds": round(seconds, 2)}
    if traced:
        result["tracemalloc_peak_kib"] = round(tracemalloc.get_traced_memory()[1] / 1024)
        tracemalloc.stop()
    else:
        result["peak_rss_kib"] = _peak_rss_kib()
    return result


def _peak_rss_kib() -> int:
    """This process's peak RSS. VmHWM is the high-water mark of the process's own memory; ru_maxrss would carry
    the parent's peak across fork and exec (Linux keeps it), and the parent has pandas loaded for edi-835-parser."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS


def _in_child(path: Path, *, traced: bool) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", str(path)] + (["--traced"] if traced else [])
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1800, check=False)
    if done.returncode != 0:
        raise SystemExit(f"reading {path.name} in a child process failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _memory(workdir: Path, *, large_mb: int, traced_mb: int) -> dict[str, Any]:
    files = {}
    for name, megabytes in (("two_sets", 0), ("traced", traced_mb), ("large", large_mb)):
        files[name] = workdir / f"{name}.835"
        if megabytes:
            _write(files[name], claims=0, target_bytes=megabytes * 1024 * 1024, claims_per_payment=SET_CLAIMS)
        else:
            _write(files[name], claims=2 * SET_CLAIMS, claims_per_payment=SET_CLAIMS)
    figures: dict[str, Any] = {}
    for name, path in files.items():
        figure = {"file_bytes": path.stat().st_size}
        if name != "traced":
            plain = _in_child(path, traced=False)
            figure.update(claims=plain["claims"], payments=plain["payments"], seconds=plain["seconds"],
                          peak_rss_kib=plain["peak_rss_kib"])
        if name != "large":
            traced = _in_child(path, traced=True)
            figure.update(claims=traced["claims"], payments=traced["payments"],
                          tracemalloc_peak_kib=traced["tracemalloc_peak_kib"])
        figures[name] = figure
    two, traced, large = figures["two_sets"], figures["traced"], figures["large"]
    # Flat: the large file's peak RSS within a quarter (plus 8 MiB of allocator slack) of two sets', and the
    # traced file's tracemalloc peak within a quarter (plus 256 KiB) of two sets'.
    figures["flat"] = (large["peak_rss_kib"] < 1.25 * two["peak_rss_kib"] + 8192
                       and traced["tracemalloc_peak_kib"] < 1.25 * two["tracemalloc_peak_kib"] + 256)
    return figures


def measure(*, claims: int, runs: int, large_mb: int, traced_mb: int) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="bench-835-"))
    try:
        path = workdir / "remit.835"
        counts = _write(path, claims=claims)
        _consume(path)  # warm: imports, the date cache, the file in the page cache
        payments, read_claims, read_lines = _consume(path)
        assert (read_claims, read_lines) == (counts["claims"], counts["lines"])
        edi_claims, edi_lines = _edi_835_parser(path)  # warm, and the same work: every claim and line
        read_runs: list[float] = []
        token_runs: list[float] = []
        split_runs: list[float] = []
        edi_runs: list[float] = []
        for run in range(runs):
            read_runs.append(timed(lambda: _consume(path))[0])
            token_runs.append(timed(lambda: _tokenize(path))[0])
            split_runs.append(timed(lambda: _split(path))[0])
            if run < EDI_RUNS:
                edi_runs.append(timed(lambda: _edi_835_parser(path))[0])
        memory = _memory(workdir, large_mb=large_mb, traced_mb=traced_mb)
    finally:
        for leftover in workdir.iterdir():
            leftover.unlink()
        workdir.rmdir()
    read_seconds = statistics.median(read_runs)
    edi_seconds = statistics.median(edi_runs)
    ratio = edi_seconds / read_seconds
    return {
        "claims": counts["claims"], "lines": counts["lines"], "segments": counts["segments"],
        "transaction_sets": payments, "file_bytes": counts["characters"],
        "read_runs": [round(t, 3) for t in read_runs], "read_seconds": round(read_seconds, 3),
        "read_min_seconds": round(min(read_runs), 3), "claims_per_second": int(counts["claims"] / read_seconds),
        "tokenizer_seconds": round(statistics.median(token_runs), 3),
        "split_seconds": round(statistics.median(split_runs), 3),
        "edi_runs": [round(t, 2) for t in edi_runs], "edi_seconds": round(edi_seconds, 2),
        "edi_claims": edi_claims, "edi_lines": edi_lines, "ratio_to_edi": round(ratio, 1),
        "ratio_of_minimums": round(min(edi_runs) / min(read_runs), 1),
        "memory": memory, "memory_flat": memory["flat"],
        "meets_target": read_seconds < TARGET_SECONDS and ratio >= TARGET_RATIO and memory["flat"],
    }


def render(results: list[dict[str, Any]]) -> list[str]:
    """The docs/benchmarks.md section (benchmarks/run_all.py)."""
    lines = [
        "## Remittances: reading an 835",
        "",
        "Target: an 835 of 5,000 claims and 10,000 lines (about 1.75 MB) read in under 0.25 s and at least 5x faster",
        "than edi-835-parser, with memory that does not grow with the file. *Read*: `read_835(path)` with every",
        "payment consumed, balancing checked (median of runs; the fastest run beside it). *Tokenizer*:",
        "`read_batches` alone (segments split and checked, envelopes checked), the floor the 835 layer builds on.",
        "*split*: reading the file and `str.split` on the separators, no checks. Reference (same run, same file,",
        "runs interleaved): `edi_835_parser.parse`. The reader uses no database: `run_all` repeats the same",
        "measurement once per database run.",
        "",
        "| run | claims (lines) | file | read (median / fastest) | runs | claims/s | tokenizer | split "
        "| edi-835-parser | ratio (medians / fastest) | target met |",
        "| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        lines.append(
            f"| {r.get('database') or 'no database'} | {r['claims']:,} ({r['lines']:,}) | "
            f"{r['file_bytes'] / 1024 / 1024:.2f} MiB | {r['read_seconds']:.3f} / {r['read_min_seconds']:.3f} s | "
            f"{', '.join(f'{t:.3f}' for t in r['read_runs'])} | {r['claims_per_second']:,} | "
            f"{r['tokenizer_seconds']:.3f} s | {r['split_seconds']:.3f} s | {r['edi_seconds']:.2f} s | "
            f"×{r['ratio_to_edi']:.1f} / ×{r['ratio_of_minimums']:.1f} | {'yes' if r['meets_target'] else '**NO**'} |")
    lines += ["", "Memory, each figure from a fresh process, files of transaction sets of 2,000 claims (tracemalloc "
              "makes the reader about ten times slower, hence a smaller file for it):", "",
              "| run | file | claims | read | peak RSS (whole process) | tracemalloc peak | flat |",
              "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in results:
        memory = r["memory"]
        for name in ("two_sets", "traced", "large"):
            m = memory[name]
            rss = f"{m['peak_rss_kib'] / 1024:,.0f} MiB" if "peak_rss_kib" in m else "-"
            peak = f"{m['tracemalloc_peak_kib'] / 1024:,.1f} MiB" if "tracemalloc_peak_kib" in m else "-"
            seconds = f"{m['seconds']:.1f} s" if "seconds" in m else "-"
            lines.append(f"| {r.get('database') or 'no database'} | {m['file_bytes'] / 1024 / 1024:,.1f} MiB | "
                         f"{m['claims']:,} | {seconds} | {rss} | {peak} | "
                         f"{'yes' if memory['flat'] else '**NO**'} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--large-mb", type=int, default=100)
    parser.add_argument("--traced-mb", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--database", help=argparse.SUPPRESS)  # run_all passes it; no database is used
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)  # run_all passes it to every benchmark
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, traced=args.traced)))
        return 0
    result = measure(claims=args.claims, runs=args.runs, large_mb=args.large_mb, traced_mb=args.traced_mb)
    result.update(database=args.database or "", python=platform.python_version(), cpus=os.cpu_count())
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))
    return 0  # a missed target is a figure to report (meets_target), not a crash of the run


if __name__ == "__main__":
    sys.exit(main())
