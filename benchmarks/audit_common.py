"""Shared by the benchmarks: a throw-away database (a temporary SQLite file or a PostgreSQL database of
its own, so nobody else's data is touched), Django set up against it, and a fast loader for a valid chain.

Each benchmark process serves ONE database: Django's settings are per process, so run_all.py starts one process
per (benchmark, database).
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
VENDORS = ("sqlite", "postgresql")

_ACTIONS = [
    "patients.viewed", "patients.updated", "patients.searched", "schedule.appointment_booked",
    "schedule.appointment_checked_in", "billing.claim_created", "billing.payment_posted", "billing.statement_sent",
    "accounts.signed_in", "accounts.signed_out", "accounts.token_created", "users.invited", "users.roles_changed",
    "workforce.record_viewed", "compliance.policy_acknowledged", "access.denied", "audit.exported",
]
_AGENTS = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "",
]


def median_ms(samples: Sequence[float]) -> float:
    return statistics.median(samples) * 1000


def p95_ms(samples: Sequence[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds one call took, and what it returned."""
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def count_queries(call: Callable[[], Any]) -> tuple[int, Any]:
    """How many statements one call sent to the default database, and what it returned."""
    from django.db import connection

    count = 0

    def counter(execute: Any, sql: Any, params: Any, many: Any, context: Any) -> Any:
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        result = call()
    return count, result


def npi(n: int) -> str:
    """The n-th valid (Luhn-checked, 80840-prefixed) test NPI."""
    nine = f"{160000000 + n:09d}"
    total = 0
    for index, char in enumerate(reversed("80840" + nine)):
        digit = int(char)
        if index % 2 == 0:
            digit = digit * 2 - 9 if digit * 2 > 9 else digit * 2
        total += digit
    return nine + str((10 - total % 10) % 10)


def server_version() -> str:
    """Which database, "SQLite 3.x.y" or "PostgreSQL 16.x", for the database this process's Django uses."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("select sqlite_version()")
            return f"SQLite {cursor.fetchone()[0]}"
        cursor.execute("show server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"


@contextmanager
def bench_database(vendor: str, name: str) -> Iterator[None]:
    """Point this process's Django at a new, empty, migrated database; remove it afterwards."""
    if vendor not in VENDORS:
        raise SystemExit(f"unknown database {vendor!r}; choose from {', '.join(VENDORS)}")
    workdir = Path(tempfile.mkdtemp(prefix=f"{name}-"))
    (workdir / "staticfiles").mkdir()  # the static files middleware wants the directory to exist
    os.environ["OPENPRACTICE_DATA_DIR"] = str(workdir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if vendor == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    else:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _pg_admin(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{name}"
    sys.path.insert(0, str(ROOT))
    try:
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0, interactive=False)
        yield
    finally:
        from django.db import connections

        connections.close_all()
        if vendor == "postgresql":
            _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(workdir, ignore_errors=True)


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
        connection.execute(sql)  # type: ignore[arg-type]


def load_chain(rows: int, *, users: int = 40, seed: int = 42) -> dict[str, Any]:
    """Append `rows` valid, realistic, chained audit events in bulk (executemany on SQLite, COPY on
    PostgreSQL), hashing each with chain.row_hash exactly as record() does. Returns timings."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from openpractice.audit.chain import CHAIN_COLUMNS, GENESIS_HASH, canonical_ip, row_hash

    user_model = get_user_model()
    people = [user_model.objects.create(username=f"bench{n:03d}", email=f"bench{n:03d}@example.test")
              for n in range(users)]
    rng = random.Random(seed)
    started = time.perf_counter()
    moment = datetime(2024, 1, 1, 8, 0, tzinfo=UTC)
    prev = GENESIS_HASH
    batch: list[tuple[Any, ...]] = []
    columns = ", ".join((*CHAIN_COLUMNS, "hash"))
    inserted = 0
    hashing = 0.0
    writing = 0.0

    def flush() -> None:
        nonlocal writing, inserted
        if not batch:
            return
        t0 = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY audit_auditevent ({columns}) FROM STDIN") as copy:
                    for values in batch:
                        copy.write_row(values)
            else:
                params = ", ".join("?" * (len(CHAIN_COLUMNS) + 1))
                cursor.cursor.executemany(f"INSERT INTO audit_auditevent ({columns}) VALUES ({params})", batch)
        writing += time.perf_counter() - t0
        inserted += len(batch)
        batch.clear()

    for seq in range(1, rows + 1):
        moment += timedelta(microseconds=rng.randrange(1, 1_500_000))
        if seq % 1000 == 0:
            moment = moment.replace(microsecond=0)  # exercise the "no fraction" storage form too
        person = rng.choice(people) if rng.random() < 0.97 else None
        action = rng.choice(_ACTIONS)
        denied = action == "access.denied"
        patient = rng.randrange(1, 200_000) if action.startswith(("patients", "schedule", "billing")) else None
        t0 = time.perf_counter()
        values = [
            seq, moment, person.pk if person else None, person.username if person else "", action,
            "patients.patient" if patient else "accounts.user", str(rng.randrange(1, 500_000)), patient,
            rng.choice((1, 2, 3, None)), canonical_ip(f"10.{rng.randrange(4)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"),
            rng.choice(_AGENTS), "denied" if denied else "allowed",
            "email,phone" if action.endswith("updated") else "", "patients.view GET /patients/" if denied else "",
            prev,
        ]
        digest = row_hash(values)
        hashing += time.perf_counter() - t0
        if connection.vendor == "sqlite":
            # Django's own SQLite storage form for an aware datetime: naive UTC text.
            values[1] = str(moment.replace(tzinfo=None))
        batch.append((*values, digest))
        prev = digest
        if len(batch) >= 50_000:
            flush()
    flush()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE audit_auditevent")
    return {"rows": inserted, "load_seconds": round(time.perf_counter() - started, 1),
            "hash_seconds": round(hashing, 1), "write_seconds": round(writing, 1)}
