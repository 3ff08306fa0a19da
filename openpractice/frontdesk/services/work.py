"""Working a message: claim, assign, forward, note, priority, close, reopen (and the first-response mark other
parts of the app set).

Each action locks the message (select_for_update), checks that the actor may work it
(selectors_messages.may_work, asked of the locked row), changes it, writes a line on its timeline and an audit
event, all in one transaction. A refusal (the actor may not work the message) is audited once that transaction
has ended, so the denial stays on record while nothing else changes, and raises PermissionDenied (views answer
404). A closed message refuses every change but reopening.

First response (the first service level): `first_response_at` is set, when still empty, by
- the first reply sent by email (services.replies),
- closing the message (whoever closes it has dealt with it),
- a callback logged as done, or any other contact made outside the app: the callback pages call
  `message_mark_responded(message, at)`.
Claiming or assigning a message is not a response: the person who wrote has heard nothing yet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import refuse
from openpractice.audit.services import record

from ..choices import Category, EntryKind, MessageStatus, Outcome, Priority
from ..models import Message, MessageEntry, Queue
from ..selectors_messages import may_work
from ..selectors_queue import may_be_assigned

T = TypeVar("T")

# What the refusal names as missing (the audit log's reason).
WORK_PERMISSION = "frontdesk.manage where the message is, or routed to the actor"
NOTE_MAX_CHARS = 5000


def person(user: Any) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


# --- shared pieces (replies and escalation use them too) -------------------------------------------------------


def lock(message: Message) -> Message:
    """The message row, locked until the transaction ends, with its queue (may_work reads it)."""
    return Message.objects.select_for_update(of=("self",)).select_related("queue").get(pk=message.pk)


def refresh(message: Message, locked: Message) -> Message:
    """Copy the saved state onto the caller's instance (views keep using it)."""
    for field in Message._meta.concrete_fields:
        setattr(message, field.attname, getattr(locked, field.attname))
    return message


def save(message: Message, fields: Iterable[str]) -> None:
    """Validate the changed fields (and the constraints over them), then save only those."""
    changed = list(fields)
    message.full_clean(exclude=[field.name for field in Message._meta.fields if field.name not in changed],
                       validate_unique=False)
    message.save(update_fields=[*changed, "updated_at"])


def entry_add(message: Message, kind: str, *, author: Any = None, body: str = "", at: dt.datetime | None = None,
              **fields: Any) -> MessageEntry:
    """Append one line to the message's timeline (never changed afterwards)."""
    entry = MessageEntry(message=message, kind=kind, created_at=at or timezone.now(),
                         author=author if getattr(author, "pk", None) else None, body=body, **fields)
    entry.full_clean(exclude=["message", "author", "to_queue", "to_user"])
    entry.save(force_insert=True)
    return entry


def audit(actor: Any, action: str, message: Message, changed: Iterable[str] = (), reason: str = "") -> None:
    """The audit event of a change: it names the patient the message is about (their access log) and the location."""
    record(actor=actor, action=action, target=message, patient_id=message.patient_id,
           location_id=message.location_id, changed_fields=changed, reason=reason)


def work(*, actor: Any, message: Message, action: str, change: Callable[[Message], T],
         closed_ok: bool = False) -> T:
    """Run `change` on the locked message when the actor may work it, in one transaction; refuse otherwise.

    `action` names the refused action in the audit log. Closed messages refuse changes unless `closed_ok`."""
    done: list[T] = []
    with transaction.atomic():
        locked = lock(message)
        allowed = may_work(actor=actor, message=locked)
        if allowed:
            if not closed_ok and not locked.is_open:
                raise ValidationError(_("This message is closed: reopen it before changing it."))
            done.append(change(locked))
    if not allowed:
        # After the transaction: the denial is recorded whatever happens to the caller's work.
        raise refuse(actor=actor, permission=WORK_PERMISSION, action=action, target=message)
    refresh(message, locked)
    return done[0]


