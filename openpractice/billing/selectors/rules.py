"""Reads of the practice's scrubber rules. Rules are practice-wide: anyone with billing.view may read them."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm

from ..models import ScrubRule
from ..scrubber import RULE_CODES, describe_rule


def rule_list(*, actor: Any, status: str = "all") -> QuerySet[ScrubRule]:
    """The rules the actor may read; `status` "active", "inactive" or "all"."""
    if not can(actor, Perm.BILLING_VIEW):
        return ScrubRule.objects.none()
    queryset = ScrubRule.objects.select_related("payer")
    if status == "active":
        queryset = queryset.filter(is_active=True)
    elif status == "inactive":
        queryset = queryset.filter(is_active=False)
    return queryset


def rule_explanation(rule: ScrubRule) -> str:
    """The rule in one sentence (its payer loaded with it: rule_list selects it)."""
    return describe_rule(
        payer_name=rule.payer.name if rule.payer_id is not None and rule.payer is not None else "",
        procedure_code=rule.procedure_code, place_of_service=rule.place_of_service,
        requires_modifier=rule.requires_modifier, forbids_modifier=rule.forbids_modifier,
        requires_prior_authorization=rule.requires_prior_authorization, severity=rule.severity,
    )


def builtin_checks() -> list[tuple[str, str]]:
    """(rule code, what it checks) for every built-in rule, in the order they run."""
    return [(code, str(description)) for code, description in RULE_CODES.items()]
