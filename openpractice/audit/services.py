"""Writing to the audit trail. `record()` is called by services inside their own transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from openpractice.core.bulk_insert import insert_rows

from . import context
from .chain import CHAIN_COLUMNS, GENESIS_HASH, canonical_ip, row_hash
from .models import AuditEvent, Outcome

# Any fixed 64-bit number: the PostgreSQL advisory lock that serialises appends to the chain.
_CHAIN_LOCK_KEY = 0x0A0D17_C4A1
# Two statements in one round trip (constants only: no parameters may be bound to a multi-statement query).
_LOCK_AND_HEAD_SQL = (
    f"SELECT pg_advisory_xact_lock({_CHAIN_LOCK_KEY:d}); "  # noqa: S608 - an integer constant
    "SELECT seq, hash FROM audit_auditevent ORDER BY seq DESC LIMIT 1"
)


def _lock_chain_and_read_head() -> tuple[int, str] | None:
    """Make appends take turns so each row links to the one before it; return the newest (seq, hash).

    SQLite: our transactions are BEGIN IMMEDIATE, so the writer already holds the database lock.
    PostgreSQL: a transaction-scoped advisory lock, released at commit or rollback. The lock and the read go in
    one round trip as two statements: the second takes its snapshot after the lock is held, so it sees the row
    that the previous holder committed.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_LOCK_AND_HEAD_SQL)
            cursor.nextset()
            row = cursor.fetchone()
            return (row[0], row[1]) if row else None
    return AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()


def _text(value: str, limit: int) -> str:
    """Cut to the column's length here, so the hashed text is the stored text; PostgreSQL refuses NUL."""
    return value.replace("\x00", "")[:limit]


def _actor_parts(actor: Any) -> tuple[int | None, str]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, getattr(actor, "username", "") or ""
    return actor.pk, actor.get_username()


def record(
    *,
    actor: Any,
    action: str,
    target: Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    patient_id: int | None = None,
    location_id: int | None = None,
    outcome: str = Outcome.ALLOWED,
    changed_fields: Iterable[str] = (),
    reason: str = "",
) -> AuditEvent:
    """Append one event. Never pass PHI values: only names of fields, ids and short non-PHI reasons.

    `location_id` is the location the audited object belongs to (an appointment's clinic, an employee's site),
    passed by the calling service; reviewers whose audit access is limited to some locations see the events
    with those ids. It is never taken from the actor's session (the location switcher): that only says where
    the actor was looking. Events about nothing location-bound (sign-in, practice settings) leave it empty.

    Inside the caller's transaction when there is one (no savepoint: if the audit row cannot be written, the
    caller's work must not commit either), else in a transaction of its own.
    """
    with transaction.atomic(savepoint=False):
        return _append(actor=actor, action=action, target=target, object_type=object_type, object_id=object_id,
                       patient_id=patient_id, location_id=location_id, outcome=outcome,
                       changed_fields=changed_fields, reason=reason)


def _append(
    *,
    actor: Any,
    action: str,
    target: Model | None,
    object_type: str,
    object_id: str | int,
    patient_id: int | None,
    location_id: int | None,
    outcome: str,
    changed_fields: Iterable[str],
    reason: str,
) -> AuditEvent:
    request_context = context.current()
    actor_id, actor_label = _actor_parts(actor)
    last = _lock_chain_and_read_head()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
    event = AuditEvent(
        seq=seq,
        occurred_at=timezone.now(),
        actor_id=actor_id,
        actor_label=_text(actor_label, 150),
        # Hash the address exactly as the database will hand it back (PostgreSQL's inet normalises it).
        ip_address=canonical_ip(request_context.ip_address),
        user_agent=_text(request_context.user_agent, 300),
        outcome=str(outcome),
        prev_hash=prev_hash,
        **_event_fields(Event(action=action, target=target, object_type=object_type, object_id=object_id,
                              patient_id=patient_id, location_id=location_id, changed_fields=changed_fields,
                              reason=reason)),
    )
    event.hash = row_hash([getattr(event, column) for column in CHAIN_COLUMNS])
    event.save(force_insert=True)
    return event


@dataclass(frozen=True, slots=True)
class Event:
    """One event of `record_many()`: the arguments of `record()` that differ from event to event."""

    action: str
    target: Model | None = None
    object_type: str = ""
    object_id: str | int = ""
    patient_id: int | None = None
    location_id: int | None = None
    changed_fields: Iterable[str] = ()
    reason: str = ""


def _event_fields(event: Event) -> dict[str, Any]:
    """The columns an event sets itself, cut and typed as they are stored (and so as they are hashed)."""
    object_type, object_id = event.object_type, event.object_id
    if event.target is not None:
        object_type = object_type or event.target._meta.label_lower
        object_id = object_id or str(event.target.pk)
    return {
        "action": _text(event.action, 80),
        "object_type": _text(object_type, 80),
        "object_id": _text(str(object_id), 64),
        # Integers as the database returns them: a "12" hashed as text would not match the 12 read back.
        "patient_id": int(event.patient_id) if event.patient_id is not None else None,
        "location_id": int(event.location_id) if event.location_id is not None else None,
        "changed_fields": _text(",".join(sorted(set(event.changed_fields))), 1000),
        "reason": _text(event.reason, 200),
    }


# The columns record_many() writes per event (the others are the same for the whole batch), then the hash.
_VARYING = ("seq", "action", "object_type", "object_id", "patient_id", "location_id", "changed_fields", "reason",
            "prev_hash")


def record_many(*, actor: Any, events: Sequence[Event], outcome: str = Outcome.ALLOWED) -> int:
    """Append `events` (by one actor, in one request) in order, as `record()` would one by one: the chain is
    locked once, each row links to the one before it, and the rows go in one statement. For bulk services (one
    event per claim of a 5,000-claim remittance) where a lock, a read and an INSERT per event took seconds. The
    events share their time. Same rules as record(): no PHI values; inside the caller's transaction. Returns
    the number of events written."""
    if not events:
        return 0
    with transaction.atomic(savepoint=False):
        request_context = context.current()
        actor_id, actor_label = _actor_parts(actor)
        last = _lock_chain_and_read_head()
        # The time is read once the lock is held, as record() does: times follow the chain's order.
        shared = {"occurred_at": timezone.now(), "actor_id": actor_id, "actor_label": _text(actor_label, 150),
                  "ip_address": canonical_ip(request_context.ip_address),
                  "user_agent": _text(request_context.user_agent, 300), "outcome": str(outcome)}
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
        rows: list[tuple[Any, ...]] = []
        for event in events:
            values = {**shared, **_event_fields(event), "seq": seq, "prev_hash": prev_hash}
            digest = row_hash([values[column] for column in CHAIN_COLUMNS])
            rows.append((*(values[column] for column in _VARYING), digest))
            seq, prev_hash = seq + 1, digest
        return insert_rows(AuditEvent, (*_VARYING, "hash"), rows, constants=shared)


def record_denied(*, actor: Any, action: str, object_type: str = "", object_id: str | int = "",
                  reason: str = "") -> AuditEvent:
    """A refused access: out of role or out of location scope."""
    return record(actor=actor, action=action, object_type=object_type, object_id=object_id,
                  outcome=Outcome.DENIED, reason=reason)
