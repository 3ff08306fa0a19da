"""Proving the audit trail: walk every row in chain order and check that it still links up.

For each row, in `seq` order:
  (c) `seq` is the next number (the chain starts at 1 and has no gaps),
  (a) `prev_hash` equals the hash stored in the row before (the genesis hash for the first row),
  (b) the stored `hash` equals SHA-256 recomputed over the row's content.
An edited row fails (b) (or, if the editor recomputed its hash, the next row fails (a)); a deleted row leaves a
gap (c); an inserted or moved row breaks (a) and (b). The walk stops at the FIRST bad row and names it.

What the chain alone cannot prove: that rows were not removed from the END (the newest rows), nor that someone
with write access did not recompute every hash from an edited row onwards. Both are caught by comparing with a
head (seq + hash) written down earlier and kept outside the database: pass it as an anchor.

Speed (one million rows in a few seconds): the database builds each row's canonical text (SQLite's json_array,
PostgreSQL's to_json/concat), so Python only hashes one string per row instead of converting 15 columns; rows
are streamed in chunks (PostgreSQL keeps producing the next rows while Python hashes), so memory stays flat.
The database's text is only a shortcut: a row whose text does not hash to its stored hash is read again column
by column and judged by chain.row_hash(), the definition.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Generator, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

from .chain import CHAIN_COLUMNS, GENESIS_HASH, canonical_json, row_hash
from .models import AuditEvent

DEFAULT_CHUNK_SIZE = 5_000
# Rows whose database-built text did not hash right, kept to be judged once the stream is closed. Past this many
# the shortcut is clearly not working for this data, and the walk starts again in Python.
_SUSPECTS_LIMIT = 1_000
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")

# Why a row is bad. The codes are stable (they appear in --json output); the texts are for people.
GAP = "gap"
OUT_OF_ORDER = "out_of_order"
BROKEN_LINK = "broken_link"
HASH_MISMATCH = "hash_mismatch"
UNREADABLE = "unreadable"
ANCHOR_MISMATCH = "anchor_mismatch"
ANCHOR_MISSING = "anchor_missing"


@dataclass(frozen=True)
class Head:
    """The newest row of the chain: write it down somewhere else to detect later truncation or rewriting."""

    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"

    @classmethod
    def parse(cls, text: str) -> Head:
        """Read "SEQ:HASH" as printed by `openpractice audit head`."""
        seq_text, _, hash_text = text.strip().partition(":")
        if not seq_text.isdigit() or int(seq_text) < 1 or not re.fullmatch(r"[0-9a-f]{64}", hash_text):
            raise ValueError(f"expected SEQ:HASH (a positive number, a colon and 64 hex digits), got {text!r}")
        return cls(seq=int(seq_text), hash=hash_text)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    rows_checked: int
    seconds: float
    # The last row that checked out: the head of the chain when `ok`.
    head: Head | None = None
    # The first bad row: where the chain stops being trustworthy.
    first_bad_seq: int | None = None
    first_bad_id: int | None = None
    problem: str = ""
    detail: str = ""
    anchors_checked: tuple[int, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["head"] = asdict(self.head) if self.head else None
        data["anchors_checked"] = list(self.anchors_checked)
        data["seconds"] = round(self.seconds, 3)
        return data


# PostgreSQL: concat() with to_json() only where text is free-form, which is about twice as fast as to_json() on
# every column. Codes, labels and hashes never need escaping; if one ever does, the row is rechecked (see above).
_PG_TIME = """to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')"""
_PG_PARTS = {
    "seq": "coalesce(seq::text, 'null')",
    "occurred_at": f"""coalesce('"' || {_PG_TIME} || '"', 'null')""",
    "actor_id": "coalesce(actor_id::text, 'null')",
    "patient_id": "coalesce(patient_id::text, 'null')",
    "location_id": "coalesce(location_id::text, 'null')",
    "ip_address": """coalesce('"' || host(ip_address) || '"', 'null')""",
    "actor_label": "coalesce(to_json(actor_label)::text, 'null')",
    "object_id": "coalesce(to_json(object_id)::text, 'null')",
    "user_agent": "coalesce(to_json(user_agent)::text, 'null')",
    "reason": "coalesce(to_json(reason)::text, 'null')",
}
# SQLite: Django stores "YYYY-MM-DD HH:MM:SS[.ffffff]" (naive UTC); json_array() escapes like Python's json.
_SQLITE_TIME = (
    "CASE WHEN length(occurred_at) = 19 THEN replace(occurred_at, ' ', 'T') || '.000000' "
    "ELSE replace(occurred_at, ' ', 'T') END"
)


