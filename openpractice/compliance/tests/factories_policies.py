"""Policy library factories: a policy with a published version (and optionally a draft), campaigns."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory
from django.utils import timezone

from openpractice.accounts.tests.factories import UserFactory
from openpractice.compliance.choices import VersionStatus
from openpractice.compliance.models import (
    AcknowledgementCampaign,
    AcknowledgementRequest,
    Policy,
    PolicyAttachment,
    PolicyVersion,
)

PDF = b"%PDF-1.4\n%%EOF\n"


class PolicyFactory(factory.django.DjangoModelFactory[Policy]):
    class Meta:
        model = Policy

    title = factory.Sequence(lambda n: f"Policy {n:03d}")
    category = "privacy"
    owner = factory.SubFactory(UserFactory)
    created_by = factory.SelfAttribute("owner")
    review_months = 12


class PolicyVersionFactory(factory.django.DjangoModelFactory[PolicyVersion]):
    class Meta:
        model = PolicyVersion

    policy = factory.SubFactory(PolicyFactory)
    number = 1
    body_html = "<p>Staff keep patient information private.</p>"
    status = VersionStatus.DRAFT
    author = factory.SelfAttribute("policy.owner")


def published_version(*, policy: Policy | None = None, number: int = 1, approver: Any = None,
                      effective_on: dt.date = dt.date(2025, 1, 1),
                      body_html: str = "<p>Staff keep patient information private.</p>",
                      **policy_fields: Any) -> PolicyVersion:
    """A version in force (approved by someone else, published), made directly (no workflow)."""
    owner_policy: Any = policy or PolicyFactory(**policy_fields)
    approver = approver or UserFactory()
    now = timezone.now()
    return PolicyVersionFactory(
        policy=owner_policy, number=number, status=VersionStatus.PUBLISHED, effective_on=effective_on,
        body_html=body_html,
        next_review_on=effective_on.replace(year=effective_on.year + 1), approved_by=approver, approved_at=now,
        published_by=approver, published_at=now, submitted_at=now)


def campaign_for(version: PolicyVersion, users: list[Any], *, due_on: dt.date = dt.date(2030, 1, 1),
                 created_by: Any = None) -> AcknowledgementCampaign:
    campaign = AcknowledgementCampaign.objects.create(version=version, due_on=due_on,
                                                      created_by=created_by or version.policy.owner)
    AcknowledgementRequest.objects.bulk_create(
        [AcknowledgementRequest(campaign=campaign, user=user, due_on=due_on) for user in users])
    return campaign


class PolicyAttachmentFactory(factory.django.DjangoModelFactory[PolicyAttachment]):
    class Meta:
        model = PolicyAttachment

    version = factory.SubFactory(PolicyVersionFactory)
    title = "Flowchart"
    file = factory.django.FileField(filename="flowchart.pdf", data=PDF)
    content_type = "application/pdf"
    size = len(PDF)
    uploaded_by = factory.SelfAttribute("version.author")
