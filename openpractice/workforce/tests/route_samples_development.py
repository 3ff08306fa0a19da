"""Development-plan samples for THE route matrix (tests/test_routes.py SAMPLES).

Every plan route is login-only and decides by the object: the employee's manager may work the plans of their
direct reports, whatever their role. So the object "in scope" for any signed-in actor is that of an employee at
North whose manager is the actor's own employee record (routes/samples.employees links one to the actor); the
one outside belongs to an employee at South whom nobody manages.

    "devplan": plans,                        # devplan_detail/edit/complete/cancel/item_add (<pk> = plan)
    "devplanitem": plan_items,               # devplanitem_edit/remove/done (<pk> = step)
    "devplanemployee": reports,              # devplan_create (<pk> = employee); KIND_OF_ROUTE names it
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from openpractice.workforce.models import DevelopmentPlan, DevelopmentPlanItem, Employee

from .factories import EmployeeFactory
from .route_samples import employees

START = dt.date(2026, 1, 5)


def _cache(world: Any) -> dict[str, Any]:
    cache: dict[str, Any] = world.__dict__.setdefault("_development_samples", {})
    return cache


def reports(world: Any, actor: Any) -> tuple[Employee, Employee]:
    """(a North employee managed by the actor, a South employee nobody manages); neither has a plan yet."""
    cache = _cache(world)
    key = f"report:{getattr(actor, 'pk', None)}"
    if key not in cache:
        own, _outside = employees(world, actor)
        report = EmployeeFactory(location=world.north, manager=own, hire_date=dt.date(2024, 1, 2))
        if "outside" not in cache:
            cache["outside"] = EmployeeFactory(location=world.south, hire_date=dt.date(2024, 1, 2))
        cache[key] = (report, cache["outside"])
    pair: tuple[Employee, Employee] = cache[key]
    return pair


def _plan(employee: Employee, world: Any) -> DevelopmentPlan:
    plan = DevelopmentPlan.objects.create(employee=employee, title="Towards office manager (mid)",
                                          starts_on=START, target_date=START + dt.timedelta(days=365),
                                          created_by=world.stranger)
    DevelopmentPlanItem.objects.create(plan=plan, kind="other", title="Shadow the practice manager",
                                       due_on=START + dt.timedelta(days=90))
    return plan


def plans(world: Any, actor: Any) -> tuple[DevelopmentPlan, DevelopmentPlan]:
    cache = _cache(world)
    inside, outside = reports(world, actor)
    pair = []
    for employee in (inside, outside):
        key = f"plan:{employee.pk}"
        if key not in cache:
            cache[key] = _plan(employee, world)
        pair.append(cache[key])
    return pair[0], pair[1]


def plan_items(world: Any, actor: Any) -> tuple[DevelopmentPlanItem, DevelopmentPlanItem]:
    inside, outside = plans(world, actor)
    first_inside = inside.items.order_by("pk").first()
    first_outside = outside.items.order_by("pk").first()
    assert first_inside is not None
    assert first_outside is not None
    return first_inside, first_outside


def route_samples(world: Any, actor: Any) -> tuple[Any, Any]:
    """The plans pair (the kind most routes take)."""
    return plans(world, actor)
