"""Objects for THE route matrix (tests/test_routes.py SAMPLES): for employees, their documents, credentials,
checklists and positions, one the actor reaches and one outside their scope.

The one they reach belongs to an employee at North who IS the actor (linked to their account): every employee
reaches their own record (self-service), so login-only pages (my credentials, my career path) open for every
role, and an HR holder at North reaches it through their location too. The other belongs to an employee at
South who is nobody's account."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from openpractice.workforce.choices import ChecklistKind, PayPeriodStatus
from openpractice.workforce.models import (
    Checklist,
    ChecklistTask,
    ChecklistTemplate,
    ChecklistTemplateItem,
    Employee,
    EmployeeCredential,
    EmployeeDocument,
    PayBenchmark,
    PayPeriod,
    Position,
    PtoRequest,
)

from .factories import CredentialTypeFactory, EmployeeFactory, PositionFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DAY = dt.date(2026, 11, 2)


def _cache(world: Any) -> dict[str, Any]:
    cache: dict[str, Any] = world.__dict__.setdefault("_workforce_samples", {})
    return cache


def employees(world: Any, actor: Any) -> tuple[Employee, Employee]:
    cache = _cache(world)
    key = f"employee:{getattr(actor, 'pk', None)}"
    if key not in cache:
        own = Employee.objects.filter(user=actor).first() if actor is not None else None
        inside = own or EmployeeFactory(location=world.north, user=actor, hire_date=dt.date(2024, 1, 2))
        if "outside" not in cache:
            cache["outside"] = EmployeeFactory(location=world.south, hire_date=dt.date(2024, 1, 2))
        cache[key] = (inside, cache["outside"])
    pair: tuple[Employee, Employee] = cache[key]
    return pair


def _per_employee(world: Any, actor: Any, kind: str, make: Any) -> tuple[Any, Any]:
    cache = _cache(world)
    inside, outside = employees(world, actor)
    pair = []
    for employee in (inside, outside):
        key = f"{kind}:{employee.pk}"
        if key not in cache:
            cache[key] = make(employee, world, actor)
        pair.append(cache[key])
    return pair[0], pair[1]


def _document(employee: Employee, world: Any, actor: Any) -> EmployeeDocument:
    document = EmployeeDocument(employee=employee, kind="contract", title="Contract", content_type="application/pdf",
                                size=len(PDF), uploaded_by=world.stranger)
    document.file.save("contract.pdf", ContentFile(PDF), save=False)
    document.save()
    return document


def _credential(employee: Employee, world: Any, actor: Any) -> EmployeeCredential:
    credential = EmployeeCredential(employee=employee, credential_type=CredentialTypeFactory(code="ROUTE-BLS"),
                                    number="R-1", issued_on=dt.date(2025, 1, 1), expires_on=dt.date(2027, 1, 1),
                                    added_by=world.stranger)
    credential.evidence.save("card.pdf", ContentFile(PDF), save=False)
    credential.save()
    return credential


def _checklist(employee: Employee, world: Any, actor: Any) -> Checklist:
    checklist = Checklist.objects.create(employee=employee, kind=ChecklistKind.ONBOARDING, starts_on=DAY,
                                         created_by=world.stranger)
    # The actor owns the task of their own checklist (the owner may work it); nobody owns the other.
    owner = actor if employee.user_id is not None else None
    ChecklistTask.objects.create(checklist=checklist, title="Keys", owner=owner, due_on=DAY)
    return checklist






def documents(world: Any, actor: Any) -> tuple[Any, Any]:
    return _per_employee(world, actor, "document", _document)


def credentials(world: Any, actor: Any) -> tuple[Any, Any]:
    return _per_employee(world, actor, "credential", _credential)


def checklists(world: Any, actor: Any) -> tuple[Any, Any]:
    return _per_employee(world, actor, "checklist", _checklist)


def checklist_tasks(world: Any, actor: Any) -> tuple[Any, Any]:
    inside, outside = checklists(world, actor)
    return inside.tasks.get(), outside.tasks.get()








def positions(world: Any, actor: Any) -> tuple[Position, Position]:
    cache = _cache(world)
    if "position" not in cache:
        cache["position"] = (PositionFactory(title="North front desk lead", location=world.north),
                             PositionFactory(title="South front desk lead", location=world.south))
    pair: tuple[Position, Position] = cache["position"]
    return pair


def pto_requests(world: Any, actor: Any) -> tuple[Any, Any]:
    """For a payroll holder, a North employee's request (nobody decides their own); for anyone else, their own
    (they may cancel it). The other is a South employee's."""
    from openpractice.accounts.permissions import can
    from openpractice.accounts.roles import Perm

    cache = _cache(world)
    inside_employee, outside_employee = employees(world, actor)
    if actor is not None and can(actor, Perm.WORKFORCE_PAYROLL):
        if "north_staff" not in cache:
            cache["north_staff"] = EmployeeFactory(location=world.north, hire_date=dt.date(2024, 1, 2))
        inside_employee = cache["north_staff"]
    pair = []
    for employee in (inside_employee, outside_employee):
        key = f"pto:{employee.pk}"
        if key not in cache:
            cache[key] = PtoRequest.objects.create(employee=employee, starts_on=DAY + dt.timedelta(days=30),
                                                   ends_on=DAY + dt.timedelta(days=30), hours=8,
                                                   created_by=world.stranger)
        pair.append(cache[key])
    return pair[0], pair[1]


def practice_wide(kind: str) -> Any:
    """Kinds with no location: the credential catalog, checklist templates and pay benchmarks."""

    def sample(world: Any, actor: Any) -> tuple[Any, None]:
        cache = _cache(world)
        if kind not in cache:
            if kind == "credentialtype":
                cache[kind] = CredentialTypeFactory(code="ROUTE-CAT")
            elif kind == "template":
                cache[kind] = ChecklistTemplate.objects.create(name="Front desk start", kind=ChecklistKind.ONBOARDING)
            elif kind == "templateitem":
                template = practice_wide("template")(world, actor)[0]
                cache[kind] = ChecklistTemplateItem.objects.create(template=template, title="Keys", owner_role="hr")
            elif kind == "payperiod":  # closed: what the payroll export reads
                cache[kind] = PayPeriod.objects.create(starts_on=DAY - dt.timedelta(days=13), ends_on=DAY,
                                                       status=PayPeriodStatus.CLOSED, closed_at=timezone.now())
            elif kind == "paybenchmark":
                cache[kind] = PayBenchmark.objects.order_by("pk").first()
        return cache[kind], None

    return sample


