"""The practice's billing settings: who it is on the wire (submitter, 1000A / ISA06), who receives its 837P
files (1000B / ISA08), test or production (ISA15), and the directory submitted batches are dropped into.

They are practice-wide: changing them takes BILLING_MANAGE at all locations. The drop directory may only be
<data dir>/x12/... or a directory under one of the roots the server's administrator listed in
OPENPRACTICE_X12_DROP_ROOTS, so a web user cannot make the server write files anywhere else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from openpractice.audit.services import record

from ..models import BillingSettings
from ..transports import batches_directory, x12_directory
from ..x12.segments import DELIMITERS
from .authorization import authorize_practice_wide

SETTINGS_FIELDS: tuple[str, ...] = (
    "submitter_name", "submitter_id", "contact_name", "contact_phone", "contact_email", "receiver_name",
    "receiver_id", "usage_indicator", "drop_directory",
    "write_off_approval_threshold", "statement_minimum_balance", "statement_how_to_pay",
)  # fmt: skip
_X12_ID = re.compile(r"^[A-Za-z0-9\-.]{2,15}$")


def drop_roots() -> list[Path]:
    """Where a drop directory may be: <data dir>/x12 and the administrator's OPENPRACTICE_X12_DROP_ROOTS."""
    extra = getattr(settings, "OPENPRACTICE_X12_DROP_ROOTS", []) or []
    return [x12_directory().resolve(), *(Path(root).resolve() for root in extra)]


def billing_settings_save(*, actor: Any, data: Mapping[str, Any]) -> BillingSettings:
    """Create or change the billing settings. `data` holds the fields to set (any of SETTINGS_FIELDS); the
    first save needs every required one."""
    authorize_practice_wide(actor=actor, action="billing.settings_update")
    unknown = sorted(set(data) - set(SETTINGS_FIELDS))
    if unknown:
        raise ValidationError(_("Unknown or read-only field(s): %(fields)s.") % {"fields": ", ".join(unknown)})
    with transaction.atomic():
        current = BillingSettings.objects.select_for_update().filter(singleton=True).first()
        creating = current is None
        instance = current or BillingSettings(singleton=True)
        before = {name: getattr(instance, name) for name in SETTINGS_FIELDS}
        for name, value in data.items():
            setattr(instance, name, value.strip() if isinstance(value, str) else value)
        _clean(instance)
        changed = [name for name in SETTINGS_FIELDS if getattr(instance, name) != before[name]]
        if creating:
            instance.save(force_insert=True)
            record(actor=actor, action="billing.settings_created", target=instance,
                   changed_fields=[name for name in SETTINGS_FIELDS if getattr(instance, name)])
        elif changed:
            instance.save(update_fields=[*changed, "updated_at"])
            record(actor=actor, action="billing.settings_updated", target=instance, changed_fields=changed)
    return instance


def _clean(instance: BillingSettings) -> None:
    errors: dict[str, list[str]] = {}
    phone = re.sub(r"\D", "", instance.contact_phone or "")
    if len(phone) == 11 and phone.startswith("1"):
        phone = phone[1:]
    if instance.contact_phone and len(phone) != 10:
        errors["contact_phone"] = [_("Enter the ten digits of the phone number.")]
    else:
        instance.contact_phone = phone
    try:
        instance.full_clean(exclude=list(errors))
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    for name in ("submitter_id", "receiver_id"):
        value = getattr(instance, name) or ""
        if value and not _X12_ID.match(value):
            errors.setdefault(name, []).append(
                _("Use 2 to 15 letters, digits, dots or hyphens, exactly as the clearinghouse gave it."))
    for name in ("submitter_name", "receiver_name", "contact_name"):
        if any(char in DELIMITERS for char in getattr(instance, name) or ""):
            errors.setdefault(name, []).append(_("Leave out the characters * : ^ and ~ (X12 separators)."))
    if instance.drop_directory:
        problem = _drop_directory_problem(instance.drop_directory)
        if problem:
            errors.setdefault("drop_directory", []).append(problem)
    if errors:
        raise ValidationError(errors)


def _drop_directory_problem(value: str) -> str:
    path = Path(value)
    if not path.is_absolute():
        return _("Give an absolute path, e.g. /srv/clearinghouse/outbox.")
    resolved = path.resolve()
    roots = drop_roots()
    if not any(resolved == root or root in resolved.parents for root in roots):
        return _("The drop directory must be inside %(roots)s (the server's administrator can allow more "
                 "with OPENPRACTICE_X12_DROP_ROOTS).") % {"roots": ", ".join(str(root) for root in roots)}
    built = batches_directory().resolve()
    if resolved == built or built in resolved.parents:
        return _("The drop directory cannot be where batches are built; choose another folder.")
    static_root = Path(settings.STATIC_ROOT).resolve()
    if resolved == static_root or static_root in resolved.parents:
        return _("The drop directory cannot be inside the web root.")
    return ""
