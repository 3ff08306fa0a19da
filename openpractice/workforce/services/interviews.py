"""Interviews: scheduling, moving, cancelling and closing them, and the email invitations with an .ics attachment.

Who: workforce.schedule or workforce.hiring at the requisition's location (hiring_scope). Refusals are audited
before any transaction opens. Invitations go after commit, one message per recipient (nobody sees another's
address); the calendar event keeps its UID and its SEQUENCE grows with every move, so calendars update the event
instead of adding a second one. A mail server that refuses never loses the interview: the failure is logged,
`invitations_sent_at` stays empty and the page offers "send again".
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from email.mime.text import MIMEText
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.models import User
from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.models import Location
from openpractice.core.selectors import practice_settings, practice_timezone_name

from ..choices import ApplicantStage, InterviewKind, InterviewStatus
from ..models import Applicant, Interview
from ..selectors.interviews import SCHEDULABLE_STAGES, may_manage, may_schedule_for
from .hiring_requisitions import lock_open_requisition
from .hiring_stages import stage_move_locked

logger = logging.getLogger(__name__)

MAX_DURATION = dt.timedelta(minutes=480)  # the model's limit: no interview overlapping a window starts earlier
METHOD_REQUEST, METHOD_CANCEL = "REQUEST", "CANCEL"
# Nothing is planned further ahead than this; it also keeps a typo such as year 9999 away from date arithmetic
# (which would overflow).
MAX_AHEAD = dt.timedelta(days=2 * 365)


@dataclass(frozen=True)
class Plan:
    """What the scheduling form gives: time, place and people."""

    kind: str
    starts_at: dt.datetime
    duration_minutes: int
    location: Location | None
    place: str
    interviewers: list[User]


@dataclass(frozen=True)
class Conflict:
    interviewer: User
    interview: Interview


# --- checks --------------------------------------------------------------------------------------------------


def _authorize(actor: Any, applicant: Applicant, action: str, target: Any) -> None:
    if not may_schedule_for(actor, applicant):
        raise refuse(actor=actor, permission=Perm.WORKFORCE_SCHEDULE, action=action, target=target)


def conflicts(*, interviewers: Iterable[User], starts_at: dt.datetime, duration_minutes: int,
              exclude_pk: int | None = None) -> list[Conflict]:
    """Other scheduled interviews of these interviewers overlapping the time (a warning, not a refusal)."""
    ends_at = starts_at + dt.timedelta(minutes=duration_minutes)
    people = {person.pk: person for person in interviewers}
    if not people:
        return []
    # Nothing starting more than the longest interview before our start can overlap: the window is indexed.
    candidates = (Interview.objects.filter(status=InterviewStatus.SCHEDULED, interviewers__in=list(people),
                                           starts_at__lt=ends_at, starts_at__gt=starts_at - MAX_DURATION)
                  .exclude(pk=exclude_pk or 0).select_related("applicant")
                  .prefetch_related("interviewers").distinct().order_by("starts_at", "pk"))
    found: list[Conflict] = []
    for other in candidates:
        if other.starts_at + dt.timedelta(minutes=other.duration_minutes) <= starts_at:
            continue
        found.extend(Conflict(interviewer=people[person.pk], interview=other)
                     for person in other.interviewers.all() if person.pk in people)
    return found


def _validate(actor: Any, plan: Plan, *, now: dt.datetime, check_past: bool, confirm_conflicts: bool,
              exclude_pk: int | None) -> None:
    errors: dict[str, str] = {}
    if plan.kind not in InterviewKind.values:
        errors["kind"] = _("Choose the kind of interview.")
    if check_past and plan.starts_at <= now:
        errors["starts_at"] = _("The interview cannot start in the past.")
    elif plan.starts_at > now + MAX_AHEAD:
        errors["starts_at"] = _("An interview is scheduled at most two years ahead.")
    if not 10 <= int(plan.duration_minutes or 0) <= 480:
        errors["duration_minutes"] = _("An interview lasts between 10 and 480 minutes.")
    if plan.location is None and not plan.place.strip():
        errors["place"] = _("Give a location or a room, address or call link.")
    if plan.location is not None and not (
            may_schedule_location(actor, plan.location.pk) and plan.location.is_active):
        errors["location"] = _("Choose one of your locations.")
    if not plan.interviewers:
        errors["interviewers"] = _("Choose at least one interviewer.")
    elif any(not person.is_active for person in plan.interviewers):
        errors["interviewers"] = _("Interviewers must have an active account.")
    if errors:
        raise ValidationError(errors, code="invalid")
    if not confirm_conflicts:
        found = conflicts(interviewers=plan.interviewers, starts_at=plan.starts_at,
                          duration_minutes=plan.duration_minutes, exclude_pk=exclude_pk)
        if found:
            names = ", ".join(sorted({conflict.interviewer.get_full_name() or conflict.interviewer.username
                                      for conflict in found}))
            raise ValidationError({"confirm_conflicts": _(
                "%(names)s already have another interview at that time. Tick “schedule anyway” to keep this "
                "time.") % {"names": names}}, code="conflict")


def may_schedule_location(actor: Any, location_id: int) -> bool:
    return can(actor, Perm.WORKFORCE_SCHEDULE, location_id) or can(actor, Perm.WORKFORCE_HIRING, location_id)


# --- writes --------------------------------------------------------------------------------------------------


def interview_schedule(*, actor: Any, applicant: Applicant, plan: Plan, invite_applicant: bool = False,
                       confirm_conflicts: bool = False, now: dt.datetime | None = None) -> Interview:
    """Schedule an interview. The applicant's first interview moves them from applied/screening to
    "interviewing". Invitations go after commit."""
    _authorize(actor, applicant, "interviews.schedule", applicant)
    now = now or timezone.now()
    if applicant.stage not in SCHEDULABLE_STAGES:
        raise ValidationError(_("Interviews can be scheduled only for applicants who are applying, being screened "
                                "or interviewing."), code="stage")
    _validate(actor, plan, now=now, check_past=True, confirm_conflicts=confirm_conflicts, exclude_pk=None)
    interview = Interview(applicant=applicant, kind=plan.kind, starts_at=plan.starts_at,
                          duration_minutes=plan.duration_minutes, location=plan.location,
                          place=plan.place.strip(), created_by=actor, created_at=now)
    interview.full_clean(exclude=["applicant", "created_by"])
    with transaction.atomic():
        lock_open_requisition(applicant.requisition_id)
        locked = Applicant.objects.select_for_update().get(pk=applicant.pk)
        if locked.stage not in SCHEDULABLE_STAGES:
            raise ValidationError(_("The applicant has left the interview stages."), code="stage")
        interview.applicant = locked
        interview.save(force_insert=True)
        interview.interviewers.set(plan.interviewers)
        changed = ["kind", "starts_at", "duration_minutes", "location", "place", "interviewers"]
        if locked.stage in (ApplicantStage.APPLIED, ApplicantStage.SCREENING):
            stage_move_locked(actor=actor, applicant=locked, to_stage=ApplicantStage.INTERVIEW,
                              note=_("Interview scheduled"))
            record(actor=actor, action="workforce.applicant_stage_changed", target=locked,
                   location_id=locked.requisition.location_id, changed_fields=["stage"],
                   reason="interview scheduled")
            applicant.stage = locked.stage
        record(actor=actor, action="interviews.scheduled", target=interview,
               location_id=locked.requisition.location_id, changed_fields=changed)
        _send_after_commit(actor, interview.pk, METHOD_REQUEST, include_applicant=invite_applicant)
    return interview


def interview_reschedule(*, actor: Any, interview: Interview, plan: Plan, invite_applicant: bool = False,
                         confirm_conflicts: bool = False, now: dt.datetime | None = None) -> Interview:
    """Move an interview (time, place or interviewers): a new SEQUENCE of the same event goes to everyone on it;
    interviewers taken off get a cancellation."""
    _authorize(actor, interview.applicant, "interviews.reschedule", interview)
    now = now or timezone.now()
    with transaction.atomic():
        lock_open_requisition(interview.applicant.requisition_id)
        current = Interview.objects.select_for_update().select_related("applicant__requisition").get(
            pk=interview.pk)
        if current.status != InterviewStatus.SCHEDULED:
            raise ValidationError(_("Only a scheduled interview can be moved."), code="status")
        moved = plan.starts_at != current.starts_at
        _validate(actor, plan, now=now, check_past=moved, confirm_conflicts=confirm_conflicts,
                  exclude_pk=current.pk)
        before = {person.pk for person in current.interviewers.all()}
        after = {person.pk for person in plan.interviewers}
        values = {"kind": plan.kind, "starts_at": plan.starts_at, "duration_minutes": plan.duration_minutes,
                  "location_id": plan.location.pk if plan.location else None, "place": plan.place.strip()}
        changed = [name.removesuffix("_id") for name, value in values.items() if getattr(current, name) != value]
        if before != after:
            changed.append("interviewers")
        if not changed:
            return current
        for name, value in values.items():
            setattr(current, name, value)
        current.full_clean(exclude=["applicant", "created_by"])
        current.ical_sequence += 1
        current.invitations_sent_at = None
        current.save(update_fields=[*values, "ical_sequence", "invitations_sent_at"])
        current.interviewers.set(plan.interviewers)
        record(actor=actor, action="interviews.rescheduled", target=current,
               location_id=current.applicant.requisition.location_id, changed_fields=changed)
        removed = sorted(before - after)
        if removed:
            _send_after_commit(actor, current.pk, METHOD_CANCEL, include_applicant=False, only_user_ids=removed)
        _send_after_commit(actor, current.pk, METHOD_REQUEST, include_applicant=invite_applicant)
    return current


def interview_cancel(*, actor: Any, interview: Interview, reason: str, notify_applicant: bool = False) -> Interview:
    """Cancel with a reason; everyone invited gets the calendar cancellation (METHOD:CANCEL)."""
    _authorize(actor, interview.applicant, "interviews.cancel", interview)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the interview is cancelled.")}, code="required")
    with transaction.atomic():
        current = Interview.objects.select_for_update().select_related("applicant__requisition").get(
            pk=interview.pk)
        if current.status != InterviewStatus.SCHEDULED:
            raise ValidationError(_("Only a scheduled interview can be cancelled."), code="status")
        current.status = InterviewStatus.CANCELLED
        current.ical_sequence += 1
        current.invitations_sent_at = None
        current.save(update_fields=["status", "ical_sequence", "invitations_sent_at"])
        record(actor=actor, action="interviews.cancelled", target=current,
               location_id=current.applicant.requisition.location_id, changed_fields=["status"],
               reason=reason[:200])
        _send_after_commit(actor, current.pk, METHOD_CANCEL, include_applicant=notify_applicant, reason=reason)
    return current


def interview_close(*, actor: Any, interview: Interview, status: str, now: dt.datetime | None = None) -> Interview:
    """Record how it went: held, or the applicant did not come. Only once it has started."""
    _authorize(actor, interview.applicant, "interviews.close", interview)
    if status not in (InterviewStatus.COMPLETED, InterviewStatus.NO_SHOW):
        raise ValidationError({"status": _("Choose held or did not come.")}, code="invalid")
    now = now or timezone.now()
    with transaction.atomic():
        current = Interview.objects.select_for_update().select_related("applicant__requisition").get(
            pk=interview.pk)
        if current.status != InterviewStatus.SCHEDULED:
            raise ValidationError(_("This interview is already closed."), code="status")
        if current.starts_at > now:
            raise ValidationError(_("The interview has not started yet."), code="not_started")
        current.status = status
        current.save(update_fields=["status"])
        record(actor=actor, action="interviews.closed", target=current,
               location_id=current.applicant.requisition.location_id, changed_fields=["status"], reason=status)
    return current


def interview_invitations_resend(*, actor: Any, interview: Interview, invite_applicant: bool = False) -> Interview:
    """Send the current invitation again (after the mail server refused, or someone lost it)."""
    _authorize(actor, interview.applicant, "interviews.resend", interview)
    if interview.status not in (InterviewStatus.SCHEDULED, InterviewStatus.CANCELLED):
        raise ValidationError(_("There is nothing to send for this interview."), code="status")
    method = METHOD_REQUEST if interview.status == InterviewStatus.SCHEDULED else METHOD_CANCEL
    with transaction.atomic():
        record(actor=actor, action="interviews.invitations_resent", target=interview,
               location_id=interview.applicant.requisition.location_id, changed_fields=[])
        _send_after_commit(actor, interview.pk, method, include_applicant=invite_applicant)
    return interview


# --- invitations ---------------------------------------------------------------------------------------------


def _send_after_commit(actor: Any, interview_id: int, method: str, *, include_applicant: bool,
                       only_user_ids: list[int] | None = None, reason: str = "") -> None:
    transaction.on_commit(lambda: invitations_send(actor=actor, interview_id=interview_id, method=method,
                                                   include_applicant=include_applicant,
                                                   only_user_ids=only_user_ids, reason=reason))


def _host() -> str:
    return urlsplit(str(settings.OPENPRACTICE_BASE_URL or "")).hostname or "openpractice.local"


def _organizer() -> str:
    return parseaddr(str(settings.DEFAULT_FROM_EMAIL))[1] or f"no-reply@{_host()}"


def ics_for(interview: Interview, *, method: str, attendees: list[tuple[str, str]], summary: str,
            location_text: str, description: str = "", now: dt.datetime | None = None) -> bytes:
    """The calendar object (RFC 5545/5546) of the interview: same UID for every version, SEQUENCE from the row."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//OpenPractice//Interviews//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = icalendar.Event()
    event.add("uid", f"{interview.ical_uid}@{_host()}")
    event.add("sequence", interview.ical_sequence)
    event.add("dtstamp", (now or timezone.now()).astimezone(dt.UTC))
    event.add("dtstart", interview.starts_at.astimezone(dt.UTC))
    event.add("dtend", (interview.starts_at + dt.timedelta(minutes=interview.duration_minutes)).astimezone(dt.UTC))
    event.add("summary", summary)
    if location_text:
        event.add("location", location_text)
    if description:
        event.add("description", description)
    organizer = icalendar.vCalAddress(f"mailto:{_organizer()}")
    organizer.params["cn"] = icalendar.vText(practice_settings().name)
    event.add("organizer", organizer)
    for name, address in attendees:
        attendee = icalendar.vCalAddress(f"mailto:{address}")
        attendee.params["cn"] = icalendar.vText(name)
        attendee.params["role"] = icalendar.vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = icalendar.vText("NEEDS-ACTION")
        event.add("attendee", attendee, encode=False)
    event.add("status", "CANCELLED" if method == METHOD_CANCEL else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()


def _place_text(interview: Interview) -> str:
    parts = [interview.location.name if interview.location else "", interview.place]
    return ", ".join(part for part in parts if part)


def _message(*, to: str, subject_template: str, body_template: str, context: dict[str, Any], ics: bytes,
             method: str) -> EmailMessage:
    subject = " ".join(render_to_string(subject_template, context).split())
    body = render_to_string(body_template, context)
    message = EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[to])
    part = MIMEText(ics.decode("utf-8"), "calendar", "utf-8")
    part.set_param("method", method)
    part.add_header("Content-Disposition", "attachment", filename="invite.ics")
    message.attach(part)
    return message


