"""Writes to the practice's own scrubber rules (ScrubRule): create, update, deactivate.

Rules are practice-wide (they apply to the claims of every location), so changing one needs billing.manage at
all locations (services/authorization.authorize_practice_wide); a refusal is audited before any transaction
opens. Codes are checked for their format here, with messages a biller understands: a rule that can never match
(a mistyped code) would silently check nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from openpractice.audit import services as audit
from openpractice.core.codes import place_of_service_codes

from ..codes.modifiers import normalize_modifier
from ..codes.procedures import is_procedure_code, normalize_procedure_code, procedure_code_problem
from ..models import ScrubRule
from .authorization import authorize_practice_wide

RULE_FIELDS: tuple[str, ...] = (
    "name", "payer", "procedure_code", "place_of_service", "requires_modifier", "forbids_modifier",
    "requires_prior_authorization", "severity", "message", "fix_hint",
)
UPDATE_FIELDS: tuple[str, ...] = (*RULE_FIELDS, "is_active")
_MODIFIER = re.compile(r"^[A-Z0-9]{2}$")


def _check_keys(data: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError(_("Unknown or read-only field(s): %(fields)s.") % {"fields": ", ".join(unknown)},
                              code="unknown_field")


def _normalize(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if name == "procedure_code":
        return normalize_procedure_code(value)
    if name in ("requires_modifier", "forbids_modifier"):
        return normalize_modifier(value)
    return value.strip()


def _apply(rule: ScrubRule, data: Mapping[str, Any]) -> list[str]:
    """Set `data` on the rule, validate it whole, and return the names of the fields that really changed."""
    before = {name: getattr(rule, _attname(name)) for name in data}
    for name, value in data.items():
        value = _normalize(name, value)
        if name == "payer" and value is not None and not isinstance(value, Model):
            rule.payer_id = value
        else:
            setattr(rule, name, value)
    _validate(rule)
    return [name for name in data if getattr(rule, _attname(name)) != before[name]]


def _attname(name: str) -> str:
    return "payer_id" if name == "payer" else name


def _validate(rule: ScrubRule) -> None:
    errors: dict[str, list[str]] = {}

    def add(field: str | None, message: str) -> None:
        errors.setdefault(field or "__all__", []).append(message)

    if not (rule.message or "").strip():
        add("message", _("Write the message the biller will see when the rule fires."))
    if rule.procedure_code and not is_procedure_code(rule.procedure_code):
        add("procedure_code", procedure_code_problem(rule.procedure_code))
    for name in ("requires_modifier", "forbids_modifier"):
        value = getattr(rule, name)
        if value and not _MODIFIER.match(value):
            add(name, _("A modifier is two letters or digits, such as 25 or GT."))
    if rule.requires_modifier and rule.requires_modifier == rule.forbids_modifier:
        add("forbids_modifier", _("A rule cannot both require and forbid modifier %(modifier)s.")
            % {"modifier": rule.requires_modifier})
    if rule.place_of_service and rule.place_of_service not in place_of_service_codes():
        add("place_of_service", _("Choose a CMS place-of-service code (two digits, such as 11 or 02)."))
    if not (rule.payer_id or rule.procedure_code or rule.place_of_service):
        add(None, _("Choose at least one of payer, procedure code or place of service: a rule for every line of "
                    "every claim would hold them all."))
    try:
        rule.full_clean(exclude=[name for name in errors if name != "__all__"])
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            if name == "message" and "message" in errors:
                continue
            for message in messages:
                add(name if name != "__all__" else None, message)
    if errors:
        raise ValidationError(errors)


def scrub_rule_create(*, actor: Any, data: Mapping[str, Any]) -> ScrubRule:
    authorize_practice_wide(actor=actor, action="billing.scrub_rule_create")
    _check_keys(data, RULE_FIELDS)
    rule = ScrubRule(created_by=actor)
    _apply(rule, data)
    with transaction.atomic():
        rule.save(force_insert=True)
        audit.record(actor=actor, action="billing.scrub_rule_created", target=rule,
                     changed_fields=[name for name in data if data[name] not in ("", None, False)])
    return rule


def scrub_rule_update(*, actor: Any, rule: ScrubRule, data: Mapping[str, Any]) -> ScrubRule:
    authorize_practice_wide(actor=actor, action="billing.scrub_rule_update", target=rule)
    _check_keys(data, UPDATE_FIELDS)
    with transaction.atomic():
        current = ScrubRule.objects.select_for_update().get(pk=rule.pk)
        changed = _apply(current, data)
        if changed:
            current.save(update_fields=[*changed, "updated_at"])
            audit.record(actor=actor, action="billing.scrub_rule_updated", target=current, changed_fields=changed)
    return current


def scrub_rule_deactivate(*, actor: Any, rule: ScrubRule) -> ScrubRule:
    """Stop a rule from firing; it stays listed (and can be switched on again by an update)."""
    authorize_practice_wide(actor=actor, action="billing.scrub_rule_deactivate", target=rule)
    with transaction.atomic():
        current = ScrubRule.objects.select_for_update().get(pk=rule.pk)
        if current.is_active:
            current.is_active = False
            current.save(update_fields=["is_active", "updated_at"])
            audit.record(actor=actor, action="billing.scrub_rule_deactivated", target=current,
                         changed_fields=["is_active"])
    return current
