"""The people list and demo mode's outbox export to CSV and XLSX. API tokens have no export: a person's own few
tokens are no list to report on, and nothing near a token's secret should ever be written to a file."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.accounts.tests.factories import UserFactory, give_role
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location, OutboxMessage
from openpractice.core.tests.list_exports import (
    FORMATS,
    assert_export_matches_list,
    assert_export_queries_constant,
    column,
    exported,
)

pytestmark = pytest.mark.django_db


def _person(username: str, role: str, locations: list[Location] | None, **fields: str) -> User:
    user = UserFactory(username=username, **fields)
    give_role(user, role, locations=locations)
    return user


@pytest.mark.parametrize("file_format", FORMATS)
def test_the_people_export_holds_the_people_the_list_shows_with_their_roles(
        make_user: Callable[..., User], signed_in: Callable[[User], Client], north: Location, south: Location,
        file_format: str) -> None:
    office = make_user(Role.OFFICE_MANAGER, tier="mid", locations=[north], username="office", first_name="Olga",
                       last_name="Office")
    _person("nurse", Role.CLINICAL_STAFF, [north], first_name="Nia", last_name="Nurse", job_title="RN")
    _person("southie", Role.FRONT_DESK, [south], first_name="Sam", last_name="South")
    rows = exported(signed_in(office), reverse("accounts:user_list"), {"sort": "name"}, file_format)
    assert rows[0] == ["ID", "Name", "Username", "Email", "Job title", "Roles (locations)", "Status", "Last sign-in"]
    assert column(rows, "Username") == ["nurse", "office"]  # nobody who works only at South
    assert column(rows, "Roles (locations)") == ["Clinical staff (North Clinic)",
                                                 "Office manager · Mid level (North Clinic)"]
    assert column(rows, "Job title") == ["RN", ""]


def test_the_people_export_matches_the_searched_and_filtered_list(make_user: Callable[..., User],
                                                                  signed_in: Callable[[User], Client]) -> None:
    admin = make_user(Role.ADMINISTRATOR, username="admin")
    _person("ann", Role.BILLER, None, first_name="Ann", last_name="Archer")
    _person("andy", Role.BILLER, None, first_name="Andy", last_name="Anders", is_active=False)
    _person("bob", Role.BILLER, None, first_name="Bob", last_name="Baker")
    assert_export_matches_list(signed_in(admin), reverse("accounts:user_list"), {"q": "an", "sort": "username"})


def test_someone_without_users_view_cannot_export_the_people(make_user: Callable[..., User],
                                                            signed_in: Callable[[User], Client]) -> None:
    desk = make_user(Role.FRONT_DESK)
    assert signed_in(desk).get(reverse("accounts:user_list"), {"export": "csv"}).status_code == 404
    assert AuditEvent.objects.filter(actor=desk, outcome="denied").count() == 1
    assert not AuditEvent.objects.filter(action="reports.list_exported").exists()


def test_the_people_export_costs_the_same_queries_for_more_people(make_user: Callable[..., User],
                                                                  signed_in: Callable[[User], Client],
                                                                  north: Location, south: Location) -> None:
    admin = make_user(Role.ADMINISTRATOR, username="admin")
    assert_export_queries_constant(signed_in(admin), reverse("accounts:user_list"), lambda: [
        _person(f"p{n}", Role.BILLER, [north, south]) for n in range(3)])


@override_settings(DEMO_MODE=True)
def test_the_outbox_export_holds_when_to_whom_and_the_subject_never_the_body(
        make_user: Callable[..., User], signed_in: Callable[[User], Client]) -> None:
    admin = make_user(Role.ADMINISTRATOR, username="admin")
    OutboxMessage.objects.create(from_email="demo@example.test", recipients=["a@example.test"], subject="Welcome",
                                 body="Set your password: https://example.test/secret-link")
    OutboxMessage.objects.create(from_email="demo@example.test", recipients=["b@example.test", "c@example.test"],
                                 subject="Reset", body="https://example.test/another-secret")
    rows = assert_export_matches_list(signed_in(admin), reverse("accounts:outbox"), {"sort": "subject"})
    assert [row[2:] for row in rows[1:]] == [["b@example.test, c@example.test", "Reset"], ["a@example.test", "Welcome"]]
    assert not any("secret" in cell for row in rows for cell in row)


@override_settings(DEMO_MODE=False)
def test_outside_demo_mode_the_outbox_has_no_export(make_user: Callable[..., User],
                                                    signed_in: Callable[[User], Client]) -> None:
    admin = make_user(Role.ADMINISTRATOR, username="admin")
    assert signed_in(admin).get(reverse("accounts:outbox"), {"export": "csv"}).status_code == 404
