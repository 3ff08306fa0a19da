"""Who may change billing data: one place for the two rules every billing service applies.

- Charges, claims, batches and imports belong to a location: billing.manage at that location.
- Fee schedules, code tables, scrubber rules and billing settings apply to every location: billing.manage at
  all locations (as practice settings need practice.manage everywhere), so a biller of one clinic cannot change
  what another clinic bills.

A refusal is audited through accounts.permissions.refuse() — call these before a write transaction opens, so the
denial is kept — and raised as PermissionDenied.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, has_all_locations, refuse
from openpractice.accounts.roles import Perm


def authorize_at(*, actor: Any, location_id: int | None, action: str, target: Any = None,
                 permission: str = Perm.BILLING_MANAGE) -> None:
    """`permission` (billing.manage by default) at the object's location."""
    if location_id is None or not can(actor, permission, location_id):
        raise refuse(actor=actor, permission=permission, action=action, target=target)


def authorize_practice_wide(*, actor: Any, action: str, target: Any = None) -> None:
    """billing.manage at every location: for data that applies practice-wide."""
    if not has_all_locations(actor, Perm.BILLING_MANAGE):
        raise refuse(actor=actor, permission=Perm.BILLING_MANAGE, action=action, target=target,
                     reason=f"{Perm.BILLING_MANAGE} at all locations required",
                     message=_("Only someone who manages billing for every location may change this."))
