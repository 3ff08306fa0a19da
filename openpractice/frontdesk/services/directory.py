"""The staff directory's writes: a person's presence (on duty, busy, away, off) and, for managers, what a person
handles and their extension.

Everyone sets their own presence. frontdesk.configure sets others' and edits their profile, for the people
selectors_directory.profile_users says they reach; a refusal is audited and changes nothing. No PHI or HR record is
touched; the audit trail still records who changed whose profile.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.models import User
from openpractice.accounts.permissions import refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record

from ..choices import PresenceStatus
from ..models import StaffProfile
from ..selectors_directory import may_edit_profile

NOTE_MAX_CHARS = 120


def _locked_profile(user: User) -> StaffProfile:
    StaffProfile.objects.get_or_create(user=user)
    return StaffProfile.objects.select_for_update().get(user=user)


def _presence_errors(presence: str, note: str, away_until: dt.datetime | None, now: dt.datetime) -> dict[str, str]:
    errors: dict[str, str] = {}
    if presence not in PresenceStatus.values:
        errors["presence"] = _("Choose a status.")
    if len(note) > NOTE_MAX_CHARS:
        errors["presence_note"] = _("Keep the note under %(count)s characters.") % {"count": NOTE_MAX_CHARS}
    if away_until is not None:
        if presence not in (PresenceStatus.AWAY, PresenceStatus.OFF):
            errors["away_until"] = _("Only away or off lasts until a time.")
        elif away_until <= now:
            errors["away_until"] = _("Choose a time still to come.")
    return errors


def presence_set(*, actor: Any, user: User, presence: str, note: str = "", away_until: dt.datetime | None = None,
                 now: dt.datetime | None = None) -> StaffProfile:
    """Say whether `user` is on duty, busy, away (until a time) or off. One's own, or others' as a manager."""
    if user.pk != getattr(actor, "pk", None) and not may_edit_profile(actor, user):
        raise refuse(actor=actor, permission=Perm.FRONTDESK_CONFIGURE, action="frontdesk.presence_set", target=user)
    now = now or timezone.now()
    note = (note or "").strip()
    errors = _presence_errors(presence, note, away_until, now)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        profile = _locked_profile(user)
        profile.presence, profile.presence_note, profile.away_until = presence, note, away_until
        profile.full_clean(exclude=["user"])
        profile.save(update_fields=["presence", "presence_note", "away_until", "updated_at"])
        record(actor=actor, action="frontdesk.presence_set", object_type="accounts.user",
               object_id=user.pk, changed_fields=["presence", "presence_note", "away_until"], reason=presence)
    return profile


def profile_update(*, actor: Any, user: User, handles: str, extension: str, presence: str, presence_note: str = "",
                   away_until: dt.datetime | None = None, now: dt.datetime | None = None) -> StaffProfile:
    """A manager edits what a person handles, their extension and their status."""
    if not may_edit_profile(actor, user):
        raise refuse(actor=actor, permission=Perm.FRONTDESK_CONFIGURE, action="frontdesk.profile_update",
                     target=user)
    now = now or timezone.now()
    handles, extension, presence_note = (handles or "").strip(), (extension or "").strip(), (presence_note or "").strip()
    errors = _presence_errors(presence, presence_note, away_until, now)
    if len(handles) > 300:
        errors["handles"] = _("Keep it under 300 characters.")
    if extension and (len(extension) > 10 or not extension.isdigit()):
        errors["extension"] = _("An extension is up to 10 digits.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        profile = _locked_profile(user)
        changed = [name for name, value in (("handles", handles), ("extension", extension), ("presence", presence),
                                            ("presence_note", presence_note), ("away_until", away_until))
                   if getattr(profile, name) != value]
        profile.handles, profile.extension = handles, extension
        profile.presence, profile.presence_note, profile.away_until = presence, presence_note, away_until
        profile.full_clean(exclude=["user"])
        profile.save(update_fields=["handles", "extension", "presence", "presence_note", "away_until", "updated_at"])
        record(actor=actor, action="frontdesk.profile_updated", object_type="accounts.user", object_id=user.pk,
               changed_fields=changed)
    return profile
