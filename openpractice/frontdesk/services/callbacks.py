"""Callbacks: someone must call a person back by a time. A callback belongs to a message (its timeline says when one
was asked for and what came of it) and to the person who must call; it shows on their "My callbacks" page until
done.

Asking for a callback takes someone who may work the message (selectors_messages.may_work). Marking it done takes
its assignee or someone who may work the message; the call back is the message's first response when none was
given yet (services.work.message_mark_responded). Refusals are audited before any
transaction opens and change nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.models import User
from openpractice.accounts.permissions import refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record

from ..choices import EntryKind
from ..models import CallbackTask, Message, MessageEntry
from ..selectors_messages import may_work, messages_visible
from .work import message_mark_responded

RESULT_MAX_CHARS = 300
NOTE_MAX_CHARS = 300


def _entry(message: Message, body: str, author: Any, now: dt.datetime, to_user: Any = None) -> MessageEntry:
    entry = MessageEntry(message=message, kind=EntryKind.CALLBACK, created_at=now, body=body,
                         author=author if getattr(author, "pk", None) else None, to_user=to_user)
    entry.full_clean(exclude=["message", "author", "to_user"])
    entry.save(force_insert=True)
    return entry


def _audit(actor: Any, action: str, callback: CallbackTask, message: Message, changed: tuple[str, ...] = ()) -> None:
    record(actor=actor, action=action, target=callback, patient_id=message.patient_id,
           location_id=message.location_id, changed_fields=changed)


def callback_create(*, actor: Any, message: Message, assignee: User, number: str, due_at: dt.datetime,
                    note: str = "", now: dt.datetime | None = None) -> CallbackTask:
    """Ask `assignee` to call `number` back by `due_at` about `message`."""
    if not may_work(actor=actor, message=message):
        raise refuse(actor=actor, permission=Perm.FRONTDESK_MANAGE, action="frontdesk.callback_create",
                     target=message)
    now = now or timezone.now()
    errors: dict[str, str] = {}
    if assignee is None or not assignee.is_active:
        errors["assignee"] = _("Choose an active staff member.")
    if due_at is None:
        errors["due_at"] = _("Say by when to call back.")
    elif due_at < now - dt.timedelta(minutes=1):
        errors["due_at"] = _("The time to call back by has passed already.")
    if len(note or "") > NOTE_MAX_CHARS:
        errors["note"] = _("Keep the note under %(count)s characters.") % {"count": NOTE_MAX_CHARS}
    if errors:
        raise ValidationError(errors)
    callback = CallbackTask(message=message, assignee=assignee, number=(number or "").strip(), due_at=due_at,
                            note=(note or "").strip(), created_by=actor, created_at=now)
    callback.full_clean(exclude=["message", "assignee", "created_by"])
    with transaction.atomic():
        callback.save(force_insert=True)
        _entry(message, _("Callback asked for by %(due)s.") % {
            "due": timezone.localtime(due_at).strftime("%m/%d/%Y %I:%M %p")}, actor, now, to_user=assignee)
        _audit(actor, "frontdesk.callback_created", callback, message, ("assignee", "number", "due_at"))
    return callback


def may_complete(actor: Any, callback: CallbackTask) -> bool:
    return callback.assignee_id == getattr(actor, "pk", None) or may_work(actor=actor, message=callback.message)


def callback_done(*, actor: Any, callback: CallbackTask, result: str, now: dt.datetime | None = None) -> CallbackTask:
    """The call was made (or tried): record what came of it; the message counts as answered."""
    if not may_complete(actor, callback):
        raise refuse(actor=actor, permission="the callback's assignee", action="frontdesk.callback_done",
                     target=callback)
    result = (result or "").strip()
    if not result:
        raise ValidationError({"result": _("Say what came of the call.")})
    if len(result) > RESULT_MAX_CHARS:
        raise ValidationError({"result": _("Keep it under %(count)s characters.") % {"count": RESULT_MAX_CHARS}})
    now = now or timezone.now()
    with transaction.atomic():
        locked = CallbackTask.objects.select_for_update().select_related("message").get(pk=callback.pk)
        if locked.done_at is not None:
            raise ValidationError(_("This callback was already marked done."))
        locked.done_at, locked.done_by, locked.result = now, actor, result
        locked.save(update_fields=["done_at", "done_by", "result"])
        message = locked.message
        _entry(message, _("Called back: %(result)s") % {"result": result}, actor, now)
        _audit(actor, "frontdesk.callback_done", locked, message, ("done_at", "result"))
        message_mark_responded(message, now)
    callback.done_at, callback.done_by, callback.result = locked.done_at, locked.done_by, locked.result
    return callback


# --- reads for the callback pages ------------------------------------------------------------------------------


def callbacks_open_for(*, user: Any) -> QuerySet[CallbackTask]:
    """The person's open callbacks, the one due first (so the overdue ones) first, with their message (one query)."""
    return (CallbackTask.objects.filter(assignee_id=user.pk, done_at__isnull=True)
            .select_related("message", "message__queue", "created_by").order_by("due_at", "pk"))


def callbacks_scoped(*, actor: Any) -> QuerySet[CallbackTask]:
    """Callbacks the actor may look up: their own, and those of messages they see."""
    visible = messages_visible(actor=actor).values("pk")
    return CallbackTask.objects.filter(Q(assignee_id=actor.pk) | Q(message_id__in=visible)).select_related(
        "message", "message__queue")
