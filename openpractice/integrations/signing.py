"""The webhook signature, for our sender and for anyone writing a receiver.

Every delivery carries

    X-OpenPractice-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

A receiver recomputes the HMAC over the exact bytes of the body it received, compares it in constant time, and
refuses a timestamp more than a few minutes away from its clock (a replayed request). `verify()` below is such a
receiver check; the tests use it against what a real HTTP server received.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "X-OpenPractice-Signature"
TOLERANCE_SECONDS = 300


def signature(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, body: bytes, header: str, *, now: float | None = None,
           tolerance: int = TOLERANCE_SECONDS) -> bool:
    """True when `header` signs `body` with `secret` and its timestamp is within `tolerance` seconds of now."""
    fields: dict[str, str] = {}
    for part in (header or "").split(","):
        key, _sep, value = part.strip().partition("=")
        fields.setdefault(key, value)
    try:
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, fields.get("v1", ""))
