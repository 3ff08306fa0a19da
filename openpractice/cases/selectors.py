"""Case reads. Who sees a case:

- patient cases: cases.view where the case is (cases.manage to work them); staff cases: cases.staff;
- a practice-wide case (no location) needs the permission at every location;
- a confidential case additionally needs cases.view_confidential there (the senior roles), except for its
  assignee, who always sees and works the case assigned to them;
- whoever filed a case sees its status and what they wrote (`own_cases`), never the timeline.

The narrative of a patient case is PHI: showing a case that names a patient is one audit event for that patient.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from openpractice.accounts.models import User
from openpractice.accounts.permissions import can, grants, location_ids_where, prefetch_grants
from openpractice.accounts.roles import PERMISSION_TABLE, Perm, Role, Tier
from openpractice.audit.services import record
from openpractice.core.selectors import practice_timezone_name
from openpractice.workforce.models import Employee

from .choices import OPEN_STATUSES, CaseKind, CaseStatus, Confidentiality
from .models import Case, CaseCategory, CaseEntry, CaseLetter

VIEW_PERMISSION: dict[str, str] = {CaseKind.PATIENT: Perm.CASES_VIEW, CaseKind.STAFF: Perm.CASES_STAFF}
WORK_PERMISSION: dict[str, str] = {CaseKind.PATIENT: Perm.CASES_MANAGE, CaseKind.STAFF: Perm.CASES_STAFF}
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-7", 0, 7), ("8-30", 8, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("90+", 91, None))


def _where(ids: frozenset[int] | None) -> Q:
    """Cases located where `ids` reach (None: everywhere, practice-wide cases included)."""
    if ids is None:
        return Q()
    if not ids:
        return Q(pk__in=[])
    return Q(location_id__in=sorted(ids))


def _covers(actor: Any, permission: str, location_id: int | None) -> bool:
    if location_id is None:
        return location_ids_where(actor, permission) is None
    return can(actor, permission, location_id)


def _ids_with_both(actor: Any, permission: str) -> frozenset[int] | None:
    """Where one of the actor's roles holds `permission` together with cases.view_confidential (None: everywhere).
    Per role, not per person: HR's confidential access is for staff cases, and it must not combine with an entry
    practice manager role held at the same location into access to confidential patient cases."""
    ids: set[int] = set()
    for grant in grants(actor):
        if permission in grant.permissions and Perm.CASES_CONFIDENTIAL in grant.permissions:
            if grant.all_locations:
                return None
            ids |= grant.location_ids
    return frozenset(ids)


def _confidential_covers(actor: Any, permission: str, location_id: int | None) -> bool:
    ids = _ids_with_both(actor, permission)
    return ids is None or (location_id is not None and location_id in ids)


def visible_condition(actor: Any, *, permissions: dict[str, str] = VIEW_PERMISSION) -> Q:
    """The cases the actor may see (with VIEW_PERMISSION) or work (with WORK_PERMISSION), as one condition."""
    if not getattr(actor, "is_authenticated", False):
        return Q(pk__in=[])
    # The assignee sees their case always, and works it while they still work cases of its kind.
    condition = Q(assignee_id=actor.pk)
    if permissions is not VIEW_PERMISSION:
        condition &= _kind_held(actor, permissions)
    for kind, permission in permissions.items():
        ids = location_ids_where(actor, permission)
        if ids is not None and not ids:
            continue
        condition |= Q(kind=kind, confidentiality=Confidentiality.NORMAL) & _where(ids)
        both = _ids_with_both(actor, permission)
        if both is None or both:
            condition |= Q(kind=kind, confidentiality=Confidentiality.CONFIDENTIAL) & _where(both)
    # Nobody sees or works a grievance about themselves, whatever their role.
    return condition & ~Q(respondent__user_id=actor.pk)


def _kind_held(actor: Any, permissions: dict[str, str]) -> Q:
    """An assignee works their case while they still hold the kind's permission somewhere."""
    kinds = [kind for kind, permission in permissions.items() if location_ids_where(actor, permission) != frozenset()]
    return Q(kind__in=kinds)


def case_scoped(*, actor: Any) -> QuerySet[Case]:
    """The cases the actor may see."""
    return Case.objects.filter(visible_condition(actor)).select_related(
        "category", "location", "assignee", "filed_by")


def case_workable(*, actor: Any) -> QuerySet[Case]:
    """The cases the actor may work (acknowledge, note, assign, resolve)."""
    return Case.objects.filter(visible_condition(actor, permissions=WORK_PERMISSION)).select_related(
        "category", "location", "assignee", "filed_by")


