"""Parsing ids out of query strings and form values, the one way every scheduling view does it."""

from __future__ import annotations

from typing import Any

# Database ids are 64-bit at most; anything longer is not an id (and int() of a huge string is slow).
MAX_ID_DIGITS = 18


def parse_id(value: Any) -> int | None:
    """A positive id from "42" (or 42); None for anything else: "", "abc", "-1", "0", "4.2", and digits that
    str.isdigit() accepts but int() refuses or reads differently ("²", "٤٢")."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 < value < 10**MAX_ID_DIGITS else None
    if not isinstance(value, str) or not value.isascii() or not value.isdecimal() or len(value) > MAX_ID_DIGITS:
        return None
    number = int(value)
    return number if number > 0 else None
