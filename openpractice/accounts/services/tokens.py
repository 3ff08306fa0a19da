"""Personal API tokens: created for a user (secret shown once), revoked, and checked on every API call.

A token reads ``op_<prefix>_<secret>``. The database keeps the prefix (to show which token is which) and the
SHA-256 of the whole token; the secret itself is never stored or logged.
"""

from __future__ import annotations

import hmac
import secrets
import string
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.models import ApiToken, User
from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm
from openpractice.accounts.tokens_hash import token_digest
from openpractice.audit.services import record

TOKEN_SCHEME = "op"
PREFIX_LENGTH = 8
# last_used_at is a hint for people ("is this token still in use?"), not a log: one write a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits


def _new_prefix() -> str:
    return "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))


def _may_manage(actor: Any, user: User) -> bool:
    return bool(
        actor is not None
        and getattr(actor, "is_authenticated", False)
        and actor.is_active
        and (actor.pk == user.pk or can(actor, Perm.USERS_MANAGE))
    )


_NOT_OWNER = "not the owner and no users.manage"


def token_create(*, actor: Any, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for `user` and return it with its secret, which is shown once and never again.

    The actor must be the user themself or hold users.manage. Refused for inactive users.
    """
    if not _may_manage(actor, user):
        raise refuse(actor=actor, permission=Perm.USERS_MANAGE, action="accounts.token_created", target=user,
                     reason=_NOT_OWNER, message=_("You may not create API tokens for this user."))
    if not user.is_active:
        raise ValidationError({"user": _("An inactive user cannot have API tokens.")})
    token = ApiToken(user=user, name=(name or "").strip())
    # Only the name is the caller's input; prefix and hash are filled in below.
    token.full_clean(exclude=["prefix", "token_hash"])
    with transaction.atomic():
        # A prefix clash is astronomically rare (36^8), but the column is unique: retry rather than fail.
        for _attempt in range(5):
            prefix = _new_prefix()
            raw = f"{TOKEN_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
            token.prefix = prefix
            token.token_hash = token_digest(raw)
            try:
                with transaction.atomic():
                    token.save(force_insert=True)
            except IntegrityError:
                token.pk = None
                continue
            break
        else:  # pragma: no cover - would need five clashes in a row
            raise RuntimeError("Could not allocate a unique API token prefix.")
        record(actor=actor, action="accounts.token_created", target=token,
               reason=f"for {user.get_username()}"[:200])
    return token, raw


def token_revoke(*, actor: Any, token: ApiToken) -> ApiToken:
    """Revoke a token at once. Revoking an already revoked token changes nothing (and is not re-audited)."""
    owner = User.objects.get(pk=token.user_id)
    if not _may_manage(actor, owner):
        raise refuse(actor=actor, permission=Perm.USERS_MANAGE, action="accounts.token_revoked", target=token,
                     reason=_NOT_OWNER, message=_("You may not revoke this API token."))
    with transaction.atomic():
        current = ApiToken.objects.select_for_update().get(pk=token.pk)
        if current.revoked_at is None:
            current.revoked_at = timezone.now()
            current.save(update_fields=["revoked_at"])
            record(actor=actor, action="accounts.token_revoked", target=current, changed_fields=["revoked_at"],
                   reason=f"for {owner.get_username()}"[:200])
    token.revoked_at = current.revoked_at
    return current


def tokens_revoke_all(*, user: User, now: Any = None) -> int:
    """Revoke every live token of `user` at once (deactivation, password reset); returns how many. The caller
    audits the event that ended them, in the same transaction."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now or timezone.now())


def _parse(raw: str) -> str | None:
    """The prefix of a well-formed token, else None (so junk never reaches the database)."""
    if not raw or len(raw) > 200:
        return None
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_SCHEME or len(parts[1]) != PREFIX_LENGTH or not parts[2]:
        return None
    return parts[1]


def token_authenticate(raw: str) -> User | None:
    """The active user a presented token belongs to, or None. Revoked tokens and inactive users get None."""
    token = token_lookup(raw)
    return token.user if token is not None else None


def token_lookup(raw: str) -> ApiToken | None:
    """The live token presented (its user selected, active), or None: as token_authenticate, for callers that
    also need to know which token it was (the API's rate limits are per token)."""
    prefix = _parse(raw)
    if prefix is None:
        return None
    presented = token_digest(raw)
    # Looked up by the hash (unique index): the database only ever sees a digest, never the secret.
    token = ApiToken.objects.select_related("user").filter(token_hash=presented).first()
    # Then compared in constant time, so timing says nothing about how close a guess came.
    if token is None or not hmac.compare_digest(token.token_hash, presented) or token.prefix != prefix:
        return None
    if token.revoked_at is not None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        # A conditional UPDATE: of two requests at the same moment only one writes, and no row is locked.
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
    return token


def token_list(*, actor: Any, user: User) -> Any:
    """The user's own tokens, newest first. Only the owner or a users.manage holder may list them."""
    if not _may_manage(actor, user):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")
