"""Every compliance list exports (?export=csv|xlsx) exactly the rows its page shows for the same filters, a PHI list
audits each patient in the file, and a person who cannot open a list cannot export it (404, nothing recorded)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent
from openpractice.compliance.choices import IncidentStatus, RiskStatus, SraStatus
from openpractice.compliance.models import SraQuestion
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.core.tests.export_cases import (
    PATIENT_LIST_EXPORTED,
    Case,
    World,
    assert_export_refused,
    assert_exports_match_page,
    export_sizes_at_fixed_queries,
    table_rows,
)
from openpractice.core.tests.exports import export_rows
from openpractice.patients.models import Patient
from openpractice.patients.tests.factories import PatientFactory

from .factories_incidents import IncidentFactory
from .factories_policies import PolicyFactory, published_version
from .route_samples_access_reviews import make_review
from .route_samples_associates import make_agreement, make_associate
from .route_samples_disclosures import make_disclosure
from .route_samples_sra import make_assessment, make_risk

pytestmark = pytest.mark.django_db


def _access_reviews(w: World) -> Case:
    make_review(created_by=w.user, period_start=dt.date(2024, 1, 1), period_end=dt.date(2024, 3, 31))
    make_review(created_by=w.user, period_start=dt.date(2024, 4, 1), period_end=dt.date(2024, 6, 30))
    return Case(reverse("compliance:accessreview_list"), {"sort": "period"}, table_rows, ("Period start", "Findings"),
                lambda review: (str(review.period_start), str(review.finding_count)))


def _policies(w: World) -> Case:
    for title in ("Clean desk", "Minimum necessary"):
        published_version(title=title, category="privacy", owner=w.user)
    PolicyFactory(title="Passwords", category="security", owner=w.user)
    return Case(reverse("compliance:policy_list"), {"category": "privacy"}, table_rows,
                ("Title", "Owner", "Version in force"),
                lambda policy: (policy.title, policy.owner.display_name, str(policy.current_number)),
                hidden=[("Passwords",)])


def _review_due(w: World) -> Case:
    today = practice_today()
    for title, months in (("Due soon", 0), ("Overdue", -13)):
        version = published_version(title=title, owner=w.user)
        version.next_review_on = today + dt.timedelta(days=10 + 30 * months)
        version.save(update_fields=["next_review_on"])
    published_version(title="Far away", owner=w.user, effective_on=today)
    return Case(reverse("compliance:policy_review_due"), {}, lambda context: context["versions"],
                ("Policy", "Version", "Next review"),
                lambda version: (version.policy.title, str(version.number), str(version.next_review_on)),
                hidden=[("Far away",)])


def _disclosures(w: World) -> Case:
    here, other = PatientFactory(home_location=w.north), PatientFactory(home_location=w.north)
    make_disclosure(patient=here, recorded_by=w.user, recipient="Sheriff", purpose="law_enforcement")
    make_disclosure(patient=other, recorded_by=w.user, recipient="Court", purpose="law_enforcement",
                    location=w.north)
    make_disclosure(patient=here, recorded_by=w.user, recipient="Health Dept")
    make_disclosure(patient=PatientFactory(home_location=w.south), recorded_by=w.user, recipient="Marshal",
                    purpose="law_enforcement")
    user = w.make_user(Role.PRIVACY_OFFICER, locations=[w.north])
    return Case(reverse("compliance:disclosure_list"), {"purpose": "law_enforcement", "sort": "recipient"}, table_rows,
                ("Recipient", "Account", "Purpose"),
                lambda d: (d.recipient, d.patient.account_number, d.get_purpose_display()),
                hidden=[("Health Dept",), ("Marshal",)], user=user)


def _risks(w: World) -> Case:
    make_risk(owner=w.user, title="Unpatched server", likelihood=4, impact=5)
    make_risk(owner=w.user, title="Shared logins", likelihood=2, impact=3)
    make_risk(owner=w.user, title="Old backup", status=RiskStatus.MITIGATED)
    return Case(reverse("compliance:risk_list"), {"status": "open"}, table_rows, ("Risk", "Score", "Status"),
                lambda risk: (risk.title, str(risk.score_value), risk.get_status_display()),
                hidden=[("Old backup",)])


def _assessments(w: World) -> Case:
    make_assessment(started_by=w.user, year=2023, status=SraStatus.COMPLETED)
    make_assessment(started_by=w.user, year=2024)
    return Case(reverse("compliance:sra_list"), {}, lambda context: context["assessments"], ("Year", "Status"),
                lambda assessment: (str(assessment.year), assessment.get_status_display()))


def _questions(w: World) -> Case:
    def ordered(context: Any) -> list[SraQuestion]:
        return [question for _label, questions in context["groups"] for question in questions]

    return Case(reverse("compliance:sraquestion_list"), {}, ordered, ("Question", "Regulation"),
                lambda question: (question.text, question.reference))


def _associates(w: World) -> Case:
    make_associate(created_by=w.user, name="Billing Bureau")
    make_associate(created_by=w.user, name="Shredding Co")
    covered = make_associate(created_by=w.user, name="Covered Clearinghouse")
    make_agreement(associate=covered)
    make_associate(created_by=w.user, name="Coffee Supplier", handles_phi=False)
    return Case(reverse("compliance:associate_list"), {"flagged": "1"}, table_rows, ("Name", "Handles PHI", "Status"),
                lambda associate: (associate.name, "yes", "No BAA — handles PHI"),
                hidden=[("Covered Clearinghouse",), ("Coffee Supplier",)])


def _incidents(w: World) -> Case:
    IncidentFactory(title="Lost badge", location=w.north)
    IncidentFactory(title="Fax to wrong number", location=None)
    IncidentFactory(title="Closed one", location=w.north, status=IncidentStatus.CLOSED)
    return Case(reverse("compliance:incident_list"), {"status": "open", "sort": "title"}, table_rows,
                ("Title", "Location", "Status"),
                lambda incident: (incident.title, incident.location.name if incident.location else "Whole practice",
                                  incident.get_status_display()),
                hidden=[("Closed one",)])


def _my_incidents(w: World) -> Case:
    reporter = w.make_user(Role.FRONT_DESK, locations=[w.north])
    IncidentFactory(title="Mine first", reported_by=reporter)
    IncidentFactory(title="Mine second", reported_by=reporter, status=IncidentStatus.CLOSED)
    IncidentFactory(title="Someone else's", reported_by=w.user)
    return Case(reverse("compliance:incident_mine"), {}, lambda context: context["reports"], ("Title", "Status"),
                lambda incident: (incident.title, incident.get_status_display()),
                hidden=[("Someone else's",)], user=reporter)


CASES: dict[str, Callable[[World], Case]] = {
    "access reviews": _access_reviews, "policies": _policies, "policies due for review": _review_due,
    "disclosures": _disclosures, "risk register": _risks, "assessments": _assessments, "questions": _questions,
    "business associates": _associates, "incidents": _incidents, "my incident reports": _my_incidents,
}


@pytest.fixture
def world(make_user: Callable[..., User], north: Location, south: Location) -> World:
    return World(user=make_user(Role.PRIVACY_OFFICER, username="privacy"), north=north, south=south,
                 make_user=make_user)


@pytest.mark.parametrize("name", list(CASES))
def test_each_list_exports_exactly_the_rows_its_page_shows_as_csv_and_xlsx(
        name: str, world: World, signed_in: Callable[[User], Client]) -> None:
    assert_exports_match_page(CASES[name](world), world, signed_in)


def test_the_disclosure_export_audits_each_patient_once_and_not_as_a_page_view(
        world: World, signed_in: Callable[[User], Client]) -> None:
    case = _disclosures(world)
    assert case.user is not None
    client = signed_in(case.user)
    rows = export_rows(client.get(case.url, {**case.params, "export": "csv"}))
    accounts = {row[rows[0].index("Account")] for row in rows[1:]}
    exported = AuditEvent.objects.filter(actor=case.user, action="patients.exported")
    patient_ids = list(exported.values_list("patient_id", flat=True))
    assert len(patient_ids) == len(accounts) == 2
    assert set(patient_ids) == set(Patient.objects.filter(account_number__in=accounts).values_list("pk", flat=True))
    assert not AuditEvent.objects.filter(actor=case.user, action="patients.viewed").exists()


@pytest.mark.parametrize(("name", "role"), [
    ("access reviews", Role.FRONT_DESK), ("policies", Role.CLINICAL_STAFF), ("policies due for review", Role.BILLER),
    ("disclosures", Role.AUDITOR), ("risk register", Role.FRONT_DESK), ("assessments", Role.PROVIDER),
    ("questions", Role.FRONT_DESK), ("business associates", Role.BILLER), ("incidents", Role.HR),
])
def test_a_role_that_cannot_open_a_list_cannot_export_it(
        name: str, role: str, world: World, signed_in: Callable[[User], Client]) -> None:
    case = CASES[name](world)
    outsider = world.make_user(role)
    assert_export_refused(case, outsider, signed_in, unrecorded=PATIENT_LIST_EXPORTED)


def test_the_disclosure_export_query_count_does_not_grow_with_rows(
        world: World, signed_in: Callable[[User], Client]) -> None:
    def add(count: int) -> None:
        for _ in range(count):
            make_disclosure(patient=PatientFactory(home_location=world.north), recorded_by=world.user,
                            location=world.north, incident=IncidentFactory(location=world.north))

    _, exported = export_sizes_at_fixed_queries(signed_in(world.user), reverse("compliance:disclosure_list"), add,
                                                sizes=(2, 6), formats=("xlsx", "xlsx"))
    assert exported == 8
