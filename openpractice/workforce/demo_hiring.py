"""Demo data for hiring and development: four requisitions (one waiting for approval, two recruiting, one filled
by the Cary office coordinator hired ten days ago), ten applicants spread over the pipeline with their stage
history (so time to hire has something to show), interviews held with scorecards on the practice-wide criteria
and interviews still ahead, one offer waiting for an answer and the accepted one that led to the hire, and the new
coordinator's development plan towards office manager (mid).

Called at the end of workforce.demo.seed_workforce (which runs once). Rows are written directly through the
models, consistent with their constraints and with the pipeline's allowed moves (services/hiring_stages.py); one
summary audit event records them. Dates count back from the practice's today."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from typing import Any

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.services import record
from openpractice.core.models import Location
from openpractice.core.selectors import practice_timezone_name, practice_today

from .choices import (
    ApplicantSource,
    ApplicantStage,
    EmploymentType,
    FlsaStatus,
    InterviewKind,
    InterviewStatus,
    OfferStatus,
    PayBasis,
    PlanItemKind,
    Recommendation,
    RequisitionReason,
    RequisitionStatus,
)
from .models import (
    Applicant,
    ApplicantStageChange,
    DevelopmentPlan,
    DevelopmentPlanItem,
    Employee,
    Interview,
    Offer,
    Position,
    Requisition,
    Scorecard,
    ScorecardCriterion,
    ScorecardRating,
)
from .selectors.development import propose_items

S = ApplicantStage
NEW_HIRE = "RB-1006"  # workforce.demo EMPLOYEES: Sophie Tran, office coordinator at Cary, hired ten days ago


@dataclass(frozen=True)
class DemoApplicant:
    requisition: str
    first_name: str
    last_name: str
    source: str
    # The path through the pipeline: (stage, days ago), the first being the application.
    path: tuple[tuple[str, int], ...]
    note: str = ""
    rejection_reason: str = ""


APPLICANTS: tuple[DemoApplicant, ...] = (
    # Filled: the office coordinator at Cary.
    DemoApplicant("filled", "Sophie", "Tran", ApplicantSource.SCHOOL,
                  ((S.APPLIED, 52), (S.SCREENING, 49), (S.INTERVIEW, 44), (S.OFFER, 27), (S.HIRED, 22)),
                  note="Associate degree in office administration; MOS certified."),
    DemoApplicant("filled", "Olivia", "Grant", ApplicantSource.JOB_BOARD,
                  ((S.APPLIED, 50), (S.SCREENING, 47), (S.INTERVIEW, 44), (S.REJECTED, 30)),
                  rejection_reason="Another candidate was a closer match for the Cary schedule."),
    DemoApplicant("filled", "Hannah", "Cole", ApplicantSource.WEBSITE,
                  ((S.APPLIED, 48), (S.SCREENING, 46), (S.WITHDRAWN, 40)),
                  rejection_reason="Accepted a position closer to home."),
    # Recruiting: patient services representative, Downtown.
    DemoApplicant("front_desk", "Jasmine", "Patel", ApplicantSource.JOB_BOARD, ((S.APPLIED, 2),)),
    DemoApplicant("front_desk", "Carlos", "Mendes", ApplicantSource.REFERRAL,
                  ((S.APPLIED, 12), (S.SCREENING, 9)), note="Referred by Maria Gonzalez; bilingual (Spanish)."),
    DemoApplicant("front_desk", "Brianna", "Scott", ApplicantSource.JOB_BOARD,
                  ((S.APPLIED, 20), (S.SCREENING, 17), (S.INTERVIEW, 10))),
    DemoApplicant("front_desk", "Tyler", "Nguyen", ApplicantSource.WEBSITE,
                  ((S.APPLIED, 24), (S.SCREENING, 21), (S.INTERVIEW, 16), (S.OFFER, 3))),
    # Recruiting: medical assistant, North Hills.
    DemoApplicant("ma", "Emily", "Foster", ApplicantSource.SCHOOL, ((S.APPLIED, 1),),
                  note="CMA programme graduate, externship at a family practice."),
    DemoApplicant("ma", "DeShawn", "Harris", ApplicantSource.JOB_BOARD,
                  ((S.APPLIED, 11), (S.SCREENING, 8), (S.INTERVIEW, 4))),
    DemoApplicant("ma", "Megan", "Lowe", ApplicantSource.AGENCY,
                  ((S.APPLIED, 14), (S.SCREENING, 12), (S.REJECTED, 11)),
                  rejection_reason="No current BLS card and not available for Saturday clinics."),
)

# Interviews: (applicant last name, kind, days from today (negative: past), local hour, interviewer usernames,
# held, recommendations by interviewer and the ratings' centre).
INTERVIEWS: tuple[tuple[str, str, int, int, tuple[str, ...], dict[str, tuple[str, int]]], ...] = (
    ("Tran", InterviewKind.IN_PERSON, -42, 10, ("pm_entry", "hr"),
     {"pm_entry": (Recommendation.STRONG_YES, 5), "hr": (Recommendation.YES, 4)}),
    ("Grant", InterviewKind.IN_PERSON, -42, 14, ("pm_entry", "hr"),
     {"pm_entry": (Recommendation.NO, 3), "hr": (Recommendation.YES, 3)}),
    ("Nguyen", InterviewKind.IN_PERSON, -14, 11, ("om_experienced", "pm_advanced"),
     {"om_experienced": (Recommendation.YES, 4), "pm_advanced": (Recommendation.STRONG_YES, 4)}),
    ("Scott", InterviewKind.PHONE, -8, 9, ("om_experienced",), {"om_experienced": (Recommendation.YES, 4)}),
    ("Scott", InterviewKind.WORKING, 2, 8, ("om_experienced", "frontdesk"), {}),
    ("Harris", InterviewKind.IN_PERSON, 3, 13, ("om_mid", "clinical"), {}),
)


def _criteria() -> list[ScorecardCriterion]:
    return list(ScorecardCriterion.objects.filter(position__isnull=True, is_active=True).order_by("order", "pk"))


def seed_hiring(context: dict[str, Any]) -> None:
    users: dict[str, User] = context.get("users") or {}
    needed = ("hr", "pm_senior", "pm_advanced", "pm_entry", "om_experienced", "om_mid", "frontdesk", "clinical")
    if any(name not in users for name in needed):
        return
    locations: dict[str, Location] = context["locations"]
    today = practice_today()
    zone = zoneinfo.ZoneInfo(practice_timezone_name())

    def at(days: int, hour: int = 9, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(today + dt.timedelta(days=days), dt.time(hour, minute), tzinfo=zone)

    positions = {(p.role, p.tier, p.location_id): p for p in Position.objects.all()}

    def position(role: str, tier: str, location: str | None) -> Position:
        found = positions.get((role, tier, locations[location].pk if location else None))
        if found is None:
            found = Position.objects.filter(role=role, tier=tier).order_by("pk").first()
        assert found is not None, (role, tier)
        return found

    hr, senior, advanced = users["hr"], users["pm_senior"], users["pm_advanced"]
    requisitions = {
        # Raised by the Cary practice manager (no approval authority), approved by the practice administrator.
        "filled": _requisition(
            position=position(Role.OFFICE_MANAGER, Tier.ENTRY, "cary"), location=locations["cary"],
            reason=RequisitionReason.NEW, requested_by=users["pm_entry"], hiring_manager=users["pm_entry"],
            created=at(-60, 8), decided_by=senior, decided=at(-58, 16), status=RequisitionStatus.FILLED,
            closed=at(-22, 15), pay=("18.00", "21.00"), target_start=today - dt.timedelta(days=10),
            justification="Cary walk-in volume grew 30% this year; the clinic has no office coordinator."),
        "front_desk": _requisition(
            position=position(Role.FRONT_DESK, Tier.STANDARD, "downtown"), location=locations["downtown"],
            reason=RequisitionReason.REPLACEMENT, requested_by=users["om_experienced"],
            hiring_manager=users["om_experienced"], created=at(-27, 9), decided_by=advanced, decided=at(-26, 11),
            status=RequisitionStatus.OPEN, pay=("16.50", "19.00"), target_start=today + dt.timedelta(days=21),
            justification="Replaces a representative who moved away; Downtown check-in is short-staffed on "
                          "Mondays."),
        "ma": _requisition(
            position=position(Role.CLINICAL_STAFF, Tier.STANDARD, None), location=locations["north-hills"],
            reason=RequisitionReason.NEW, requested_by=users["om_mid"], hiring_manager=users["om_mid"],
            created=at(-16, 10), decided_by=advanced, decided=at(-15, 14), status=RequisitionStatus.OPEN,
            pay=("18.00", "21.50"), target_start=today + dt.timedelta(days=30),
            justification="North Hills adds Saturday clinics; one more medical assistant for rooming and vitals."),
        # Waiting for someone holding workforce.approve_hiring at Downtown.
        "biller": _requisition(
            position=position(Role.BILLER, Tier.STANDARD, None), location=locations["downtown"],
            reason=RequisitionReason.NEW, requested_by=hr, hiring_manager=advanced, created=at(-3, 15),
            decided_by=None, decided=None, status=RequisitionStatus.PENDING, pay=("21.00", "25.00"),
            target_start=today + dt.timedelta(days=45),
            justification="Denials work has grown with the new payer contracts; a second coder keeps A/R under "
                          "45 days."),
    }
    new_hire = Employee.objects.filter(employee_number=NEW_HIRE).first()
    applicants: dict[str, Applicant] = {}
    changes = 0
    for spec in APPLICANTS:
        requisition = requisitions[spec.requisition]
        first_stage, applied_days = spec.path[0]
        last_stage, last_days = spec.path[-1]
        hired_employee = new_hire if last_stage == S.HIRED else None
        if last_stage == S.HIRED and hired_employee is None:
            continue  # the new hire's record is missing: no hired applicant without an employee
        applicant = Applicant(
            requisition=requisition, first_name=spec.first_name, last_name=spec.last_name,
            email=(hired_employee.email if hired_employee else
                   f"{spec.first_name}.{spec.last_name}@applicant.example".lower()),
            phone=f"919-555-{170 + len(applicants):04d}",  # 555-0100..0199: numbers reserved for fiction
            source=spec.source, applied_on=today - dt.timedelta(days=applied_days), stage=last_stage,
            stage_changed_at=at(-last_days, 15), rejection_reason=spec.rejection_reason, notes=spec.note,
            employee=hired_employee, created_by=requisition.hiring_manager or hr,
            referred_by=Employee.objects.filter(employee_number="RB-1007").first()
            if spec.source == ApplicantSource.REFERRAL else None)
        applicant.full_clean()
        applicant.save(force_insert=True)
        Applicant.objects.filter(pk=applicant.pk).update(created_at=at(-applied_days, 8))
        history = [ApplicantStageChange(applicant=applicant, from_stage="", to_stage=first_stage,
                                        changed_by=applicant.created_by, changed_at=at(-applied_days, 8))]
        for (before, _days), (stage, days) in pairwise(spec.path):
            history.append(ApplicantStageChange(applicant=applicant, from_stage=before, to_stage=stage,
                                                changed_by=requisition.hiring_manager or hr,
                                                changed_at=at(-days, 15)))
        ApplicantStageChange.objects.bulk_create(history)
        changes += len(history)
        applicants[spec.last_name] = applicant

    interviews, scorecards = _interviews(applicants=applicants, users=users, locations=locations, at=at)
    offers = _offers(applicants=applicants, users=users, today=today, at=at, new_hire=new_hire)
    plan = _development_plan(new_hire=new_hire, users=users, today=today)
    record(actor=hr, action="workforce.demo_seeded", object_type="workforce.requisition",
           changed_fields=["requisitions", "applicants", "interviews", "scorecards", "offers", "development_plans"],
           reason=f"{len(requisitions)} requisitions, {len(applicants)} applicants, {changes} stage changes, "
                  f"{interviews} interviews, {scorecards} scorecards, {offers} offers")
    context.setdefault("report", []).append(
        f"hiring: {len(requisitions)} requisitions, {len(applicants)} applicants, {interviews} interviews, "
        f"{offers} offers; {1 if plan else 0} development plan")


def _requisition(*, position: Position, location: Location, reason: str, requested_by: User,
                 hiring_manager: User, created: dt.datetime, decided_by: User | None, decided: dt.datetime | None,
                 status: str, pay: tuple[str, str], target_start: dt.date, justification: str,
                 closed: dt.datetime | None = None) -> Requisition:
    requisition = Requisition(
        position=position, location=location, openings=1, reason=reason, target_start=target_start,
        pay_min=Decimal(pay[0]), pay_max=Decimal(pay[1]), justification=justification,
        hiring_manager=hiring_manager, status=status, requested_by=requested_by,
        submitted_at=created + dt.timedelta(minutes=20), decided_by=decided_by, decided_at=decided,
        decision_note="Approved within the budgeted headcount." if decided_by else "",
        opened_at=decided if status in (RequisitionStatus.OPEN, RequisitionStatus.FILLED) else None,
        closed_at=closed)
    requisition.full_clean()
    requisition.save(force_insert=True)
    Requisition.objects.filter(pk=requisition.pk).update(created_at=created)
    return requisition


def _interviews(*, applicants: dict[str, Applicant], users: dict[str, User], locations: dict[str, Location],
                at: Any) -> tuple[int, int]:
    criteria = _criteria()
    count = cards = 0
    for last_name, kind, days, hour, interviewer_names, verdicts in INTERVIEWS:
        applicant = applicants.get(last_name)
        if applicant is None:
            continue
        location = applicant.requisition.location
        held = days < 0
        interview = Interview(
            applicant=applicant, kind=kind, starts_at=at(days, hour),
            duration_minutes=240 if kind == InterviewKind.WORKING else 30 if kind == InterviewKind.PHONE else 45,
            location=None if kind == InterviewKind.PHONE else location,
            place=("Phone: the applicant's mobile" if kind == InterviewKind.PHONE
                   else f"{location.name}, manager's office"),
            status=InterviewStatus.COMPLETED if held else InterviewStatus.SCHEDULED,
            # Held ones were invited; the ones ahead wait for the demo user to send the invitations.
            invitations_sent_at=at(days - 3, 16) if held else None,
            created_by=applicant.requisition.hiring_manager or users["hr"],
            created_at=at((days - 4) if held else -2, 11))
        interview.full_clean()
        interview.save(force_insert=True)
        interview.interviewers.set([users[name] for name in interviewer_names])
        count += 1
        for name, (recommendation, centre) in verdicts.items():
            scorecard = Scorecard.objects.create(
                interview=interview, interviewer=users[name], recommendation=recommendation,
                summary=_summary(recommendation), submitted_at=at(days, hour + 2))
            ScorecardRating.objects.bulk_create([
                ScorecardRating(scorecard=scorecard, criterion=criterion,
                                rating=max(1, min(5, centre + (-1, 0, 0, 1)[(index + len(name)) % 4])))
                for index, criterion in enumerate(criteria)
            ])
            cards += 1
    return count, cards


def _summary(recommendation: str) -> str:
    summaries: dict[str, str] = {
        Recommendation.STRONG_YES: "Clear, warm with patients, organised; examples of handling PHI were spot on.",
        Recommendation.YES: "Good fit for the desk; would need coaching on payer rules.",
        Recommendation.NO: "Pleasant, but little experience with scheduling systems and unsure about HIPAA basics.",
        Recommendation.STRONG_NO: "Not a fit for a patient-facing role.",
    }
    return summaries[recommendation]


def _offers(*, applicants: dict[str, Applicant], users: dict[str, User], today: dt.date, at: Any,
            new_hire: Employee | None) -> int:
    count = 0
    waiting = applicants.get("Nguyen")
    if waiting is not None:
        offer = Offer(applicant=waiting, start_date=today + dt.timedelta(days=21), pay_basis=PayBasis.HOURLY,
                      pay_amount=Decimal("18.25"), employment_type=EmploymentType.FULL_TIME,
                      flsa_status=FlsaStatus.NON_EXEMPT, expires_on=today + dt.timedelta(days=4),
                      terms="Monday to Friday 7:45-4:15; health, dental and 401(k) after 60 days; contingent on a "
                            "background check.",
                      status=OfferStatus.EXTENDED, created_by=users["om_experienced"], created_at=at(-4, 10),
                      extended_at=at(-3, 15))
        offer.full_clean()
        offer.save(force_insert=True)
        count += 1
    hired = applicants.get("Tran")
    if hired is not None and new_hire is not None:
        offer = Offer(applicant=hired, start_date=new_hire.hire_date, pay_basis=PayBasis.HOURLY,
                      pay_amount=Decimal("19.50"), employment_type=EmploymentType.FULL_TIME,
                      flsa_status=FlsaStatus.NON_EXEMPT, expires_on=today - dt.timedelta(days=20),
                      terms="Monday to Friday 8:00-4:30 at Cary; health, dental and 401(k) after 60 days.",
                      status=OfferStatus.ACCEPTED, created_by=users["pm_entry"], created_at=at(-28, 10),
                      extended_at=at(-27, 15), responded_at=at(-24, 12))
        offer.full_clean()
        offer.save(force_insert=True)
        count += 1
    return count


def _development_plan(*, new_hire: Employee | None, users: dict[str, User],
                      today: dt.date) -> DevelopmentPlan | None:
    """The new coordinator's plan towards office manager (mid), made by her manager: the gap's steps (the
    preferred CAP, the months in role) and two of the manager's own, one already done."""
    if new_hire is None or new_hire.position is None or new_hire.position.next_position is None:
        return None
    target = new_hire.position.next_position
    starts_on, target_date = today - dt.timedelta(days=5), today + dt.timedelta(days=540)
    plan = DevelopmentPlan(employee=new_hire, target_position=target, title=f"Towards {target.title}",
                           starts_on=starts_on, target_date=target_date, created_by=users["pm_entry"],
                           note="Agreed at the first-week check-in.")
    plan.full_clean(validate_constraints=False)
    plan.save(force_insert=True)
    # The manager's own steps first (one done in the first week), then those that close the gap.
    steps = [
        DevelopmentPlanItem(plan=plan, order=0, kind=PlanItemKind.EXPERIENCE,
                            title="Shadow the North Hills office manager for a week",
                            due_on=today - dt.timedelta(days=1), done_on=today - dt.timedelta(days=2)),
        DevelopmentPlanItem(plan=plan, order=1, kind=PlanItemKind.EXPERIENCE,
                            title="Run the Cary staff schedule and timesheets for a month",
                            due_on=today + dt.timedelta(days=120)),
    ]
    steps += [DevelopmentPlanItem(plan=plan, order=index, kind=step.kind, title=step.title, due_on=step.due_on,
                                  credential_type=step.credential_type, course=step.course)
              for index, step in enumerate(propose_items(employee=new_hire, target=target, starts_on=starts_on,
                                                         target_date=target_date, today=today), start=2)]
    DevelopmentPlanItem.objects.bulk_create(steps)
    return plan
