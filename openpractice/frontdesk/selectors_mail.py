"""Reads for the mail pages: the mailboxes a person configures, and an attachment only for those who may see its
message (selectors_messages decides that)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from openpractice.accounts.permissions import location_ids_where
from openpractice.accounts.roles import Perm

from .models import Mailbox, MessageAttachment
from .selectors_messages import messages_visible


def mailboxes_configurable(*, actor: Any) -> QuerySet[Mailbox]:
    """Mailboxes at the locations where the actor holds frontdesk.configure; practice-wide ones (no location)
    only for those who hold it everywhere."""
    ids = location_ids_where(actor, Perm.FRONTDESK_CONFIGURE)
    mailboxes = Mailbox.objects.select_related("location")
    if ids is None:
        return mailboxes
    return mailboxes.filter(Q(location_id__in=ids))


def attachments_visible(*, actor: Any) -> QuerySet[MessageAttachment]:
    """Attachments of the messages the actor may see, with their entry and message (for the audit event)."""
    visible = messages_visible(actor=actor).values("pk")
    return MessageAttachment.objects.filter(entry__message_id__in=visible).select_related("entry__message")


def attachments_of(*, entry_ids: list[int]) -> dict[int, list[MessageAttachment]]:
    """The attachments of entries already shown to the reader, by entry id, in one query (message pages)."""
    found: dict[int, list[MessageAttachment]] = {}
    for attachment in MessageAttachment.objects.filter(entry_id__in=entry_ids).order_by("entry_id", "pk"):
        found.setdefault(attachment.entry_id, []).append(attachment)
    return found
