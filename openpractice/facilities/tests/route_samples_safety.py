"""Samples for THE route matrix (tests/test_routes.py), merged there: SAMPLES maps a route kind to a function
(world, actor) -> (object in the actor's scope, object outside it). Safety logs and cleaning belong to a location:
the in-scope objects are at North, the others at South.

    "checkpoint":          checkpoint_detail/edit and safetylog_record (<pk> = SafetyCheckpoint: a refrigerator)
    "safetylog":           safetylog_detail/correct/action/workorder (<pk> = SafetyLogEntry: today's reading out of
                           range, no corrective action yet)
    "cleaningschedule":    cleaningschedule_detail/edit (<pk> = CleaningSchedule)
    "cleaninginspection":  cleaninginspection_detail/workorder (<pk> = CleaningInspection with a failed task)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openpractice.core.selectors import practice_today

from .factories_safety import make_entry, make_fridge, make_inspection, make_schedule


def _cache(world: Any) -> dict[str, Any]:
    cache: dict[str, Any] = world.__dict__.setdefault("_facilities_safety_samples", {})
    if not cache:
        today = practice_today()
        for side, location in (("north", world.north), ("south", world.south)):
            fridge = make_fridge(location=location, name=f"Route fridge {side}")
            cache[f"checkpoint_{side}"] = fridge
            cache[f"safetylog_{side}"] = make_entry(checkpoint=fridge, log_date=today, recorded_by=world.stranger,
                                                    value="49.5", passed=False)
            schedule = make_schedule(location=location, room=f"Route room {side}")
            cache[f"cleaningschedule_{side}"] = schedule
            cache[f"cleaninginspection_{side}"] = make_inspection(schedule=schedule, inspector=world.stranger,
                                                                  failed=(1,), inspected_on=today)
    return cache


def _pair(kind: str) -> Callable[[Any, Any], tuple[Any, Any]]:
    def samples(world: Any, actor: Any) -> tuple[Any, Any]:
        cache = _cache(world)
        return cache[f"{kind}_north"], cache[f"{kind}_south"]

    return samples


SAMPLES: dict[str, Callable[[Any, Any], tuple[Any, Any]]] = {
    "checkpoint": _pair("checkpoint"),
    "safetylog": _pair("safetylog"),
    "cleaningschedule": _pair("cleaningschedule"),
    "cleaninginspection": _pair("cleaninginspection"),
}
KIND_OF_ROUTE: dict[str, str] = {"facilities:safetylog_record": "checkpoint"}
PRACTICE_WIDE: frozenset[str] = frozenset()
