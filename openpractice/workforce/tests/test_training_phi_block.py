"""The practice setting that blocks PHI access for staff whose HIPAA training has lapsed, through the restriction
hook of accounts.permissions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.permissions import (
    can,
    forget,
    permissions_of,
    register_restriction,
    unregister_restriction,
)
from openpractice.accounts.roles import PHI_PERMISSIONS, Perm, Role
from openpractice.audit.models import AuditEvent
from openpractice.core.selectors import practice_today
from openpractice.workforce.choices import TrainingStatus
from openpractice.workforce.models import TrainingAssignment, WorkforceSettings
from openpractice.workforce.selectors.training import phi_restriction
from openpractice.workforce.services import training as services
from openpractice.workforce.tests.factories import CourseFactory, EmployeeFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(autouse=True)
def _restriction_registered(settings: Any, tmp_path: Path) -> Iterator[None]:
    """What WorkforceConfig.ready() does; undone afterwards only if this test added it."""
    settings.MEDIA_ROOT = tmp_path / "uploads"
    from openpractice.accounts import permissions

    added = phi_restriction not in permissions._RESTRICTIONS
    register_restriction(phi_restriction)
    yield
    if added:
        unregister_restriction(phi_restriction)


@pytest.fixture
def hr(make_user: Callable[..., User]) -> User:
    return make_user(Role.HR)


@pytest.fixture
def desk(make_user: Callable[..., User]) -> User:
    return make_user(Role.FRONT_DESK)


def _lapsed(employee_user: User, hr: User) -> TrainingAssignment:
    """A HIPAA completion from two years ago, and its renewal now overdue."""
    course = CourseFactory(code="HIPAA", is_hipaa=True, recurrence_months=12)
    employee = EmployeeFactory(user=employee_user)
    first = services.training_assign(actor=hr, course=course, employee=employee,
                                     assigned_on=practice_today() - dt.timedelta(days=800)).created[0]
    done = services.training_complete(actor=hr, assignment=first,
                                      completed_on=practice_today() - dt.timedelta(days=790))
    assert done.next_assignment is not None
    assert done.next_assignment.due_on < practice_today()
    return done.next_assignment


def _fresh(user: User) -> User:
    forget(user)
    return user


def test_a_lapsed_user_loses_phi_permissions_only_while_the_setting_is_on_and_regains_them_after_completing(
        hr: User, desk: User) -> None:
    renewal = _lapsed(desk, hr)
    assert can(_fresh(desk), Perm.PATIENTS_DEMOGRAPHICS)  # setting off: nothing withdrawn
    services.training_settings_update(actor=hr, block_phi_without_hipaa_training=True)
    held = permissions_of(_fresh(desk))
    assert not held & PHI_PERMISSIONS
    assert not can(desk, Perm.PATIENTS_DEMOGRAPHICS)
    assert not can(desk, Perm.SCHEDULE_VIEW)
    assert Perm.PRACTICE_VIEW in held  # only PHI is withdrawn
    services.training_settings_update(actor=hr, block_phi_without_hipaa_training=False)
    assert can(_fresh(desk), Perm.PATIENTS_DEMOGRAPHICS)
    services.training_settings_update(actor=hr, block_phi_without_hipaa_training=True)
    assert not can(_fresh(desk), Perm.PATIENTS_DEMOGRAPHICS)
    services.training_complete(actor=desk, assignment=renewal, evidence=SimpleUploadedFile("c.pdf", PDF))
    assert can(desk, Perm.PATIENTS_DEMOGRAPHICS)  # the service forgot the completer's cached grants
    assert can(_fresh(desk), Perm.PATIENTS_EDIT)


def test_a_new_hire_within_the_due_date_keeps_access_and_loses_it_once_overdue(hr: User, desk: User) -> None:
    WorkforceSettings.objects.create(pk=1, block_phi_without_hipaa_training=True)
    employee = EmployeeFactory(user=desk)
    course = CourseFactory(is_hipaa=True, recurrence_months=12)
    assignment = services.training_assign(actor=hr, course=course, employee=employee).created[0]
    assert can(_fresh(desk), Perm.PATIENTS_DEMOGRAPHICS)
    TrainingAssignment.objects.filter(pk=assignment.pk).update(assigned_on=dt.date(2020, 1, 1),
                                                               due_on=dt.date(2020, 2, 1))
    assert not can(_fresh(desk), Perm.PATIENTS_DEMOGRAPHICS)


def test_an_employee_without_any_hipaa_training_is_blocked_a_waiver_does_not_count(hr: User, desk: User) -> None:
    WorkforceSettings.objects.create(pk=1, block_phi_without_hipaa_training=True)
    employee = EmployeeFactory(user=desk)
    assert not can(_fresh(desk), Perm.PATIENTS_DEMOGRAPHICS)
    assignment = services.training_assign(actor=hr, course=CourseFactory(is_hipaa=True), employee=employee).created[0]
    services.training_waive(actor=hr, assignment=assignment, note="trained at previous employer")
    assert assignment.status == TrainingStatus.WAIVED
    assert not can(_fresh(desk), Perm.PATIENTS_DEMOGRAPHICS)


def test_users_who_are_not_employees_or_hold_no_phi_are_not_concerned(
        hr: User, make_user: Callable[..., User]) -> None:
    WorkforceSettings.objects.create(pk=1, block_phi_without_hipaa_training=True)
    outside = make_user(Role.BILLER)  # no employee record (an outside billing service)
    assert can(_fresh(outside), Perm.BILLING_VIEW)
    EmployeeFactory(user=hr)  # no HIPAA training, but HR holds no PHI permission
    assert can(_fresh(hr), Perm.WORKFORCE_MANAGE)


def test_the_block_answers_404_on_a_patient_page(hr: User, desk: User, signed_in: Callable[[User], Client]) -> None:
    _lapsed(desk, hr)
    client = signed_in(desk)
    assert client.get(reverse("patients:patient_list")).status_code == 200
    services.training_settings_update(actor=hr, block_phi_without_hipaa_training=True)
    assert client.get(reverse("patients:patient_list")).status_code == 404


def test_switching_the_setting_needs_workforce_manage_everywhere_and_a_refusal_changes_nothing(
        north: Any, make_user: Callable[..., User]) -> None:
    from openpractice.accounts.roles import Tier

    local = make_user(Role.OFFICE_MANAGER, Tier.EXPERIENCED, locations=[north])
    with pytest.raises(PermissionDenied):
        services.training_settings_update(actor=local, block_phi_without_hipaa_training=True)
    assert not WorkforceSettings.objects.filter(block_phi_without_hipaa_training=True).exists()
    assert AuditEvent.objects.filter(action="workforce.training_settings_update", outcome="denied").count() == 1


def test_the_check_costs_no_query_for_users_without_phi_nor_while_the_cached_setting_is_off(
        hr: User, desk: User, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(0):
        assert phi_restriction(hr, frozenset({Perm.WORKFORCE_VIEW})) == frozenset()
    with django_assert_num_queries(1):  # the setting, then cached
        assert phi_restriction(desk, frozenset({Perm.PATIENTS_DEMOGRAPHICS})) == frozenset()
    with django_assert_num_queries(0):
        assert phi_restriction(desk, frozenset({Perm.PATIENTS_DEMOGRAPHICS})) == frozenset()
