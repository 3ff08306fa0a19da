"""record_many(): many events under one lock of the chain, hashed and linked exactly as record() does."""

from __future__ import annotations

import threading
from itertools import pairwise
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.roles import Role
from openpractice.audit import context
from openpractice.audit.chain import CHAIN_COLUMNS, row_hash
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.audit.services import Event, record, record_many
from openpractice.audit.verify import verify_chain
from openpractice.core.models import Location


@pytest.mark.django_db
def test_record_many_appends_linked_rows_after_the_chain(practice: Any, north: Location) -> None:
    record(actor=None, action="test.before")
    written = record_many(actor=None, events=[
        Event(action="test.bulk", target=north, patient_id=40 + n, location_id=north.pk,
              changed_fields=["status", "ledger", "status"], reason=f"claim {n}")
        for n in range(5)])
    record(actor=None, action="test.after")
    assert written == 5
    rows = list(AuditEvent.objects.order_by("seq"))
    assert [row.seq for row in rows] == list(range(1, 8))
    assert [row.action for row in rows] == ["test.before", *["test.bulk"] * 5, "test.after"]
    for previous, row in pairwise(rows):
        assert row.prev_hash == previous.hash
    bulk = rows[1:6]
    assert [(row.object_type, row.object_id, row.patient_id, row.location_id, row.changed_fields, row.reason)
            for row in bulk] == [("core.location", str(north.pk), 40 + n, north.pk, "ledger,status", f"claim {n}")
                                 for n in range(5)]
    assert len({row.occurred_at for row in bulk}) == 1  # written together, at one moment
    # Each stored hash is the hash of the row as read back: the definition verify applies.
    for row in bulk:
        assert row.hash == row_hash([getattr(row, column) for column in CHAIN_COLUMNS])
    result = verify_chain()
    assert result.ok, result.detail
    assert result.rows_checked == 7


@pytest.mark.django_db
def test_record_many_writes_the_actor_and_request_once_for_all(practice: Any, make_user: Any) -> None:
    user = make_user(Role.BILLER)
    token = context.bind(context.RequestContext(ip_address="::ffff:10.1.2.3", user_agent="x" * 400))
    try:
        record_many(actor=user, outcome=Outcome.DENIED, events=[
            Event(action="a" * 100, object_type="billing.claim", object_id=7, reason="r" * 300),
            Event(action="test.second", object_id="8"),
        ])
    finally:
        context.reset(token)
    first, second = AuditEvent.objects.order_by("seq")
    for row in (first, second):
        assert (row.actor_id, row.actor_label, row.ip_address, row.user_agent, row.outcome) == (
            user.pk, user.username, "10.1.2.3", "x" * 300, "denied")
    # Cut to the columns' lengths before hashing, so the hash is the stored text's.
    assert (first.action, first.object_id, first.reason) == ("a" * 80, "7", "r" * 200)
    assert verify_chain().ok


@pytest.mark.django_db
def test_record_many_of_nothing_writes_nothing(practice: Any) -> None:
    with CaptureQueriesContext(connection) as queries:
        assert record_many(actor=None, events=[]) == 0
    assert len(queries) == 0
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_record_many_locks_once_and_inserts_once(practice: Any) -> None:
    record(actor=None, action="test.head")
    with CaptureQueriesContext(connection) as queries:
        record_many(actor=None, events=[Event(action="test.bulk", object_id=n) for n in range(300)])
    writes = [query["sql"] for query in queries.captured_queries if "INSERT INTO" in query["sql"]]
    assert len(writes) == 1
    assert len(queries) <= 3  # the lock and the head (one round trip on PostgreSQL), the insert
    assert AuditEvent.objects.count() == 301
    assert verify_chain().ok


@pytest.mark.django_db
def test_record_many_belongs_to_the_callers_transaction(practice: Any) -> None:
    record(actor=None, action="test.kept")
    with transaction.atomic():
        record_many(actor=None, events=[Event(action="test.rolled_back", object_id=n) for n in range(3)])
        transaction.set_rollback(True)
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["test.kept"]
    record_many(actor=None, events=[Event(action="test.next")])
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == [1, 2]
    assert verify_chain().ok


@pytest.mark.postgresql
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="SQLite writers queue at BEGIN IMMEDIATE; the in-memory test database cannot be "
                           "shared by threads")
@pytest.mark.django_db(transaction=True)
def test_bulk_and_single_writers_at_once_keep_the_chain_intact(practice: Any) -> None:
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def bulk() -> None:
        try:
            start.wait(timeout=10)
            for batch in range(10):
                with transaction.atomic():
                    record_many(actor=None, events=[Event(action="test.bulk", object_id=f"{batch}-{n}")
                                                    for n in range(20)])
        except BaseException as error:  # noqa: BLE001 - reported to the main thread below
            errors.append(error)
        finally:
            connections.close_all()

    def single() -> None:
        try:
            start.wait(timeout=10)
            for number in range(40):
                record(actor=None, action="test.single", object_id=number)
        except BaseException as error:  # noqa: BLE001 - reported to the main thread below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=bulk), threading.Thread(target=single)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, 241))
    result = verify_chain()
    assert result.ok, result.detail
