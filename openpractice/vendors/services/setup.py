"""The practice's vendor setup: the sales-rep access policy (one per practice) and the vendor categories.

vendors.manage changes both; a refusal is audited before any transaction opens and changes nothing; every change
is audited with the fields it touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record

from ..choices import Weekday
from ..models import RepAccessPolicy, VendorCategory
from .vendors import rep_policy

POLICY_FIELDS: tuple[str, ...] = (
    "appointment_only", "allowed_weekdays", "earliest", "latest", "max_visits_per_month", "notes",
)  # fmt: skip


def _require(actor: Any, action: str, target: Any = None) -> None:
    if not can(actor, Perm.VENDORS_MANAGE):
        raise refuse(actor=actor, permission=Perm.VENDORS_MANAGE, action=action, target=target)


def _weekdays(value: Any) -> list[int]:
    """ISO weekdays, each once, in order; a ValidationError for anything else."""
    try:
        days = sorted({int(day) for day in value or ()})
    except (TypeError, ValueError):
        days = [0]
    if any(day not in Weekday.values for day in days):
        raise ValidationError({"allowed_weekdays": _("Choose days of the week.")}, code="invalid_weekday")
    return days


def rep_policy_update(*, actor: Any, data: Mapping[str, Any]) -> RepAccessPolicy:
    """Change the practice's rules for sales representatives. Visits already logged keep the exceptions they
    were logged with."""
    _require(actor, "vendors.rep_policy_update")
    unknown = sorted(set(data) - set(POLICY_FIELDS))
    if unknown:
        raise ValidationError(_("Unknown or read-only field(s): %(fields)s.") % {"fields": ", ".join(unknown)},
                              code="unknown_field")
    values = {name: (value.strip() if isinstance(value, str) else value) for name, value in data.items()}
    if "allowed_weekdays" in values:
        values["allowed_weekdays"] = _weekdays(values["allowed_weekdays"])
    with transaction.atomic():
        policy = RepAccessPolicy.objects.select_for_update().get(pk=rep_policy().pk)
        changed = [name for name, value in values.items() if getattr(policy, name) != value]
        for name in changed:
            setattr(policy, name, values[name])
        if policy.earliest and policy.latest and policy.latest <= policy.earliest:
            raise ValidationError({"latest": _("The latest time must be after the earliest.")}, code="time_order")
        if policy.max_visits_per_month == 0:
            raise ValidationError({"max_visits_per_month": _("Leave empty for no limit, or allow at least one.")},
                                  code="zero_visits")
        policy.full_clean()
        if changed:
            policy.save(update_fields=changed)
            record(actor=actor, action="vendors.rep_policy_updated", target=policy, changed_fields=changed)
    return policy


def category_create(*, actor: Any, name: str) -> VendorCategory:
    """Add a vendor category; names are unique ignoring case."""
    _require(actor, "vendors.category_create")
    category = VendorCategory(name=(name or "").strip())
    category.full_clean(validate_unique=False)
    with transaction.atomic():
        if VendorCategory.objects.filter(name__iexact=category.name).exists():
            raise ValidationError({"name": _("This category is already on file.")}, code="duplicate_name")
        category.save(force_insert=True)
        record(actor=actor, action="vendors.category_created", target=category, changed_fields=["name"])
    return category
