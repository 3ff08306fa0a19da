"""Signed-in sessions: registering them at sign-in, listing them, ending one, the others, or all of them.

Django keeps the session data (database backend); a UserSession row remembers which session keys belong to
which user, so that "sign out everywhere" and deactivation can delete them without decoding every session.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from openpractice.audit.services import record
from openpractice.core.models import Location

from ..models import User, UserSession
from ..permissions import SESSION_LOCATION_KEY, reachable_location_ids


def _client_ip(request: HttpRequest) -> str | None:
    # Same source axes and the audit trail use (REMOTE_ADDR; the proxy in front sets it).
    return request.META.get("REMOTE_ADDR") or None


@transaction.atomic
def session_register(*, user: User, request: HttpRequest) -> UserSession:
    """Remember the request's (freshly rotated) session as one of `user`'s signed-in sessions, and audit
    the sign-in."""
    if request.session.session_key is None:
        # After login() flushed an old session the new key only exists once saved.
        request.session.save()
    key = request.session.session_key
    assert key is not None
    session, _created = UserSession.objects.update_or_create(
        session_key=key,
        defaults={
            "user": user,
            "created_at": timezone.now(),
            "ip_address": _client_ip(request),
            "user_agent": (request.META.get("HTTP_USER_AGENT") or "")[:300],
            "ended_at": None,
        },
    )
    record(actor=user, action="auth.login", target=user)
    return session


@transaction.atomic
def session_rekey(*, user: User, old_key: str | None, new_key: str | None) -> None:
    """Follow a session whose key Django rotated (password change keeps the user signed in)."""
    if not old_key or not new_key or old_key == new_key:
        return
    UserSession.objects.filter(user=user, session_key=old_key, ended_at__isnull=True).update(session_key=new_key)


@transaction.atomic
def session_end(*, user: User, session_key: str | None, action: str, reason: str = "") -> None:
    """Mark one session ended and audit why (sign-out, idle, time limit). The caller logs the request out."""
    if session_key:
        UserSession.objects.filter(user=user, session_key=session_key, ended_at__isnull=True).update(
            ended_at=timezone.now()
        )
    record(actor=user, action=action, target=user, reason=reason)


def _keys_of_user_sessions(user: User, except_session_key: str | None) -> set[str]:
    """Keys of the user's live Django sessions: the registered ones, plus any made without our sign-in
    page (a test's force_login, a future SSO) found by reading the live sessions themselves."""
    keys = set(
        UserSession.objects.filter(user=user, ended_at__isnull=True).values_list("session_key", flat=True)
    )
    user_id = str(user.pk)
    live = Session.objects.filter(expire_date__gt=timezone.now()).exclude(session_key__in=keys)
    for session in live.iterator(chunk_size=500):
        if str(session.get_decoded().get(SESSION_KEY)) == user_id:
            keys.add(session.session_key)
    keys.discard(except_session_key or "")
    return keys


@transaction.atomic
def sessions_end_all(*, user: User, except_session_key: str | None = None, actor: Any = None) -> int:
    """Sign `user` out everywhere (except `except_session_key`, the caller's own session, when given).

    Deletes the Django sessions, so the next request from those browsers is anonymous, and marks the
    UserSession rows ended. Returns how many sessions were ended. Called by deactivation, password reset
    and "sign out my other sessions"."""
    keys = _keys_of_user_sessions(user, except_session_key)
    Session.objects.filter(session_key__in=keys).delete()
    now = timezone.now()
    open_rows = UserSession.objects.filter(user=user, ended_at__isnull=True)
    if except_session_key:
        open_rows = open_rows.exclude(session_key=except_session_key)
    open_rows.update(ended_at=now)
    record(
        actor=actor if actor is not None else user,
        action="auth.sessions_ended",
        target=user,
        reason=f"{len(keys)} session(s)" + (" except current" if except_session_key else ""),
    )
    return len(keys)


@transaction.atomic
def user_password_set(*, actor: Any, user: User, new_password: str, keep_session_key: str | None, action: str) -> None:
    """Set a new password (already validated by the form) and end the user's other sessions: whoever knew
    the old password is out. `action` says why: "auth.password_changed" or "auth.password_reset_completed"."""
    user.set_password(new_password)
    user.save(update_fields=["password"])
    record(actor=actor, action=action, target=user, changed_fields=["password"])
    sessions_end_all(user=user, except_session_key=keep_session_key, actor=actor)


def session_list_open(*, user: User) -> QuerySet[UserSession]:
    """The user's sessions that are still live (their Django session exists and has not expired)."""
    live_keys = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    return UserSession.objects.filter(user=user, ended_at__isnull=True, session_key__in=live_keys).order_by(
        "-created_at"
    )


def location_in_reach(*, user: User, location_id: int) -> bool:
    """May `user` work at this (active) location under any of their roles?"""
    if not Location.objects.active().filter(pk=location_id).exists():
        return False
    reach = reachable_location_ids(user)
    return reach is None or location_id in reach


def session_location_set(*, user: User, request: HttpRequest, location_id: int | None) -> bool:
    """Choose the location the user works at in this session (None: all of theirs). Refuses, leaving the
    session unchanged, a location outside the user's roles."""
    if location_id is None:
        request.session.pop(SESSION_LOCATION_KEY, None)
        return True
    if not location_in_reach(user=user, location_id=location_id):
        return False
    request.session[SESSION_LOCATION_KEY] = location_id
    return True