def canonical_text_sql(vendor: str) -> str | None:
    """An SQL expression for a row's canonical JSON text, or None where only Python can build it."""
    if vendor == "sqlite":
        columns = [_SQLITE_TIME if name == "occurred_at" else name for name in CHAIN_COLUMNS]
        return f"json_array({', '.join(columns)})"
    if vendor == "postgresql":
        parts = [_PG_PARTS.get(name, f"""coalesce('"' || {name} || '"', 'null')""") for name in CHAIN_COLUMNS]
        return "concat('[', " + ", ',', ".join(parts) + ", ']')"
    return None


Row = tuple[Any, Any, Any, Any, Any]  # (canonical text or None, seq, prev_hash, id, hash)


def _stream(connection: BaseDatabaseWrapper, table: str, chunk_size: int,
            database_text: bool) -> Generator[Row, None, None]:
    """Every row in chain order, as (canonical text, seq, prev_hash, id, hash)."""
    quoted = connection.ops.quote_name(table)
    text_sql = canonical_text_sql(connection.vendor) if database_text else None
    if text_sql is None:
        sql = f"SELECT {', '.join(CHAIN_COLUMNS)}, id, hash FROM {quoted} ORDER BY seq"  # noqa: S608
        for row in _fetch(connection, sql, chunk_size):
            yield _python_text(row[:-2]), row[0], row[-3], row[-2], row[-1]
        return
    yield from _fetch(connection, f"SELECT {text_sql}, seq, prev_hash, id, hash FROM {quoted} ORDER BY seq",  # noqa: S608
                      chunk_size)


def _fetch(connection: BaseDatabaseWrapper, sql: str, chunk_size: int) -> Iterator[tuple[Any, ...]]:
    if connection.vendor == "postgresql":
        # psycopg's stream(): the server sends rows while we hash the ones received (chunked with libpq 17+).
        connection.ensure_connection()
        raw: Any = connection.connection
        from psycopg import NotSupportedError

        with raw.cursor() as cursor:
            try:
                yield from cursor.stream(sql, size=chunk_size)
            except NotSupportedError:  # libpq before 17: one row at a time
                yield from cursor.stream(sql)
        return
    # SQLite (and others): a plain cursor steps through the result as we fetch; no transaction, because ours
    # begin IMMEDIATE and would hold the write lock for the whole walk. One SELECT reads one snapshot (WAL).
    with connection.cursor() as cursor:
        cursor.execute(sql)
        while rows := cursor.fetchmany(chunk_size):
            yield from rows


def _python_text(values: tuple[Any, ...]) -> str | None:
    try:
        return canonical_json(values)
    except (TypeError, ValueError):
        return None