def build_messages(interview: Interview, *, method: str, include_applicant: bool,
                   only_user_ids: list[int] | None = None, reason: str = "") -> list[EmailMessage]:
    """One message per recipient. Interviewers get the staff version (the applicant's name and position, a link
    to the interview page); the applicant gets their own: time, place and the practice, nothing internal."""
    applicant = interview.applicant
    position = applicant.requisition.position
    zone = zoneinfo.ZoneInfo(practice_timezone_name())
    practice_name = practice_settings().name
    interviewers = list(interview.interviewers.all()) if only_user_ids is None else list(
        User.objects.filter(pk__in=only_user_ids))
    staff = [(person.get_full_name() or person.username, person.email) for person in interviewers if person.email]
    applicant_invited = include_applicant and bool(applicant.email) and only_user_ids is None
    applicant_attendee = [(applicant.display_name, applicant.email)] if applicant_invited else []
    place = _place_text(interview)
    context = {
        "interview": interview, "applicant": applicant, "position": position, "practice_name": practice_name,
        "starts_local": interview.starts_at.astimezone(zone),
        "ends_local": (interview.starts_at + dt.timedelta(minutes=interview.duration_minutes)).astimezone(zone),
        "time_zone": practice_timezone_name(), "place": place, "cancelled": method == METHOD_CANCEL,
        "updated": interview.ical_sequence > 0 and method == METHOD_REQUEST, "reason": reason,
        "link": str(settings.OPENPRACTICE_BASE_URL or "").rstrip("/")
        + reverse("workforce:interview_detail", kwargs={"interview_id": interview.pk}),
    }
    messages: list[EmailMessage] = []
    staff_summary = _("Interview: %(name)s (%(position)s)") % {"name": applicant.display_name,
                                                              "position": position.title}
    staff_ics = ics_for(interview, method=method, attendees=staff + applicant_attendee, summary=staff_summary,
                        location_text=place)
    for name, address in staff:
        messages.append(_message(to=address, subject_template="workforce/interviews/email/staff_subject.txt",
                                 body_template="workforce/interviews/email/staff.txt",
                                 context={**context, "recipient_name": name}, ics=staff_ics, method=method))
    if applicant_invited:
        # The applicant's calendar lists only the applicant: staff addresses are not handed out.
        applicant_ics = ics_for(interview, method=method, attendees=applicant_attendee,
                                summary=_("Interview with %(practice)s: %(position)s")
                                % {"practice": practice_name, "position": position.title}, location_text=place)
        messages.append(_message(to=applicant.email, subject_template="workforce/interviews/email/applicant_subject.txt",
                                 body_template="workforce/interviews/email/applicant.txt",
                                 context=context, ics=applicant_ics, method=method))
    return messages


