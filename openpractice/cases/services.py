"""Case writes: intake, assignment, acknowledgement, the timeline, links, escalation, resolution, closing,
reopening, letters, and the service levels of categories.

Anyone signed in files a case (a patient's complaint they took at the desk, or their own grievance). Working a
case needs the kind's permission where the case is (see selectors); refusals are audited before any transaction
opens and change nothing. Every write records an audit event in its transaction; a patient case's events carry the
patient's id, so the patient's access log shows who read or changed their complaint.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import reachable_location_ids, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.billing.models import Claim
from openpractice.billing.selectors.claims import claim_scoped
from openpractice.compliance.choices import IncidentKind
from openpractice.compliance.models import Incident
from openpractice.compliance.selectors.incidents import incident_scoped
from openpractice.compliance.services.incidents import incident_report
from openpractice.core.models import Location
from openpractice.core.pdf import render_pdf
from openpractice.core.selectors import practice_get, practice_settings, practice_today
from openpractice.patients.models import Patient
from openpractice.patients.selectors import patient_scoped
from openpractice.workforce.models import Employee
from openpractice.workforce.selectors.employees import employee_scoped

from .choices import OPEN_STATUSES, CaseKind, CaseStatus, Confidentiality, EntryKind, LetterKind, Outcome
from .models import Case, CaseCategory, CaseEntry, CaseLetter
from .selectors import (
    WORK_PERMISSION,
    assignable_users,
    category_kinds_managed,
    escalation_recipients,
    may_open_up,
    may_work,
    overdue_condition,
)

logger = logging.getLogger(__name__)

NOTE_KINDS = (EntryKind.NOTE, EntryKind.ACTION, EntryKind.CONTACT)


def _authorize(*, actor: Any, case: Case, action: str) -> None:
    if not may_work(actor, case):
        raise refuse(actor=actor, permission=WORK_PERMISSION[case.kind], action=action, target=case)


def _locked(case: Case) -> Case:
    return Case.objects.select_for_update().get(pk=case.pk)


def _refresh(case: Case, locked: Case) -> Case:
    for field in locked._meta.concrete_fields:
        setattr(case, field.attname, getattr(locked, field.attname))
    return case


def _entry(case: Case, kind: str, body: str, author: Any) -> CaseEntry:
    entry = CaseEntry(case=case, kind=kind, body=body, author=author if getattr(author, "pk", None) else None)
    entry.full_clean(exclude=["case", "author"])
    entry.save(force_insert=True)
    return entry


def _audit(actor: Any, action: str, case: Case, changed: list[str] | tuple[str, ...] = (), reason: str = "") -> None:
    record(actor=actor, action=action, target=case, patient_id=case.patient_id, location_id=case.location_id,
           changed_fields=changed, reason=reason)


def _check_patient_links(*, actor: Any, patient: Patient | None, claim: Claim | None) -> None:
    if patient is not None and not patient_scoped(actor=actor).filter(pk=patient.pk).exists():
        raise ValidationError({"patient": _("Choose a patient you may see.")})
    if claim is not None:
        if patient is None or claim.patient_id != patient.pk:
            raise ValidationError({"claim": _("The claim must be the patient's.")})
        if not claim_scoped(actor=actor).filter(pk=claim.pk).exists():
            raise ValidationError({"claim": _("Choose a claim you may see.")})


def _check_employee(*, actor: Any, employee: Employee | None, field: str) -> None:
    if employee is not None and not employee_scoped(actor=actor).filter(pk=employee.pk).exists():
        raise ValidationError({field: _("Choose an employee whose record you may see.")})


# --- intake ----------------------------------------------------------------------------------------------------


def case_file(*, actor: Any, category: CaseCategory, subject: str, narrative: str, location: Location | None,
              received_on: dt.date | None = None, severity: str = "medium",
              confidentiality: str = Confidentiality.NORMAL, complainant_name: str = "",
              complainant_contact: str = "", patient: Patient | None = None, claim: Claim | None = None,
              own_grievance: bool = False) -> Case:
    """Take in a complaint or grievance. The service levels come from the category on the day it is received; a
    category that opens an incident (privacy complaints) logs one in the compliance incident log, which holds
    no words of the complaint, only a pointer to the case.

    `own_grievance`: a staff member raising their own staff grievance; the case links their employee record."""
    if not getattr(actor, "is_authenticated", False):
        raise refuse(actor=actor, permission="signed in", action="cases.case_file")
    if not category.is_active:
        raise ValidationError({"category": _("This category is no longer in use.")})
    reachable = reachable_location_ids(actor)
    if location is not None and reachable is not None and location.pk not in reachable:
        raise ValidationError({"location": _("Choose a location you work at, or none.")})
    today = practice_today()
    received_on = received_on or today
    if received_on > today:
        raise ValidationError({"received_on": _("The day it was received cannot be in the future.")})
    employee = None
    if category.kind == CaseKind.STAFF:
        if patient is not None or claim is not None:
            raise ValidationError(_("A staff case cannot name a patient or a claim."))
        if own_grievance:
            employee = Employee.objects.filter(user_id=actor.pk).first()
    else:
        if own_grievance:
            raise ValidationError({"category": _("Your own grievance is a staff case: choose a staff category.")})
        _check_patient_links(actor=actor, patient=patient, claim=claim)
    case = Case(kind=category.kind, category=category, location=location, subject=subject.strip(),
                narrative=narrative.strip(), severity=severity, confidentiality=confidentiality,
                complainant_name=complainant_name.strip(), complainant_contact=complainant_contact.strip(),
                received_on=received_on,
                acknowledge_due_on=received_on + dt.timedelta(days=category.acknowledge_days),
                resolve_due_on=received_on + dt.timedelta(days=category.resolve_days),
                patient=patient, claim=claim, employee=employee, filed_by=actor)
    case.full_clean()
    with transaction.atomic():
        case.save(force_insert=True)
        _entry(case, EntryKind.STATUS, _("Case received on %(day)s, filed by %(who)s.") % {
            "day": received_on.isoformat(), "who": actor.get_full_name() or actor.username}, actor)
        _audit(actor, "cases.case_filed", case, ("kind", "category", "subject", "narrative", "location"))
        if category.opens_incident:
            _open_incident(actor=actor, case=case)
    return case


def _open_incident(*, actor: Any, case: Case) -> None:
    """Log the privacy incident a privacy complaint calls for (inside the caller's transaction). The incident
    holds no words of the complaint, only a pointer to the case."""
    incident = incident_report(
        actor=actor, title=_("Privacy complaint %(number)s") % {"number": case.number},
        kind=IncidentKind.UNAUTHORIZED_ACCESS, location=case.location, discovered_on=case.received_on,
        description=_("Opened from privacy complaint %(number)s; the complaint is in the case.")
        % {"number": case.number})
    case.incident = incident
    case.save(update_fields=["incident", "updated_at"])
    _entry(case, EntryKind.ACTION, _("Privacy incident %(id)s opened in the incident log.") % {"id": incident.pk},
           actor)


# --- working the case ------------------------------------------------------------------------------------------


def case_assign(*, actor: Any, case: Case, assignee: Any | None) -> Case:
    """Give the case to someone who may work it where it is (or take it back to the unassigned pile)."""
    _authorize(actor=actor, case=case, action="cases.case_assign")
    if assignee is not None and assignee.pk not in {
            user.pk for user in assignable_users(kind=case.kind, location_id=case.location_id,
                                                 confidential=case.confidentiality == Confidentiality.CONFIDENTIAL)}:
        raise ValidationError({"assignee": _("Choose someone who works cases of this kind here.")})
    with transaction.atomic():
        locked = _locked(case)
        if locked.assignee_id == (assignee.pk if assignee else None):
            return _refresh(case, locked)
        locked.assignee = assignee
        locked.save(update_fields=["assignee", "updated_at"])
        text = (_("Assigned to %(who)s.") % {"who": assignee.get_full_name() or assignee.username}
                if assignee else _("Unassigned."))
        _entry(locked, EntryKind.ASSIGNED, text, actor)
        _audit(actor, "cases.case_assigned", locked, ["assignee"])
    return _refresh(case, locked)


def case_acknowledge(*, actor: Any, case: Case, note: str = "") -> Case:
    """Tell the complainant it is in hand (the first service level)."""
    _authorize(actor=actor, case=case, action="cases.case_acknowledge")
    with transaction.atomic():
        locked = _locked(case)
        if locked.status != CaseStatus.NEW:
            raise ValidationError(_("Only a new case can be acknowledged."))
        locked.status = CaseStatus.ACKNOWLEDGED
        locked.acknowledged_at = timezone.now()
        locked.save(update_fields=["status", "acknowledged_at", "updated_at"])
        _entry(locked, EntryKind.STATUS, note.strip() or _("Acknowledged."), actor)
        _audit(actor, "cases.case_acknowledged", locked, ["status", "acknowledged_at"])
    return _refresh(case, locked)


def case_note_add(*, actor: Any, case: Case, kind: str, body: str) -> CaseEntry:
    """A note, an action taken or a contact with the complainant, on the timeline."""
    _authorize(actor=actor, case=case, action="cases.case_note")
    if kind not in NOTE_KINDS:
        raise ValidationError({"kind": _("Choose a note, an action or a contact.")})
    if not body.strip():
        raise ValidationError({"body": _("Write what happened.")})
    with transaction.atomic():
        entry = _entry(case, kind, body.strip(), actor)
        _audit(actor, "cases.case_note_added", case, reason=kind)
    return entry


def case_update(*, actor: Any, case: Case, subject: str, severity: str, confidentiality: str,
                category: CaseCategory, location: Location | None) -> Case:
    """Correct the intake. Service levels stay as promised at intake; only a senior role opens a confidential
    case to every case worker; a case cannot move to another kind or to a location its worker does not cover."""
    _authorize(actor=actor, case=case, action="cases.case_update")
    if category.kind != case.kind:
        raise ValidationError({"category": _("Choose a category of the same kind.")})
    if (case.confidentiality == Confidentiality.CONFIDENTIAL and confidentiality == Confidentiality.NORMAL
            and not may_open_up(actor, case)):
        raise ValidationError({"confidentiality": _("Only a senior role can lift confidentiality.")})
    values: dict[str, Any] = {"subject": subject.strip(), "severity": severity, "confidentiality": confidentiality,
                              "category": category, "location": location}
    if not may_work(actor, Case(kind=case.kind, location=location, confidentiality=confidentiality,
                                assignee_id=case.assignee_id)):
        raise ValidationError({"location": _("Choose a location where you work cases.")})
    moved = (location.pk if location else None) != case.location_id
    if case.assignee_id is not None and (moved or confidentiality != case.confidentiality) and (
            case.assignee_id not in {user.pk for user in assignable_users(
                kind=case.kind, location_id=location.pk if location else None,
                confidential=confidentiality == Confidentiality.CONFIDENTIAL)}):
        # The assignee sees and works the case wherever it goes: they must be someone it could be given to there
        # (a confidential case only to a senior role). Reassign first.
        raise ValidationError({"location" if moved else "confidentiality": _(
            "The assignee cannot work the case like this; assign it to someone who can first.")})
    with transaction.atomic():
        locked = _locked(case)
        changed = [name for name, value in values.items() if getattr(locked, name) != value]
        for name, value in values.items():
            setattr(locked, name, value)
        locked.full_clean()
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
            _entry(locked, EntryKind.ACTION, _("Intake corrected: %(fields)s.") % {"fields": ", ".join(changed)},
                   actor)
            _audit(actor, "cases.case_updated", locked, changed)
            if category.opens_incident and locked.incident_id is None:
                _open_incident(actor=actor, case=locked)
    return _refresh(case, locked)


def case_links_set(*, actor: Any, case: Case, patient: Patient | None = None, claim: Claim | None = None,
                   respondent: Employee | None = None, incident: Incident | None = None) -> Case:
    """Link the patient and claim (patient cases), the colleague concerned (staff cases), and an incident. Each
    link must be something the actor may see."""
    _authorize(actor=actor, case=case, action="cases.case_links")

    def new(value: Any, current_id: int | None) -> Any:
        """A link that changes must be something the actor may see; one kept as it is (the incident a privacy
        complaint opened, a claim linked by a biller) stays even if the actor cannot open it."""
        return value if value is not None and value.pk != current_id else None

    if case.kind == CaseKind.PATIENT:
        if respondent is not None:
            raise ValidationError({"respondent": _("A patient case does not name a colleague.")})
        if claim is not None and (patient is None or claim.patient_id != patient.pk):
            raise ValidationError({"claim": _("The claim must be the patient's.")})
        _check_patient_links(actor=actor, patient=new(patient, case.patient_id), claim=None)
        changed_claim = new(claim, case.claim_id)
        if changed_claim is not None and not claim_scoped(actor=actor).filter(pk=changed_claim.pk).exists():
            raise ValidationError({"claim": _("Choose a claim you may see.")})
    else:
        if patient is not None or claim is not None:
            raise ValidationError(_("A staff case cannot name a patient or a claim."))
        _check_employee(actor=actor, employee=new(respondent, case.respondent_id), field="respondent")
    changed_incident = new(incident, case.incident_id)
    if changed_incident is not None and not incident_scoped(actor=actor).filter(pk=changed_incident.pk).exists():
        raise ValidationError({"incident": _("Choose an incident you manage.")})
    values = {"patient": patient, "claim": claim, "respondent": respondent, "incident": incident}
    with transaction.atomic():
        locked = _locked(case)
        changed = [name for name, value in values.items() if getattr(locked, name) != value]
        for name, value in values.items():
            setattr(locked, name, value)
        locked.full_clean()
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
            _entry(locked, EntryKind.ACTION, _("Links changed: %(fields)s.") % {"fields": ", ".join(changed)},
                   actor)
            _audit(actor, "cases.case_links_changed", locked, changed)
    return _refresh(case, locked)


def case_resolve(*, actor: Any, case: Case, outcome: str, resolution: str) -> Case:
    _authorize(actor=actor, case=case, action="cases.case_resolve")
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Choose an outcome.")})
    if not resolution.strip():
        raise ValidationError({"resolution": _("Say how it was resolved.")})
    with transaction.atomic():
        locked = _locked(case)
        if locked.status not in OPEN_STATUSES:
            raise ValidationError(_("The case is already resolved."))
        now = timezone.now()
        locked.status, locked.outcome, locked.resolution, locked.resolved_at = (
            CaseStatus.RESOLVED, outcome, resolution.strip(), now)
        locked.acknowledged_at = locked.acknowledged_at or now
        locked.full_clean()
        locked.save(update_fields=["status", "outcome", "resolution", "resolved_at", "acknowledged_at",
                                   "updated_at"])
        _entry(locked, EntryKind.STATUS, _("Resolved (%(outcome)s).") % {"outcome": locked.get_outcome_display()},
               actor)
        _audit(actor, "cases.case_resolved", locked, ["status", "outcome", "resolution"])
    return _refresh(case, locked)


def case_close(*, actor: Any, case: Case) -> Case:
    _authorize(actor=actor, case=case, action="cases.case_close")
    with transaction.atomic():
        locked = _locked(case)
        if locked.status != CaseStatus.RESOLVED:
            raise ValidationError(_("Only a resolved case can be closed."))
        locked.status, locked.closed_at = CaseStatus.CLOSED, timezone.now()
        locked.save(update_fields=["status", "closed_at", "updated_at"])
        _entry(locked, EntryKind.STATUS, _("Closed."), actor)
        _audit(actor, "cases.case_closed", locked, ["status"])
    return _refresh(case, locked)


def case_reopen(*, actor: Any, case: Case, reason: str) -> Case:
    """Back to work; the earlier outcome and resolution stay on the timeline. The case gets a new resolve-by
    date from its category (counted from today) and can be escalated again if that one passes too."""
    _authorize(actor=actor, case=case, action="cases.case_reopen")
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the case is reopened.")})
    with transaction.atomic():
        locked = _locked(case)
        if locked.status not in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
            raise ValidationError(_("The case is still open."))
        earlier = _("Reopened: %(reason)s. Earlier outcome: %(outcome)s. Earlier resolution: %(resolution)s") % {
            "reason": reason.strip(), "outcome": locked.get_outcome_display(), "resolution": locked.resolution}
        locked.status, locked.outcome, locked.resolution = CaseStatus.ACKNOWLEDGED, "", ""
        locked.resolved_at = locked.closed_at = locked.escalated_at = None
        locked.resolve_due_on = max(locked.resolve_due_on,
                                    practice_today() + dt.timedelta(days=locked.category.resolve_days))
        locked.save(update_fields=["status", "outcome", "resolution", "resolved_at", "closed_at", "escalated_at",
                                   "resolve_due_on", "updated_at"])
        _entry(locked, EntryKind.STATUS, earlier, actor)
        _audit(actor, "cases.case_reopened", locked, ["status", "outcome", "resolution"])
    return _refresh(case, locked)


# --- escalation ------------------------------------------------------------------------------------------------


def _escalation_mail(case: Case, reason: str) -> list[EmailMessage]:
    """No PHI in the mail: the number, the category and the dates; the rest is behind the sign-in."""
    context = {"case": case, "reason": reason, "practice_name": practice_settings().name,
               "link": str(settings.OPENPRACTICE_BASE_URL or "").rstrip("/")
               + reverse("cases:case_detail", kwargs={"pk": case.pk})}
    subject = " ".join(render_to_string("cases/email/escalated_subject.txt", context).split())
    body = render_to_string("cases/email/escalated.txt", context)
    addresses = list(dict.fromkeys(user.email.lower() for user in escalation_recipients(case)))
    return [EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[address])
            for address in addresses]


def _send_escalation(case_id: int, reason: str) -> None:
    case = Case.objects.select_related("category").get(pk=case_id)
    try:
        messages = _escalation_mail(case, reason)
        if messages:
            get_connection(fail_silently=False).send_messages(messages)
    except (OSError, smtplib.SMTPException):
        # The escalation stands (it is on the case and on the overdue list); only the mail is missing.
        logger.warning("Escalation mail for case %s not sent: mail server unavailable", case_id, exc_info=True)


def _escalate(*, actor: Any, case: Case, reason: str, public_reason: str) -> bool:
    """`reason` goes on the (encrypted) timeline; `public_reason`, which must hold no words about the case, goes
    to the audit log and the mail."""
    with transaction.atomic():
        locked = _locked(case)
        if not locked.is_open or locked.escalated_at is not None:
            _refresh(case, locked)
            return False
        locked.escalated_at = timezone.now()
        locked.save(update_fields=["escalated_at", "updated_at"])
        _entry(locked, EntryKind.ESCALATED, _("Escalated to the senior practice manager: %(reason)s")
               % {"reason": reason}, actor)
        _audit(actor, "cases.case_escalated", locked, ["escalated_at"], reason=public_reason[:200])
        transaction.on_commit(lambda: _send_escalation(locked.pk, public_reason))
    _refresh(case, locked)
    return True


def case_escalate(*, actor: Any, case: Case, reason: str) -> Case:
    """A case worker escalates by hand (a threat of legal action, a case beyond their remit)."""
    _authorize(actor=actor, case=case, action="cases.case_escalate")
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the case is escalated.")})
    if not case.is_open:
        raise ValidationError(_("Only an open case can be escalated."))
    if case.escalated_at is not None:
        raise ValidationError(_("The case is already escalated."))
    # The reason is the worker's own words about the case (it may name the complainant): it stays on the
    # encrypted timeline; the audit log and the mail only say that someone escalated it by hand.
    _escalate(actor=actor, case=case, reason=reason.strip(), public_reason=_(
        "escalated by %(who)s; the reason is on the case") % {"who": actor.get_full_name() or actor.username})
    return case


def overdue_escalate(*, today: dt.date | None = None) -> int:
    """The daily run: every open case past a service level and not yet escalated goes to the senior practice
    managers, once. Returns how many were escalated."""
    today = today or practice_today()
    escalated = 0
    for case in Case.objects.filter(overdue_condition(today), escalated_at__isnull=True).order_by("pk"):
        late = (_("not acknowledged by %(day)s") % {"day": case.acknowledge_due_on.isoformat()}
                if case.status == CaseStatus.NEW and case.acknowledge_due_on < today
                else _("not resolved by %(day)s") % {"day": case.resolve_due_on.isoformat()})
        escalated += _escalate(actor=None, case=case, reason=late, public_reason=late)
    return escalated


# --- letters ---------------------------------------------------------------------------------------------------


def _recipient(case: Case) -> str:
    """The linked patient's name (or the complainant's) and the address the complainant gave."""
    name = case.patient.full_name if case.patient is not None else case.complainant_name
    if not name.strip() or not case.complainant_contact.strip():
        return ""
    return f"{name.strip()}\n{case.complainant_contact.strip()}"


def _letter_body(case: Case, kind: str) -> str:
    if kind == LetterKind.ACKNOWLEDGEMENT:
        return _("We received your concern on %(received)s and have opened case %(number)s. It is being looked "
                 "into, and we will write to you with the outcome by %(due)s.") % {
            "received": case.received_on.strftime("%B %-d, %Y"), "number": case.number,
            "due": case.resolve_due_on.strftime("%B %-d, %Y")}
    return case.resolution


def case_letter_create(*, actor: Any, case: Case, kind: str) -> CaseLetter:
    """Write the acknowledgement or the resolution letter; its recipient and text are kept as written."""
    _authorize(actor=actor, case=case, action="cases.case_letter")
    if kind not in LetterKind.values:
        raise ValidationError({"kind": _("Choose a letter.")})
    if kind == LetterKind.RESOLUTION and case.status not in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        raise ValidationError({"kind": _("The resolution letter is written once the case is resolved.")})
    recipient = _recipient(case)
    if not recipient:
        raise ValidationError(_("Add the complainant's name (or link the patient) and their address first."))
    with transaction.atomic():
        letter = CaseLetter(case=case, kind=kind, recipient=recipient, body=_letter_body(case, kind),
                            created_by=actor)
        letter.save(force_insert=True)
        _entry(case, EntryKind.LETTER, letter.get_kind_display(), actor)
        _audit(actor, "cases.letter_created", case, reason=kind)
    return letter


def letter_pdf(*, actor: Any, letter: CaseLetter) -> bytes:
    """The letter as a PDF; each download is an audit event (it names the complainant)."""
    case = letter.case
    if not may_work(actor, case):
        raise refuse(actor=actor, permission=WORK_PERMISSION[case.kind], action="cases.letter_download",
                     target=letter)
    html = render_to_string("cases/letter.html", {
        "letter": letter, "case": case, "practice": practice_get(),
        "letter_date": timezone.localdate(letter.created_at)})
    pdf = render_pdf(html)
    with transaction.atomic():
        _audit(actor, "cases.letter_downloaded", case, reason=letter.kind)
    return pdf


# --- categories ------------------------------------------------------------------------------------------------


def category_save(*, actor: Any, category: CaseCategory | None, kind: str, name: str, acknowledge_days: int,
                  resolve_days: int, opens_incident: bool, is_active: bool) -> CaseCategory:
    """Create or edit a category and its service levels (new cases only: open ones keep what was promised)."""
    if kind not in category_kinds_managed(actor) or (category is not None and category.kind != kind):
        raise refuse(actor=actor, permission=WORK_PERMISSION.get(kind, Perm.CASES_MANAGE),
                     action="cases.category_save", target=category)
    if kind == CaseKind.STAFF and opens_incident:
        raise ValidationError({"opens_incident": _("Only patient complaints open privacy incidents.")})
    target = category or CaseCategory(kind=kind)
    values = {"name": name.strip(), "acknowledge_days": acknowledge_days, "resolve_days": resolve_days,
              "opens_incident": opens_incident, "is_active": is_active}
    if resolve_days < acknowledge_days:
        raise ValidationError({"resolve_days": _("Resolving cannot be due before acknowledging.")})
    with transaction.atomic():
        changed = [name for name, value in values.items() if getattr(target, name) != value]
        for field, value in values.items():
            setattr(target, field, value)
        target.full_clean()
        if target.pk is None:
            target.save(force_insert=True)
        elif changed:
            target.save(update_fields=changed)
        else:
            return target
        record(actor=actor, action="cases.category_saved", target=target, changed_fields=changed)
    return target
