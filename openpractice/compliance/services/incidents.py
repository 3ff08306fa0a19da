"""Incident writes: report, edit, counts, the four-factor assessment, the breach determination and its notification
deadlines, affected patients (by hand or from the audit log), the sanctions link, closing, the notification letter
and the daily deadline alerts.

Anyone signed in reports an incident they noticed. Everything else needs compliance.incidents where the incident is
(practice-wide incidents: everywhere); refusals are audited before any transaction opens and change nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import zoneinfo
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, reachable_location_ids, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.audit.services import record
from openpractice.core.events import emit
from openpractice.core.models import Location
from openpractice.core.pdf import render_pdf
from openpractice.core.selectors import practice_get, practice_settings, practice_timezone_name, practice_today
from openpractice.patients.models import Patient
from openpractice.workforce.models import DisciplinaryAction

from ..choices import BreachDetermination, IncidentStatus, RiskLevel
from ..models import AffectedPatient, Incident, IncidentState, NotificationDeadline, RiskAssessment
from ..selectors.incidents import alert_recipients, linkable_actions, may_manage
from . import breach_clock

logger = logging.getLogger(__name__)

INCIDENT_FIELDS = ("title", "kind", "location", "discovered_on", "occurred_on", "description", "phi_involved")
FACTORS = ("nature_extent", "recipient", "acquired_viewed", "mitigation")


def _authorize(*, actor: Any, incident: Incident, action: str, target: Any = None) -> None:
    if not may_manage(actor, incident):
        raise refuse(actor=actor, permission=Perm.COMPLIANCE_INCIDENTS, action=action, target=target or incident)


def _check_dates(*, discovered_on: dt.date, occurred_on: dt.date | None) -> None:
    if discovered_on > practice_today():
        raise ValidationError({"discovered_on": _("The discovery date cannot be in the future.")})
    if occurred_on is not None and occurred_on > discovered_on:
        raise ValidationError({"occurred_on": _("It cannot have happened after it was discovered.")})


def _locked(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().get(pk=incident.pk)


def _refresh(incident: Incident, locked: Incident) -> Incident:
    for field in locked._meta.concrete_fields:
        setattr(incident, field.attname, getattr(locked, field.attname))
    return incident


# --- report and edit -------------------------------------------------------------------------------------------


def incident_report(*, actor: Any, title: str, kind: str, location: Location | None, discovered_on: dt.date,
                    description: str, occurred_on: dt.date | None = None, phi_involved: str = "") -> Incident:
    """Anyone signed in reports what they noticed, at a location they work at (or practice-wide)."""
    if not getattr(actor, "is_authenticated", False):
        raise refuse(actor=actor, permission="signed in", action="compliance.incident_report")
    reachable = reachable_location_ids(actor)
    if location is not None and reachable is not None and location.pk not in reachable:
        raise ValidationError({"location": _("Choose a location you work at, or none.")})
    _check_dates(discovered_on=discovered_on, occurred_on=occurred_on)
    incident = Incident(title=title.strip(), kind=kind, location=location, discovered_on=discovered_on,
                        occurred_on=occurred_on, description=description.strip(),
                        phi_involved=phi_involved.strip(), reported_by=actor)
    incident.full_clean()
    with transaction.atomic():
        incident.save(force_insert=True)
        record(actor=actor, action="compliance.incident_reported", target=incident,
               location_id=incident.location_id, changed_fields=INCIDENT_FIELDS)
        # The domain event (webhooks): no title or description (free text may name a patient).
        emit("incident.logged", location_id=incident.location_id, data={
            "incident_id": incident.pk, "category": incident.kind, "status": incident.status,
            "location_id": incident.location_id, "discovered_on": incident.discovered_on.isoformat(),
            "occurred_at": incident.occurred_on.isoformat() if incident.occurred_on else None})
    return incident


def incident_update(*, actor: Any, incident: Incident, title: str, kind: str, location: Location | None,
                    discovered_on: dt.date, description: str, occurred_on: dt.date | None = None,
                    phi_involved: str = "") -> Incident:
    """Edit the log entry; a new discovery date moves the open notification deadlines with it."""
    _authorize(actor=actor, incident=incident, action="compliance.incident_update")
    moved = Incident(location=location)
    if not may_manage(actor, moved):
        raise ValidationError({"location": _("Choose a location where you manage incidents.")})
    _check_dates(discovered_on=discovered_on, occurred_on=occurred_on)
    values = {"title": title.strip(), "kind": kind, "location": location, "discovered_on": discovered_on,
              "occurred_on": occurred_on, "description": description.strip(), "phi_involved": phi_involved.strip()}
    with transaction.atomic():
        locked = _locked(incident)
        changed = [name for name, value in values.items() if getattr(locked, name) != value]
        for name, value in values.items():
            setattr(locked, name, value)
        locked.full_clean()
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
            _sync_deadlines(locked)
            record(actor=actor, action="compliance.incident_updated", target=locked,
                   location_id=locked.location_id, changed_fields=changed)
    return _refresh(incident, locked)


def incident_counts_set(*, actor: Any, incident: Incident, total: int, per_state: Mapping[str, int]) -> Incident:
    """Individuals affected in total and per state of residence (the states are part of the total); the open
    deadlines follow (500 thresholds)."""
    _authorize(actor=actor, incident=incident, action="compliance.incident_counts")
    states = {state: count for state, count in per_state.items() if count}
    problem = breach_clock.counts_problem(total, states)
    if problem == "negative":
        raise ValidationError({"individuals_affected": _("Counts cannot be negative.")})
    if problem == "states_exceed_total":
        raise ValidationError({"individuals_affected": _(
            "The states add up to more than the total (%(sum)s > %(total)s).") % {
                "sum": sum(states.values()), "total": total}})
    with transaction.atomic():
        locked = _locked(incident)
        locked.individuals_affected = total
        locked.save(update_fields=["individuals_affected", "updated_at"])
        IncidentState.objects.filter(incident=locked).exclude(state__in=list(states)).delete()
        existing = {row.state: row for row in IncidentState.objects.filter(incident=locked)}
        for state, count in sorted(states.items()):
            row = existing.get(state)
            if row is None:
                row = IncidentState(incident=locked, state=state, individuals=count)
                row.full_clean()
                row.save(force_insert=True)
            elif row.individuals != count:
                row.individuals = count
                row.save(update_fields=["individuals"])
        _sync_deadlines(locked)
        record(actor=actor, action="compliance.incident_counts_set", target=locked, location_id=locked.location_id,
               changed_fields=["individuals_affected", "states"])
    return _refresh(incident, locked)


# --- assessment and determination ------------------------------------------------------------------------------


def risk_assessment_save(*, actor: Any, incident: Incident, factors: Mapping[str, tuple[str, str]]) -> RiskAssessment:
    """The four factors of 164.402(2), each a text and a level; saving again replaces the earlier answers."""
    _authorize(actor=actor, incident=incident, action="compliance.incident_assess")
    values: dict[str, str] = {}
    for name in FACTORS:
        text, level = factors.get(name, ("", ""))
        if not text.strip():
            raise ValidationError({name: _("Answer this factor.")})
        if level not in RiskLevel.values:
            raise ValidationError({f"{name}_risk": _("Choose the level of risk.")})
        values[name], values[f"{name}_risk"] = text.strip(), level
    with transaction.atomic():
        locked = _locked(incident)
        if locked.status == IncidentStatus.CLOSED:
            raise ValidationError(_("The incident is closed."), code="closed")
        assessment = RiskAssessment.objects.filter(incident=locked).first() or RiskAssessment(incident=locked)
        for name, value in values.items():
            setattr(assessment, name, value)
        assessment.assessed_by, assessment.assessed_at = actor, timezone.now()
        assessment.full_clean()
        assessment.save()
        if locked.status == IncidentStatus.OPEN:
            locked.status = IncidentStatus.ASSESSED
            locked.save(update_fields=["status", "updated_at"])
        record(actor=actor, action="compliance.incident_assessed", target=locked, location_id=locked.location_id,
               changed_fields=list(values))
    _refresh(incident, locked)
    return assessment


def high_factors(incident: Incident) -> list[str]:
    assessment = RiskAssessment.objects.filter(incident=incident).first()
    if assessment is None:
        return []
    return [name for name in FACTORS if getattr(assessment, f"{name}_risk") == RiskLevel.HIGH]


def incident_determine(*, actor: Any, incident: Incident, determination: str, reason: str = "",
                       confirm_high_risk: bool = False) -> Incident:
    """Breach or not. "Not a breach" rests on the assessment (and needs an explicit confirmation when a factor is
    high); either "not a breach" needs its reason. A breach starts the notification deadlines; going back from a
    breach removes the notices not yet done."""
    _authorize(actor=actor, incident=incident, action="compliance.incident_determine")
    if determination not in BreachDetermination.values or determination == BreachDetermination.PENDING:
        raise ValidationError({"determination": _("Choose the determination.")})
    reason = reason.strip()
    if determination in (BreachDetermination.NOT_BREACH, BreachDetermination.EXCEPTION) and not reason:
        raise ValidationError({"reason": _("Say why this is not a breach.")})
    with transaction.atomic():
        locked = _locked(incident)
        if locked.status == IncidentStatus.CLOSED:
            raise ValidationError(_("The incident is closed."), code="closed")
        if determination == BreachDetermination.NOT_BREACH:
            if not RiskAssessment.objects.filter(incident=locked).exists():
                raise ValidationError({"determination": _(
                    "A low probability of compromise rests on the four-factor assessment: record it first.")})
            if high_factors(locked) and not confirm_high_risk:
                raise ValidationError({"confirm_high_risk": _(
                    "A factor is rated high: confirm that this is nevertheless not a breach.")},
                    code="confirm_high_risk")
        locked.determination, locked.determination_reason = determination, reason
        locked.determined_by, locked.determined_at = actor, timezone.now()
        if locked.status == IncidentStatus.OPEN:
            locked.status = IncidentStatus.ASSESSED
        locked.save(update_fields=["determination", "determination_reason", "determined_by", "determined_at",
                                   "status", "updated_at"])
        _sync_deadlines(locked)
        record(actor=actor, action="compliance.incident_determined", target=locked,
               location_id=locked.location_id, changed_fields=["determination", "determination_reason"],
               reason=f"{determination}{' despite a high factor' if confirm_high_risk and high_factors(locked) else ''}")
    return _refresh(incident, locked)


def _sync_deadlines(incident: Incident) -> None:
    """Make the open deadlines what the clock says for the incident as it is now (inside the caller's transaction,
    with the incident locked). Done notices are history: kept as they are."""
    wanted: dict[tuple[str, str], dt.date] = {}
    if incident.determination == BreachDetermination.BREACH:
        per_state = dict(IncidentState.objects.filter(incident=incident).values_list("state", "individuals"))
        wanted = {(due.audience, due.state): due.due_on for due in breach_clock.deadlines(
            discovered_on=incident.discovered_on, total=incident.individuals_affected, per_state=per_state)}
    existing = {(row.audience, row.state): row
                for row in NotificationDeadline.objects.select_for_update().filter(incident=incident)}
    for key, row in existing.items():
        if row.done_on is not None:
            continue
        if key not in wanted:
            row.delete()
        elif row.due_on != wanted[key]:
            # A new date: its alerts start over.
            row.due_on, row.alerted_days = wanted[key], []
            row.save(update_fields=["due_on", "alerted_days"])
    for (audience, state), due_on in wanted.items():
        if (audience, state) not in existing:
            row = NotificationDeadline(incident=incident, audience=audience, state=state, due_on=due_on)
            row.full_clean()
            row.save(force_insert=True)


def deadline_done(*, actor: Any, deadline: NotificationDeadline, done_on: dt.date,
                  note: str = "") -> NotificationDeadline:
    incident = deadline.incident
    _authorize(actor=actor, incident=incident, action="compliance.deadline_done", target=deadline)
    if done_on > practice_today():
        raise ValidationError({"done_on": _("The notice cannot be sent in the future.")})
    if done_on < incident.discovered_on:
        raise ValidationError({"done_on": _("The notice cannot come before the discovery.")})
    with transaction.atomic():
        locked = NotificationDeadline.objects.select_for_update().get(pk=deadline.pk)
        if locked.done_on is not None:
            raise ValidationError(_("This notice is already recorded as sent."), code="done")
        locked.done_on, locked.done_by, locked.note = done_on, actor, note.strip()
        locked.full_clean()
        locked.save(update_fields=["done_on", "done_by", "note"])
        record(actor=actor, action="compliance.deadline_done", target=locked, location_id=incident.location_id,
               changed_fields=["done_on", "note"])
    deadline.done_on, deadline.done_by, deadline.note = locked.done_on, actor, locked.note
    return deadline


# --- affected patients -----------------------------------------------------------------------------------------


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zoneinfo.ZoneInfo(practice_timezone_name()))


def affected_from_audit(*, actor: Any, incident: Incident, user: Any, start: dt.date, end: dt.date) -> int:
    """Add every patient `user` opened from `start` to `end` (practice-local days, both included) as the audit
    log holds it, in one INSERT ... SELECT over the audit table (indexed by actor); returns how many were new."""
    _authorize(actor=actor, incident=incident, action="compliance.affected_from_audit")
    if end < start:
        raise ValidationError({"end": _("The end comes before the start.")})
    opened = (AuditEvent.objects
              .filter(actor_id=user.pk, patient_id__isnull=False, outcome=Outcome.ALLOWED,
                      occurred_at__gte=_local_midnight(start),
                      occurred_at__lt=_local_midnight(end + dt.timedelta(days=1)),
                      patient_id__in=Patient.objects.values("pk"))
              .order_by().values("patient_id").distinct())
    select_sql, select_params = opened.query.sql_with_params()
    quote = connection.ops.quote_name
    table = AffectedPatient._meta
    column = {field.name: str(field.column) for field in table.concrete_fields}
    columns = ", ".join(quote(column[name]) for name in ("incident", "patient", "source", "added_by", "added_at"))
    source = f"audit: user {user.pk} {start.isoformat()}..{end.isoformat()}"[:40]
    # "WHERE 1 = 1": SQLite needs a WHERE before ON CONFLICT in an INSERT ... SELECT.
    sql = (f"INSERT INTO {quote(table.db_table)} ({columns}) "  # noqa: S608 - names from the model, values bound
           f"SELECT %s, opened.patient_id, %s, %s, %s FROM ({select_sql}) opened WHERE 1 = 1 "
           f"ON CONFLICT ({quote(column['incident'])}, {quote(column['patient'])}) "
           "DO NOTHING")
    params = (incident.pk, source, actor.pk, connection.ops.adapt_datetimefield_value(timezone.now()),
              *select_params)
    with transaction.atomic():
        _locked(incident)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            added = max(cursor.rowcount, 0)
        record(actor=actor, action="compliance.affected_from_audit", target=incident,
               location_id=incident.location_id, changed_fields=["affected_patients"],
               reason=f"user {user.pk} {start.isoformat()}..{end.isoformat()}: {added} added")
    return added


def affected_add(*, actor: Any, incident: Incident, patient: Patient) -> AffectedPatient:
    _authorize(actor=actor, incident=incident, action="compliance.affected_add")
    with transaction.atomic():
        _locked(incident)
        if AffectedPatient.objects.filter(incident=incident, patient=patient).exists():
            raise ValidationError({"account_number": _("This patient is already on the list.")})
        row = AffectedPatient(incident=incident, patient=patient, source="by hand", added_by=actor)
        row.full_clean()
        row.save(force_insert=True)
        record(actor=actor, action="compliance.affected_added", target=incident, patient_id=patient.pk,
               location_id=incident.location_id, changed_fields=["affected_patients"])
    return row


# --- sanctions and closing -------------------------------------------------------------------------------------


def incident_sanction_link(*, actor: Any, incident: Incident, action: DisciplinaryAction | None) -> Incident:
    """Link (or unlink, with None) the disciplinary action taken because of the incident. Discipline is
    confidential: only a workforce.discipline holder who manages that action may link it."""
    _authorize(actor=actor, incident=incident, action="compliance.incident_sanction")
    if not can(actor, Perm.WORKFORCE_DISCIPLINE):
        raise refuse(actor=actor, permission=Perm.WORKFORCE_DISCIPLINE, action="compliance.incident_sanction",
                     target=incident)
    visible = linkable_actions(actor=actor)
    if action is not None and not visible.filter(pk=action.pk).exists():
        raise refuse(actor=actor, permission=Perm.WORKFORCE_DISCIPLINE, action="compliance.incident_sanction",
                     target=action, reason="disciplinary action out of scope")
    with transaction.atomic():
        locked = _locked(incident)
        if (locked.disciplinary_action_id is not None and action is None
                and not visible.filter(pk=locked.disciplinary_action_id).exists()):
            raise refuse(actor=actor, permission=Perm.WORKFORCE_DISCIPLINE,
                         action="compliance.incident_sanction", target=incident,
                         reason="linked action out of scope")
        locked.disciplinary_action = action
        locked.save(update_fields=["disciplinary_action", "updated_at"])
        record(actor=actor, action="compliance.incident_sanction_linked", target=locked,
               location_id=locked.location_id, changed_fields=["disciplinary_action"])
    return _refresh(incident, locked)


def incident_close(*, actor: Any, incident: Incident) -> Incident:
    """Close once determined; a breach closes only when every notice is recorded as sent."""
    _authorize(actor=actor, incident=incident, action="compliance.incident_close")
    with transaction.atomic():
        locked = _locked(incident)
        if locked.status == IncidentStatus.CLOSED:
            raise ValidationError(_("The incident is already closed."), code="closed")
        if locked.determination == BreachDetermination.PENDING:
            raise ValidationError(_("Make the breach determination before closing."), code="pending")
        if NotificationDeadline.objects.filter(incident=locked, done_on__isnull=True).exists():
            raise ValidationError(_("Some notices are not recorded as sent yet."), code="open_notices")
        locked.status, locked.closed_at = IncidentStatus.CLOSED, timezone.now()
        locked.save(update_fields=["status", "closed_at", "updated_at"])
        record(actor=actor, action="compliance.incident_closed", target=locked, location_id=locked.location_id,
               changed_fields=["status", "closed_at"])
    return _refresh(incident, locked)


# --- the letter ------------------------------------------------------------------------------------------------


def letter_html(*, incident: Incident, affected: AffectedPatient | None) -> str:
    """The notice to individuals (164.404(c)): what happened, what information, what we are doing, what they can
    do, how to reach us. Without a patient: the template letter with blanks for name and address."""
    return render_to_string("compliance/incidents/letter.html", {
        "incident": incident, "patient": affected.patient if affected else None, "practice": practice_get(),
        "letter_date": practice_today(),
    })


def incident_letter_pdf(*, actor: Any, incident: Incident, affected: AffectedPatient | None = None) -> bytes:
    """The letter as a PDF; a letter to a patient is a disclosure of their PHI to the reader: audited."""
    _authorize(actor=actor, incident=incident, action="compliance.incident_letter", target=affected or incident)
    pdf = render_pdf(letter_html(incident=incident, affected=affected))
    with transaction.atomic():
        record(actor=actor, action="compliance.incident_letter_viewed", target=incident,
               patient_id=affected.patient_id if affected else None, location_id=incident.location_id,
               reason="patient letter" if affected else "template letter")
    return pdf


def letter_filename(*, incident: Incident, affected: AffectedPatient | None = None) -> str:
    """ASCII only: a patient's name is typed text and must not shape a header."""
    if affected is None:
        return f"incident-{incident.pk}-letter.pdf"
    name = slugify(affected.patient.last_name)[:40].strip("-") or "patient"
    return f"incident-{incident.pk}-{name}-{affected.patient_id}.pdf"


