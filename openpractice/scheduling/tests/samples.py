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
