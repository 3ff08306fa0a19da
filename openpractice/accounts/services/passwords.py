"""Password reset by email: asking for a link, sending it (a background task), and setting the new password.

The request only writes the audit row and queues the mail after commit, so the page answers the same, as fast,
whether or not the address belongs to someone, and a mail outage cannot break it. The link's secret is made
by the task, never put in the queue.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from openpractice.audit.services import record

from ..models import User
from .sessions import sessions_end_all
from .tokens import tokens_revoke_all


def password_reset_request(*, users: Iterable[User]) -> int:
    """Audit the request for each person the address belongs to and mail them a link after commit. Nobody is
    signed in to ask, so there is no actor. Returns how many links are on their way."""
    from openpractice.accounts.tasks import send_password_reset_email  # the task module imports this one

    count = 0
    with transaction.atomic():
        for user in users:
            record(actor=None, action="auth.password_reset_requested", target=user)
            transaction.on_commit(partial(send_password_reset_email, user.pk))
            count += 1
    return count


def _may_reset(user: User | None) -> bool:
    return user is not None and user.is_active and user.deactivated_at is None and user.has_usable_password()


def password_reset_email_send(*, user_id: int) -> bool:
    """Mail a reset link (run by the background task). Returns False, sending nothing, when the person can no
    longer reset their password (deactivated meanwhile)."""
    from openpractice.core.selectors import practice_settings

    user = User.objects.filter(pk=user_id).first()
    if user is None or not _may_reset(user):
        return False
    context = {
        "email": user.email,
        "user": user,
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
        # Links point at the configured public address, never at a Host header someone sent.
        "base_url": str(settings.OPENPRACTICE_BASE_URL or "").rstrip("/"),
        "practice_name": practice_settings().name,
    }
    subject = " ".join(render_to_string("registration/password_reset_subject.txt", context).split())
    EmailMessage(
        subject=subject,
        body=render_to_string("registration/password_reset_email.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    ).send(fail_silently=False)
    return True


@transaction.atomic
def user_password_reset(*, user: User, new_password: str) -> tuple[int, int]:
    """Set the password chosen through a reset link. The old one may have been known to someone else, so every
    session of the person ends and every personal API token is revoked. Returns (sessions ended, tokens
    revoked); the audit row says both."""
    user.set_password(new_password)
    user.save(update_fields=["password"])
    tokens = tokens_revoke_all(user=user)
    record(actor=user, action="auth.password_reset_completed", target=user, changed_fields=["password"],
           reason=f"{tokens} API token(s) revoked")
    sessions = sessions_end_all(user=user, actor=user)
    return sessions, tokens
