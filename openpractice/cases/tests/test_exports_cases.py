"""The case lists export to CSV and XLSX: the case list (with its filters; a patient's case is an audited read of
that patient), "My cases", the categories and each table of the case report."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.audit.models import AuditEvent
from openpractice.cases.choices import CaseKind, CaseStatus
from openpractice.cases.models import Case
from openpractice.cases.tests.factories import category
from openpractice.core.models import Location
from openpractice.core.tests.list_exports import (
    FORMATS,
    assert_export_matches_list,
    assert_export_queries_constant,
    column,
    exported,
    exported_patients,
)
from openpractice.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("file_format", FORMATS)
def test_the_case_export_holds_the_filtered_cases_of_my_locations_and_audits_their_patients(
        pm_entry: User, signed_in: Callable[[User], Client], make_case: Callable[..., Case], north: Location,
        south: Location, file_format: str) -> None:
    patient = PatientFactory(home_location=north)
    with_patient = make_case(patient=patient, subject="Charged twice")
    plain = make_case(subject="Rude on the phone")
    make_case(subject="Resolved already", status=CaseStatus.CLOSED, outcome="upheld", resolution="x")
    make_case(subject="At South", location=south)
    rows = exported(signed_in(pm_entry), reverse("cases:case_list"), {"sort": "number"}, file_format)
    assert rows[0][:6] == ["Number", "Subject", "Kind", "Category", "Severity", "Status"]
    assert column(rows, "Number") == [with_patient.number, plain.number]
    assert exported_patients(pm_entry) == [patient.pk]


def test_the_case_export_matches_the_list_with_its_filters(pm_senior: User, signed_in: Callable[[User], Client],
                                                           make_case: Callable[..., Case]) -> None:
    for subject in ("Billing mix-up", "Billing letter lost", "Parking"):
        make_case(subject=subject)
    make_case(kind=CaseKind.STAFF, subject="Billing team conflict")
    rows = assert_export_matches_list(signed_in(pm_senior), reverse("cases:case_list"),
                                      {"q": "billing", "kind": "patient", "sort": "-received"}, header="Number",
                                      key=lambda case: case.number)
    assert sorted(column(rows, "Subject")) == ["Billing letter lost", "Billing mix-up"]
    assert column(rows, "Kind") == ["Patient complaint or grievance"] * 2


def test_someone_who_cannot_see_cases_cannot_export_the_case_list(desk: User, signed_in: Callable[[User], Client],
                                                                   make_case: Callable[..., Case]) -> None:
    make_case()
    response = signed_in(desk).get(reverse("cases:case_list"), {"export": "csv"})
    assert response.status_code == 404
    assert AuditEvent.objects.filter(actor=desk, outcome="denied").count() == 1
    assert not AuditEvent.objects.filter(action__in=["reports.list_exported", "patients.exported"]).exists()


def test_the_case_export_costs_the_same_queries_for_more_cases(pm_entry: User, signed_in: Callable[[User], Client],
                                                               make_case: Callable[..., Case],
                                                               north: Location) -> None:
    make_case(patient=PatientFactory(home_location=north))
    assert_export_queries_constant(signed_in(pm_entry), reverse("cases:case_list"), lambda: [
        make_case(patient=PatientFactory(home_location=north), assignee=pm_entry) for _ in range(3)])


@pytest.mark.parametrize("file_format", FORMATS)
def test_my_cases_exports_only_what_i_filed_as_the_page_shows_it(
        desk: User, pm_entry: User, signed_in: Callable[[User], Client], make_case: Callable[..., Case],
        file_format: str) -> None:
    mine = [make_case(subject="My first"), make_case(subject="My second")]
    make_case(subject="Somebody else's", filed_by=pm_entry)
    client = signed_in(desk)
    assert "export=csv" in client.get(reverse("cases:case_mine")).content.decode()
    rows = exported(client, reverse("cases:case_mine"), file_format=file_format)
    assert rows[0] == ["Number", "Subject", "Category", "Received", "Status", "Outcome"]
    assert sorted(column(rows, "Number")) == sorted(case.number for case in mine)


def test_the_categories_export_holds_the_categories_of_the_kinds_i_see(pm_entry: User,
                                                                       signed_in: Callable[[User], Client]) -> None:
    rows = exported(signed_in(pm_entry), reverse("cases:category_list"))
    assert column(rows, "Category")
    assert set(column(rows, "Kind")) == {"Patient complaint or grievance"}


@pytest.mark.parametrize(("table", "first_header"), [("age", "Category"), ("trend", "Category"),
                                                     ("resolve", "Category")])
def test_each_table_of_the_case_report_exports(pm_entry: User, signed_in: Callable[[User], Client],
                                               make_case: Callable[..., Case], table: str, first_header: str) -> None:
    make_case(category=category())
    rows = exported(signed_in(pm_entry), reverse("cases:report"), {"table": table})
    assert rows[0][0] == first_header
    if table == "age":
        assert rows[0][-1] == "Total"
        assert column(rows, "Category") == ["Billing dispute"]
        assert column(rows, "Total") == ["1"]


@pytest.mark.parametrize("route", ["cases:category_list", "cases:report"])
def test_someone_who_sees_no_cases_cannot_export_the_case_report_or_categories(
        route: str, desk: User, signed_in: Callable[[User], Client]) -> None:
    response = signed_in(desk).get(reverse(route), {"export": "csv", "table": "age"})
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="reports.list_exported").exists()
