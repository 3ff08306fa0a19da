"""Training and discipline samples for tests/test_routes.py: `route_samples(world, actor, kind)` answers (an object
the actor may open, an object at South or someone else's) for the route kinds "training", "course",
"discipline" and "followup".

Self-service pages are open to every signed-in user, so for an actor without the HR permission the object they may
open is their own (an employee record is made for them); holders of the permission get a colleague's at North.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.workforce.models import DisciplinaryAction, DisciplineFollowUp, Employee, TrainingAssignment

from .factories import CourseFactory, EmployeeFactory

PDF = b"%PDF-1.4\n%%EOF\n"


class TrainingAssignmentFactory(factory.django.DjangoModelFactory[TrainingAssignment]):
    class Meta:
        model = TrainingAssignment

    employee = factory.SubFactory(EmployeeFactory)
    course = factory.SubFactory(CourseFactory)
    assigned_on = dt.date(2025, 1, 1)
    due_on = dt.date(2025, 2, 1)
    # A certificate already attached, so the download route has something to serve.
    evidence = factory.django.FileField(filename="certificate.pdf", data=PDF)


class DisciplinaryActionFactory(factory.django.DjangoModelFactory[DisciplinaryAction]):
    class Meta:
        model = DisciplinaryAction

    employee = factory.SubFactory(EmployeeFactory)
    step = "coaching"
    occurred_on = dt.date(2025, 5, 2)
    policy = "Attendance"
    facts = "Late three times in May."
    issued_by = factory.SubFactory("openpractice.accounts.tests.factories.UserFactory")


def _own_employee(world: Any, actor: Any) -> Employee:
    person = actor if actor is not None else world.stranger
    found = Employee.objects.filter(user=person).first()
    return found or EmployeeFactory(user=person, location=world.north)


def route_samples(world: Any, actor: Any, kind: str) -> tuple[Any, Any]:
    cache: dict[str, Any] = world.__dict__.setdefault("_workforce_training_samples", {})
    if "north" not in cache:
        north_employee = EmployeeFactory(location=world.north)
        south_employee = EmployeeFactory(location=world.south)
        cache["course"] = CourseFactory()
        cache["north"] = {"training": TrainingAssignmentFactory(employee=north_employee),
                          "discipline": DisciplinaryActionFactory(employee=north_employee, issued_by=world.stranger)}
        cache["south"] = {"training": TrainingAssignmentFactory(employee=south_employee),
                          "discipline": DisciplinaryActionFactory(employee=south_employee, issued_by=world.stranger)}
        for side in ("north", "south"):
            cache[side]["followup"] = DisciplineFollowUp.objects.create(action=cache[side]["discipline"],
                                                                        due_on=dt.date(2025, 6, 1))
    if kind == "course":
        return cache["course"], None
    permission = Perm.WORKFORCE_VIEW if kind == "training" else Perm.WORKFORCE_DISCIPLINE
    if kind == "followup" or (actor is not None and can(actor, permission)):
        return cache["north"][kind], cache["south"][kind]
    own_key = f"own-{kind}-{getattr(actor, 'pk', None)}"
    if own_key not in cache:
        employee = _own_employee(world, actor)
        cache[own_key] = (TrainingAssignmentFactory(employee=employee) if kind == "training"
                          else DisciplinaryActionFactory(employee=employee, issued_by=world.stranger))
    return cache[own_key], cache["south"][kind]
