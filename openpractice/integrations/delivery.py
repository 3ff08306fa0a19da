"""Sending a webhook delivery: one signed POST per attempt, retried with backoff, each attempt claimed first so that
two workers (the queued task and the minute's sweep, or two task workers) never send one delivery twice.

The claim is a conditional UPDATE that moves `next_attempt_at` a lease ahead: whoever's UPDATE changes the row
sends, the other finds nothing due. No row lock is held while the network is waited for; a worker that dies
mid-send leaves the delivery due again once the lease runs out.

The request goes through http.client (the standard library under urllib) to the address urlsafety checked, so a
DNS answer that changes after the check cannot send it elsewhere; redirects are never followed (a 3xx is a
failure), the response is read only up to a few KB, and the timeout is 10 s.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone

from .models import DeliveryStatus, WebhookDelivery
from .signing import HEADER, signature
from .urlsafety import Target, resolve

# The waits after the 1st .. 5th failed attempt; the 6th failure is final.
BACKOFF: tuple[dt.timedelta, ...] = (dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=30),
                                     dt.timedelta(hours=2), dt.timedelta(hours=12))
MAX_ATTEMPTS = len(BACKOFF) + 1
TIMEOUT_SECONDS = 10
# A claimed delivery is not due again before this (the send takes at most the timeout twice: connect and read).
LEASE = dt.timedelta(seconds=2 * TIMEOUT_SECONDS + 30)
MAX_RESPONSE_BYTES = 4096
USER_AGENT = "OpenPractice-Webhooks"
OPEN_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address; the Host header still names the host."""

    def __init__(self, target: Target) -> None:
        super().__init__(target.host, target.port, timeout=TIMEOUT_SECONDS)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As above, with TLS verified against the host name (SNI and certificate), not the address."""

    def __init__(self, target: Target) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=TIMEOUT_SECONDS, context=self._tls)
        self._address = target.address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def post(*, url: str, secret: str, payload: dict[str, Any], event: str, event_id: str) -> Outcome:
    """One attempt. Never raises for what the network or the receiver does; the error is short and holds no
    secret (nor the URL, whose query may carry a receiver's token)."""
    try:
        target = resolve(url)
    except ValidationError as exc:
        return Outcome(None, f"refused: {' '.join(exc.messages)}"[:300])
    body = body_of(payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-OpenPractice-Event": event,
        "X-OpenPractice-Delivery": event_id,
        HEADER: signature(secret, body, int(time.time())),
    }
    connection: http.client.HTTPConnection = (
        _PinnedHTTPSConnection(target) if target.scheme == "https" else _PinnedHTTPConnection(target))
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        code = response.status
    except TimeoutError:
        return Outcome(None, "timed out")
    except ssl.SSLError as exc:
        return Outcome(None, f"TLS error: {exc.reason or type(exc).__name__}"[:300])
    except (OSError, http.client.HTTPException) as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:300])
    finally:
        connection.close()
    if 200 <= code < 300:
        return Outcome(code, "")
    if 300 <= code < 400:
        return Outcome(code, f"HTTP {code}: redirects are not followed")
    return Outcome(code, f"HTTP {code}")


def claim(delivery_id: int, *, now: dt.datetime) -> bool:
    """Take the delivery for one attempt if it is due; False when it is not (or another worker took it)."""
    return WebhookDelivery.objects.filter(
        pk=delivery_id, status__in=OPEN_STATUSES, next_attempt_at__lte=now,
    ).update(next_attempt_at=now + LEASE) == 1


def _finish(delivery: WebhookDelivery, outcome: Outcome, *, started: dt.datetime) -> None:
    attempts = delivery.attempts + 1
    changes: dict[str, Any] = {"attempts": F("attempts") + 1, "last_attempt_at": started,
                               "last_status_code": outcome.status_code, "last_error": outcome.error[:300]}
    if outcome.delivered:
        changes.update(status=DeliveryStatus.DELIVERED, delivered_at=timezone.now(), next_attempt_at=None)
    elif attempts >= MAX_ATTEMPTS:
        changes.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
    else:
        changes.update(status=DeliveryStatus.RETRYING, next_attempt_at=started + BACKOFF[attempts - 1])
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**changes)


def attempt(delivery_id: int, *, now: dt.datetime | None = None) -> bool | None:
    """Claim and send one delivery: True delivered, False failed (to be retried or given up), None when it was
    not due or someone else sent it."""
    started = now or timezone.now()
    if not claim(delivery_id, now=started):
        return None
    delivery = WebhookDelivery.objects.select_related("subscription__owner").get(pk=delivery_id)
    subscription = delivery.subscription
    if not subscription.is_active or not subscription.owner.is_active:
        # Stopped while this waited: give up at once rather than send on behalf of nobody.
        WebhookDelivery.objects.filter(pk=delivery_id).update(
            status=DeliveryStatus.FAILED, next_attempt_at=None, last_error="subscription deactivated")
        return False
    outcome = post(url=subscription.url, secret=subscription.secret, payload=delivery.payload,
                   event=delivery.event, event_id=str(delivery.event_id))
    _finish(delivery, outcome, started=started)
    return outcome.delivered


SWEEP_LIMIT = 500
SWEEP_SECONDS = 45.0


def send_due(*, now: dt.datetime | None = None, limit: int = SWEEP_LIMIT) -> int:
    """The minute's sweep: send the deliveries whose next attempt is due (retries, and first attempts whose task
    was lost), oldest first, for at most SWEEP_SECONDS so sweeps do not pile up. Returns how many were sent."""
    moment = now or timezone.now()
    due = list(WebhookDelivery.objects.filter(status__in=OPEN_STATUSES, next_attempt_at__lte=moment)
               .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    deadline = time.monotonic() + SWEEP_SECONDS
    sent = 0
    for delivery_id in due:
        if time.monotonic() > deadline:
            break
        if attempt(delivery_id, now=moment) is not None:
            sent += 1
    return sent
