"""The demo practice has a compliance side: a policy library with versions in every state (one policy in its second
version), approved by someone other than the author; two acknowledgement campaigns (everyone on the privacy
policy, mostly acknowledged, with one overdue; the front desk on workstation security); three incidents (a
misdirected fax that is not a breach, a stolen laptop with 620 affected and its HHS and media notices, a snooping
medical assistant whose affected patients are what the audit log holds). Seeding it again adds nothing."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import F

from openpractice.accounts.demo import DEMO_PEOPLE
from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent
from openpractice.compliance.choices import (
    Audience,
    BreachDetermination,
    IncidentKind,
    IncidentStatus,
    PolicyCategory,
    VersionStatus,
)
from openpractice.compliance.choices import NotificationAudience as A
from openpractice.compliance.demo import seed_compliance
from openpractice.compliance.models import (
    Acknowledgement,
    AcknowledgementCampaign,
    AcknowledgementRequest,
    AffectedPatient,
    BusinessAssociate,
    BusinessAssociateAgreement,
    Incident,
    IncidentState,
    NotificationDeadline,
    Policy,
    PolicyVersion,
    Risk,
    RiskAssessment,
    SecurityRiskAssessment,
    SraResponse,
)
from openpractice.compliance.services.acknowledgements import open_requests
from openpractice.core.models import Location, Practice
from openpractice.core.selectors import practice_today

pytestmark = pytest.mark.django_db


def _demo() -> None:
    call_command("demo", stdout=StringIO(), stderr=StringIO())


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (
        Policy, PolicyVersion, AcknowledgementCampaign, AcknowledgementRequest, Acknowledgement, Incident,
        IncidentState, RiskAssessment, NotificationDeadline, AffectedPatient, BusinessAssociate,
        BusinessAssociateAgreement, SecurityRiskAssessment, SraResponse, Risk, AuditEvent)}


def _policy(title_start: str) -> Policy:
    return Policy.objects.get(title__startswith=title_start)


def test_the_library_has_versions_in_every_state_approved_by_someone_else() -> None:
    _demo()
    today = practice_today()
    assert Policy.objects.count() == 8
    assert {PolicyCategory.PRIVACY, PolicyCategory.SECURITY, PolicyCategory.HR, PolicyCategory.BILLING,
            PolicyCategory.SAFETY} <= set(Policy.objects.values_list("category", flat=True))
    statuses = {policy.title: sorted(policy.versions.values_list("number", "status")) for policy in Policy.objects.all()}
    assert statuses.pop("Billing and Coding Compliance") == [(1, VersionStatus.REVIEW)]
    assert statuses.pop("Fire Safety and Evacuation") == [(1, VersionStatus.DRAFT)]
    assert statuses.pop("Passwords and Multi-Factor Authentication") == [(1, VersionStatus.RETIRED),
                                                                       (2, VersionStatus.PUBLISHED)]
    assert len(statuses) == 5
    assert all(versions == [(1, VersionStatus.PUBLISHED)] for versions in statuses.values())

    published = PolicyVersion.objects.filter(status__in=[VersionStatus.PUBLISHED, VersionStatus.RETIRED])
    assert published.count() == 7
    senior, privacy = User.objects.get(username="pm_senior"), User.objects.get(username="privacy")
    for version in published:
        assert version.author == privacy
        assert version.approved_by == senior  # four eyes
        assert version.published_by == privacy
        assert version.submitted_at is not None
        assert version.approved_at is not None
        assert version.published_at is not None
        assert version.submitted_at < version.approved_at < version.published_at
        assert version.effective_on is not None
        assert version.effective_on <= today
        assert version.next_review_on is not None
        assert version.next_review_on > version.effective_on
        assert "<h2>" in version.body_html
        assert "<script" not in version.body_html
    first, second = _policy("Passwords").versions.order_by("number")
    assert first.effective_on is not None
    assert second.effective_on is not None
    assert first.effective_on < second.effective_on
    assert first.retired_at == second.published_at  # superseded the day v2 was published
    assert second.change_summary
    # One policy comes up for review within the month (the reviews page has something to show).
    assert PolicyVersion.objects.filter(status=VersionStatus.PUBLISHED,
                                        next_review_on__lte=today + dt.timedelta(days=30)).count() == 1
    review = _policy("Billing").versions.get()
    assert review.submitted_at is not None
    assert review.approved_by is None
    assert AuditEvent.objects.filter(action="compliance.policy_version_approved", actor=senior).count() == 7


def test_everyone_acknowledges_the_privacy_policy_but_three_and_one_is_overdue() -> None:
    _demo()
    today = practice_today()
    everyone = AcknowledgementCampaign.objects.get(audience=Audience.EVERYONE)
    assert everyone.version.policy.title.startswith("Privacy Policy")
    assert everyone.version.status == VersionStatus.PUBLISHED
    asked = set(everyone.requests.values_list("user__username", flat=True))
    assert asked == {person.username for person in DEMO_PEOPLE}
    acknowledged = set(Acknowledgement.objects.filter(version=everyone.version)
                       .values_list("user__username", flat=True))
    assert asked - acknowledged == {"provider", "clinical", "auditor"}
    assert Acknowledgement.objects.filter(acknowledged_at__date__gt=today).count() == 0
    assert not Acknowledgement.objects.filter(acknowledged_at__lt=F("version__campaigns__created_at")).exists()
    pending = open_requests().filter(campaign=everyone)
    assert sorted(pending.filter(due_on__lt=today).values_list("user__username", flat=True)) == ["auditor"]
    assert pending.filter(due_on__gte=today).count() == 2
    assert everyone.due_on > today

    front_desk = AcknowledgementCampaign.objects.get(audience=Audience.ROLES)
    assert front_desk.roles == [Role.FRONT_DESK]
    assert front_desk.version.policy.title == "Workstation Security"
    holders = User.objects.filter(role_assignments__role=Role.FRONT_DESK).distinct()
    assert set(front_desk.requests.values_list("user_id", flat=True)) == set(holders.values_list("pk", flat=True))
    assert front_desk.requests.count() >= 1
    assert open_requests().filter(campaign=front_desk).count() == front_desk.requests.count()
    assert AcknowledgementCampaign.objects.count() == 2


def test_three_incidents_with_the_assessment_breach_clock_and_affected_patients() -> None:
    _demo()
    today = practice_today()
    assert Incident.objects.exclude(title__startswith="Privacy complaint CASE-").count() == 3

    fax = Incident.objects.get(kind=IncidentKind.MISDIRECTED)
    assert fax.determination == BreachDetermination.NOT_BREACH
    assert fax.determination_reason
    assert fax.status == IncidentStatus.CLOSED
    assert RiskAssessment.objects.filter(incident=fax).exists()
    assert not fax.deadlines.exists()
    assert fax.reported_by.username == "frontdesk"

    laptop = Incident.objects.get(kind=IncidentKind.LOSS_THEFT)
    assert laptop.determination == BreachDetermination.BREACH
    assert laptop.individuals_affected == 620
    assert dict(laptop.states.values_list("state", "individuals")) == {"NC": 540, "SC": 80}
    due = laptop.discovered_on + dt.timedelta(days=60)
    assert laptop.discovered_on < today
    assert sorted(laptop.deadlines.values_list("audience", "state", "due_on")) == sorted([
        (A.INDIVIDUALS, "", due), (A.HHS_NOW, "", due), (A.MEDIA, "NC", due)])
    done = laptop.deadlines.exclude(done_on=None)
    assert [(row.audience, row.state) for row in done] == [(A.MEDIA, "NC")]
    sent_on = done[0].done_on
    assert sent_on is not None
    assert laptop.discovered_on <= sent_on <= today

    snooping = Incident.objects.get(kind=IncidentKind.UNAUTHORIZED_ACCESS, title__startswith="Medical assistant")
    assert snooping.determination == BreachDetermination.BREACH
    clinical = User.objects.get(username="clinical")
    opened = set(AuditEvent.objects.filter(actor=clinical, action="patients.viewed")
                 .values_list("patient_id", flat=True))
    affected = set(snooping.affected_patients.values_list("patient_id", flat=True))
    assert affected == opened
    assert len(affected) == 9
    assert snooping.individuals_affected == len(affected) < 500
    assert sum(snooping.states.values_list("individuals", flat=True)) == len(affected)
    assert sorted(snooping.deadlines.values_list("audience", "due_on")) == sorted([
        (A.INDIVIDUALS, snooping.discovered_on + dt.timedelta(days=60)),
        (A.HHS_ANNUAL, dt.date(snooping.discovered_on.year, 12, 31) + dt.timedelta(days=60))])
    assert all(incident.risk_assessment.assessed_by.username == "privacy" for incident in (fax, laptop, snooping))


def test_seeding_compliance_again_adds_nothing() -> None:
    _demo()
    before = _counts()
    context: dict[str, Any] = {
        "practice": Practice.objects.get(),
        "locations": {location.code: location for location in Location.objects.all()},
        "users": {user.username: user for user in User.objects.filter(
            username__in=[person.username for person in DEMO_PEOPLE])},
        "report": [],
    }
    seed_compliance(context)
    assert _counts() == before
    assert context["report"] == ["business associates: already seeded, nothing added",
                                 "security risk assessment: already seeded, nothing added",
                                 "compliance: already seeded, nothing added"]
