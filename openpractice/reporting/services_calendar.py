"""Writes of the compliance calendar: a person's feed address (create, regenerate, revoke), their weekly digest
setting, and the weekly digest run.

The feed's token is a long random string shown once, when it is made; only its SHA-256 is kept, so nobody (not an
administrator, not a database copy) can read an address back. Making a new one revokes the old one in the same
transaction (the database allows one live feed per person). Creating and revoking are audited: a feed lets a
calendar program read the person's obligations without signing in.

The digest goes on Monday morning, practice time (from DIGEST_HOUR; the job runs every hour, so a worker started
later that Monday still sends it), to every active person whose digest is on and whose calendar has something
overdue or due in the next two weeks. Each person's digest is sent under a lock on their digest row and marked
with the day it went (`last_sent_on`), in one transaction: a second worker, or the job run again, sends nothing
twice in a week; a mail server that refuses one message rolls that person back (tried again next hour) and the
others go on.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.models import User
from openpractice.accounts.tokens_hash import token_digest
from openpractice.audit.services import record
from openpractice.core.selectors import practice_now, practice_settings

from .calendar import DUE_SOON_DAYS
from .models import CalendarDigest, CalendarFeed
from .selectors_calendar import base_url, digest_candidates, digest_items

logger = logging.getLogger(__name__)

DIGEST_WEEKDAY = 0  # Monday
DIGEST_HOUR = 7  # practice time


@transaction.atomic
def calendar_feed_create(*, actor: User) -> tuple[CalendarFeed, str]:
    """A new feed address for the actor; the one they had stops working. Returns the feed and its token (the only
    time the token exists outside the person's calendar program). Refused for an inactive account."""
    if not actor.is_active or actor.deactivated_at is not None:
        raise ValidationError(_("An inactive account cannot have a calendar feed."))
    User.objects.select_for_update().filter(pk=actor.pk).first()  # one change to a person's feeds at a time
    calendar_feed_revoke(actor=actor)
    feed = CalendarFeed(user=actor)
    for _attempt in range(5):
        token = secrets.token_urlsafe(32)
        feed.token_hash = token_digest(token)
        feed.full_clean()
        try:
            with transaction.atomic():
                feed.save(force_insert=True)
        except IntegrityError:  # a digest clash is astronomically rare; the live-feed rule cannot fail under the lock
            feed.pk = None
            continue
        break
    else:  # pragma: no cover - would need five clashes in a row
        raise RuntimeError("Could not make a unique calendar feed token.")
    record(actor=actor, action="reporting.calendar_feed_created", target=feed)
    return feed, token


@transaction.atomic
def calendar_feed_revoke(*, actor: User) -> CalendarFeed | None:
    """Stop the actor's feed address at once (the row stays, for the record). None when they had none."""
    feed = CalendarFeed.objects.select_for_update().filter(user_id=actor.pk, revoked_at__isnull=True).first()
    if feed is None:
        return None
    feed.revoked_at = timezone.now()
    feed.save(update_fields=["revoked_at"])
    record(actor=actor, action="reporting.calendar_feed_revoked", target=feed)
    return feed


def calendar_feed_used(*, feed: CalendarFeed) -> None:
    """Note when a calendar program last read the feed (one UPDATE; not audited: reading is not a change)."""
    CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())


@transaction.atomic
def calendar_digest_set(*, actor: User, enabled: bool) -> CalendarDigest:
    """Turn the actor's weekly digest on or off."""
    digest, _created = CalendarDigest.objects.select_for_update().get_or_create(user=actor)
    if digest.enabled != enabled:
        digest.enabled = enabled
        digest.full_clean()
        digest.save(update_fields=["enabled"])
        record(actor=actor, action="reporting.calendar_digest_set", target=digest, changed_fields=["enabled"],
               reason="on" if enabled else "off")
    return digest


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def calendar_digests_send(*, now: dt.datetime | None = None) -> int:
    """The weekly run (see the module's note). Returns how many digests went out."""
    local = (now or timezone.now()).astimezone(practice_now().tzinfo)
    today = local.date()
    monday = week_start(today)
    if local.weekday() != DIGEST_WEEKDAY or local.hour < DIGEST_HOUR:
        return 0
    sent = 0
    for user_id in list(digest_candidates(week_start=monday).values_list("pk", flat=True)):
        try:
            sent += _digest_send(user_id=user_id, today=today, monday=monday)
        except Exception:  # one person's failure (mail refused, a bad row) must not stop the others
            logger.warning("Calendar digest for user %s not sent", user_id, exc_info=True)
    return sent


def _digest_send(*, user_id: int, today: dt.date, monday: dt.date) -> int:
    CalendarDigest.objects.get_or_create(user_id=user_id)  # so there is a row to lock
    with transaction.atomic():
        digest = CalendarDigest.objects.select_for_update().select_related("user").get(user_id=user_id)
        user = digest.user
        if (not digest.enabled or not user.is_active or user.deactivated_at is not None or not user.email
                or (digest.last_sent_on is not None and digest.last_sent_on >= monday)):
            return 0
        content = digest_items(actor=user, today=today)
        if content.is_empty:
            return 0
        get_connection(fail_silently=False).send_messages([_digest_message(user, content, today)])
        digest.last_sent_on = today
        digest.save(update_fields=["last_sent_on"])
        record(actor=None, action="reporting.calendar_digest_sent", target=digest,
               reason=f"{len(content.overdue)} overdue, {len(content.coming)} coming")
    return 1


def _digest_message(user: User, content: Any, today: dt.date) -> EmailMultiAlternatives:
    root = base_url()
    context = {
        "user": user, "practice_name": practice_settings().name, "today": today, "days": DUE_SOON_DAYS,
        "overdue": [(item, root + item.url) for item in content.overdue],
        "coming": [(item, root + item.url) for item in content.coming],
        "calendar_link": root + reverse("reporting:calendar"),
        "agenda_link": root + reverse("reporting:calendar") + "?view=agenda",
    }
    subject = " ".join(render_to_string("reporting/calendar/email/digest_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject, body=render_to_string("reporting/calendar/email/digest.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email])
    message.attach_alternative(render_to_string("reporting/calendar/email/digest.html", context), "text/html")
    return message
