"""Incident samples for THE route matrix (tests/test_routes.py SAMPLES): an incident at North (in scope for a
compliance.incidents holder at North) and one at South, each a breach with its deadlines and an affected patient.

    "incident": incident_samples.incidents,     # incident_detail/edit/counts/assess/determine/close/affected/
                                                # affected_from_audit/affected_add/letter/sanction (<pk> = incident)
    "deadline": incident_samples.deadlines,     # deadline_done (<pk> = NotificationDeadline)
    "affected": incident_samples.affected,      # affected_letter (<pk> = AffectedPatient)
"""

from __future__ import annotations

from typing import Any

from openpractice.compliance.models import AffectedPatient, Incident, NotificationDeadline
from openpractice.patients.tests.factories import PatientFactory

from .factories_incidents import IncidentFactory, breach


def _cache(world: Any) -> dict[str, Any]:
    cache: dict[str, Any] = world.__dict__.setdefault("_incident_samples", {})
    if not cache:
        for key, location in (("north", world.north), ("south", world.south)):
            incident = breach(IncidentFactory(location=location, reported_by=world.stranger))
            cache[f"incident:{key}"] = incident
            cache[f"deadline:{key}"] = incident.deadlines.order_by("pk").first()
            cache[f"affected:{key}"] = AffectedPatient.objects.create(
                incident=incident, patient=PatientFactory(home_location=location), source="by hand",
                added_by=world.stranger)
    return cache


def incidents(world: Any, actor: Any) -> tuple[Incident, Incident]:
    cache = _cache(world)
    return cache["incident:north"], cache["incident:south"]


def deadlines(world: Any, actor: Any) -> tuple[NotificationDeadline, NotificationDeadline]:
    cache = _cache(world)
    return cache["deadline:north"], cache["deadline:south"]


def affected(world: Any, actor: Any) -> tuple[AffectedPatient, AffectedPatient]:
    cache = _cache(world)
    return cache["affected:north"], cache["affected:south"]
