"""The chain check names the first bad row for every kind of tampering: edit, delete, insert, reorder."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from openpractice.audit import context
from openpractice.audit import verify as verify_module
from openpractice.audit.chain import GENESIS_HASH, canonical_json, canonical_time, row_hash
from openpractice.audit.models import AuditEvent
from openpractice.audit.services import record
from openpractice.audit.verify import (
    ANCHOR_MISMATCH,
    ANCHOR_MISSING,
    BROKEN_LINK,
    GAP,
    HASH_MISMATCH,
    Head,
    VerifyResult,
    canonical_text_sql,
    chain_head,
    verify_chain,
)

from .factories import record_events
from .tampering import chain_values, copy_trail, execute, rehash, triggers_suspended

pytestmark = pytest.mark.django_db

Verify = Callable[..., VerifyResult]


@pytest.fixture(params=[True, False], ids=["database-text", "python-text"])
def verify(request: pytest.FixtureRequest) -> Verify:
    """verify_chain, once with the database building each row's text and once with Python doing it."""
    return functools.partial(verify_chain, database_text=request.param)


@pytest.fixture
def trail(practice: Any) -> dict[int, AuditEvent]:
    """Ten chained events, by seq."""
    return {event.seq: event for event in record_events(10)}


@pytest.fixture
def copy(trail: dict[int, AuditEvent]) -> str:
    return copy_trail()


def test_an_untouched_trail_verifies_and_reports_its_head(verify: Verify, trail: dict[int, AuditEvent]) -> None:
    result = verify()
    assert result.ok
    assert result.rows_checked == 10
    assert result.head == Head(10, trail[10].hash)
    assert result.first_bad_seq is None


def test_an_empty_trail_verifies(verify: Verify, db: Any) -> None:
    result = verify()
    assert result.ok
    assert result.rows_checked == 0
    assert result.head is None


def test_the_first_row_links_to_the_genesis_hash(trail: dict[int, AuditEvent]) -> None:
    assert trail[1].prev_hash == GENESIS_HASH
    assert trail[2].prev_hash == trail[1].hash


@pytest.mark.parametrize("chunk_size", [1, 3, 10, 1000])
def test_chunk_boundaries_do_not_matter(verify: Verify, trail: dict[int, AuditEvent], copy: str, chunk_size: int) -> None:
    assert verify(chunk_size=chunk_size).ok
    execute(f"UPDATE {copy} SET reason = 'changed' WHERE seq = 7")
    result = verify(table=copy, chunk_size=chunk_size)
    assert (result.ok, result.first_bad_seq) == (False, 7)


def test_an_edited_row_is_named(verify: Verify, trail: dict[int, AuditEvent], copy: str) -> None:
    execute(f"UPDATE {copy} SET action = 'nothing.to_see' WHERE seq = 4")
    result = verify(table=copy)
    assert not result.ok
    assert (result.first_bad_seq, result.first_bad_id, result.problem) == (4, trail[4].pk, HASH_MISMATCH)
    assert result.head == Head(3, trail[3].hash)
    assert verify().ok  # the original is untouched


def test_an_edited_row_whose_hash_was_recomputed_breaks_the_link_of_the_next_row(
    verify: Verify, trail: dict[int, AuditEvent], copy: str
) -> None:
    execute(f"UPDATE {copy} SET outcome = 'allowed', reason = 'nothing happened' WHERE seq = 4")
    execute(f"UPDATE {copy} SET hash = %s WHERE seq = 4", [rehash(chain_values(copy, 4))])
    result = verify(table=copy)
    assert (result.first_bad_seq, result.first_bad_id, result.problem) == (5, trail[5].pk, BROKEN_LINK)


def test_an_edited_timestamp_is_detected(verify: Verify, trail: dict[int, AuditEvent], copy: str) -> None:
    execute(f"UPDATE {copy} SET occurred_at = %s WHERE seq = 9", ["2001-01-01 00:00:00"])
    result = verify(table=copy)
    assert (result.first_bad_seq, result.problem) == (9, HASH_MISMATCH)


def test_a_deleted_row_leaves_a_gap_named_at_the_row_after_it(verify: Verify, trail: dict[int, AuditEvent], copy: str) -> None:
    execute(f"DELETE FROM {copy} WHERE seq = 6")
    result = verify(table=copy)
    assert (result.first_bad_seq, result.first_bad_id, result.problem) == (7, trail[7].pk, GAP)
    assert "6" in result.detail


def test_a_deleted_first_row_is_detected(verify: Verify, trail: dict[int, AuditEvent], copy: str) -> None:
    execute(f"DELETE FROM {copy} WHERE seq = 1")
    result = verify(table=copy)
    assert (result.first_bad_seq, result.problem) == (2, GAP)


def test_deleted_rows_renumbered_to_close_the_gap_are_detected(verify: Verify, trail: dict[int, AuditEvent], copy: str) -> None:
    execute(f"DELETE FROM {copy} WHERE seq = 6")
    execute(f"UPDATE {copy} SET seq = seq - 1 WHERE seq > 6")
    result = verify(table=copy)
    assert (result.first_bad_seq, result.first_bad_id, result.problem) == (6, trail[7].pk, BROKEN_LINK)


