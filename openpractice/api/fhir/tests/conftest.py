"""The users the FHIR tests act as, each holding one role at North only (`north` is the project's fixture)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from openpractice.accounts.roles import Role


@pytest.fixture
def desk(make_user: Callable[..., Any], north: Any) -> Any:
    """Front desk at North: demographics, the schedule, coverage."""
    return make_user(Role.FRONT_DESK, locations=[north])


@pytest.fixture
def biller_north(make_user: Callable[..., Any], north: Any) -> Any:
    return make_user(Role.BILLER, locations=[north], username="biller-north")


@pytest.fixture
def nurse_north(make_user: Callable[..., Any], north: Any) -> Any:
    """Clinical staff at North: facilities.view and inventory.view, no billing."""
    return make_user(Role.CLINICAL_STAFF, locations=[north])