def is_about(actor: Any, case: Case) -> bool:
    """The actor is the colleague the (staff) case concerns."""
    if case.respondent_id is None or getattr(actor, "pk", None) is None:
        return False
    return Employee.objects.filter(pk=case.respondent_id, user_id=actor.pk).exists()


def may_view(actor: Any, case: Case) -> bool:
    if not getattr(actor, "is_authenticated", False) or is_about(actor, case):
        return False
    if case.assignee_id == actor.pk:
        return True
    if not _covers(actor, VIEW_PERMISSION[case.kind], case.location_id):
        return False
    return case.confidentiality == Confidentiality.NORMAL or _confidential_covers(
        actor, VIEW_PERMISSION[case.kind], case.location_id)


def may_work(actor: Any, case: Case) -> bool:
    if not getattr(actor, "is_authenticated", False) or is_about(actor, case):
        return False
    permission = WORK_PERMISSION[case.kind]
    if case.assignee_id == actor.pk:
        return location_ids_where(actor, permission) != frozenset()
    if not _covers(actor, permission, case.location_id):
        return False
    return case.confidentiality == Confidentiality.NORMAL or _confidential_covers(
        actor, permission, case.location_id)


def may_open_up(actor: Any, case: Case) -> bool:
    """Only a senior role (not the assignee alone) makes a confidential case visible to every case worker."""
    return _confidential_covers(actor, VIEW_PERMISSION[case.kind], case.location_id)


def works_any_cases(actor: Any) -> bool:
    return any(can(actor, permission) for permission in set(WORK_PERMISSION.values()))


def case_list(*, actor: Any, status: str = "", kind: str = "", category: int | None = None,
              assignee: str = "", overdue: bool = False, text: str = "", today: dt.date | None = None,
              ) -> QuerySet[Case]:
    """The visible cases, filtered. `assignee` is "me", "none" or empty; `text` searches the subject and number."""
    queryset = case_scoped(actor=actor)
    if status == "open":
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    elif status in CaseStatus.values:
        queryset = queryset.filter(status=status)
    if kind in CaseKind.values:
        queryset = queryset.filter(kind=kind)
    if category is not None and not 0 < category < 2**31:
        return queryset.none()  # no such id (and a huge one would overflow the database's integer)
    if category:
        queryset = queryset.filter(category_id=category)
    if assignee == "me":
        queryset = queryset.filter(assignee_id=actor.pk)
    elif assignee == "none":
        queryset = queryset.filter(assignee__isnull=True)
    if overdue and today is not None:
        queryset = queryset.filter(overdue_condition(today))
    text = text.replace("\x00", "").strip()  # PostgreSQL refuses NUL in a query parameter
    if text:
        number = text.upper().removeprefix("CASE-").lstrip("0")
        condition = Q(subject__icontains=text)
        if number.isascii() and number.isdecimal() and len(number) <= 9:
            condition |= Q(pk=int(number))
        queryset = queryset.filter(condition)
    return queryset


def overdue_condition(today: dt.date) -> Q:
    """Open and past a service level: not acknowledged in time, or not resolved in time."""
    return Q(status=CaseStatus.NEW, acknowledge_due_on__lt=today) | Q(
        status__in=OPEN_STATUSES, resolve_due_on__lt=today)


def own_cases(*, actor: Any) -> QuerySet[Case]:
    """What the actor filed: status and their own words, not the case workers' timeline."""
    if not getattr(actor, "is_authenticated", False):
        return Case.objects.none()
    return Case.objects.filter(filed_by_id=actor.pk).select_related("category")


def case_viewed(*, actor: Any, case: Case) -> None:
    """The audit event for a case shown: it names the patient when there is one (PHI access log)."""
    record(actor=actor, action="cases.case_viewed", target=case, patient_id=case.patient_id,
           location_id=case.location_id)


def timeline(case: Case) -> list[CaseEntry]:
    return list(case.entries.select_related("author"))


def letters(case: Case) -> list[CaseLetter]:
    return list(case.letters.select_related("created_by"))


def letter_scoped(*, actor: Any) -> QuerySet[CaseLetter]:
    return CaseLetter.objects.filter(case__in=case_scoped(actor=actor).values("pk")).select_related(
        "case", "case__location", "created_by")


def categories(*, kind: str | None = None, active_only: bool = True) -> QuerySet[CaseCategory]:
    queryset = CaseCategory.objects.all()
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset.filter(is_active=True) if active_only else queryset


