"""Test helpers that play the attacker: they change audit rows behind the application's back.

The append-only triggers stop the application; an attacker with the database owner's rights could set them
aside, and so do these helpers, always inside the test's transaction (which is rolled back)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connections, transaction

from openpractice.audit.chain import CHAIN_COLUMNS, row_hash

TABLE = "audit_auditevent"


@contextmanager
def triggers_suspended(using: str = "default", table: str = TABLE) -> Iterator[None]:
    """Within a transaction: the table's own triggers are off (PostgreSQL) or dropped and re-created (SQLite)."""
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ALTER TABLE waits for no deferred foreign-key checks: run those now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            yield
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table])
            saved = cursor.fetchall()
            for name, _sql in saved:
                cursor.execute(f'DROP TRIGGER "{name}"')
            yield
            for _name, sql in saved:
                cursor.execute(sql)


def empty_audit_trail(using: str = "default") -> None:
    """Delete every audit row (triggers set aside), so that a test database can be flushed."""
    with triggers_suspended(using), connections[using].cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")


def copy_trail(name: str = "audit_copy", using: str = "default") -> str:
    """A copy of the audit table (no triggers, no constraints) to tamper with; returns its name."""
    with connections[using].cursor() as cursor:
        cursor.execute(f"CREATE TABLE {name} AS SELECT * FROM {TABLE}")
    return name


def execute(sql: str, params: Sequence[Any] = (), using: str = "default") -> list[tuple[Any, ...]]:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall() if cursor.description else []


def chain_values(table: str, seq: int, using: str = "default") -> list[Any]:
    """The chain columns of one row, as the database hands them back."""
    rows = execute(f"SELECT {', '.join(CHAIN_COLUMNS)} FROM {table} WHERE seq = %s", [seq], using)
    return list(rows[0])


def rehash(values: Sequence[Any]) -> str:
    return row_hash(list(values))
