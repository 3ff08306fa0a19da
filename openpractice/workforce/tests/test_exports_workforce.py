"""Every workforce list exports (?export=csv|xlsx) exactly the rows its page shows for the same filters and no more
than the page shows that role (no pay on lists without pay, no identifiers); confidential rows stay audited as on
the pages (each disciplinary action, each employee's pay); a person who cannot open a list cannot export it (404,
nothing recorded); the big lists export in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.core.tests import export_cases
from openpractice.core.tests.export_cases import (
    Case,
    assert_export_refused,
    assert_exports_match_page,
    export_sizes_at_fixed_queries,
    table_rows,
)
from openpractice.core.tests.exports import export_rows
from openpractice.workforce.choices import (
    DisciplineStatus,
    EmployeeStatus,
    OfferStatus,
    PlanStatus,
    PtoStatus,
    TimeKind,
    TrainingStatus,
)
from openpractice.workforce.models import (
    Checklist,
    DevelopmentPlan,
    PayBenchmark,
    PayPeriod,
    PayRate,
    PtoRequest,
    ScorecardCriterion,
    TimeEntry,
)

from .factories import CourseFactory, CredentialTypeFactory, EmployeeCredentialFactory, EmployeeFactory, PositionFactory
from .factories_employees import ChecklistTemplateFactory
from .factories_hiring import RequisitionFactory
from .factories_training import DisciplinaryActionFactory, TrainingAssignmentFactory
from .route_samples_offers import interviewing_applicant, make_offer

pytestmark = pytest.mark.django_db


class World(export_cases.World):
    def staff(self, last_name: str, location: Location | None = None, **fields: Any) -> Any:
        return EmployeeFactory(last_name=last_name, location=location or self.north, **fields)


def _context(name: str) -> Callable[[Any], Sequence[Any]]:
    return lambda context: list(context[name])


def _employees(w: World) -> Case:
    w.staff("Adams", position=PositionFactory(title="Receptionist"))
    w.staff("Baker", manager=w.staff("Zimmer"))
    w.staff("Gone", status=EmployeeStatus.TERMINATED, termination_date=dt.date(2025, 1, 31))
    w.staff("Southey", w.south)
    return Case(reverse("workforce:employee_list"), {"sort": "name"}, table_rows,
                ("Last name", "Number", "Position", "Manager"),
                lambda e: (e.last_name, e.employee_number, e.position.title if e.position else "",
                           e.manager.display_name if e.manager else ""),
                hidden=[("Gone",), ("Southey",)])


def _credential_types(w: World) -> Case:
    CredentialTypeFactory(code="BLS", name="Basic life support")
    CredentialTypeFactory(code="BLS-I", name="BLS instructor")
    CredentialTypeFactory(code="CMPE", name="Certified medical practice executive")
    return Case(reverse("workforce:credential_type_list"), {"q": "bls", "sort": "code"}, table_rows,
                ("Code", "Name"), lambda t: (t.code, t.name), hidden=[("CMPE",)])


def _expiring(w: World) -> Case:
    today = practice_today()
    for name, days in (("Soon", 20), ("Late", -3), ("Later", 400)):
        EmployeeCredentialFactory(employee=w.staff(name), expires_on=today + dt.timedelta(days=days))
    return Case(reverse("workforce:credential_expiring"), {}, table_rows, ("Employee", "Expires", "Status"),
                lambda c: (c.employee.display_name, c.expires_on.isoformat(),
                           "Expired" if c.days_left < 0 else f"{c.days_left} days left"), count=2)


def _discipline(w: World) -> Case:
    for name in ("Late", "Rude"):
        DisciplinaryActionFactory(employee=w.staff(name), policy=f"{name} policy")
    DisciplinaryActionFactory(employee=w.staff("Closed"), policy="Closed policy",
                              status=DisciplineStatus.CLOSED_IMPROVED)
    return Case(reverse("workforce:discipline_list"), {"status": "open", "sort": "employee"}, table_rows,
                ("Employee", "Policy", "Step"),
                lambda a: (a.employee.display_name, a.policy, a.get_step_display()), count=2)


def _my_discipline(w: World) -> Case:
    nurse = w.make_user(Role.CLINICAL_STAFF, locations=[w.north])
    me = w.staff("Myself", user=nurse)
    DisciplinaryActionFactory(employee=me, policy="Attendance")
    DisciplinaryActionFactory(employee=me, policy="Dress code", occurred_on=dt.date(2025, 6, 1))
    DisciplinaryActionFactory(employee=w.staff("Other"), policy="Not mine")
    return Case(reverse("workforce:discipline_mine"), {}, _context("actions"), ("Date", "Policy"),
                lambda a: (a.occurred_on.isoformat(), a.policy), hidden=[("2025-05-02", "Not mine")], user=nurse)


def _offers(w: World) -> Case:
    for name, status in (("Ava", OfferStatus.DRAFT), ("Ben", OfferStatus.EXTENDED), ("Cal", OfferStatus.DECLINED)):
        make_offer(interviewing_applicant(w.north, last_name=name), status=status)
    return Case(reverse("workforce:offer_list"), {"sort": "name"}, table_rows, ("Applicant", "Position", "Status"),
                lambda o: (o.applicant.display_name, o.applicant.requisition.position.title, o.get_status_display()),
                count=2)


def _requisitions(w: World) -> Case:
    RequisitionFactory(location=w.north, position=PositionFactory(title="Biller"))
    RequisitionFactory(location=w.north, position=PositionFactory(title="Nurse"))
    RequisitionFactory(location=w.south, position=PositionFactory(title="South nurse"))
    return Case(reverse("workforce:requisition_list"), {"sort": "position"}, table_rows,
                ("Number", "Position", "Location"), lambda r: (r.reference, r.position.title, r.location.name),
                count=2)


def _positions(w: World) -> Case:
    PositionFactory(title="Biller", location=w.north)
    PositionFactory(title="Coder")
    PositionFactory(title="Old job", is_active=False)
    return Case(reverse("workforce:position_list"), {"q": "er", "sort": "title"}, table_rows, ("Title", "Location"),
                lambda p: (p.title, p.location.name if p.location else "Every location"), hidden=[("Old job",)])


def _time_entries(w: World) -> Case:
    adams, baker = w.staff("Adams"), w.staff("Baker")
    for employee, day, kind in ((adams, 3, TimeKind.WORKED), (baker, 4, TimeKind.WORKED), (adams, 5, TimeKind.PTO)):
        TimeEntry.objects.create(employee=employee, work_date=dt.date(2025, 3, day), kind=kind, source="weekly",
                                 hours=Decimal("7.25"), note=f"day {day}", created_by=w.user)
    return Case(reverse("workforce:timesheet_list"), {"kind": TimeKind.WORKED, "sort": "date"}, table_rows,
                ("Date", "Employee", "Hours", "Note"),
                lambda t: (t.work_date.isoformat(), t.employee.display_name, "7.25", t.note), hidden=[("2025-03-05",)])


def _training(w: World) -> Case:
    course = CourseFactory(title="HIPAA basics")
    TrainingAssignmentFactory(employee=w.staff("Adams"), course=course)
    TrainingAssignmentFactory(employee=w.staff("Baker"), course=course)
    TrainingAssignmentFactory(employee=w.staff("Done"), course=course, status=TrainingStatus.COMPLETED,
                              completed_on=dt.date(2025, 1, 20))
    return Case(reverse("workforce:training_list"), {"status": TrainingStatus.ASSIGNED, "sort": "employee"}, table_rows,
                ("Employee", "Course", "Due", "Status"),
                lambda a: (a.employee.display_name, a.course.title, a.due_on.isoformat(), a.get_status_display()),
                count=2)


def _overdue(w: World) -> Case:
    TrainingAssignmentFactory(employee=w.staff("Late"), due_on=practice_today() - dt.timedelta(days=3))
    TrainingAssignmentFactory(employee=w.staff("Later"), due_on=practice_today() - dt.timedelta(days=1))
    TrainingAssignmentFactory(employee=w.staff("Early"), due_on=practice_today() + dt.timedelta(days=9))
    return Case(reverse("workforce:training_overdue"), {}, table_rows, ("Employee", "Due", "Overdue"),
                lambda a: (a.employee.display_name, a.due_on.isoformat(), "yes"), count=2)


def _courses(w: World) -> Case:
    CourseFactory(code="HIPAA-1", title="HIPAA basics", is_hipaa=True)
    CourseFactory(code="OSHA-1", title="Bloodborne pathogens")
    return Case(reverse("workforce:course_list"), {}, table_rows, ("Title", "Code", "HIPAA"),
                lambda c: (c.title, c.code, "yes" if c.is_hipaa else "no"))


def _my_training(w: World) -> Case:
    nurse = w.make_user(Role.CLINICAL_STAFF, locations=[w.north])
    me = w.staff("Myself", user=nurse)
    TrainingAssignmentFactory(employee=me, course=CourseFactory(title="Fire safety"))
    TrainingAssignmentFactory(employee=me, course=CourseFactory(title="HIPAA"), status=TrainingStatus.COMPLETED,
                              completed_on=dt.date(2025, 1, 20))
    TrainingAssignmentFactory(employee=w.staff("Other"), course=CourseFactory(title="Not mine"))
    return Case(reverse("workforce:training_mine"), {}, _context("assignments"), ("Course", "Status"),
                lambda a: (a.course.title, a.get_status_display()), hidden=[("Not mine",)], user=nurse)


def _plans(w: World) -> Case:
    start = dt.date(2025, 1, 6)
    for name, status in (("Adams", PlanStatus.ACTIVE), ("Baker", PlanStatus.ACTIVE), ("Done", PlanStatus.COMPLETED)):
        DevelopmentPlan.objects.create(employee=w.staff(name), title=f"Plan for {name}", starts_on=start,
                                       target_date=start + dt.timedelta(days=365), created_by=w.user, status=status)
    return Case(reverse("workforce:devplan_list"), {}, _context("plans"), ("Employee", "Plan", "Steps"),
                lambda p: (p.employee.display_name, p.title, str(p.item_count)), hidden=[("Done",)], count=2)


def _checklists(w: World) -> Case:
    for name, done in (("Adams", False), ("Baker", False), ("Done", True)):
        Checklist.objects.create(employee=w.staff(name), kind="onboarding", starts_on=dt.date(2025, 2, 3),
                                 created_by=w.user, completed_at=dt.datetime(2025, 3, 1, tzinfo=dt.UTC) if done else None)
    return Case(reverse("workforce:checklist_list"), {}, _context("checklists"), ("Employee", "Kind", "Tasks"),
                lambda c: (c.employee.display_name, c.get_kind_display(), str(c.task_count)), count=2)


def _templates(w: World) -> Case:
    ChecklistTemplateFactory(name="New nurse", position=PositionFactory(title="Nurse"))
    ChecklistTemplateFactory(name="Leaving", kind="offboarding")
    return Case(reverse("workforce:template_list"), {}, _context("templates"), ("Name", "Position"),
                lambda t: (t.name, t.position.title if t.position else "Every position"))


def _criteria(w: World) -> Case:
    ScorecardCriterion.objects.create(name="Bedside manner", position=PositionFactory(title="Nurse"), order=1)
    ScorecardCriterion.objects.create(name="Punctuality", order=2, is_active=False)
    return Case(reverse("workforce:criterion_list"), {}, _context("criteria"), ("Criterion", "Applies to"),
                lambda c: (c.name, c.position.title if c.position else "Every position"))


def _benchmarks(w: World) -> Case:
    for title, median in (("Office manager", "38800.50"), ("Practice manager", "63100.50")):
        PayBenchmark.objects.create(title=title, percentile_10=Decimal("28200.50"), median=Decimal(median),
                                    percentile_90=Decimal("88000.50"), source="Payscale", as_of=dt.date(2022, 6, 1))
    return Case(reverse("workforce:benchmark_list"), {}, _context("benchmarks"), ("Job title", "Source", "As of"),
                lambda b: (b.title, b.source, b.as_of.isoformat()))


def _compa(w: World) -> Case:
    position = PositionFactory(title="Receptionist", pay_basis="hourly", pay_min=Decimal("15"),
                               pay_max=Decimal("21"))
    for name, amount in (("Adams", "17.25"), ("Baker", "19.75")):
        PayRate.objects.create(employee=w.staff(name, position=position), effective_from=dt.date(2025, 1, 1),
                               basis="hourly", amount=amount, hours_per_week=Decimal("40"), created_by=w.user)
    PayRate.objects.create(employee=w.staff("Southey", w.south, position=position), effective_from=dt.date(2025, 1, 1),
                           basis="hourly", amount="30.25", hours_per_week=Decimal("40"), created_by=w.user)

    def rows(context: Any) -> list[Any]:
        return [row for group in context["groups"] for row in group.rows]

    return Case(reverse("workforce:compa_ratio_report"), {}, rows, ("Employee", "Current rate"),
                lambda row: (row.employee.display_name, f"{row.amount:.2f}"), count=2)


def _pto(w: World) -> Case:
    for name, status in (("Adams", PtoStatus.PENDING), ("Baker", PtoStatus.PENDING), ("Done", PtoStatus.APPROVED)):
        PtoRequest.objects.create(employee=w.staff(name), starts_on=dt.date(2025, 7, 1), ends_on=dt.date(2025, 7, 2),
                                  hours=16, created_by=w.user, status=status, reason=f"{name} trip")
    return Case(reverse("workforce:pto_list"), {"status": PtoStatus.PENDING}, _context("requests"),
                ("Employee", "From", "Note"), lambda p: (p.employee.display_name, p.starts_on.isoformat(), p.reason),
                count=2)


def _periods(w: World) -> Case:
    PayPeriod.objects.create(starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2025, 1, 14))
    PayPeriod.objects.create(starts_on=dt.date(2025, 1, 15), ends_on=dt.date(2025, 1, 28))
    return Case(reverse("workforce:payperiod_list"), {}, _context("periods"), ("Starts", "Ends", "Status"),
                lambda p: (p.starts_on.isoformat(), p.ends_on.isoformat(), p.get_status_display()))


CASES: dict[str, Callable[[World], Case]] = {
    "employees": _employees, "credential catalog": _credential_types, "expiring credentials": _expiring,
    "discipline": _discipline, "my discipline": _my_discipline, "offers": _offers, "requisitions": _requisitions,
    "positions": _positions, "time entries": _time_entries, "training": _training, "overdue training": _overdue,
    "courses": _courses, "my training": _my_training, "development plans": _plans, "checklists": _checklists,
    "checklist templates": _templates, "criteria": _criteria, "benchmarks": _benchmarks, "compa-ratios": _compa,
    "PTO requests": _pto, "pay periods": _periods,
}
# Lists any signed-in person opens (their own records, the plans they manage): no role to refuse.
OWN_LISTS = ("my discipline", "my training", "development plans")


@pytest.fixture
def world(make_user: Callable[..., User], north: Location, south: Location) -> World:
    return World(user=make_user(Role.HR, locations=[north], username="hr"), north=north, south=south,
                 make_user=make_user)


@pytest.mark.parametrize("name", list(CASES))
def test_each_list_exports_exactly_the_rows_its_page_shows_as_csv_and_xlsx(
        name: str, world: World, signed_in: Callable[[User], Client]) -> None:
    assert_exports_match_page(CASES[name](world), world, signed_in)


@pytest.mark.parametrize(("name", "role", "tier"), [
    ("employees", Role.FRONT_DESK, Tier.STANDARD), ("credential catalog", Role.BILLER, Tier.STANDARD),
    ("expiring credentials", Role.PRIVACY_OFFICER, Tier.STANDARD),
    ("discipline", Role.OFFICE_MANAGER, Tier.EXPERIENCED), ("offers", Role.PRACTICE_MANAGER, Tier.ENTRY),
    ("requisitions", Role.OFFICE_MANAGER, Tier.ENTRY), ("positions", Role.CLINICAL_STAFF, Tier.STANDARD),
    ("time entries", Role.OFFICE_MANAGER, Tier.ENTRY), ("training", Role.FRONT_DESK, Tier.STANDARD),
    ("overdue training", Role.BILLER, Tier.STANDARD), ("courses", Role.PROVIDER, Tier.STANDARD),
    ("checklists", Role.BILLER, Tier.STANDARD),
    ("checklist templates", Role.OFFICE_MANAGER, Tier.MID), ("criteria", Role.OFFICE_MANAGER, Tier.MID),
    ("benchmarks", Role.OFFICE_MANAGER, Tier.MID), ("compa-ratios", Role.PRACTICE_MANAGER, Tier.ADVANCED),
    ("PTO requests", Role.OFFICE_MANAGER, Tier.ENTRY), ("pay periods", Role.CLINICAL_STAFF, Tier.STANDARD),
])
def test_a_role_that_cannot_open_a_list_cannot_export_it(
        name: str, role: str, tier: str, world: World, signed_in: Callable[[User], Client]) -> None:
    case = CASES[name](world)
    outsider = world.make_user(role, tier, locations=[world.north])
    assert_export_refused(case, outsider, signed_in, unrecorded=("reports.list_exported", "workforce.pay_viewed",
                                                                 "workforce.discipline_viewed"))


def test_the_own_lists_hold_only_the_person_s_own_rows(world: World, signed_in: Callable[[User], Client]) -> None:
    for name in OWN_LISTS:
        case = CASES[name](world)
        stranger = world.make_user(Role.FRONT_DESK)
        assert export_rows(signed_in(stranger).get(case.url, {"export": "csv"}))[1:] == []


def test_every_disciplinary_action_in_a_file_is_an_audited_showing(
        world: World, signed_in: Callable[[User], Client]) -> None:
    case = _discipline(world)
    client = signed_in(world.user)
    rows = export_rows(client.get(case.url, {**case.params, "export": "csv"}))
    viewed = AuditEvent.objects.filter(actor=world.user, action="workforce.discipline_viewed")
    assert viewed.count() == len(rows) - 1 == 2
    assert set(viewed.values_list("reason", flat=True)) == {"export"}
    assert "Late three times" not in str(rows)  # the facts stay on the action's page


def test_the_compa_ratio_export_audits_each_employee_s_pay_and_lists_never_show_pay(
        world: World, signed_in: Callable[[User], Client]) -> None:
    _compa(world)
    client = signed_in(world.user)
    export_rows(client.get(reverse("workforce:compa_ratio_report"), {"export": "xlsx"}))
    assert AuditEvent.objects.filter(actor=world.user, action="workforce.pay_viewed").count() == 2
    for url_name in ("workforce:employee_list", "workforce:offer_list"):
        headers = export_rows(client.get(reverse(url_name), {"export": "csv"}))[0]
        assert not {"Current rate", "Pay", "Salary", "SSN"} & set(headers)
    employees = export_rows(client.get(reverse("workforce:employee_list"), {"export": "csv"}))
    assert "17.25" not in str(employees)


def _grow(w: World, count: int) -> None:
    position, course = PositionFactory(), CourseFactory()
    for _ in range(count):
        employee = w.staff("Grown", position=position, manager=w.staff("Boss", position=PositionFactory()))
        TimeEntry.objects.create(employee=employee, work_date=dt.date(2025, 3, 3), source="weekly",
                                 hours=Decimal("8"), created_by=w.user)
        TrainingAssignmentFactory(employee=employee, course=course)
        DisciplinaryActionFactory(employee=employee)
        EmployeeCredentialFactory(employee=employee, expires_on=practice_today() + dt.timedelta(days=5))


@pytest.mark.parametrize("url_name", [
    "workforce:employee_list", "workforce:timesheet_list", "workforce:training_list", "workforce:discipline_list",
    "workforce:credential_expiring",
])
def test_the_export_query_count_does_not_grow_with_rows(
        url_name: str, world: World, signed_in: Callable[[User], Client]) -> None:
    small, large = export_sizes_at_fixed_queries(signed_in(world.user), reverse(url_name),
                                                 lambda count: _grow(world, count))
    assert large - small >= 5
