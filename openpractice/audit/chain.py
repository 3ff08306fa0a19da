"""The hash chain: the canonical form of a row and the hash that links it to the previous one.

A row's hash is SHA-256 over the compact JSON array of its CHAIN_COLUMNS values (the last of which is the
previous row's hash), with the time as naive UTC ISO text with microseconds and the address as text. Whatever
type the database driver hands back, `row_hash()` brings it to that form first, so the same row hashes the
same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from datetime import UTC, datetime

GENESIS_HASH = "0" * 64

# Column order of the canonical form; verify reads exactly these columns with a raw cursor.
CHAIN_COLUMNS = (
    "seq", "occurred_at", "actor_id", "actor_label", "action", "object_type", "object_id", "patient_id",
    "location_id", "ip_address", "user_agent", "outcome", "changed_fields", "reason", "prev_hash",
)  # fmt: skip
TIME_INDEX = CHAIN_COLUMNS.index("occurred_at")
IP_INDEX = CHAIN_COLUMNS.index("ip_address")
PREV_HASH_INDEX = CHAIN_COLUMNS.index("prev_hash")

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_sha256 = hashlib.sha256


def canonical_time(value: datetime | str) -> str:
    """UTC, microseconds, no offset: the same text whether the database hands back a datetime or a string."""
    if isinstance(value, str):
        # Django stores SQLite datetimes as naive UTC "YYYY-MM-DD HH:MM:SS[.ffffff]": skip parsing those.
        if len(value) == 26 and value[10] in " T" and value[19] == ".":
            return f"{value[:10]}T{value[11:]}"
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds")


def canonical_ip(value: str | None) -> str | None:
    """The address as PostgreSQL's inet prints it back, so the hash written is the hash read.

    IPv4-mapped IPv6 becomes plain IPv4 and a zone ("%eth0") is dropped; anything that is not an address is
    not stored (None) rather than failing the write of the audit row.
    """
    if not value:
        return None
    try:
        address = ipaddress.ip_address(str(value).split("%", 1)[0].strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


def canonical_json(values: tuple | list) -> str:
    """The text that is hashed: a compact JSON array (no spaces, non-ASCII kept) of the canonical values."""
    row = list(values)
    row[TIME_INDEX] = canonical_time(row[TIME_INDEX])
    if row[IP_INDEX] is not None:  # PostgreSQL's inet may come back as an ipaddress object
        row[IP_INDEX] = str(row[IP_INDEX])
    return _dumps(row)


def hash_text(text: str) -> str:
    return _sha256(text.encode()).hexdigest()


def row_hash(values: tuple | list) -> str:
    """SHA-256 over the previous hash (last column) and the row's canonical JSON content."""
    return hash_text(canonical_json(values))
