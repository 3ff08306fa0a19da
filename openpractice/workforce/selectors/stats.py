"""Aggregate workforce figures for the reporting KPIs and dashboards: counts only, never a person.

Turnover follows DOMAIN.md and selectors.reports.workforce_report: separations in the period ÷ average headcount,
the average being the mean of the headcount on the first and on the last day of the period. The employees counted
are those the actor reaches with workforce.view (not their own record through self-service).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q

from openpractice.accounts.roles import Perm

from ..choices import ApplicantStage, EmployeeStatus, PtoStatus, RequisitionStatus, TrainingStatus
from ..models import TrainingAssignment
from .credentials import expiring_credentials
from .hiring_scope import applicants_scoped, requisitions_scoped
from .scope import employees_scoped
from .time import pto_requests_scoped
from .training import hipaa_current_condition


@dataclass(frozen=True)
class TurnoverCounts:
    headcount_start: int
    headcount_end: int
    separations: int
    hires: int


def _employed_on(day: dt.date) -> Q:
    return Q(hire_date__lte=day) & (Q(termination_date__isnull=True) | Q(termination_date__gte=day))


def turnover_counts(*, actor: Any, periods: Sequence[tuple[dt.date, dt.date]],
                    location_id: int | None = None) -> list[TurnoverCounts]:
    """Headcount on the first and last day, separations and hires, per period. One query for all periods."""
    if not periods:
        return []
    people = employees_scoped(actor=actor, permission=Perm.WORKFORCE_VIEW, include_self=False).order_by()
    if location_id is not None:
        people = people.filter(location_id=location_id)
    sums: dict[str, Any] = {}
    for index, (start, end) in enumerate(periods):
        sums[f"a{index}"] = Count("pk", filter=_employed_on(start))
        sums[f"b{index}"] = Count("pk", filter=_employed_on(end))
        sums[f"s{index}"] = Count("pk", filter=Q(termination_date__gte=start, termination_date__lte=end))
        sums[f"h{index}"] = Count("pk", filter=Q(hire_date__gte=start, hire_date__lte=end))
    counts = people.aggregate(**sums)
    return [TurnoverCounts(counts[f"a{index}"], counts[f"b{index}"], counts[f"s{index}"], counts[f"h{index}"])
            for index in range(len(periods))]


# --- the HR and practice dashboards ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CountRow:
    key: str  # a location id, a stage or status value, a credential type id ("" for none)
    label: str
    count: int


def headcount_by_location(*, actor: Any, day: dt.date, location_id: int | None = None) -> list[CountRow]:
    """Employees on staff on `day` (hired on or before it, not terminated before it) per main location, largest
    first. One grouped query."""
    people = employees_scoped(actor=actor, permission=Perm.WORKFORCE_VIEW, include_self=False).order_by()
    if location_id is not None:
        people = people.filter(location_id=location_id)
    rows = (people.filter(_employed_on(day)).values("location_id", "location__name").annotate(n=Count("pk"))
            .order_by("-n", "location__name"))
    return [CountRow(str(row["location_id"] or ""), row["location__name"] or "—", row["n"]) for row in rows]


@dataclass(frozen=True)
class HiringPipeline:
    open_requisitions: int
    awaiting_approval: int
    applicants_by_stage: list[CountRow]  # applicants of open requisitions, in pipeline order (ended stages left out)


def hiring_pipeline(*, actor: Any, location_id: int | None = None) -> HiringPipeline:
    """Requisitions open and awaiting approval, and the applicants of the open ones per stage (workforce.hiring
    scope). Two queries."""
    requisitions = requisitions_scoped(actor=actor).order_by()
    applicants = applicants_scoped(actor=actor).order_by().filter(requisition__status=RequisitionStatus.OPEN)
    if location_id is not None:
        requisitions = requisitions.filter(location_id=location_id)
        applicants = applicants.filter(requisition__location_id=location_id)
    counts = requisitions.aggregate(open=Count("pk", filter=Q(status=RequisitionStatus.OPEN)),
                                    pending=Count("pk", filter=Q(status=RequisitionStatus.PENDING)))
    active = (ApplicantStage.APPLIED, ApplicantStage.SCREENING, ApplicantStage.INTERVIEW, ApplicantStage.OFFER)
    found = dict(applicants.filter(stage__in=active).values("stage").annotate(n=Count("pk"))
                 .values_list("stage", "n"))
    return HiringPipeline(
        open_requisitions=counts["open"], awaiting_approval=counts["pending"],
        applicants_by_stage=[CountRow(stage, str(ApplicantStage(stage).label), found.get(stage, 0))
                             for stage in active])


def on_pto(*, actor: Any, day: dt.date, location_id: int | None = None) -> int:
    """Employees (reached with workforce.payroll, not the actor) on approved time off on `day`. One query."""
    requests = pto_requests_scoped(actor=actor, include_self=False).order_by().filter(
        status=PtoStatus.APPROVED, starts_on__lte=day, ends_on__gte=day)
    if location_id is not None:
        requests = requests.filter(employee__location_id=location_id)
    return requests.values("employee_id").distinct().count()


@dataclass(frozen=True)
class TrainingSummary:
    open: int  # assigned, not completed
    overdue: int
    completed_in_period: int
    staff: int  # active employees reached
    hipaa_current: int  # of them, with HIPAA training current today


def training_summary(*, actor: Any, today: dt.date, start: dt.date, end: dt.date, location_id: int | None = None,
                     permission: str = Perm.WORKFORCE_VIEW) -> TrainingSummary:
    """Training assignments of active staff the actor reaches with `permission`, and HIPAA training compliance
    (the share of active staff whose HIPAA training is current, as training.hipaa_current_condition reads it).
    Counts only: the privacy officer reads the HIPAA figures with compliance.view. Two queries."""
    staff = employees_scoped(actor=actor, permission=permission, include_self=False).order_by().exclude(
        status=EmployeeStatus.TERMINATED)
    if location_id is not None:
        staff = staff.filter(location_id=location_id)
    assignments = TrainingAssignment.objects.order_by().filter(employee__in=staff.values("pk"))
    counts = assignments.aggregate(
        open=Count("pk", filter=Q(status=TrainingStatus.ASSIGNED)),
        overdue=Count("pk", filter=Q(status=TrainingStatus.ASSIGNED, due_on__lt=today)),
        completed=Count("pk", filter=Q(status=TrainingStatus.COMPLETED, completed_on__gte=start,
                                       completed_on__lte=end)))
    current = TrainingAssignment.objects.filter(hipaa_current_condition(today), employee_id=OuterRef("pk"))
    people = staff.aggregate(staff=Count("pk"), hipaa=Count("pk", filter=Exists(current)))
    return TrainingSummary(open=counts["open"], overdue=counts["overdue"], completed_in_period=counts["completed"],
                           staff=people["staff"], hipaa_current=people["hipaa"])


@dataclass(frozen=True)
class CredentialSummary:
    expired: int
    within_30: int
    within_90: int
    by_type: list[CountRow]  # expired or expiring within 90 days, per credential type, most first


def credential_summary(*, actor: Any, today: dt.date, location_id: int | None = None) -> CredentialSummary:
    """Credentials held now (not replaced by a renewal) by staff on the payroll the actor reaches with
    workforce.view, by how soon they expire. Two queries."""
    held = expiring_credentials(actor=actor, today=today, within_days=90).order_by()
    if location_id is not None:
        held = held.filter(employee__location_id=location_id)
    counts = held.aggregate(expired=Count("pk", filter=Q(expires_on__lt=today)),
                            within_30=Count("pk", filter=Q(expires_on__gte=today,
                                                           expires_on__lte=today + dt.timedelta(days=30))),
                            within_90=Count("pk", filter=Q(expires_on__gte=today)))
    rows = (held.values("credential_type_id", "credential_type__name").annotate(n=Count("pk"))
            .order_by("-n", "credential_type__name"))
    return CredentialSummary(
        expired=counts["expired"], within_30=counts["within_30"], within_90=counts["within_90"],
        by_type=[CountRow(str(row["credential_type_id"]), row["credential_type__name"], row["n"]) for row in rows])
