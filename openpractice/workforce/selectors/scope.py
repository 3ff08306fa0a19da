"""Who may see which employee: the one rule every workforce selector and service builds on.

An HR permission (workforce.view, .pay, .discipline, .payroll …) held at some locations reaches the employees
whose main location is one of them; held for all locations it reaches everyone, including employees with no main
location. Everybody reaches their own record (self-service), whatever their roles; what they see of it is the
caller's choice (a person sees their own pay and discipline, never someone else's without the permission).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from openpractice.accounts.permissions import location_ids_where

from ..models import Employee


def employee_condition(actor: Any, permission: str, *, include_self: bool = True) -> Q:
    """The employees `actor` reaches through `permission` (and their own record when include_self)."""
    own = Q(user_id=actor.pk) if include_self and getattr(actor, "is_authenticated", False) else Q(pk__in=[])
    ids = location_ids_where(actor, permission)
    if ids is None:  # every location
        return Q(pk__isnull=False)
    if not ids:
        return own
    return Q(location_id__in=sorted(ids)) | own


def employees_scoped(*, actor: Any, permission: str, include_self: bool = True) -> QuerySet[Employee]:
    return Employee.objects.filter(employee_condition(actor, permission, include_self=include_self))


def own_employee(actor: Any) -> Employee | None:
    """The actor's own employee record (self-service), or None."""
    if not getattr(actor, "is_authenticated", False):
        return None
    return Employee.objects.filter(user_id=actor.pk).first()
