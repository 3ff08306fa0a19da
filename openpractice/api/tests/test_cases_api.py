"""/cases: anyone signed in files a case and gets its status only; the list and a case are for those who may see
them (kind, location, confidentiality, or being the assignee); reading a case is audited (naming the patient);
acknowledging and resolving need the kind's work permission where the case is. Refusals are 404, audited, and
change nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.cases.choices import CaseKind, CaseStatus, Confidentiality
from openpractice.cases.models import Case, CaseCategory
from openpractice.cases.tests.factories import CaseFactory, category
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.patients.tests.factories import PatientFactory

from .conftest import API, TokenClient

pytestmark = pytest.mark.django_db

Api = Callable[[User], TokenClient]
CASES = f"{API}/cases"


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the cases and compliance tables: a refusal must leave them unchanged."""
    state = {}
    for label in ("cases", "compliance"):
        for model in apps.get_app_config(label).get_models():
            columns = [field.attname for field in model._meta.concrete_fields]
            state[model._meta.label] = list(model._default_manager.order_by("pk").values_list(*columns))
    return state


def denials(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["items"]]


def make_case(*, location: Location | None, age: int = 3, kind: str = CaseKind.PATIENT, name: str = "",
              **fields: Any) -> Case:
    cat = category(kind, name) if name else CaseCategory.objects.filter(kind=kind).order_by("pk").first()
    assert cat is not None
    received = practice_today() - dt.timedelta(days=age)
    return CaseFactory(kind=kind, category=cat, location=location, received_on=received,
                       acknowledge_due_on=received + dt.timedelta(days=cat.acknowledge_days),
                       resolve_due_on=received + dt.timedelta(days=cat.resolve_days), **fields)


@pytest.fixture
def desk(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.FRONT_DESK, locations=[north], username="desk")


@pytest.fixture
def pm_north(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.PRACTICE_MANAGER, Tier.ENTRY, locations=[north], username="pm-north")


def payload(**changes: Any) -> dict[str, Any]:
    return {"category_id": category(CaseKind.PATIENT, "Billing dispute").pk, "subject": "Charged twice",
            "narrative": "The patient says her card was charged twice for the March visit.",
            "complainant_name": "Dana Reyes", "complainant_contact": "12 Elm St", **changes}


# --- filing ----------------------------------------------------------------------------------------------------


def test_anyone_files_a_case_and_gets_its_status_only(desk: User, north: Location, api_as: Api) -> None:
    response = api_as(desk).post(CASES, payload(location_id=north.pk))
    assert response.status_code == 201, response.content
    body = response.json()
    case = Case.objects.get()
    assert body["id"] == case.pk
    assert body["number"] == case.number
    assert body["status"] == CaseStatus.NEW
    assert body["resolve_due_on"] == (practice_today() + dt.timedelta(days=30)).isoformat()
    assert "narrative" not in body
    assert "complainant_name" not in body
    assert (case.filed_by, case.location, case.narrative) == (
        desk, north, "The patient says her card was charged twice for the March visit.")
    assert AuditEvent.objects.filter(actor=desk, action="cases.case_filed", object_id=str(case.pk)).exists()
    # The filer does not read the case itself: it is for the case workers.
    before = denials(desk)
    assert api_as(desk).get(f"{CASES}/{case.pk}").status_code == 404
    assert denials(desk) == before + 1


def test_a_privacy_complaint_opens_an_incident(desk: User, north: Location, api_as: Api) -> None:
    response = api_as(desk).post(CASES, payload(category_id=category(CaseKind.PATIENT, "Privacy complaint").pk,
                                                location_id=north.pk, confidentiality="confidential"))
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert case.incident is not None
    assert case.confidentiality == Confidentiality.CONFIDENTIAL


def test_a_staff_member_files_their_own_grievance(make_user: Callable[..., User], api_as: Api) -> None:
    clinician = make_user(Role.CLINICAL_STAFF)
    response = api_as(clinician).post(CASES, payload(
        category_id=category(CaseKind.STAFF, "Grievance about pay or hours").pk, own_grievance=True,
        complainant_name="", complainant_contact=""))
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == CaseKind.STAFF
    assert Case.objects.get().location is None