def _judge(connection: BaseDatabaseWrapper, table: str, row_id: Any, seq: Any, stored: Any) -> str | None:
    """Judge one row by the definition (chain.row_hash over its columns): None if fine, else the problem."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(CHAIN_COLUMNS)} FROM {connection.ops.quote_name(table)} "  # noqa: S608
            "WHERE id = %s AND seq = %s",
            [row_id, seq],
        )
        values = cursor.fetchone()
    try:
        return None if values is not None and row_hash(values) == stored else HASH_MISMATCH
    except (TypeError, ValueError):
        return UNREADABLE


@dataclass(frozen=True)
class _Position:
    """Where the walk stood at a row: the seq it expected and the hash of the last good row."""

    expected_seq: int
    prev_hash: str


class _RestartInPython(Exception):
    pass


def _walk(connection: BaseDatabaseWrapper, table: str, chunk_size: int, anchors: Mapping[int, str],
          started: float, database_text: bool) -> VerifyResult:
    expected_seq = 1  # every row before this one checked out
    prev_hash = GENESIS_HASH
    sha256 = hashlib.sha256
    suspects: list[tuple[_Position, Any, Any, Any]] = []
    failure: tuple[_Position, Any, Any, str, str] | None = None

    def result(position: _Position, seq: Any, row_id: Any, problem: str, detail: str) -> VerifyResult:
        last_good = position.expected_seq - 1
        return VerifyResult(
            ok=False, rows_checked=last_good if problem == ANCHOR_MISSING else last_good + 1,
            seconds=time.perf_counter() - started,
            head=Head(last_good, position.prev_hash) if last_good else None,
            first_bad_seq=seq, first_bad_id=row_id, problem=problem, detail=detail,
            anchors_checked=tuple(sorted(a for a in anchors if a <= last_good)),
        )

    rows = _stream(connection, table, chunk_size, database_text)
    for text, seq, row_prev_hash, row_id, stored in rows:
        if seq != expected_seq:
            if isinstance(seq, int) and seq > expected_seq:
                missing = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}–{seq - 1}"
                failure = (_Position(expected_seq, prev_hash), seq, row_id, GAP,
                           f"Row {seq} follows row {expected_seq - 1}: row(s) {missing} are missing (deleted).")
            else:
                failure = (_Position(expected_seq, prev_hash), seq, row_id, OUT_OF_ORDER,
                           f"Row numbered {seq!r} appears where row {expected_seq} should be: rows were inserted "
                           "or renumbered.")
            break
        if row_prev_hash != prev_hash:
            before = f"row {seq - 1}" if seq > 1 else "the start of the chain"
            failure = (_Position(expected_seq, prev_hash), seq, row_id, BROKEN_LINK,
                       f"Row {seq} does not point at {before} (its prev_hash differs): a row was inserted, removed "
                       "or moved here, or the row before it was rewritten.")
            break
        if text is None or sha256(text.encode()).hexdigest() != stored:
            # Judged after the stream is closed (the connection is busy until then); the walk goes on.
            suspects.append((_Position(expected_seq, prev_hash), seq, row_id, stored))
            if len(suspects) > _SUSPECTS_LIMIT:
                break
        if anchors and anchors.get(seq, stored) != stored:
            failure = (_Position(expected_seq, prev_hash), seq, row_id, ANCHOR_MISMATCH,
                       f"Row {seq}'s hash differs from the head written down earlier: the chain was rewritten "
                       "from this row or before it.")
            break
        prev_hash = stored
        expected_seq += 1
    rows.close()  # frees the connection (PostgreSQL cancels the rest of the stream) for the checks below

    for position, seq, row_id, stored in suspects[:_SUSPECTS_LIMIT]:
        problem = _judge(connection, table, row_id, seq, stored)
        if problem == UNREADABLE:
            return result(position, seq, row_id, UNREADABLE, f"Row {seq} cannot be read as an audit event.")
        if problem == HASH_MISMATCH:
            return result(position, seq, row_id, HASH_MISMATCH,
                          f"Row {seq}'s content does not match its stored hash: the row was edited.")
    if len(suspects) > _SUSPECTS_LIMIT:
        raise _RestartInPython
    if failure is not None:
        return result(*failure)
    beyond = sorted(seq for seq in anchors if seq >= expected_seq)
    if beyond:
        last = expected_seq - 1
        return result(_Position(expected_seq, prev_hash), last + 1, None, ANCHOR_MISSING,
                      f"The chain ends at row {last}, but row {beyond[-1]} existed when the head was written "
                      "down: the newest rows were deleted.")
    return VerifyResult(ok=True, rows_checked=expected_seq - 1, seconds=time.perf_counter() - started,
                        head=Head(expected_seq - 1, prev_hash) if expected_seq > 1 else None,
                        anchors_checked=tuple(sorted(anchors)))


def verify_chain(
    *,
    using: str = "default",
    table: str | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    anchors: Mapping[int, str] | None = None,
    database_text: bool = True,
) -> VerifyResult:
    """Check the whole chain and name the first bad row.

    `using` picks the database alias and `table` another table with the same columns (a copy restored from a
    backup, say). `anchors` maps seq -> hash of heads written down earlier (see `openpractice audit head`).
    `database_text=False` builds every row's canonical text in Python (slower; the same verdict).
    """
    table = table or AuditEvent._meta.db_table
    if not _IDENTIFIER.match(table):
        raise ValueError(f"not a table name: {table!r}")
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    started = time.perf_counter()
    connection = connections[using]
    anchors = dict(anchors or {})
    try:
        return _walk(connection, table, chunk_size, anchors, started, database_text)
    except _RestartInPython:
        return _walk(connection, table, chunk_size, anchors, started, database_text=False)


def chain_head(*, using: str = "default", table: str | None = None) -> Head | None:
    """The newest row's seq and hash, as stored (not verified)."""
    table = table or AuditEvent._meta.db_table
    if not _IDENTIFIER.match(table):
        raise ValueError(f"not a table name: {table!r}")
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT seq, hash FROM {connection.ops.quote_name(table)} ORDER BY seq DESC LIMIT 1")  # noqa: S608
        row = cursor.fetchone()
    return Head(seq=int(row[0]), hash=str(row[1])) if row else None
