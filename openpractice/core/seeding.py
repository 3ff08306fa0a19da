"""The registry of demo-data seeders. Each app adds a `demo.py` with a function decorated by `@seeder(order)`;
`openpractice demo` runs them in order inside one transaction.

The registry lives here rather than in `core/demo.py` because `demo.py` is, in every app including core, the
module that holds that app's seeders (core's creates the practice, its locations and departments).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.module_loading import autodiscover_modules

SeederFunc = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Seeder:
    order: int
    name: str
    run: SeederFunc


_seeders: dict[str, Seeder] = {}


def seeder(order: int) -> Callable[[SeederFunc], SeederFunc]:
    """Register a seeder. It receives a shared dict (`context`) in which earlier seeders leave what later
    ones need (the practice, locations, users) and in which it may add to `context["report"]`.

    Orders used so far: 10 core (practice, locations, departments), 20 accounts (one user per role and tier),
    30 patients, 40 scheduling, 60-61 billing (claims, then receivables), 70 workforce, 80 compliance, 85 cases,
    86 vendors, 87-89 inventory (catalogue, stock, purchasing and rep visits), 90-92 facilities (assets and
    maintenance plans, work orders, cleaning and safety logs).
    """

    def decorate(func: SeederFunc) -> SeederFunc:
        name = f"{func.__module__}.{func.__name__}"
        _seeders[name] = Seeder(order=order, name=name, run=func)
        return func

    return decorate


def seeders() -> list[Seeder]:
    autodiscover_modules("demo")
    return sorted(_seeders.values(), key=lambda s: (s.order, s.name))


# --- size-scaled seeding (`openpractice seed --size ...`) ---------------------------------------------------------

# (patients, appointments) per size. Appointments span SEED_YEARS years ending a few weeks ahead of today.
SEED_SIZES: dict[str, tuple[int, int]] = {
    "small": (1_000, 10_000),
    "medium": (10_000, 100_000),
    "large": (100_000, 1_000_000),
}
SEED_YEARS = 5
# Rows per INSERT batch: big enough that the per-statement cost vanishes, small enough to keep memory flat.
SEED_BATCH = 5_000


class SeedRefused(Exception):
    """A bulk seeder cannot run on this database (no demo practice, or already seeded): nothing was written."""


_large_seeders: dict[str, Seeder] = {}


def large_seeder(order: int) -> Callable[[SeederFunc], SeederFunc]:
    """Register a bulk seeder for `openpractice seed --size ...`, kept in the app's `seed_large.py` (found like
    `demo.py`). It receives the context dict with "size", "patients", "appointments", "seed" (the random seed),
    "years" and "report"; it must raise SeedRefused, before writing anything, when it cannot run.

    Orders used so far: 30 patients (and coverage), 40 scheduling (appointments).
    """

    def decorate(func: SeederFunc) -> SeederFunc:
        name = f"{func.__module__}.{func.__name__}"
        _large_seeders[name] = Seeder(order=order, name=name, run=func)
        return func

    return decorate


def large_seeders() -> list[Seeder]:
    autodiscover_modules("seed_large")
    return sorted(_large_seeders.values(), key=lambda s: (s.order, s.name))
