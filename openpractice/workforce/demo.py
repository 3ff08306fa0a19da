"""Demo data for the workforce module: the Riverbend positions (org chart, career paths, required certifications,
pay ranges), an HR record for every demo user and for the clinicians on the schedule, pay history, credentials
(some expiring within 30/60/90 days, one lapsed physician licence so the booking flag shows), courses with
completed, open and two overdue trainings, onboarding and offboarding templates with one onboarding under way,
and one written warning; then hiring (requisitions, applicants, interviews, offers) and a development plan
(demo_hiring.py). Runs after billing (60/61).

Positions, credentials, pay, courses, trainings, checklists and the warning go through the workforce services as
the demo HR specialist (as the senior practice manager for the HR specialist's own record: nobody sets their own
pay or verifies their own credentials), so the demo carries the same checks and audit trail typed-in data does.
Employees are inserted directly (validated like a form) because linking accounts to HR records needs
users.manage, which no HR role holds, and the demo's test SSNs are outside the range the entry form accepts;
one summary audit event records them. Dates count back from the practice's today, so the demo looks the same
whenever it is created."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.services import record
from openpractice.core.models import Department, Location
from openpractice.core.seeding import seeder
from openpractice.core.selectors import practice_today
from openpractice.scheduling.models import Provider

from .choices import (
    ChecklistKind,
    DisciplineStep,
    Education,
    EmploymentType,
    FlsaStatus,
    PayBasis,
    TaskStatus,
    TrainingStatus,
    VerificationMethod,
)
from .demo_hiring import seed_hiring
from .models import Course, CredentialType, Employee, Position, TrainingAssignment
from .services import credentials, discipline, onboarding, pay, positions, training

A, H = PayBasis.ANNUAL, PayBasis.HOURLY
E = Education


@dataclass(frozen=True)
class DemoPosition:
    key: str
    title: str
    role: str
    tier: str
    department: str | None  # core.demo.DEPARTMENTS name
    location: str | None  # location code; None: practice-wide
    reports_to: str | None  # key of a position listed earlier
    next_position: str | None  # key of a position listed earlier
    education: str
    required: tuple[str, ...]  # CredentialType codes
    preferred: tuple[str, ...]
    months_before: int  # months in the previous role a promotion into this one asks for
    basis: str
    pay_min: str
    pay_max: str
    headcount: int
    duties: str


# Listed so that every reports-to and next-position points to a position created before it. One root (the
# practice administrator); the career path runs office manager entry -> mid -> experienced -> practice manager
# entry -> advanced -> senior, and the front desk leads into office coordinator.
POSITIONS: tuple[DemoPosition, ...] = (
    DemoPosition("pm_senior", "Practice Administrator", Role.PRACTICE_MANAGER, Tier.SENIOR, "Administration", None,
                 None, None, E.MASTER, ("CMPE",), ("CPPM",), 48, A, "82000.00", "105000.00", 1,
                 "Runs the whole practice across its three locations: finances, payer contracts, compliance, "
                 "staffing and the physicians' business affairs."),
    DemoPosition("pm_advanced", "Practice Manager", Role.PRACTICE_MANAGER, Tier.ADVANCED, "Administration", None,
                 "pm_senior", "pm_senior", E.BACHELOR, ("CPPM",), ("CMPE", "CMM"), 36, A, "62000.00", "82000.00", 1,
                 "Oversees personnel, the business office and daily operations of Downtown and North Hills."),
    DemoPosition("pm_entry", "Assistant Practice Manager", Role.PRACTICE_MANAGER, Tier.ENTRY, "Administration",
                 "cary", "pm_advanced", "pm_advanced", E.BACHELOR, (), ("CPPM", "CMM", "CEHRS"), 24, A,
                 "50000.00", "64000.00", 1, "Leads the operations of the Cary walk-in clinic."),
    DemoPosition("hr", "HR Specialist", Role.HR, Tier.STANDARD, "Human Resources", None, "pm_senior", None,
                 E.BACHELOR, (), (), 0, A, "52000.00", "66000.00", 1,
                 "Hiring, onboarding, HR records, credentials tracking, training compliance and payroll input."),
    DemoPosition("privacy", "Privacy & Compliance Officer", Role.PRIVACY_OFFICER, Tier.STANDARD, "Administration",
                 None, "pm_senior", None, E.BACHELOR, (), ("CEHRS",), 0, A, "60000.00", "78000.00", 1,
                 "HIPAA privacy and security program: risk analysis, policies, training content, incidents."),
    DemoPosition("it", "IT Administrator", Role.ADMINISTRATOR, Tier.STANDARD, "Administration", None,
                 "pm_senior", None, E.ASSOCIATE, (), ("MOS",), 0, A, "60000.00", "80000.00", 1,
                 "User accounts, workstations, backups and the practice's systems."),
    DemoPosition("physician", "Physician (Family Medicine)", Role.PROVIDER, Tier.STANDARD, None, None,
                 "pm_senior", None, E.DOCTORATE, ("MD-DO", "DEA", "BLS"), (), 0, A, "215000.00", "265000.00", 6,
                 "Sees patients at one or two locations; supervises the advanced-practice clinicians."),
    DemoPosition("np", "Family Nurse Practitioner", Role.PROVIDER, Tier.STANDARD, None, None, "pm_senior", None,
                 E.MASTER, ("RN", "DEA", "BLS"), (), 0, A, "105000.00", "130000.00", 1,
                 "Sees patients under the practice's collaborative agreement."),
    DemoPosition("om_experienced", "Senior Office Manager", Role.OFFICE_MANAGER, Tier.EXPERIENCED,
                 "Administration", None, "pm_advanced", "pm_entry", E.ASSOCIATE, (), ("CAP", "CMM"), 24, A,
                 "45000.00", "56000.00", 1,
                 "Responsible for the front offices and payroll input; supervises the office managers."),
    DemoPosition("om_mid", "Office Manager – North Hills", Role.OFFICE_MANAGER, Tier.MID,
                 "Front Office – North Hills", "north-hills", "om_experienced", "om_experienced", E.HIGH_SCHOOL,
                 (), ("CAP", "MOS"), 18, A, "38000.00", "47000.00", 1,
                 "Runs the North Hills office: staff schedules, supplies, timesheets."),
    DemoPosition("om_entry", "Office Coordinator – Cary", Role.OFFICE_MANAGER, Tier.ENTRY, "Front Office – Cary",
                 "cary", "pm_entry", "om_mid", E.HIGH_SCHOOL, (), ("MOS", "PACE"), 12, H, "18.00", "22.00", 1,
                 "Correspondence, staff support and the basic office needs of the Cary clinic."),
    DemoPosition("front_desk", "Patient Services Representative – Downtown", Role.FRONT_DESK, Tier.STANDARD,
                 "Front Office – Downtown", "downtown", "om_experienced", "om_entry", E.HIGH_SCHOOL, (), ("MOS",),
                 0, H, "16.50", "20.50", 3, "Check-in, check-out, scheduling, insurance cards and copays."),
    DemoPosition("front_desk_nh", "Patient Services Representative – North Hills", Role.FRONT_DESK,
                 Tier.STANDARD, "Front Office – North Hills", "north-hills", "om_mid", "om_entry", E.HIGH_SCHOOL,
                 (), ("MOS",), 0, H, "16.50", "20.50", 2,
                 "Check-in, check-out, scheduling, insurance cards and copays."),
    DemoPosition("biller", "Billing & Coding Specialist", Role.BILLER, Tier.STANDARD, "Business Office", None,
                 "pm_advanced", None, E.CERTIFICATE, (), ("CEHRS",), 0, H, "21.00", "28.00", 2,
                 "Charge entry, coding review, claims, remittances, denials and patient statements."),
    DemoPosition("rn_lead", "Clinical Nurse Lead", Role.CLINICAL_STAFF, Tier.STANDARD,
                 "Nursing & Clinical Support", None, "pm_advanced", None, E.ASSOCIATE, ("RN", "BLS"), (), 0, H,
                 "34.00", "42.00", 1, "Leads the nurses and medical assistants of the three locations."),
    DemoPosition("ma", "Medical Assistant", Role.CLINICAL_STAFF, Tier.STANDARD, "Nursing & Clinical Support",
                 None, "rn_lead", None, E.CERTIFICATE, ("BLS",), (), 0, H, "18.00", "23.00", 4,
                 "Rooms patients, vitals, injections, point-of-care tests."),
    DemoPosition("auditor", "Compliance Auditor (contract)", Role.AUDITOR, Tier.STANDARD, None, None, "privacy",
                 None, E.BACHELOR, (), (), 0, H, "60.00", "80.00", 1,
                 "External auditor engaged for the yearly billing and HIPAA audits; read-only access."),
)  # fmt: skip


@dataclass(frozen=True)
class DemoCredential:
    code: str
    number: str
    issued_days_ago: int
    expires_in_days: int | None = None  # from today (negative: expired); None: the catalog's renewal period
    verified: bool = True
    state: str = ""


@dataclass(frozen=True)
class DemoEmployee:
    number: str
    username: str | None  # accounts.demo.DEMO_PEOPLE username; None: no OpenPractice account
    first_name: str
    last_name: str
    position: str
    location: str
    manager: str | None  # employee number of someone listed earlier
    hired_days_ago: int
    education: str
    # Pay history, oldest first: (days ago, amount, reason); the first is the hiring rate.
    pay: tuple[tuple[int, str, str], ...]
    credentials: tuple[DemoCredential, ...] = ()
    provider: tuple[str, str] | None = None  # scheduling.Provider (first, last name)
    employment_type: str = EmploymentType.FULL_TIME
    hours_per_week: str = "40"
    in_position_days_ago: int | None = None  # None: since hire
    preferred_name: str = ""


def _c(code: str, number: str, issued: int, expires: int | None = None, verified: bool = True,
       state: str = "") -> DemoCredential:
    return DemoCredential(code, number, issued, expires, verified, state)


HIRED, RAISE, PROMOTED, MARKET = "Hired", "Annual merit increase", "Promotion", "Market adjustment"

# The expiring credentials: within 30 days (Tom Becker's BLS), 60 (Grace Holloway's RN licence, Helen Park's
# CEHRS), 90 (Marcus Bell's CPPM); Dr. Okafor's physician licence lapsed six days ago (the booking flag).
EMPLOYEES: tuple[DemoEmployee, ...] = (
    DemoEmployee("RB-1001", "pm_senior", "Dana", "Whitfield", "pm_senior", "downtown", None, 3310, E.MASTER,
                 ((3310, "78000.00", HIRED), (1480, "88000.00", PROMOTED), (390, "93500.00", RAISE)),
                 (_c("CMPE", "CMPE-20418", 700), _c("CMM", "CMM-118204", 200))),
    DemoEmployee("RB-1002", "pm_advanced", "Marcus", "Bell", "pm_advanced", "downtown", "RB-1001", 2240,
                 E.BACHELOR, ((2240, "64000.00", HIRED), (1100, "69500.00", RAISE), (370, "73000.00", RAISE)),
                 (_c("CPPM", "CPPM-0771532", 650, 80),)),
    DemoEmployee("RB-1013", "hr", "Rachel", "Kim", "hr", "downtown", "RB-1001", 1650, E.BACHELOR,
                 ((1650, "54000.00", HIRED), (920, "57500.00", RAISE), (360, "60500.00", RAISE))),
    DemoEmployee("RB-1014", "privacy", "Helen", "Park", "privacy", "downtown", "RB-1001", 1900, E.BACHELOR,
                 ((1900, "62000.00", HIRED), (500, "68000.00", RAISE)),
                 (_c("CEHRS", "CEHRS-5530917", 678, 52),)),
    DemoEmployee("RB-1015", "admin", "Sam", "Rivera", "it", "downtown", "RB-1001", 1200, E.ASSOCIATE,
                 ((1200, "62000.00", HIRED), (400, "66500.00", RAISE)),
                 (_c("MOS", "MOS-EX-42907", 1100, verified=False),)),
    DemoEmployee("RB-1003", "pm_entry", "Priya", "Raman", "pm_entry", "cary", "RB-1002", 1460, E.BACHELOR,
                 ((1460, "46000.00", HIRED), (610, "54000.00", PROMOTED), (240, "56500.00", RAISE)),
                 (_c("CMM", "CMM-120377", 250), _c("CEHRS", "CEHRS-5581246", 400)),
                 in_position_days_ago=610),
    DemoEmployee("RB-1004", "om_experienced", "Linda", "Ortiz", "om_experienced", "downtown", "RB-1002", 2800,
                 E.ASSOCIATE, ((2800, "41000.00", HIRED), (1300, "47000.00", PROMOTED), (350, "51000.00", RAISE)),
                 (_c("CAP", "CAP-2019-08841", 1500),), in_position_days_ago=1300),
    DemoEmployee("RB-1005", "om_mid", "Kevin", "Osei", "om_mid", "north-hills", "RB-1004", 1000, E.HIGH_SCHOOL,
                 ((1000, "39000.00", HIRED), (380, "42000.00", RAISE)),
                 (_c("MOS", "MOS-EX-51822", 900),)),
    DemoEmployee("RB-1007", "frontdesk", "Maria", "Gonzalez", "front_desk", "downtown", "RB-1004", 900,
                 E.HIGH_SCHOOL, ((900, "17.25", HIRED), (540, "18.00", RAISE), (175, "18.75", RAISE))),
    DemoEmployee("RB-1008", "biller", "James", "Carter", "biller", "downtown", "RB-1002", 1750, E.CERTIFICATE,
                 ((1750, "22.00", HIRED), (1020, "23.50", RAISE), (290, "25.25", MARKET)),
                 (_c("CEHRS", "CEHRS-5519003", 420),)),
    DemoEmployee("RB-1009", "provider", "Aisha", "Mensah", "physician", "downtown", "RB-1001", 1280, E.DOCTORATE,
                 ((1280, "224000.00", HIRED), (550, "236000.00", RAISE)),
                 (_c("MD-DO", "2019-01884", 420, state="NC"), _c("DEA", "", 800, state="NC"),
                  _c("BLS", "BLS-AHA-7712093", 300)),
                 provider=("Aisha", "Mensah")),
    DemoEmployee("RB-1020", None, "Maya", "Chen", "physician", "downtown", "RB-1001", 2600, E.DOCTORATE,
                 ((2600, "218000.00", HIRED), (1200, "232000.00", RAISE), (410, "241000.00", RAISE)),
                 (_c("MD-DO", "2013-00417", 500, state="NC"), _c("DEA", "", 600, state="NC"),
                  _c("BLS", "BLS-AHA-6620418", 420)),
                 provider=("Maya", "Chen")),
    DemoEmployee("RB-1021", None, "Robert", "Okafor", "physician", "downtown", "RB-1001", 2150, E.DOCTORATE,
                 ((2150, "216000.00", HIRED), (700, "229000.00", RAISE)),
                 (_c("MD-DO", "2015-01272", 736, -6, state="NC"), _c("DEA", "", 500, state="NC"),
                  _c("BLS", "BLS-AHA-6698135", 260)),
                 provider=("Robert", "Okafor")),
    DemoEmployee("RB-1022", None, "Lucia", "Alvarez", "physician", "north-hills", "RB-1001", 1550, E.DOCTORATE,
                 ((1550, "221000.00", HIRED), (480, "233000.00", RAISE)),
                 (_c("MD-DO", "2017-00935", 200, state="NC"), _c("DEA", "", 950, state="NC"),
                  _c("BLS", "BLS-AHA-7108862", 150)),
                 provider=("Lucia", "Alvarez")),
    DemoEmployee("RB-1023", None, "Daniel", "Brooks", "physician", "cary", "RB-1001", 820, E.DOCTORATE,
                 ((820, "226000.00", HIRED),),
                 (_c("MD-DO", "2020-02216", 340, state="NC"), _c("DEA", "", 820, state="NC"),
                  _c("BLS", "BLS-AHA-7350490", 500)),
                 provider=("Daniel", "Brooks")),
    DemoEmployee("RB-1024", None, "James", "Whitfield", "np", "north-hills", "RB-1001", 1300, E.MASTER,
                 ((1300, "108000.00", HIRED), (560, "116000.00", RAISE)),
                 (_c("RN", "NC-RN-238814", 610, state="NC"), _c("DEA", "", 700, state="NC"),
                  _c("BLS", "BLS-AHA-7001555", 350)),
                 provider=("James", "Whitfield"), preferred_name="Jim"),
    DemoEmployee("RB-1030", None, "Grace", "Holloway", "rn_lead", "north-hills", "RB-1002", 2050, E.ASSOCIATE,
                 ((2050, "33.00", HIRED), (1000, "36.50", RAISE), (300, "38.75", RAISE)),
                 (_c("RN", "NC-RN-201557", 682, 48, state="NC"), _c("BLS", "BLS-AHA-6951220", 230))),
    DemoEmployee("RB-1010", "clinical", "Tom", "Becker", "ma", "north-hills", "RB-1030", 760, E.CERTIFICATE,
                 ((760, "19.25", HIRED), (340, "20.25", RAISE)),
                 (_c("BLS", "BLS-AHA-5902377", 710, 21, verified=False),)),
    DemoEmployee("RB-1031", None, "Andre", "Lewis", "ma", "downtown", "RB-1030", 430, E.CERTIFICATE,
                 ((430, "18.50", HIRED),),
                 (_c("BLS", "BLS-ARC-00GX81", 420),)),
    DemoEmployee("RB-1032", None, "Keisha", "Boyd", "front_desk_nh", "north-hills", "RB-1005", 610,
                 E.HIGH_SCHOOL, ((610, "17.00", HIRED), (245, "17.75", RAISE)),
                 employment_type=EmploymentType.PART_TIME, hours_per_week="24"),
    DemoEmployee("RB-1016", "auditor", "Victor", "Lang", "auditor", "downtown", "RB-1014", 400, E.BACHELOR,
                 ((400, "72.00", HIRED),), employment_type=EmploymentType.CONTRACTOR, hours_per_week="8"),
    # The recent hire: onboarding under way, HIPAA training still open (not yet due).
    DemoEmployee("RB-1006", "om_entry", "Sophie", "Tran", "om_entry", "cary", "RB-1003", 10, E.ASSOCIATE,
                 ((10, "19.50", HIRED),), (_c("MOS", "MOS-EX-60311", 500, verified=False),)),
)  # fmt: skip

COURSES: tuple[dict[str, Any], ...] = (
    {"code": "HIPAA-PS", "title": "HIPAA privacy and security awareness", "is_hipaa": True, "recurrence_months": 12,
     "due_within_days": 30, "hours": Decimal("1.50"), "provider_name": "Riverbend compliance office",
     "description": "The practice's privacy and security policies, minimum necessary, phishing, reporting "
                    "incidents (45 CFR 164.308(a)(5)). Yearly for everyone."},
    {"code": "OSHA-BBP", "title": "OSHA bloodborne pathogens", "recurrence_months": 12, "due_within_days": 30,
     "hours": Decimal("1.00"), "provider_name": "Riverbend clinical lead",
     "description": "Exposure control plan, sharps, PPE, hepatitis B vaccination (29 CFR 1910.1030). Yearly for "
                    "everyone with occupational exposure."},
    {"code": "BLS-RENEW", "title": "BLS provider renewal", "recurrence_months": 24, "due_within_days": 60,
     "hours": Decimal("4.00"), "provider_name": "American Heart Association training center",
     "description": "Instructor-led BLS renewal with skills check.", "prepares_for": ("BLS",)},
    {"code": "CPPM-PREP", "title": "CPPM exam preparation", "due_within_days": 180, "hours": Decimal("40.00"),
     "provider_name": "AAPC", "description": "Online course covering the CPPM exam domains.",
     "prepares_for": ("CPPM",)},
)  # fmt: skip

CLINICAL_POSITIONS = frozenset({"physician", "np", "rn_lead", "ma"})

# (title, done by, due days from the first day, course code)
ONBOARDING_ITEMS: tuple[tuple[str, str, int, str | None], ...] = (
    ("Prepare workstation, badge and keys", "office", -2, None),
    ("Create the OpenPractice account with the position's role; set up the authenticator", "it", -1, None),
    ("Complete Form W-4 and the direct deposit form", "employee", 0, None),
    ("Verify identity and work authorization (Form I-9, section 2)", "hr", 3, None),
    ("Sign the confidentiality agreement and acknowledge the HIPAA policies", "employee", 1, None),
    ("Walk through the job duties and the 90-day goals", "manager", 7, None),
    ("Complete HIPAA privacy and security awareness training", "employee", 14, "HIPAA-PS"),
    ("30-day check-in", "manager", 30, None),
)
OFFBOARDING_ITEMS: tuple[tuple[str, str, int, str | None], ...] = (
    ("Exit interview", "hr", -3, None),
    ("Disable the OpenPractice account and remove remote access", "it", 0, None),
    ("Collect badge, keys, laptop and phone", "office", 0, None),
    ("Final paycheck on the next regular payday (NC Wage and Hour Act)", "hr", 0, None),
    ("Remove from payer rosters and the schedule", "manager", 7, None),
)

# Bank details: the Federal Reserve Bank of Boston's routing number (passes the ABA check, serves no consumer
# account) and made-up account numbers.
DEMO_ROUTING = "011000015"


def _demo_ssn(index: int) -> str:
    """A well-formed test SSN: area 9xx is never issued as an SSN, and group 01-49 is outside the ITIN groups,
    so no demo record can hold a real person's number."""
    return f"9{(index * 37 + 11) % 100:02d}-{index % 49 + 1:02d}-{(index * 7919 + 1234) % 9000 + 1000:04d}"