def close_locked(*, actor: Any, locked: Message, outcome: str, note: str = "", now: dt.datetime) -> None:
    """Close an open, locked message (inside the caller's transaction): status, time, outcome, first response."""
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Choose how the message ended.")})
    note = note.strip()
    locked.status = MessageStatus.CLOSED
    locked.closed_at = now
    locked.outcome = outcome
    locked.outcome_note = note
    changed = ["status", "closed_at", "outcome", "outcome_note"]
    if locked.first_response_at is None:
        locked.first_response_at = now
        changed.append("first_response_at")
    save(locked, changed)
    text = _("Closed: %(outcome)s.") % {"outcome": Outcome(outcome).label}
    entry_add(locked, EntryKind.STATUS, author=actor, body=f"{text} {note}".strip(), at=now)
    audit(actor, "frontdesk.message_closed", locked, changed, reason=f"outcome {outcome}")


# --- the actions -----------------------------------------------------------------------------------------------


def message_claim(*, actor: Any, message: Message) -> Message:
    """Take the message: it becomes the actor's, and a new message is now in progress."""

    def change(locked: Message) -> Message:
        if locked.assignee_id == actor.pk and locked.status != MessageStatus.NEW:
            return locked
        before = locked.assignee
        locked.assignee = actor
        changed = ["assignee"]
        if locked.status == MessageStatus.NEW:
            locked.status = MessageStatus.OPEN
            changed.append("status")
        save(locked, changed)
        text = (_("Claimed by %(who)s (was with %(before)s).") % {"who": person(actor), "before": person(before)}
                if before is not None and before.pk != actor.pk else _("Claimed by %(who)s.") % {"who": person(actor)})
        entry_add(locked, EntryKind.CLAIMED, author=actor, body=text, to_user=actor)
        audit(actor, "frontdesk.message_claimed", locked, changed)
        return locked

    return work(actor=actor, message=message, action="frontdesk.message_claim", change=change)


def message_assign(*, actor: Any, message: Message, assignee: Any | None) -> Message:
    """Give the message to someone who may work it (or back to the queue with None)."""

    def change(locked: Message) -> Message:
        if assignee is not None and not may_be_assigned(assignee, locked):
            raise ValidationError({"assignee": _("Choose someone who works this message's queue.")})
        if locked.assignee_id == (assignee.pk if assignee is not None else None):
            return locked
        locked.assignee = assignee
        save(locked, ["assignee"])
        text = (_("Assigned to %(who)s.") % {"who": person(assignee)} if assignee is not None
                else _("Unassigned: back to the queue."))
        entry_add(locked, EntryKind.ASSIGNED, author=actor, body=text, to_user=assignee)
        audit(actor, "frontdesk.message_assigned", locked, ["assignee"])
        return locked

    return work(actor=actor, message=message, action="frontdesk.message_assign", change=change)


def message_forward(*, actor: Any, message: Message, queue: Queue | None, note: str,
                    assignee: Any | None = None) -> Message:
    """Hand the message on to another queue and/or person, with a note for them. Moving it to another queue
    leaves it unassigned unless a person who works that queue is named. The service levels stay those promised
    when it arrived."""
    note = note.strip()

    def change(locked: Message) -> Message:
        target = queue or locked.queue
        errors: dict[str, str] = {}
        if not note:
            errors["note"] = _("Say why you hand it on: the next person reads this first.")
        if queue is not None and not queue.is_active:
            errors["queue"] = _("This queue is no longer in use.")
        if (queue is None or queue.pk == locked.queue_id) and assignee is None:
            errors["queue"] = _("Choose another queue or a person.")
        if assignee is not None and not may_be_assigned(assignee, locked, target):
            errors["assignee"] = _("Choose someone who works that queue.")
        if errors:
            raise ValidationError(errors)
        changed = []
        if target.pk != locked.queue_id:
            locked.queue = target
            changed.append("queue")
        if locked.assignee_id != (assignee.pk if assignee is not None else None):
            locked.assignee = assignee
            changed.append("assignee")
        if not changed:
            raise ValidationError({"assignee": _("The message is already there.")})
        save(locked, changed)
        where = target.name if assignee is None else f"{target.name} · {person(assignee)}"
        entry_add(locked, EntryKind.FORWARDED, author=actor,
                  body=_("Forwarded to %(where)s: %(note)s") % {"where": where, "note": note},
                  to_queue=target, to_user=assignee)
        audit(actor, "frontdesk.message_forwarded", locked, changed, reason=f"to queue {target.pk}")
        return locked

    return work(actor=actor, message=message, action="frontdesk.message_forward", change=change)


