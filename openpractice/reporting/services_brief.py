"""Writes of the operations brief: saving its settings, producing a brief (by hand or on schedule), and mailing it.

Producing a brief stores it first (snapshot and PDF, in one transaction with its audit event) and mails it after
the commit: a mail server that is down never loses the brief, and the Brief row says what came of the mailing
(sent, partly sent, failed, with the error). Each recipient gets a message of their own, so one refused address
does not stop the others and no recipient sees the others' addresses.

The schedule (brief_schedule_run, hourly) sends at most one brief per period: it locks the settings row while it
checks the history and stores the brief, so two workers running at once cannot both send it.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Iterable
from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.pdf import render_pdf

from . import selectors_brief
from .brief import BriefCompileError, Period, compose_snapshot, is_due, last_complete_period
from .choices import BriefFrequency, BriefStatus
from .models import Brief, BriefSettings

logger = logging.getLogger(__name__)

SETTINGS_FIELDS = ("enabled", "frequency", "weekday", "hour", "extra_recipients")


# --- settings --------------------------------------------------------------------------------------------------


def _check_addresses(lines: Iterable[str]) -> list[str]:
    """The outside addresses, validated; a ValidationError names each bad one."""
    addresses = selectors_brief.extra_addresses("\n".join(lines))
    bad = []
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            bad.append(address)
    if bad:
        raise ValidationError({"extra_recipients": _("Not an email address: %(addresses)s")
                               % {"addresses": ", ".join(bad)}})
    return addresses


def brief_settings_save(*, actor: Any, enabled: bool, frequency: str, weekday: int, hour: int,
                        recipients: Iterable[Any], extra_recipients: Iterable[str]) -> BriefSettings:
    """Save the schedule and recipients. The person saving becomes the one whose permissions compile the brief
    (BriefSettings.updated_by): the brief never shows more than its last editor may see."""
    if not can(actor, Perm.REPORTS_MANAGE):
        raise refuse(actor=actor, permission=Perm.REPORTS_MANAGE, action="reporting.brief_settings_save")
    staff = list(recipients)
    addresses = _check_addresses(extra_recipients)
    errors: dict[str, list[str]] = {}
    unusable = [user for user in staff if not user.is_active or user.deactivated_at is not None or not user.email]
    if unusable:
        errors["recipients"] = [_("Only active staff with an email address can receive the brief: %(names)s")
                                % {"names": ", ".join(user.get_full_name() or user.username for user in unusable)}]
    if enabled and not staff and not addresses:
        errors.setdefault("recipients", []).append(_("Name at least one recipient before turning the brief on."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = BriefSettings.objects.select_for_update().order_by("pk").first()
        row = current or BriefSettings()
        before = {name: getattr(row, name) for name in SETTINGS_FIELDS}
        before_staff = set(row.recipients.values_list("pk", flat=True)) if current else set()
        previous_editor = row.updated_by_id
        row.enabled, row.frequency, row.weekday, row.hour = enabled, frequency, weekday, hour
        row.extra_recipients = "\n".join(addresses)
        row.updated_by = actor
        row.full_clean()
        row.save()
        row.recipients.set(staff)
        changed = [name for name in SETTINGS_FIELDS if current is None or getattr(row, name) != before[name]]
        if {user.pk for user in staff} != before_staff:
            changed.append("recipients")
        if previous_editor != actor.pk:
            changed.append("updated_by")
        record(actor=actor, action="reporting.brief_settings_saved", target=row, changed_fields=changed,
               reason=_("%(staff)s staff and %(outside)s outside recipients") % {"staff": len(staff),
                                                                                "outside": len(addresses)})
    return row


# --- producing a brief -----------------------------------------------------------------------------------------


def brief_html(brief: Brief) -> str:
    """The brief as a standalone HTML document (what the PDF is made from)."""
    return render_to_string("reporting/brief/pdf.html", {"brief": brief,
                                                         "document": selectors_brief.brief_document(brief)})


def _recipient_addresses(row: BriefSettings) -> list[str]:
    return list(dict.fromkeys([*selectors_brief.staff_addresses(row),
                               *selectors_brief.extra_addresses(row.extra_recipients)]))


def _produce(*, row: BriefSettings | None, created_by: Any, period: Period, now: dt.datetime) -> Brief:
    """Compile, store and (after the commit) mail one brief; inside the caller's transaction."""
    brief = Brief(period_start=period.start, period_end=period.end, created_by=created_by, pdf=b"")
    try:
        if row is None:
            raise BriefCompileError(_("The brief has no settings yet: save them first (the brief is compiled with "
                                      "the permissions of the person who last saved them)."))
        snapshot = compose_snapshot(compiler=row.updated_by, frequency=row.frequency, period=period, now=now)
    except BriefCompileError as exc:
        brief.status, brief.error = BriefStatus.FAILED, str(exc)
        brief.snapshot = {"failed": True}
        brief.full_clean(exclude=["pdf"])
        brief.save()
        record(actor=created_by, action="reporting.brief_failed", target=brief, reason=str(exc)[:200])
        return brief
    brief.snapshot = snapshot
    brief.recipients = _recipient_addresses(row)
    brief.pdf = render_pdf(brief_html(brief))
    if not brief.recipients:
        brief.error = _("No recipient with an email address: the brief was produced but not sent.")
    brief.full_clean()
    brief.save()
    record(actor=created_by, action="reporting.brief_generated", target=brief,
           reason=_("period %(start)s to %(end)s, %(count)s recipients") % {
               "start": period.start.isoformat(), "end": period.end.isoformat(), "count": len(brief.recipients)})
    if brief.recipients:
        brief_id = brief.pk
        transaction.on_commit(lambda: brief_deliver(brief_id=brief_id))
    return brief