def test_filing_refuses_what_the_caller_may_not_use_and_creates_nothing(
        desk: User, north: Location, south: Location, api_as: Api) -> None:
    hidden = PatientFactory(home_location=south)
    inactive = CaseCategory.objects.create(kind=CaseKind.PATIENT, name="Old", acknowledge_days=1, resolve_days=2,
                                           is_active=False)
    client = api_as(desk)
    before = snapshot()
    for changes, field in (({"patient_id": hidden.pk, "location_id": north.pk}, "patient_id"),
                           ({"patient_id": 999999}, "patient_id"),
                           ({"location_id": south.pk}, "location_id"),
                           ({"category_id": inactive.pk}, "category_id"),
                           ({"claim_id": 999999}, "claim_id"),
                           ({"received_on": (practice_today() + dt.timedelta(days=2)).isoformat()}, "received_on"),
                           ({"severity": "apocalyptic"}, "severity"),
                           ({"subject": "x" * 201}, "subject")):
        response = client.post(CASES, payload(**changes))
        assert response.status_code == 422, (changes, response.content)
        body = response.json()
        assert body["code"] == "validation_error"
        assert any(field in [str(part) for part in error["loc"]] for error in body["errors"]), body
    # An existing patient out of scope and a missing one read the same (no existence leak).
    messages = [client.post(CASES, payload(patient_id=value)).json()["errors"][0]["msg"]
                for value in (hidden.pk, 999999)]
    assert messages[0].replace(str(hidden.pk), "N") == messages[1].replace("999999", "N")
    assert snapshot() == before


def test_filing_links_a_patient_the_caller_sees(desk: User, north: Location, api_as: Api) -> None:
    patient = PatientFactory(home_location=north)
    response = api_as(desk).post(CASES, payload(patient_id=patient.pk, location_id=north.pk))
    assert response.status_code == 201, response.content
    assert Case.objects.get().patient == patient


def test_an_anonymous_caller_files_nothing(client: Any, practice: Any) -> None:
    response = client.post(CASES, payload(), content_type="application/json")
    assert response.status_code == 401
    assert not Case.objects.exists()


# --- list and read ---------------------------------------------------------------------------------------------


def test_the_list_shows_what_the_caller_may_see_filtered_and_paginated(
        pm_north: User, north: Location, south: Location, api_as: Api) -> None:
    new = make_case(location=north, age=1, name="Billing dispute")
    late = make_case(location=north, age=40, name="Staff conduct", status=CaseStatus.ACKNOWLEDGED)
    resolved = make_case(location=north, age=50, status=CaseStatus.RESOLVED, outcome="upheld")
    make_case(location=south)
    make_case(location=north, confidentiality=Confidentiality.CONFIDENTIAL)
    make_case(location=north, kind=CaseKind.STAFF)
    make_case(location=None)  # practice-wide: needs the permission everywhere
    client = api_as(pm_north)

    everything = client.get(CASES)
    assert ids(everything) == [new.pk, late.pk, resolved.pk]
    row = everything.json()["items"][1]
    assert row["number"] == late.number
    assert row["category"] == "Staff conduct"
    assert row["overdue"] is True
    assert "narrative" not in row
    assert ids(client.get(CASES, {"open": True})) == [new.pk, late.pk]
    assert ids(client.get(CASES, {"status": "resolved"})) == [resolved.pk]
    assert ids(client.get(CASES, {"overdue": True})) == [late.pk]
    assert ids(client.get(CASES, {"category": late.category_id})) == [late.pk]
    assert ids(client.get(CASES, {"kind": "staff"})) == []
    assert ids(client.get(CASES, {"q": late.number})) == [late.pk]
    page = client.get(CASES, {"limit": 2, "offset": 2})
    assert ids(page) == [resolved.pk]
    assert page.json()["count"] == 3
    for params in ({"status": "lost"}, {"kind": "vendor"}, {"limit": 500}, {"assignee": "someone"}):
        response = client.get(CASES, params)
        assert response.status_code == 422, params
        assert response.json()["code"] == "validation_error"


def test_assigned_cases_are_listed_for_their_assignee(pm_north: User, south: Location, api_as: Api) -> None:
    theirs = make_case(location=south, confidentiality=Confidentiality.CONFIDENTIAL, assignee=pm_north)
    assert ids(api_as(pm_north).get(CASES, {"assignee": "me"})) == [theirs.pk]


def test_the_list_refuses_people_who_see_no_cases(desk: User, api_as: Api) -> None:
    make_case(location=None)
    before = denials(desk)
    response = api_as(desk).get(CASES)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert denials(desk) == before + 1


def test_reading_a_case_shows_the_narrative_and_timeline_and_is_audited(
        pm_north: User, north: Location, api_as: Api) -> None:
    patient = PatientFactory(home_location=north)
    case = make_case(location=north, patient=patient)
    case.entries.create(kind="note", body="Called the patient back.", author=pm_north)

    response = api_as(pm_north).get(f"{CASES}/{case.pk}")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["narrative"] == case.narrative
    assert body["patient_id"] == patient.pk
    assert [entry["body"] for entry in body["timeline"]] == ["Called the patient back."]
    viewed = AuditEvent.objects.get(actor=pm_north, action="cases.case_viewed")
    assert (viewed.object_id, viewed.patient_id) == (str(case.pk), patient.pk)


