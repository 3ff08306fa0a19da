"""Disclosure services and the six-year window: recording and correcting need compliance.manage with the patient
in scope (refusals audited, nothing changed), corrections close after 30 days, the accounting covers the same
calendar date six years back through the chosen date."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.compliance.choices import DisclosurePurpose
from openpractice.compliance.models import Disclosure
from openpractice.compliance.selectors import disclosures as selectors
from openpractice.compliance.services import disclosures as services
from openpractice.core.models import Location
from openpractice.core.selectors import practice_timezone_name, practice_today
from openpractice.patients.models import Patient
from openpractice.patients.tests.factories import PatientFactory

from .factories_incidents import IncidentFactory
from .route_samples_disclosures import make_disclosure

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(make_user: Callable[..., User]) -> User:
    return make_user(Role.PRIVACY_OFFICER, username="privacy")


@pytest.fixture
def south_patient(south: Location) -> Patient:
    return PatientFactory(home_location=south)


def _rows() -> list[Any]:
    return list(Disclosure.objects.order_by("pk").values_list())


def _denials(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def _record(actor: User, patient: Patient, **overrides: Any) -> Disclosure:
    values: dict[str, Any] = {"disclosed_on": practice_today(), "recipient": "  Wake County Health Department ",
                              "purpose": DisclosurePurpose.PUBLIC_HEALTH, "information": "Lab result",
                              **overrides}
    return services.disclosure_record(actor=actor, patient=patient, **values)


def test_recording_a_disclosure_is_audited_with_the_patient(officer: User, north: Location) -> None:
    patient = PatientFactory(home_location=north)
    incident = IncidentFactory(location=north)
    disclosure = _record(officer, patient, location=north, incident=incident,
                         recipient_address="10 Sunnybrook Rd")
    assert disclosure.recipient == "Wake County Health Department"
    assert disclosure.recorded_by == officer
    assert disclosure.incident == incident
    event = AuditEvent.objects.get(action="compliance.disclosure_recorded")
    assert (event.patient_id, event.location_id, event.object_id) == (patient.pk, north.pk, str(disclosure.pk))


@pytest.mark.parametrize(("overrides", "field"), [
    ({"disclosed_on": "tomorrow"}, "disclosed_on"),
    ({"recipient": "   "}, "recipient"),
    ({"purpose": "treatment"}, "purpose"),
    ({"purpose": DisclosurePurpose.OTHER}, "purpose_detail"),
    ({"information": ""}, "information"),
])
def test_invalid_disclosures_are_refused_on_their_field(officer: User, north: Location, overrides: dict[str, Any],
                                                        field: str) -> None:
    if overrides.get("disclosed_on") == "tomorrow":
        overrides = {"disclosed_on": practice_today() + dt.timedelta(days=1)}
    patient = PatientFactory(home_location=north)
    with pytest.raises(ValidationError) as caught:
        _record(officer, patient, **overrides)
    assert field in caught.value.message_dict
    assert not Disclosure.objects.exists()


def test_other_with_a_statement_of_purpose_is_accepted(officer: User, north: Location) -> None:
    disclosure = _record(officer, PatientFactory(home_location=north), purpose=DisclosurePurpose.OTHER,
                         purpose_detail="Court-ordered evaluation")
    assert disclosure.purpose_detail == "Court-ordered evaluation"


def test_the_location_must_be_one_the_actor_reaches_and_the_incident_one_they_manage(
        make_user: Callable[..., User], north: Location, south: Location) -> None:
    advanced = make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED, locations=[north])
    patient = PatientFactory(home_location=north)
    with pytest.raises(ValidationError) as caught:
        _record(advanced, patient, location=south)
    assert "location" in caught.value.message_dict
    # compliance.manage without compliance.incidents: no incident to link.
    with pytest.raises(ValidationError) as caught:
        _record(advanced, patient, incident=IncidentFactory(location=north))
    assert "incident" in caught.value.message_dict
    assert not Disclosure.objects.exists()


@pytest.mark.parametrize(("role", "tier", "scope"), [
    (Role.BILLER, Tier.STANDARD, "all"), (Role.FRONT_DESK, Tier.STANDARD, "all"),
    (Role.PRIVACY_OFFICER, Tier.STANDARD, "north"), (Role.PRACTICE_MANAGER, Tier.ENTRY, "all"),
    (Role.AUDITOR, Tier.STANDARD, "all"),
])
def test_refusals_are_audited_and_change_nothing(make_user: Callable[..., User], officer: User, north: Location,
                                                 south_patient: Patient, role: str, tier: str, scope: str) -> None:
    user = make_user(role, tier, locations=[north] if scope == "north" else None)
    existing = make_disclosure(patient=south_patient, recorded_by=user)  # even their own record
    before, denials = _rows(), _denials(user)
    with pytest.raises(PermissionDenied):
        _record(user, south_patient)
    with pytest.raises(PermissionDenied):
        services.disclosure_update(actor=user, disclosure=existing, disclosed_on=existing.disclosed_on,
                                   recipient="Someone else", purpose=existing.purpose, information="x")
    with pytest.raises(PermissionDenied):
        services.accounting_pdf(actor=user, patient=south_patient, as_of=practice_today())
    assert _rows() == before
    assert _denials(user) == denials + 3
    assert not AuditEvent.objects.filter(action="compliance.disclosure_accounting_issued").exists()


def test_the_recorder_corrects_within_30_days_and_the_change_is_audited(officer: User, north: Location) -> None:
    disclosure = _record(officer, PatientFactory(home_location=north))
    services.disclosure_update(actor=officer, disclosure=disclosure, disclosed_on=disclosure.disclosed_on,
                               recipient="Wake County Health Dept.", purpose=disclosure.purpose,
                               information="Lab result (hepatitis panel)")
    disclosure.refresh_from_db()
    assert disclosure.recipient == "Wake County Health Dept."
    event = AuditEvent.objects.get(action="compliance.disclosure_updated")
    assert event.patient_id == disclosure.patient_id
    assert set(event.changed_fields.split(",")) == {"recipient", "information"}


def test_another_manager_may_not_correct_but_a_privacy_manager_may(
        make_user: Callable[..., User], officer: User, north: Location) -> None:
    recorder = make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED, username="recorder")
    colleague = make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED, username="colleague")
    disclosure = _record(recorder, PatientFactory(home_location=north))
    before, denials = _rows(), _denials(colleague)
    with pytest.raises(PermissionDenied):
        services.disclosure_update(actor=colleague, disclosure=disclosure, disclosed_on=disclosure.disclosed_on,
                                   recipient="x", purpose=disclosure.purpose, information="x")
    assert _rows() == before
    assert _denials(colleague) == denials + 1
    services.disclosure_update(actor=officer, disclosure=disclosure, disclosed_on=disclosure.disclosed_on,
                               recipient="Corrected", purpose=disclosure.purpose, information="x")
    disclosure.refresh_from_db()
    assert disclosure.recipient == "Corrected"


def _local_noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=zoneinfo.ZoneInfo(practice_timezone_name()))


def test_after_30_days_the_disclosure_is_kept_as_it_is(officer: User, north: Location) -> None:
    disclosure = _record(officer, PatientFactory(home_location=north))
    today = practice_today()
    Disclosure.objects.filter(pk=disclosure.pk).update(recorded_at=_local_noon(today - dt.timedelta(days=30)))
    disclosure.refresh_from_db()
    assert selectors.edit_until(disclosure) == today
    assert selectors.may_edit(officer, disclosure, today=today)
    Disclosure.objects.filter(pk=disclosure.pk).update(recorded_at=_local_noon(today - dt.timedelta(days=31)))
    disclosure.refresh_from_db()
    assert not selectors.may_edit(officer, disclosure, today=today)
    before = _rows()
    with pytest.raises(ValidationError) as caught:
        services.disclosure_update(actor=officer, disclosure=disclosure, disclosed_on=disclosure.disclosed_on,
                                   recipient="Too late", purpose=disclosure.purpose, information="x")
    assert caught.value.code == "locked"
    assert _rows() == before


def test_an_incident_link_the_editor_cannot_see_stays_and_cannot_be_removed(
        make_user: Callable[..., User], officer: User, north: Location) -> None:
    recorder = make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED)
    incident = IncidentFactory(location=north)
    disclosure = make_disclosure(patient=PatientFactory(home_location=north), recorded_by=recorder,
                                 incident=incident)
    services.disclosure_update(actor=recorder, disclosure=disclosure, disclosed_on=disclosure.disclosed_on,
                               recipient="Renamed", purpose=disclosure.purpose, information="x", incident=incident)
    disclosure.refresh_from_db()
    assert (disclosure.recipient, disclosure.incident_id) == ("Renamed", incident.pk)
    with pytest.raises(ValidationError) as caught:
        services.disclosure_update(actor=recorder, disclosure=disclosure, disclosed_on=disclosure.disclosed_on,
                                   recipient="Renamed", purpose=disclosure.purpose, information="x", incident=None)
    assert "incident" in caught.value.message_dict
    disclosure.refresh_from_db()
    assert disclosure.incident_id == incident.pk


# --- the six-year window ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("as_of", "start"), [
    (dt.date(2025, 6, 15), dt.date(2019, 6, 15)),
    (dt.date(2024, 2, 29), dt.date(2018, 2, 28)),  # no February 29 in 2018
    (dt.date(2026, 2, 28), dt.date(2020, 2, 28)),  # 2020-02-29 is more than six years before
    (dt.date(2026, 3, 1), dt.date(2020, 3, 1)),
    (dt.date(2025, 1, 1), dt.date(2019, 1, 1)),
])
def test_the_window_starts_on_the_same_calendar_date_six_years_earlier(as_of: dt.date, start: dt.date) -> None:
    assert selectors.window_start(as_of) == start


@pytest.mark.parametrize("as_of", [dt.date(2025, 6, 15), dt.date(2024, 2, 29)])
def test_the_accounting_includes_both_edges_and_nothing_outside(officer: User, north: Location,
                                                                as_of: dt.date) -> None:
    patient, other = PatientFactory(home_location=north), PatientFactory(home_location=north)
    start = selectors.window_start(as_of)
    dates = {"before": start - dt.timedelta(days=1), "first": start, "middle": start + dt.timedelta(days=900),
             "last": as_of, "after": as_of + dt.timedelta(days=1)}
    made = {name: make_disclosure(patient=patient, recorded_by=officer, disclosed_on=day, recipient=name)
            for name, day in dates.items()}
    make_disclosure(patient=other, recorded_by=officer, disclosed_on=as_of)
    rows = selectors.accounting(patient=patient, as_of=as_of)
    assert [row.recipient for row in rows] == ["last", "middle", "first"]  # newest first
    assert made["before"] not in rows
    assert made["after"] not in rows


def test_the_accounting_letter_lists_each_disclosure_or_says_there_were_none(officer: User, north: Location,
                                                                             practice: Any) -> None:
    patient = PatientFactory(home_location=north, first_name="Ada", last_name="Lovelace",
                             date_of_birth=dt.date(1970, 12, 10))
    as_of = practice_today()
    empty = services.accounting_html(patient=patient, as_of=as_of)
    assert "We made no disclosures" in empty
    for text in ("Ada", "Lovelace", "12/10/1970"):
        assert text in empty
    assert practice.name in empty
    make_disclosure(patient=patient, recorded_by=officer, disclosed_on=as_of - dt.timedelta(days=10),
                    recipient="State Cancer Registry", recipient_address="PO Box 1, Raleigh",
                    information="Pathology report", purpose=DisclosurePurpose.PUBLIC_HEALTH)
    letter = services.accounting_html(patient=patient, as_of=as_of)
    assert "We made no disclosures" not in letter
    for text in ("State Cancer Registry", "PO Box 1, Raleigh", "Pathology report", "Public health activity",
                 (as_of - dt.timedelta(days=10)).strftime("%m/%d/%Y")):
        assert text in letter


def test_the_accounting_pdf_is_a_pdf_and_its_issue_is_audited(officer: User, north: Location) -> None:
    patient = PatientFactory(home_location=north)
    make_disclosure(patient=patient, recorded_by=officer)
    pdf = services.accounting_pdf(actor=officer, patient=patient, as_of=practice_today())
    assert pdf.startswith(b"%PDF")
    event = AuditEvent.objects.get(action="compliance.disclosure_accounting_issued")
    assert (event.patient_id, event.actor_id) == (patient.pk, officer.pk)
    with pytest.raises(ValidationError):
        services.accounting_pdf(actor=officer, patient=patient, as_of=practice_today() + dt.timedelta(days=1))
    assert AuditEvent.objects.filter(action="compliance.disclosure_accounting_issued").count() == 1
