"""Reading credentials: the catalog, who holds what, what expires soon, renewal chains, and whether a provider's
licence is in force on a day (for the booking check)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from openpractice.accounts.roles import Perm
from openpractice.core.selectors import practice_today

from ..choices import EmployeeStatus
from ..models import CredentialType, Employee, EmployeeCredential
from .scope import employees_scoped

EXPIRING_WITHIN_DAYS = 90


def credential_types(*, active_only: bool = False) -> QuerySet[CredentialType]:
    """The catalog is practice-wide reference data (no personal data): the same for every reader."""
    queryset = CredentialType.objects.all()
    return queryset.filter(is_active=True) if active_only else queryset


def credentials_scoped(*, actor: Any, permission: str = Perm.WORKFORCE_VIEW,
                       include_self: bool = True) -> QuerySet[EmployeeCredential]:
    """The credentials of the employees `actor` reaches through `permission` (and their own)."""
    reachable = employees_scoped(actor=actor, permission=permission, include_self=include_self)
    return (EmployeeCredential.objects.filter(employee__in=reachable.values("pk"))
            .select_related("employee", "credential_type", "verified_by"))


def current_only(queryset: QuerySet[EmployeeCredential]) -> QuerySet[EmployeeCredential]:
    """Drop the credentials a renewal has replaced: the head of each chain is what the employee holds now."""
    return queryset.filter(renewed_by__isnull=True)


def expiring_credentials(*, actor: Any, today: dt.date | None = None,
                         within_days: int = EXPIRING_WITHIN_DAYS) -> QuerySet[EmployeeCredential]:
    """Held credentials of employees still on staff that expire within `within_days`, or have expired and
    were not renewed; soonest (most overdue) first. For HR: the actor's own record counts only through the
    permission."""
    today = today or practice_today()
    queryset = current_only(credentials_scoped(actor=actor, include_self=False))
    return (queryset.exclude(employee__status=EmployeeStatus.TERMINATED)
            .filter(expires_on__isnull=False, expires_on__lte=today + dt.timedelta(days=within_days))
            .order_by("expires_on", "pk"))


def renewal_chain(credential: EmployeeCredential) -> list[EmployeeCredential]:
    """Every credential of `credential`'s chain, newest first (the renewals, then it, then what it replaced)."""
    newer: list[EmployeeCredential] = []
    node = EmployeeCredential.objects.filter(replaces=credential).first()
    while node is not None:
        newer.append(node)
        node = EmployeeCredential.objects.filter(replaces=node).first()
    older: list[EmployeeCredential] = []
    previous_id = credential.replaces_id
    while previous_id is not None:
        previous = EmployeeCredential.objects.select_related("verified_by").get(pk=previous_id)
        older.append(previous)
        previous_id = previous.replaces_id
    return [*reversed(newer), credential, *older]


def expired_patient_licences(*, employee: Employee, on: dt.date) -> list[EmployeeCredential]:
    """The employee's licences needed to see patients that have lapsed on `on`: a type they have held that
    expired before that day, with no verified credential of the same type in force that day (a renewal the
    employee uploaded counts once HR has verified it). The newest lapsed row of each type, one per type."""
    rows = list(EmployeeCredential.objects.filter(employee=employee, credential_type__required_to_see_patients=True)
                .select_related("credential_type").order_by("credential_type_id", "-expires_on", "-pk"))
    in_force = {row.credential_type_id for row in rows
                if row.verified_at is not None and (row.issued_on is None or row.issued_on <= on)
                and (row.expires_on is None or row.expires_on >= on)}
    lapsed: dict[int, EmployeeCredential] = {}
    for row in rows:
        if row.credential_type_id in in_force or row.expires_on is None or row.expires_on >= on:
            continue
        lapsed.setdefault(row.credential_type_id, row)
    return list(lapsed.values())


def provider_lapsed_licences(*, provider_id: int, on: dt.date) -> list[EmployeeCredential]:
    employee = Employee.objects.filter(provider_id=provider_id).first()
    if employee is None:
        return []
    return expired_patient_licences(employee=employee, on=on)


def alert_candidates(*, today: dt.date, horizon_days: int) -> QuerySet[EmployeeCredential]:
    """Held credentials of employees on staff expiring within `horizon_days` (or already expired): the rows
    the daily alert run looks at."""
    return (EmployeeCredential.objects.filter(renewed_by__isnull=True, expires_on__isnull=False,
                                              expires_on__lte=today + dt.timedelta(days=horizon_days))
            .exclude(employee__status=EmployeeStatus.TERMINATED)
            .select_related("employee", "credential_type").order_by("expires_on", "pk"))