def message_note_add(*, actor: Any, message: Message, body: str) -> MessageEntry:
    """An internal note on the timeline (never sent to the person who wrote)."""
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write the note.")})
    if len(body) > NOTE_MAX_CHARS:
        raise ValidationError({"body": _("Keep the note under %(count)s characters.") % {"count": NOTE_MAX_CHARS}})

    def change(locked: Message) -> MessageEntry:
        entry = entry_add(locked, EntryKind.NOTE, author=actor, body=body)
        audit(actor, "frontdesk.message_note_added", locked, ["entries"])
        return entry

    return work(actor=actor, message=message, action="frontdesk.message_note_add", change=change)


def _choice_set(*, actor: Any, message: Message, field: str, value: str, choices: type[Priority] | type[Category],
                label: str) -> Message:
    """Change one choice field of the message (a STATUS line "<label> before → after", audited); no-op when
    unchanged. Through `work()`: locked, checked, refused on a closed message."""
    action = f"frontdesk.message_{field}_set"

    def change(locked: Message) -> Message:
        if getattr(locked, field) == value:
            return locked
        before = getattr(locked, f"get_{field}_display")()
        setattr(locked, field, value)
        save(locked, [field])
        entry_add(locked, EntryKind.STATUS, author=actor, body=_("%(label)s %(before)s → %(after)s.") % {
            "label": label, "before": before, "after": choices(value).label})
        audit(actor, action, locked, [field], reason=f"{field} {value}")
        return locked

    return work(actor=actor, message=message, action=action, change=change)


def message_priority_set(*, actor: Any, message: Message, priority: str) -> Message:
    if priority not in Priority.values:
        raise ValidationError({"priority": _("Choose a priority.")})
    return _choice_set(actor=actor, message=message, field="priority", value=priority, choices=Priority,
                       label=_("Priority"))


def message_category_set(*, actor: Any, message: Message, category: str) -> Message:
    """Say what the message is about (the desk or the sender chose another category)."""
    if category not in Category.values:
        raise ValidationError({"category": _("Choose a category.")})
    return _choice_set(actor=actor, message=message, field="category", value=category, choices=Category,
                       label=_("Category"))


def message_close(*, actor: Any, message: Message, outcome: str, note: str = "") -> Message:
    """Close the message with how it ended (and an optional note). Closing counts as the first response if none
    was recorded."""

    def change(locked: Message) -> Message:
        close_locked(actor=actor, locked=locked, outcome=outcome, note=note, now=timezone.now())
        return locked

    return work(actor=actor, message=message, action="frontdesk.message_close", change=change)


def message_reopen(*, actor: Any, message: Message, reason: str) -> Message:
    """Open a closed message again (the person wrote back, it was closed by mistake). Its service levels stay as
    they were; the old outcome stays on the timeline."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the message is reopened.")})

    def change(locked: Message) -> Message:
        if locked.is_open:
            raise ValidationError(_("The message is not closed."))
        locked.status = MessageStatus.OPEN
        locked.closed_at = None
        locked.outcome = ""
        locked.outcome_note = ""
        changed = ["status", "closed_at", "outcome", "outcome_note"]
        save(locked, changed)
        entry_add(locked, EntryKind.STATUS, author=actor, body=_("Reopened: %(reason)s") % {"reason": reason})
        audit(actor, "frontdesk.message_reopened", locked, changed)
        return locked

    return work(actor=actor, message=message, action="frontdesk.message_reopen", change=change, closed_ok=True)


def message_mark_responded(message: Message, at: dt.datetime) -> bool:
    """Record the first response at `at` if none is recorded yet (a callback made, a contact outside the app).
    For other services, inside their own transaction and after their own checks, audit and timeline entry: this
    only sets the time. True when it was set now; the caller's instance is updated either way."""
    updated = Message.objects.filter(pk=message.pk, first_response_at__isnull=True).update(
        first_response_at=at, updated_at=timezone.now())
    message.first_response_at = Message.objects.filter(pk=message.pk).values_list(
        "first_response_at", flat=True).get()
    return bool(updated)


__all__ = [
    "message_assign", "message_claim", "message_close", "message_forward", "message_mark_responded",
    "message_note_add", "message_priority_set", "message_reopen",
]
