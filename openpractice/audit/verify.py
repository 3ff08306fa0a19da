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

Rows are read with a raw cursor in chunks (a server-side cursor on PostgreSQL), so memory stays flat and one
million rows take a few seconds.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import connections, transaction

from .chain import CHAIN_COLUMNS, GENESIS_HASH, canonical_json, row_hash
from .models import AuditEvent

DEFAULT_CHUNK_SIZE = 20_000
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


# The canonical text of a row, built by the database: much cheaper than turning 15 columns into Python objects
# and encoding them again. It is only a shortcut: when its hash does not match, the row is read again column by
# column and judged by chain.row_hash(), the definition. SQLite's json_array() and PostgreSQL's to_json() escape
# strings exactly as Python's json module does (tests/test_verify.py checks awkward text).
_PG_TIME = """to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')"""
_SQLITE_TIME = (  # Django stores "YYYY-MM-DD HH:MM:SS[.ffffff]" (naive UTC)
    "CASE WHEN length(occurred_at) = 19 THEN replace(occurred_at, ' ', 'T') || '.000000' "
    "ELSE replace(occurred_at, ' ', 'T') END"
)
_PG_JSON = {"occurred_at": f"to_json({_PG_TIME})", "ip_address": "to_json(host(ip_address))"}
_INTEGER_COLUMNS = {"seq", "actor_id", "patient_id", "location_id"}


def canonical_text_sql(vendor: str) -> str | None:
    """An SQL expression for the row's canonical JSON text, or None where Python must build it."""
    if vendor == "sqlite":
        columns = [_SQLITE_TIME if name == "occurred_at" else name for name in CHAIN_COLUMNS]
        return f"json_array({', '.join(columns)})"
    if vendor == "postgresql":
        parts = []
        for name in CHAIN_COLUMNS:
            value = f"{name}::text" if name in _INTEGER_COLUMNS else f"{_PG_JSON.get(name, f'to_json({name})')}::text"
            parts.append(f"coalesce({value}, 'null')")
        return "'[' || " + " || ',' || ".join(parts) + " || ']'"
    return None


def _rows(using: str, table: str, chunk_size: int) -> Iterator[list[tuple[Any, ...]]]:
    """Chunks of (canonical text, seq, prev_hash, id, hash) in chain order."""
    connection = connections[using]
    quoted = connection.ops.quote_name(table)
    text_sql = canonical_text_sql(connection.vendor)
    columns = f"{text_sql}, seq, prev_hash, id, hash" if text_sql else f"{', '.join(CHAIN_COLUMNS)}, id, hash"
    # chunked_cursor(): a named (server-side) cursor on PostgreSQL, a plain streaming one on SQLite.
    with connection.chunked_cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {quoted} ORDER BY seq")  # noqa: S608 - identifiers only
        while rows := cursor.fetchmany(chunk_size):
            if text_sql:
                yield rows
            else:
                yield [(_python_text(row[:-2]), row[0], row[-3], row[-2], row[-1]) for row in rows]


def _python_text(values: tuple[Any, ...]) -> str | None:
    try:
        return canonical_json(values)
    except (TypeError, ValueError):
        return None