def invitations_send(*, actor: Any = None, interview_id: int, method: str, include_applicant: bool,
                     only_user_ids: list[int] | None = None, reason: str = "") -> bool:
    """Mail the invitations (after commit). True when the mail server took them all; on failure the interview
    stays as it is, the failure is logged and audited, and invitations_sent_at stays empty ("send again")."""
    interview = (Interview.objects.select_related("applicant__requisition__position", "location")
                 .prefetch_related("interviewers").get(pk=interview_id))
    messages = build_messages(interview, method=method, include_applicant=include_applicant,
                              only_user_ids=only_user_ids, reason=reason)
    location_id = interview.applicant.requisition.location_id
    try:
        if messages:
            get_connection(fail_silently=False).send_messages(messages)
    except (OSError, smtplib.SMTPException):
        logger.warning("Invitations for interview %s not sent: mail server unavailable", interview_id,
                       exc_info=True)
        record(actor=actor, action="interviews.invitations_failed", target=interview, location_id=location_id,
               reason=f"{method}; {len(messages)} message(s)")
        return False
    if only_user_ids is None:  # the main send (not the note to interviewers taken off)
        Interview.objects.filter(pk=interview_id).update(invitations_sent_at=timezone.now())
    record(actor=actor, action="interviews.invitations_sent", target=interview, location_id=location_id,
           changed_fields=["invitations_sent_at"], reason=f"{method}; {len(messages)} message(s)")
    return True


__all__ = [
    "Conflict", "Plan", "build_messages", "conflicts", "ics_for", "interview_cancel", "interview_close",
    "interview_invitations_resend", "interview_reschedule", "interview_schedule", "invitations_send",
    "may_manage", "may_schedule_location",
]
