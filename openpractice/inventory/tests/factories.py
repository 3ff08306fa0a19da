"""Inventory test data built directly (not through the services)."""

from __future__ import annotations

from typing import Any

import factory

from openpractice.core.tests.factories import LocationFactory
from openpractice.inventory.choices import ItemCategory, PlaceKind
from openpractice.inventory.models import Item, StoragePlace


class ItemFactory(factory.django.DjangoModelFactory[Item]):
    class Meta:
        model = Item

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Exam gloves, nitrile, medium ({n})")
    category = ItemCategory.MEDICAL


class PlaceFactory(factory.django.DjangoModelFactory[StoragePlace]):
    class Meta:
        model = StoragePlace

    location = factory.SubFactory(LocationFactory)
    name = factory.Sequence(lambda n: f"Supply room {n}")
    kind = PlaceKind.SUPPLY_ROOM


def place_at(location: Any, name: str = "Supply room") -> StoragePlace:
    return PlaceFactory(location=location, name=name)
