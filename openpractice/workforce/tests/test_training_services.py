"""Training services: courses, assigning (one person, a position, a location), completion with evidence and
recurrence, waiving; every refusal is audited and changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.workforce.choices import EmployeeStatus, TrainingStatus
from openpractice.workforce.models import Course, TrainingAssignment
from openpractice.workforce.selectors import training as selectors
from openpractice.workforce.services import training as services
from openpractice.workforce.tests.factories import CourseFactory, EmployeeFactory, PositionFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "uploads"


@pytest.fixture
def hr(make_user: Callable[..., User]) -> User:
    return make_user(Role.HR)


def _denied(action: str) -> int:
    return AuditEvent.objects.filter(action=action, outcome="denied").count()


def test_a_course_is_created_by_workforce_managers_and_audited(hr: User) -> None:
    course = services.course_create(actor=hr, data={"title": "HIPAA privacy", "code": "HIPAA", "is_hipaa": True,
                                                    "recurrence_months": 12, "due_within_days": 30})
    assert course.pk
    assert course.is_hipaa
    assert AuditEvent.objects.filter(action="workforce.course_created", object_id=str(course.pk)).exists()


def test_creating_or_changing_a_course_without_workforce_manage_is_refused_audited_and_changes_nothing(
        make_user: Callable[..., User]) -> None:
    course = CourseFactory(title="Fire safety", code="FIRE")
    desk = make_user(Role.OFFICE_MANAGER, Tier.MID)  # workforce.view, not manage
    with pytest.raises(PermissionDenied):
        services.course_create(actor=desk, data={"title": "X", "code": "X"})
    with pytest.raises(PermissionDenied):
        services.course_update(actor=desk, course=course, data={"title": "Renamed"})
    assert Course.objects.count() == 1
    course.refresh_from_db()
    assert course.title == "Fire safety"
    assert _denied("workforce.course_create") == 1
    assert _denied("workforce.course_update") == 1


def test_assigning_one_employee_uses_the_course_delay_and_refuses_a_second_open_assignment(hr: User) -> None:
    course = CourseFactory(due_within_days=14)
    employee = EmployeeFactory()
    result = services.training_assign(actor=hr, course=course, employee=employee, assigned_on=dt.date(2025, 3, 1))
    assert [a.due_on for a in result.created] == [dt.date(2025, 3, 15)]
    with pytest.raises(ValidationError):
        services.training_assign(actor=hr, course=course, employee=employee)
    assert TrainingAssignment.objects.count() == 1


def test_assigning_a_position_reaches_only_its_active_employees_in_the_actors_scope(
        north: Location, south: Location, make_user: Callable[..., User]) -> None:
    manager = make_user(Role.OFFICE_MANAGER, Tier.EXPERIENCED, locations=[north])
    nurse = PositionFactory(title="Nurse")
    here = EmployeeFactory(position=nurse, location=north)
    EmployeeFactory(position=nurse, location=south)  # another location: not reached
    EmployeeFactory(position=nurse, location=north, status=EmployeeStatus.TERMINATED,
                    termination_date=dt.date(2025, 1, 1))
    EmployeeFactory(position=PositionFactory(), location=north)  # another position
    result = services.training_assign(actor=manager, course=CourseFactory(), position=nurse, location_id=north.pk)
    assert [a.employee_id for a in result.created] == [here.pk]


def test_assigning_a_location_outside_the_actors_scope_is_refused_and_assigns_nobody(
        north: Location, south: Location, make_user: Callable[..., User]) -> None:
    manager = make_user(Role.OFFICE_MANAGER, Tier.EXPERIENCED, locations=[north])
    EmployeeFactory(location=south)
    with pytest.raises(PermissionDenied):
        services.training_assign(actor=manager, course=CourseFactory(), location_id=south.pk)
    assert not TrainingAssignment.objects.exists()
    assert _denied("workforce.training_assign") == 1


def test_assigning_an_employee_out_of_scope_is_refused_audited_and_changes_nothing(
        north: Location, south: Location, make_user: Callable[..., User]) -> None:
    manager = make_user(Role.OFFICE_MANAGER, Tier.EXPERIENCED, locations=[north])
    with pytest.raises(PermissionDenied):
        services.training_assign(actor=manager, course=CourseFactory(), employee=EmployeeFactory(location=south))
    assert not TrainingAssignment.objects.exists()
    assert _denied("workforce.training_assign") == 1


def test_completing_a_yearly_course_sets_valid_until_and_assigns_the_next_round_due_then(hr: User) -> None:
    course = CourseFactory(is_hipaa=True, recurrence_months=12)
    employee = EmployeeFactory()
    assignment = services.training_assign(actor=hr, course=course, employee=employee,
                                          assigned_on=dt.date(2024, 1, 10)).created[0]
    done = services.training_complete(actor=hr, assignment=assignment, completed_on=dt.date(2024, 2, 29),
                                      evidence=SimpleUploadedFile("cert.pdf", PDF))
    assignment.refresh_from_db()
    assert assignment.status == TrainingStatus.COMPLETED
    assert assignment.valid_until == dt.date(2025, 2, 28)  # 29 February + 12 months: the month's last day
    assert assignment.evidence.name.endswith(".pdf")
    assert "cert" not in (assignment.evidence.name or "")
    assert done.next_assignment is not None
    assert (done.next_assignment.assigned_on, done.next_assignment.due_on) == (dt.date(2024, 2, 29),
                                                                              dt.date(2025, 2, 28))
    assert done.next_assignment.status == TrainingStatus.ASSIGNED


def test_a_one_off_course_has_no_valid_until_and_no_next_round(hr: User) -> None:
    assignment = services.training_assign(actor=hr, course=CourseFactory(), employee=EmployeeFactory()).created[0]
    done = services.training_complete(actor=hr, assignment=assignment)
    assert done.next_assignment is None
    assert done.assignment.valid_until is None
    assert TrainingAssignment.objects.count() == 1


def test_a_certificate_must_be_a_pdf_png_or_jpeg_by_its_bytes_and_at_most_5_mb(hr: User) -> None:
    assignment = services.training_assign(actor=hr, course=CourseFactory(), employee=EmployeeFactory()).created[0]
    with pytest.raises(ValidationError) as wrong_type:
        services.training_complete(actor=hr, assignment=assignment,
                                   evidence=SimpleUploadedFile("cert.pdf", b"MZ\x90\x00 not a pdf"))
    assert "evidence" in wrong_type.value.message_dict
    big = SimpleUploadedFile("cert.pdf", PDF + b"0" * services.EVIDENCE_MAX_BYTES)
    with pytest.raises(ValidationError):
        services.training_complete(actor=hr, assignment=assignment, evidence=big)
    assignment.refresh_from_db()
    assert assignment.status == TrainingStatus.ASSIGNED
    assert not assignment.evidence
    services.training_complete(actor=hr, assignment=assignment, evidence=SimpleUploadedFile("c.png", PNG))
    assignment.refresh_from_db()
    assert assignment.evidence.name.endswith(".png")


def test_an_employee_completes_their_own_training_only_with_a_certificate(
        hr: User, make_user: Callable[..., User]) -> None:
    user = make_user(Role.FRONT_DESK)
    employee = EmployeeFactory(user=user)
    assignment = services.training_assign(actor=hr, course=CourseFactory(), employee=employee).created[0]
    with pytest.raises(ValidationError):
        services.training_complete(actor=user, assignment=assignment)
    services.training_complete(actor=user, assignment=assignment, evidence=SimpleUploadedFile("c.pdf", PDF))
    assignment.refresh_from_db()
    assert assignment.status == TrainingStatus.COMPLETED
    assert assignment.completed_by_id == user.pk


def test_completing_someone_elses_training_without_the_permission_is_refused_and_changes_nothing(
        hr: User, make_user: Callable[..., User]) -> None:
    colleague = make_user(Role.FRONT_DESK)
    EmployeeFactory(user=colleague)
    assignment = services.training_assign(actor=hr, course=CourseFactory(), employee=EmployeeFactory()).created[0]
    with pytest.raises(PermissionDenied):
        services.training_complete(actor=colleague, assignment=assignment,
                                   evidence=SimpleUploadedFile("c.pdf", PDF))
    assignment.refresh_from_db()
    assert assignment.status == TrainingStatus.ASSIGNED
    assert not assignment.evidence
    assert _denied("workforce.training_complete") == 1


def test_a_closed_assignment_cannot_be_completed_again_or_waived(hr: User) -> None:
    assignment = services.training_assign(actor=hr, course=CourseFactory(), employee=EmployeeFactory()).created[0]
    services.training_complete(actor=hr, assignment=assignment)
    with pytest.raises(ValidationError):
        services.training_complete(actor=hr, assignment=assignment)
    with pytest.raises(ValidationError):
        services.training_waive(actor=hr, assignment=assignment, note="not needed")


def test_the_overdue_list_holds_open_assignments_past_due_in_the_actors_scope(
        north: Location, south: Location, make_user: Callable[..., User], hr: User) -> None:
    viewer = make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    course = CourseFactory()
    late = services.training_assign(actor=hr, course=course, employee=EmployeeFactory(location=north),
                                    assigned_on=dt.date(2024, 1, 1), due_on=dt.date(2024, 2, 1)).created[0]
    services.training_assign(actor=hr, course=course, employee=EmployeeFactory(location=south),
                             assigned_on=dt.date(2024, 1, 1), due_on=dt.date(2024, 2, 1))
    services.training_assign(actor=hr, course=course, employee=EmployeeFactory(location=north),
                             assigned_on=dt.date(2024, 1, 1), due_on=dt.date(2024, 6, 1))
    overdue = list(selectors.overdue_list(actor=viewer, today=dt.date(2024, 3, 1)))
    assert overdue == [late]
    assert len(selectors.overdue_list(actor=hr, today=dt.date(2024, 3, 1))) == 2


def test_moving_a_due_date_is_audited_and_a_refused_move_changes_nothing(
        hr: User, north: Location, south: Location, make_user: Callable[..., User]) -> None:
    assignment = services.training_assign(actor=hr, course=CourseFactory(), employee=EmployeeFactory(location=south),
                                          assigned_on=dt.date(2025, 1, 1), due_on=dt.date(2025, 2, 1)).created[0]
    outsider = make_user(Role.OFFICE_MANAGER, Tier.EXPERIENCED, locations=[north])
    with pytest.raises(PermissionDenied):
        services.training_update(actor=outsider, assignment=assignment, data={"due_on": dt.date(2026, 1, 1)})
    assignment.refresh_from_db()
    assert assignment.due_on == dt.date(2025, 2, 1)
    services.training_update(actor=hr, assignment=assignment, data={"due_on": dt.date(2025, 3, 1)})
    assignment.refresh_from_db()
    assert assignment.due_on == dt.date(2025, 3, 1)
    assert AuditEvent.objects.filter(action="workforce.training_updated").count() == 1
    with pytest.raises(ValidationError):
        services.training_update(actor=hr, assignment=assignment, data={"due_on": dt.date(2024, 12, 1)})


def test_add_months_keeps_the_day_or_takes_the_months_last() -> None:
    assert services.add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert services.add_months(dt.date(2024, 11, 15), 12) == dt.date(2025, 11, 15)
    assert services.add_months(dt.date(2024, 12, 31), 2) == dt.date(2025, 2, 28)
