"""Hiring test data (requisitions and applicants), built directly (not through the services) so each test starts
where it needs to. Other hiring helpers (interviews, offers) import these."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from openpractice.workforce.choices import ApplicantSource, ApplicantStage, RequisitionReason, RequisitionStatus
from openpractice.workforce.models import Applicant, ApplicantStageChange, Requisition

from .factories import PositionFactory


class RequisitionFactory(factory.django.DjangoModelFactory[Requisition]):
    """An approved (OPEN) requisition: applicants can be added to it straight away."""

    class Meta:
        model = Requisition

    location = factory.SubFactory("openpractice.core.tests.factories.LocationFactory")
    position = factory.SubFactory(PositionFactory, location=factory.SelfAttribute("..location"))
    openings = 1
    reason = RequisitionReason.NEW
    pay_min = Decimal("42000.00")
    pay_max = Decimal("55000.00")
    justification = "The front desk is short-handed."
    status = RequisitionStatus.OPEN
    requested_by = factory.SubFactory("openpractice.accounts.tests.factories.UserFactory")
    submitted_at = factory.LazyFunction(timezone.now)
    decided_by = factory.SelfAttribute("requested_by")
    decided_at = factory.LazyFunction(timezone.now)
    opened_at = factory.LazyFunction(timezone.now)


class ApplicantFactory(factory.django.DjangoModelFactory[Applicant]):
    """An applicant in the APPLIED stage, with the first row of their stage history."""

    class Meta:
        model = Applicant
        skip_postgeneration_save = True

    requisition = factory.SubFactory(RequisitionFactory)
    first_name = factory.Sequence(lambda n: f"Casey{n}")
    last_name = "Morgan"
    email = factory.LazyAttribute(lambda a: f"{a.first_name.lower()}@applicant.example")
    phone = "919-555-0188"
    source = ApplicantSource.JOB_BOARD
    applied_on = dt.date(2026, 1, 5)
    stage = ApplicantStage.APPLIED
    created_by = factory.SelfAttribute("requisition.requested_by")

    @factory.post_generation
    def history(obj: Applicant, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            ApplicantStageChange.objects.create(applicant=obj, from_stage="", to_stage=obj.stage,
                                                changed_by=obj.created_by, changed_at=obj.stage_changed_at)
