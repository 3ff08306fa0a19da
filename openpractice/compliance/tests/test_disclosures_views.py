"""Disclosure pages: compliance.manage with the patient in scope (404, audited, nothing changed for anyone else),
one audited read per patient shown, the accounting PDF, a flat query count on the practice-wide list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, cast

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.compliance.choices import DisclosurePurpose
from openpractice.compliance.models import Disclosure
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.patients.models import Patient
from openpractice.patients.tests.factories import PatientFactory

from .factories_incidents import IncidentFactory
from .route_samples_disclosures import disclosures, make_disclosure

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(make_user: Callable[..., User]) -> User:
    return make_user(Role.PRIVACY_OFFICER, username="privacy")


class _World:
    def __init__(self, north: Location, south: Location, stranger: User) -> None:
        self.north, self.south, self.stranger = north, south, stranger


def _rows() -> list[Any]:
    return list(Disclosure.objects.order_by("pk").values_list())


def _reads(actor: User, patient: Patient) -> int:
    return AuditEvent.objects.filter(actor=actor, action="patients.viewed", patient_id=patient.pk).count()


def _form(patient: Patient | None = None, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"disclosed_on": practice_today().isoformat(), "recipient": "Wake County Sheriff",
                            "purpose": DisclosurePurpose.LAW_ENFORCEMENT, "information": "Visit dates",
                            "recipient_address": "330 S Salisbury St, Raleigh"}
    if patient is not None:
        data["account_number"] = patient.account_number.lower()
    return {**data, **overrides}


@pytest.mark.parametrize(("role", "tier", "scope"), [
    (Role.BILLER, Tier.STANDARD, "all"), (Role.FRONT_DESK, Tier.STANDARD, "all"),
    (Role.PRIVACY_OFFICER, Tier.STANDARD, "north"), (Role.PRACTICE_MANAGER, Tier.ADVANCED, "north"),
])
def test_out_of_role_or_scope_is_404_audited_and_changes_nothing(
        make_user: Callable[..., User], north: Location, south: Location, signed_in: Callable[[User], Client],
        role: str, tier: str, scope: str) -> None:
    user = make_user(role, tier, locations=[north] if scope == "north" else None)
    world = _World(north, south, make_user(Role.FRONT_DESK))
    disclosure = disclosures(world, user)[1]
    patient = disclosure.patient
    client = signed_in(user)
    before, denials = _rows(), AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()
    gets = [reverse("compliance:disclosure_detail", args=[disclosure.pk]),
            reverse("compliance:disclosure_edit", args=[disclosure.pk]),
            reverse("compliance:patient_disclosures", args=[patient.pk]),
            reverse("compliance:patient_disclosure_new", args=[patient.pk]),
            reverse("compliance:patient_disclosure_accounting", args=[patient.pk])]
    for url in gets:
        assert client.get(url).status_code == 404, url
    posts = [(reverse("compliance:disclosure_edit", args=[disclosure.pk]), _form(recipient="Changed")),
             (reverse("compliance:patient_disclosure_new", args=[patient.pk]), _form())]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    # From the practice-wide form the patient is simply not found among those the user keeps.
    if scope == "north":
        response = client.post(reverse("compliance:disclosure_new"), _form(patient))
        assert response.status_code == 400
        assert "account_number" in response.context["form"].errors
    assert _rows() == before
    assert AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count() >= denials + len(gets) + len(posts)
    assert _reads(user, patient) == 0
    assert not AuditEvent.objects.filter(action="compliance.disclosure_accounting_issued").exists()


def test_the_patient_page_shows_six_years_newest_first_and_audits_one_read(
        officer: User, north: Location, signed_in: Callable[[User], Client]) -> None:
    patient = PatientFactory(home_location=north)
    today = practice_today()
    old = make_disclosure(patient=patient, recorded_by=officer, disclosed_on=today - dt.timedelta(days=7 * 365),
                          recipient="Too old")
    first = make_disclosure(patient=patient, recorded_by=officer, disclosed_on=today - dt.timedelta(days=400))
    second = make_disclosure(patient=patient, recorded_by=officer, disclosed_on=today - dt.timedelta(days=3))
    client = signed_in(officer)
    response = client.get(reverse("compliance:patient_disclosures", args=[patient.pk]))
    assert response.status_code == 200
    assert response.context["rows"] == [second, first]
    assert b"Too old" not in response.content
    assert _reads(officer, patient) == 1
    # An earlier end date moves the window.
    response = client.get(reverse("compliance:patient_disclosures", args=[patient.pk]),
                          {"as_of": (today - dt.timedelta(days=6 * 365)).isoformat()})
    assert response.context["rows"] == [old]
    # A date in the future is refused and the page shows today's six years.
    response = client.get(reverse("compliance:patient_disclosures", args=[patient.pk]),
                          {"as_of": (today + dt.timedelta(days=1)).isoformat()})
    assert response.status_code == 400
    assert response.context["as_of"] == today
    assert _reads(officer, patient) == 3


def test_the_accounting_pdf_downloads_and_is_audited(officer: User, north: Location,
                                                     signed_in: Callable[[User], Client]) -> None:
    patient = cast(Patient, PatientFactory(home_location=north))
    make_disclosure(patient=patient, recorded_by=officer)
    response = signed_in(officer).get(reverse("compliance:patient_disclosure_accounting", args=[patient.pk]))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert response["Cache-Control"] == "private, no-store"
    disposition = str(response["Content-Disposition"])
    assert patient.account_number in disposition
    assert patient.last_name not in disposition
    event = AuditEvent.objects.get(action="compliance.disclosure_accounting_issued")
    assert (event.patient_id, event.actor_id) == (patient.pk, officer.pk)


def test_recording_from_the_list_and_from_the_patient_page(
        make_user: Callable[..., User], north: Location, south: Location,
        signed_in: Callable[[User], Client]) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED, locations=[north])
    patient = PatientFactory(home_location=north)
    client = signed_in(manager)
    assert "incident" not in client.get(reverse("compliance:disclosure_new")).context["form"].fields
    response = client.post(reverse("compliance:disclosure_new"), _form(patient, location=north.pk))
    assert response.status_code == 302
    assert response["Location"] == reverse("compliance:patient_disclosures", args=[patient.pk])
    response = client.post(reverse("compliance:patient_disclosure_new", args=[patient.pk]),
                           _form(disclosed_on=(practice_today() + dt.timedelta(days=1)).isoformat()))
    assert response.status_code == 400
    assert "disclosed_on" in response.context["form"].errors
    response = client.post(reverse("compliance:patient_disclosure_new", args=[patient.pk]),
                           _form(location=south.pk))
    assert response.status_code == 400  # not a location the manager works at
    response = client.post(reverse("compliance:patient_disclosure_new", args=[patient.pk]),
                           _form(purpose=DisclosurePurpose.RESEARCH, recipient="Duke IRB 123"))
    assert response.status_code == 302
    assert sorted(Disclosure.objects.values_list("recipient", "location_id", "recorded_by_id")) == [
        ("Duke IRB 123", None, manager.pk), ("Wake County Sheriff", north.pk, manager.pk)]


def test_a_privacy_officer_links_an_incident(officer: User, north: Location,
                                             signed_in: Callable[[User], Client]) -> None:
    patient, incident = PatientFactory(home_location=north), IncidentFactory(location=north)
    client = signed_in(officer)
    response = client.post(reverse("compliance:patient_disclosure_new", args=[patient.pk]),
                           _form(purpose=DisclosurePurpose.BREACH, incident=incident.pk))
    assert response.status_code == 302
    disclosure = Disclosure.objects.get()
    assert disclosure.incident == incident
    detail = client.get(reverse("compliance:disclosure_detail", args=[disclosure.pk]))
    assert reverse("compliance:incident_detail", args=[incident.pk]) in detail.content.decode()
    assert _reads(officer, patient) == 1


def test_correcting_is_for_the_recorder_or_a_privacy_manager_within_30_days(
        make_user: Callable[..., User], officer: User, north: Location,
        signed_in: Callable[[User], Client]) -> None:
    recorder = make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED, username="recorder")
    colleague = make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED, username="colleague")
    disclosure = make_disclosure(patient=PatientFactory(home_location=north), recorded_by=recorder)
    url = reverse("compliance:disclosure_edit", args=[disclosure.pk])

    other = signed_in(colleague)
    page = other.get(url)
    assert page.status_code == 200
    assert page.context["form"] is None
    assert page.context["patient"] == disclosure.patient
    before = _rows()
    assert other.post(url, _form(recipient="Changed")).status_code == 404
    assert _rows() == before
    assert AuditEvent.objects.filter(actor=colleague, action="compliance.disclosure_update",
                                     outcome=Outcome.DENIED).count() == 1

    own = signed_in(recorder)
    assert own.get(reverse("compliance:disclosure_detail", args=[disclosure.pk])).context["may_edit"]
    response = own.post(url, _form(recipient="County Sheriff's Office"))
    assert response.status_code == 302
    disclosure.refresh_from_db()
    assert disclosure.recipient == "County Sheriff's Office"
    assert _reads(recorder, disclosure.patient) == 1  # the detail page; a saved correction redirects

    Disclosure.objects.filter(pk=disclosure.pk).update(recorded_at=disclosure.recorded_at - dt.timedelta(days=40))
    response = signed_in(officer).post(url, _form(recipient="Too late"))
    assert response.status_code == 400
    disclosure.refresh_from_db()
    assert disclosure.recipient == "County Sheriff's Office"


def test_the_list_filters_searches_and_audits_each_patient_shown(
        officer: User, north: Location, south: Location, make_user: Callable[..., User],
        signed_in: Callable[[User], Client]) -> None:
    north_only = make_user(Role.PRIVACY_OFFICER, locations=[north])
    here, there = PatientFactory(home_location=north), PatientFactory(home_location=south)
    today = practice_today()
    a = make_disclosure(patient=here, recorded_by=officer, recipient="Sheriff", purpose="law_enforcement",
                        disclosed_on=today - dt.timedelta(days=40))
    b = make_disclosure(patient=here, recorded_by=officer, recipient="Health Dept", disclosed_on=today)
    c = make_disclosure(patient=there, recorded_by=officer, recipient="Health Dept", disclosed_on=today)
    client = signed_in(north_only)

    def listed(**params: str) -> list[Disclosure]:
        response = client.get(reverse("compliance:disclosure_list"), params)
        assert response.status_code == 200
        return list(response.context["table"].page.object_list)

    assert listed() == [b, a]
    assert listed(purpose="law_enforcement") == [a]
    assert listed(purpose="not-a-purpose", until="not a date") == [b, a]  # ignored, like unknown filters
    assert listed(q="health") == [b]
    assert listed(since=(today - dt.timedelta(days=10)).isoformat()) == [b]
    assert listed(until=(today - dt.timedelta(days=10)).isoformat()) == [a]
    assert listed(account=there.account_number) == []
    assert _reads(north_only, here) == 6  # one per page that showed the patient
    assert _reads(north_only, there) == 0
    assert [row.pk for row in signed_in(officer).get(reverse("compliance:disclosure_list")).context[
        "table"].page.object_list] == [b.pk, c.pk, a.pk]


def test_the_list_query_count_does_not_grow_with_rows(officer: User, north: Location,
                                                      signed_in: Callable[[User], Client]) -> None:
    client = signed_in(officer)
    make_disclosure(patient=PatientFactory(home_location=north), recorded_by=officer)
    client.get(reverse("compliance:disclosure_list"))  # warm caches (grants, practice settings)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("compliance:disclosure_list")).status_code == 200
    for _ in range(8):
        make_disclosure(patient=PatientFactory(home_location=north), recorded_by=officer,
                        incident=IncidentFactory(location=north), location=north)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("compliance:disclosure_list"))
    assert len(response.context["table"].page.object_list) == 9
    assert len(many) == len(few)
    assert AuditEvent.objects.filter(actor=officer, action="patients.viewed").count() == 1 + 1 + 9
