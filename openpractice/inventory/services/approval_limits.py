"""The approval limits (how much a role at a tier approves alone): the practice sets them.

Setting them is practice configuration (practice.manage: the senior practice manager). Only the (role, tier)
pairs whose roles hold inventory.use can approve at all (services.purchasing.approval_limit reads only those),
so only those may have a limit. The table is replaced as a whole: a pair left out no longer approves.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import PERMISSION_TABLE, Perm
from openpractice.audit.services import record

from ..models import ApprovalLimit

CENT = Decimal("0.01")
MAX_LIMIT = Decimal("9999999999.99")


def approving_pairs() -> list[tuple[str, str]]:
    """The (role, tier) pairs that may approve requisitions when given a limit, in the table's order."""
    return [pair for pair, granted in PERMISSION_TABLE.items() if Perm.INVENTORY_USE in granted]


def approval_limits_set(*, actor: Any, limits: Mapping[tuple[str, str], Decimal | None]) -> list[str]:
    """Replace the approval limits: `limits` maps (role, tier) to the most it approves alone (None: no limit);
    pairs not in it do not approve. Answers the pairs that changed ("role/tier"), audited together."""
    if not can(actor, Perm.PRACTICE_MANAGE):
        raise refuse(actor=actor, permission=Perm.PRACTICE_MANAGE, action="inventory.approval_limits_set")
    allowed = set(approving_pairs())
    unknown = sorted(f"{role}/{tier}" for role, tier in set(limits) - allowed)
    if unknown:
        raise ValidationError(_("These roles cannot approve requisitions: %(pairs)s.") % {"pairs": ", ".join(unknown)})
    cleaned: dict[tuple[str, str], Decimal | None] = {}
    for pair, amount in limits.items():
        if amount is not None:
            if amount < 0 or amount > MAX_LIMIT:
                raise ValidationError(_("A limit is an amount from 0 to %(max)s.") % {"max": MAX_LIMIT})
            amount = amount.quantize(CENT)
        cleaned[pair] = amount
    with transaction.atomic():
        current = {(row.role, row.tier): row for row in ApprovalLimit.objects.select_for_update()}
        changed: list[str] = []
        for pair, existing in current.items():
            if pair not in cleaned:
                existing.delete()
                changed.append("/".join(pair))
        for pair, amount in cleaned.items():
            row = current.get(pair)
            if row is None:
                ApprovalLimit.objects.create(role=pair[0], tier=pair[1], max_amount=amount)
                changed.append("/".join(pair))
            elif row.max_amount != amount:
                row.max_amount = amount
                row.save(update_fields=["max_amount"])
                changed.append("/".join(pair))
        if changed:
            record(actor=actor, action="inventory.approval_limits_set", object_type="inventory.approvallimit",
                   changed_fields=changed)
    return changed
