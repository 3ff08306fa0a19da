"""Discipline: progressive steps with the skip warning, follow-ups, closing, the employee's acknowledgement; only
workforce.discipline holders in scope (never on themselves) and the employee for their own; refusals change
nothing and are audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.workforce.choices import DisciplineStatus, DisciplineStep
from openpractice.workforce.models import DisciplinaryAction, DisciplineFollowUp, Employee
from openpractice.workforce.selectors import discipline as selectors
from openpractice.workforce.services import discipline as services
from openpractice.workforce.tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 5, 2)


@pytest.fixture
def hr(make_user: Callable[..., User]) -> User:
    return make_user(Role.HR)


def _issue(actor: User, employee: Employee, step: str = DisciplineStep.COACHING, **extra: Any) -> services.Issued:
    return services.discipline_issue(actor=actor, employee=employee, step=step, occurred_on=DAY,
                                     policy="Attendance policy 4.2", facts="Late three times in May.", **extra)


def _snapshot() -> list[tuple[Any, ...]]:
    return list(DisciplinaryAction.objects.order_by("pk").values_list(
        "step", "status", "acknowledged_at", "employee_comment", "closed_at"))


def test_a_step_is_issued_with_its_follow_ups_and_audited(hr: User) -> None:
    employee = EmployeeFactory()
    issued = _issue(hr, employee, expectations="On time every day.",
                    follow_up_dates=[dt.date(2025, 6, 1), dt.date(2025, 7, 1)])
    assert issued.skipped is None
    assert [f.due_on for f in issued.action.follow_ups.all()] == [dt.date(2025, 6, 1), dt.date(2025, 7, 1)]
    assert AuditEvent.objects.filter(action="workforce.discipline_issued", object_id=str(issued.action.pk)).exists()


def test_skipping_a_level_is_warned_not_blocked(hr: User) -> None:
    employee = EmployeeFactory()
    coaching = _issue(hr, employee).action
    services.discipline_close(actor=hr, action=coaching, status=DisciplineStatus.CLOSED_ESCALATED)
    issued = _issue(hr, employee, step=DisciplineStep.WRITTEN, previous=coaching)
    assert issued.skipped == (DisciplineStep.COACHING, DisciplineStep.WRITTEN)
    assert issued.action.pk  # recorded all the same
    event = AuditEvent.objects.get(action="workforce.discipline_issued", object_id=str(issued.action.pk))
    assert "skips from coaching to written" in event.reason
    assert _issue(hr, employee, step=DisciplineStep.FINAL, previous=issued.action).skipped is None


def test_a_first_action_beyond_coaching_is_a_skip(hr: User) -> None:
    assert selectors.step_skip(employee=EmployeeFactory(), step=DisciplineStep.VERBAL) == ("", "verbal")
    assert selectors.step_skip(employee=EmployeeFactory(), step=DisciplineStep.COACHING) is None


def test_the_previous_step_must_concern_the_same_employee(hr: User) -> None:
    other = _issue(hr, EmployeeFactory()).action
    with pytest.raises(ValidationError):
        _issue(hr, EmployeeFactory(), step=DisciplineStep.VERBAL, previous=other)
    assert DisciplinaryAction.objects.count() == 1


@pytest.mark.parametrize(("role", "tier"), [
    (Role.PRACTICE_MANAGER, Tier.ADVANCED),  # sees HR records, not discipline
    (Role.OFFICE_MANAGER, Tier.EXPERIENCED),
    (Role.FRONT_DESK, Tier.STANDARD),
])
def test_without_workforce_discipline_every_write_is_refused_audited_and_changes_nothing(
        hr: User, make_user: Callable[..., User], role: str, tier: str) -> None:
    employee = EmployeeFactory()
    action = _issue(hr, employee, follow_up_dates=[dt.date(2025, 6, 1)]).action
    follow_up = action.follow_ups.get()
    before, follow_ups_before = _snapshot(), list(DisciplineFollowUp.objects.values_list("due_on", "done_on"))
    other = make_user(role, tier)
    with pytest.raises(PermissionDenied):
        _issue(other, employee, step=DisciplineStep.VERBAL)
    with pytest.raises(PermissionDenied):
        services.discipline_follow_up_add(actor=other, action=action, due_on=dt.date(2025, 8, 1))
    with pytest.raises(PermissionDenied):
        services.discipline_follow_up_record(actor=other, follow_up=follow_up, done_on=DAY, outcome="fine")
    with pytest.raises(PermissionDenied):
        services.discipline_close(actor=other, action=action, status=DisciplineStatus.CLOSED_IMPROVED)
    with pytest.raises(PermissionDenied):
        services.discipline_acknowledge(actor=other, action=action, comment="not mine")
    assert _snapshot() == before
    assert list(DisciplineFollowUp.objects.values_list("due_on", "done_on")) == follow_ups_before
    assert AuditEvent.objects.filter(actor_id=other.pk, outcome="denied").count() == 5


def test_discipline_holders_reach_only_employees_in_their_scope_and_never_themselves(
        north: Location, south: Location, make_user: Callable[..., User]) -> None:
    senior = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north])
    EmployeeFactory(user=senior, location=north)
    there = EmployeeFactory(location=south)
    with pytest.raises(PermissionDenied):
        _issue(senior, there)
    with pytest.raises(PermissionDenied):
        _issue(senior, Employee.objects.get(user=senior))
    assert not DisciplinaryAction.objects.exists()
    assert _issue(senior, EmployeeFactory(location=north)).action.pk


def test_the_employee_acknowledges_their_own_action_once_with_a_comment(
        hr: User, make_user: Callable[..., User]) -> None:
    user = make_user(Role.FRONT_DESK)
    action = _issue(hr, EmployeeFactory(user=user)).action
    with pytest.raises(PermissionDenied):  # HR cannot sign for the employee
        services.discipline_acknowledge(actor=hr, action=action)
    services.discipline_acknowledge(actor=user, action=action, comment="  The bus was late.  ")
    action.refresh_from_db()
    assert action.acknowledged_at is not None
    assert action.employee_comment == "The bus was late."
    with pytest.raises(ValidationError):
        services.discipline_acknowledge(actor=user, action=action, comment="again")
    action.refresh_from_db()
    assert action.employee_comment == "The bus was late."


def test_the_employee_cannot_manage_their_own_action(hr: User, make_user: Callable[..., User]) -> None:
    user = make_user(Role.FRONT_DESK)
    action = _issue(hr, EmployeeFactory(user=user)).action
    with pytest.raises(PermissionDenied):
        services.discipline_close(actor=user, action=action, status=DisciplineStatus.CLOSED_IMPROVED)
    action.refresh_from_db()
    assert action.status == DisciplineStatus.OPEN


def test_follow_ups_are_recorded_and_a_closed_action_takes_no_more(hr: User) -> None:
    action = _issue(hr, EmployeeFactory()).action
    follow_up = services.discipline_follow_up_add(actor=hr, action=action, due_on=dt.date(2025, 6, 1))
    services.discipline_follow_up_record(actor=hr, follow_up=follow_up, done_on=dt.date(2025, 6, 2),
                                         outcome="On time since.")
    follow_up.refresh_from_db()
    assert follow_up.done_on == dt.date(2025, 6, 2)
    assert follow_up.recorded_by_id == hr.pk
    with pytest.raises(ValidationError):
        services.discipline_follow_up_record(actor=hr, follow_up=follow_up, done_on=DAY, outcome="again")
    services.discipline_close(actor=hr, action=action, status=DisciplineStatus.CLOSED_IMPROVED)
    action.refresh_from_db()
    assert action.status == DisciplineStatus.CLOSED_IMPROVED
    assert action.closed_at is not None
    with pytest.raises(ValidationError):
        services.discipline_follow_up_add(actor=hr, action=action, due_on=dt.date(2025, 9, 1))
    with pytest.raises(ValidationError):
        services.discipline_close(actor=hr, action=action, status=DisciplineStatus.CLOSED_OTHER)


def test_closing_needs_a_closed_status(hr: User) -> None:
    action = _issue(hr, EmployeeFactory()).action
    with pytest.raises(ValidationError):
        services.discipline_close(actor=hr, action=action, status=DisciplineStatus.OPEN)
