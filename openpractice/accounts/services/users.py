"""People: inviting users by email, accepting an invitation, roles (with tier and location scope), profile,
deactivation and reactivation.

Who may hand out access (the rule every write here enforces):
- the actor needs ``users.manage`` (Perm.USERS_MANAGE);
- a system administrator may grant any role at any tier and location, and manage anyone;
- anyone else may grant role R at location L only if, at L, they hold every permission of R and
  ``users.manage`` ("all locations" only from roles they hold at all locations): permissions are compared
  location by location, never pooled across locations. They may only manage (edit, deactivate, re-invite) a
  person whose every role is within theirs in the same sense. So nobody can raise anyone, including a second
  account of their own, above themselves; administrators do the rest.
- nobody changes their own roles (another administrator must), nobody deactivates themselves, and the
  practice always keeps at least one active administrator.
- the checks run before the write transaction and again inside it once the rows are locked (administrators
  first, then the people concerned, each in pk order), so a change made meanwhile cannot slip through.

Refusals are audited (outcome "denied") outside any write transaction, so the audit row survives the
refusal; the change itself and its audit row commit together or not at all. Mail is sent after commit by a
background task, so a rolled-back invitation never sends a link; the task makes the link itself, so the secret
never sits in the task queue.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.audit.services import record
from openpractice.core.models import Location

from ..models import Invitation, RoleAssignment, User
from ..permissions import forget, refuse
from ..roles import Perm, Role, Tier, tier_is_valid
from ..selectors import assignment_scope, is_administrator, manage_refusal, may_grant
from ..tokens_hash import token_digest
from .sessions import sessions_end_all
from .tokens import tokens_revoke_all


@dataclass(frozen=True)
class RoleSpec:
    """One role to hold: at `tier`, for all locations or for the locations in `location_ids`."""

    role: str
    tier: str = Tier.STANDARD
    all_locations: bool = False
    location_ids: Collection[int] = field(default_factory=frozenset)

    @property
    def key(self) -> tuple[str, str, bool, frozenset[int]]:
        return self.role, self.tier, self.all_locations, frozenset() if self.all_locations else frozenset(self.location_ids)


PROFILE_FIELDS: tuple[str, ...] = ("email", "first_name", "last_name", "job_title")


class InvitationUnusable(ValidationError):
    """The link cannot be used. `code` says why: "invalid", "expired", "used", "revoked"."""


# --- helpers -----------------------------------------------------------------------------------------------


class _RefusedUnderLock(Exception):
    """A permission check that failed only once the rows were locked: raised out of the transaction (so the
    change rolls back) and turned into an audited refusal outside it (so the denial row stays)."""


def _require_manage(*, actor: Any, action: str, target: User | None = None) -> None:
    reason = manage_refusal(actor=actor, user=target)
    if reason:
        raise refuse(actor=actor, permission=Perm.USERS_MANAGE, action=action, target=target, reason=reason)


def _clean_specs(roles: Iterable[RoleSpec]) -> list[RoleSpec]:
    """Well-formed role specs: known role, a tier that role has, a location choice, each role once."""
    specs = list(roles)
    if not specs:
        raise ValidationError({"roles": _("Give the person at least one role.")}, code="no_roles")
    errors: list[ValidationError] = []
    seen: set[str] = set()
    wanted_ids: set[int] = set()
    for spec in specs:
        if spec.role not in Role.values:
            errors.append(ValidationError(_("Unknown role “%(role)s”."), params={"role": spec.role}, code="role"))
            continue
        label = Role(spec.role).label
        if not tier_is_valid(spec.role, spec.tier):
            errors.append(ValidationError(
                _("%(role)s has no tier “%(tier)s”."), params={"role": label, "tier": spec.tier}, code="tier",
            ))
        if spec.role in seen:
            errors.append(ValidationError(
                _("%(role)s is listed twice; a person holds each role once."), params={"role": label},
                code="duplicate_role",
            ))
        seen.add(spec.role)
        if spec.all_locations and spec.location_ids:
            errors.append(ValidationError(
                _("%(role)s: choose all locations or particular ones, not both."), params={"role": label},
                code="locations_both",
            ))
        elif not spec.all_locations and not spec.location_ids:
            errors.append(ValidationError(
                _("%(role)s: choose all locations or at least one location."), params={"role": label},
                code="locations_missing",
            ))
        wanted_ids |= set(spec.location_ids)
    if wanted_ids:
        found = set(Location.objects.active().filter(pk__in=wanted_ids).values_list("pk", flat=True))
        if found != wanted_ids:
            errors.append(ValidationError(_("Some chosen locations do not exist or are no longer active."),
                                          code="locations_unknown"))
    if errors:
        raise ValidationError({"roles": errors})
    return specs


def _grant_refusal(*, actor: Any, specs: list[RoleSpec]) -> str:
    """Why the actor may not hand out `specs` ("" when they may). Compared location by location: at each
    location a role is granted for, the actor must hold there every permission of that role and users.manage;
    "all locations" needs the same from roles the actor holds at all locations. Administrators may grant
    anything."""
    if is_administrator(actor):
        return ""
    for spec in specs:
        if not may_grant(actor, spec.role, spec.tier, all_locations=spec.all_locations,
                         location_ids=spec.location_ids):
            where = "all locations" if spec.all_locations else "locations " + ",".join(
                str(pk) for pk in sorted(spec.location_ids))
            return f"grant {spec.role}/{spec.tier} at {where} beyond own access there"
    return ""


def _authorize_grants(*, actor: Any, action: str, specs: list[RoleSpec], target: User | None = None) -> None:
    """Nobody hands out more than they hold where they hand it out (administrators excepted)."""
    reason = _grant_refusal(actor=actor, specs=specs)
    if reason:
        raise refuse(actor=actor, permission=Perm.USERS_MANAGE, action=action, target=target, reason=reason)


def _lock_and_recheck(*, actor: User, user: User, specs: list[RoleSpec] | None = None) -> tuple[list[int], User]:
    """Inside the write transaction: lock the active administrators, then the actor's and the target's rows
    (always in this order, each by pk, so two changes never wait on each other in a circle), and check the
    permission again on the rows as they are now — the roles of either may have changed since the check made
    before the transaction. Returns (active administrator ids, the target's locked row)."""
    admin_ids = _lock_active_administrators()
    rows = {row.pk: row for row in User.objects.select_for_update().filter(pk__in={actor.pk, user.pk}).order_by("pk")}
    fresh_actor, current = rows[actor.pk], rows[user.pk]
    reason = manage_refusal(actor=fresh_actor, user=current)
    if not reason and specs is not None:
        reason = _grant_refusal(actor=fresh_actor, specs=specs)
    if reason:
        raise _RefusedUnderLock(reason)
    return admin_ids, current


def _create_assignments(user: User, specs: list[RoleSpec]) -> None:
    for spec in specs:
        assignment = RoleAssignment(user=user, role=spec.role, tier=spec.tier, all_locations=spec.all_locations)
        assignment.full_clean(exclude=["user"])
        assignment.save(force_insert=True)
        if not spec.all_locations:
            assignment.locations.set(sorted(spec.location_ids))
    forget(user)


def _lock_active_administrators() -> list[int]:
    """Ids of active administrators, with their rows locked in pk order (PostgreSQL) so two people cannot
    remove the last two administrators at the same moment. SQLite's IMMEDIATE transactions already serialise
    writers. Taken first in every transaction that locks user rows (see _lock_and_recheck)."""
    admin_user_ids = RoleAssignment.objects.filter(role=Role.ADMINISTRATOR).values("user_id")
    return list(
        User.objects.select_for_update().filter(pk__in=admin_user_ids, is_active=True).order_by("pk")
        .values_list("pk", flat=True)
    )


def _check_keeps_an_administrator(user: User, *, losing_admin: bool, admin_ids: list[int]) -> None:
    if not losing_admin:
        return
    remaining = [pk for pk in admin_ids if pk != user.pk]
    if not remaining:
        raise ValidationError(
            _("%(name)s is the last active system administrator. Make someone else an administrator first.")
            % {"name": user.display_name},
            code="last_administrator",
        )


def _roles_reason(specs: Iterable[RoleSpec]) -> str:
    return "roles: " + ", ".join(f"{spec.role}/{spec.tier}" for spec in specs)


def _new_invitation(*, user: User, invited_by: User) -> Invitation:
    invitation = Invitation(
        user=user,
        invited_by=invited_by,
        # No link exists yet: the mail task makes one (invitation_email_send). Until then the stored digest is
        # of a secret nobody holds, so the row opens nothing.
        token_hash=token_digest(secrets.token_urlsafe(32)),
        expires_at=timezone.now() + timedelta(days=settings.OPENPRACTICE_INVITATION_DAYS),
    )
    invitation.full_clean(exclude=["token_hash"])
    invitation.save(force_insert=True)
    return invitation


def _send_after_commit(invitation: Invitation) -> None:
    # Imported here: the task module imports this one to do the sending.
    from openpractice.accounts.tasks import send_invitation_email

    # Only the id goes into the task queue; the secret link is made by the task itself.
    invitation_id = invitation.pk
    transaction.on_commit(lambda: send_invitation_email(invitation_id))


def _revoke_open_invitations(user: User, now: Any) -> int:
    return Invitation.objects.filter(
        user=user, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)


# --- inviting ----------------------------------------------------------------------------------------------


def user_invite(
    *,
    actor: User,
    email: str,
    username: str,
    first_name: str,
    last_name: str,
    job_title: str = "",
    roles: Iterable[RoleSpec],
) -> User:
    """Create an inactive person (no usable password) holding `roles`, and email them an expiring link with
    which they choose a password."""
    _require_manage(actor=actor, action="user.invite")
    specs = _clean_specs(roles)
    _authorize_grants(actor=actor, action="user.invite", specs=specs)
    email = (email or "").strip().lower()
    username = (username or "").strip()
    with transaction.atomic():
        errors: dict[str, str] = {}
        if email and User.objects.filter(email__iexact=email).exists():
            errors["email"] = _("Someone with this email address already has an account.")
        if username and User.objects.filter(username__iexact=username).exists():
            errors["username"] = _("This username is taken.")
        if errors:
            raise ValidationError(errors, code="duplicate")
        user = User(
            username=username,
            email=email,
            first_name=(first_name or "").strip(),
            last_name=(last_name or "").strip(),
            job_title=(job_title or "").strip(),
            is_active=False,
        )
        user.set_unusable_password()
        user.full_clean()
        try:
            with transaction.atomic():
                user.save(force_insert=True)
        except IntegrityError as error:  # someone took the email or username a moment ago
            raise ValidationError(_("This username or email address was just taken. Choose another."),
                                  code="duplicate") from error
        _create_assignments(user, specs)
        invitation = _new_invitation(user=user, invited_by=actor)
        record(actor=actor, action="user.invited", target=user,
               changed_fields=["username", "email", "first_name", "last_name", "job_title", "roles"],
               reason=_roles_reason(specs))
        _send_after_commit(invitation)
    return user


def invitation_resend(*, actor: User, user: User) -> Invitation:
    """A fresh link (the earlier ones stop working) for someone who has not accepted yet. Also re-invites a
    person whose invitation expired or was revoked."""
    _require_manage(actor=actor, action="invitation.resend", target=user)
    with transaction.atomic():
        current = User.objects.select_for_update().get(pk=user.pk)
        if current.has_usable_password() or current.is_active:
            raise ValidationError(_("%(name)s has already accepted an invitation.") % {"name": current.display_name},
                                  code="already_accepted")
        if current.deactivated_at is not None:
            raise ValidationError(_("%(name)s is deactivated; reactivate them instead.")
                                  % {"name": current.display_name}, code="deactivated")
        _revoke_open_invitations(current, timezone.now())
        invitation = _new_invitation(user=current, invited_by=actor)
        record(actor=actor, action="invitation.resent", target=current)
        _send_after_commit(invitation)
    return invitation


def invitation_revoke(*, actor: User, invitation: Invitation) -> Invitation:
    """Withdraw an open invitation: its link stops working. The person stays invited-but-inactive and can be
    sent a new link later."""
    _require_manage(actor=actor, action="invitation.revoke", target=invitation.user)
    with transaction.atomic():
        current = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if current.accepted_at is not None:
            raise ValidationError(_("This invitation was already accepted."), code="used")
        if current.revoked_at is not None:
            return current
        current.revoked_at = timezone.now()
        current.save(update_fields=["revoked_at"])
        record(actor=actor, action="invitation.revoked", target=current.user, changed_fields=["revoked_at"],
               reason=f"invitation {current.pk}")
    return current


def invitation_check(invitation: Invitation | None) -> None:
    """Raise InvitationUnusable (with a message people understand) unless the link can still be used."""
    if invitation is None:
        raise InvitationUnusable(_("This invitation link is not valid. Check that you copied all of it."),
                                 code="invalid")
    if invitation.accepted_at is not None:
        raise InvitationUnusable(_("This invitation was already used. Sign in with the password you chose, or "
                                   "reset it from the sign-in page."), code="used")
    if invitation.revoked_at is not None or invitation.user.deactivated_at is not None:
        raise InvitationUnusable(_("This invitation was withdrawn or replaced by a newer one. Ask your practice "
                                   "administrator for a new link."), code="revoked")
    if invitation.expires_at <= timezone.now():
        raise InvitationUnusable(_("This invitation has expired. Ask your practice administrator to send you a "
                                   "new one."), code="expired")


def invitation_accept(*, token: str, password: str) -> User:
    """Set the invited person's password (the password validators apply) and activate their account."""
    token_hash = token_digest(token or "")
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update().select_related("user").filter(token_hash=token_hash).first()
        )
        invitation_check(invitation)
        assert invitation is not None
        user = User.objects.select_for_update().get(pk=invitation.user_id)
        validate_password(password, user)
        now = timezone.now()
        user.set_password(password)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
        invitation.accepted_at = now
        invitation.save(update_fields=["accepted_at"])
        # Older links for the same person stop working too.
        Invitation.objects.filter(user=user, accepted_at__isnull=True, revoked_at__isnull=True).exclude(
            pk=invitation.pk
        ).update(revoked_at=now)
        record(actor=user, action="invitation.accepted", target=user, changed_fields=["password", "is_active"])
    return user


