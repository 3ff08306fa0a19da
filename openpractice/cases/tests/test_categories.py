"""Categories and their service levels: edited only by those who work that kind of case at every location; the
resolve time is never before the acknowledge time; only patient complaints open privacy incidents; open cases keep
the service levels they were promised."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.cases import services
from openpractice.cases.choices import CaseKind
from openpractice.cases.models import Case, CaseCategory
from openpractice.cases.tests.factories import category
from openpractice.core.models import Location

from .support import denials, events, state

pytestmark = pytest.mark.django_db


def save(actor: User, kind: str = CaseKind.PATIENT, target: CaseCategory | None = None, **values: Any) -> CaseCategory:
    fields: dict[str, Any] = {"name": "Parking", "acknowledge_days": 2, "resolve_days": 20, "opens_incident": False,
                              "is_active": True, **values}
    return services.category_save(actor=actor, category=target, kind=kind, **fields)


@pytest.mark.parametrize(("role", "tier", "kinds"), [
    (Role.PRACTICE_MANAGER, Tier.SENIOR, [CaseKind.PATIENT, CaseKind.STAFF]),
    (Role.PRACTICE_MANAGER, Tier.ENTRY, [CaseKind.PATIENT]),
    (Role.PRIVACY_OFFICER, Tier.STANDARD, [CaseKind.PATIENT]),
    (Role.HR, Tier.STANDARD, [CaseKind.STAFF]),
    (Role.OFFICE_MANAGER, Tier.EXPERIENCED, []),
    (Role.ADMINISTRATOR, Tier.STANDARD, []),
])
def test_categories_are_edited_by_those_who_work_the_kind_everywhere(role: str, tier: str, kinds: list[str],
                                                                     make_user: Callable[..., User]) -> None:
    user = make_user(role, tier)
    for kind in (CaseKind.PATIENT, CaseKind.STAFF):
        if kind in kinds:
            created = save(user, kind, name=f"New {kind}")
            assert (created.kind, created.acknowledge_days, created.resolve_days) == (kind, 2, 20)
            assert len(events("cases.category_saved", object_id=str(created.pk))) == 1
        else:
            before, refused = state(), denials(user, "cases.category_save")
            with pytest.raises(PermissionDenied):
                save(user, kind, name=f"New {kind}")
            assert denials(user, "cases.category_save") == refused + 1
            assert state() == before


def test_a_senior_at_one_location_only_does_not_edit_categories(pm_senior: User) -> None:
    billing = category()
    before = state()
    with pytest.raises(PermissionDenied):
        save(pm_senior, target=billing, name=billing.name, resolve_days=60)
    assert denials(pm_senior, "cases.category_save") == 1
    assert state() == before


def test_a_category_keeps_its_kind(make_user: Callable[..., User]) -> None:
    senior = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)
    before = state()
    with pytest.raises(PermissionDenied):
        save(senior, CaseKind.STAFF, target=category(), name="Billing dispute")
    assert state() == before


@pytest.mark.parametrize(("values", "field"), [
    ({"acknowledge_days": 10, "resolve_days": 9}, "resolve_days"),
    ({"acknowledge_days": 0, "resolve_days": 9}, None),
    ({"name": "Billing dispute"}, None),  # the name is taken
    ({"name": "  "}, "name"),
])
def test_service_levels_and_names_must_make_sense(values: dict[str, Any], field: str | None,
                                                  make_user: Callable[..., User]) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY)
    before = state()
    with pytest.raises(ValidationError) as error:
        save(manager, **values)
    if field:
        assert field in error.value.message_dict
    assert state() == before


def test_staff_categories_cannot_open_incidents(hr: User, make_user: Callable[..., User]) -> None:
    before = state()
    with pytest.raises(ValidationError) as error:
        save(hr, CaseKind.STAFF, opens_incident=True)
    assert "opens_incident" in error.value.message_dict
    assert state() == before
    created = save(make_user(Role.PRIVACY_OFFICER), CaseKind.PATIENT, name="Records sent elsewhere",
                   opens_incident=True)
    assert created.opens_incident


def test_new_service_levels_apply_to_new_cases_only(make_user: Callable[..., User], make_case: Callable[..., Case],
                                                    desk: User, north: Location, monkeypatch: Any) -> None:
    import datetime as dt

    manager = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY)
    billing = category()
    open_case = make_case(category=billing)
    due = (open_case.acknowledge_due_on, open_case.resolve_due_on)
    edited = save(manager, target=billing, name="Billing dispute", acknowledge_days=5, resolve_days=45)
    assert events("cases.category_saved")[0].changed_fields == "acknowledge_days,resolve_days"
    stored = Case.objects.get(pk=open_case.pk)
    assert (stored.acknowledge_due_on, stored.resolve_due_on) == due
    monkeypatch.setattr(services, "practice_today", lambda: dt.date(2026, 3, 16))
    new = services.case_file(actor=desk, category=edited, subject="s", narrative="n", location=north)
    assert (new.acknowledge_due_on, new.resolve_due_on) == (dt.date(2026, 3, 21), dt.date(2026, 4, 30))
    save(manager, target=edited, name="Billing dispute", acknowledge_days=5, resolve_days=45)  # no change
    assert len(events("cases.category_saved")) == 1
