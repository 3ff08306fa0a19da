"""Samples for THE route matrix (tests/test_routes.py), merged there: SAMPLES maps a route kind to a function
(world, actor) -> (object in the actor's scope, object outside it). Assets belong to a location: the in-scope
objects are at North, the others at South.

    "asset": assets,                # asset_detail/edit/status/meter/document_add/label (<pk> = Asset)
    "assetdocument": documents,     # assetdocument_download (<pk> = AssetDocument, with its PDF)
    "plan": plans,                  # plan_detail/edit (<pk> = MaintenancePlan)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .factories_assets import make_asset, make_document, make_plan


def _cache(world: Any) -> dict[str, Any]:
    cache: dict[str, Any] = world.__dict__.setdefault("_facilities_asset_samples", {})
    if not cache:
        for side, location in (("north", world.north), ("south", world.south)):
            asset = make_asset(location=location, tag=f"RS-{side.upper()}", meter_unit="cycles")
            cache[f"asset_{side}"] = asset
            cache[f"document_{side}"] = make_document(asset=asset, uploaded_by=world.stranger)
            cache[f"plan_{side}"] = make_plan(asset=asset, steps=("Check the door seal",))
    return cache


def assets(world: Any, actor: Any) -> tuple[Any, Any]:
    cache = _cache(world)
    return cache["asset_north"], cache["asset_south"]


def documents(world: Any, actor: Any) -> tuple[Any, Any]:
    cache = _cache(world)
    return cache["document_north"], cache["document_south"]


def plans(world: Any, actor: Any) -> tuple[Any, Any]:
    cache = _cache(world)
    return cache["plan_north"], cache["plan_south"]


SAMPLES: dict[str, Callable[[Any, Any], tuple[Any, Any]]] = {
    "asset": assets,
    "assetdocument": documents,
    "plan": plans,
}
KIND_OF_ROUTE: dict[str, str] = {}
PRACTICE_WIDE: frozenset[str] = frozenset()