def test_a_case_out_of_scope_is_404_audited_and_not_shown(
        pm_north: User, north: Location, south: Location, make_user: Callable[..., User], api_as: Api) -> None:
    hidden = [make_case(location=south), make_case(location=north, confidentiality=Confidentiality.CONFIDENTIAL),
              make_case(location=north, kind=CaseKind.STAFF)]
    client = api_as(pm_north)
    for case in hidden:
        before = denials(pm_north)
        response = client.get(f"{CASES}/{case.pk}")
        assert response.status_code == 404
        assert denials(pm_north) == before + 1
    assert client.get(f"{CASES}/999999").status_code == 404
    assert not AuditEvent.objects.filter(action="cases.case_viewed").exists()
    # HR reads the staff case, and the senior practice manager the confidential one.
    assert api_as(make_user(Role.HR)).get(f"{CASES}/{hidden[2].pk}").status_code == 200
    senior = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)
    assert api_as(senior).get(f"{CASES}/{hidden[1].pk}").status_code == 200


# --- acknowledge and resolve -----------------------------------------------------------------------------------


def test_a_case_worker_acknowledges_then_resolves(pm_north: User, north: Location, api_as: Api) -> None:
    case = make_case(location=north)
    client = api_as(pm_north)

    acknowledged = client.post(f"{CASES}/{case.pk}/acknowledge", {"note": "Called her back."})
    assert acknowledged.status_code == 200, acknowledged.content
    assert acknowledged.json()["status"] == CaseStatus.ACKNOWLEDGED
    again = client.post(f"{CASES}/{case.pk}/acknowledge", {})
    assert again.status_code == 422

    resolved = client.post(f"{CASES}/{case.pk}/resolve", {"outcome": "upheld", "resolution": "Refunded."})
    assert resolved.status_code == 200, resolved.content
    assert resolved.json()["outcome"] == "upheld"
    case.refresh_from_db()
    assert (case.status, case.resolution) == (CaseStatus.RESOLVED, "Refunded.")
    assert AuditEvent.objects.filter(actor=pm_north, action="cases.case_resolved").count() == 1
    assert client.post(f"{CASES}/{case.pk}/resolve", {"outcome": "upheld", "resolution": "Again"}).status_code == 422


def test_a_resolution_needs_a_listed_outcome_and_words(pm_north: User, north: Location, api_as: Api) -> None:
    case = make_case(location=north)
    client = api_as(pm_north)
    before = snapshot()
    for body in ({"outcome": "vindicated", "resolution": "Refunded."}, {"outcome": "upheld", "resolution": " "},
                 {"resolution": "Refunded."}):
        assert client.post(f"{CASES}/{case.pk}/resolve", body).status_code == 422, body
    assert snapshot() == before


def test_acting_on_a_case_out_of_reach_is_404_audited_and_changes_nothing(
        pm_north: User, desk: User, north: Location, south: Location, api_as: Api) -> None:
    cases = [make_case(location=south), make_case(location=north, confidentiality=Confidentiality.CONFIDENTIAL),
             make_case(location=north, kind=CaseKind.STAFF)]
    own = make_case(location=north, filed_by=desk)
    for user, case in [*((pm_north, case) for case in cases), (desk, own)]:
        client = api_as(user)
        for action, body in (("acknowledge", {}), ("resolve", {"outcome": "upheld", "resolution": "Done."})):
            before, denied = snapshot(), denials(user)
            response = client.post(f"{CASES}/{case.pk}/{action}", body)
            assert response.status_code == 404, (user.username, action)
            assert response.json()["code"] == "not_found"
            assert denials(user) == denied + 1
            assert snapshot() == before


def test_the_assignee_works_a_confidential_case(pm_north: User, north: Location, api_as: Api) -> None:
    case = make_case(location=north, confidentiality=Confidentiality.CONFIDENTIAL, assignee=pm_north)
    response = api_as(pm_north).post(f"{CASES}/{case.pk}/acknowledge", {})
    assert response.status_code == 200, response.content
    case.refresh_from_db()
    assert case.status == CaseStatus.ACKNOWLEDGED


# --- correcting the intake (PATCH) -----------------------------------------------------------------------------


