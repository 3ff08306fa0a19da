"""The hash chain: the canonical form of a row and the hash that links it to the previous one."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

GENESIS_HASH = "0" * 64

# Column order of the canonical form; verify() reads exactly these columns with a raw cursor.
CHAIN_COLUMNS = (
    "seq", "occurred_at", "actor_id", "actor_label", "action", "object_type", "object_id", "patient_id",
    "location_id", "ip_address", "user_agent", "outcome", "changed_fields", "reason", "prev_hash",
)  # fmt: skip

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def canonical_time(value: datetime | str) -> str:
    """UTC, microseconds, no offset: the same text whether the database hands back a datetime or a string."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds")


def row_hash(values: tuple | list) -> str:
    """SHA-256 over the previous hash (last column) and the row's canonical JSON content."""
    row = list(values)
    row[1] = canonical_time(row[1])
    if row[9] is not None:  # PostgreSQL's inet may come back as an ipaddress object
        row[9] = str(row[9])
    return hashlib.sha256(_dumps(row).encode()).hexdigest()
