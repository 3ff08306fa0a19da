"""Incident test data, built directly (not through the services) so each test starts where it needs to."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory

from openpractice.accounts.tests.factories import UserFactory
from openpractice.compliance.choices import BreachDetermination, IncidentKind, IncidentStatus, RiskLevel
from openpractice.compliance.models import Incident, NotificationDeadline, RiskAssessment
from openpractice.compliance.services import breach_clock


class IncidentFactory(factory.django.DjangoModelFactory[Incident]):
    class Meta:
        model = Incident

    title = factory.Sequence(lambda n: f"Misdirected fax {n}")
    kind = IncidentKind.MISDIRECTED
    discovered_on = dt.date(2025, 4, 1)
    occurred_on = dt.date(2025, 3, 30)
    description = "A fax with a visit summary went to the wrong number."
    phi_involved = "Name, date of birth, diagnosis codes."
    reported_by = factory.SubFactory(UserFactory)


def assessment(incident: Incident, *, level: str = RiskLevel.LOW, assessor: Any = None) -> RiskAssessment:
    return RiskAssessment.objects.create(
        incident=incident, nature_extent="Name and diagnosis.", nature_extent_risk=level,
        recipient="Another covered entity.", recipient_risk=RiskLevel.LOW,
        acquired_viewed="Returned unread.", acquired_viewed_risk=RiskLevel.LOW,
        mitigation="Written assurance of destruction.", mitigation_risk=RiskLevel.LOW,
        assessed_by=assessor or incident.reported_by)


def breach(incident: Incident, *, total: int = 10) -> Incident:
    """Mark the incident a breach with the deadlines the clock gives (no states)."""
    incident.determination, incident.status, incident.individuals_affected = (
        BreachDetermination.BREACH, IncidentStatus.ASSESSED, total)
    incident.save()
    for due in breach_clock.deadlines(discovered_on=incident.discovered_on, total=total, per_state={}):
        NotificationDeadline.objects.create(incident=incident, audience=due.audience, state=due.state,
                                            due_on=due.due_on)
    return incident
