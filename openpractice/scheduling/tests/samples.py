"""Sample objects for the route matrix (tests/test_routes.py): one at North (in scope) and one at South."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Model
from django.utils import timezone

from openpractice.patients.tests.factories import PatientFactory

from .factories import AppointmentFactory, ProviderFactory


def _cached(world: Any, key: str, build: Any) -> Any:
    # The matrix asks several times per test; build once per world.
    if not hasattr(world, key):
        setattr(world, key, build())
    return getattr(world, key)


def providers(world: Any, actor: Any = None) -> tuple[Model, Model]:
    return _cached(world, "_scheduling_providers", lambda: (
        ProviderFactory(locations=[world.north]), ProviderFactory(locations=[world.south])))


def appointments(world: Any, actor: Any = None) -> tuple[Model, Model]:
    def build() -> tuple[Model, Model]:
        north_provider, south_provider = providers(world)
        start = (timezone.now() + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
        return (
            AppointmentFactory(patient=PatientFactory(home_location=world.north), provider=north_provider,
                               location=world.north, starts_at=start),
            AppointmentFactory(patient=PatientFactory(home_location=world.south), provider=south_provider,
                               location=world.south, starts_at=start),
        )

    return _cached(world, "_scheduling_appointments", build)


def waitlist_entries(world: Any, actor: Any = None) -> tuple[Model, Model]:
    from openpractice.scheduling.tests.factories import WaitlistEntryFactory

    return _cached(world, "_scheduling_waitlist", lambda: (
        WaitlistEntryFactory(patient=PatientFactory(home_location=world.north), location=world.north),
        WaitlistEntryFactory(patient=PatientFactory(home_location=world.south), location=world.south)))


def appointment_types(world: Any, actor: Any = None) -> tuple[Model, None]:
    # Practice-wide: no appointment type is out of anyone's scope.
    from openpractice.scheduling.tests.factories import AppointmentTypeFactory

    return _cached(world, "_scheduling_types", lambda: (AppointmentTypeFactory(), None))


def rooms(world: Any, actor: Any = None) -> tuple[Model, Model]:
    from openpractice.scheduling.tests.factories import RoomFactory

    return _cached(world, "_scheduling_rooms", lambda: (
        RoomFactory(location=world.north, name="North exam"), RoomFactory(location=world.south, name="South exam")))


def referring_providers(world: Any, actor: Any = None) -> tuple[Model, None]:
    # Practice-wide reference data: no referring provider is out of anyone's scope.
    from openpractice.scheduling.tests.factories import ReferringProviderFactory

    return _cached(world, "_scheduling_referring", lambda: (ReferringProviderFactory(), None))
