"""Answers "may this user do P (at this location)?" from the permission table in roles.py.

The user's grants are loaded once per request (two queries) and cached on the user object.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from openpractice.audit.services import record_denied
from openpractice.core.models import Location

from .roles import permissions_for, requires_mfa

if TYPE_CHECKING:
    from django.db.models import QuerySet

_CACHE_ATTR = "_openpractice_grants"
# Where the location a person chose to work at lives in their session (the switcher, the page shell).
SESSION_LOCATION_KEY = "location_id"


@dataclass(frozen=True)
class Grant:
    role: str
    tier: str
    permissions: frozenset[str]
    all_locations: bool
    location_ids: frozenset[int]


# Rules of other apps that withdraw permissions from a user for a while (workforce: PHI access while HIPAA
# training has lapsed, when the practice asks for it). The foundation must not import those apps, so they register
# here from AppConfig.ready(). Each gets the user and the permissions their roles grant and answers the ones to
# withdraw; it runs when the grants are loaded, so the per-request cache covers it, and `forget()` re-asks it.
Restriction = Callable[[Any, frozenset[str]], frozenset[str]]
_RESTRICTIONS: list[Restriction] = []


def register_restriction(restriction: Restriction) -> None:
    """Add a restriction (once: registering it again changes nothing)."""
    if restriction not in _RESTRICTIONS:
        _RESTRICTIONS.append(restriction)


def unregister_restriction(restriction: Restriction) -> None:
    if restriction in _RESTRICTIONS:
        _RESTRICTIONS.remove(restriction)


def _restricted(user: Any, loaded: tuple[Grant, ...]) -> tuple[Grant, ...]:
    if not _RESTRICTIONS or not loaded:
        return loaded
    held = frozenset().union(*(grant.permissions for grant in loaded))
    withdrawn: set[str] = set()
    for restriction in _RESTRICTIONS:
        withdrawn |= restriction(user, held)
    if not withdrawn:
        return loaded
    return tuple(replace(grant, permissions=grant.permissions - withdrawn) for grant in loaded)


def _assignments(user: Any) -> Any:
    """The user's role assignments with their locations; those a list prefetched (prefetch_grants) are used
    as they are, so checking many users costs no query per user."""
    if "role_assignments" in getattr(user, "_prefetched_objects_cache", {}):
        return user.role_assignments.all()
    return user.role_assignments.prefetch_related("locations")


def prefetch_grants(users: Any) -> Any:
    """A user queryset ready for `can()` on each of its users (role assignments and locations in two queries)."""
    return users.prefetch_related("role_assignments__locations")


def grants(user: Any) -> tuple[Grant, ...]:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = tuple(
            Grant(
                role=assignment.role,
                tier=assignment.tier,
                permissions=permissions_for(assignment.role, assignment.tier),
                all_locations=assignment.all_locations,
                location_ids=frozenset(location.pk for location in assignment.locations.all()),
            )
            for assignment in _assignments(user)
        )
        cached = _restricted(user, cached)
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget(user: Any) -> None:
    """Drop the cached grants (after roles change within one request or test)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def permissions_of(user: Any) -> frozenset[str]:
    result: set[str] = set()
    for grant in grants(user):
        result |= grant.permissions
    return frozenset(result)


def can(user: Any, permission: str, location: Location | int | None = None) -> bool:
    """True if the user holds `permission` — at `location` when one is given, else anywhere."""
    location_id = location.pk if isinstance(location, Location) else location
    for grant in grants(user):
        if permission not in grant.permissions:
            continue
        if location_id is None or grant.all_locations or location_id in grant.location_ids:
            return True
    return False


def has_all_locations(user: Any, permission: str) -> bool:
    return any(g.all_locations for g in grants(user) if permission in g.permissions)


def location_ids_where(user: Any, permission: str) -> frozenset[int] | None:
    """Location ids where the user holds `permission`; None means every location."""
    ids: set[int] = set()
    for grant in grants(user):
        if permission in grant.permissions:
            if grant.all_locations:
                return None
            ids |= grant.location_ids
    return frozenset(ids)


def locations_where(user: Any, permission: str) -> QuerySet[Location]:
    ids = location_ids_where(user, permission)
    if ids is None:
        return Location.objects.all()
    return Location.objects.filter(pk__in=ids)


def user_requires_mfa(user: Any) -> bool:
    return any(requires_mfa(grant.role, grant.tier) for grant in grants(user))


def permissions_at(user: Any, location_id: int | None) -> frozenset[str]:
    """What the user may do at one location: the permissions of the roles that reach it. With None, only the
    roles held at all locations count (what holds everywhere, including locations added later)."""
    result: set[str] = set()
    for grant in grants(user):
        if grant.all_locations or (location_id is not None and location_id in grant.location_ids):
            result |= grant.permissions
    return frozenset(result)


def reachable_location_ids(user: Any) -> frozenset[int] | None:
    """Locations any of the user's roles reaches; None means every location."""
    ids: set[int] = set()
    for grant in grants(user):
        if grant.all_locations:
            return None
        ids |= grant.location_ids
    return frozenset(ids)


def refuse(
    *, actor: Any, permission: str, action: str, target: Any = None, reason: str = "", message: str = "",
) -> PermissionDenied:
    """Audit a refused change (outcome "denied") and return the PermissionDenied to raise.

    Call it before any transaction opens, or after the transaction rolled back: a denial recorded inside a
    transaction that then raises would be rolled back with it."""
    record_denied(
        actor=actor,
        action=action,
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None and target.pk else "",
        reason=(reason or f"{permission} required")[:200],
    )
    return PermissionDenied(message or _("You may not make this change."))