def _recheck(using: str, table: str, row_id: Any, seq: Any, stored: str) -> str | None:
    """The database's canonical text did not hash to the stored hash: judge the row by the definition.
    Returns None if the row is fine after all, else the problem code."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(CHAIN_COLUMNS)} FROM {connection.ops.quote_name(table)} "  # noqa: S608
            "WHERE id = %s AND seq = %s",
            [row_id, seq],
        )
        values = cursor.fetchone()
    if values is None:
        return UNREADABLE
    try:
        recomputed = row_hash(values)
    except (TypeError, ValueError):
        return UNREADABLE
    return None if recomputed == stored else HASH_MISMATCH


def _walk(using: str, table: str, chunk_size: int, anchors: Mapping[int, str], started: float) -> VerifyResult:
    expected_seq = 1  # every row before this one checked out
    prev_hash = GENESIS_HASH
    sha256 = hashlib.sha256

    def bad(seq: int | None, row_id: int | None, problem: str, detail: str) -> VerifyResult:
        head = Head(expected_seq - 1, prev_hash) if expected_seq > 1 else None
        checked = expected_seq - 1 if problem == ANCHOR_MISSING else expected_seq  # the good ones + the bad one
        return VerifyResult(ok=False, rows_checked=checked, seconds=time.perf_counter() - started, head=head,
                            first_bad_seq=seq, first_bad_id=row_id, problem=problem, detail=detail,
                            anchors_checked=tuple(sorted(a for a in anchors if a < expected_seq)))

    for rows in _rows(using, table, chunk_size):
        for text, seq, row_prev_hash, row_id, stored in rows:
            if seq != expected_seq:
                if isinstance(seq, int) and seq > expected_seq:
                    missing = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}–{seq - 1}"
                    return bad(seq, row_id, GAP,
                               f"Row {seq} follows row {expected_seq - 1}: row(s) {missing} are missing (deleted).")
                return bad(seq, row_id, OUT_OF_ORDER,
                           f"Row numbered {seq!r} appears where row {expected_seq} should be: rows were "
                           "inserted or renumbered.")
            if row_prev_hash != prev_hash:
                before = f"row {seq - 1}" if seq > 1 else "the start of the chain"
                return bad(seq, row_id, BROKEN_LINK,
                           f"Row {seq} does not point at {before} (its prev_hash differs): a row was inserted, "
                           "removed or moved here, or the row before it was rewritten.")
            if text is None or sha256(text.encode()).hexdigest() != stored:
                problem = _recheck(using, table, row_id, seq, stored)
                if problem is not None:
                    if problem == UNREADABLE:
                        return bad(seq, row_id, UNREADABLE, f"Row {seq} cannot be read as an audit event.")
                    return bad(seq, row_id, HASH_MISMATCH,
                               f"Row {seq}'s content does not match its stored hash: the row was edited.")
            if anchors and anchors.get(seq, stored) != stored:
                return bad(seq, row_id, ANCHOR_MISMATCH,
                           f"Row {seq}'s hash differs from the head written down earlier: the chain was "
                           "rewritten from this row or before it.")
            prev_hash = stored
            expected_seq += 1
    beyond = sorted(seq for seq in anchors if seq >= expected_seq)
    if beyond:
        last = expected_seq - 1
        return bad(last + 1, None, ANCHOR_MISSING,
                   f"The chain ends at row {last}, but row {beyond[-1]} existed when the head was written down: "
                   "the newest rows were deleted.")
    head = Head(expected_seq - 1, prev_hash) if expected_seq > 1 else None
    return VerifyResult(ok=True, rows_checked=expected_seq - 1, seconds=time.perf_counter() - started, head=head,
                        anchors_checked=tuple(sorted(anchors)))


def verify_chain(
    *,
    using: str = "default",
    table: str | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    anchors: Mapping[int, str] | None = None,
) -> VerifyResult:
    """Check the whole chain and name the first bad row.

    `using` picks the database alias and `table` another table with the same columns (a copy restored from a
    backup, say). `anchors` maps seq -> hash of heads written down earlier (see `openpractice audit head`).
    """
    table = table or AuditEvent._meta.db_table
    if not _IDENTIFIER.match(table):
        raise ValueError(f"not a table name: {table!r}")
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    started = time.perf_counter()
    connection = connections[using]
    anchors = dict(anchors or {})
    if connection.vendor == "postgresql":
        # A named cursor lives inside a transaction; a read-only one, since verifying changes nothing.
        outermost = not connection.in_atomic_block
        with transaction.atomic(using=using):
            if outermost:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION READ ONLY")
            return _walk(using, table, chunk_size, anchors, started)
    # SQLite: no transaction, because ours begin IMMEDIATE and would hold the write lock for the whole walk;
    # a single SELECT already reads one consistent snapshot (WAL).
    return _walk(using, table, chunk_size, anchors, started)


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
