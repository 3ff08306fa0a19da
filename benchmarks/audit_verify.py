"""How long `openpractice audit verify` takes on a large trail (target: 1M rows in under 10 s).

Usage: python benchmarks/audit_verify.py --database sqlite|postgresql [--rows 1000000] [--json] [--profile]

Reference, measured in the same run: a plain read of every row and column in the same order through the same
kind of cursor (no checking), i.e. what merely reading the trail costs. verify asks the database for each row's
canonical text instead of its 15 columns, which is why it can beat the plain read.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from audit_common import bench_database, load_chain

TARGET_SECONDS = 10.0


def plain_read(chunk_size: int) -> tuple[float, int]:
    """Read every row, all its columns, in chain order, with the same kind of cursor and nothing else."""
    from django.db import connection, transaction

    from openpractice.audit.chain import CHAIN_COLUMNS

    started = time.perf_counter()
    count = 0
    # Like verify: a transaction (for the named cursor) on PostgreSQL only.
    scope = transaction.atomic() if connection.vendor == "postgresql" else contextlib.nullcontext()
    with scope, connection.chunked_cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(CHAIN_COLUMNS)}, id, hash FROM audit_auditevent ORDER BY seq")
        while rows := cursor.fetchmany(chunk_size):
            count += len(rows)
    return time.perf_counter() - started, count


def run(database: str, rows: int, repeat: int, profile: bool) -> dict[str, Any]:
    with bench_database(database, "op_audit_bench_verify"):
        from django.db import connection

        from openpractice.audit.verify import DEFAULT_CHUNK_SIZE, verify_chain

        loaded = load_chain(rows)
        verify_chain()  # warm the cache once, as a second run on a live server would find it
        verify_times, read_times = [], []
        for _ in range(repeat):
            result = verify_chain()
            if not result.ok or result.rows_checked != rows:
                raise SystemExit(f"benchmark chain did not verify: {result.as_dict()}")
            verify_times.append(result.seconds)
            seconds, count = plain_read(DEFAULT_CHUNK_SIZE)
            assert count == rows
            read_times.append(seconds)
        profile_text = ""
        if profile:
            profiler = cProfile.Profile()
            profiler.enable()
            verify_chain()
            profiler.disable()
            buffer = io.StringIO()
            pstats.Stats(profiler, stream=buffer).sort_stats("tottime").print_stats(8)
            profile_text = buffer.getvalue()
        verify_median = statistics.median(verify_times)
        read_median = statistics.median(read_times)
        return {
            "benchmark": "audit_verify",
            "database": connection.vendor,
            "server_version": _server_version(),
            "rows": rows,
            "load": loaded,
            "verify_seconds": round(verify_median, 2),
            "verify_runs": [round(t, 2) for t in verify_times],
            "rows_per_second": round(rows / verify_median),
            "reference_read_seconds": round(read_median, 2),
            "ratio_to_reference": round(verify_median / read_median, 2),
            "target_seconds": TARGET_SECONDS,
            "meets_target": verify_median < TARGET_SECONDS * rows / 1_000_000,
            "profile": profile_text,
        }


def _server_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
        cursor.execute("SELECT sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), required=True)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print only the result as JSON")
    parser.add_argument("--profile", action="store_true", help="also profile one verify run (cProfile)")
    args = parser.parse_args(argv)
    result = run(args.database, args.rows, args.repeat, args.profile)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['database']}: verified {result['rows']:,} rows in {result['verify_seconds']} s "
              f"(plain read {result['reference_read_seconds']} s, x{result['ratio_to_reference']}); "
              f"load took {result['load']['load_seconds']} s")
        if result["profile"]:
            print(result["profile"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
