"""Name prefixes are searched as an index range (docs/benchmarks.md): the range must never lose or add a match,
whatever the prefix ends with (z, 9, zz)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.core.models import Location
from openpractice.patients import selectors
from openpractice.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

NAMES = ["Smith", "Smithers", "Smjolk", "Smi", "Sma", "Lutz", "Lutzow", "Luu", "Zz", "Zzyzx", "Zach", "Jo9", "Joa",
         "Jo8", "Renée"]


@pytest.fixture
def desk(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.FRONT_DESK, locations=[north])


@pytest.mark.parametrize("prefix", ["smi", "sm", "lutz", "lu", "zz", "z", "jo9", "jo", "ren", "renee"])
def test_a_last_name_prefix_finds_exactly_the_names_that_start_with_it(desk: User, north: Location,
                                                                       prefix: str) -> None:
    made = {name: PatientFactory(last_name=name, first_name="Kim", home_location=north) for name in NAMES}
    expected = {made[name].pk for name in NAMES
                if name.lower().replace("é", "e").startswith(prefix)}
    found = {p.pk for p in selectors.patient_search(actor=desk, text=f"{prefix},")}
    assert found == expected
    # Without the comma the prefix also matches first names ("Kim" never does here).
    assert {p.pk for p in selectors.patient_search(actor=desk, text=prefix)} == expected
