"""The practice's public contact form: anyone may write without signing in; the message lands in the queues like any
other (channel WEB, through intake).

Abuse is held off without outside services:
- a honeypot field people never see (bots fill it): the sender is told "thank you" and nothing is stored;
- a rate limit per client: at most SUBMISSIONS_PER_HOUR accepted messages an hour per address. The address is kept
  only as a keyed hash (HMAC with the site's secret key), one ContactSubmission row per accepted or refused
  attempt, so the limit holds across processes; rows older than a day are dropped as new ones come in;
- length limits on every field (the form's, checked again here).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from openpractice.core.models import Location
from openpractice.core.validators import validate_phone

from ..choices import Category, Channel
from ..models import ContactSubmission, Message
from .intake import Incoming, message_intake

SUBMISSIONS_PER_HOUR = 5
WINDOW = dt.timedelta(hours=1)
KEEP_ROWS = dt.timedelta(days=1)
NAME_MAX_CHARS = 120
SUBJECT_MAX_CHARS = 150
BODY_MIN_CHARS = 5
BODY_MAX_CHARS = 5000
_HASH_SALT = "openpractice.frontdesk.contact_form"


class Result(enum.Enum):
    ACCEPTED = "accepted"
    IGNORED = "ignored"  # the honeypot was filled: "thank you", nothing stored
    THROTTLED = "throttled"


@dataclass(frozen=True)
class ContactOutcome:
    result: Result
    message: Message | None = None


@dataclass(frozen=True)
class ContactData:
    name: str
    email: str
    phone: str
    subject: str
    body: str
    location: Location | None


def client_hash(remote_addr: str) -> str:
    """The client's address as a keyed hash: the limit needs to tell clients apart, never to know who they are."""
    return salted_hmac(_HASH_SALT, remote_addr or "unknown", algorithm="sha256").hexdigest()


def recent_count(*, client: str, now: dt.datetime) -> int:
    """Messages accepted from this client in the last hour."""
    return ContactSubmission.objects.filter(client_hash=client, accepted=True, created_at__gt=now - WINDOW).count()


def _check(data: ContactData) -> None:
    """The form's rules, again (the service is the one place that decides)."""
    errors: dict[str, str] = {}
    if not data.name.strip() or len(data.name) > NAME_MAX_CHARS:
        errors["name"] = _("Tell us your name (at most %(count)s characters).") % {"count": NAME_MAX_CHARS}
    if not data.email.strip() and not data.phone.strip():
        errors["email"] = _("Give an email address or a phone number so we can answer you.")
    if data.email.strip():
        try:
            validate_email(data.email.strip())
        except ValidationError:
            errors["email"] = _("Enter a valid email address.")
    if data.phone.strip():
        try:
            validate_phone(data.phone)
        except ValidationError:
            errors["phone"] = _("Enter a 10-digit US phone number.")
    if not data.subject.strip() or len(data.subject) > SUBJECT_MAX_CHARS:
        errors["subject"] = _("Give a subject (at most %(count)s characters).") % {"count": SUBJECT_MAX_CHARS}
    body = data.body.strip()
    if len(body) < BODY_MIN_CHARS or len(body) > BODY_MAX_CHARS:
        errors["body"] = _("Write your message in %(low)s to %(high)s characters.") % {
            "low": BODY_MIN_CHARS, "high": BODY_MAX_CHARS}
    if data.location is not None and not data.location.is_active:
        errors["location"] = _("Choose one of our locations.")
    if errors:
        raise ValidationError(errors)


def _one_at_a_time(client: str) -> None:
    """Serialise one client's submissions until the transaction ends, so parallel posts cannot all count below
    the limit. SQLite writes one transaction at a time already (IMMEDIATE); PostgreSQL takes an advisory lock on
    the client's hash."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(client[:15], 16)])


def contact_submit(*, remote_addr: str, data: ContactData, honeypot: str = "",
                   now: dt.datetime | None = None) -> ContactOutcome:
    """Take one submission of the public form. No actor: the sender is not signed in."""
    if honeypot.strip():
        return ContactOutcome(Result.IGNORED)
    _check(data)
    now = now or timezone.now()
    client = client_hash(remote_addr)
    with transaction.atomic():
        _one_at_a_time(client)
        ContactSubmission.objects.filter(created_at__lt=now - KEEP_ROWS).delete()
        if recent_count(client=client, now=now) >= SUBMISSIONS_PER_HOUR:
            # Refusals are not stored: a flood must not grow the table.
            return ContactOutcome(Result.THROTTLED)
        incoming = Incoming(channel=Channel.WEB, subject=" ".join(data.subject.split()), body=data.body.strip(),
                            category=Category.OTHER, sender_name=data.name.strip(),
                            sender_email=data.email.strip().lower(), sender_phone=data.phone.strip(),
                            callback_number=data.phone.strip(), location=data.location, received_at=now)
        message, _entry = message_intake(actor=None, incoming=incoming)
        ContactSubmission.objects.create(client_hash=client, created_at=now, accepted=True)
    return ContactOutcome(Result.ACCEPTED, message)


def public_locations() -> Any:
    """The locations a member of the public may choose: the active ones."""
    return Location.objects.filter(is_active=True).order_by("name", "pk")