def test_a_forged_row_inserted_at_the_end_is_detected(verify: Verify, trail: dict[int, AuditEvent], copy: str) -> None:
    forged = chain_values(copy, 10)
    forged[0] = 11
    forged[-1] = "f" * 64  # the forger does not know, or does not bother with, the real previous hash
    execute(f"INSERT INTO {copy} (id, seq, occurred_at, actor_id, actor_label, action, object_type, object_id, "
            "patient_id, location_id, ip_address, user_agent, outcome, changed_fields, reason, prev_hash, hash) "
            "VALUES (%s, " + ", ".join(["%s"] * 16) + ")", [99999, *forged, rehash(forged)])
    result = verify(table=copy)
    assert (result.first_bad_seq, result.first_bad_id, result.problem) == (11, 99999, BROKEN_LINK)


def test_a_row_inserted_in_the_middle_is_detected(verify: Verify, trail: dict[int, AuditEvent], copy: str) -> None:
    # Make room after row 5 and slip in a well-formed row that links to row 5 with a correct hash of its own.
    execute(f"UPDATE {copy} SET seq = seq + 1 WHERE seq > 5")
    inserted = chain_values(copy, 5)
    inserted[0], inserted[4], inserted[-1] = 6, "patients.viewed", trail[5].hash
    execute(f"INSERT INTO {copy} (id, seq, occurred_at, actor_id, actor_label, action, object_type, object_id, "
            "patient_id, location_id, ip_address, user_agent, outcome, changed_fields, reason, prev_hash, hash) "
            "VALUES (%s, " + ", ".join(["%s"] * 16) + ")", [99999, *inserted, rehash(inserted)])
    result = verify(table=copy)
    # The inserted row links up; the row pushed down behind it no longer does.
    assert (result.first_bad_seq, result.first_bad_id, result.problem) == (7, trail[6].pk, BROKEN_LINK)


def test_two_rows_with_swapped_positions_are_detected(verify: Verify, trail: dict[int, AuditEvent], copy: str) -> None:
    execute(f"UPDATE {copy} SET seq = CASE seq WHEN 3 THEN 4 ELSE 3 END WHERE seq IN (3, 4)")
    result = verify(table=copy)
    # Position 3 now holds the old row 4, which points at row 3, not at row 2.
    assert (result.first_bad_seq, result.first_bad_id, result.problem) == (3, trail[4].pk, BROKEN_LINK)


def test_two_rows_with_swapped_contents_are_detected(verify: Verify, trail: dict[int, AuditEvent], copy: str) -> None:
    # Everything but the position (seq) and the primary key changes places, hashes included.
    columns = ["occurred_at", "actor_id", "actor_label", "action", "object_type", "object_id", "patient_id",
               "location_id", "ip_address", "user_agent", "outcome", "changed_fields", "reason", "prev_hash", "hash"]
    third, fourth = (execute(f"SELECT {', '.join(columns)} FROM {copy} WHERE seq = %s", [seq])[0] for seq in (3, 4))
    assignments = ", ".join(f"{column} = %s" for column in columns)
    execute(f"UPDATE {copy} SET {assignments} WHERE seq = 3", fourth)
    execute(f"UPDATE {copy} SET {assignments} WHERE seq = 4", third)
    result = verify(table=copy)
    assert (result.first_bad_seq, result.first_bad_id, result.problem) == (3, trail[3].pk, BROKEN_LINK)


def test_tampering_with_the_live_table_is_detected_too(verify: Verify, trail: dict[int, AuditEvent]) -> None:
    with triggers_suspended():
        AuditEvent.objects.filter(seq=8).update(reason="covered up")
    result = verify()
    assert (result.ok, result.first_bad_seq, result.first_bad_id) == (False, 8, trail[8].pk)


def test_deleting_the_newest_rows_cannot_be_seen_without_a_head_kept_elsewhere(
    verify: Verify, trail: dict[int, AuditEvent], copy: str
) -> None:
    kept = chain_head()
    assert kept == Head(10, trail[10].hash)
    execute(f"DELETE FROM {copy} WHERE seq > 8")
    assert verify(table=copy).ok  # the honest limit of a hash chain
    result = verify(table=copy, anchors={kept.seq: kept.hash})
    assert (result.ok, result.problem, result.first_bad_seq) == (False, ANCHOR_MISSING, 9)


def test_a_chain_rewritten_from_an_edited_row_on_is_caught_by_a_kept_head(
    verify: Verify, trail: dict[int, AuditEvent], copy: str
) -> None:
    execute(f"UPDATE {copy} SET reason = 'rewritten' WHERE seq = 5")
    previous = trail[4].hash
    for seq in range(5, 11):
        execute(f"UPDATE {copy} SET prev_hash = %s WHERE seq = %s", [previous, seq])
        previous = rehash(chain_values(copy, seq))
        execute(f"UPDATE {copy} SET hash = %s WHERE seq = %s", [previous, seq])
    assert verify(table=copy).ok  # a complete rewrite links up again
    result = verify(table=copy, anchors={10: trail[10].hash})
    assert (result.ok, result.problem, result.first_bad_seq) == (False, ANCHOR_MISMATCH, 10)
    assert verify(anchors={10: trail[10].hash, 3: trail[3].hash}).anchors_checked == (3, 10)


