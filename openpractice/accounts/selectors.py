"""Reads of people and access. Every selector takes the acting user and returns only what they may see."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db.models import Case, CharField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Now
from django.utils import timezone

from openpractice.core.models import Location, OutboxMessage

from .models import Invitation, RoleAssignment, User, UserSession
from .permissions import can, grants, location_ids_where, permissions_at
from .roles import Perm, Role, permissions_for, role_tier_pairs
from .tokens_hash import token_digest


class UserStatus:
    ACTIVE = "active"
    INVITED = "invited"  # an open invitation, not yet accepted
    INVITATION_LAPSED = "invitation_lapsed"  # never accepted; the last link expired or was withdrawn
    DEACTIVATED = "deactivated"


def is_administrator(actor: Any) -> bool:
    return any(grant.role == Role.ADMINISTRATOR for grant in grants(actor))


def assignment_scope(assignment: RoleAssignment) -> tuple[bool, frozenset[int]]:
    """(all locations?, chosen location ids) — reads prefetched locations when they are there."""
    if assignment.all_locations:
        return True, frozenset()
    return False, frozenset(location.pk for location in assignment.locations.all())


def may_grant(actor: Any, role: str, tier: str, *, all_locations: bool, location_ids: Iterable[int]) -> bool:
    """May a non-administrator hand out (or hold sway over) `role` at `tier` there? At every location in
    question the actor must hold, at that location, each permission of the role plus users.manage. For "all
    locations" only the actor's all-location roles count. Permissions are never pooled across locations."""
    needed = permissions_for(role, tier) | {Perm.USERS_MANAGE}
    places: list[int | None] = [None] if all_locations else [*sorted(set(location_ids))]
    return bool(places) and all(needed <= permissions_at(actor, place) for place in places)


def manage_refusal(*, actor: Any, user: User | None) -> str:
    """Why `actor` may not change this person's access ("" when they may; `user` None: anyone at all).
    Administrators may manage anyone; others only someone each of whose roles they could grant themselves
    (see may_grant). Reads the user's roles afresh unless they were prefetched."""
    if not can(actor, Perm.USERS_MANAGE):
        return f"{Perm.USERS_MANAGE} required"
    if user is None or is_administrator(actor):
        return ""
    for assignment in user.role_assignments.all():
        all_locations, ids = assignment_scope(assignment)
        if not may_grant(actor, assignment.role, assignment.tier, all_locations=all_locations, location_ids=ids):
            return "target has access beyond the actor's"
    return ""


def user_is_manageable(*, actor: Any, user: User) -> bool:
    """May `actor` change this person's access? (accounts.services.users explains the rule.)"""
    return not manage_refusal(actor=actor, user=user)


def grantable_role_tiers(*, actor: Any) -> list[tuple[str, str]]:
    """The (role, tier) pairs the actor may hand out at one location at least, in the permission table's
    order (the service then checks each chosen location)."""
    if not can(actor, Perm.USERS_MANAGE):
        return []
    if is_administrator(actor):
        return role_tier_pairs()
    # Where a location-scoped role adds to the all-location ones, and the all-location baseline (None).
    specific = sorted({pk for grant in grants(actor) for pk in grant.location_ids})
    places: list[int | None] = [None, *specific]
    held_at = [permissions_at(actor, place) for place in places]
    return [
        (role, tier) for role, tier in role_tier_pairs()
        if any(permissions_for(role, tier) | {Perm.USERS_MANAGE} <= held for held in held_at)
    ]


def grantable_locations(*, actor: Any) -> tuple[bool, list[Location]]:
    """(may grant "all locations"?, active locations the actor may grant roles at)."""
    ids = location_ids_where(actor, Perm.USERS_MANAGE)
    locations = Location.objects.active().order_by("name")
    if ids is None:
        return True, list(locations)
    return False, list(locations.filter(pk__in=ids))


