"""Breach notification deadlines for readers outside compliance (the reporting calendar).

The same rule as incidents.incident_scoped: compliance.incidents where the incident is, and an incident with no
location needs the permission everywhere. Kept apart from incidents.py, which imports the breach-clock service:
reporting may not import any module's services, even through a selector."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from openpractice.accounts.permissions import location_ids_where
from openpractice.accounts.roles import Perm

from ..models import NotificationDeadline


def deadlines_visible(*, actor: Any) -> QuerySet[NotificationDeadline]:
    """The notices of the incidents the actor manages."""
    ids = location_ids_where(actor, Perm.COMPLIANCE_INCIDENTS)
    queryset = NotificationDeadline.objects.select_related("incident", "incident__location")
    if ids is None:
        return queryset
    if not ids:
        return queryset.none()
    return queryset.filter(incident__location_id__in=sorted(ids))
