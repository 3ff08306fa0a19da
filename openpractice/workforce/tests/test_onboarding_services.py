"""Onboarding/offboarding services: checklists from templates with owners and due dates, working tasks,
termination (access ends at once, audited, offboarding started)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import UserFactory, sign_in
from openpractice.audit.models import AuditEvent
from openpractice.workforce.models import Checklist, ChecklistTask, TrainingAssignment
from openpractice.workforce.services import employees as employee_services
from openpractice.workforce.services import onboarding as services

from .factories import CourseFactory, EmployeeFactory, PositionFactory
from .factories_employees import ChecklistTemplateFactory, ChecklistTemplateItemFactory

pytestmark = pytest.mark.django_db

START = dt.date(2025, 3, 3)


@pytest.fixture
def hr(make_user: Any, north: Any) -> Any:
    return make_user(Role.HR, locations=[north])


@pytest.fixture
def team(make_user: Any, north: Any) -> dict[str, Any]:
    """An employee with a manager (both with accounts) at north, an office manager there and an administrator."""
    manager = EmployeeFactory(location=north, user=UserFactory())
    employee = EmployeeFactory(location=north, manager=manager, user=UserFactory(), position=PositionFactory())
    office = make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])
    admin = make_user(Role.ADMINISTRATOR)
    return {"manager": manager, "employee": employee, "office": office, "admin": admin}


def _template(kind: str = "onboarding", position: Any = None) -> Any:
    template = ChecklistTemplateFactory(kind=kind, position=position)
    for order, (role, days) in enumerate([("manager", -2), ("hr", 0), ("it", 0), ("employee", 7), ("office", 1)]):
        ChecklistTemplateItemFactory(template=template, order=order, title=f"{role} task", owner_role=role,
                                     due_days=days)
    return template


def test_start_copies_items_with_owners_and_due_dates(hr: Any, team: dict[str, Any]) -> None:
    general = _template()
    own = _template(position=team["employee"].position)
    checklist = services.checklist_start(actor=hr, employee=team["employee"], kind="onboarding", starts_on=START)
    assert checklist.template_id == own.pk != general.pk
    tasks = {task.title: task for task in checklist.tasks.all()}
    assert tasks["manager task"].owner_id == team["manager"].user_id
    assert tasks["manager task"].due_on == START - dt.timedelta(days=2)
    assert tasks["hr task"].owner_id == hr.pk
    assert tasks["it task"].owner_id == team["admin"].pk
    assert tasks["employee task"].owner_id == team["employee"].user_id
    assert tasks["employee task"].due_on == START + dt.timedelta(days=7)
    assert tasks["office task"].owner_id == team["office"].pk
    assert AuditEvent.objects.filter(action="workforce.checklist_started", object_id=str(checklist.pk)).exists()
    # Later changes to the template do not reach the checklist under way.
    own.items.all().delete()
    assert checklist.tasks.count() == 5


def test_an_item_naming_a_course_assigns_it_due_with_its_task_once(hr: Any, team: dict[str, Any]) -> None:
    hipaa, osha = CourseFactory(code="HIPAA-ON"), CourseFactory(code="OSHA-ON")
    template = ChecklistTemplateFactory(kind="onboarding", position=team["employee"].position)
    ChecklistTemplateItemFactory(template=template, title="HIPAA training", owner_role="employee", due_days=5,
                                 course=hipaa)
    ChecklistTemplateItemFactory(template=template, title="OSHA training", owner_role="employee", due_days=10,
                                 course=osha)
    already = TrainingAssignment.objects.create(employee=team["employee"], course=osha, assigned_on=START,
                                                due_on=START + dt.timedelta(days=3))
    services.checklist_start(actor=hr, employee=team["employee"], kind="onboarding", starts_on=START)
    assignments = TrainingAssignment.objects.filter(employee=team["employee"])
    assert sorted(assignments.values_list("course__code", "due_on")) == [
        ("HIPAA-ON", START + dt.timedelta(days=5)), ("OSHA-ON", already.due_on)]  # the open one kept, not doubled
    assert AuditEvent.objects.filter(action="workforce.training_assigned", actor=hr).count() == 1


def test_owner_left_empty_when_nobody_fits(make_user: Any, south: Any) -> None:
    _template()
    hr_everywhere = make_user(Role.HR)
    loner = EmployeeFactory(location=south)  # no manager, no account, no office manager at south
    checklist = services.checklist_start(actor=hr_everywhere, employee=loner, kind="onboarding", starts_on=START)
    owners = dict(checklist.tasks.values_list("title", "owner_id"))
    assert owners["manager task"] is None
    assert owners["employee task"] is None
    assert owners["office task"] is None


def test_start_refused_out_of_scope_changes_nothing(hr: Any, south: Any) -> None:
    _template()
    elsewhere = EmployeeFactory(location=south)
    with pytest.raises(PermissionDenied):
        services.checklist_start(actor=hr, employee=elsewhere, kind="onboarding", starts_on=START)
    assert not Checklist.objects.exists()
    assert AuditEvent.objects.filter(action="workforce.checklist_start", outcome="denied").exists()


def test_one_open_checklist_per_kind(hr: Any, team: dict[str, Any]) -> None:
    _template()
    services.checklist_start(actor=hr, employee=team["employee"], kind="onboarding", starts_on=START)
    with pytest.raises(ValidationError):
        services.checklist_start(actor=hr, employee=team["employee"], kind="onboarding", starts_on=START)
    assert Checklist.objects.count() == 1


def test_owner_works_their_task_others_refused_and_checklist_completes(hr: Any, team: dict[str, Any],
                                                                       make_user: Any, north: Any) -> None:
    template = ChecklistTemplateFactory()
    ChecklistTemplateItemFactory(template=template, owner_role="office", title="Keys")
    ChecklistTemplateItemFactory(template=template, owner_role="hr", title="I-9")
    checklist = services.checklist_start(actor=hr, employee=team["employee"], kind="onboarding", starts_on=START)
    keys = checklist.tasks.get(title="Keys")
    i9 = checklist.tasks.get(title="I-9")
    other_office = make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])
    with pytest.raises(PermissionDenied):
        services.task_set_status(actor=other_office, task=i9, status="done")
    i9.refresh_from_db()
    assert i9.status == "open"
    assert i9.done_by_id is None
    assert AuditEvent.objects.filter(action="workforce.checklist_task_update", outcome="denied").exists()
    services.task_set_status(actor=team["office"], task=keys, status="done", note="two keys")
    keys.refresh_from_db()
    assert keys.status == "done"
    assert keys.done_by_id == team["office"].pk
    assert keys.note == "two keys"
    checklist.refresh_from_db()
    assert checklist.completed_at is None
    services.task_set_status(actor=hr, task=i9, status="skipped")
    checklist.refresh_from_db()
    assert checklist.completed_at is not None
    assert AuditEvent.objects.filter(action="workforce.checklist_task_updated").count() == 2
    with pytest.raises(ValidationError):
        services.task_set_status(actor=hr, task=i9, status="open")


def test_template_writes_need_manage(make_user: Any, hr: Any) -> None:
    office = make_user(Role.OFFICE_MANAGER, Tier.MID)
    with pytest.raises(PermissionDenied):
        services.template_create(actor=office, name="Start", kind="onboarding")
    template = services.template_create(actor=hr, name="Start", kind="onboarding")
    with pytest.raises(PermissionDenied):
        services.template_item_add(actor=office, template=template, data={"title": "x", "owner_role": "hr"})
    item = services.template_item_add(actor=hr, template=template,
                                      data={"title": "HIPAA training", "owner_role": "employee", "due_days": 30})
    assert list(template.items.values_list("pk", flat=True)) == [item.pk]


def test_termination_ends_sessions_revokes_access_and_starts_offboarding(hr: Any, team: dict[str, Any]) -> None:
    _template(kind="offboarding")
    employee = team["employee"]
    browser = sign_in(Client(), employee.user)
    assert browser.get("/workforce/me/").status_code == 200
    employee_services.employee_terminate(actor=hr, employee=employee, termination_date=START, reason="Resigned")
    employee.refresh_from_db()
    employee.user.refresh_from_db()
    assert employee.status == "terminated"
    assert employee.termination_date == START
    assert employee.termination_reason == "Resigned"
    assert not employee.user.is_active
    assert employee.user.deactivated_at is not None
    # The signed-in browser is anonymous now: sent to the sign-in page.
    response = browser.get("/workforce/me/")
    assert response.status_code == 302
    assert "login" in response["Location"]
    assert not [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(employee.user_id)]
    assert AuditEvent.objects.filter(action="workforce.employee_terminated", object_id=str(employee.pk)).exists()
    assert AuditEvent.objects.filter(action="user.deactivated", object_id=str(employee.user_id)).exists()
    offboarding = Checklist.objects.get(employee=employee, kind="offboarding")
    assert offboarding.starts_on == START
    # The leaver's own task has no owner: their account is inactive.
    assert ChecklistTask.objects.get(checklist=offboarding, title="employee task").owner_id is None


def test_termination_refused_changes_nothing(make_user: Any, team: dict[str, Any], north: Any) -> None:
    office_mid = make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    employee = team["employee"]
    browser = sign_in(Client(), employee.user)
    with pytest.raises(PermissionDenied):
        employee_services.employee_terminate(actor=office_mid, employee=employee, termination_date=START,
                                             reason="No")
    employee.refresh_from_db()
    employee.user.refresh_from_db()
    assert employee.status == "active"
    assert employee.user.is_active
    assert browser.get("/workforce/me/").status_code == 200
    assert AuditEvent.objects.filter(action="workforce.employee_terminate", outcome="denied").exists()


def test_last_administrator_cannot_be_terminated(hr: Any, make_user: Any, north: Any) -> None:
    admin = make_user(Role.ADMINISTRATOR)
    employee = EmployeeFactory(location=north, user=admin)
    with pytest.raises(ValidationError):
        employee_services.employee_terminate(actor=hr, employee=employee, termination_date=START, reason="Left")
    employee.refresh_from_db()
    admin.refresh_from_db()
    assert employee.status == "active"
    assert admin.is_active
