"""Position services: role/tier pairs, no circles in reporting lines or career paths, location scope, refusals
that change nothing and are audited, delete only when unused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core.models import Location
from openpractice.workforce.models import Position
from openpractice.workforce.services import positions as services

from .factories import CredentialTypeFactory, EmployeeFactory, PositionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hr(make_user: Callable[..., User]) -> User:
    return make_user(Role.HR)


def test_hr_creates_a_position_with_certifications_and_it_is_audited(hr: User, north: Location) -> None:
    cap = CredentialTypeFactory(code="CAP")
    position = services.position_create(actor=hr, data={
        "title": "Office manager (mid)", "role": Role.OFFICE_MANAGER, "tier": Tier.MID, "location": north,
        "required_certifications": [cap], "required_education": "associate"})
    assert list(position.required_certifications.values_list("code", flat=True)) == ["CAP"]
    event = AuditEvent.objects.get(action="workforce.position_created")
    assert event.object_id == str(position.pk)
    assert event.location_id == north.pk
    assert "required_certifications" in event.changed_fields


@pytest.mark.parametrize(("role", "tier"), [
    (Role.OFFICE_MANAGER, Tier.SENIOR), (Role.PRACTICE_MANAGER, Tier.MID), (Role.HR, Tier.ENTRY), ("", Tier.MID),
])
def test_a_tier_that_does_not_belong_to_the_role_is_refused(hr: User, role: str, tier: str) -> None:
    with pytest.raises(ValidationError) as caught:
        services.position_create(actor=hr, data={"title": "Odd", "role": role, "tier": tier})
    assert "tier" in caught.value.message_dict
    assert not Position.objects.exists()


def test_reports_to_may_not_make_a_circle(hr: User) -> None:
    top = PositionFactory(title="Practice manager")
    middle = PositionFactory(title="Office manager", reports_to=top)
    bottom = PositionFactory(title="Receptionist", reports_to=middle)
    with pytest.raises(ValidationError) as caught:
        services.position_update(actor=hr, position=top, data={"reports_to": bottom})
    assert "circle" in caught.value.message_dict["reports_to"][0]
    with pytest.raises(ValidationError):
        services.position_update(actor=hr, position=top, data={"reports_to": top})
    top.refresh_from_db()
    assert top.reports_to_id is None
    assert not AuditEvent.objects.filter(action="workforce.position_updated").exists()


def test_the_career_path_may_not_make_a_circle(hr: User) -> None:
    entry = PositionFactory(title="Entry")
    mid = PositionFactory(title="Mid", next_position=None)
    entry.next_position = mid
    entry.save()
    with pytest.raises(ValidationError) as caught:
        services.position_update(actor=hr, position=mid, data={"next_position": entry})
    assert "next_position" in caught.value.message_dict
    mid.refresh_from_db()
    assert mid.next_position_id is None


def test_a_chain_without_circle_is_accepted(hr: User) -> None:
    top = PositionFactory(title="Top")
    other = PositionFactory(title="Other", reports_to=top)
    moved = services.position_update(actor=hr, position=other, data={"reports_to": None, "title": "Other 2"})
    assert moved.reports_to_id is None
    assert moved.title == "Other 2"
    assert AuditEvent.objects.filter(action="workforce.position_updated", object_id=str(other.pk)).exists()


def test_a_viewer_without_manage_is_refused_audited_and_nothing_changes(
        make_user: Callable[..., User], north: Location) -> None:
    viewer = make_user(Role.OFFICE_MANAGER, Tier.MID)  # workforce.view, not .manage
    position = PositionFactory(title="Biller", location=north)
    with pytest.raises(PermissionDenied):
        services.position_create(actor=viewer, data={"title": "New", "location": north})
    with pytest.raises(PermissionDenied):
        services.position_update(actor=viewer, position=position, data={"title": "Renamed"})
    with pytest.raises(PermissionDenied):
        services.position_deactivate(actor=viewer, position=position)
    with pytest.raises(PermissionDenied):
        services.position_delete(actor=viewer, position=position)
    position.refresh_from_db()
    assert (position.title, position.is_active) == ("Biller", True)
    assert list(Position.objects.values_list("title", flat=True)) == ["Biller"]
    assert AuditEvent.objects.filter(outcome=Outcome.DENIED, action__startswith="workforce.position_").count() == 4


def test_a_manager_of_one_location_cannot_touch_another_or_practice_wide_positions(
        make_user: Callable[..., User], north: Location, south: Location) -> None:
    manager = make_user(Role.HR, locations=[north])
    southern = PositionFactory(title="South nurse", location=south)
    everywhere = PositionFactory(title="Practice manager", location=None)
    for position in (southern, everywhere):
        with pytest.raises(PermissionDenied):
            services.position_update(actor=manager, position=position, data={"title": "x"})
    with pytest.raises(PermissionDenied):
        services.position_create(actor=manager, data={"title": "Wide", "location": None})
    northern = services.position_create(actor=manager, data={"title": "North nurse", "location": north})
    with pytest.raises(PermissionDenied):  # moving it to south needs manage there too
        services.position_update(actor=manager, position=northern, data={"location": south})
    northern.refresh_from_db()
    assert northern.location_id == north.pk
    assert sorted(Position.objects.values_list("title", flat=True)) == ["North nurse", "Practice manager",
                                                                         "South nurse"]


def test_a_position_in_use_is_deactivated_not_deleted(hr: User) -> None:
    used = PositionFactory(title="Used")
    EmployeeFactory(position=used)
    manager = PositionFactory(title="Manager")
    PositionFactory(title="Report", reports_to=manager)
    for position in (used, manager):
        with pytest.raises(ValidationError) as caught:
            services.position_delete(actor=hr, position=position)
        assert "Deactivate it instead" in caught.value.messages[0]
    assert Position.objects.filter(pk__in=[used.pk, manager.pk]).count() == 2
    services.position_deactivate(actor=hr, position=used)
    used.refresh_from_db()
    assert not used.is_active
    unused = PositionFactory(title="Mistake")
    services.position_delete(actor=hr, position=unused)
    assert not Position.objects.filter(pk=unused.pk).exists()
    assert AuditEvent.objects.filter(action="workforce.position_deleted", object_id=str(unused.pk)).exists()


def test_pay_range_must_be_ordered(hr: User) -> None:
    with pytest.raises(ValidationError) as caught:
        services.position_create(actor=hr, data={"title": "X", "pay_min": 60000, "pay_max": 50000})
    assert "pay_max" in caught.value.message_dict


def test_unknown_fields_are_refused(hr: User, **_: Any) -> None:
    with pytest.raises(ValidationError):
        services.position_create(actor=hr, data={"title": "X", "is_active": False})
