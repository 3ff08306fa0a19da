"""Case services: intake by anyone (with links checked through the filer's own scope), the privacy incident a
privacy complaint opens, the lifecycle (acknowledge, resolve, close, reopen), assignment, intake corrections and
links. Refusals of users who may not work a case are in test_refusals.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openpractice.accounts.models import User
from openpractice.accounts.roles import PERMISSION_TABLE, Role, Tier
from openpractice.accounts.tests.factories import user_with_role
from openpractice.billing.tests.factories import make_claim
from openpractice.cases import selectors, services
from openpractice.cases.choices import CaseKind, CaseStatus, Confidentiality, EntryKind, Outcome
from openpractice.cases.models import Case, CaseCategory
from openpractice.cases.tests.factories import category
from openpractice.compliance.choices import IncidentKind
from openpractice.compliance.models import Incident
from openpractice.core.models import Location
from openpractice.patients.tests.factories import CoverageFactory, PatientFactory
from openpractice.workforce.tests.factories import EmployeeFactory

from .support import events, state

pytestmark = pytest.mark.django_db
D = dt.date
NARRATIVE = "Mrs Okafor says the receptionist discussed her diabetes diagnosis loudly in the waiting room."


def file(actor: User, location: Location | None, **fields: Any) -> Case:
    fields.setdefault("category", category())
    fields.setdefault("subject", "Overheard at the desk")
    fields.setdefault("narrative", NARRATIVE)
    return services.case_file(actor=actor, location=location, **fields)


# --- intake ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "tier"), list(PERMISSION_TABLE))
def test_every_staff_member_takes_in_a_complaint_with_the_categorys_service_levels(
        role: str, tier: str, north: Location, today: dt.date) -> None:
    clerk = user_with_role(role, tier, locations=[north])
    case = file(clerk, north, category=category(name="Staff conduct"), received_on=D(2026, 3, 10))
    assert (case.kind, case.status, case.filed_by, case.location) == (CaseKind.PATIENT, CaseStatus.NEW, clerk, north)
    assert (case.acknowledge_due_on, case.resolve_due_on) == (D(2026, 3, 12), D(2026, 4, 9))  # 2 and 30 days
    assert [entry.kind for entry in selectors.timeline(case)] == [EntryKind.STATUS]
    assert len(events("cases.case_filed", actor=clerk, object_id=str(case.pk))) == 1
    assert selectors.own_cases(actor=clerk).filter(pk=case.pk).exists()


def test_received_on_defaults_to_the_practice_day_and_cannot_be_in_the_future(desk: User, north: Location,
                                                                                today: dt.date) -> None:
    assert file(desk, north).received_on == today
    before = state()
    with pytest.raises(ValidationError) as error:
        file(desk, north, received_on=today + dt.timedelta(days=1))
    assert "received_on" in error.value.message_dict
    assert state() == before


def test_intake_at_a_location_the_filer_does_not_work_at_is_refused_but_practice_wide_is_allowed(
        desk: User, north: Location, south: Location, today: dt.date) -> None:
    before = state()
    with pytest.raises(ValidationError) as error:
        file(desk, south)
    assert "location" in error.value.message_dict
    assert state() == before
    assert file(desk, None).location is None


def test_an_inactive_category_is_refused(desk: User, north: Location, today: dt.date) -> None:
    retired = category(name="Access to records")
    CaseCategory.objects.filter(pk=retired.pk).update(is_active=False)
    retired.refresh_from_db()
    before = state()
    with pytest.raises(ValidationError) as error:
        file(desk, north, category=retired)
    assert "category" in error.value.message_dict
    assert state() == before


def test_a_staff_member_files_their_own_grievance_which_links_their_employee_record(
        desk: User, hr: User, north: Location, today: dt.date) -> None:
    employee = EmployeeFactory(user=desk, location=north)
    EmployeeFactory()  # someone else's record is not picked
    case = file(desk, north, category=category(CaseKind.STAFF, "Grievance about pay or hours"),
                subject="Overtime not paid", narrative="My overtime in February was not paid.", own_grievance=True)
    assert (case.kind, case.employee, case.patient) == (CaseKind.STAFF, employee, None)
    # The filer follows it in their own cases, not in the case workers' list; HR works it.
    assert not selectors.case_scoped(actor=desk).filter(pk=case.pk).exists()
    assert selectors.own_cases(actor=desk).filter(pk=case.pk).exists()
    assert selectors.may_work(hr, case)


def test_an_own_grievance_must_be_a_staff_case(desk: User, north: Location, today: dt.date) -> None:
    EmployeeFactory(user=desk)
    before = state()
    with pytest.raises(ValidationError) as error:
        file(desk, north, own_grievance=True)
    assert "category" in error.value.message_dict
    assert state() == before


def test_a_staff_case_cannot_name_a_patient_or_a_claim(desk: User, north: Location, today: dt.date) -> None:
    patient = PatientFactory(home_location=north)
    before = state()
    with pytest.raises(ValidationError):
        file(desk, north, category=category(CaseKind.STAFF, "Conflict between colleagues"), patient=patient)
    assert state() == before


def test_the_patient_is_linked_through_the_filers_scope(desk: User, north: Location, south: Location,
                                                         today: dt.date) -> None:
    here, elsewhere = PatientFactory(home_location=north), PatientFactory(home_location=south)
    assert file(desk, north, patient=here).patient == here
    before = state()
    with pytest.raises(ValidationError) as error:
        file(desk, north, patient=elsewhere)
    assert "patient" in error.value.message_dict
    assert state() == before


def test_a_claim_must_be_the_patients_and_in_the_filers_scope(pm_entry: User, desk: User, north: Location,
                                                                today: dt.date) -> None:
    patient = PatientFactory(home_location=north)
    claim = make_claim(location=north, actor=pm_entry, coverage=CoverageFactory(patient=patient))
    other = make_claim(location=north, actor=pm_entry)
    case = file(pm_entry, north, category=category(), patient=patient, claim=claim)
    assert (case.patient, case.claim) == (patient, claim)
    before = state()
    with pytest.raises(ValidationError) as error:
        file(pm_entry, north, patient=patient, claim=other)  # another patient's claim
    assert "claim" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        file(pm_entry, north, claim=claim)  # a claim without its patient
    assert "claim" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        file(desk, north, patient=patient, claim=claim)  # the front desk does not see claims
    assert "claim" in error.value.message_dict
    assert state() == before


def test_an_anonymous_visitor_cannot_file(north: Location, today: dt.date) -> None:
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import PermissionDenied

    before = state()
    with pytest.raises(PermissionDenied):
        file(AnonymousUser(), north)
    assert state() == before


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(received_back=st.integers(min_value=0, max_value=3 * 366), acknowledge=st.integers(min_value=1, max_value=60),
       extra=st.integers(min_value=0, max_value=300))
def test_due_dates_are_calendar_days_after_receipt_whatever_the_category_promises(
        received_back: int, acknowledge: int, extra: int, desk: User, north: Location, today: dt.date) -> None:
    service = category(name="Service or wait times")
    CaseCategory.objects.filter(pk=service.pk).update(acknowledge_days=acknowledge, resolve_days=acknowledge + extra)
    service.refresh_from_db()
    received = today - dt.timedelta(days=received_back)
    case = file(desk, north, category=service, received_on=received)
    stored = Case.objects.get(pk=case.pk)
    assert (stored.acknowledge_due_on - received).days == acknowledge
    assert (stored.resolve_due_on - received).days == acknowledge + extra
    assert stored.received_on <= stored.acknowledge_due_on <= stored.resolve_due_on


# --- the privacy incident ----------------------------------------------------------------------------------------


def test_a_privacy_complaint_opens_an_incident_that_holds_no_words_of_the_complaint(
        desk: User, privacy: User, north: Location, today: dt.date) -> None:
    case = file(desk, north, category=category(name="Privacy complaint"), complainant_name="Grace Okafor",
                complainant_contact="4 Birch Lane")
    incident = Incident.objects.get()
    assert case.incident == incident
    assert (incident.kind, incident.location, incident.discovered_on, incident.reported_by) == (
        IncidentKind.UNAUTHORIZED_ACCESS, north, today, desk)
    assert case.number in incident.title
    stored = " ".join([incident.title, incident.description, incident.phi_involved]).lower()
    for word in {w.strip(".,").lower() for w in NARRATIVE.split() if len(w) > 4} | {"okafor", "birch", "grace",
                                                                                    "overheard"}:
        assert word not in stored
    assert Case.objects.get(pk=case.pk).incident_id == incident.pk
    assert EntryKind.ACTION in [entry.kind for entry in selectors.timeline(case)]
    assert len(events("compliance.incident_reported", object_id=str(incident.pk))) == 1


def test_other_complaints_open_no_incident(desk: User, north: Location, today: dt.date) -> None:
    assert file(desk, north).incident is None
    assert not Incident.objects.exists()


def test_a_case_corrected_into_the_privacy_category_opens_its_incident(pm_entry: User, make_case: Any,
                                                                       north: Location) -> None:
    case = make_case(category=category())
    services.case_update(actor=pm_entry, case=case, subject=case.subject, severity=case.severity,
                         confidentiality=case.confidentiality, category=category(name="Privacy complaint"),
                         location=north)
    incident = Incident.objects.get()
    assert Case.objects.get(pk=case.pk).incident_id == incident.pk == case.incident_id
    # Correcting it again (or back and forth) does not open a second one.
    services.case_update(actor=pm_entry, case=case, subject="Chart seen by a neighbour", severity=case.severity,
                         confidentiality=case.confidentiality, category=case.category, location=north)
    assert Incident.objects.count() == 1


# --- lifecycle ---------------------------------------------------------------------------------------------------


def test_only_a_new_case_is_acknowledged(pm_entry: User, make_case: Any) -> None:
    case = make_case()
    services.case_acknowledge(actor=pm_entry, case=case, note="Called Dana back.")
    stored = Case.objects.get(pk=case.pk)
    assert stored.status == CaseStatus.ACKNOWLEDGED
    assert stored.acknowledged_at is not None
    assert selectors.timeline(case)[-1].body == "Called Dana back."
    resolved = make_case(status=CaseStatus.RESOLVED, outcome=Outcome.UPHELD, resolution="Refunded.")
    before = state()
    for done in (case, resolved):
        with pytest.raises(ValidationError):
            services.case_acknowledge(actor=pm_entry, case=done)
    assert state() == before


@pytest.mark.parametrize(("outcome", "resolution", "field"), [
    ("", "Refunded the charge.", "outcome"), ("maybe", "Refunded the charge.", "outcome"),
    (Outcome.UPHELD, "   ", "resolution")])
def test_resolving_needs_an_outcome_and_a_resolution(pm_entry: User, make_case: Any, outcome: str,
                                                      resolution: str, field: str) -> None:
    case = make_case()
    before = state()
    with pytest.raises(ValidationError) as error:
        services.case_resolve(actor=pm_entry, case=case, outcome=outcome, resolution=resolution)
    assert field in error.value.message_dict
    assert state() == before


def test_resolving_a_new_case_records_outcome_resolution_and_both_times(pm_entry: User, make_case: Any) -> None:
    case = make_case()
    services.case_resolve(actor=pm_entry, case=case, outcome=Outcome.PARTLY_UPHELD, resolution=" Refunded half. ")
    stored = Case.objects.get(pk=case.pk)
    assert (stored.status, stored.outcome, stored.resolution) == (CaseStatus.RESOLVED, Outcome.PARTLY_UPHELD,
                                                                  "Refunded half.")
    assert stored.resolved_at is not None
    assert stored.acknowledged_at == stored.resolved_at
    with pytest.raises(ValidationError):
        services.case_resolve(actor=pm_entry, case=case, outcome=Outcome.UPHELD, resolution="Again")


def test_only_a_resolved_case_is_closed(pm_entry: User, make_case: Any) -> None:
    case = make_case(status=CaseStatus.ACKNOWLEDGED)
    before = state()
    with pytest.raises(ValidationError):
        services.case_close(actor=pm_entry, case=case)
    assert state() == before
    services.case_resolve(actor=pm_entry, case=case, outcome=Outcome.SETTLED, resolution="Agreed a refund.")
    services.case_close(actor=pm_entry, case=case)
    stored = Case.objects.get(pk=case.pk)
    assert stored.status == CaseStatus.CLOSED
    assert stored.closed_at is not None
    with pytest.raises(ValidationError):
        services.case_close(actor=pm_entry, case=case)


def test_reopening_needs_a_reason_and_keeps_the_earlier_resolution_on_the_timeline(pm_entry: User,
                                                                                    make_case: Any) -> None:
    case = make_case()
    with pytest.raises(ValidationError):
        services.case_reopen(actor=pm_entry, case=case, reason="Patient wrote again")  # still open
    services.case_resolve(actor=pm_entry, case=case, outcome=Outcome.NOT_UPHELD, resolution="Billed correctly.")
    services.case_close(actor=pm_entry, case=case)
    before = state()
    with pytest.raises(ValidationError) as error:
        services.case_reopen(actor=pm_entry, case=case, reason=" ")
    assert "reason" in error.value.message_dict
    assert state() == before
    services.case_reopen(actor=pm_entry, case=case, reason="New statement shows a double charge")
    stored = Case.objects.get(pk=case.pk)
    assert (stored.status, stored.outcome, stored.resolution, stored.resolved_at, stored.closed_at) == (
        CaseStatus.ACKNOWLEDGED, "", "", None, None)
    last = selectors.timeline(case)[-1].body
    assert "New statement shows a double charge" in last
    assert "Billed correctly." in last
    assert "Not upheld" in last
    services.case_resolve(actor=pm_entry, case=case, outcome=Outcome.UPHELD, resolution="Refunded.")


# --- assignment --------------------------------------------------------------------------------------------------


def test_a_case_is_assigned_to_someone_who_works_it_there_and_unassigned(pm_entry: User, pm_advanced: User,
                                                                         make_case: Any) -> None:
    case = make_case()
    services.case_assign(actor=pm_entry, case=case, assignee=pm_advanced)
    assert Case.objects.get(pk=case.pk).assignee == pm_advanced == case.assignee
    count = len(selectors.timeline(case))
    services.case_assign(actor=pm_entry, case=case, assignee=pm_advanced)  # the same again changes nothing
    assert len(selectors.timeline(case)) == count
    services.case_assign(actor=pm_entry, case=case, assignee=None)
    assert Case.objects.get(pk=case.pk).assignee is None
    assert [e.kind for e in selectors.timeline(case)][-2:] == [EntryKind.ASSIGNED, EntryKind.ASSIGNED]
    assert len(events("cases.case_assigned", object_id=str(case.pk))) == 2


@pytest.mark.parametrize("who", ["desk", "pm_entry_south", "hr", "inactive"])
def test_the_assignee_must_work_cases_of_its_kind_where_it_is(who: str, request: pytest.FixtureRequest,
                                                              pm_entry: User, make_case: Any,
                                                              north: Location) -> None:
    if who == "inactive":
        assignee = user_with_role(Role.PRACTICE_MANAGER, Tier.ENTRY, locations=[north], is_active=False)
    else:
        assignee = request.getfixturevalue(who)
    case = make_case()
    before = state()
    with pytest.raises(ValidationError) as error:
        services.case_assign(actor=pm_entry, case=case, assignee=assignee)
    assert "assignee" in error.value.message_dict
    assert state() == before


def test_a_confidential_case_goes_only_to_a_senior_role(pm_senior: User, pm_entry: User, pm_advanced: User,
                                                        privacy: User, make_case: Any) -> None:
    case = make_case(confidentiality=Confidentiality.CONFIDENTIAL)
    before = state()
    for junior in (pm_entry, pm_advanced):
        with pytest.raises(ValidationError):
            services.case_assign(actor=pm_senior, case=case, assignee=junior)
    assert state() == before
    services.case_assign(actor=pm_senior, case=case, assignee=privacy)
    assert Case.objects.get(pk=case.pk).assignee == privacy


# --- intake corrections ------------------------------------------------------------------------------------------


def update(actor: User, case: Case, **changes: Any) -> Case:
    values = {"subject": case.subject, "severity": case.severity, "confidentiality": case.confidentiality,
              "category": case.category, "location": case.location, **changes}
    return services.case_update(actor=actor, case=case, **values)


def test_only_a_senior_role_lifts_confidentiality(pm_senior: User, pm_entry: User, make_case: Any) -> None:
    # A junior assignee of a confidential case (assigned before it became confidential, in older data).
    case = make_case(confidentiality=Confidentiality.CONFIDENTIAL, assignee=pm_entry)
    assert selectors.may_work(pm_entry, case)
    before = state()
    with pytest.raises(ValidationError) as error:
        update(pm_entry, case, confidentiality=Confidentiality.NORMAL)
    assert "confidentiality" in error.value.message_dict
    assert state() == before
    update(pm_senior, case, confidentiality=Confidentiality.NORMAL)
    assert Case.objects.get(pk=case.pk).confidentiality == Confidentiality.NORMAL
    assert events("cases.case_updated", object_id=str(case.pk))[0].changed_fields == "confidentiality"


def test_a_case_assigned_to_a_junior_cannot_become_confidential_until_a_senior_has_it(
        pm_entry: User, pm_senior: User, make_case: Any) -> None:
    case = make_case(assignee=pm_entry)
    before = state()
    for actor in (pm_entry, pm_senior):
        with pytest.raises(ValidationError) as error:
            update(actor, case, confidentiality=Confidentiality.CONFIDENTIAL)
        assert "confidentiality" in error.value.message_dict
    assert state() == before
    services.case_assign(actor=pm_senior, case=case, assignee=pm_senior)
    update(pm_senior, case, confidentiality=Confidentiality.CONFIDENTIAL)
    assert Case.objects.get(pk=case.pk).confidentiality == Confidentiality.CONFIDENTIAL
    assert not selectors.may_view(pm_entry, case)


def test_the_assignee_cannot_move_the_case_to_a_location_they_do_not_cover(
        pm_entry: User, make_user: Callable[..., User], make_case: Any, north: Location, south: Location) -> None:
    case = make_case(assignee=pm_entry)
    before = state()
    with pytest.raises(ValidationError) as error:
        update(pm_entry, case, location=south)
    assert "location" in error.value.message_dict
    both = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY, locations=[north, south])
    with pytest.raises(ValidationError):  # a worker covering both: the assignee still does not
        update(both, case, location=south)
    assert state() == before
    services.case_assign(actor=both, case=case, assignee=both)
    update(both, case, location=south)
    assert Case.objects.get(pk=case.pk).location == south


def test_intake_corrections_keep_the_kind_and_the_promised_service_levels(pm_entry: User, make_case: Any) -> None:
    case = make_case()
    due = (case.acknowledge_due_on, case.resolve_due_on)
    before = state()
    with pytest.raises(ValidationError) as error:
        update(pm_entry, case, category=category(CaseKind.STAFF, "Conflict between colleagues"))
    assert "category" in error.value.message_dict
    assert state() == before
    update(pm_entry, case, category=category(name="Staff conduct"), severity="high", subject="Rude reply")
    stored = Case.objects.get(pk=case.pk)
    assert (stored.acknowledge_due_on, stored.resolve_due_on) == due
    assert (stored.category.name, stored.severity, stored.subject) == ("Staff conduct", "high", "Rude reply")
    assert set(events("cases.case_updated")[0].changed_fields.split(",")) == {"subject", "severity", "category"}
    count = len(selectors.timeline(case))
    update(pm_entry, case)  # nothing changed: no entry, no event
    assert len(selectors.timeline(case)) == count
    assert len(events("cases.case_updated")) == 1


# --- links -------------------------------------------------------------------------------------------------------


def test_links_are_checked_through_the_workers_scope(pm_entry: User, make_case: Any, north: Location,
                                                     south: Location) -> None:
    case = make_case()
    patient = PatientFactory(home_location=north)
    claim = make_claim(location=north, actor=pm_entry, coverage=CoverageFactory(patient=patient))
    before = state()
    for links in ({"patient": PatientFactory(home_location=south)}, {"patient": patient,
                                                                      "claim": make_claim(location=north,
                                                                                          actor=pm_entry)},
                  {"respondent": EmployeeFactory()}):
        with pytest.raises(ValidationError):
            services.case_links_set(actor=pm_entry, case=case, **links)
    assert state() == before
    services.case_links_set(actor=pm_entry, case=case, patient=patient, claim=claim)
    stored = Case.objects.get(pk=case.pk)
    assert (stored.patient, stored.claim) == (patient, claim)
    assert events("cases.case_links_changed")[0].patient_id == patient.pk


def test_a_staff_case_links_a_colleague_the_worker_may_see_and_no_patient(hr: User, make_case: Any,
                                                                          north: Location) -> None:
    case = make_case(kind=CaseKind.STAFF)
    colleague = EmployeeFactory(location=north)
    before = state()
    with pytest.raises(ValidationError):
        services.case_links_set(actor=hr, case=case, patient=PatientFactory(home_location=north))
    assert state() == before
    services.case_links_set(actor=hr, case=case, respondent=colleague)
    assert Case.objects.get(pk=case.pk).respondent == colleague


def test_a_worker_who_cannot_open_the_incident_log_keeps_the_privacy_incident_when_linking_the_patient(
        desk: User, pm_entry: User, north: Location, today: dt.date) -> None:
    case = file(desk, north, category=category(name="Privacy complaint"))
    patient = PatientFactory(home_location=north)
    assert case.incident is not None
    services.case_links_set(actor=pm_entry, case=case, patient=patient, incident=case.incident)
    stored = Case.objects.get(pk=case.pk)
    assert (stored.patient, stored.incident) == (patient, case.incident)
    # Linking another incident still needs one the worker manages.
    other = Incident.objects.create(title="Other", kind=IncidentKind.OTHER, location=north, discovered_on=today,
                                    description="x", reported_by=desk)
    before = state()
    with pytest.raises(ValidationError) as error:
        services.case_links_set(actor=pm_entry, case=case, patient=patient, incident=other)
    assert "incident" in error.value.message_dict
    assert state() == before
