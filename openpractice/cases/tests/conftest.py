"""Fixtures for the cases tests: a frozen practice day, case workers of each kind at North, and cases built
directly (not through the services) so each test starts where it needs to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.cases import services
from openpractice.cases.choices import CaseKind
from openpractice.cases.models import Case
from openpractice.cases.tests.factories import CaseFactory
from openpractice.core.models import Location

TODAY = dt.date(2026, 3, 16)


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    """The practice day the services see."""
    monkeypatch.setattr(services, "practice_today", lambda: TODAY)
    return TODAY


@pytest.fixture
def desk(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.FRONT_DESK, locations=[north], username="desk")


@pytest.fixture
def pm_entry(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.PRACTICE_MANAGER, Tier.ENTRY, locations=[north], username="pm_entry")


@pytest.fixture
def pm_advanced(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED, locations=[north], username="pm_advanced")


@pytest.fixture
def pm_senior(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north], username="pm_senior",
                     email="senior.north@example.test")


@pytest.fixture
def pm_entry_south(make_user: Callable[..., User], south: Location) -> User:
    return make_user(Role.PRACTICE_MANAGER, Tier.ENTRY, locations=[south], username="pm_entry_south")


@pytest.fixture
def privacy(make_user: Callable[..., User]) -> User:
    return make_user(Role.PRIVACY_OFFICER, username="privacy")


@pytest.fixture
def hr(make_user: Callable[..., User]) -> User:
    return make_user(Role.HR, username="hr")


@pytest.fixture
def make_case(north: Location, desk: User) -> Callable[..., Case]:
    """make_case(kind=..., confidentiality=..., location=...) — a new case at North filed by the desk."""

    def make(**fields: Any) -> Case:
        fields.setdefault("location", north)
        fields.setdefault("filed_by", desk)
        fields.setdefault("kind", CaseKind.PATIENT)
        return CaseFactory(**fields)

    return make
