"""Demo data for cases: fourteen complaints and grievances across the categories, both kinds, the three locations
and a year of history, so the case list, the reports (open by age, trends, time to resolve) and the escalations
have something to show:

- patient complaints: a billing dispute over a claim, resolved with an acknowledgement and a resolution letter,
  then closed; an acknowledged billing dispute past its resolve-by date and a quality-of-care concern nobody
  acknowledged in time (both escalated by the daily overdue run); a new wait-times complaint; a staff-conduct
  complaint being worked; a confidential privacy complaint from a patient whose chart the medical assistant opened
  (it opens its own privacy incident); and four resolved over the past year;
- staff grievances: a front-desk colleague's own grievance about a conflict, being worked by HR; a confidential
  harassment grievance past its 14-day resolve-by date that HR escalated by hand; a pay grievance resolved; a new
  working-conditions concern.

Everything goes through the case services as the people who would do it (the front desk, the biller and staff file;
the privacy officer, practice managers and HR work the cases), so the audit trail and the timelines are real. The
services stamp "now", so the demo moves the stamps of the past back afterwards (acknowledged, resolved, closed,
escalated and the timeline entries), as the compliance demo does; dates count from the practice's today. Runs after
compliance (80): the privacy complaint names a patient from the snooping incident.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.billing.selectors.claims import claim_scoped
from openpractice.compliance.models import AffectedPatient
from openpractice.core.models import Location
from openpractice.core.seeding import seeder
from openpractice.core.selectors import practice_today
from openpractice.patients.models import Patient
from openpractice.patients.selectors import patient_scoped
from openpractice.workforce.selectors.employees import employee_scoped

from . import services
from .choices import CaseKind, CaseStatus, Confidentiality, EntryKind, LetterKind, Outcome, Severity
from .models import Case, CaseCategory, CaseEntry, CaseLetter


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@dataclass
class Story:
    """One case as it is seeded: every service call is followed by `stamp(day, hour)`, which moves the timeline
    entries and letters that call wrote (and the case's own stamp of that step) to when it happened."""

    case: Case
    seen_entry: int = 0
    seen_letter: int = 0
    stamps: dict[str, dt.datetime] = field(default_factory=dict)

    def stamp(self, day: dt.date, hour: int, *, step: str = "") -> None:
        when = _at(day, hour)
        CaseEntry.objects.filter(case=self.case, pk__gt=self.seen_entry).update(created_at=when)
        self.seen_entry = CaseEntry.objects.filter(case=self.case).order_by("-pk").values_list("pk", flat=True)[0]
        if step:
            self.stamps[step] = when
            Case.objects.filter(pk=self.case.pk).update(**{step: when})
        CaseLetter.objects.filter(case=self.case, pk__gt=self.seen_letter).update(created_at=when)
        self.seen_letter = max([self.seen_letter, *CaseLetter.objects.filter(case=self.case).values_list(
            "pk", flat=True)])


@dataclass(frozen=True)
class People:
    biller: User
    frontdesk: User
    provider: User
    privacy: User
    pm_advanced: User
    pm_entry: User
    hr: User
    om_entry: User
    om_mid: User


def _category(kind: str, name: str) -> CaseCategory:
    return CaseCategory.objects.get(kind=kind, name=name)


P, S = CaseKind.PATIENT, CaseKind.STAFF


@seeder(85)
def seed_cases(context: dict[str, Any]) -> None:
    users: dict[str, User] = context.get("users") or {}
    needed = ("biller", "frontdesk", "provider", "privacy", "pm_advanced", "pm_entry", "hr",
              "om_entry", "om_mid")
    if any(name not in users for name in needed):
        return
    report = context.setdefault("report", [])
    if Case.objects.exists():
        report.append("cases: already seeded, nothing added")
        return
    people = People(**{name: users[name] for name in needed})
    locations: dict[str, Location] = context["locations"]
    today = practice_today()
    _patient_cases(people, locations, today)
    _staff_cases(people, locations, today)
    escalated = _daily_run(today)
    report.append(f"{Case.objects.count()} cases ({Case.objects.filter(kind=P).count()} patient complaints, "
                  f"{Case.objects.filter(kind=S).count()} staff grievances), {escalated} escalated as overdue")


def _ago(today: dt.date, days: int) -> dt.date:
    return today - dt.timedelta(days=days)


def _resolved(story: Story, *, by: User, outcome: str, resolution: str, on: dt.date, letter: bool = False,
              close_on: dt.date | None = None) -> None:
    services.case_resolve(actor=by, case=story.case, outcome=outcome, resolution=resolution)
    if letter:
        services.case_letter_create(actor=by, case=story.case, kind=LetterKind.RESOLUTION)
    story.stamp(on, 15, step="resolved_at")
    if close_on is not None:
        services.case_close(actor=by, case=story.case)
        story.stamp(close_on, 10, step="closed_at")


def _acknowledged(story: Story, *, by: User, on: dt.date, note: str = "", assign: User | None = None) -> None:
    if assign is not None:
        services.case_assign(actor=by, case=story.case, assignee=assign)
        story.stamp(on, 10)
    services.case_acknowledge(actor=by, case=story.case, note=note)
    story.stamp(on, 11, step="acknowledged_at")


def _note(story: Story, *, by: User, on: dt.date, body: str, kind: str = EntryKind.NOTE) -> None:
    services.case_note_add(actor=by, case=story.case, kind=kind, body=body)
    story.stamp(on, 14)


def _file(*, actor: User, kind: str, category: str, received: dt.date, **fields: Any) -> Story:
    case = services.case_file(actor=actor, category=_category(kind, category), received_on=received, **fields)
    story = Story(case)
    story.stamp(received, 9)
    return story


def _patient_cases(people: People, locations: dict[str, Location], today: dt.date) -> None:
    downtown, north, cary = locations["downtown"], locations["north-hills"], locations["cary"]
    pm = people.pm_advanced

    # A billing dispute over a claim: acknowledged with a letter, resolved (refund), resolution letter, closed.
    claim = claim_scoped(actor=people.biller).filter(location=downtown).select_related("patient").order_by("pk").first()
    received = _ago(today, 75)
    story = _file(actor=people.biller, kind=P, category="Billing dispute", received=received, location=downtown,
                  subject="Billed for a visit the insurer already paid", severity=Severity.MEDIUM,
                  narrative="The patient called: the statement shows a balance for the visit although the insurer's "
                            "explanation of benefits says it was paid in full. She paid the balance by card to "
                            "avoid collections and wants it refunded.",
                  complainant_name=claim.patient.full_name if claim else "Grace Holloway",
                  complainant_contact="418 Oberlin Rd, Raleigh, NC 27605",
                  patient=claim.patient if claim else None, claim=claim)
    _acknowledged(story, by=pm, on=received + dt.timedelta(days=1), assign=pm,
                  note="Acknowledged by phone; told her we are checking the remittance.")
    services.case_letter_create(actor=pm, case=story.case, kind=LetterKind.ACKNOWLEDGEMENT)
    story.stamp(received + dt.timedelta(days=1), 12)
    _note(story, by=pm, on=received + dt.timedelta(days=6), kind=EntryKind.ACTION,
          body="The 835 shows the payer paid in full; the patient balance was a posting error (contractual "
               "adjustment missed). Asked billing to correct the posting.")
    _resolved(story, by=pm, outcome=Outcome.UPHELD, on=received + dt.timedelta(days=18), letter=True,
              close_on=received + dt.timedelta(days=25),
              resolution="You were right: your insurer had paid this visit in full, and the balance on your "
                         "statement came from a posting error on our side. We have refunded your card payment in "
                         "full and corrected your account, which now shows no balance. We are sorry for the worry "
                         "this caused.")

    # Acknowledged but not resolved within 30 days: the daily run escalates it.
    received = _ago(today, 41)
    story = _file(actor=people.pm_entry, kind=P, category="Billing dispute", received=received, location=cary,
                  subject="Disputes a no-show fee", severity=Severity.LOW,
                  narrative="The patient says he cancelled by phone the day before and was still charged the $50 "
                            "no-show fee. He asks for the call to be checked.",
                  complainant_name="Raymond Ochoa", complainant_contact="raymond.ochoa@example.com")
    _acknowledged(story, by=people.pm_entry, on=received + dt.timedelta(days=2), assign=people.pm_entry)
    _note(story, by=people.pm_entry, on=received + dt.timedelta(days=9), kind=EntryKind.CONTACT,
          body="Left a voicemail: the phone system keeps 30 days of call logs only; asked for his phone bill.")

    # New and within its three days.
    _file(actor=people.frontdesk, kind=P, category="Service or wait times", received=_ago(today, 1),
          location=downtown, subject="Waited 70 minutes past the appointment time", severity=Severity.LOW,
          narrative="The patient waited over an hour in the waiting room without being told about the delay and "
                    "left before being seen. She wants the visit rebooked first thing in the morning.",
          complainant_name="Lucia Ferreira", complainant_contact="(919) 555-0142")

    # A complaint about a staff member's manner, being worked.
    received = _ago(today, 12)
    story = _file(actor=people.provider, kind=P, category="Staff conduct", received=received, location=north,
                  subject="Felt dismissed at check-in", severity=Severity.MEDIUM,
                  narrative="The patient's daughter says the person at the desk talked over her mother, who is hard "
                            "of hearing, and refused to repeat the copay amount.",
                  complainant_name="Evelyn Marsh", complainant_contact="77 Six Forks Rd, Raleigh, NC 27609")
    _acknowledged(story, by=pm, on=received + dt.timedelta(days=1), assign=pm)
    _note(story, by=pm, on=received + dt.timedelta(days=4),
          body="Spoke with the desk lead; scheduled a refresher on communicating with patients who are hard of "
               "hearing, and a pocket talker for the desk.")

    # Nobody acknowledged it within two days: the daily run escalates it.
    _file(actor=people.frontdesk, kind=P, category="Quality of care concern", received=_ago(today, 6),
          location=downtown, subject="Test result not followed up", severity=Severity.HIGH,
          narrative="The patient says an abnormal blood test from last month was never discussed with him; he "
                    "found it in the portal and could not get a call back.",
          complainant_name="Harold Brenner", complainant_contact="(919) 555-0177")

    # A confidential privacy complaint from a patient whose chart the medical assistant opened; it opens its own
    # incident in the compliance log.
    affected = AffectedPatient.objects.filter(incident__location=north).select_related("patient").order_by("pk").first()
    patient: Patient | None = affected.patient if affected else patient_scoped(actor=people.privacy).filter(
        home_location=north).order_by("pk").first()
    received = _ago(today, 4)
    story = _file(actor=people.privacy, kind=P, category="Privacy complaint", received=received, location=north,
                  subject="Believes a staff member read her chart", severity=Severity.HIGH,
                  confidentiality=Confidentiality.CONFIDENTIAL,
                  narrative="The patient says a neighbour who works at North Hills mentioned her diagnosis at a "
                            "block party. She asks who opened her record and wants it to stop.",
                  complainant_name=patient.full_name if patient else "Corinne Walsh",
                  complainant_contact="2210 Glenwood Ave, Raleigh, NC 27608", patient=patient)
    _acknowledged(story, by=people.privacy, on=received, assign=people.privacy,
                  note="Acknowledged the same day; the access report for her chart is being pulled.")
    _note(story, by=people.privacy, on=received + dt.timedelta(days=1), kind=EntryKind.ACTION,
          body="The audit log shows her chart opened by a medical assistant with no work reason; linked to the "
               "snooping investigation. Her notification letter will follow the breach assessment.")

    # A year of history for the trends and the time to resolve.
    for category, location, days_ago, took, outcome, subject, resolution in (
            ("Access to records", cary, 150, 25, Outcome.SETTLED, "Copy of records took too long",
             "We sent the full copy of the records free of charge and apologised for the delay."),
            ("Billing dispute", north, 220, 35, Outcome.NOT_UPHELD, "Disputes a charge for a lab panel",
             "The panel was ordered and performed; the insurer's denial was for a missing referral, which the "
             "patient's plan requires. We explained how to appeal and sent a copy of the order."),
            ("Service or wait times", downtown, 300, 10, Outcome.PARTLY_UPHELD, "Could not get through on the phone",
             "Morning call volumes were too high for two lines; a third line now opens at 8:00."),
            ("Staff conduct", north, 100, 21, Outcome.UPHELD, "Rude remark about a late arrival",
             "The staff member apologised in writing and took part in a service recovery session.")):
        received = _ago(today, days_ago)
        story = _file(actor=people.privacy, kind=P, category=category, received=received, location=location,
                      subject=subject, narrative=f"{subject}. The patient asked for this to be looked into.",
                      complainant_name="Patient (see chart)", complainant_contact="On file")
        _acknowledged(story, by=people.privacy, on=received + dt.timedelta(days=1))
        _resolved(story, by=people.privacy, outcome=outcome, resolution=resolution,
                  on=received + dt.timedelta(days=took), close_on=received + dt.timedelta(days=took + 7))


def _employee_of(hr: User, user: User) -> Any:
    return employee_scoped(actor=hr).filter(user=user).first()


def _staff_cases(people: People, locations: dict[str, Location], today: dt.date) -> None:
    downtown, north, cary = locations["downtown"], locations["north-hills"], locations["cary"]
    hr = people.hr

    # The front desk's own grievance about a colleague, being worked by HR.
    received = _ago(today, 10)
    story = _file(actor=people.frontdesk, kind=S, category="Conflict between colleagues", received=received,
                  location=downtown, own_grievance=True, subject="Shift swaps always fall on the same person",
                  narrative="I keep being asked to cover the Saturday desk when a colleague swaps out, usually the "
                            "evening before. I have said no twice and was told I am not a team player.")
    _acknowledged(story, by=hr, on=received + dt.timedelta(days=2), assign=hr)
    _note(story, by=hr, on=received + dt.timedelta(days=5), kind=EntryKind.ACTION,
          body="Met both staff members separately; agreed that swaps go through the office manager with a 48-hour "
               "notice. Follow-up meeting in two weeks.")

    # A confidential harassment grievance past its 14-day resolve-by date; HR escalated it by hand.
    received = _ago(today, 20)
    story = _file(actor=people.provider, kind=S, category="Harassment or discrimination", received=received,
                  location=north, own_grievance=True, confidentiality=Confidentiality.CONFIDENTIAL,
                  severity=Severity.HIGH, subject="Repeated comments about appearance",
                  narrative="A colleague has made comments about my appearance in front of patients on several "
                            "days in the last month, after I asked him to stop.")
    _acknowledged(story, by=hr, on=received, assign=hr, note="Acknowledged the same day; interim separation of "
                                                             "schedules put in place.")
    respondent = employee_scoped(actor=hr).filter(location=north).exclude(user=people.provider).order_by("pk").first()
    if respondent is not None:
        services.case_links_set(actor=hr, case=story.case, respondent=respondent)
        story.stamp(received + dt.timedelta(days=1), 10)
    _note(story, by=hr, on=received + dt.timedelta(days=6),
          body="Two witnesses interviewed; one confirms the comments. The colleague's interview is scheduled.")
    escalated_on = received + dt.timedelta(days=15)
    services.case_escalate(actor=hr, case=story.case,
                           reason="Past the 14 days and the colleague has retained a lawyer; needs the practice "
                                  "administrator's decision on the outcome.")
    story.stamp(escalated_on, 16, step="escalated_at")

    # A pay grievance, resolved.
    received = _ago(today, 45)
    story = _file(actor=people.om_entry, kind=S, category="Grievance about pay or hours", received=received,
                  location=cary, own_grievance=True, subject="Overtime missing from two paychecks",
                  narrative="Overtime from the flu clinic evenings is missing from my last two paychecks.")
    _acknowledged(story, by=hr, on=received + dt.timedelta(days=3), assign=hr)
    _resolved(story, by=hr, outcome=Outcome.UPHELD, on=received + dt.timedelta(days=12),
              resolution="The evening hours had been entered under the wrong pay code; the overtime was paid in the "
                         "next payroll run with the difference.")

    # New: a working-conditions concern.
    _file(actor=people.om_mid, kind=S, category="Working conditions or safety", received=_ago(today, 2),
          location=north, subject="Back office too hot in the afternoons", severity=Severity.LOW,
          narrative="The back office reaches 85°F most afternoons; the thermostat is locked and two staff have had "
                    "headaches.")


def _daily_run(today: dt.date) -> int:
    """The overdue escalation as the nightly task runs it, then its stamps moved to the day after each case fell
    overdue."""
    before = set(Case.objects.filter(escalated_at__isnull=False).values_list("pk", flat=True))
    escalated = services.overdue_escalate(today=today)
    for case in Case.objects.filter(escalated_at__isnull=False).exclude(pk__in=before):
        late = case.acknowledge_due_on if case.status == CaseStatus.NEW else case.resolve_due_on
        when = _at(min(late + dt.timedelta(days=1), today), 6)
        Case.objects.filter(pk=case.pk).update(escalated_at=when)
        CaseEntry.objects.filter(case=case, kind=EntryKind.ESCALATED).update(created_at=when)
    return escalated
