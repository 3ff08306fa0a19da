"""Fixtures every test can use: a practice with two locations, users by role, and signing in with MFA done."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import sign_in, user_with_role
from openpractice.core.models import Location, Practice
from openpractice.core.tests.factories import LocationFactory, PracticeFactory

# Lets transactional tests flush the append-only audit table; provides the `smtp_server` fixture.
pytest_plugins = ["openpractice.audit.tests.pytest_plugin", "openpractice.core.tests.smtp"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`--dist loadgroup`), all browser tests go to one worker, so only one live app
    (a demo practice served by gunicorn) is started per run instead of one per worker."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(autouse=True)
def _fresh_practice_settings_cache() -> None:
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def practice(db: Any) -> Practice:
    return PracticeFactory()


@pytest.fixture
def north(practice: Practice) -> Location:
    return LocationFactory(practice=practice, name="North Clinic", code="north")


@pytest.fixture
def south(practice: Practice) -> Location:
    return LocationFactory(practice=practice, name="South Clinic", code="south")


@pytest.fixture
def make_user(practice: Practice) -> Callable[..., User]:
    """make_user(Role.FRONT_DESK, locations=[north]) — a user holding one role; all locations by default."""

    def make(role: str, tier: str = Tier.STANDARD, *, locations: Any = None, **fields: Any) -> User:
        return user_with_role(role, tier, locations=locations, **fields)

    return make


@pytest.fixture
def signed_in(client: Client) -> Callable[[User], Client]:
    return lambda user: sign_in(client, user)


@pytest.fixture
def administrator(make_user: Callable[..., User]) -> User:
    return make_user(Role.ADMINISTRATOR, username="admin")


@pytest.fixture
def auditor(make_user: Callable[..., User]) -> User:
    return make_user(Role.AUDITOR, username="auditor")
