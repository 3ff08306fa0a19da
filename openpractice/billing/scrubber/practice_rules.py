"""Practice-defined rules (models.ScrubRule), prepared once per run and applied to each claim line.

A rule looks at every line that matches all of its filters (payer, procedure code, place of service; an empty
filter matches anything). It fires on a matching line that breaks its requirement — a required modifier
missing, a forbidden modifier present, a prior authorization required and the claim has none — or, when the
rule sets no requirement, on every matching line ("this payer does not cover code X"). The finding carries the
practice's own severity, message and fix hint.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from ..choices import Severity
from ..models import ScrubRule
from .findings import Finding

if TYPE_CHECKING:
    from .context import ClaimInput, ScrubContext

RULE_CODE_PREFIX = "practice_"


@dataclass(frozen=True, slots=True)
class PracticeRule:
    pk: int
    name: str
    payer_id: int | None
    procedure_code: str
    place_of_service: str
    requires_modifier: str
    forbids_modifier: str
    requires_prior_authorization: bool
    severity: str
    message: str
    fix_hint: str

    @property
    def code(self) -> str:
        """The finding's rule code: stable while the rule exists, whatever it is renamed to."""
        return f"{RULE_CODE_PREFIX}{self.pk}"

    @property
    def has_requirement(self) -> bool:
        return bool(self.requires_modifier or self.forbids_modifier or self.requires_prior_authorization)

    @classmethod
    def of(cls, rule: ScrubRule) -> PracticeRule:
        return cls(
            pk=rule.pk, name=rule.name, payer_id=rule.payer_id, procedure_code=rule.procedure_code,
            place_of_service=rule.place_of_service, requires_modifier=rule.requires_modifier,
            forbids_modifier=rule.forbids_modifier, requires_prior_authorization=rule.requires_prior_authorization,
            severity=rule.severity, message=rule.message, fix_hint=rule.fix_hint,
        )


def active_practice_rules() -> tuple[PracticeRule, ...]:
    """The active rules, read once per scrub run."""
    return tuple(PracticeRule.of(rule) for rule in ScrubRule.objects.filter(is_active=True).order_by("name", "pk"))


def practice_rule_findings(item: ClaimInput, context: ScrubContext) -> Iterator[Finding]:
    claim = item.claim
    rules = context.rules_for_payer(claim.payer_id)
    if not rules:
        return
    has_prior_authorization = bool(claim.prior_authorization.strip())
    for rule in rules:
        if rule.place_of_service and rule.place_of_service != claim.place_of_service:
            continue
        for line in item.lines:
            if rule.procedure_code and rule.procedure_code != line.procedure_code:
                continue
            if rule.has_requirement:
                modifiers = line.modifiers or []
                broken = (
                    (rule.requires_modifier and rule.requires_modifier not in modifiers)
                    or (rule.forbids_modifier and rule.forbids_modifier in modifiers)
                    or (rule.requires_prior_authorization and not has_prior_authorization)
                )
                if not broken:
                    continue
            yield Finding(rule=rule.code, severity=rule.severity, message=rule.message, fix_hint=rule.fix_hint,
                          line_number=line.line_number)


def describe_rule(
    *,
    payer_name: str = "",
    procedure_code: str = "",
    place_of_service: str = "",
    requires_modifier: str = "",
    forbids_modifier: str = "",
    requires_prior_authorization: bool = False,
    severity: str = Severity.ERROR,
) -> str:
    """The rule in one sentence: "On lines for Aetna with code 99213 at POS 02: require modifier 95 — error"."""
    where = []
    if payer_name:
        where.append(_("for %(payer)s") % {"payer": payer_name})
    if procedure_code:
        where.append(_("with code %(code)s") % {"code": procedure_code})
    if place_of_service:
        where.append(_("at POS %(pos)s") % {"pos": place_of_service})
    subject = _("On lines %(where)s") % {"where": " ".join(where)} if where else _("On every line")
    needs = []
    if requires_modifier:
        needs.append(_("require modifier %(modifier)s") % {"modifier": requires_modifier})
    if forbids_modifier:
        needs.append(_("forbid modifier %(modifier)s") % {"modifier": forbids_modifier})
    if requires_prior_authorization:
        needs.append(_("require a prior authorization number on the claim"))
    action = "; ".join(needs) if needs else _("always flag the line")
    level = _("error") if severity == Severity.ERROR else _("warning")
    return f"{subject}: {action} — {level}"
