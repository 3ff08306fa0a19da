"""A separate process for test_sqlite_processes.py: append audit events to the SQLite file named by
DATABASE_URL, or verify its chain. Run as `python -m openpractice.audit.tests.sqlite_writer ...`.

    write NAME COUNT READY_FILE GO_FILE   say ready, wait for the go, then record COUNT events
    verify                                print the verifier's result and the rows as JSON
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def _write(name: str, count: int, ready: Path, go: Path) -> None:
    from openpractice.audit.services import record

    ready.touch()
    deadline = time.monotonic() + 60
    while not go.exists():  # both writers start together, so their transactions really contend
        if time.monotonic() > deadline:
            raise TimeoutError("no go signal")
        time.sleep(0.01)
    for number in range(count):
        record(actor=None, action=f"test.{name}", object_id=number)
        # A short pause between transactions, as between requests: without it one writer re-takes the lock
        # before the other's busy handler wakes up, and the two would merely run one after the other.
        time.sleep(0.02)


def _verify() -> None:
    from openpractice.audit.models import AuditEvent
    from openpractice.audit.verify import verify_chain

    result = verify_chain()
    rows = list(AuditEvent.objects.order_by("seq").values_list("seq", "action"))
    print(json.dumps({"ok": result.ok, "rows_checked": result.rows_checked, "detail": result.detail, "rows": rows}))


def main(argv: list[str]) -> None:
    import django

    django.setup()
    if argv[0] == "write":
        _write(argv[1], int(argv[2]), Path(argv[3]), Path(argv[4]))
    elif argv[0] == "verify":
        _verify()
    else:
        raise SystemExit(f"unknown command {argv[0]!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
