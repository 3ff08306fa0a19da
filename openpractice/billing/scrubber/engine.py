"""Run every rule over prepared claims. Pure: no database access (see context.py for the loading)."""

from __future__ import annotations

from collections.abc import Iterable

from .builtin import BUILTIN_RULES
from .context import ClaimInput, ScrubContext
from .findings import Finding
from .practice_rules import practice_rule_findings


def scrub(item: ClaimInput, context: ScrubContext) -> list[Finding]:
    """The findings for one claim: the built-in rules in their fixed order, then the practice's rules."""
    findings: list[Finding] = []
    for rule in BUILTIN_RULES:
        findings.extend(rule(item, context))
    findings.extend(practice_rule_findings(item, context))
    return findings


def scrub_many(items: Iterable[ClaimInput], context: ScrubContext) -> dict[int, list[Finding]]:
    """{claim id: findings} for every claim given."""
    return {item.claim.pk: scrub(item, context) for item in items}