def category_kinds_managed(actor: Any) -> list[str]:
    """The kinds whose categories and service levels the actor edits (those whose cases they work everywhere)."""
    return [kind for kind, permission in WORK_PERMISSION.items() if location_ids_where(actor, permission) is None]


def _holders(permissions: set[str]) -> Q:
    pairs = [pair for pair, granted in PERMISSION_TABLE.items() if permissions <= granted]
    held = Q(pk__in=[])
    for role, tier in pairs:
        held |= Q(role_assignments__role=role, role_assignments__tier=tier)
    return held


def _covering(location_id: int | None) -> Q:
    covers = Q(role_assignments__all_locations=True)
    if location_id:
        covers |= Q(role_assignments__locations=location_id)
    return covers


def assignable_users(*, kind: str, location_id: int | None, confidential: bool,
                     respondent_id: int | None = None) -> list[User]:
    """Who may be given a case: active users who work cases of its kind where it is (and, for a confidential
    case, see confidential ones there), never the colleague the case concerns."""
    needed = {WORK_PERMISSION[kind]}
    candidates = User.objects.filter(_holders(needed) & _covering(location_id), is_active=True).distinct()
    if respondent_id is not None:
        candidates = candidates.exclude(employee__pk=respondent_id)
    probe = Case(kind=kind, location_id=location_id,
                 confidentiality=Confidentiality.CONFIDENTIAL if confidential else Confidentiality.NORMAL)
    return [user for user in prefetch_grants(candidates.order_by("last_name", "first_name", "pk"))
            if may_work(user, probe)]


def escalation_recipients(case: Case) -> list[User]:
    """The senior practice managers where the case is: escalations go to them (not to one the case is about)."""
    held = Q(role_assignments__role=Role.PRACTICE_MANAGER, role_assignments__tier=Tier.SENIOR)
    candidates = User.objects.filter(held & _covering(case.location_id), is_active=True).distinct().order_by("pk")
    if case.respondent_id is not None:
        candidates = candidates.exclude(employee__pk=case.respondent_id)
    return [user for user in candidates if user.email]


# --- reports ---------------------------------------------------------------------------------------------------


@dataclass
class AgeRow:
    category: str
    counts: list[int] = field(default_factory=list)
    total: int = 0


def open_by_age(*, actor: Any, today: dt.date) -> tuple[list[AgeRow], list[int]]:
    """Open cases per category and age bucket (days since received), with a total per bucket."""
    rows: dict[str, AgeRow] = {}
    totals = [0] * len(AGE_BUCKETS)
    for name, received_on in case_scoped(actor=actor).filter(status__in=OPEN_STATUSES).values_list(
            "category__name", "received_on"):
        age = (today - received_on).days
        index = next(i for i, (_label, low, high) in enumerate(AGE_BUCKETS)
                     if age >= low and (high is None or age <= high)) if age >= 0 else 0
        row = rows.setdefault(name, AgeRow(name, [0] * len(AGE_BUCKETS)))
        row.counts[index] += 1
        row.total += 1
        totals[index] += 1
    return sorted(rows.values(), key=lambda row: (-row.total, row.category)), totals


@dataclass
class TrendRow:
    category: str
    received: list[int]
    resolved: list[int]


def trends(*, actor: Any, today: dt.date, months: int = 12) -> tuple[list[dt.date], list[TrendRow]]:
    """Cases received and resolved per category per month, for the last `months` months up to this one."""
    first = today.replace(day=1)
    for _step in range(months - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    starts = [first]
    while len(starts) < months:
        last = starts[-1]
        starts.append((last.replace(day=28) + dt.timedelta(days=4)).replace(day=1))
    index = {(start.year, start.month): n for n, start in enumerate(starts)}
    received: dict[str, list[int]] = defaultdict(lambda: [0] * months)
    resolved: dict[str, list[int]] = defaultdict(lambda: [0] * months)
    scoped = case_scoped(actor=actor)
    after = (starts[-1].replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    for name, day in scoped.filter(received_on__gte=first, received_on__lt=after).values_list(
            "category__name", "received_on"):
        received[name][index[(day.year, day.month)]] += 1
    zone = zoneinfo.ZoneInfo(practice_timezone_name())
    for name, moment in scoped.filter(resolved_at__isnull=False).values_list("category__name", "resolved_at"):
        assert moment is not None
        local = moment.astimezone(zone).date()
        slot = index.get((local.year, local.month))
        if slot is not None and local >= first:
            resolved[name][slot] += 1
    names = sorted(set(received) | set(resolved))
    return starts, [TrendRow(name, received[name], resolved[name]) for name in names]
