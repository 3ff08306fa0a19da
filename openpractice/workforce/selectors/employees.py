"""Reading employees: the list (search, status filter), one record, sensitive values (masked unless the reader
holds workforce.manage there; each reveal audited), documents, and the person's own profile."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from openpractice.accounts.permissions import can, has_all_locations
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record

from ..choices import EmployeeStatus
from ..models import Employee, EmployeeDocument
from .scope import employee_condition, employees_scoped, own_employee

SENSITIVE_LABELS: dict[str, str] = {
    "ssn": "SSN", "bank_routing_number": "bank routing number", "bank_account_number": "bank account number",
}


def employee_list(*, actor: Any, text: str = "", status: str = "") -> QuerySet[Employee]:
    """Employees the actor reaches with workforce.view; `text` matches name, number or email, `status` one of
    EmployeeStatus (empty: everyone not terminated, "all": everyone)."""
    queryset = employees_scoped(actor=actor, permission=Perm.WORKFORCE_VIEW, include_self=False)
    text = text.replace("\x00", "").strip()[:100]
    for word in text.split()[:4]:
        queryset = queryset.filter(Q(last_name__icontains=word) | Q(first_name__icontains=word)
                                   | Q(preferred_name__icontains=word) | Q(employee_number__iexact=word)
                                   | Q(email__icontains=word))
    if status in EmployeeStatus.values:
        queryset = queryset.filter(status=status)
    elif status != "all":
        queryset = queryset.exclude(status=EmployeeStatus.TERMINATED)
    return queryset.select_related("position", "location", "manager")


def employee_scoped(*, actor: Any, permission: str = Perm.WORKFORCE_VIEW) -> QuerySet[Employee]:
    """Records the actor may open as HR records (not their own unless the permission reaches it)."""
    return employees_scoped(actor=actor, permission=permission, include_self=False).select_related(
        "position", "location", "manager", "user")


def may_see_sensitive(actor: Any, employee: Employee) -> bool:
    if employee.location_id is None:
        return has_all_locations(actor, Perm.WORKFORCE_MANAGE)
    return can(actor, Perm.WORKFORCE_MANAGE, employee.location_id)


def sensitive_reveal(*, actor: Any, employee: Employee, field: str) -> str | None:
    """The clear value of one sensitive field for a workforce.manage holder (audited), None for anyone else."""
    if field not in SENSITIVE_LABELS or not may_see_sensitive(actor, employee):
        return None
    record(actor=actor, action="workforce.sensitive_viewed", target=employee, location_id=employee.location_id,
           changed_fields=[field])
    return str(getattr(employee, field) or "")


def document_scoped(*, actor: Any) -> QuerySet[EmployeeDocument]:
    """Documents of employees the actor reaches with workforce.view, and their own (self-service)."""
    return EmployeeDocument.objects.filter(
        employee__in=Employee.objects.filter(employee_condition(actor, Perm.WORKFORCE_VIEW))
    ).select_related("employee")


def document_list(*, employee: Employee) -> QuerySet[EmployeeDocument]:
    return employee.documents.select_related("uploaded_by")


def my_employee(*, actor: Any) -> Employee | None:
    employee = own_employee(actor)
    if employee is None:
        return None
    return Employee.objects.select_related("position", "location", "manager").get(pk=employee.pk)


def direct_reports(*, actor: Any, employee: Employee) -> QuerySet[Employee]:
    return employee_scoped(actor=actor).filter(manager=employee)