def brief_send_now(*, actor: Any, now: dt.datetime | None = None) -> Brief:
    """Compile and send the brief for the last complete period, now, whatever the schedule says (with the
    permissions of whoever last saved the settings). A brief that cannot be compiled is stored as failed."""
    if not can(actor, Perm.REPORTS_MANAGE):
        raise refuse(actor=actor, permission=Perm.REPORTS_MANAGE, action="reporting.brief_send_now")
    now = now or timezone.now()
    with transaction.atomic():
        row = BriefSettings.objects.select_for_update().order_by("pk").first()
        frequency = row.frequency if row is not None else BriefFrequency.WEEKLY
        today = timezone.localtime(now, selectors_brief.practice_zone()).date()
        brief = _produce(row=row, created_by=actor, period=last_complete_period(frequency, today), now=now)
    brief.refresh_from_db()
    return brief


def brief_schedule_run(*, now: dt.datetime | None = None) -> Brief | None:
    """The hourly run: when the schedule is on and due (practice time) and the period has not been done yet,
    produce and send the brief. Returns the brief, or None when there was nothing to do."""
    now = now or timezone.now()
    local_now = timezone.localtime(now, selectors_brief.practice_zone())
    with transaction.atomic():
        # The lock makes a second worker wait here, then find the brief the first one stored.
        row = BriefSettings.objects.select_for_update().order_by("pk").first()
        if row is None or not row.enabled:
            return None
        if not is_due(frequency=row.frequency, weekday=row.weekday, hour=row.hour, local_now=local_now):
            return None
        period = last_complete_period(row.frequency, local_now.date())
        if selectors_brief.brief_period_taken(start=period.start, end=period.end):
            return None
        brief = _produce(row=row, created_by=None, period=period, now=now)
    brief.refresh_from_db()
    return brief


# --- mailing ---------------------------------------------------------------------------------------------------


def _message(brief: Brief, address: str) -> EmailMultiAlternatives:
    document = selectors_brief.brief_document(brief)
    link = str(django_settings.OPENPRACTICE_BASE_URL or "").rstrip("/") + reverse("reporting:brief_detail",
                                                                                  kwargs={"pk": brief.pk})
    context = {"brief": brief, "document": document, "link": link}
    subject = " ".join(render_to_string("reporting/brief/email_subject.txt", context).split())
    message = EmailMultiAlternatives(subject=subject, body=render_to_string("reporting/brief/email.txt", context),
                                     from_email=django_settings.DEFAULT_FROM_EMAIL, to=[address])
    message.attach_alternative(render_to_string("reporting/brief/email.html", context), "text/html")
    message.attach(f"operations-brief-{brief.period_start.isoformat()}-{brief.period_end.isoformat()}.pdf",
                   bytes(brief.pdf), "application/pdf")
    return message


def brief_deliver(*, brief_id: int) -> Brief:
    """Mail a stored brief to each of its recipients (one message each) and record how it went: sent to all,
    partly sent, or failed, with the refused addresses and the server's answers in `error`."""
    brief = Brief.objects.get(pk=brief_id)
    failures: dict[str, str] = {}
    delivered = 0
    for address in brief.recipients:
        try:
            # One connection per message: a server that drops the line after a refusal cannot take the rest
            # down with it.
            get_connection(fail_silently=False).send_messages([_message(brief, address)])
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()), (0, b""))
            failures[address] = f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
        except (OSError, smtplib.SMTPException) as exc:
            failures[address] = str(exc) or exc.__class__.__name__
        else:
            delivered += 1
    if not failures:
        status, error = BriefStatus.SENT, ""
    else:
        status = BriefStatus.PARTLY_SENT if delivered else BriefStatus.FAILED
        error = _("Not delivered to %(count)s of %(total)s recipients:") % {"count": len(failures),
                                                                           "total": len(brief.recipients)}
        error += "".join(f"\n{address}: {reason}" for address, reason in failures.items())
        logger.warning("Operations brief %s not delivered to %s recipients", brief.pk, len(failures))
    with transaction.atomic():
        locked = Brief.objects.select_for_update().get(pk=brief_id)
        locked.status, locked.error = status, error
        locked.sent_at = timezone.now() if delivered else None
        locked.save(update_fields=["status", "error", "sent_at"])
        record(actor=None, action="reporting.brief_sent", target=locked, changed_fields=["status", "sent_at"],
               reason=_("delivered to %(delivered)s of %(total)s") % {"delivered": delivered,
                                                                      "total": len(brief.recipients)})
    return locked


def brief_pdf_read(*, actor: Any, brief: Brief) -> bytes:
    """The brief's PDF for download (the view checked the actor may open it); the download is audited."""
    record(actor=actor, action="reporting.brief_downloaded", target=brief)
    return bytes(Brief.objects.values_list("pdf", flat=True).get(pk=brief.pk))

