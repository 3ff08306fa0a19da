"""The practice, location and department services: validation, audit rows with changed fields, and refusals
that leave the database exactly as it was (with the refusal itself audited)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core import services
from openpractice.core.models import Department, Location, OpeningHours, Practice
from openpractice.core.selectors import practice_settings
from openpractice.core.tests.factories import DepartmentFactory, OpeningHoursFactory

T = dt.time


def practice_row(practice: Practice) -> dict[str, Any]:
    return Practice.objects.filter(pk=practice.pk).values().get()


def location_rows() -> list[dict[str, Any]]:
    return list(Location.objects.order_by("pk").values())


def hours_rows(location: Location) -> list[tuple[int, dt.time, dt.time]]:
    return list(location.opening_hours.order_by("weekday", "opens_at").values_list("weekday", "opens_at", "closes_at"))


def denied_events(actor: User) -> int:
    return AuditEvent.objects.filter(actor=actor, outcome=Outcome.DENIED).count()


# --- practice ------------------------------------------------------------------------------------------------


def test_practice_update_saves_and_audits_the_names_of_changed_fields(practice: Practice, administrator: User) -> None:
    services.practice_update(actor=administrator, practice=practice,
                             data={"name": "Riverbend Health", "idle_timeout_minutes": "20", "city": "Raleigh"})
    practice.refresh_from_db()
    assert practice.name == "Riverbend Health"
    assert practice.idle_timeout_minutes == 20
    event = AuditEvent.objects.get(action="practice.updated")
    assert event.actor == administrator
    assert event.changed_field_list == ["idle_timeout_minutes", "name"]  # city was unchanged
    assert event.outcome == Outcome.ALLOWED


def test_practice_update_drops_the_cached_session_settings(practice: Practice, administrator: User) -> None:
    assert practice_settings().idle_timeout_minutes == 15  # now cached
    services.practice_update(actor=administrator, practice=practice, data={"idle_timeout_minutes": 30})
    assert practice_settings().idle_timeout_minutes == 30


def test_practice_update_without_a_change_writes_no_audit_row(practice: Practice, administrator: User) -> None:
    services.practice_update(actor=administrator, practice=practice, data={"name": practice.name})
    assert not AuditEvent.objects.filter(action="practice.updated").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("ein", "561234567", "NN-NNNNNNN"),
        ("group_npi", "1234567890", "check digit"),
        ("postal_code", "2760", "ZIP"),
        ("phone", "555-0100", "10-digit"),
        ("timezone", "Mars/Olympus_Mons", "Unknown time zone"),
        ("idle_timeout_minutes", 1, "between 2 and 120"),
        ("absolute_session_hours", 30, "between 1 and 24"),
        ("kind", "spaceport", "not a valid choice"),
    ],
)
def test_practice_update_rejects_bad_values_and_changes_nothing(
    practice: Practice, administrator: User, field: str, value: Any, message: str
) -> None:
    before = practice_row(practice)
    with pytest.raises(ValidationError) as caught:
        services.practice_update(actor=administrator, practice=practice, data={"name": "Changed too", field: value})
    assert field in caught.value.message_dict
    assert message in " ".join(caught.value.message_dict[field])
    assert practice_row(practice) == before
    assert not AuditEvent.objects.filter(action="practice.updated").exists()


def test_practice_update_refuses_fields_it_does_not_know(practice: Practice, administrator: User) -> None:
    before = practice_row(practice)
    with pytest.raises(ValidationError, match="singleton"):
        services.practice_update(actor=administrator, practice=practice, data={"singleton": False})
    assert practice_row(practice) == before


@pytest.mark.parametrize(("role", "tier"), [(Role.PRACTICE_MANAGER, Tier.ADVANCED), (Role.FRONT_DESK, Tier.STANDARD),
                                            (Role.AUDITOR, Tier.STANDARD)])
def test_practice_update_is_refused_without_practice_manage_and_the_refusal_is_audited(
    practice: Practice, make_user: Callable[..., User], role: str, tier: str
) -> None:
    user = make_user(role, tier)
    before = practice_row(practice)
    with pytest.raises(PermissionDenied):
        services.practice_update(actor=user, practice=practice, data={"name": "Taken over"})
    assert practice_row(practice) == before
    assert denied_events(user) == 1


def test_practice_update_needs_practice_manage_at_every_location(
    practice: Practice, north: Location, make_user: Callable[..., User]
) -> None:
    site_admin = make_user(Role.ADMINISTRATOR, locations=[north])
    before = practice_row(practice)
    with pytest.raises(PermissionDenied):
        services.practice_update(actor=site_admin, practice=practice, data={"idle_timeout_minutes": 120})
    assert practice_row(practice) == before
    assert denied_events(site_admin) == 1


# --- locations -----------------------------------------------------------------------------------------------

LOCATION_DATA = {
    "name": "East Clinic", "code": "east", "place_of_service": "11", "phone": "(919) 555-0142", "npi": "",
    "address_line1": "9 Elm Street", "address_line2": "", "city": "Cary", "state": "NC", "postal_code": "27511",
}


def test_location_create_adds_the_location_and_audits_it(practice: Practice, administrator: User) -> None:
    location = services.location_create(actor=administrator, practice=practice, data=LOCATION_DATA)
    assert Location.objects.get(code="east") == location
    event = AuditEvent.objects.get(action="location.created")
    assert event.object_id == str(location.pk)
    assert "name" in event.changed_field_list
    assert "npi" not in event.changed_field_list  # left empty


@pytest.mark.parametrize(
    ("field", "value"),
    [("place_of_service", "99x"), ("postal_code", "ABCDE"), ("npi", "1234567890"), ("phone", "12"), ("state", "ZZ")],
)
def test_location_create_rejects_bad_values(practice: Practice, administrator: User, field: str, value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        services.location_create(actor=administrator, practice=practice, data={**LOCATION_DATA, field: value})
    assert field in caught.value.message_dict
    assert not Location.objects.filter(code="east").exists()


def test_location_create_rejects_a_code_already_in_use(practice: Practice, north: Location, administrator: User) -> None:
    with pytest.raises(ValidationError):
        services.location_create(actor=administrator, practice=practice, data={**LOCATION_DATA, "code": "north"})
    assert Location.objects.count() == 1


def test_location_create_is_refused_to_a_manager_of_one_location(
    practice: Practice, north: Location, make_user: Callable[..., User]
) -> None:
    site_admin = make_user(Role.ADMINISTRATOR, locations=[north])
    with pytest.raises(PermissionDenied):
        services.location_create(actor=site_admin, practice=practice, data=LOCATION_DATA)
    assert list(Location.objects.values_list("code", flat=True)) == ["north"]
    assert denied_events(site_admin) == 1


def test_location_update_by_a_manager_of_that_location_is_audited(
    north: Location, make_user: Callable[..., User]
) -> None:
    site_admin = make_user(Role.ADMINISTRATOR, locations=[north])
    services.location_update(actor=site_admin, location=north, data={"phone": "919-555-0199", "name": "North Clinic"})
    north.refresh_from_db()
    assert north.phone == "919-555-0199"
    assert AuditEvent.objects.get(action="location.updated").changed_field_list == ["phone"]


def test_location_update_of_another_location_is_refused_and_changes_nothing(
    north: Location, south: Location, make_user: Callable[..., User]
) -> None:
    site_admin = make_user(Role.ADMINISTRATOR, locations=[north])
    before = location_rows()
    with pytest.raises(PermissionDenied):
        services.location_update(actor=site_admin, location=south, data={"name": "Mine now"})
    assert location_rows() == before
    assert denied_events(site_admin) == 1


def test_deactivating_and_reactivating_a_location_is_audited_once_each(north: Location, administrator: User) -> None:
    services.location_deactivate(actor=administrator, location=north)
    services.location_deactivate(actor=administrator, location=north)  # already inactive: no second row
    north.refresh_from_db()
    assert north.is_active is False
    services.location_reactivate(actor=administrator, location=north)
    north.refresh_from_db()
    assert north.is_active is True
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
    assert actions == ["location.deactivated", "location.reactivated"]


def test_deactivation_by_someone_without_practice_manage_is_refused(
    north: Location, make_user: Callable[..., User]
) -> None:
    office_manager = make_user(Role.OFFICE_MANAGER, Tier.EXPERIENCED)
    with pytest.raises(PermissionDenied):
        services.location_deactivate(actor=office_manager, location=north)
    north.refresh_from_db()
    assert north.is_active is True
    assert denied_events(office_manager) == 1


# --- opening hours -------------------------------------------------------------------------------------------


def test_opening_hours_are_replaced_as_a_whole(north: Location, administrator: User) -> None:
    OpeningHoursFactory(location=north, weekday=6, opens_at=T(9), closes_at=T(12))
    services.location_set_opening_hours(actor=administrator, location=north, periods=[
        (0, T(8), T(12)), (0, T(13), T(17)), (2, T(8, 30), T(16, 30)),
    ])
    assert hours_rows(north) == [(0, T(8), T(12)), (0, T(13), T(17)), (2, T(8, 30), T(16, 30))]
    event = AuditEvent.objects.get(action="location.opening_hours_set")
    assert event.changed_field_list == ["opening_hours.monday", "opening_hours.sunday", "opening_hours.wednesday"]


def test_opening_hours_may_touch_but_not_overlap(north: Location, administrator: User) -> None:
    services.location_set_opening_hours(actor=administrator, location=north,
                                        periods=[(1, T(8), T(12)), (1, T(12), T(16))])
    assert len(hours_rows(north)) == 2


def test_overlapping_opening_hours_are_rejected_with_the_day_named_and_nothing_changes(
    north: Location, administrator: User
) -> None:
    OpeningHoursFactory(location=north, weekday=0, opens_at=T(9), closes_at=T(17))
    with pytest.raises(ValidationError) as caught:
        services.location_set_opening_hours(actor=administrator, location=north,
                                            periods=[(3, T(8), T(12, 30)), (3, T(12), T(17))])
    assert caught.value.messages == ["Thursday: 08:00–12:30 overlaps 12:00–17:00."]
    assert hours_rows(north) == [(0, T(9), T(17))]
    assert not AuditEvent.objects.exists()


def test_opening_hours_closing_before_opening_are_rejected(north: Location, administrator: User) -> None:
    with pytest.raises(ValidationError, match="Friday: closing time 08:00 must be after opening time 17:00"):
        services.location_set_opening_hours(actor=administrator, location=north, periods=[(4, T(17), T(8))])
    assert hours_rows(north) == []


def test_more_than_two_periods_a_day_are_rejected(north: Location, administrator: User) -> None:
    with pytest.raises(ValidationError, match="at most 2"):
        services.location_set_opening_hours(actor=administrator, location=north,
                                            periods=[(0, T(7), T(8)), (0, T(9), T(10)), (0, T(11), T(12))])
    assert hours_rows(north) == []


def test_an_unknown_weekday_is_rejected(north: Location, administrator: User) -> None:
    with pytest.raises(ValidationError, match="Unknown weekday 7"):
        services.location_set_opening_hours(actor=administrator, location=north, periods=[(7, T(8), T(9))])


def test_saving_the_same_opening_hours_again_writes_no_audit_row(north: Location, administrator: User) -> None:
    OpeningHoursFactory(location=north, weekday=0, opens_at=T(8), closes_at=T(17))
    services.location_set_opening_hours(actor=administrator, location=north, periods=[(0, T(8), T(17))])
    assert not AuditEvent.objects.exists()


def test_opening_hours_of_another_location_are_refused_and_kept(
    north: Location, south: Location, make_user: Callable[..., User]
) -> None:
    OpeningHoursFactory(location=south, weekday=0, opens_at=T(8), closes_at=T(17))
    site_admin = make_user(Role.ADMINISTRATOR, locations=[north])
    with pytest.raises(PermissionDenied):
        services.location_set_opening_hours(actor=site_admin, location=south, periods=[])
    assert hours_rows(south) == [(0, T(8), T(17))]
    assert denied_events(site_admin) == 1


# --- departments ---------------------------------------------------------------------------------------------


def test_department_create_at_a_location_is_audited(practice: Practice, north: Location, administrator: User) -> None:
    department = services.department_create(actor=administrator, practice=practice,
                                             data={"name": "Billing office", "location": north,
                                                   "email": "billing@example.test", "phone": ""})
    assert department.location == north
    event = AuditEvent.objects.get(action="department.created")
    assert event.changed_field_list == ["email", "location", "name"]


def test_department_names_are_unique(practice: Practice, administrator: User) -> None:
    DepartmentFactory(practice=practice, name="Nursing")
    with pytest.raises(ValidationError):
        services.department_create(actor=administrator, practice=practice, data={"name": "Nursing"})
    assert Department.objects.count() == 1


def test_department_with_a_bad_email_is_rejected(practice: Practice, administrator: User) -> None:
    with pytest.raises(ValidationError) as caught:
        services.department_create(actor=administrator, practice=practice, data={"name": "X", "email": "not-mail"})
    assert "email" in caught.value.message_dict
    assert not Department.objects.exists()


def test_a_manager_of_one_location_may_add_a_department_there_but_not_practice_wide(
    practice: Practice, north: Location, make_user: Callable[..., User]
) -> None:
    site_admin = make_user(Role.ADMINISTRATOR, locations=[north])
    services.department_create(actor=site_admin, practice=practice, data={"name": "North desk", "location": north})
    with pytest.raises(PermissionDenied):
        services.department_create(actor=site_admin, practice=practice, data={"name": "Everyone", "location": None})
    assert list(Department.objects.values_list("name", flat=True)) == ["North desk"]
    assert denied_events(site_admin) == 1


def test_moving_a_department_needs_practice_manage_at_both_ends(
    practice: Practice, north: Location, south: Location, make_user: Callable[..., User]
) -> None:
    site_admin = make_user(Role.ADMINISTRATOR, locations=[north])
    department = DepartmentFactory(practice=practice, location=north, name="Front office")
    with pytest.raises(PermissionDenied):
        services.department_update(actor=site_admin, department=department, data={"location": south})
    department.refresh_from_db()
    assert department.location == north
    assert denied_events(site_admin) == 1


def test_department_update_and_deactivation_are_audited(practice: Practice, north: Location, administrator: User) -> None:
    department = DepartmentFactory(practice=practice, location=north, name="Front office")
    services.department_update(actor=administrator, department=department,
                               data={"name": "Front desk", "location": None, "email": "", "phone": ""})
    services.department_deactivate(actor=administrator, department=department)
    department.refresh_from_db()
    assert (department.name, department.location, department.is_active) == ("Front desk", None, False)
    events = list(AuditEvent.objects.order_by("seq").values_list("action", "changed_fields"))
    assert events == [("department.updated", "location,name"), ("department.deactivated", "is_active")]


def test_opening_hours_rows_are_not_touched_by_a_refused_location_deactivation(
    north: Location, make_user: Callable[..., User]
) -> None:
    OpeningHoursFactory(location=north)
    biller = make_user(Role.BILLER)
    with pytest.raises(PermissionDenied):
        services.location_deactivate(actor=biller, location=north)
    assert OpeningHours.objects.filter(location=north).count() == 1


def test_a_department_location_may_be_given_by_id_and_an_unknown_id_is_rejected(
    practice: Practice, north: Location, administrator: User
) -> None:
    department = services.department_create(actor=administrator, practice=practice,
                                             data={"name": "Lab", "location": north.pk})
    assert department.location == north
    with pytest.raises(ValidationError) as caught:
        services.department_update(actor=administrator, department=department, data={"location": 987654})
    assert "location" in caught.value.message_dict
    department.refresh_from_db()
    assert department.location == north
