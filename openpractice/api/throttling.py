"""Rate limits per caller: per API token for bearer callers (two tokens of one user count apart), per user for
browser sessions. Rates come from settings (read on every request, so they can change without a rebuild):

- OPENPRACTICE_API_RATE_LIMIT (default "600/min"): every call;
- OPENPRACTICE_API_WRITE_RATE_LIMIT (default "120/min"): POST, PUT, PATCH and DELETE, counted as well.

A rate reads "<calls>/<period>", the period one of s, sec, m, min, h, hour, d, day, optionally with a count
("100/5m"); "off" (or empty) turns that limit off. Counting is a fixed window per period in the Django cache
(`add` + `incr`: atomic in Redis and LocMem, so several app servers sharing Redis share the count). Over the
limit the API answers 429 `throttled` with Retry-After: the seconds until the window ends.

`TokenRateThrottle` is installed on the whole API (NinjaAPI(throttle=...)); `check_rate(request)` is the same
check for views outside django-ninja (the FHIR facade): call it once the caller is authenticated; it
answers the seconds to wait, or None.
"""

from __future__ import annotations

import math
import re
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

DEFAULT_RATE = "600/min"
DEFAULT_WRITE_RATE = "120/min"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([a-z]+)\s*$")


@dataclass(frozen=True)
class Rate:
    calls: int
    seconds: int


def parse_rate(text: str | None) -> Rate | None:
    """"600/min" -> Rate(600, 60); "off", "" or None -> None (no limit)."""
    if text is None or text.strip().lower() in {"", "off", "none"}:
        return None
    match = _RATE.match(text.lower())
    if match is None or match.group(3) not in _PERIODS or int(match.group(1)) < 1:
        raise ImproperlyConfigured(f"Not an API rate limit: {text!r} (write e.g. '600/min' or 'off').")
    multiple = int(match.group(2)) if match.group(2) else 1
    return Rate(calls=int(match.group(1)), seconds=max(1, multiple) * _PERIODS[match.group(3)])


def caller_identity(request: HttpRequest) -> str | None:
    """Whose bucket a call counts in: the API token (set by BearerTokenAuth), else the signed-in user."""
    token_id = getattr(request, "api_token_id", None)
    if token_id is not None:
        return f"token:{token_id}"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return None


def _count(scope: str, identity: str, rate: Rate, now: float) -> float | None:
    """Count one call in the current window; the seconds left in the window when it is over the limit."""
    window = int(now // rate.seconds)
    key = f"op:api-rate:{scope}:{identity}:{rate.seconds}:{window}"
    cache.add(key, 0, timeout=rate.seconds + 1)
    try:
        calls = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=rate.seconds + 1)
        calls = 1
    if calls <= rate.calls:
        return None
    return (window + 1) * rate.seconds - now


def rate_limit_wait(request: HttpRequest, *, now: float | None = None) -> float | None:
    """Count this call against the caller's limits: None when it may go ahead, else the seconds to wait."""
    identity = caller_identity(request)
    if identity is None:
        return None
    moment = time.time() if now is None else now
    limits = [("all", getattr(settings, "OPENPRACTICE_API_RATE_LIMIT", DEFAULT_RATE))]
    if (request.method or "").upper() in UNSAFE_METHODS:
        limits.append(("write", getattr(settings, "OPENPRACTICE_API_WRITE_RATE_LIMIT", DEFAULT_WRITE_RATE)))
    waits = []
    for scope, text in limits:
        rate = parse_rate(text)
        if rate is not None:
            wait = _count(scope, identity, rate, moment)
            if wait is not None:
                waits.append(wait)
    return max(waits) if waits else None


def retry_after(wait: float) -> str:
    """The Retry-After header value: whole seconds, at least one."""
    return str(max(1, math.ceil(wait)))


def check_rate(request: HttpRequest) -> int | None:
    """For views outside django-ninja (FHIR), once the caller is authenticated: count the call; None when it may go
    ahead, else the whole seconds to wait (answer 429 with `Retry-After: <seconds>`)."""
    wait = rate_limit_wait(request)
    return None if wait is None else max(1, math.ceil(wait))


class TokenRateThrottle(BaseThrottle):
    """django-ninja's hook: runs after authentication on every operation."""

    # ninja asks wait() right after allow_request() on the same thread; one instance serves every request.
    _last = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        wait = rate_limit_wait(request)
        self._last.wait = wait
        return wait is None

    def wait(self) -> float | None:
        wait = getattr(self._last, "wait", None)
        return None if wait is None else max(1.0, float(math.ceil(wait)))
