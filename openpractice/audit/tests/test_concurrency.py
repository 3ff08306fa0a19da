"""Two writers at once: the chain stays gapless and linked (PostgreSQL's advisory lock makes them take turns)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from openpractice.audit.models import AuditEvent
from openpractice.audit.services import record
from openpractice.audit.verify import verify_chain

PER_THREAD = 40


@pytest.mark.postgresql
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="SQLite's in-memory test database is shared by threads through a cache that "
                           "raises 'table is locked' instead of waiting; SQLite writers queue at BEGIN IMMEDIATE")
@pytest.mark.django_db(transaction=True)
def test_two_threads_recording_at_once_keep_the_chain_intact(practice: Any) -> None:
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def write(name: str) -> None:
        try:
            start.wait(timeout=10)
            for number in range(PER_THREAD):
                record(actor=None, action=f"test.{name}", object_id=number)
        except BaseException as error:  # noqa: BLE001 - reported to the main thread below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert AuditEvent.objects.count() == 2 * PER_THREAD
    assert sorted(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, 2 * PER_THREAD + 1))
    assert set(AuditEvent.objects.values_list("action", flat=True)) == {"test.first", "test.second"}
    result = verify_chain()
    assert result.ok, result.detail
