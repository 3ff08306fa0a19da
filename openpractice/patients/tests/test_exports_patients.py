"""The patient and payer lists export to CSV and XLSX with the list's search, filters and sort; a patient export is
one audited read per patient, and holds what the list shows (never the SSN)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.core.tests.list_exports import (
    FORMATS,
    assert_export_matches_list,
    assert_export_queries_constant,
    exported,
    exported_patients,
)
from openpractice.patients.models import Patient
from openpractice.patients.tests.factories import PatientFactory, PayerFactory, PayerPlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def front_desk(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.FRONT_DESK, locations=[north], username="desk")


def _patients(location: Location, *names: str) -> list[Patient]:
    return [PatientFactory(home_location=location, last_name=name) for name in names]


@pytest.mark.parametrize("file_format", FORMATS)
def test_the_patient_export_holds_the_searched_patients_of_my_locations_and_audits_each(
        front_desk: User, signed_in: Callable[[User], Client], north: Location, south: Location,
        file_format: str) -> None:
    client = signed_in(front_desk)
    wanted = _patients(north, "Lindqvist", "Lindgren")
    _patients(north, "Okafor")
    _patients(south, "Lindberg")  # another location: not in the desk's list
    rows = exported(client, reverse("patients:patient_list"), {"q": "lind", "sort": "-name"}, file_format)
    assert rows[0] == ["ID", "Last name", "First name", "Middle initial", "Date of birth", "Phone", "Account",
                       "Home location", "Status"]
    assert [row[1] for row in rows[1:]] == ["Lindqvist", "Lindgren"]
    assert exported_patients(front_desk) == sorted(patient.pk for patient in wanted)


def test_the_patient_export_matches_the_list_and_holds_no_ssn(front_desk: User, signed_in: Callable[[User], Client],
                                                              north: Location) -> None:
    client = signed_in(front_desk)
    for patient in _patients(north, "Adams", "Baker", "Chen"):
        patient.ssn = "987-65-4329"
        patient.save()
    rows = assert_export_matches_list(client, reverse("patients:patient_list"), {"sort": "name"})
    assert not any("987-65" in cell or "***" in cell for row in rows for cell in row)


def test_inactive_patients_are_exported_only_when_the_list_shows_them(front_desk: User,
                                                                      signed_in: Callable[[User], Client],
                                                                      north: Location) -> None:
    client = signed_in(front_desk)
    _patients(north, "Active")
    PatientFactory(home_location=north, last_name="Gone", is_active=False)
    assert [row[1] for row in exported(client, reverse("patients:patient_list"))[1:]] == ["Active"]
    everyone = assert_export_matches_list(client, reverse("patients:patient_list"), {"status": "all"})
    assert [row[8] for row in everyone[1:]] == ["Active", "Inactive"]


def test_someone_who_cannot_open_the_patient_list_cannot_export_it(make_user: Callable[..., User],
                                                                   signed_in: Callable[[User], Client],
                                                                   north: Location) -> None:
    _patients(north, "Hidden")
    hr = make_user(Role.HR)
    response = signed_in(hr).get(reverse("patients:patient_list"), {"export": "csv"})
    assert response.status_code == 404
    assert AuditEvent.objects.filter(actor=hr, outcome="denied").count() == 1
    assert exported_patients(hr) == []


def test_the_patient_export_costs_the_same_queries_for_more_patients(front_desk: User,
                                                                     signed_in: Callable[[User], Client],
                                                                     north: Location) -> None:
    _patients(north, "One", "Two")
    assert_export_queries_constant(signed_in(front_desk), reverse("patients:patient_list"),
                                   lambda: _patients(north, "Three", "Four", "Five"))


def test_the_payer_export_holds_the_active_payers_with_their_plan_counts(
        front_desk: User, signed_in: Callable[[User], Client]) -> None:
    client = signed_in(front_desk)
    aetna = PayerFactory(name="Aetna")
    PayerPlanFactory(payer=aetna)
    PayerPlanFactory(payer=aetna)
    PayerFactory(name="Blue Cross")
    PayerFactory(name="Closed Health", is_active=False)
    rows = assert_export_matches_list(client, reverse("patients:payer_list"), {"sort": "name"})
    assert [(row[1], row[6], row[7]) for row in rows[1:]] == [("Aetna", "2", "Active"), ("Blue Cross", "0", "Active")]
    assert exported_patients(front_desk) == []


def test_someone_without_payers_view_cannot_export_the_payers(make_user: Callable[..., User],
                                                             signed_in: Callable[[User], Client]) -> None:
    PayerFactory()
    office = make_user(Role.OFFICE_MANAGER, tier="entry")
    assert signed_in(office).get(reverse("patients:payer_list"), {"export": "xlsx"}).status_code == 404
    assert not AuditEvent.objects.filter(action="reports.list_exported").exists()