# --- daily alerts ----------------------------------------------------------------------------------------------


def _alert_messages(deadline: NotificationDeadline, threshold: int, addresses: list[str],
                    today: dt.date) -> list[EmailMessage]:
    context = {
        "deadline": deadline, "incident": deadline.incident, "threshold": threshold,
        "overdue": threshold == breach_clock.OVERDUE, "days_left": breach_clock.days_left(deadline.due_on, today),
        "practice_name": practice_settings().name,
        "link": str(settings.OPENPRACTICE_BASE_URL or "").rstrip("/")
        + reverse("compliance:incident_detail", kwargs={"pk": deadline.incident_id}),
    }
    subject = " ".join(render_to_string("compliance/incidents/email/deadline_subject.txt", context).split())
    body = render_to_string("compliance/incidents/email/deadline.txt", context)
    # One message each: recipients do not see each other.
    return [EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[address])
            for address in addresses]


def deadline_alert_send(*, deadline_id: int, today: dt.date) -> bool:
    """Claim the alert on the row (under a lock, so two workers send it once), mail it, and release the claim
    when the mail server refuses so the next run tries again."""
    with transaction.atomic():
        deadline = (NotificationDeadline.objects.select_for_update().select_related("incident")
                    .filter(pk=deadline_id, done_on__isnull=True).first())
        if deadline is None:
            return False
        threshold = breach_clock.alert_due(due_on=deadline.due_on, today=today, already=deadline.alerted_days)
        if threshold is None:
            return False
        deadline.alerted_days = [*deadline.alerted_days, threshold]
        deadline.save(update_fields=["alerted_days"])
    addresses = list(dict.fromkeys(user.email.lower() for user in alert_recipients(deadline.incident)
                                   if user.email))
    try:
        messages = _alert_messages(deadline, threshold, addresses, today)
        if messages:
            get_connection(fail_silently=False).send_messages(messages)
    except (OSError, smtplib.SMTPException):
        with transaction.atomic():
            locked = NotificationDeadline.objects.select_for_update().get(pk=deadline_id)
            locked.alerted_days = [day for day in locked.alerted_days if day != threshold]
            locked.save(update_fields=["alerted_days"])
        logger.warning("Deadline alert for notice %s not sent: mail server unavailable", deadline_id, exc_info=True)
        return False
    record(actor=None, action="compliance.deadline_alert_sent", target=deadline,
           location_id=deadline.incident.location_id, changed_fields=["alerted_days"],
           reason=f"{threshold} days before; {len(addresses)} recipient(s)")
    return True


def deadline_alerts_send(*, today: dt.date | None = None) -> int:
    """The daily run: every open notice whose alert has come due (30/14/7/1 days before, overdue); returns how many
    alerts went out."""
    today = today or practice_today()
    horizon = today + dt.timedelta(days=max(breach_clock.ALERT_DAYS))
    candidates = NotificationDeadline.objects.filter(
        done_on__isnull=True, due_on__lte=horizon,
        incident__determination=BreachDetermination.BREACH).exclude(
        incident__status=IncidentStatus.CLOSED).values_list("pk", "due_on", "alerted_days")
    sent = 0
    for pk, due_on, already in candidates:
        if breach_clock.alert_due(due_on=due_on, today=today, already=already or []) is not None:
            sent += deadline_alert_send(deadline_id=pk, today=today)
    return sent

