"""Helpers for the catalogue and stock page tests (test_views_stock*.py): people by duty at North, stock put on
the shelf through the services (so the ledger agrees), and snapshots of what a refused request must not change."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client
from django.utils import timezone

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import sign_in, user_with_role
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.inventory.choices import PlaceKind
from openpractice.inventory.models import (
    CycleCount,
    Item,
    Packaging,
    ParLevel,
    StockLevel,
    StockMovement,
    StoragePlace,
    VendorItem,
)
from openpractice.inventory.services import stock
from openpractice.inventory.tests.factories import ItemFactory, place_at
from openpractice.vendors.choices import VendorKind
from openpractice.vendors.models import RepVisit, Vendor

EXPIRES_SOON = dt.date.today() + dt.timedelta(days=20)  # within the expiring list's default 60 days
EXPIRES_LATE = dt.date.today() + dt.timedelta(days=400)


def client_for(user: Any) -> Client:
    return sign_in(Client(), user)


def clinical(location: Any, **fields: Any) -> Any:
    """Uses stock (inventory.view + use), manages nothing."""
    return user_with_role(Role.CLINICAL_STAFF, locations=[location], **fields)


def manager(location: Any, **fields: Any) -> Any:
    """An office manager (mid): inventory.view, use and manage."""
    return user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[location], **fields)


def front_desk(location: Any, **fields: Any) -> Any:
    """No inventory permission at all."""
    return user_with_role(Role.FRONT_DESK, locations=[location], **fields)


def denials(user: Any) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def put(actor: Any, item: Item, place: StoragePlace, quantity: int, lot: str = "",
        expires_on: dt.date | None = None) -> None:
    """Receive stock through the service (the ledger and the levels agree)."""
    stock.stock_receive(actor=actor, item=item, place=place, quantity=quantity, lot_number=lot,
                        expires_on=expires_on)


def on_hand(item: Item, place: StoragePlace) -> dict[str | None, int]:
    return {level.lot.number if level.lot else None: level.quantity
            for level in StockLevel.objects.filter(item=item, place=place).select_related("lot")}


def books() -> list[list[Any]]:
    """Every row of the stock tables, to prove a refused request changed nothing."""
    return [list(model.objects.order_by("pk").values_list()) for model in (
        StockLevel, StockMovement, ParLevel, StoragePlace, Item, Packaging, VendorItem, CycleCount)]


def cabinet(location: Any, name: str = "Sample cabinet") -> StoragePlace:
    place = place_at(location, name)
    place.kind = PlaceKind.SAMPLES
    place.save(update_fields=["kind"])
    return place


def vendor(name: str = "Medline", kind: str = VendorKind.SUPPLIER) -> Vendor:
    return Vendor.objects.get_or_create(name=name, defaults={"kind": kind})[0]


def rep_visit(location: Any, logged_by: Any, company: Vendor | None = None, **fields: Any) -> RepVisit:
    return RepVisit.objects.create(vendor=company or vendor("Pharma Co", VendorKind.SALES), rep_name="Pat Rep",
                                   location=location, visited_at=fields.pop("visited_at", timezone.now()),
                                   logged_by=logged_by, **fields)


def gloves(**fields: Any) -> Item:
    fields.setdefault("name", "Nitrile gloves")
    return ItemFactory(**fields)


def form_key(response: Any, form_name: str = "form") -> str:
    """The Idempotency-Key the page put in its form."""
    key = response.context[form_name]["idempotency_key"].value()
    assert key
    return str(key)
