"""Incident reads. compliance.incidents holders manage the incidents at the locations where they hold it (an
incident with no location is practice-wide: it needs the permission everywhere); anyone signed in sees the status
of the incidents they reported. The affected-patient list is PHI: each patient shown is one audit event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Min, Q, QuerySet

from openpractice.accounts.models import User
from openpractice.accounts.permissions import can, location_ids_where, reachable_location_ids
from openpractice.accounts.roles import PERMISSION_TABLE, Perm
from openpractice.audit.services import Event, record_many
from openpractice.core.models import Location
from openpractice.workforce.models import DisciplinaryAction
from openpractice.workforce.selectors.discipline import action_scoped

from ..models import AffectedPatient, Incident, NotificationDeadline
from ..services.breach_clock import days_left


def incident_scoped(*, actor: Any) -> QuerySet[Incident]:
    """The incidents the actor manages."""
    ids = location_ids_where(actor, Perm.COMPLIANCE_INCIDENTS)
    queryset = Incident.objects.select_related("location", "reported_by")
    if ids is None:
        return queryset
    if not ids:
        return queryset.none()
    return queryset.filter(location_id__in=sorted(ids))


def incident_list(*, actor: Any) -> QuerySet[Incident]:
    """The managed incidents with what the list shows (affected patients, next open notice) in one query."""
    return incident_scoped(actor=actor).annotate(
        affected_count=Count("affected_patients", distinct=True),
        next_due=Min("deadlines__due_on", filter=Q(deadlines__done_on__isnull=True)),
    ).order_by("-discovered_on", "-pk")


def own_reports(*, actor: Any) -> QuerySet[Incident]:
    """What the actor reported (the reporter sees the status only)."""
    if not getattr(actor, "is_authenticated", False):
        return Incident.objects.none()
    return Incident.objects.filter(reported_by_id=actor.pk).only("pk", "title", "discovered_on", "status",
                                                                 "created_at")


def report_locations(*, actor: Any) -> QuerySet[Location]:
    """Where a reporter may say the incident happened: the locations their roles reach."""
    ids = reachable_location_ids(actor)
    queryset = Location.objects.filter(is_active=True).order_by("name")
    return queryset if ids is None else queryset.filter(pk__in=sorted(ids))


def manage_locations(*, actor: Any) -> QuerySet[Location]:
    ids = location_ids_where(actor, Perm.COMPLIANCE_INCIDENTS)
    queryset = Location.objects.order_by("name")
    return queryset if ids is None else queryset.filter(pk__in=sorted(ids))


def may_manage(actor: Any, incident: Incident) -> bool:
    return can(actor, Perm.COMPLIANCE_INCIDENTS, incident.location_id) if incident.location_id else (
        location_ids_where(actor, Perm.COMPLIANCE_INCIDENTS) is None)


def deadline_scoped(*, actor: Any) -> QuerySet[NotificationDeadline]:
    return NotificationDeadline.objects.filter(
        incident__in=incident_scoped(actor=actor).values("pk")).select_related("incident")


def affected_scoped(*, actor: Any) -> QuerySet[AffectedPatient]:
    return AffectedPatient.objects.filter(
        incident__in=incident_scoped(actor=actor).values("pk")).select_related("incident", "patient")


def deadlines_of(incident: Incident, *, today: dt.date) -> list[tuple[NotificationDeadline, int]]:
    """The incident's notices with the calendar days left on each."""
    rows = list(incident.deadlines.select_related("done_by").order_by("due_on", "audience", "state"))
    return [(row, days_left(row.due_on, today)) for row in rows]


def affected_patients(*, incident: Incident) -> QuerySet[AffectedPatient]:
    return (incident.affected_patients.select_related("patient", "added_by")
            .order_by("patient__last_name", "patient__first_name", "pk"))


def affected_viewed(*, actor: Any, rows: Iterable[AffectedPatient], how: str) -> None:
    """One audit event per patient shown (HIPAA access log), in one statement."""
    record_many(actor=actor, events=[
        Event(action="patients.viewed", target=row.patient, patient_id=row.patient_id,
              location_id=row.patient.home_location_id, reason=f"incident {row.incident_id}: {how}"[:200])
        for row in rows])


def linkable_actions(*, actor: Any) -> QuerySet[DisciplinaryAction]:
    """Disciplinary actions the actor may link: those they manage (workforce.discipline scope); none without it."""
    if not can(actor, Perm.WORKFORCE_DISCIPLINE):
        return DisciplinaryAction.objects.none()
    return action_scoped(actor=actor).order_by("-occurred_on", "-pk")


def may_see_action(actor: Any, action_id: int | None) -> bool:
    return action_id is not None and linkable_actions(actor=actor).filter(pk=action_id).exists()


def alert_recipients(incident: Incident) -> list[User]:
    """Active users holding compliance.incidents where the incident is (everywhere, for a practice-wide one)."""
    pairs = [pair for pair, permissions in PERMISSION_TABLE.items() if Perm.COMPLIANCE_INCIDENTS in permissions]
    held = Q(pk__in=[])
    for role, tier in pairs:
        held |= Q(role_assignments__role=role, role_assignments__tier=tier)
    covers = Q(role_assignments__all_locations=True)
    if incident.location_id:
        covers |= Q(role_assignments__locations=incident.location_id)
    # One filter() call: the role and its locations must be the same assignment.
    candidates = User.objects.filter(held & covers, is_active=True).distinct().order_by("pk")
    # Restrictions (lapsed training) may withdraw the permission: ask the permission check itself.
    return [user for user in candidates if may_manage(user, incident)]
