"""Requisition and applicant reads: the status list, the detail page's approval trail and pipeline board, the
applicant page's history and allowed moves. Every queryset starts from hiring_scope (the one scope rule)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from openpractice.accounts.models import User
from openpractice.accounts.permissions import can, locations_where
from openpractice.accounts.roles import Perm
from openpractice.core.models import Location

from ..choices import ApplicantStage, EmployeeStatus, RequisitionStatus
from ..models import Applicant, ApplicantStageChange, Employee, Position, Requisition
from ..services.hiring_applicants import NOT_HERE
from ..services.hiring_requisitions import CANCELLABLE
from ..services.hiring_stages import ALLOWED_MOVES, CLOSED_STAGES
from .hiring_scope import applicants_scoped, requisitions_scoped
from .scope import employees_scoped


def small_id(value: str) -> int | None:
    """An id typed in a URL or a search box: 1-9 ASCII digits, else None (ignored). str.isdigit() alone lets
    "²" through (int() then fails) and an unbounded number overflows the database's integer."""
    return int(value) if 0 < len(value) <= 9 and value.isascii() and value.isdigit() else None


def hiring_locations(*, actor: Any) -> QuerySet[Location]:
    """Active locations where the actor may raise requisitions."""
    return locations_where(actor, Perm.WORKFORCE_HIRING).filter(is_active=True).order_by("name")


def requisition_list(*, actor: Any, text: str = "", status: str = "", location_id: int | None = None
                     ) -> QuerySet[Requisition]:
    """Requisitions in the actor's hiring scope; `text` matches the position title, the reference number or the
    requester; `status` one of RequisitionStatus (empty: all). Each row carries its active applicant count."""
    queryset = requisitions_scoped(actor=actor)
    text = text.replace("\x00", "").strip()[:100]
    for word in text.split()[:4]:
        condition = (Q(position__title__icontains=word) | Q(requested_by__last_name__icontains=word)
                     | Q(requested_by__first_name__icontains=word))
        number = small_id(word.upper().removeprefix("REQ-"))
        if number is not None:
            condition |= Q(pk=number)
        queryset = queryset.filter(condition)
    if status in RequisitionStatus.values:
        queryset = queryset.filter(status=status)
    if location_id is not None:
        queryset = queryset.filter(location_id=location_id)
    return queryset.select_related("position", "location", "requested_by", "hiring_manager").annotate(
        active_applicants=Count("applicants", filter=~Q(applicants__stage__in=sorted(CLOSED_STAGES)))
    ).order_by("-created_at", "-pk")


def requisition_scoped(*, actor: Any, permission: str = Perm.WORKFORCE_HIRING) -> QuerySet[Requisition]:
    return requisitions_scoped(actor=actor, permission=permission).select_related(
        "position", "location", "requested_by", "decided_by", "hiring_manager", "replaces")


@dataclass(frozen=True)
class TrailStep:
    label: Any  # a lazy or plain translated string
    by: Any
    at: datetime | None
    note: str = ""


def approval_trail(requisition: Requisition) -> list[TrailStep]:
    """Raised, submitted, decided (approved / rejected, by whom, why), closed: read from the requisition itself."""
    steps = [TrailStep(_("Raised"), requisition.requested_by, requisition.created_at)]
    if requisition.submitted_at:
        steps.append(TrailStep(_("Submitted for approval"), requisition.requested_by, requisition.submitted_at))
    if requisition.decided_at:
        approved = requisition.status != RequisitionStatus.REJECTED
        self_approved = approved and requisition.decided_by_id == requisition.requested_by_id
        label = (_("Approved (raised by an approver)") if self_approved
                 else _("Approved") if approved else _("Not approved"))
        steps.append(TrailStep(label, requisition.decided_by, requisition.decided_at, requisition.decision_note))
    if requisition.closed_at and requisition.status in (RequisitionStatus.FILLED, RequisitionStatus.CANCELLED):
        steps.append(TrailStep(RequisitionStatus(requisition.status).label, None, requisition.closed_at))
    return steps


@dataclass
class BoardColumn:
    stage: str
    label: str
    applicants: list[Applicant] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.applicants)


def pipeline_board(*, requisition: Requisition) -> list[BoardColumn]:
    """One column per stage, in pipeline order, each with its applicants (one query whatever their number)."""
    columns = {stage: BoardColumn(stage=stage, label=str(label)) for stage, label in ApplicantStage.choices}
    for applicant in Applicant.objects.filter(requisition=requisition).order_by("stage_changed_at", "pk"):
        columns[applicant.stage].applicants.append(applicant)
    return list(columns.values())


def applicant_scoped(*, actor: Any, include_interviewer: bool = False) -> QuerySet[Applicant]:
    return applicants_scoped(actor=actor, include_interviewer=include_interviewer).select_related(
        "requisition", "requisition__position", "requisition__location", "referred_by", "created_by")


def stage_history(*, applicant: Applicant) -> QuerySet[ApplicantStageChange]:
    return applicant.stage_changes.select_related("changed_by").order_by("changed_at", "pk")


def moves_here(applicant: Applicant) -> list[tuple[str, str]]:
    """The stages the stage form offers: the allowed moves, less OFFER and HIRED (offers and hires set those);
    on a requisition no longer open, only rejection and withdrawal."""
    allowed = ALLOWED_MOVES.get(applicant.stage, frozenset()) - NOT_HERE
    if applicant.requisition.status != RequisitionStatus.OPEN:
        allowed &= {ApplicantStage.REJECTED, ApplicantStage.WITHDRAWN}
    return [(stage, str(label)) for stage, label in ApplicantStage.choices if stage in allowed]


def may_decide(actor: Any, requisition: Requisition) -> bool:
    return (requisition.status == RequisitionStatus.PENDING and requisition.requested_by_id != actor.pk
            and can(actor, Perm.WORKFORCE_APPROVE_HIRING, requisition.location_id))


def may_cancel(actor: Any, requisition: Requisition) -> bool:
    return requisition.status in CANCELLABLE and (
        requisition.requested_by_id == actor.pk or can(actor, Perm.WORKFORCE_APPROVE_HIRING, requisition.location_id))


def position_choices() -> QuerySet[Position]:
    return Position.objects.filter(is_active=True).select_related("location").order_by("title", "pk")


def replaceable_employees(*, actor: Any) -> QuerySet[Employee]:
    """Employees a requisition may replace: those the actor reaches with workforce.hiring."""
    return employees_scoped(actor=actor, permission=Perm.WORKFORCE_HIRING, include_self=False).order_by(
        "last_name", "first_name", "pk")


def referrers(*, actor: Any) -> QuerySet[Employee]:
    """Employees who may be named as having referred an applicant: any current employee (a referral may come
    from a colleague at another location)."""
    return Employee.objects.exclude(status=EmployeeStatus.TERMINATED).order_by("last_name", "first_name", "pk")


def hiring_manager_choices() -> QuerySet[User]:
    return User.objects.filter(is_active=True).order_by("last_name", "first_name", "pk")
