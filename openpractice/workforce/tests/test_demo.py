"""The demo practice has an HR side: positions on one org chart with the office-to-practice-manager career path,
an HR record for every demo login and the scheduled clinicians, pay inside the positions' ranges with history,
credentials expiring and one lapsed licence that flags bookings, trainings done, open and overdue, a new hire's
onboarding and one written warning. Seeding the workforce again adds nothing."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from io import StringIO
from itertools import pairwise
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from openpractice.accounts.demo import DEMO_PEOPLE
from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.core.models import Location, Practice
from openpractice.core.selectors import practice_today
from openpractice.workforce.choices import (
    ApplicantStage,
    ChecklistKind,
    DisciplineStatus,
    DisciplineStep,
    EmployeeStatus,
    InterviewStatus,
    OfferStatus,
    PlanStatus,
    RequisitionStatus,
    TaskStatus,
    TrainingStatus,
)
from openpractice.workforce.demo import seed_workforce
from openpractice.workforce.models import (
    Applicant,
    ApplicantStageChange,
    Checklist,
    ChecklistTemplate,
    Course,
    DevelopmentPlan,
    DisciplinaryAction,
    Employee,
    EmployeeCredential,
    Interview,
    Offer,
    PayRate,
    Position,
    Requisition,
    Scorecard,
    ScorecardCriterion,
    TrainingAssignment,
    WorkforceSettings,
)
from openpractice.workforce.selectors.development import plan_rows
from openpractice.workforce.selectors.positions import org_chart
from openpractice.workforce.services.credentials import licence_booking_check

pytestmark = pytest.mark.django_db


def _demo() -> None:
    call_command("demo", stdout=StringIO(), stderr=StringIO())


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (
        Position, Employee, PayRate, EmployeeCredential, Course, TrainingAssignment, ChecklistTemplate, Checklist,
        DisciplinaryAction, Requisition, Applicant, ApplicantStageChange, Interview, Scorecard, Offer,
        DevelopmentPlan)}


def test_positions_form_one_org_chart_with_the_career_path_certifications_and_pay_ranges() -> None:
    _demo()
    senior = User.objects.get(username="pm_senior")
    roots = org_chart(actor=senior)
    assert len(roots) == 1
    assert roots[0].position.title == "Practice Administrator"
    assert Position.objects.filter(reports_to__isnull=True).count() == 1

    ladder = [(Role.OFFICE_MANAGER, Tier.ENTRY), (Role.OFFICE_MANAGER, Tier.MID),
              (Role.OFFICE_MANAGER, Tier.EXPERIENCED), (Role.PRACTICE_MANAGER, Tier.ENTRY),
              (Role.PRACTICE_MANAGER, Tier.ADVANCED), (Role.PRACTICE_MANAGER, Tier.SENIOR)]
    step: Position | None = Position.objects.get(role=Role.OFFICE_MANAGER, tier=Tier.ENTRY)
    walked = []
    while step is not None:
        walked.append((step.role, step.tier))
        step = step.next_position
    assert walked == ladder

    physician = Position.objects.get(title__startswith="Physician")
    assert set(physician.required_certifications.values_list("code", flat=True)) == {"MD-DO", "DEA", "BLS"}
    assert set(Position.objects.get(role=Role.PRACTICE_MANAGER, tier=Tier.ADVANCED)
               .required_certifications.values_list("code", flat=True)) == {"CPPM"}
    assert Position.objects.filter(preferred_certifications__code__in=["CAP", "MOS", "PACE"]).exists()
    for position in Position.objects.all():
        assert position.role
        assert position.tier
        assert position.pay_min is not None
        assert position.pay_max is not None
        assert 0 < position.pay_min < position.pay_max
    assert Position.objects.filter(location__isnull=False).exists()
    assert Position.objects.filter(department__isnull=False).exists()


def test_every_demo_user_has_an_employee_record_in_a_manager_tree_with_providers_linked() -> None:
    _demo()
    usernames = {person.username for person in DEMO_PEOPLE}
    linked = set(Employee.objects.filter(user__isnull=False).values_list("user__username", flat=True))
    assert linked == usernames
    assert Employee.objects.filter(user__isnull=True).count() >= 3
    for employee in Employee.objects.select_related("user", "position"):
        assert employee.position is not None
        assert employee.location_id is not None
        assert employee.hire_date <= practice_today()
        if employee.user is not None:
            assert employee.position.role == employee.user.role_assignments.get().role
        # Fake but well-formed: 9xx area (never issued), bank details that pass the entry form's checks.
        assert re.fullmatch(r"9\d\d-\d\d-\d{4}", employee.ssn)
        assert re.fullmatch(r"\d{9}", employee.bank_routing_number)
        assert re.fullmatch(r"\d{4,17}", employee.bank_account_number)
    roots = Employee.objects.filter(manager__isnull=True, status=EmployeeStatus.ACTIVE)
    assert [e.user.username if e.user else None for e in roots] == ["pm_senior"]
    assert Employee.objects.filter(provider__isnull=False).count() >= 5
    # Everyone with reports holds a position others report to (managers are where the org chart says).
    for employee in Employee.objects.filter(manager__isnull=False).select_related("manager", "position"):
        assert employee.manager is not None
        assert employee.manager.position_id == employee.position.reports_to_id  # type: ignore[union-attr]


def test_pay_has_history_and_each_current_rate_lies_in_its_position_range() -> None:
    _demo()
    assert PayRate.objects.values("employee").annotate(n=Count("pk")).filter(n__gte=2).count() >= 10
    for employee in Employee.objects.select_related("position"):
        current = PayRate.objects.filter(employee=employee).order_by("-effective_from").first()
        assert current is not None, employee
        assert employee.position is not None
        assert current.basis == employee.position.pay_basis
        amount = Decimal(current.amount)
        assert amount == amount.quantize(Decimal("0.01"))
        assert str(amount) == current.amount
        assert employee.position.pay_min <= amount <= employee.position.pay_max  # type: ignore[operator]
        first = PayRate.objects.filter(employee=employee).order_by("effective_from").first()
        assert first is not None
        assert first.effective_from == employee.hire_date


def test_credentials_expire_in_each_alert_window_and_a_lapsed_licence_flags_bookings() -> None:
    _demo()
    today = practice_today()
    held = EmployeeCredential.objects.filter(renewed_by__isnull=True)
    for low, high in ((0, 30), (31, 60), (61, 90)):
        assert held.filter(expires_on__gte=today + dt.timedelta(days=low),
                           expires_on__lte=today + dt.timedelta(days=high)).exists(), (low, high)
    expired = held.filter(expires_on__lt=today)
    assert expired.count() == 1
    lapsed = expired.select_related("employee__provider", "credential_type").get()
    assert lapsed.credential_type.required_to_see_patients
    assert lapsed.employee.provider is not None
    issues = licence_booking_check(lapsed.employee.provider, today)
    assert [issue.code for issue in issues] == ["licence_expired"]
    assert not issues[0].blocking  # the practice's setting stays at "flag"
    assert held.filter(verified_at__isnull=False).count() > held.filter(verified_at__isnull=True).count() > 0
    assert not held.filter(verified_by=lapsed.employee.user_id).exclude(verified_by__isnull=True).exists()
    settings = WorkforceSettings.load()
    assert not settings.block_booking_with_expired_licence
    assert not settings.block_phi_without_hipaa_training


def test_courses_and_trainings_completed_open_and_two_overdue() -> None:
    _demo()
    today = practice_today()
    hipaa = Course.objects.get(is_hipaa=True)
    assert hipaa.recurrence_months == 12
    assert Course.objects.filter(title__icontains="bloodborne", recurrence_months=12).exists()
    assert Course.objects.filter(prepares_for__code="BLS").exists()
    assert Course.objects.filter(prepares_for__code="CPPM").exists()
    completed = TrainingAssignment.objects.filter(status=TrainingStatus.COMPLETED)
    assert completed.count() >= Employee.objects.count()
    assert not completed.filter(course__recurrence_months__isnull=False, valid_until__isnull=True).exists()
    overdue = TrainingAssignment.objects.filter(status=TrainingStatus.ASSIGNED, due_on__lt=today)
    assert overdue.count() == 2
    assert overdue.filter(course=hipaa).count() == 1
    assert TrainingAssignment.objects.filter(status=TrainingStatus.ASSIGNED, due_on__gte=today).exists()
    # Every employee has had HIPAA training assigned; all but the overdue one and the new hire are current.
    assert set(TrainingAssignment.objects.filter(course=hipaa).values_list("employee", flat=True)) == set(
        Employee.objects.values_list("pk", flat=True))
    current = set(completed.filter(course=hipaa, valid_until__gte=today).values_list("employee", flat=True))
    assert len(current) == Employee.objects.count() - 2


def test_onboarding_under_way_offboarding_template_and_one_written_warning() -> None:
    _demo()
    today = practice_today()
    onboarding = ChecklistTemplate.objects.get(kind=ChecklistKind.ONBOARDING)
    assert onboarding.items.count() >= 5
    assert onboarding.items.filter(course__is_hipaa=True).exists()
    assert ChecklistTemplate.objects.get(kind=ChecklistKind.OFFBOARDING).items.exists()
    checklist = Checklist.objects.select_related("employee").get()
    assert checklist.kind == ChecklistKind.ONBOARDING
    assert checklist.completed_at is None
    assert checklist.starts_on == checklist.employee.hire_date > today - dt.timedelta(days=30)
    statuses = set(checklist.tasks.values_list("status", flat=True))
    assert statuses == {TaskStatus.DONE, TaskStatus.OPEN}
    assert checklist.tasks.filter(owner__isnull=False).count() == checklist.tasks.count()

    action = DisciplinaryAction.objects.select_related("employee").get()
    assert action.step == DisciplineStep.WRITTEN
    assert action.status == DisciplineStatus.OPEN
    assert not action.employee.direct_reports.exists()
    assert action.follow_ups.filter(due_on__gt=today, done_on__isnull=True).count() == 1


def test_hiring_has_a_pipeline_with_history_interviews_offers_and_the_recent_hire() -> None:
    _demo()
    statuses = sorted(Requisition.objects.values_list("status", flat=True))
    assert statuses == sorted([RequisitionStatus.PENDING, RequisitionStatus.OPEN, RequisitionStatus.OPEN,
                               RequisitionStatus.FILLED])
    pending = Requisition.objects.get(status=RequisitionStatus.PENDING)
    assert pending.decided_by is None
    assert pending.submitted_at is not None
    for requisition in Requisition.objects.exclude(status=RequisitionStatus.PENDING):
        assert requisition.decided_by is not None
        assert requisition.decided_by != requisition.requested_by
        assert requisition.opened_at is not None
    assert Applicant.objects.count() >= 10
    stages = set(Applicant.objects.values_list("stage", flat=True))
    assert set(ApplicantStage.values) <= stages
    # Every applicant's history starts with the application and ends in their stage, in time order.
    for applicant in Applicant.objects.prefetch_related("stage_changes"):
        moves = list(applicant.stage_changes.order_by("changed_at", "pk"))
        assert moves[0].from_stage == ""
        assert moves[-1].to_stage == applicant.stage
        assert [m.from_stage for m in moves[1:]] == [m.to_stage for m in moves[:-1]]
        assert all(a.changed_at < b.changed_at for a, b in pairwise(moves))
    hired = Applicant.objects.select_related("employee", "requisition").get(stage=ApplicantStage.HIRED)
    assert hired.employee is not None
    assert hired.employee.employee_number == "RB-1006"
    assert hired.requisition.status == RequisitionStatus.FILLED
    assert hired.requisition.position_id == hired.employee.position_id
    accepted = Offer.objects.get(status=OfferStatus.ACCEPTED)
    assert accepted.applicant_id == hired.pk
    assert accepted.start_date == hired.employee.hire_date
    extended = Offer.objects.get(status=OfferStatus.EXTENDED)
    assert extended.applicant.stage == ApplicantStage.OFFER
    assert extended.expires_on > practice_today()
    held = Interview.objects.filter(status=InterviewStatus.COMPLETED)
    assert held.count() >= 3
    criteria = ScorecardCriterion.objects.filter(position__isnull=True, is_active=True).count()
    assert criteria > 0
    for scorecard in Scorecard.objects.filter(interview__in=held).prefetch_related("ratings"):
        assert scorecard.ratings.count() == criteria
        assert scorecard.interview.interviewers.filter(pk=scorecard.interviewer_id).exists()
    upcoming = Interview.objects.filter(status=InterviewStatus.SCHEDULED)
    assert upcoming.exists()
    assert all(interview.starts_at > timezone.now() for interview in upcoming)
    assert not Scorecard.objects.filter(interview__in=upcoming).exists()


def test_the_new_office_coordinator_has_a_development_plan_towards_mid() -> None:
    _demo()
    plan = DevelopmentPlan.objects.select_related("employee__position", "target_position").get()
    assert plan.status == PlanStatus.ACTIVE
    assert plan.employee.employee_number == "RB-1006"
    assert plan.employee.position is not None
    assert plan.target_position == plan.employee.position.next_position
    assert (plan.target_position.role, plan.target_position.tier) == (Role.OFFICE_MANAGER, Tier.MID)
    rows = plan_rows(plan=plan)
    assert {row.item.kind for row in rows} >= {"credential", "experience"}
    assert any(row.is_done for row in rows)
    assert any(not row.is_done for row in rows)
    assert all(plan.starts_on <= row.item.due_on <= plan.target_date for row in rows)


def test_seeding_the_workforce_again_adds_nothing() -> None:
    _demo()
    before = _counts()
    context: dict[str, Any] = {
        "practice": Practice.objects.get(),
        "locations": {location.code: location for location in Location.objects.all()},
        "users": {user.username: user for user in User.objects.filter(
            username__in=[person.username for person in DEMO_PEOPLE])},
        "report": [],
    }
    seed_workforce(context)
    assert _counts() == before
    assert context["report"] == ["workforce: already seeded, nothing added"]
