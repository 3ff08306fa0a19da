"""Samples for THE route matrix (tests/test_routes.py), merged there: SAMPLES maps a route kind (the first word
of a route name, or the KIND_OF_ROUTE override) to a function (world, actor) -> (object in the actor's scope,
object outside it or None when the kind is practice-wide). PRACTICE_WIDE names the kinds that have no
out-of-scope object (left out of the scope test).

The catalogue and stock pages (urls_stock):
    "item":       item_detail/edit/packaging_add/price_add (<pk> = Item; the catalogue is practice-wide)
    "place":      place_edit (<pk> = StoragePlace: a supply room at North, one at South)
    "stock":      stock_consume/transfer/remove (<pk> = StockLevel: 10 gloves in the North and the South room)
    "stockcount": stockcount_detail/record/submit/approve (<pk> = an open CycleCount of a North and a South
                  place, started by the world's stranger so any actor may approve it)
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from openpractice.inventory.choices import CountStatus, MovementKind, PlaceKind
from openpractice.inventory.models import (
    CycleCount,
    CycleCountLine,
    Item,
    StockLevel,
    StockMovement,
    StoragePlace,
)


def _cache(world: Any) -> dict[str, Any]:
    cache: dict[str, Any] = world.__dict__.setdefault("_inventory_stock_samples", {})
    if not cache:
        item = Item.objects.create(sku="ROUTE-GLOVES", name="Route gloves", category="medical")
        cache["item"] = item
        for key, location in (("north", world.north), ("south", world.south)):
            place = StoragePlace.objects.create(location=location, name=f"Route supply room {key}",
                                                kind=PlaceKind.SUPPLY_ROOM)
            cache[f"place:{key}"] = place
            cache[f"stock:{key}"] = StockLevel.objects.create(item=item, place=place, quantity=10)
            StockMovement.objects.create(item=item, kind=MovementKind.RECEIVE, quantity=10, to_place=place,
                                         occurred_at=timezone.now(), operation=uuid.uuid4())
            counted = StoragePlace.objects.create(location=location, name=f"Route count room {key}")
            count = CycleCount.objects.create(place=counted, status=CountStatus.OPEN, started_by=world.stranger)
            CycleCountLine.objects.create(count=count, item=item, expected=0)
            cache[f"stockcount:{key}"] = count
    return cache


def _pair(kind: str) -> Callable[[Any, Any], tuple[Any, Any]]:
    def samples(world: Any, actor: Any) -> tuple[Any, Any]:
        cache = _cache(world)
        return cache[f"{kind}:north"], cache[f"{kind}:south"]

    return samples


def items(world: Any, actor: Any) -> tuple[Any, None]:
    return _cache(world)["item"], None


SAMPLES: dict[str, Callable[[Any, Any], tuple[Any, Any]]] = {
    "item": items,
    "place": _pair("place"),
    "stock": _pair("stock"),
    "stockcount": _pair("stockcount"),
}
KIND_OF_ROUTE: dict[str, str] = {}
PRACTICE_WIDE: frozenset[str] = frozenset({"item"})
