"""Who reaches which requisition, applicant and interview: the one scope rule every hiring selector, service and
view builds on.

- workforce.hiring (office managers mid+, practice managers advanced+, HR) reaches the requisitions of the
  locations where it is held, and their applicants, interviews, scorecards and offers.
- workforce.approve_hiring (practice managers advanced+) reaches them the same way, to approve requisitions.
- workforce.schedule (office managers entry+) reaches applicants and interviews at those locations to schedule
  interviews, but not pay or offers.
- An interviewer reaches the interviews they are on and the applicant (with the résumé) they interview, and
  their own scorecard; nothing else, whatever their role.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from openpractice.accounts.permissions import location_ids_where
from openpractice.accounts.roles import Perm

from ..models import Applicant, Interview, Requisition


def _location_condition(actor: Any, permission: str, field: str) -> Q:
    ids = location_ids_where(actor, permission)
    if ids is None:  # every location
        return Q(pk__isnull=False)
    if not ids:
        return Q(pk__in=[])
    return Q(**{f"{field}__in": sorted(ids)})


def requisitions_scoped(*, actor: Any, permission: str = Perm.WORKFORCE_HIRING) -> QuerySet[Requisition]:
    return Requisition.objects.filter(_location_condition(actor, permission, "location_id"))


def applicants_scoped(*, actor: Any, permission: str = Perm.WORKFORCE_HIRING,
                      include_interviewer: bool = False) -> QuerySet[Applicant]:
    """Applicants on requisitions at the locations where `actor` holds `permission`; with include_interviewer,
    also those the actor interviews."""
    condition = _location_condition(actor, permission, "requisition__location_id")
    if include_interviewer and getattr(actor, "is_authenticated", False):
        condition |= Q(pk__in=Interview.objects.filter(interviewers=actor).values("applicant_id"))
    return Applicant.objects.filter(condition)


def interviews_scoped(*, actor: Any, include_own: bool = True) -> QuerySet[Interview]:
    """Interviews `actor` may see: through workforce.hiring or workforce.schedule at the requisition's location,
    or (include_own) because they are one of its interviewers."""
    field = "applicant__requisition__location_id"
    condition = (_location_condition(actor, Perm.WORKFORCE_HIRING, field)
                 | _location_condition(actor, Perm.WORKFORCE_SCHEDULE, field))
    if include_own and getattr(actor, "is_authenticated", False):
        condition |= Q(pk__in=Interview.objects.filter(interviewers=actor).values("pk"))
    return Interview.objects.filter(condition)
