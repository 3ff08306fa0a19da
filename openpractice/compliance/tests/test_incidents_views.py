"""Incident pages: reporting for everyone, managing for compliance.incidents holders in scope (404 and nothing
changed for anyone else), PHI reads audited per patient, flat query counts on the list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.compliance.choices import BreachDetermination as BD
from openpractice.compliance.choices import NotificationAudience as A
from openpractice.compliance.choices import RiskLevel
from openpractice.compliance.models import AffectedPatient, Incident, NotificationDeadline
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.patients.tests.factories import PatientFactory

from .factories_incidents import IncidentFactory, assessment, breach
from .route_samples_incidents import affected, deadlines, incidents

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(make_user: Callable[..., User]) -> User:
    return make_user(Role.PRIVACY_OFFICER, username="privacy")


def _rows() -> list[Any]:
    return [list(model.objects.order_by("pk").values_list())
            for model in (Incident, NotificationDeadline, AffectedPatient)]


def test_anyone_reports_and_sees_only_the_status_of_their_own_reports(
        make_user: Callable[..., User], north: Location, signed_in: Callable[[User], Client]) -> None:
    desk = make_user(Role.FRONT_DESK, locations=[north])
    client = signed_in(desk)
    assert client.get(reverse("compliance:incident_report")).status_code == 200
    response = client.post(reverse("compliance:incident_report"), {
        "title": "Chart left on the counter", "kind": "access", "location": north.pk,
        "discovered_on": practice_today().isoformat(), "description": "A patient's chart was visible.",
        "phi_involved": "Name and medications"})
    assert response.status_code == 302
    assert response["Location"] == reverse("compliance:incident_mine")
    incident = Incident.objects.get()
    assert incident.reported_by == desk
    assert incident.location == north
    mine = client.get(reverse("compliance:incident_mine"))
    assert mine.context["reports"] == [incident]
    assert b"A patient&#x27;s chart was visible" not in mine.content  # the status only
    assert client.get(reverse("compliance:incident_detail", args=[incident.pk])).status_code == 404


def test_a_future_discovery_is_refused_on_the_form(make_user: Callable[..., User],
                                                   signed_in: Callable[[User], Client]) -> None:
    client = signed_in(make_user(Role.FRONT_DESK))
    response = client.post(reverse("compliance:incident_report"), {
        "title": "x", "kind": "other", "description": "x",
        "discovered_on": (practice_today() + dt.timedelta(days=1)).isoformat()})
    assert response.status_code == 400
    assert "discovered_on" in response.context["form"].errors
    assert not Incident.objects.exists()


class _World:
    def __init__(self, north: Location, south: Location, stranger: User) -> None:
        self.north, self.south, self.stranger = north, south, stranger


@pytest.mark.parametrize(("role", "tier", "scope"), [
    (Role.FRONT_DESK, Tier.STANDARD, "all"), (Role.PRIVACY_OFFICER, Tier.STANDARD, "north"),
    (Role.PRACTICE_MANAGER, Tier.ADVANCED, "all"),
])
def test_managing_is_404_out_of_scope_and_changes_nothing(
        make_user: Callable[..., User], north: Location, south: Location, signed_in: Callable[[User], Client],
        role: str, tier: str, scope: str) -> None:
    user = make_user(role, tier, locations=[north] if scope == "north" else None)
    world = _World(north, south, make_user(Role.FRONT_DESK))
    incident, deadline, row = incidents(world, user)[1], deadlines(world, user)[1], affected(world, user)[1]
    client = signed_in(user)
    gets = ["incident_detail", "incident_edit", "incident_counts", "incident_assess", "incident_determine",
            "incident_affected", "incident_letter", "incident_sanction"]
    for name in gets:
        assert client.get(reverse(f"compliance:{name}", args=[incident.pk])).status_code == 404, name
    assert client.get(reverse("compliance:affected_letter", args=[row.pk])).status_code == 404
    before, denials = _rows(), AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()
    posts = [
        (reverse("compliance:incident_edit", args=[incident.pk]), {"title": "x", "kind": "other",
                                                                   "discovered_on": "2025-04-01", "description": "x"}),
        (reverse("compliance:incident_counts", args=[incident.pk]), {"individuals_affected": 900}),
        (reverse("compliance:incident_determine", args=[incident.pk]), {"determination": "exception", "reason": "x"}),
        (reverse("compliance:incident_close", args=[incident.pk]), {}),
        (reverse("compliance:incident_affected_add", args=[incident.pk]),
         {"account_number": PatientFactory().account_number}),
        (reverse("compliance:incident_affected_from_audit", args=[incident.pk]),
         {"user": user.pk, "start": "2025-01-01", "end": "2025-04-01"}),
        (reverse("compliance:deadline_done", args=[deadline.pk]), {"done_on": "2025-04-02"}),
        (reverse("compliance:incident_sanction", args=[incident.pk]), {"action": ""}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    assert _rows() == before
    assert AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count() >= denials + len(posts)


def test_the_incident_list_query_count_does_not_grow_with_rows(
        officer: User, north: Location, signed_in: Callable[[User], Client]) -> None:
    client = signed_in(officer)
    breach(IncidentFactory(location=north))
    client.get(reverse("compliance:incident_list"))  # warm caches (grants, practice settings)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("compliance:incident_list")).status_code == 200
    for _ in range(6):
        incident = breach(IncidentFactory(location=north))
        AffectedPatient.objects.create(incident=incident, patient=PatientFactory(), added_by=officer)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("compliance:incident_list"))
    assert len(response.context["table"].page.object_list) == 7
    assert len(many) == len(few)


def test_the_detail_page_shows_days_left_on_each_notice(officer: User, signed_in: Callable[[User], Client]) -> None:
    today = practice_today()
    incident = breach(IncidentFactory(discovered_on=today - dt.timedelta(days=50), occurred_on=None))
    response = signed_in(officer).get(reverse("compliance:incident_detail", args=[incident.pk]))
    left = {deadline.audience: days for deadline, days in response.context["deadlines"]}
    assert left[A.INDIVIDUALS] == 10


def test_the_affected_list_audits_one_read_per_patient(officer: User, signed_in: Callable[[User], Client]) -> None:
    incident = IncidentFactory()
    patients = [PatientFactory() for _ in range(3)]
    for patient in patients:
        AffectedPatient.objects.create(incident=incident, patient=patient, added_by=officer)
    response = signed_in(officer).get(reverse("compliance:incident_affected", args=[incident.pk]))
    assert response.status_code == 200
    for patient in patients:
        assert patient.last_name.encode() in response.content
        assert AuditEvent.objects.filter(actor=officer, action="patients.viewed", patient_id=patient.pk).count() == 1


def test_adding_from_the_audit_log_and_by_hand_through_the_pages(
        officer: User, make_user: Callable[..., User], signed_in: Callable[[User], Client]) -> None:
    from openpractice.audit.services import record

    snooper, patient, other = make_user(Role.FRONT_DESK), PatientFactory(), PatientFactory()
    record(actor=snooper, action="patients.viewed", target=patient, patient_id=patient.pk)
    incident = IncidentFactory()
    client = signed_in(officer)
    today = practice_today().isoformat()
    response = client.post(reverse("compliance:incident_affected_from_audit", args=[incident.pk]),
                           {"user": snooper.pk, "start": today, "end": today})
    assert response.status_code == 302
    response = client.post(reverse("compliance:incident_affected_add", args=[incident.pk]),
                           {"account_number": other.account_number.lower()})
    assert response.status_code == 302
    assert set(incident.affected_patients.values_list("patient_id", flat=True)) == {patient.pk, other.pk}
    response = client.post(reverse("compliance:incident_affected_add", args=[incident.pk]),
                           {"account_number": "P9999999"})
    assert response.status_code == 400


def test_letters_are_pdfs_and_the_patient_letter_is_an_audited_phi_read(
        officer: User, signed_in: Callable[[User], Client]) -> None:
    incident = IncidentFactory()
    row = AffectedPatient.objects.create(incident=incident, patient=PatientFactory(), added_by=officer)
    client = signed_in(officer)
    template = client.get(reverse("compliance:incident_letter", args=[incident.pk]))
    assert template.status_code == 200
    assert template.content.startswith(b"%PDF")
    letter = client.get(reverse("compliance:affected_letter", args=[row.pk]))
    assert letter.status_code == 200
    assert letter.content.startswith(b"%PDF")
    assert letter["Cache-Control"] == "private, no-store"
    assert AuditEvent.objects.filter(action="compliance.incident_letter_viewed", patient_id=row.patient_id).count() == 1


def test_determining_not_a_breach_with_a_high_factor_asks_for_confirmation(
        officer: User, signed_in: Callable[[User], Client]) -> None:
    incident = IncidentFactory()
    assessment(incident, level=RiskLevel.HIGH)
    client = signed_in(officer)
    url = reverse("compliance:incident_determine", args=[incident.pk])
    response = client.post(url, {"determination": BD.NOT_BREACH, "reason": "Returned unread"})
    assert response.status_code == 400
    assert "confirm_high_risk" in response.context["form"].errors
    incident.refresh_from_db()
    assert incident.determination == BD.PENDING
    response = client.post(url, {"determination": BD.NOT_BREACH, "reason": "Returned unread",
                                 "confirm_high_risk": "on"})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.determination == BD.NOT_BREACH


def test_a_breach_through_the_pages_then_notices_marked_sent(
        officer: User, signed_in: Callable[[User], Client]) -> None:
    incident = IncidentFactory(discovered_on=practice_today() - dt.timedelta(days=3), occurred_on=None)
    client = signed_in(officer)
    response = client.post(reverse("compliance:incident_counts", args=[incident.pk]),
                           {"individuals_affected": 800, "state_1": "NC", "count_1": 600, "state_2": "VA",
                            "count_2": 200})
    assert response.status_code == 302
    assert client.post(reverse("compliance:incident_determine", args=[incident.pk]),
                       {"determination": BD.BREACH}).status_code == 302
    assert set(incident.deadlines.values_list("audience", "state")) == {
        (A.INDIVIDUALS, ""), (A.HHS_NOW, ""), (A.MEDIA, "NC")}
    deadline = incident.deadlines.get(audience=A.MEDIA)
    client.post(reverse("compliance:deadline_done", args=[deadline.pk]),
                {"done_on": practice_today().isoformat(), "note": "Press release"})
    deadline.refresh_from_db()
    assert deadline.done_on == practice_today()
    assert deadline.done_by == officer


def test_counts_over_the_total_are_refused_on_the_form(officer: User, signed_in: Callable[[User], Client]) -> None:
    incident = IncidentFactory()
    response = signed_in(officer).post(reverse("compliance:incident_counts", args=[incident.pk]),
                                       {"individuals_affected": 10, "state_1": "NC", "count_1": 11})
    assert response.status_code == 400
    incident.refresh_from_db()
    assert incident.individuals_affected == 0
    assert not incident.states.exists()


def test_the_sanction_page_lists_only_actions_the_discipline_holder_manages(
        make_user: Callable[..., User], officer: User, north: Location, south: Location,
        signed_in: Callable[[User], Client]) -> None:
    from openpractice.workforce.choices import DisciplineStep
    from openpractice.workforce.models import DisciplinaryAction
    from openpractice.workforce.tests.factories import EmployeeFactory

    senior = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north])
    actions = [DisciplinaryAction.objects.create(employee=EmployeeFactory(location=place), step=DisciplineStep.VERBAL,
                                                 occurred_on=dt.date(2025, 4, 2), policy="p", facts="f",
                                                 issued_by=officer) for place in (north, south)]
    incident = IncidentFactory(location=north)
    client = signed_in(senior)
    response = client.get(reverse("compliance:incident_sanction", args=[incident.pk]))
    assert list(response.context["form"].fields["action"].queryset) == [actions[0]]
    assert AuditEvent.objects.filter(action="workforce.discipline_viewed", actor=senior).count() == 1
    response = client.post(reverse("compliance:incident_sanction", args=[incident.pk]), {"action": actions[1].pk})
    assert response.status_code == 400
    assert client.post(reverse("compliance:incident_sanction", args=[incident.pk]),
                       {"action": actions[0].pk}).status_code == 302
    incident.refresh_from_db()
    assert incident.disciplinary_action_id == actions[0].pk
    # The privacy officer manages incidents but not discipline: the page says so and a post is refused.
    officer_client = signed_in(officer)
    assert officer_client.get(reverse("compliance:incident_sanction", args=[incident.pk])).context["form"] is None
    before = _rows()
    assert officer_client.post(reverse("compliance:incident_sanction", args=[incident.pk]),
                               {"action": ""}).status_code == 404
    assert _rows() == before
