"""What auditing adds to a request when the trail already holds a million rows (target: median under 2 ms).

Usage: python benchmarks/audit_write.py --database sqlite|postgresql [--rows 1000000] [--requests 400] [--json]

Measured in the same run, alternating so that drift hits both sides alike:
- record() alone: one audit row appended in its own transaction (lock, read the chain's head, insert, commit).
- a read request through Django's test client (the whole middleware stack), without and with an audit row.
  Reading PHI is audited, so here the audit row is the request's only write and brings its own commit.
- a write request: one UPDATE in a transaction, without and with record() inside that same transaction, as the
  services do. The difference is what auditing costs a service.
The reference for each request is the same request without the audit call.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from audit_common import bench_database, load_chain, median_ms, p95_ms

TARGET_MS = 2.0

# The benchmark's own URLconf: set as ROOT_URLCONF once Django is set up (see urlpatterns below).
urlpatterns: list[Any] = []


def _views() -> list[Any]:
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.http import HttpRequest, HttpResponse
    from django.urls import path
    from django.utils import timezone

    from openpractice.audit.services import record

    user_model = get_user_model()

    def read(request: HttpRequest, pk: int, audited: bool) -> HttpResponse:
        username = user_model.objects.filter(pk=pk).values_list("username", flat=True).first()
        if audited:
            record(actor=None, action="bench.record_viewed", object_type="accounts.user", object_id=pk)
        return HttpResponse(f"<p>{username}</p>")

    def write(request: HttpRequest, pk: int, audited: bool) -> HttpResponse:
        with transaction.atomic():
            user_model.objects.filter(pk=pk).update(last_login=timezone.now())
            if audited:
                record(actor=None, action="bench.record_updated", object_type="accounts.user", object_id=pk,
                       changed_fields=["last_login"])
        return HttpResponse("<p>saved</p>")

    return [
        path("read/<int:pk>/", read, {"audited": False}),
        path("read-audited/<int:pk>/", read, {"audited": True}),
        path("write/<int:pk>/", write, {"audited": False}),
        path("write-audited/<int:pk>/", write, {"audited": True}),
    ]


def _alternate(plain: Callable[[], Any], audited: Callable[[], Any], count: int) -> tuple[list[float], list[float]]:
    plain_times: list[float] = []
    audited_times: list[float] = []
    for _ in range(count):
        for call, times in ((plain, plain_times), (audited, audited_times)):
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
    return plain_times, audited_times


def run(database: str, rows: int, requests: int) -> dict[str, Any]:
    with bench_database(database, "op_audit_bench_write"):
        from django.conf import settings
        from django.db import connection
        from django.test import Client

        from openpractice.audit.services import record
        from openpractice.audit.verify import verify_chain

        loaded = load_chain(rows)
        urlpatterns[:] = _views()
        settings.ROOT_URLCONF = __name__
        client = Client()
        pk = 1

        def get(url: str) -> None:
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")

        for _ in range(30):  # warm-up: connections, caches, URL resolver
            get(f"/read/{pk}/")
            get(f"/read-audited/{pk}/")
        record_times = []
        for number in range(requests):
            t0 = time.perf_counter()
            record(actor=None, action="bench.direct", object_id=number)
            record_times.append(time.perf_counter() - t0)
        read_plain, read_audited = _alternate(lambda: get(f"/read/{pk}/"), lambda: get(f"/read-audited/{pk}/"),
                                              requests)
        write_plain, write_audited = _alternate(lambda: get(f"/write/{pk}/"), lambda: get(f"/write-audited/{pk}/"),
                                                requests)
        tail = verify_chain()  # the chain must still hold after all those appends
        if not tail.ok or tail.rows_checked != rows + 30 + 3 * requests:
            raise SystemExit(f"chain broken by the benchmark: {tail.as_dict()}")

        def compare(plain: list[float], audited: list[float]) -> dict[str, float]:
            return {
                "reference_median_ms": round(median_ms(plain), 3),
                "audited_median_ms": round(median_ms(audited), 3),
                "overhead_median_ms": round(median_ms(audited) - median_ms(plain), 3),
                "audited_p95_ms": round(p95_ms(audited), 3),
                "ratio": round(median_ms(audited) / median_ms(plain), 2),
            }

        read = compare(read_plain, read_audited)
        write = compare(write_plain, write_audited)
        return {
            "benchmark": "audit_write",
            "database": connection.vendor,
            "rows": rows,
            "requests": requests,
            "load": loaded,
            "record_median_ms": round(median_ms(record_times), 3),
            "record_p95_ms": round(p95_ms(record_times), 3),
            "read_request": read,
            "write_request": write,
            "target_ms": TARGET_MS,
            "meets_target": max(read["overhead_median_ms"], write["overhead_median_ms"],
                                median_ms(record_times)) < TARGET_MS,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), required=True)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--json", action="store_true", help="print only the result as JSON")
    args = parser.parse_args(argv)
    result = run(args.database, args.rows, args.requests)
    if args.json:
        print(json.dumps(result))
    else:
        read, write = result["read_request"], result["write_request"]
        print(f"{result['database']} with {result['rows']:,} rows: record() median {result['record_median_ms']} ms; "
              f"read request +{read['overhead_median_ms']} ms ({read['reference_median_ms']} -> "
              f"{read['audited_median_ms']} ms); write request +{write['overhead_median_ms']} ms "
              f"({write['reference_median_ms']} -> {write['audited_median_ms']} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
