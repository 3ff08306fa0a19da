"""The staff directory: who works here, in which department, role and location, what to send them, how to reach
them and whether they are there now. Work contact details only: no HR record (pay, SSN, home address, personal
phone or email) is read.

A person's presence is what they (or a manager) set, with two rules read at the time of asking, the same ones
intake's round-robin uses:
- "away" or "off" with an `away_until` in the past no longer holds: they are on duty again;
- approved time off (workforce PtoRequest) covering today makes them away, whatever they set.
The page is three queries whatever the number of people (the users with their profile, employee record, position
and department joined, and time off as a subquery; then their roles and the roles' locations).

Managers (frontdesk.configure) edit the profiles of people who hold a role at a location where they configure the
front desk (or anyone's, when they configure it everywhere).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from openpractice.accounts.models import RoleAssignment, User
from openpractice.accounts.permissions import location_ids_where, prefetch_grants
from openpractice.accounts.roles import Perm, Role
from openpractice.core.models import Department, Location
from openpractice.core.selectors import practice_timezone_name
from openpractice.workforce.choices import PtoStatus
from openpractice.workforce.models import PtoRequest

from .choices import PresenceStatus
from .models import StaffProfile

AVAILABLE = (PresenceStatus.ON_DUTY, PresenceStatus.BUSY)


@dataclass(frozen=True)
class Presence:
    status: str
    label: str
    note: str
    on_time_off: bool

    @property
    def available(self) -> bool:
        return self.status in AVAILABLE


@dataclass(frozen=True)
class DirectoryRow:
    user: User
    department: Department | None
    roles: list[str]
    locations: list[str]  # empty with all_locations
    all_locations: bool
    handles: str
    extension: str
    phone: str
    presence: Presence


def _today(now: dt.datetime) -> dt.date:
    return now.astimezone(zoneinfo.ZoneInfo(practice_timezone_name())).date()


def presence_of(profile: StaffProfile | None, *, on_time_off: bool, now: dt.datetime) -> Presence:
    """What the directory shows for a person now (see the module docstring)."""
    if on_time_off:
        return Presence(PresenceStatus.AWAY, str(PresenceStatus.AWAY.label), "", True)
    if profile is None:
        return Presence(PresenceStatus.ON_DUTY, str(PresenceStatus.ON_DUTY.label), "", False)
    status = profile.presence
    if status in (PresenceStatus.AWAY, PresenceStatus.OFF) and profile.away_until is not None \
            and profile.away_until <= now:
        return Presence(PresenceStatus.ON_DUTY, str(PresenceStatus.ON_DUTY.label), "", False)
    return Presence(status, str(PresenceStatus(status).label), profile.presence_note, False)


def _time_off_today(today: dt.date) -> Exists:
    return Exists(PtoRequest.objects.filter(employee__user=OuterRef("pk"), status=PtoStatus.APPROVED,
                                            starts_on__lte=today, ends_on__gte=today))


def _holds_role(*, role: str = "", location_id: int | None = None) -> Exists:
    assignments = RoleAssignment.objects.filter(user=OuterRef("pk"))
    if role:
        assignments = assignments.filter(role=role)
    if location_id is not None:
        assignments = assignments.filter(Q(all_locations=True) | Q(locations__pk=location_id))
    return Exists(assignments)


def staff_queryset(*, now: dt.datetime, department_id: int | None = None, role: str = "",
                   location_id: int | None = None) -> QuerySet[User]:
    """Active people holding a role (filtered), with what a directory row shows joined in."""
    queryset = (
        User.objects.filter(is_active=True)
        .filter(_holds_role(role=role, location_id=location_id))
        .annotate(on_time_off=_time_off_today(_today(now)))
        .select_related("staff_profile", "employee__position__department", "employee__location")
        .order_by("last_name", "first_name", "pk")
    )
    if department_id is not None:
        queryset = queryset.filter(employee__position__department_id=department_id)
    return prefetch_grants(queryset)


def _row(user: User, now: dt.datetime) -> DirectoryRow:
    profile: StaffProfile | None = getattr(user, "staff_profile", None)
    employee = getattr(user, "employee", None)
    position = employee.position if employee is not None else None
    department = position.department if position is not None else None
    assignments = list(user.role_assignments.all())
    all_locations = any(assignment.all_locations for assignment in assignments)
    names = sorted({location.name for assignment in assignments for location in assignment.locations.all()})
    # A work number: the department's line, else the main location's (never the person's own phone).
    main_location = employee.location if employee is not None else None
    phone = (department.phone if department is not None and department.phone else
             (main_location.phone if main_location is not None else ""))
    return DirectoryRow(
        user=user, department=department,
        roles=sorted(str(Role(assignment.role).label) for assignment in assignments),
        locations=[] if all_locations else names, all_locations=all_locations,
        handles=profile.handles if profile else "", extension=profile.extension if profile else "",
        phone=phone, presence=presence_of(profile, on_time_off=bool(getattr(user, "on_time_off", False)), now=now),
    )


def directory(*, actor: Any, now: dt.datetime, department_id: int | None = None, role: str = "",
              location_id: int | None = None, available_now: bool = False) -> list[DirectoryRow]:
    """The directory's rows (every signed-in staff member sees the whole directory), grouped by the template by
    department. `available_now`: only those on duty or busy now."""
    rows = [_row(user, now) for user in staff_queryset(now=now, department_id=department_id, role=role,
                                                      location_id=location_id)]
    if available_now:
        rows = [row for row in rows if row.presence.available]
    rows.sort(key=lambda row: (row.department is None, row.department.name if row.department else "",
                               row.user.last_name.lower(), row.user.first_name.lower(), row.user.pk))
    return rows


def filter_choices() -> dict[str, Any]:
    """The filters' options: active departments and locations, the roles."""
    return {
        "departments": Department.objects.filter(is_active=True).order_by("name", "pk"),
        "locations": Location.objects.filter(is_active=True).order_by("name", "pk"),
        "roles": list(Role.choices),
    }


# --- who may edit whose profile --------------------------------------------------------------------------------


def profile_users(*, actor: Any) -> QuerySet[User]:
    """The people whose directory profile the actor may edit (frontdesk.configure): holders of a role at a location
    where the actor configures the front desk, or of a practice-wide role; everyone for those configuring it
    everywhere. Inactive people too (a profile may be tidied after they leave)."""
    ids = location_ids_where(actor, Perm.FRONTDESK_CONFIGURE)
    if ids is None:
        return User.objects.all()
    if not ids:
        return User.objects.none()
    reached = RoleAssignment.objects.filter(Q(all_locations=True) | Q(locations__pk__in=ids))
    return User.objects.filter(pk__in=reached.values("user_id"))


def may_edit_profile(actor: Any, user: User) -> bool:
    return profile_users(actor=actor).filter(pk=user.pk).exists()


def profile_of(user: User) -> StaffProfile:
    """The person's profile as stored, or an unsaved default one."""
    return StaffProfile.objects.filter(user=user).first() or StaffProfile(user=user)
