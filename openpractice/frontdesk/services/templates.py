"""Reply templates: canned answers with placeholders, kept by those who configure the front desk.

Placeholders: {first_name} (the sender's), {number} (the message's, MSG-000042), {staff_name} (who replies),
{practice_name}, {practice_phone} (the message's location's number, else the practice's).

Filling them replaces exactly `{name}` for those five names and leaves any other text alone, braces included.
(Not str.format_map: it would evaluate `{number.__class__}` or `{number[0]}` and raise on a stray brace in a
staff member's text.) Saving a template refuses a placeholder it does not know, so a typo is caught then.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.selectors import practice_get, practice_settings

from ..models import Message, ReplyTemplate
from .work import person

PLACEHOLDERS: tuple[str, ...] = ("first_name", "number", "staff_name", "practice_name", "practice_phone")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
TEMPLATE_FIELDS = ("name", "category", "subject", "body", "is_active")


def placeholders_fill(text: str, values: Mapping[str, str]) -> str:
    """`text` with each known `{name}` replaced by its value; anything else stays as written."""
    return _PLACEHOLDER.sub(lambda found: values.get(found.group(1), found.group(0)), text)


def placeholders_unknown(text: str) -> list[str]:
    return sorted({name for name in _PLACEHOLDER.findall(text) if name not in PLACEHOLDERS})


def placeholder_values(*, message: Message, actor: Any) -> dict[str, str]:
    """The values for a reply to `message` written by `actor`."""
    names = (message.sender_name or "").split()
    phone = message.location.phone if message.location_id and message.location else ""
    if not phone:
        practice = practice_get()
        phone = practice.phone if practice is not None else ""
    return {
        "first_name": names[0] if names else "",
        "number": message.number,
        "staff_name": person(actor),
        "practice_name": practice_settings().name,
        "practice_phone": phone,
    }


def template_fill(*, template: ReplyTemplate, message: Message, actor: Any) -> tuple[str, str]:
    """(subject, body) of the template filled in for this message ("" subject: the reply's own)."""
    values = placeholder_values(message=message, actor=actor)
    return placeholders_fill(template.subject, values), placeholders_fill(template.body, values)


def reply_template_save(*, actor: Any, template: ReplyTemplate | None, name: str, body: str, category: str = "",
                        subject: str = "", is_active: bool = True) -> ReplyTemplate:
    """Create (template None) or change a reply template (frontdesk.configure)."""
    action = "frontdesk.reply_template_create" if template is None else "frontdesk.reply_template_change"
    if not can(actor, Perm.FRONTDESK_CONFIGURE):
        raise refuse(actor=actor, permission=Perm.FRONTDESK_CONFIGURE, action=action, target=template)
    errors: dict[str, str] = {}
    for field, text in (("subject", subject), ("body", body)):
        unknown = placeholders_unknown(text)
        if unknown:
            errors[field] = _("Unknown placeholder %(names)s: use %(known)s.") % {
                "names": ", ".join(f"{{{name}}}" for name in unknown),
                "known": ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)}
    if errors:
        raise ValidationError(errors)
    values = {"name": name.strip(), "category": category or "", "subject": " ".join(subject.split()),
              "body": body.strip(), "is_active": is_active}
    with transaction.atomic():
        if template is None:
            saved = ReplyTemplate(**values)
            saved.full_clean()
            saved.save(force_insert=True)
            changed = list(TEMPLATE_FIELDS)
            verb = "created"
        else:
            saved = ReplyTemplate.objects.select_for_update().get(pk=template.pk)
            changed = [field for field, value in values.items() if getattr(saved, field) != value]
            for field in changed:
                setattr(saved, field, values[field])
            saved.full_clean()
            if changed:
                saved.save(update_fields=[*changed, "updated_at"])
            verb = "changed"
            for concrete in ReplyTemplate._meta.concrete_fields:
                setattr(template, concrete.attname, getattr(saved, concrete.attname))
        if changed:
            record(actor=actor, action=f"frontdesk.reply_template_{verb}", target=saved, changed_fields=changed)
    return template if template is not None else saved
