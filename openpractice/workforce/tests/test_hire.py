"""The hire: one transaction from an accepted offer to the employee record, their first pay rate, the applicant
hired, the requisition filled, onboarding started and (with users.manage) a user account invited. Refusals write
nothing; hiring twice is impossible."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from openpractice.accounts.models import Invitation, RoleAssignment, User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.workforce.choices import ApplicantStage, OfferStatus, RequisitionStatus
from openpractice.workforce.models import (
    ApplicantStageChange,
    Checklist,
    ChecklistTemplate,
    ChecklistTemplateItem,
    Employee,
    PayRate,
)
from openpractice.workforce.services.hiring_hire import AccountRequest, applicant_hire, next_employee_number

from .factories import EmployeeFactory
from .factories_hiring import RequisitionFactory
from .route_samples_offers import interviewing_applicant, make_offer

pytestmark = pytest.mark.django_db


@pytest.fixture
def pm_north(make_user: Any, north: Any) -> Any:
    """Holds workforce.hiring and users.manage at North."""
    return make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED, locations=[north], username="pm-north")


@pytest.fixture
def hr_north(make_user: Any, north: Any) -> Any:
    """Holds workforce.hiring at North, but not users.manage."""
    return make_user(Role.HR, locations=[north], username="hr-north")


def _accepted(location: Any, **fields: Any) -> Any:
    requisition = fields.pop("requisition", None) or RequisitionFactory(
        location=location, position__role=Role.OFFICE_MANAGER, position__tier=Tier.ENTRY,
        position__title="Office manager")
    applicant = interviewing_applicant(location, requisition=requisition, stage=ApplicantStage.OFFER, **fields)
    return make_offer(applicant, status=OfferStatus.ACCEPTED)


def _onboarding_template() -> ChecklistTemplate:
    template = ChecklistTemplate.objects.create(name="New hire", kind="onboarding")
    ChecklistTemplateItem.objects.create(template=template, order=0, title="Badge and keys", owner_role="office",
                                         due_days=0)
    ChecklistTemplateItem.objects.create(template=template, order=1, title="Payroll forms", owner_role="hr",
                                         due_days=3)
    return template


def _snapshot() -> tuple[int, ...]:
    return (Employee.objects.count(), PayRate.objects.count(), User.objects.count(), Invitation.objects.count(),
            Checklist.objects.count(), ApplicantStageChange.objects.count())


def test_the_hire_writes_everything_in_one_go(pm_north: Any, north: Any, smtp_server: Any,
                                              django_capture_on_commit_callbacks: Any) -> None:
    _onboarding_template()
    offer = _accepted(north, first_name="Avery", last_name="Quinn", email="avery@applicant.example",
                      phone="919-555-0177")
    applicant = offer.applicant
    manager = EmployeeFactory(location=north)
    with django_capture_on_commit_callbacks(execute=True):
        result = applicant_hire(actor=pm_north, applicant=applicant, manager=manager, account=AccountRequest(
            username="aquinn", role=Role.OFFICE_MANAGER, tier=Tier.ENTRY, location_ids=frozenset({north.pk})))
    employee = Employee.objects.get(pk=result.employee.pk)
    assert (employee.first_name, employee.last_name, employee.personal_email, employee.phone) == (
        "Avery", "Quinn", "avery@applicant.example", "919-555-0177")
    assert (employee.position_id, employee.location_id, employee.manager_id) == (
        applicant.requisition.position_id, north.pk, manager.pk)
    assert employee.hire_date == employee.position_since == offer.start_date
    assert (employee.employment_type, employee.flsa_status) == (offer.employment_type, offer.flsa_status)
    rate = PayRate.objects.get(employee=employee)
    assert (rate.effective_from, rate.basis, rate.amount, rate.created_by) == (
        offer.start_date, "annual", "50000.00", pm_north)
    applicant.refresh_from_db()
    assert (applicant.stage, applicant.employee_id) == (ApplicantStage.HIRED, employee.pk)
    requisition = applicant.requisition
    requisition.refresh_from_db()
    assert requisition.status == RequisitionStatus.FILLED
    assert requisition.closed_at is not None
    checklist = Checklist.objects.get(employee=employee)
    assert (checklist.kind, checklist.starts_on, checklist.tasks.count()) == ("onboarding", offer.start_date, 2)
    user = User.objects.get(username="aquinn")
    assert (user.email, user.is_active, employee.user_id) == ("avery@applicant.example", False, user.pk)
    assignment = RoleAssignment.objects.get(user=user)
    assert (assignment.role, assignment.tier, list(assignment.locations.values_list("pk", flat=True))) == (
        Role.OFFICE_MANAGER, Tier.ENTRY, [north.pk])
    assert [message["To"] for message in smtp_server.messages] == ["avery@applicant.example"]
    hired = AuditEvent.objects.get(action="workforce.applicant_hired")
    assert hired.object_id == str(applicant.pk)
    assert "requisition filled" in hired.reason
    assert "hiring authority" in AuditEvent.objects.get(action="workforce.pay_rate_added").reason
    assert AuditEvent.objects.filter(action__in=["workforce.employee_created", "workforce.requisition_filled",
                                                 "workforce.checklist_started", "user.invited"]).count() == 4


def test_without_an_onboarding_template_the_applicant_is_still_hired(hr_north: Any, north: Any,
                                                                     signed_in: Any) -> None:
    offer = _accepted(north)
    response = signed_in(hr_north).post(reverse("workforce:offer_hire", args=[offer.pk]),
                                        {"employee_number": "RB-2001"}, follow=True)
    employee = Employee.objects.get(employee_number="RB-2001")
    assert response.redirect_chain[-1][0] == reverse("workforce:employee_detail", args=[employee.pk])
    assert "No onboarding checklist was started" in response.content.decode()
    assert not Checklist.objects.exists()
    offer.applicant.refresh_from_db()
    assert offer.applicant.stage == ApplicantStage.HIRED
    assert "template missing" in AuditEvent.objects.get(action="workforce.applicant_hired").reason


def test_asking_for_an_account_without_users_manage_is_refused_and_writes_nothing(hr_north: Any, north: Any,
                                                                                  signed_in: Any) -> None:
    _onboarding_template()
    offer = _accepted(north)
    before = _snapshot()
    account = AccountRequest(username="newhire", role=Role.OFFICE_MANAGER, tier=Tier.ENTRY,
                             location_ids=frozenset({north.pk}))
    with pytest.raises(PermissionDenied, match="manage users"):
        applicant_hire(actor=hr_north, applicant=offer.applicant, account=account)
    page = signed_in(hr_north).post(reverse("workforce:offer_hire", args=[offer.pk]), {
        "create_account": "on", "username": "newhire", "role": Role.OFFICE_MANAGER, "tier": Tier.ENTRY,
        "locations": [north.pk]})
    assert page.status_code == 400
    assert "manage users" in page.content.decode()
    assert _snapshot() == before
    offer.applicant.refresh_from_db()
    assert (offer.applicant.stage, offer.applicant.employee_id) == (ApplicantStage.OFFER, None)
    assert AuditEvent.objects.filter(action="workforce.applicant_hire", outcome="denied").count() == 2
    assert not AuditEvent.objects.filter(action="workforce.applicant_hired").exists()


def test_a_role_beyond_the_hirers_own_is_refused_and_writes_nothing(pm_north: Any, north: Any) -> None:
    offer = _accepted(north)
    before = _snapshot()
    with pytest.raises(PermissionDenied, match="may not grant"):
        applicant_hire(actor=pm_north, applicant=offer.applicant, account=AccountRequest(
            username="biller1", role=Role.BILLER, tier=Tier.STANDARD, location_ids=frozenset({north.pk})))
    assert _snapshot() == before
    assert AuditEvent.objects.filter(action="workforce.applicant_hire", outcome="denied").count() == 1


def test_hiring_twice_is_impossible(hr_north: Any, north: Any) -> None:
    offer = _accepted(north)
    applicant_hire(actor=hr_north, applicant=offer.applicant)
    before = _snapshot()
    with pytest.raises(ValidationError, match="already been hired"):
        applicant_hire(actor=hr_north, applicant=offer.applicant)
    assert _snapshot() == before
    assert AuditEvent.objects.filter(action="workforce.applicant_hired").count() == 1


def test_only_an_accepted_offer_leads_to_a_hire(hr_north: Any, north: Any) -> None:
    offer = make_offer(interviewing_applicant(north, stage=ApplicantStage.OFFER), status=OfferStatus.EXTENDED)
    with pytest.raises(ValidationError, match="accepted offer"):
        applicant_hire(actor=hr_north, applicant=offer.applicant)
    assert not Employee.objects.exists()


def test_a_requisition_with_two_openings_fills_on_the_second_hire(hr_north: Any, north: Any) -> None:
    requisition = RequisitionFactory(location=north, openings=2)
    first, second = _accepted(north, requisition=requisition), _accepted(north, requisition=requisition)
    assert not applicant_hire(actor=hr_north, applicant=first.applicant).requisition_filled
    requisition.refresh_from_db()
    assert (requisition.status, requisition.closed_at) == (RequisitionStatus.OPEN, None)
    assert applicant_hire(actor=hr_north, applicant=second.applicant).requisition_filled
    requisition.refresh_from_db()
    assert requisition.status == RequisitionStatus.FILLED


def test_employee_numbers_continue_the_latest_pattern(north: Any) -> None:
    assert next_employee_number() == "E-0001"
    EmployeeFactory(employee_number="RB-1009")
    EmployeeFactory(employee_number="RB-1041")
    EmployeeFactory(employee_number="RB-1017")
    assert next_employee_number() == "RB-1042"


def test_a_duplicate_employee_number_is_refused(hr_north: Any, north: Any) -> None:
    EmployeeFactory(employee_number="RB-1001")
    offer = _accepted(north)
    with pytest.raises(ValidationError, match="already has this number"):
        applicant_hire(actor=hr_north, applicant=offer.applicant, employee_number="RB-1001")
    offer.applicant.refresh_from_db()
    assert offer.applicant.stage == ApplicantStage.OFFER
    assert Employee.objects.count() == 1


def test_north_hiring_staff_cannot_hire_at_south(hr_north: Any, south: Any, signed_in: Any) -> None:
    offer = _accepted(south)
    before = _snapshot()
    response = signed_in(hr_north).post(reverse("workforce:offer_hire", args=[offer.pk]), {})
    assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        applicant_hire(actor=hr_north, applicant=offer.applicant)
    assert _snapshot() == before
    assert AuditEvent.objects.filter(action="access.denied", object_id=str(offer.pk)).count() == 1
    assert AuditEvent.objects.filter(action="workforce.applicant_hire", outcome="denied").count() == 1


def test_the_hire_form_suggests_the_number_and_the_positions_role(pm_north: Any, north: Any,
                                                                  signed_in: Any) -> None:
    EmployeeFactory(employee_number="RB-1041", hire_date=dt.date(2020, 1, 1))
    offer = _accepted(north, first_name="Avery", last_name="Quinn")
    page = signed_in(pm_north).get(reverse("workforce:offer_hire", args=[offer.pk])).content.decode()
    assert 'value="RB-1042"' in page
    assert 'value="aquinn"' in page
    assert f'<option value="{Role.OFFICE_MANAGER}" selected>' in page
    assert offer.pay_amount == Decimal("50000.00")
