"""Reads the case pages need beyond selectors.py: the list's rows with a sortable severity, the locations a form
offers, and the objects a person names by number on a form (a patient's account number, a claim number, an
employee number, an incident id) looked up only among those the actor may see, so a number outside their scope
reads exactly like a number that does not exist. The services check every link again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Case as DbCase
from django.db.models import IntegerField, QuerySet, Value, When

from openpractice.accounts.permissions import can, location_ids_where, reachable_location_ids
from openpractice.accounts.roles import Perm
from openpractice.billing.models import Claim
from openpractice.billing.selectors.claims import claim_scoped
from openpractice.compliance.models import Incident
from openpractice.compliance.selectors.incidents import incident_scoped
from openpractice.core.models import Location
from openpractice.patients.models import Patient
from openpractice.patients.selectors import patient_scoped
from openpractice.workforce.models import Employee
from openpractice.workforce.selectors.employees import employee_scoped

from .choices import Severity
from .models import Case, CaseCategory
from .selectors import VIEW_PERMISSION, WORK_PERMISSION, case_list, categories

SEVERITY_RANK = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}


def case_rows(*, actor: Any, status: str = "", kind: str = "", category: int | None = None, assignee: str = "",
              overdue: bool = False, text: str = "", today: dt.date | None = None) -> QuerySet[Case]:
    """selectors.case_list with a `severity_rank` to sort on (low 1 .. critical 4)."""
    return case_list(actor=actor, status=status, kind=kind, category=category, assignee=assignee, overdue=overdue,
                     text=text, today=today).annotate(severity_rank=DbCase(
                         *[When(severity=value, then=Value(rank)) for value, rank in SEVERITY_RANK.items()],
                         default=Value(0), output_field=IntegerField()))


def kinds_seen(actor: Any) -> list[str]:
    """The kinds of case the actor sees somewhere (for the list's filters)."""
    return [kind for kind, permission in VIEW_PERMISSION.items() if can(actor, permission)]


def list_categories(actor: Any) -> QuerySet[CaseCategory]:
    """The categories of the kinds the actor sees, retired ones included (old cases keep them)."""
    return categories(active_only=False).filter(kind__in=kinds_seen(actor))


def intake_categories(kind: str) -> QuerySet[CaseCategory]:
    return categories(kind=kind)


def intake_locations(*, actor: Any) -> QuerySet[Location]:
    """Where a person filing a case may say it happened: the locations their roles reach."""
    ids = reachable_location_ids(actor)
    queryset = Location.objects.filter(is_active=True).order_by("name")
    return queryset if ids is None else queryset.filter(pk__in=sorted(ids))


def work_locations(*, actor: Any, kind: str, current: int | None = None) -> QuerySet[Location]:
    """Where the actor works cases of `kind` (and the case's present location, so the form can keep it)."""
    ids = location_ids_where(actor, WORK_PERMISSION[kind])
    queryset = Location.objects.order_by("name")
    if ids is None:
        return queryset
    return queryset.filter(pk__in=sorted(ids | ({current} if current else set())))


def may_pick_patients(actor: Any) -> bool:
    """Whether a patient can be named on the intake form: the actor sees patients somewhere."""
    return can(actor, Perm.PATIENTS_DEMOGRAPHICS)


def may_pick_claims(actor: Any) -> bool:
    return can(actor, Perm.BILLING_VIEW)


def may_pick_employees(actor: Any) -> bool:
    return can(actor, Perm.WORKFORCE_VIEW)


def may_pick_incidents(actor: Any) -> bool:
    return can(actor, Perm.COMPLIANCE_INCIDENTS)


def patient_by_account(*, actor: Any, account_number: str) -> Patient | None:
    number = account_number.strip().upper()
    return patient_scoped(actor=actor).filter(account_number=number).first() if number else None


def claim_by_number(*, actor: Any, claim_number: str) -> Claim | None:
    number = claim_number.strip()
    return claim_scoped(actor=actor).filter(claim_number=number).first() if number else None


def employee_by_number(*, actor: Any, employee_number: str) -> Employee | None:
    number = employee_number.strip()
    return employee_scoped(actor=actor).filter(employee_number=number).first() if number else None


def incident_by_id(*, actor: Any, incident_id: int | None) -> Incident | None:
    return incident_scoped(actor=actor).filter(pk=incident_id).first() if incident_id else None


def link_numbers(case: Case) -> dict[str, Any]:
    """The case's present links as the links form shows them (numbers, not database ids)."""
    return {
        "patient": case.patient.account_number if case.patient_id and case.patient else "",
        "claim": case.claim.claim_number if case.claim_id and case.claim else "",
        "respondent": case.respondent.employee_number if case.respondent_id and case.respondent else "",
        "incident": case.incident_id,
    }