def invitation_email_send(*, invitation_id: int) -> bool:
    """Make a fresh link for the invitation and email it (run by the background task after the invitation
    committed, so the secret never sits in the task queue). Only the newest link works: a retried send makes
    a new one, and the one before stops working. Returns False, sending nothing, when the invitation was
    accepted, withdrawn or expired meanwhile."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",)).select_related("user", "invited_by")
            .filter(pk=invitation_id).first()
        )
        if invitation is None or not invitation.is_open:
            return False
        token = secrets.token_urlsafe(32)
        invitation.token_hash = token_digest(token)
        invitation.save(update_fields=["token_hash"])
    # Sent after the commit: the link works by the time it arrives, and a slow mail server holds no lock.
    from openpractice.core.selectors import practice_settings

    context = {
        "user": invitation.user,
        "invited_by": invitation.invited_by,
        "practice_name": practice_settings().name,
        "link": str(settings.OPENPRACTICE_BASE_URL or "").rstrip("/")
        + reverse("accounts:invitation_accept", kwargs={"token": token}),
        "expires_at": invitation.expires_at,
        "days": settings.OPENPRACTICE_INVITATION_DAYS,
    }
    subject = " ".join(render_to_string("accounts/email/invitation_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("accounts/email/invitation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invitation.user.email],
    )
    message.attach_alternative(render_to_string("accounts/email/invitation.html", context), "text/html")
    message.send(fail_silently=False)
    return True


# --- roles and profile -------------------------------------------------------------------------------------


def user_set_roles(*, actor: User, user: User, roles: Iterable[RoleSpec]) -> User:
    """Replace the person's roles with `roles`. The audit row names what changed (roles.<role>,
    roles.<role>.tier, roles.<role>.locations), never more."""
    action = "user.set_roles"
    if actor.pk == user.pk:
        # Not even an administrator changes their own access: a second administrator must do it.
        raise refuse(actor=actor, permission=Perm.USERS_MANAGE, action=action, target=user,
                     reason="own roles: another administrator must change them")
    _require_manage(actor=actor, action=action, target=user)
    specs = _clean_specs(roles)
    _authorize_grants(actor=actor, action=action, specs=specs, target=user)
    try:
        current = _set_roles_locked(actor=actor, user=user, specs=specs)
    except _RefusedUnderLock as refused:
        raise refuse(actor=actor, permission=Perm.USERS_MANAGE, action=action, target=user,
                     reason=str(refused)) from None
    forget(actor)
    forget(user)
    return current


def _set_roles_locked(*, actor: User, user: User, specs: list[RoleSpec]) -> User:
    with transaction.atomic():
        admin_ids, current = _lock_and_recheck(actor=actor, user=user, specs=specs)
        existing = {a.role: a for a in RoleAssignment.objects.filter(user=current).prefetch_related("locations")}
        wanted = {spec.role: spec for spec in specs}
        changed: list[str] = []
        for role in sorted(existing.keys() - wanted.keys()):
            changed.append(f"roles.{role}")
        for role in sorted(wanted.keys() - existing.keys()):
            changed.append(f"roles.{role}")
        for role in sorted(existing.keys() & wanted.keys()):
            assignment, spec = existing[role], wanted[role]
            if assignment.tier != spec.tier:
                changed.append(f"roles.{role}.tier")
            if assignment_scope(assignment) != (spec.all_locations, frozenset() if spec.all_locations
                                                 else frozenset(spec.location_ids)):
                changed.append(f"roles.{role}.locations")
        if not changed:
            return current
        losing_admin = Role.ADMINISTRATOR in existing and Role.ADMINISTRATOR not in wanted
        if current.is_active:
            _check_keeps_an_administrator(current, losing_admin=losing_admin, admin_ids=admin_ids)
        RoleAssignment.objects.filter(user=current, role__in=existing.keys() - wanted.keys()).delete()
        for role in existing.keys() & wanted.keys():
            assignment, spec = existing[role], wanted[role]
            if (assignment.tier, assignment.all_locations) != (spec.tier, spec.all_locations):
                assignment.tier, assignment.all_locations = spec.tier, spec.all_locations
                assignment.full_clean(exclude=["user"])
                assignment.save(update_fields=["tier", "all_locations"])
            assignment.locations.set([] if spec.all_locations else sorted(spec.location_ids))
        _create_assignments(current, [wanted[role] for role in sorted(wanted.keys() - existing.keys())])
        record(actor=actor, action="user.roles_changed", target=current, changed_fields=changed,
               reason=_roles_reason(specs))
    return current


def user_update_profile(*, actor: User, user: User, data: Mapping[str, Any]) -> User:
    """Change name, email or job title (any of PROFILE_FIELDS). The audit row names the changed fields."""
    _require_manage(actor=actor, action="user.update_profile", target=user)
    unknown = sorted(set(data) - set(PROFILE_FIELDS))
    if unknown:
        raise ValidationError(_("Unknown or read-only field(s): %(fields)s.") % {"fields": ", ".join(unknown)},
                              code="unknown_field")
    with transaction.atomic():
        current = User.objects.select_for_update().get(pk=user.pk)
        before = {name: getattr(current, name) for name in data}
        for name, value in data.items():
            value = (value or "").strip()
            setattr(current, name, value.lower() if name == "email" else value)
        if "email" in data and User.objects.filter(email__iexact=current.email).exclude(pk=current.pk).exists():
            raise ValidationError({"email": _("Someone with this email address already has an account.")},
                                  code="duplicate")
        current.full_clean()
        changed = [name for name in data if getattr(current, name) != before[name]]
        if changed:
            current.save(update_fields=changed)
            record(actor=actor, action="user.profile_updated", target=current, changed_fields=changed)
    return current


# --- deactivation ------------------------------------------------------------------------------------------


def user_deactivate(*, actor: User, user: User) -> User:
    """End the person's access at once: account inactive, every signed-in session deleted, API tokens and open
    invitations revoked. Their history stays (the audit trail points at them)."""
    if actor.pk == user.pk:
        raise ValidationError(_("You cannot deactivate your own account."), code="self")
    _require_manage(actor=actor, action="user.deactivate", target=user)
    try:
        current = _deactivate_locked(actor=actor, user=user)
    except _RefusedUnderLock as refused:
        raise refuse(actor=actor, permission=Perm.USERS_MANAGE, action="user.deactivate", target=user,
                     reason=str(refused)) from None
    forget(user)
    user.is_active, user.deactivated_at = current.is_active, current.deactivated_at
    return current


def user_deactivate_for_termination(*, actor: Any, user: User) -> User:
    """End the access of a person whose employment ends, on HR's authority: the caller (workforce's termination)
    has checked that `actor` may terminate them; users.manage is not needed. Everything else is as
    user_deactivate: sessions deleted, tokens and invitations revoked, audited, and never the last
    administrator. Linking an account to an employee record is what needs users.manage (see the workforce
    services), so HR cannot reach accounts beyond the employee records they were given."""
    current = _deactivate_locked(actor=actor, user=user, authority_checked=True)
    forget(user)
    user.is_active, user.deactivated_at = current.is_active, current.deactivated_at
    return current


def _deactivate_locked(*, actor: User, user: User, authority_checked: bool = False) -> User:
    with transaction.atomic():
        if authority_checked:
            admin_ids = _lock_active_administrators()
            current = User.objects.select_for_update().get(pk=user.pk)
        else:
            admin_ids, current = _lock_and_recheck(actor=actor, user=user)
        if current.deactivated_at is not None:
            return current
        is_admin = RoleAssignment.objects.filter(user=current, role=Role.ADMINISTRATOR).exists()
        if current.is_active:
            _check_keeps_an_administrator(current, losing_admin=is_admin, admin_ids=admin_ids)
        now = timezone.now()
        current.is_active = False
        current.deactivated_at = now
        current.save(update_fields=["is_active", "deactivated_at"])
        tokens = tokens_revoke_all(user=current, now=now)
        invitations = _revoke_open_invitations(current, now)
        sessions = sessions_end_all(user=current, actor=actor)
        record(actor=actor, action="user.deactivated", target=current, changed_fields=["is_active", "deactivated_at"],
               reason=f"{sessions} session(s) ended, {tokens} token(s) and {invitations} invitation(s) revoked")
    return current


def user_reactivate(*, actor: User, user: User) -> User:
    """Give a deactivated person their access back (same roles). Someone who never set a password is sent a
    new invitation instead of becoming active without one."""
    _require_manage(actor=actor, action="user.reactivate", target=user)
    with transaction.atomic():
        current = User.objects.select_for_update().get(pk=user.pk)
        if current.deactivated_at is None:
            return current
        current.deactivated_at = None
        if current.has_usable_password():
            current.is_active = True
            current.save(update_fields=["is_active", "deactivated_at"])
            record(actor=actor, action="user.reactivated", target=current,
                   changed_fields=["is_active", "deactivated_at"])
        else:
            current.save(update_fields=["deactivated_at"])
            invitation = _new_invitation(user=current, invited_by=actor)
            record(actor=actor, action="user.reactivated", target=current, changed_fields=["deactivated_at"],
                   reason="never accepted: invitation sent again")
            _send_after_commit(invitation)
    forget(user)
    user.is_active, user.deactivated_at = current.is_active, current.deactivated_at
    return current


# --- accounts made from the command line -------------------------------------------------------------------


def user_provision(
    *,
    email: str,
    username: str,
    first_name: str,
    last_name: str,
    job_title: str = "",
    password: str,
    roles: Iterable[RoleSpec],
    reason: str,
) -> User:
    """Create an active person with a password straight away. Only for the command line (the first
    administrator of a new installation, the demo practice): whoever runs it already controls the server, so
    there is no acting user; the audit row says so in `reason`. The password validators apply."""
    specs = _clean_specs(roles)
    email = (email or "").strip().lower()
    with transaction.atomic():
        if User.objects.filter(email__iexact=email).exists() or User.objects.filter(username__iexact=username).exists():
            raise ValidationError(_("A user with this username or email address already exists."), code="duplicate")
        user = User(username=username.strip(), email=email, first_name=first_name.strip(),
                    last_name=last_name.strip(), job_title=job_title.strip(), is_active=True)
        validate_password(password, user)
        user.set_password(password)
        user.full_clean()
        user.save(force_insert=True)
        _create_assignments(user, specs)
        record(actor=None, action="user.provisioned", target=user, changed_fields=["username", "email", "roles"],
               reason=f"{reason}; {_roles_reason(specs)}"[:200])
    return user


def user_mfa_provision(*, user: User, reason: str) -> tuple[str, list[str]]:
    """Give a command-line-made user a confirmed authenticator and recovery codes; returns the authenticator's
    key (hex, as django-otp stores it) and the codes, for the command to print. Used by the demo, whose
    logins must work with a code from `openpractice totp`."""
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from .mfa import AUTHENTICATOR_NAME, RECOVERY_CODE_COUNT, RECOVERY_DEVICE_NAME

    with transaction.atomic():
        device = TOTPDevice(user=user, name=AUTHENTICATOR_NAME, confirmed=True)
        device.full_clean()
        device.save()
        recovery = StaticDevice(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
        recovery.full_clean()
        recovery.save()
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create([StaticToken(device=recovery, token=code) for code in codes])
        record(actor=None, action="auth.mfa_enrolled", target=user, reason=reason[:200])
    return device.key, codes
