"""The locations and departments lists export to CSV and XLSX with the filters, search and sort of the list."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.accounts.tests.factories import UserFactory, sign_in
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location, Practice
from openpractice.core.tests.factories import DepartmentFactory, LocationFactory
from openpractice.core.tests.list_exports import (
    assert_export_matches_list,
    assert_export_queries_constant,
    exported,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(make_user: Callable[..., User]) -> User:
    return make_user(Role.PRACTICE_MANAGER, tier="senior", username="pm")


@pytest.fixture
def as_manager(manager: User, signed_in: Callable[[User], Client]) -> Client:
    return signed_in(manager)


def test_the_location_export_holds_the_searched_and_filtered_locations_in_list_order(
        as_manager: Client, practice: Practice, north: Location, south: Location) -> None:
    LocationFactory(practice=practice, name="North Annex", code="annex", is_active=False)
    LocationFactory(practice=practice, name="Northgate", code="northgate", city="Cary")
    params = {"q": "north", "status": "active", "sort": "-name"}
    rows = assert_export_matches_list(as_manager, reverse("core:location_list"), params)
    assert rows[0][:4] == ["ID", "Name", "Code", "City"]
    assert [row[1] for row in rows[1:]] == ["Northgate", "North Clinic"]  # the deactivated annex is filtered out
    reasons = AuditEvent.objects.filter(action="reports.list_exported", object_type="core.location").values_list(
        "reason", flat=True)
    assert sorted(reasons) == ["locations: 2 row(s) as csv", "locations: 2 row(s) as xlsx"]


def test_the_department_export_holds_the_listed_departments(as_manager: Client, practice: Practice,
                                                            north: Location, south: Location) -> None:
    DepartmentFactory(practice=practice, location=north, name="North desk", email="desk@example.test")
    DepartmentFactory(practice=practice, location=None, name="Billing office")
    DepartmentFactory(practice=practice, location=south, name="Old desk", is_active=False)
    rows = assert_export_matches_list(as_manager, reverse("core:department_list"), {"sort": "name"})
    assert [row[1:4] for row in rows[1:]] == [["Billing office", "Practice-wide", ""],
                                              ["North desk", "North Clinic", "desk@example.test"]]


def test_a_manager_of_one_location_exports_only_the_locations_the_list_shows_them(
        make_user: Callable[..., User], signed_in: Callable[[User], Client], north: Location,
        south: Location) -> None:
    client = signed_in(make_user(Role.OFFICE_MANAGER, tier="entry", locations=[north]))
    assert_export_matches_list(client, reverse("core:location_list"))
    assert [row[1] for row in exported(client, reverse("core:location_list"))[1:]] == ["North Clinic"]


@pytest.mark.parametrize("route", ["core:location_list", "core:department_list"])
def test_someone_without_a_role_cannot_export_a_settings_list(route: str, practice: Practice) -> None:
    nobody = UserFactory(username="nobody")
    client = sign_in(Client(), nobody)
    response = client.get(reverse(route), {"export": "csv"})
    assert response.status_code == 404
    assert AuditEvent.objects.filter(actor=nobody, outcome="denied").count() == 1
    assert not AuditEvent.objects.filter(action="reports.list_exported").exists()


def test_the_location_export_costs_the_same_queries_for_more_locations(as_manager: Client,
                                                                       practice: Practice) -> None:
    def more() -> list[Location]:
        return [LocationFactory(practice=practice) for _ in range(3)]

    more()
    assert_export_queries_constant(as_manager, reverse("core:location_list"), more)
