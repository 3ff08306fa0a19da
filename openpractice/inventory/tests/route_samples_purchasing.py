"""Samples for THE route matrix (tests/test_routes.py), merged there: SAMPLES maps a route kind (the first word
of a route name, or the KIND_OF_ROUTE override) to a function (world, actor) -> (object in the actor's scope,
object outside it or None when the kind is practice-wide). PRACTICE_WIDE names the kinds that have no
out-of-scope object (left out of the scope test)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SAMPLES: dict[str, Callable[[Any, Any], tuple[Any, Any]]] = {}
KIND_OF_ROUTE: dict[str, str] = {}
PRACTICE_WIDE: frozenset[str] = frozenset()