def test_a_case_worker_corrects_the_intake_without_reading_the_narrative(
        pm_north: User, north: Location, api_as: Api) -> None:
    case = make_case(location=north, name="Billing dispute")
    new_category = category(CaseKind.PATIENT, "Staff conduct")
    response = api_as(pm_north).patch(f"{CASES}/{case.pk}", {"severity": "high", "subject": "Double charge",
                                                               "category_id": new_category.pk})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["severity"], body["subject"], body["category"], body["location_id"]) == (
        "high", "Double charge", "Staff conduct", north.pk)
    assert "narrative" not in body
    case.refresh_from_db()
    assert (case.severity, case.subject, case.category) == ("high", "Double charge", new_category)
    event = AuditEvent.objects.get(actor=pm_north, action="cases.case_updated")
    assert sorted(event.changed_fields.split(",")) == ["category", "severity", "subject"]
    assert [entry.body for entry in case.entries.filter(kind="action")] == [
        "Intake corrected: subject, severity, category."]
    assert not AuditEvent.objects.filter(action="cases.case_viewed").exists()
    # Sending nothing changes nothing and records nothing.
    assert api_as(pm_north).patch(f"{CASES}/{case.pk}", {}).status_code == 200
    assert AuditEvent.objects.filter(action="cases.case_updated").count() == 1


def test_a_case_worker_everywhere_moves_a_case_and_puts_it_at_the_whole_practice(
        make_user: Callable[..., User], north: Location, south: Location, api_as: Api) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY)
    case = make_case(location=north)
    client = api_as(manager)
    assert client.patch(f"{CASES}/{case.pk}", {"location_id": south.pk}).json()["location_id"] == south.pk
    assert client.patch(f"{CASES}/{case.pk}", {"location_id": None}).json()["location_id"] is None
    case.refresh_from_db()
    assert case.location is None


@pytest.mark.parametrize("body", [
    {"category_id": "staff"},  # a staff category on a patient case (replaced below)
    {"category_id": "inactive"},
    {"category_id": 999999},
    {"location_id": "south"},
    {"location_id": None},  # the whole practice: not where this worker works
    {"subject": None}, {"subject": ""}, {"subject": "x" * 201}, {"subject": "a\x00b"},
    {"severity": "apocalyptic"}, {"severity": None}, {"confidentiality": "secret"},
])
def test_bad_corrections_are_422_and_change_nothing(pm_north: User, north: Location, south: Location,
                                                    api_as: Api, body: dict[str, Any]) -> None:
    case = make_case(location=north)
    inactive = CaseCategory.objects.create(kind=CaseKind.PATIENT, name="Retired", acknowledge_days=1,
                                           resolve_days=2, is_active=False)
    stand_ins = {"staff": category(CaseKind.STAFF, "Grievance about pay or hours").pk, "inactive": inactive.pk,
                 "south": south.pk}
    body = {name: stand_ins.get(value, value) if isinstance(value, str) else value for name, value in body.items()}
    before = snapshot()
    response = api_as(pm_north).patch(f"{CASES}/{case.pk}", body)
    assert response.status_code == 422, (body, response.content)
    assert response.json()["code"] == "validation_error"
    assert snapshot() == before


def test_only_a_senior_role_lifts_confidentiality(pm_north: User, north: Location,
                                                  make_user: Callable[..., User], api_as: Api) -> None:
    case = make_case(location=north, confidentiality=Confidentiality.CONFIDENTIAL, assignee=pm_north)
    before = snapshot()
    assert api_as(pm_north).patch(f"{CASES}/{case.pk}", {"confidentiality": "normal"}).status_code == 422
    assert snapshot() == before
    senior = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)
    response = api_as(senior).patch(f"{CASES}/{case.pk}", {"confidentiality": "normal"})
    assert response.status_code == 200, response.content
    assert response.json()["confidentiality"] == "normal"


def test_correcting_a_case_out_of_reach_is_404_audited_and_changes_nothing(
        pm_north: User, desk: User, north: Location, south: Location, api_as: Api) -> None:
    cases = [(pm_north, make_case(location=south)),
             (pm_north, make_case(location=north, confidentiality=Confidentiality.CONFIDENTIAL)),
             (pm_north, make_case(location=north, kind=CaseKind.STAFF)),
             (desk, make_case(location=north, filed_by=desk))]
    for user, case in cases:
        before, denied = snapshot(), denials(user)
        response = api_as(user).patch(f"{CASES}/{case.pk}", {"severity": "low"})
        assert response.status_code == 404, (user.username, case.pk)
        assert response.json()["code"] == "not_found"
        assert denials(user) == denied + 1
        assert snapshot() == before
    assert api_as(pm_north).patch(f"{CASES}/999999", {"severity": "low"}).status_code == 404
