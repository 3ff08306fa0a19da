"""The one way secrets that act as credentials (API tokens, invitation links) are stored: their SHA-256."""

from __future__ import annotations

import hashlib


def token_digest(token: str) -> str:
    """Hex SHA-256 of `token`. The tokens are long random strings, so a fast unsalted hash is enough: there is
    nothing to brute-force, and the unique index on the digest finds the row."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