def _dea_number(registrant: str, last_name: str, digits: str) -> str:
    """A DEA registration number with a valid check digit: (d1+d3+d5) + 2*(d2+d4+d6), last digit."""
    d = [int(ch) for ch in digits]
    check = (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10
    return f"{registrant}{last_name[0].upper()}{digits}{check}"


def _actor_for(employee: Employee, hr: User, senior: User) -> User:
    """HR acts on everyone's record but their own, which the senior practice manager handles."""
    return senior if employee.user_id == hr.pk else hr


@seeder(70)
def seed_workforce(context: dict[str, Any]) -> None:
    users: dict[str, User] = context.get("users") or {}
    hr, senior = users.get("hr"), users.get("pm_senior")
    if hr is None or senior is None:
        return
    report = context.setdefault("report", [])
    if Employee.objects.filter(employee_number__in=[e.number for e in EMPLOYEES]).exists():
        report.append("workforce: already seeded, nothing added")
        return
    today = practice_today()
    locations: dict[str, Location] = context["locations"]
    departments = {d.name: d for d in Department.objects.all()}
    catalog = {t.code: t for t in CredentialType.objects.all()}

    built = _positions(hr=hr, locations=locations, departments=departments, catalog=catalog)
    employees = _employees(actor=hr, users=users, built=built, locations=locations, today=today)
    rates = 0
    for spec in EMPLOYEES:
        employee = employees[spec.number]
        actor = _actor_for(employee, hr, senior)
        for days_ago, amount, reason in spec.pay:
            pay.pay_rate_add(actor=actor, employee=employee, effective_from=today - dt.timedelta(days=days_ago),
                             basis=built[spec.position].pay_basis, amount=amount,
                             hours_per_week=Decimal(spec.hours_per_week), reason=reason)
            rates += 1
    held = _credentials(hr=hr, senior=senior, employees=employees, catalog=catalog, today=today)
    courses = _courses(hr=hr, catalog=catalog)
    _trainings(hr=hr, senior=senior, employees=employees, courses=courses, today=today)
    _checklists(hr=hr, employees=employees, courses=courses)
    discipline.discipline_issue(
        actor=hr, employee=employees["RB-1007"], step=DisciplineStep.WRITTEN, occurred_on=today - dt.timedelta(days=9),
        policy="Attendance and punctuality (Employee handbook 4.2)",
        facts="Late for the 8:00 opening of the Downtown front desk on five days in the last four weeks, twice "
              "without calling in; patients waited at a closed check-in window. A verbal reminder was given on "
              "the second occasion.",
        expectations="Arrive by 7:50 to open check-in; call the office manager before 7:30 when running late. "
                     "Punctuality is reviewed at the follow-up; another unexcused late start may lead to a final "
                     "warning.",
        follow_up_dates=[today + dt.timedelta(days=21)],
    )
    overdue = TrainingAssignment.objects.filter(status=TrainingStatus.ASSIGNED, due_on__lt=today).count()
    report.append(f"{len(built)} positions, {len(employees)} employees, {rates} pay rates, {held} credentials, "
                  f"{len(courses)} courses ({overdue} trainings overdue), onboarding for 1 new hire")
    seed_hiring(context)


def _positions(*, hr: User, locations: dict[str, Location], departments: dict[str, Department],
               catalog: dict[str, CredentialType]) -> dict[str, Position]:
    built: dict[str, Position] = {}
    for spec in POSITIONS:
        built[spec.key] = positions.position_create(actor=hr, data={
            "title": spec.title, "role": spec.role, "tier": spec.tier,
            "department": departments[spec.department] if spec.department else None,
            "location": locations[spec.location] if spec.location else None,
            "reports_to": built[spec.reports_to] if spec.reports_to else None,
            "next_position": built[spec.next_position] if spec.next_position else None,
            "required_education": spec.education, "min_months_in_previous_role": spec.months_before,
            "pay_basis": spec.basis, "pay_min": Decimal(spec.pay_min), "pay_max": Decimal(spec.pay_max),
            "headcount": spec.headcount, "description": spec.duties,
            "required_certifications": [catalog[code] for code in spec.required],
            "preferred_certifications": [catalog[code] for code in spec.preferred],
        })
    return built


def _employees(*, actor: User, users: dict[str, User], built: dict[str, Position], locations: dict[str, Location],
               today: dt.date) -> dict[str, Employee]:
    providers = {(p.first_name, p.last_name): p for p in Provider.objects.all()}
    employees: dict[str, Employee] = {}
    for index, spec in enumerate(EMPLOYEES):
        user = users.get(spec.username) if spec.username else None
        position = built[spec.position]
        hired = today - dt.timedelta(days=spec.hired_days_ago)
        salaried = position.pay_basis == PayBasis.ANNUAL
        employee = Employee(
            employee_number=spec.number, user=user, first_name=spec.first_name, last_name=spec.last_name,
            preferred_name=spec.preferred_name,
            email=user.email if user else f"{spec.first_name}.{spec.last_name}@riverbend.example".lower(),
            phone=f"919-555-{150 + index:04d}",  # 555-0100..0199: numbers reserved for fiction
            date_of_birth=dt.date(1962 + (index * 7) % 38, index % 12 + 1, (index * 5) % 27 + 1),
            ssn=_demo_ssn(index), bank_routing_number=DEMO_ROUTING,
            bank_account_number=f"{4000 + index * 173:04d}{(index * 97 + 31) % 10000:04d}",
            address_line1=f"{100 + index * 37} {('Oak', 'Hillsborough', 'Glenwood', 'Wade', 'Kildaire')[index % 5]} "
                          f"{('Street', 'Avenue', 'Lane')[index % 3]}",
            city=("Raleigh", "Cary", "Garner", "Apex")[index % 4], state="NC",
            postal_code=("27603", "27511", "27529", "27502")[index % 4],
            emergency_contact=f"{('Spouse', 'Parent', 'Sibling', 'Partner')[index % 4]} — 984-555-{150 + index:04d}",
            position=position,
            position_since=today - dt.timedelta(days=spec.in_position_days_ago or spec.hired_days_ago),
            location=locations[spec.location], manager=employees[spec.manager] if spec.manager else None,
            provider=providers.get(spec.provider) if spec.provider else None,
            employment_type=spec.employment_type,
            # The salaried positions here are administrative or professional (exempt); hourly staff earn overtime.
            flsa_status=FlsaStatus.EXEMPT if salaried else FlsaStatus.NON_EXEMPT,
            education=spec.education, hire_date=hired,
            pto_hours_per_year=Decimal("0") if spec.employment_type == EmploymentType.CONTRACTOR
            else Decimal("160") if spec.hired_days_ago > 5 * 365 else Decimal("120"),
        )
        employee.full_clean()
        employee.save(force_insert=True)
        employees[spec.number] = employee
    record(actor=actor, action="workforce.demo_seeded", object_type="workforce.employee",
           changed_fields=["employees"], reason=f"{len(employees)} employees")
    return employees


def _credentials(*, hr: User, senior: User, employees: dict[str, Employee], catalog: dict[str, CredentialType],
                 today: dt.date) -> int:
    held = 0
    for spec in EMPLOYEES:
        employee = employees[spec.number]
        actor = _actor_for(employee, hr, senior)
        for index, cred in enumerate(spec.credentials):
            issued = today - dt.timedelta(days=cred.issued_days_ago)
            number = cred.number or _dea_number("F" if spec.position == "physician" else "M", spec.last_name,
                                                f"{(int(spec.number[3:]) * 7919 + index) % 1_000_000:06d}")
            data: dict[str, Any] = {"credential_type": catalog[cred.code], "number": number, "state": cred.state,
                                    "issued_on": issued}
            if cred.expires_in_days is not None:
                data["expires_on"] = today + dt.timedelta(days=cred.expires_in_days)
            credentials.credential_add(
                actor=actor, employee=employee, data=data,
                verification_method=VerificationMethod.PRIMARY_SOURCE if cred.verified else "",
                verification_note="Checked on the issuer's online lookup." if cred.verified else "")
            held += 1
    return held


def _courses(*, hr: User, catalog: dict[str, CredentialType]) -> dict[str, Course]:
    courses: dict[str, Course] = {}
    for spec in COURSES:
        data = {key: value for key, value in spec.items() if key != "prepares_for"}
        course = training.course_create(actor=hr, data=data)
        # Not a field course_create takes: the career-path link to the credential the course prepares for.
        course.prepares_for.set([catalog[code] for code in spec.get("prepares_for", ())])
        courses[course.code] = course
    return courses


def _trainings(*, hr: User, senior: User, employees: dict[str, Employee], courses: dict[str, Course],
               today: dt.date) -> None:
    def complete(employee: Employee, course: Course, completed_days_ago: int) -> None:
        actor = _actor_for(employee, hr, senior)
        done = today - dt.timedelta(days=completed_days_ago)
        assigned = done - dt.timedelta(days=12)
        result = training.training_assign(actor=actor, course=course, employee=employee, assigned_on=assigned)
        training.training_complete(actor=actor, assignment=result.created[0], completed_on=done)

    def assign(employee: Employee, course: Course, assigned_days_ago: int, due_in_days: int) -> None:
        training.training_assign(actor=_actor_for(employee, hr, senior), course=course, employee=employee,
                                 assigned_on=today - dt.timedelta(days=assigned_days_ago),
                                 due_on=today + dt.timedelta(days=due_in_days))

    hipaa, osha = courses["HIPAA-PS"], courses["OSHA-BBP"]
    for index, spec in enumerate(EMPLOYEES):
        employee = employees[spec.number]
        if spec.number == "RB-1006":  # the new hire: assigned on the first day, due within the course's 30 days
            assign(employee, hipaa, spec.hired_days_ago, hipaa.due_within_days - spec.hired_days_ago)
        elif spec.number == "RB-1005":
            # Completed 380 days ago: the yearly renewal the completion created fell due 15 days ago (overdue).
            complete(employee, hipaa, 380)
        else:
            complete(employee, hipaa, 25 + (index * 41) % 300)
        if spec.position in CLINICAL_POSITIONS:
            if spec.number == "RB-1031":  # overdue: assigned at the yearly refresher, due three weeks ago
                assign(employee, osha, 52, -22)
            else:
                complete(employee, osha, 40 + (index * 29) % 250)
    # Tom Becker's BLS expires in three weeks: the renewal class is booked before then.
    assign(employees["RB-1010"], courses["BLS-RENEW"], 10, 14)
    # Priya Raman works towards the CPPM her next position asks for.
    assign(employees["RB-1003"], courses["CPPM-PREP"], 60, 120)


def _checklists(*, hr: User, employees: dict[str, Employee], courses: dict[str, Course]) -> None:
    for name, kind, items in (("New hire onboarding", ChecklistKind.ONBOARDING, ONBOARDING_ITEMS),
                              ("Offboarding", ChecklistKind.OFFBOARDING, OFFBOARDING_ITEMS)):
        template = onboarding.template_create(actor=hr, name=name, kind=kind)
        for title, owner_role, due_days, course_code in items:
            onboarding.template_item_add(actor=hr, template=template, data={
                "title": title, "owner_role": owner_role, "due_days": due_days,
                "course": courses[course_code] if course_code else None})
    new_hire = employees["RB-1006"]
    checklist = onboarding.checklist_start(actor=hr, employee=new_hire, kind=ChecklistKind.ONBOARDING,
                                           starts_on=new_hire.hire_date)
    # The first days' tasks are done; the walk-through of duties (day 7) is late, the rest lies ahead.
    for task in checklist.tasks.filter(due_on__lte=new_hire.hire_date + dt.timedelta(days=3)).order_by("order"):
        onboarding.task_set_status(actor=hr, task=task, status=TaskStatus.DONE)
