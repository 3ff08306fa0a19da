"""Idempotency keys for API calls that move money or stock: a retry with the same key answers what the first call
answered instead of doing the work twice.

The first call *claims* the key: a row is inserted (and committed) with no answer yet, so a concurrent retry sees
"in progress"; the database's unique (user, key) constraint decides who was first, on SQLite and PostgreSQL
alike. When the first call has answered, its status and body are *stored*; if it failed on our side (5xx, or it
raised), the claim is *released* so that the client may try again. Keys live 24 hours (`purge_expired`).
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from openpractice.audit.services import record as audit_record

from .models import IdempotencyRecord

MAX_KEY_LENGTH = 80  # IdempotencyRecord.key
MAX_PATH_LENGTH = 300  # IdempotencyRecord.path
KEY_LIFETIME = timedelta(hours=24)


class Outcome(enum.Enum):
    PROCEED = "proceed"  # the key is ours: do the work, then store() or release()
    REPLAY = "replay"  # answered before with this request: send record.status_code / record.response_body
    CONFLICT = "conflict"  # the key was used for a different request (body, path or method)
    IN_PROGRESS = "in_progress"  # the first request with this key has not answered yet


@dataclass(frozen=True)
class Claim:
    outcome: Outcome
    record: IdempotencyRecord


def key_problem(key: str) -> str | None:
    """Why a (stripped) header value cannot be a key: "required" when empty, "invalid" when too long or not
    printable; None when it is usable."""
    if not key:
        return "required"
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        return "invalid"
    return None


def request_fingerprint(body: Any) -> str:
    """SHA-256 of the request's meaning: the JSON form of the parsed body, keys sorted (so that key order and
    whitespace do not make two identical requests differ)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _existing(user: Any, key: str, method: str, path: str, fingerprint: str) -> Claim | None:
    found = IdempotencyRecord.objects.filter(user=user, key=key).first()
    if found is None:
        return None
    if found.created_at < timezone.now() - KEY_LIFETIME:
        # Expired but not yet purged: the key is free again.
        IdempotencyRecord.objects.filter(pk=found.pk, created_at=found.created_at).delete()
        return None
    if (found.method, found.path, found.request_hash) != (method, path, fingerprint):
        return Claim(Outcome.CONFLICT, found)
    if found.status_code is None:
        return Claim(Outcome.IN_PROGRESS, found)
    audit_record(actor=user, action="api.idempotent_replay", target=found,
                 reason=f"{method} {path}"[:200])
    return Claim(Outcome.REPLAY, found)


def claim(*, user: Any, key: str, method: str, path: str, body: Any) -> Claim:
    """Claim `key` for this request, or say why not. The claim is committed at once (outside any transaction of
    the work that follows), so that a concurrent retry sees it."""
    method = method.upper()[:8]
    path = path[:MAX_PATH_LENGTH]
    fingerprint = request_fingerprint(body)
    for _attempt in range(3):
        existing = _existing(user, key, method, path, fingerprint)
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                made = IdempotencyRecord.objects.create(user=user, key=key, method=method, path=path,
                                                        request_hash=fingerprint)
        except IntegrityError:
            # Another request with this key inserted first: read what it is (in progress, or answered).
            continue
        return Claim(Outcome.PROCEED, made)
    # Three races in a row (an expired row deleted and re-claimed by others each time): say "in progress".
    return Claim(Outcome.IN_PROGRESS, IdempotencyRecord(user=user, key=key, method=method, path=path,
                                                        request_hash=fingerprint))


def store(*, record: IdempotencyRecord, status_code: int, body: str) -> None:
    """Keep the answer given to the claimed request (any status below 500)."""
    IdempotencyRecord.objects.filter(pk=record.pk).update(status_code=status_code, response_body=body)
    record.status_code, record.response_body = status_code, body


def release(*, record: IdempotencyRecord) -> None:
    """Forget the claim of a request that failed on our side: the client may retry with the same key."""
    IdempotencyRecord.objects.filter(pk=record.pk, status_code__isnull=True).delete()


def purge_expired(*, now: Any = None) -> int:
    """Delete the records older than KEY_LIFETIME; returns how many."""
    cutoff = (now or timezone.now()) - KEY_LIFETIME
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
