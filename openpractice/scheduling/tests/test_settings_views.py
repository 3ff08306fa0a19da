"""Scheduling settings: editing and retiring appointment types and rooms; referring providers."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core.models import Location
from openpractice.patients.tests.factories import PatientFactory
from openpractice.scheduling import services
from openpractice.scheduling.models import Appointment, AppointmentType, ReferringProvider, Room

from .factories import (
    AppointmentTypeFactory,
    ProviderFactory,
    ProviderTemplateFactory,
    ReferringProviderFactory,
    RoomFactory,
    npi_for,
)

pytestmark = pytest.mark.django_db
NY = zoneinfo.ZoneInfo("America/New_York")
MONDAY = dt.date(2030, 3, 4)


@pytest.fixture
def manager(make_user: Callable[..., User]) -> User:
    return make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, username="manager")


@pytest.fixture
def desk(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.FRONT_DESK, locations=[north], username="desk")


def denied(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def row(instance: Any) -> dict[str, Any]:
    return type(instance).objects.filter(pk=instance.pk).values().get()


# --- appointment types ------------------------------------------------------------------------------------------


def test_a_manager_edits_an_appointment_type_and_the_change_is_audited(
    manager: User, signed_in: Callable[[User], Client]
) -> None:
    kind = AppointmentTypeFactory(name="Follow-up", duration_minutes=15)
    client = signed_in(manager)
    assert "Follow-up" in client.get(reverse("scheduling:type_edit", args=[kind.pk])).content.decode()
    response = client.post(reverse("scheduling:type_edit", args=[kind.pk]), {
        "name": "Follow-up", "duration_minutes": "20", "colour": "#336699", "is_active": "on"})
    assert response.status_code == 302
    kind.refresh_from_db()
    assert (kind.duration_minutes, kind.colour) == (20, "#336699")
    event = AuditEvent.objects.get(actor=manager, action="appointment_type.updated")
    assert set(event.changed_fields.split(",")) == {"duration_minutes", "colour"}


@pytest.mark.parametrize(("data", "field"), [
    ({"duration_minutes": "2"}, "duration_minutes"),
    ({"duration_minutes": "600"}, "duration_minutes"),
    ({"colour": "blue"}, "colour"),
    ({"name": ""}, "name"),
])
def test_a_bad_appointment_type_is_refused_on_the_field_and_nothing_changes(
    manager: User, signed_in: Callable[[User], Client], data: dict[str, str], field: str
) -> None:
    kind = AppointmentTypeFactory(name="New patient", duration_minutes=45)
    before = row(kind)
    response = signed_in(manager).post(reverse("scheduling:type_edit", args=[kind.pk]), {
        "name": "New patient", "duration_minutes": "45", "colour": "#2a7ab0", "is_active": "on", **data})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert row(kind) == before


def test_a_retired_type_is_no_longer_offered_for_booking(
    north: Location, manager: User, desk: User, signed_in: Callable[[User], Client]
) -> None:
    kind = AppointmentTypeFactory(name="Flu shot")
    response = signed_in(manager).post(reverse("scheduling:type_retire", args=[kind.pk]))
    assert response.status_code == 302
    kind.refresh_from_db()
    assert kind.is_active is False
    assert AuditEvent.objects.filter(actor=manager, action="appointment_type.updated",
                                     changed_fields="is_active").count() == 1

    client = signed_in(desk)
    offered = client.get(reverse("scheduling:schedule_book")).context["form"].fields["appointment_type"].queryset
    assert kind not in offered
    provider = ProviderFactory(locations=[north])
    ProviderTemplateFactory(provider=provider, location=north, weekday=0, start=dt.time(8), end=dt.time(17))
    refused = client.post(reverse("scheduling:schedule_book"), {
        "patient": PatientFactory(home_location=north).pk, "appointment_type": kind.pk, "provider": provider.pk,
        "location": north.pk, "date": MONDAY.isoformat(), "time": "09:00"})
    assert refused.status_code == 400
    assert "appointment_type" in refused.context["form"].errors
    assert not Appointment.objects.exists()
    settings_page = client.get(reverse("scheduling:settings")).content.decode()
    assert "Retired" in settings_page


def test_a_manager_at_one_location_may_not_change_practice_wide_types(
    north: Location, make_user: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    kind = AppointmentTypeFactory()
    north_manager = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north])
    client = signed_in(north_manager)
    before, refusals = row(kind), denied(north_manager)
    assert client.post(reverse("scheduling:type_retire", args=[kind.pk])).status_code == 404
    assert client.post(reverse("scheduling:type_edit", args=[kind.pk]), {
        "name": "X", "duration_minutes": "30", "colour": "#2a7ab0"}).status_code == 404
    assert row(kind) == before
    assert denied(north_manager) == refusals + 2
    assert reverse("scheduling:type_edit", args=[kind.pk]) not in client.get(
        reverse("scheduling:settings")).content.decode()


# --- rooms ------------------------------------------------------------------------------------------------------


def test_a_room_is_renamed_then_taken_out_of_use_and_no_longer_offered(
    north: Location, manager: User, desk: User, signed_in: Callable[[User], Client]
) -> None:
    room = RoomFactory(location=north, name="Exam 1")
    client = signed_in(manager)
    response = client.post(reverse("scheduling:room_edit", args=[room.pk]),
                           {"location": north.pk, "name": "Exam One", "is_active": "on"})
    assert response.status_code == 302
    room.refresh_from_db()
    assert (room.name, room.is_active) == ("Exam One", True)
    assert client.post(reverse("scheduling:room_retire", args=[room.pk])).status_code == 302
    room.refresh_from_db()
    assert room.is_active is False
    assert list(AuditEvent.objects.filter(actor=manager, action="room.updated").order_by("seq")
                .values_list("changed_fields", flat=True)) == ["name", "is_active"]
    offered = signed_in(desk).get(reverse("scheduling:schedule_book")).context["form"].fields["room"].queryset
    assert room not in offered


def test_a_duplicate_room_name_is_refused_and_nothing_changes(
    north: Location, manager: User, signed_in: Callable[[User], Client]
) -> None:
    RoomFactory(location=north, name="Exam 1")
    room = RoomFactory(location=north, name="Exam 2")
    before = row(room)
    response = signed_in(manager).post(reverse("scheduling:room_edit", args=[room.pk]),
                                       {"location": north.pk, "name": "Exam 1", "is_active": "on"})
    assert response.status_code == 400
    assert response.context["form"].errors
    assert row(room) == before


def test_a_manager_at_north_may_not_edit_or_retire_a_south_room(
    north: Location, south: Location, make_user: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    room = RoomFactory(location=south, name="South 1")
    north_manager = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north])
    client = signed_in(north_manager)
    before, refusals = row(room), denied(north_manager)
    assert client.post(reverse("scheduling:room_retire", args=[room.pk])).status_code == 404
    assert client.post(reverse("scheduling:room_edit", args=[room.pk]),
                       {"location": north.pk, "name": "Moved", "is_active": "on"}).status_code == 404
    assert row(room) == before
    assert denied(north_manager) == refusals + 2
    assert Room.objects.count() == 1


# --- referring providers ----------------------------------------------------------------------------------------


def _referring(**extra: str) -> dict[str, str]:
    return {"first_name": "Ada", "last_name": "Moreno", "npi": npi_for(900), "taxonomy_code": "", "phone": "",
            "fax": "", **extra}


def test_the_desk_adds_a_referring_provider_after_fixing_an_invalid_npi(
    desk: User, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(desk)
    url = reverse("scheduling:referring_create")
    bad = client.post(url, _referring(npi="1234567890"))
    assert bad.status_code == 400
    assert bad.context["form"].errors["npi"] == ["Enter a valid 10-digit NPI (its check digit does not match)."]
    assert not ReferringProvider.objects.exists()
    ok = client.post(url, _referring(taxonomy_code="207Q00000X"))
    assert ok.status_code == 302
    saved = ReferringProvider.objects.get()
    assert (saved.last_name, saved.npi, saved.taxonomy_code) == ("Moreno", npi_for(900), "207Q00000X")
    assert AuditEvent.objects.filter(actor=desk, action="referring_provider.created").count() == 1
    listing = client.get(reverse("scheduling:referring_list"), {"q": "moreno"}).content.decode()
    assert npi_for(900) in listing


@pytest.mark.parametrize(("data", "field"), [
    ({"npi": "12345"}, "npi"),
    ({"taxonomy_code": "family"}, "taxonomy_code"),
    ({"last_name": ""}, "last_name"),
])
def test_bad_referring_provider_input_is_refused_on_the_field(
    desk: User, signed_in: Callable[[User], Client], data: dict[str, str], field: str
) -> None:
    response = signed_in(desk).post(reverse("scheduling:referring_create"), _referring(**data))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not ReferringProvider.objects.exists()


def test_a_second_referring_provider_with_the_same_npi_is_refused(
    desk: User, signed_in: Callable[[User], Client]
) -> None:
    ReferringProviderFactory(npi=npi_for(900))
    response = signed_in(desk).post(reverse("scheduling:referring_create"), _referring())
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert ReferringProvider.objects.count() == 1


def test_editing_a_referring_provider_saves_only_valid_changes(
    desk: User, signed_in: Callable[[User], Client]
) -> None:
    referring = ReferringProviderFactory(first_name="Ada", last_name="Moreno")
    client = signed_in(desk)
    url = reverse("scheduling:referring_edit", args=[referring.pk])
    before = row(referring)
    assert client.post(url, _referring(npi="9999999999")).status_code == 400
    assert row(referring) == before
    assert client.post(url, _referring(npi=referring.npi, phone="919-555-0100")).status_code == 302
    referring.refresh_from_db()
    assert referring.phone == "919-555-0100"
    assert AuditEvent.objects.get(actor=desk, action="referring_provider.updated").changed_fields == "phone"


def test_the_office_manager_entry_sees_referring_providers_but_may_not_change_them(
    make_user: Callable[..., User], signed_in: Callable[[User], Client]
) -> None:
    referring = ReferringProviderFactory(last_name="Moreno")
    viewer = make_user(Role.OFFICE_MANAGER, Tier.ENTRY)
    client = signed_in(viewer)
    listing = client.get(reverse("scheduling:referring_list")).content.decode()
    assert "Moreno" in listing
    assert reverse("scheduling:referring_edit", args=[referring.pk]) not in listing
    before, refusals = row(referring), denied(viewer)
    assert client.post(reverse("scheduling:referring_edit", args=[referring.pk]),
                       _referring(npi=referring.npi, last_name="Changed")).status_code == 404
    assert client.post(reverse("scheduling:referring_create"), _referring()).status_code == 404
    assert row(referring) == before
    assert ReferringProvider.objects.count() == 1
    assert denied(viewer) == refusals + 2


def test_referring_provider_save_refuses_without_the_permission_and_audits_it(
    make_user: Callable[..., User]
) -> None:
    viewer = make_user(Role.PROVIDER)
    with pytest.raises(PermissionDenied):
        services.referring_provider_save(actor=viewer, data=_referring())
    assert not ReferringProvider.objects.exists()
    assert AuditEvent.objects.filter(actor=viewer, action="referring_provider.save",
                                     outcome=Outcome.DENIED).count() == 1
    assert AppointmentType.objects.count() == 0
