"""Mailbox settings (frontdesk.configure): the practice addresses whose mail lands in the queues.

A mailbox is configured by those who hold frontdesk.configure where it is: at its location, or at every location
for a practice-wide mailbox (no location). Anyone else is refused (audited, nothing changes). The IMAP password
is write-only: it is stored encrypted (EncryptedTextField), never shown again, kept when the form leaves it
empty, and only the fact that it changed is audited. The acknowledgement text may use the reply-template
placeholders ({number}, {first_name}, {practice_name}, {practice_phone}).

"Check now" (`mailbox_check_now`) reads the mailbox at once (imap_fetch.mailbox_poll) and audits who asked.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, has_all_locations, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record

from ..imap_fetch import mailbox_poll
from ..models import Mailbox
from .templates import PLACEHOLDERS, placeholders_unknown

MAILBOX_FIELDS = ("name", "address", "location", "imap_host", "imap_port", "imap_security", "imap_username",
                  "imap_folder", "send_acknowledgement", "acknowledgement_text", "is_active")


def may_configure(actor: Any, mailbox: Mailbox | None = None, location: Any = None) -> bool:
    """May the actor configure this mailbox (or one at `location`; None: practice-wide)?"""
    location_id = mailbox.location_id if mailbox is not None else getattr(location, "pk", location)
    if location_id is None:
        return has_all_locations(actor, Perm.FRONTDESK_CONFIGURE)
    return can(actor, Perm.FRONTDESK_CONFIGURE, location_id)


def _check_text(acknowledgement_text: str) -> None:
    unknown = placeholders_unknown(acknowledgement_text)
    if unknown:
        raise ValidationError({"acknowledgement_text": _("Unknown placeholder %(names)s: use %(known)s.") % {
            "names": ", ".join(f"{{{name}}}" for name in unknown),
            "known": ", ".join(f"{{{name}}}" for name in PLACEHOLDERS if name != "staff_name")}})


# Changing any of these sends the stored password to a new place: the password must be typed again.
SERVER_FIELDS = frozenset({"imap_host", "imap_port", "imap_security", "imap_username"})
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def mailbox_save(*, actor: Any, mailbox: Mailbox | None, password: str | None = None, **fields: Any) -> Mailbox:
    """Create (mailbox None) or change a mailbox. `fields` are MAILBOX_FIELDS; `password` None or "" keeps the
    stored one. Refused (audited) unless the actor configures the front desk where the mailbox is, before and
    after the change."""
    action = "frontdesk.mailbox_create" if mailbox is None else "frontdesk.mailbox_change"
    unknown = set(fields) - set(MAILBOX_FIELDS)
    if unknown:
        raise TypeError(f"mailbox_save() got unknown fields {sorted(unknown)}")
    location = fields.get("location", mailbox.location_id if mailbox else None)
    if not may_configure(actor, location=location) or (mailbox is not None and not may_configure(actor, mailbox)):
        raise refuse(actor=actor, permission=Perm.FRONTDESK_CONFIGURE, action=action, target=mailbox)
    values = dict(fields)
    for name in ("name", "imap_host", "imap_username", "imap_folder"):
        if name in values:
            values[name] = " ".join(str(values[name] or "").split())
    if "address" in values:
        values["address"] = str(values["address"]).strip().lower()
    if "acknowledgement_text" in values:
        values["acknowledgement_text"] = str(values["acknowledgement_text"] or "").strip()
        _check_text(values["acknowledgement_text"])
    if values.get("imap_host") and not values.get("imap_username", mailbox.imap_username if mailbox else ""):
        raise ValidationError({"imap_username": _("Give the user name the mailbox logs in with.")})
    with transaction.atomic():
        target = Mailbox() if mailbox is None else Mailbox.objects.select_for_update().get(pk=mailbox.pk)
        changed = [name for name, value in values.items()
                   if mailbox is None or getattr(target, name) != value]
        for name in changed:
            setattr(target, name, values[name])
        if mailbox is not None and not password and target.imap_password and set(changed) & SERVER_FIELDS:
            # The stored password goes only to the server it was given for: pointing the mailbox elsewhere
            # (another host, port, security or user) without typing it again would hand it to that server.
            raise ValidationError({"imap_password": _("Type the password again when the server, port, security or "
                                                 "user changes.")})
        if target.imap_security == "none" and target.imap_host and target.imap_host not in LOCAL_HOSTS:
            raise ValidationError({"imap_security": _("Without encryption the password would cross the network "
                                                      "readable; use SSL/TLS or STARTTLS (only a server on this "
                                                      "machine may go without).")})
        if password:
            target.imap_password = password
            changed.append("imap_password")
        target.full_clean()
        if mailbox is None:
            target.save(force_insert=True)
        elif changed:
            target.save(update_fields=[*changed, "updated_at"])
        if changed:
            record(actor=actor, action="frontdesk.mailbox_created" if mailbox is None else "frontdesk.mailbox_changed",
                   target=target, location_id=target.location_id, changed_fields=changed)
    if mailbox is not None:
        for field in Mailbox._meta.concrete_fields:
            setattr(mailbox, field.attname, getattr(target, field.attname))
        return mailbox
    return target


def mailbox_check_now(*, actor: Any, mailbox: Mailbox) -> int:
    """Read the mailbox now; returns how many mails were received (the error, if any, is on the mailbox)."""
    if not may_configure(actor, mailbox):
        raise refuse(actor=actor, permission=Perm.FRONTDESK_CONFIGURE, action="frontdesk.mailbox_check",
                     target=mailbox)
    received = mailbox_poll(mailbox)
    record(actor=actor, action="frontdesk.mailbox_checked", target=mailbox, location_id=mailbox.location_id,
           reason=(f"{received} received" + ("; failed" if mailbox.last_error else ""))[:200])
    return received