def test_addresses_are_stored_as_the_database_returns_them_so_the_chain_holds(verify: Verify, practice: Any) -> None:
    token = context.bind(context.RequestContext(ip_address="::FFFF:10.0.0.7", user_agent="pytest"))
    try:
        mapped = record_events(1)[0]
        context.reset(token)
        token = context.bind(context.RequestContext(ip_address="2001:DB8:0:0::1%eth0"))
        scoped = record_events(1)[0]
        context.reset(token)
        token = context.bind(context.RequestContext(ip_address="not an address"))
        junk = record_events(1)[0]
    finally:
        context.reset(token)
    assert [mapped.ip_address, scoped.ip_address, junk.ip_address] == ["10.0.0.7", "2001:db8::1", None]
    assert verify().ok


def test_text_longer_than_its_column_is_cut_before_hashing(verify: Verify, practice: Any) -> None:
    record_events(1, action="a" * 200, reason="r" * 500)
    event = AuditEvent.objects.get()
    assert (len(event.action), len(event.reason)) == (80, 200)
    assert verify().ok


@pytest.mark.parametrize("awkward", ['quo"te \\ back', "new\nline\ttab\r\x01\x1f\x7f", "é中😀 \u2028", "", "/"])
def test_the_database_builds_the_same_canonical_text_as_python(practice: Any, awkward: str) -> None:
    token = context.bind(context.RequestContext(ip_address="2001:db8::7", user_agent=awkward))
    try:
        event = record(actor=None, action="test.awkward", object_id=awkward, reason=awkward, patient_id=5)
    finally:
        context.reset(token)
    sql = canonical_text_sql(connection.vendor)
    database_text = execute(f"SELECT {sql} FROM audit_auditevent WHERE seq = %s", [event.seq])[0][0]
    assert database_text == canonical_json(chain_values("audit_auditevent", event.seq))
    assert row_hash(chain_values("audit_auditevent", event.seq)) == event.hash


def test_a_row_stored_in_an_unusual_but_equal_form_still_verifies(verify: Verify, trail: dict[int, AuditEvent], copy: str) -> None:
    # The database's shortcut text differs (seconds without a fraction, written as ISO with an offset);
    # the row is then judged by the Python definition, which finds it unchanged.
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL stores a timestamp, not text")
    stored = chain_values(copy, 4)[1]
    execute(f"UPDATE {copy} SET occurred_at = %s WHERE seq = 4", [canonical_time(stored) + "+00:00"])
    assert verify(table=copy).ok
    assert canonical_time("2026-03-01 10:00:00") == "2026-03-01T10:00:00.000000"
    assert canonical_time("2026-03-01T10:00:00.000001+00:00") == "2026-03-01T10:00:00.000001"


def test_only_table_names_are_accepted(db: Any) -> None:
    with pytest.raises(ValueError, match="not a table name"):
        verify_chain(table="audit_auditevent; DROP TABLE x")
    with pytest.raises(ValueError, match="chunk_size"):
        verify_chain(chunk_size=0)


def test_verify_reads_on_the_connection_it_is_given(verify: Verify, trail: dict[int, AuditEvent]) -> None:
    assert verify(using=connection.alias).rows_checked == 10


@pytest.mark.django_db(transaction=True)
def test_verify_outside_any_transaction_reads_the_committed_rows(verify: Verify, practice: Any) -> None:
    # As in production: no test transaction around it (PostgreSQL opens its own, read-only).
    events = record_events(5)
    result = verify(chunk_size=2)
    assert (result.ok, result.rows_checked, result.head) == (True, 5, Head(5, events[-1].hash))


def test_many_rows_in_an_unusual_form_make_the_walk_start_again_in_python(
    trail: dict[int, AuditEvent], copy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL stores a timestamp, not text")
    monkeypatch.setattr(verify_module, "_SUSPECTS_LIMIT", 2)
    for seq in range(1, 11):
        stored = chain_values(copy, seq)[1]
        execute(f"UPDATE {copy} SET occurred_at = %s WHERE seq = %s", [canonical_time(stored) + "+00:00", seq])
    assert verify_chain(table=copy).ok
    execute(f"UPDATE {copy} SET object_type = 'edited' WHERE seq = 8")
    result = verify_chain(table=copy)
    assert (result.first_bad_seq, result.problem) == (8, HASH_MISMATCH)


def test_a_walk_stopped_early_leaves_the_connection_usable(verify: Verify, trail: dict[int, AuditEvent],
                                                           copy: str) -> None:
    execute(f"DELETE FROM {copy} WHERE seq = 2")
    assert verify(table=copy, chunk_size=1).first_bad_seq == 3
    assert AuditEvent.objects.count() == 10
