"""The registry of demo-data seeders. Each app adds a `demo.py` with a function decorated by `@seeder(order)`;
`openpractice demo` runs them in order inside one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.module_loading import autodiscover_modules


@dataclass(frozen=True)
class Seeder:
    order: int
    name: str
    run: Callable[[dict[str, Any]], None]


_seeders: dict[str, Seeder] = {}


def seeder(order: int) -> Callable[[Callable[[dict[str, Any]], None]], Callable[[dict[str, Any]], None]]:
    """Register a seeder. It receives a shared dict (`context`) in which earlier seeders leave what later
    ones need (the practice, locations, users) and in which it may add to `context["report"]`."""

    def decorate(func: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
        name = f"{func.__module__}.{func.__name__}"
        _seeders[name] = Seeder(order=order, name=name, run=func)
        return func

    return decorate


def seeders() -> list[Seeder]:
    autodiscover_modules("demo")
    return sorted(_seeders.values(), key=lambda s: (s.order, s.name))