def _status_annotation() -> Case:
    return Case(
        When(deactivated_at__isnull=False, then=Value(UserStatus.DEACTIVATED)),
        When(is_active=True, then=Value(UserStatus.ACTIVE)),
        When(invitation_expires_at__gt=Now(), then=Value(UserStatus.INVITED)),
        default=Value(UserStatus.INVITATION_LAPSED),
        output_field=CharField(),
    )


def user_list(*, actor: Any, permission: str = Perm.USERS_VIEW, status: str | None = None) -> QuerySet[User]:
    """People the actor may see: everyone if they hold `permission` at all locations, else those who hold a
    role at one of the actor's locations (or at all locations). Roles and their locations are prefetched, and
    each row carries `status` (a UserStatus; pass `status` to keep only those) and `invitation_expires_at`, so
    a page of any size costs the same queries."""
    if not can(actor, permission):
        return User.objects.none()
    queryset = User.objects.all()
    ids = location_ids_where(actor, permission)
    if ids is not None:
        reachable = RoleAssignment.objects.filter(Q(all_locations=True) | Q(locations__in=ids)).values("user_id")
        queryset = queryset.filter(pk__in=reachable)
    open_invitation = (
        Invitation.objects.filter(user=OuterRef("pk"), accepted_at__isnull=True, revoked_at__isnull=True)
        .order_by("-expires_at")
        .values("expires_at")[:1]
    )
    queryset = queryset.annotate(invitation_expires_at=Subquery(open_invitation)).annotate(status=_status_annotation())
    if status:
        queryset = queryset.filter(status=status)
    return queryset.prefetch_related(
        Prefetch(
            "role_assignments",
            queryset=RoleAssignment.objects.order_by("role").prefetch_related(
                Prefetch("locations", queryset=Location.objects.order_by("name").only("pk", "name", "code"))
            ),
        )
    )


def user_get(*, actor: Any, pk: int, permission: str = Perm.USERS_VIEW) -> User | None:
    """One person, if the actor may see them (None otherwise: callers answer "not found")."""
    return user_list(actor=actor, permission=permission).filter(pk=pk).first()


@dataclass(frozen=True)
class UserDetail:
    user: User
    invitations: list[Invitation]
    open_sessions: int
    manageable: bool
    is_self: bool


def user_detail(*, actor: Any, user: User) -> UserDetail:
    """What the person page shows besides the user row: invitations, live sessions, whether the actor may
    change this person. `user` must come from user_list(actor=...)."""
    live_keys = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    open_sessions = UserSession.objects.filter(user=user, ended_at__isnull=True, session_key__in=live_keys).count()
    return UserDetail(
        user=user,
        invitations=list(Invitation.objects.filter(user=user).select_related("invited_by").order_by("-created_at")[:10]),
        open_sessions=open_sessions,
        manageable=user_is_manageable(actor=actor, user=user),
        is_self=getattr(actor, "pk", None) == user.pk,
    )


def invitation_open_for(*, actor: Any, user: User) -> Invitation | None:
    """The person's newest open (not accepted, not withdrawn) invitation, for someone who may manage them."""
    if not user_is_manageable(actor=actor, user=user):
        return None
    return (
        Invitation.objects.filter(user=user, accepted_at__isnull=True, revoked_at__isnull=True)
        .order_by("-created_at")
        .first()
    )


def invitation_for_token(*, token: str) -> Invitation | None:
    """The invitation a link points at (the token is the credential: only its SHA-256 is stored)."""
    if not token or len(token) > 100:
        return None
    return Invitation.objects.select_related("user").filter(token_hash=token_digest(token)).first()


def outbox_list(*, actor: Any) -> QuerySet[OutboxMessage]:
    """Mail the demo "sent" (demo mode only)."""
    if not settings.DEMO_MODE or not can(actor, Perm.OUTBOX_VIEW):
        return OutboxMessage.objects.none()
    return OutboxMessage.objects.order_by("-created_at", "-pk")
