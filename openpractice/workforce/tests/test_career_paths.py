"""Career paths: the gap between what an employee holds and what the next position asks for, with the courses
that close it; seen by HR-record viewers and by the employee for their own record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core.models import Location
from openpractice.workforce.models import Employee, TrainingAssignment
from openpractice.workforce.selectors import career

from .factories import (
    CourseFactory,
    CredentialTypeFactory,
    EmployeeCredentialFactory,
    EmployeeFactory,
    PositionFactory,
)

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 15)


@pytest.mark.parametrize(("start", "end", "months"), [
    (dt.date(2025, 9, 15), TODAY, 6), (dt.date(2025, 9, 16), TODAY, 5), (dt.date(2026, 4, 1), TODAY, 0),
    (dt.date(2024, 3, 15), TODAY, 24),
])
def test_whole_months_in_role(start: dt.date, end: dt.date, months: int) -> None:
    assert career.months_between(start, end) == months


@pytest.fixture
def ladder() -> dict[str, object]:
    cap = CredentialTypeFactory(code="CAP", name="Certified Administrative Professional")
    mos = CredentialTypeFactory(code="MOS", name="Microsoft Office Specialist")
    pace = CredentialTypeFactory(code="PACE", name="PACE")
    experienced = PositionFactory(title="Office manager (experienced)")
    mid = PositionFactory(title="Office manager (mid)", role=Role.OFFICE_MANAGER, tier=Tier.MID,
                          required_education="associate", min_months_in_previous_role=12,
                          next_position=experienced)
    mid.required_certifications.set([cap, mos])
    mid.preferred_certifications.set([pace])
    entry = PositionFactory(title="Office manager (entry)", next_position=mid)
    cap_course = CourseFactory(code="CAPPREP", title="CAP exam preparation")
    cap_course.prepares_for.set([cap])
    pace_course = CourseFactory(code="PACE1", title="PACE programme")
    pace_course.prepares_for.set([pace])
    CourseFactory(code="OLD", title="Retired", is_active=False).prepares_for.set([cap])
    return {"cap": cap, "mos": mos, "pace": pace, "entry": entry, "mid": mid, "experienced": experienced,
            "cap_course": cap_course}


def _employee(ladder: dict[str, object], **fields: object) -> Employee:
    values: dict[str, object] = {"position": ladder["entry"], "position_since": dt.date(2025, 9, 15),
                                 "education": "high_school", **fields}
    return EmployeeFactory(**values)


def test_the_gap_names_education_time_certifications_and_courses(
        make_user: Callable[..., User], ladder: dict[str, object]) -> None:
    employee = _employee(ladder)
    EmployeeCredentialFactory(employee=employee, credential_type=ladder["mos"], expires_on=dt.date(2027, 1, 1))
    # An expired CAP counts for nothing.
    EmployeeCredentialFactory(employee=employee, credential_type=ladder["cap"], issued_on=dt.date(2020, 1, 1),
                              expires_on=dt.date(2022, 1, 1))
    TrainingAssignment.objects.create(employee=employee, course=ladder["cap_course"], assigned_on=TODAY,
                                      due_on=TODAY)
    hr = make_user(Role.HR)
    gap = career.career_gap(actor=hr, employee=employee, today=TODAY)
    assert gap.next_position == ladder["mid"]
    assert [step.title for step in gap.path] == ["Office manager (mid)", "Office manager (experienced)"]
    assert (gap.education_met, gap.months_in_role, gap.months_required, gap.time_met) == (False, 6, 12, False)
    assert [item.code for item in gap.held] == ["MOS"]
    assert [item.code for item in gap.missing_required] == ["CAP"]
    assert [item.code for item in gap.missing_preferred] == ["PACE"]
    assert [(option.course.code, option.status) for option in gap.courses] == [
        ("CAPPREP", "assigned"), ("PACE1", "")]
    assert not gap.ready
    assert AuditEvent.objects.filter(action="workforce.career_viewed", object_id=str(employee.pk)).exists()


def test_a_renewed_credential_and_enough_time_make_the_employee_ready(
        make_user: Callable[..., User], ladder: dict[str, object]) -> None:
    employee = _employee(ladder, position_since=None, hire_date=dt.date(2024, 1, 10))
    employee.education = "bachelor"
    employee.save()
    old = EmployeeCredentialFactory(employee=employee, credential_type=ladder["cap"], expires_on=dt.date(2025, 1, 1))
    EmployeeCredentialFactory(employee=employee, credential_type=ladder["cap"], replaces=old,
                              expires_on=dt.date(2027, 1, 1))
    EmployeeCredentialFactory(employee=employee, credential_type=ladder["mos"], expires_on=None)
    gap = career.career_gap(actor=make_user(Role.HR), employee=employee, today=TODAY)
    assert gap.ready
    assert gap.months_in_role == 26
    assert not gap.missing_required
    assert [option.course.code for option in gap.courses] == ["PACE1"]  # only the preferred one is left


def test_an_employee_sees_their_own_path_and_nobody_elses(
        make_user: Callable[..., User], signed_in: Callable[[User], Client], ladder: dict[str, object],
        north: Location, south: Location) -> None:
    staff = make_user(Role.FRONT_DESK)
    own = _employee(ladder, user=staff, location=north)
    other = _employee(ladder, location=south)
    client = signed_in(staff)
    page = client.get(reverse("workforce:career_path", args=[own.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Office manager (mid)" in html
    assert "CAP exam preparation" in html
    assert client.get(reverse("workforce:career_path", args=[other.pk])).status_code == 404
    with pytest.raises(PermissionDenied):
        career.career_gap(actor=staff, employee=other)
    northern = signed_in(make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north]))
    assert northern.get(reverse("workforce:career_path", args=[own.pk])).status_code == 200
    assert northern.get(reverse("workforce:career_path", args=[other.pk])).status_code == 404
    assert AuditEvent.objects.filter(outcome=Outcome.DENIED, object_id=str(other.pk)).count() == 2


def test_an_employee_without_a_position_or_next_step_has_no_gap(make_user: Callable[..., User]) -> None:
    hr = make_user(Role.HR)
    gap = career.career_gap(actor=hr, employee=EmployeeFactory(), today=TODAY)
    assert gap.position is None
    assert gap.next_position is None
    assert not gap.ready
    assert gap.path == []
    top = EmployeeFactory(position=PositionFactory(title="Senior"))
    gap = career.career_gap(actor=hr, employee=top, today=TODAY)
    assert gap.next_position is None
    assert gap.courses == []
