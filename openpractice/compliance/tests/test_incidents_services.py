"""Incident services: reporting, the breach determination and its deadlines (recomputed when counts or the
discovery date change), affected patients from the audit log, sanctions, closing, alerts; every refusal is
audited and changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.audit.services import record
from openpractice.compliance.choices import BreachDetermination as BD
from openpractice.compliance.choices import IncidentKind, IncidentStatus, RiskLevel
from openpractice.compliance.choices import NotificationAudience as A
from openpractice.compliance.models import AffectedPatient, Incident, IncidentState, NotificationDeadline
from openpractice.compliance.services import incidents as services
from openpractice.core.models import Location
from openpractice.patients.tests.factories import PatientFactory
from openpractice.workforce.choices import DisciplineStep
from openpractice.workforce.models import DisciplinaryAction
from openpractice.workforce.tests.factories import EmployeeFactory

from .factories_incidents import IncidentFactory, assessment, breach

pytestmark = pytest.mark.django_db
D = dt.date
UTC = dt.UTC


@pytest.fixture
def officer(make_user: Callable[..., User]) -> User:
    return make_user(Role.PRIVACY_OFFICER, username="privacy")


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    """A frozen practice day for the services."""
    day = D(2025, 6, 2)
    monkeypatch.setattr(services, "practice_today", lambda: day)
    return day


def _state() -> list[Any]:
    return [
        list(Incident.objects.order_by("pk").values_list()), list(NotificationDeadline.objects.order_by("pk").values_list()),
        list(IncidentState.objects.order_by("pk").values_list()), list(AffectedPatient.objects.order_by("pk").values_list()),
    ]


def _denials(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def _deadlines(incident: Incident) -> list[tuple[str, str, dt.date]]:
    return list(incident.deadlines.order_by("audience", "state").values_list("audience", "state", "due_on"))


# --- reporting -------------------------------------------------------------------------------------------------


def test_anyone_reports_at_a_location_they_work_at_and_the_report_is_audited(
        make_user: Callable[..., User], north: Location, south: Location, today: dt.date) -> None:
    desk = make_user(Role.FRONT_DESK, locations=[north])
    incident = services.incident_report(actor=desk, title="Fax to wrong number", kind=IncidentKind.MISDIRECTED,
                                        location=north, discovered_on=today, occurred_on=today,
                                        description="Sent to a pharmacy.")
    assert incident.reported_by == desk
    assert incident.status == IncidentStatus.OPEN
    assert AuditEvent.objects.filter(action="compliance.incident_reported", object_id=str(incident.pk)).count() == 1
    with pytest.raises(ValidationError) as error:
        services.incident_report(actor=desk, title="x", kind=IncidentKind.OTHER, location=south,
                                 discovered_on=today, description="x")
    assert "location" in error.value.message_dict
    assert Incident.objects.count() == 1


def test_discovery_cannot_be_in_the_future_nor_after_the_occurrence(
        make_user: Callable[..., User], today: dt.date) -> None:
    desk = make_user(Role.FRONT_DESK)
    for discovered, occurred, field in [(today + dt.timedelta(days=1), None, "discovered_on"),
                                        (today, today + dt.timedelta(days=1), "occurred_on")]:
        with pytest.raises(ValidationError) as error:
            services.incident_report(actor=desk, title="x", kind=IncidentKind.OTHER, location=None,
                                     discovered_on=discovered, occurred_on=occurred, description="x")
        assert field in error.value.message_dict
    assert not Incident.objects.exists()


def test_today_is_the_practice_day_not_the_utc_day(
        make_user: Callable[..., User], practice: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """23:30 in New York on March 8, 2025 (the night before daylight saving starts) is already March 9 in UTC:
    a discovery on March 9 is still in the future."""
    desk = make_user(Role.FRONT_DESK)
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2025, 3, 9, 4, 30, tzinfo=UTC))
    with pytest.raises(ValidationError):
        services.incident_report(actor=desk, title="x", kind=IncidentKind.OTHER, location=None,
                                 discovered_on=D(2025, 3, 9), description="x")
    incident = services.incident_report(actor=desk, title="x", kind=IncidentKind.OTHER, location=None,
                                        discovered_on=D(2025, 3, 8), description="x")
    assert incident.discovered_on == D(2025, 3, 8)


# --- determination and deadlines -------------------------------------------------------------------------------


@pytest.mark.parametrize(("discovered", "due"), [
    (D(2025, 3, 8), D(2025, 5, 7)), (D(2025, 3, 10), D(2025, 5, 9)),
    (D(2025, 11, 1), D(2025, 12, 31)), (D(2025, 11, 3), D(2026, 1, 2)),
])
def test_a_breach_gets_its_deadlines_sixty_calendar_days_from_discovery_across_dst(
        officer: User, practice: Any, monkeypatch: pytest.MonkeyPatch, discovered: dt.date, due: dt.date) -> None:
    # The clock frozen late in the evening of the discovery day, New York time.
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime.combine(
        discovered + dt.timedelta(days=1), dt.time(3, 30), tzinfo=UTC))
    incident = services.incident_report(actor=officer, title="Lost laptop", kind=IncidentKind.LOSS_THEFT,
                                        location=None, discovered_on=discovered, description="Stolen from a car.")
    services.incident_determine(actor=officer, incident=incident, determination=BD.BREACH)
    assert _deadlines(incident) == [(A.HHS_ANNUAL, "", D(discovered.year + 1, 3, 1)), (A.INDIVIDUALS, "", due)]


def test_counts_at_500_switch_hhs_to_now_and_add_media_and_back_at_499(officer: User, today: dt.date) -> None:
    incident = IncidentFactory(discovered_on=D(2025, 5, 1))
    services.incident_determine(actor=officer, incident=incident, determination=BD.BREACH)
    services.incident_counts_set(actor=officer, incident=incident, total=520, per_state={"NC": 500, "VA": 20})
    assert _deadlines(incident) == [(A.HHS_NOW, "", D(2025, 6, 30)), (A.INDIVIDUALS, "", D(2025, 6, 30)),
                                    (A.MEDIA, "NC", D(2025, 6, 30))]
    services.incident_counts_set(actor=officer, incident=incident, total=499, per_state={"NC": 499})
    assert _deadlines(incident) == [(A.HHS_ANNUAL, "", D(2026, 3, 1)), (A.INDIVIDUALS, "", D(2025, 6, 30))]
    assert list(incident.states.values_list("state", "individuals")) == [("NC", 499)]


def test_states_cannot_add_up_to_more_than_the_total(officer: User, today: dt.date) -> None:
    incident = IncidentFactory()
    before = _state()
    with pytest.raises(ValidationError):
        services.incident_counts_set(actor=officer, incident=incident, total=10, per_state={"NC": 6, "VA": 5})
    assert _state() == before


def test_a_new_discovery_date_moves_open_deadlines_and_keeps_done_ones(officer: User, today: dt.date) -> None:
    incident = IncidentFactory(discovered_on=D(2025, 5, 1), occurred_on=D(2025, 4, 30))
    services.incident_determine(actor=officer, incident=incident, determination=BD.BREACH)
    hhs = incident.deadlines.get(audience=A.HHS_ANNUAL)
    individuals = incident.deadlines.get(audience=A.INDIVIDUALS)
    NotificationDeadline.objects.filter(pk=individuals.pk).update(alerted_days=[30])
    services.deadline_done(actor=officer, deadline=hhs, done_on=today, note="Logged on the HHS portal")
    services.incident_update(actor=officer, incident=incident, title=incident.title, kind=incident.kind,
                             location=None, discovered_on=D(2025, 5, 10), occurred_on=D(2025, 4, 30),
                             description=incident.description)
    individuals.refresh_from_db()
    hhs.refresh_from_db()
    assert individuals.due_on == D(2025, 7, 9)
    assert individuals.alerted_days == []
    assert hhs.done_on == today
    assert hhs.due_on == D(2026, 3, 1)


def test_not_a_breach_needs_a_reason_the_assessment_and_a_confirmation_when_a_factor_is_high(
        officer: User, today: dt.date) -> None:
    incident = IncidentFactory()
    with pytest.raises(ValidationError) as error:
        services.incident_determine(actor=officer, incident=incident, determination=BD.NOT_BREACH)
    assert "reason" in error.value.message_dict
    with pytest.raises(ValidationError):  # no assessment yet
        services.incident_determine(actor=officer, incident=incident, determination=BD.NOT_BREACH, reason="Low")
    assessment(incident, level=RiskLevel.HIGH)
    with pytest.raises(ValidationError) as error:
        services.incident_determine(actor=officer, incident=incident, determination=BD.NOT_BREACH, reason="Low")
    assert "confirm_high_risk" in error.value.message_dict
    incident.refresh_from_db()
    assert incident.determination == BD.PENDING
    services.incident_determine(actor=officer, incident=incident, determination=BD.NOT_BREACH, reason="Returned",
                                confirm_high_risk=True)
    assert incident.determination == BD.NOT_BREACH
    assert not incident.deadlines.exists()
    assert AuditEvent.objects.get(action="compliance.incident_determined").reason.endswith("despite a high factor")


def test_an_exception_needs_its_reason_and_going_back_from_a_breach_drops_open_notices(
        officer: User, today: dt.date) -> None:
    incident = breach(IncidentFactory())
    with pytest.raises(ValidationError):
        services.incident_determine(actor=officer, incident=incident, determination=BD.EXCEPTION)
    services.incident_determine(actor=officer, incident=incident, determination=BD.EXCEPTION,
                                reason="Unintentional access by a workforce member in good faith")
    assert not incident.deadlines.exists()


def test_the_assessment_saves_the_four_factors(officer: User, today: dt.date) -> None:
    incident = IncidentFactory()
    factors = {name: (f"About {name}", RiskLevel.MEDIUM) for name in services.FACTORS}
    services.risk_assessment_save(actor=officer, incident=incident, factors=factors)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ASSESSED
    assert incident.risk_assessment.mitigation_risk == RiskLevel.MEDIUM
    with pytest.raises(ValidationError):
        services.risk_assessment_save(actor=officer, incident=incident, factors={**factors, "recipient": ("", "low")})


def test_closing_waits_for_the_determination_and_every_notice(officer: User, today: dt.date) -> None:
    incident = IncidentFactory()
    with pytest.raises(ValidationError):
        services.incident_close(actor=officer, incident=incident)
    breach(incident)
    with pytest.raises(ValidationError):
        services.incident_close(actor=officer, incident=incident)
    for deadline in incident.deadlines.all():
        services.deadline_done(actor=officer, deadline=deadline, done_on=today)
    services.incident_close(actor=officer, incident=incident)
    assert incident.status == IncidentStatus.CLOSED
    assert incident.closed_at is not None


def test_a_notice_is_done_once_and_not_in_the_future(officer: User, today: dt.date) -> None:
    deadline = breach(IncidentFactory()).deadlines.first()
    assert deadline is not None
    with pytest.raises(ValidationError):
        services.deadline_done(actor=officer, deadline=deadline, done_on=today + dt.timedelta(days=1))
    services.deadline_done(actor=officer, deadline=deadline, done_on=today)
    with pytest.raises(ValidationError):
        services.deadline_done(actor=officer, deadline=deadline, done_on=today)


# --- permission denials ----------------------------------------------------------------------------------------


def _every_managing_call(actor: User, incident: Incident, today: dt.date) -> Iterator[Callable[[], Any]]:
    deadline = incident.deadlines.first()
    factors = dict.fromkeys(services.FACTORS, ("x", RiskLevel.LOW))
    yield lambda: services.incident_update(actor=actor, incident=incident, title="Changed", kind=incident.kind,
                                           location=incident.location, discovered_on=today, description="x")
    yield lambda: services.incident_counts_set(actor=actor, incident=incident, total=900, per_state={"NC": 600})
    yield lambda: services.risk_assessment_save(actor=actor, incident=incident, factors=factors)
    yield lambda: services.incident_determine(actor=actor, incident=incident, determination=BD.EXCEPTION,
                                              reason="x")
    yield lambda: services.deadline_done(actor=actor, deadline=deadline, done_on=today)
    yield lambda: services.affected_from_audit(actor=actor, incident=incident, user=actor, start=today, end=today)
    yield lambda: services.affected_add(actor=actor, incident=incident, patient=PatientFactory())
    yield lambda: services.incident_close(actor=actor, incident=incident)
    yield lambda: services.incident_letter_pdf(actor=actor, incident=incident)
    yield lambda: services.incident_sanction_link(actor=actor, incident=incident, action=None)


@pytest.mark.parametrize("who", ["front desk", "north-only privacy officer", "no-location incident"])
def test_refusals_are_audited_and_change_nothing(
        who: str, make_user: Callable[..., User], north: Location, south: Location, today: dt.date) -> None:
    if who == "front desk":
        actor, incident = make_user(Role.FRONT_DESK), breach(IncidentFactory(location=north))
    elif who == "north-only privacy officer":
        actor, incident = make_user(Role.PRIVACY_OFFICER, locations=[north]), breach(IncidentFactory(location=south))
    else:
        actor, incident = make_user(Role.PRIVACY_OFFICER, locations=[north]), breach(IncidentFactory(location=None))
    for call in _every_managing_call(actor, incident, today):
        before, denials = _state(), _denials(actor)
        with pytest.raises(PermissionDenied):
            call()
        assert _denials(actor) == denials + 1
        assert _state() == before


def test_a_north_officer_cannot_move_an_incident_to_south(
        make_user: Callable[..., User], north: Location, south: Location, today: dt.date) -> None:
    actor = make_user(Role.PRIVACY_OFFICER, locations=[north])
    incident = IncidentFactory(location=north)
    before = _state()
    with pytest.raises(ValidationError):
        services.incident_update(actor=actor, incident=incident, title="x", kind=incident.kind, location=south,
                                 discovered_on=incident.discovered_on, description="x")
    assert _state() == before


# --- affected patients from the audit log ----------------------------------------------------------------------


def _opened(user: User, patient: Any, at: dt.datetime, monkeypatch: pytest.MonkeyPatch,
            outcome: str = Outcome.ALLOWED) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(timezone, "now", lambda: at)
        if outcome == Outcome.ALLOWED:
            record(actor=user, action="patients.viewed", target=patient, patient_id=patient.pk)
        else:
            record(actor=user, action="patients.viewed", target=patient, patient_id=patient.pk, outcome=outcome)


def test_affected_patients_are_exactly_those_the_user_opened_in_the_window(
        officer: User, make_user: Callable[..., User], practice: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    snooper, other = make_user(Role.FRONT_DESK), make_user(Role.FRONT_DESK)
    inside = [PatientFactory() for _ in range(3)]
    before_window, after_window, others, refused = PatientFactory(), PatientFactory(), PatientFactory(), PatientFactory()
    # Window: March 1 to March 3, 2025, New York days (UTC-5): 05:00Z March 1 .. 05:00Z March 4.
    _opened(snooper, inside[0], dt.datetime(2025, 3, 1, 5, 0, tzinfo=UTC), monkeypatch)
    _opened(snooper, inside[1], dt.datetime(2025, 3, 2, 12, 0, tzinfo=UTC), monkeypatch)
    _opened(snooper, inside[1], dt.datetime(2025, 3, 2, 13, 0, tzinfo=UTC), monkeypatch)  # twice: once on the list
    _opened(snooper, inside[2], dt.datetime(2025, 3, 4, 4, 59, tzinfo=UTC), monkeypatch)  # 23:59 March 3 local
    _opened(snooper, before_window, dt.datetime(2025, 3, 1, 4, 59, tzinfo=UTC), monkeypatch)
    _opened(snooper, after_window, dt.datetime(2025, 3, 4, 5, 0, tzinfo=UTC), monkeypatch)
    _opened(other, others, dt.datetime(2025, 3, 2, 12, 0, tzinfo=UTC), monkeypatch)
    _opened(snooper, refused, dt.datetime(2025, 3, 2, 12, 0, tzinfo=UTC), monkeypatch, outcome=Outcome.DENIED)
    incident = IncidentFactory(discovered_on=D(2025, 3, 10), occurred_on=None)
    with CaptureQueriesContext(connection) as queries:
        added = services.affected_from_audit(actor=officer, incident=incident, user=snooper, start=D(2025, 3, 1),
                                             end=D(2025, 3, 3))
    assert added == 3
    assert set(incident.affected_patients.values_list("patient_id", flat=True)) == {p.pk for p in inside}
    touching = [q["sql"] for q in queries.captured_queries if "compliance_affectedpatient" in q["sql"]]
    assert len(touching) == 1
    assert touching[0].lstrip().upper().startswith("INSERT")
    # Again: nothing new, nothing doubled.
    assert services.affected_from_audit(actor=officer, incident=incident, user=snooper, start=D(2025, 3, 1),
                                        end=D(2025, 3, 3)) == 0
    assert incident.affected_patients.count() == 3


def test_a_patient_is_added_by_hand_once(officer: User) -> None:
    incident, patient = IncidentFactory(), PatientFactory()
    services.affected_add(actor=officer, incident=incident, patient=patient)
    with pytest.raises(ValidationError):
        services.affected_add(actor=officer, incident=incident, patient=patient)
    assert AuditEvent.objects.filter(action="compliance.affected_added", patient_id=patient.pk).count() == 1


# --- sanctions -------------------------------------------------------------------------------------------------


def _action(location: Location, issuer: User) -> DisciplinaryAction:
    return DisciplinaryAction.objects.create(employee=EmployeeFactory(location=location), step=DisciplineStep.WRITTEN,
                                             occurred_on=D(2025, 4, 2), policy="Minimum necessary",
                                             facts="Opened records without need.", issued_by=issuer)


def test_only_discipline_holders_link_an_action_they_manage(
        officer: User, make_user: Callable[..., User], north: Location, south: Location) -> None:
    senior = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north])
    incident = IncidentFactory(location=north)
    inside, outside = _action(north, officer), _action(south, officer)
    for actor, action in [(officer, inside), (senior, outside)]:
        before, denials = _state(), _denials(actor)
        with pytest.raises(PermissionDenied):
            services.incident_sanction_link(actor=actor, incident=incident, action=action)
        assert _state() == before
        assert _denials(actor) == denials + 1
    services.incident_sanction_link(actor=senior, incident=incident, action=inside)
    incident.refresh_from_db()
    assert incident.disciplinary_action_id == inside.pk


# --- alerts ----------------------------------------------------------------------------------------------------


def test_alerts_go_once_each_to_incident_holders_where_the_incident_is(
        officer: User, make_user: Callable[..., User], north: Location, south: Location, smtp_server: Any) -> None:
    north_officer = make_user(Role.PRIVACY_OFFICER, locations=[north], email="north@example.test")
    south_officer = make_user(Role.PRIVACY_OFFICER, locations=[south], email="south@example.test")
    make_user(Role.FRONT_DESK, email="desk@example.test")
    incident = breach(IncidentFactory(location=north, discovered_on=D(2025, 5, 1)))  # individuals due June 30
    individuals = incident.deadlines.get(audience=A.INDIVIDUALS)
    assert services.deadline_alerts_send(today=D(2025, 5, 30)) == 0  # 31 days left
    assert services.deadline_alerts_send(today=D(2025, 5, 31)) == 1
    recipients = sorted(message["To"] for message in smtp_server.messages)
    assert recipients == sorted([officer.email, north_officer.email])
    assert south_officer.email not in recipients
    assert "30 days" in smtp_server.messages[0]["Subject"]
    assert services.deadline_alerts_send(today=D(2025, 5, 31)) == 0  # once
    for day, threshold in [(D(2025, 6, 16), 14), (D(2025, 6, 23), 7), (D(2025, 6, 29), 1), (D(2025, 7, 1), -1)]:
        assert services.deadline_alerts_send(today=day) == 1
        individuals.refresh_from_db()
        assert individuals.alerted_days[-1] == threshold
    assert services.deadline_alerts_send(today=D(2025, 7, 2)) == 0
    assert "OVERDUE" in smtp_server.messages[-1]["Subject"]
    assert AuditEvent.objects.filter(action="compliance.deadline_alert_sent").count() == 5


def test_done_notices_are_not_alerted(officer: User, smtp_server: Any) -> None:
    incident = breach(IncidentFactory(discovered_on=D(2025, 5, 1)))
    incident.deadlines.update(done_on=D(2025, 5, 20))
    assert services.deadline_alerts_send(today=D(2025, 7, 5)) == 0
    assert smtp_server.messages == []

