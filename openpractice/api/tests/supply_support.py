"""Helpers shared by the supply-chain API tests (test_supply_api_*.py): a snapshot of every vendor, inventory and
compliance row (a refusal must leave it unchanged), denial counts, and small builders that go through the
services where the rule matters (stock) and straight to the models where it does not (a vendor row)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import user_with_role
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.inventory.choices import MovementKind, PlaceKind
from openpractice.inventory.models import Item, StoragePlace
from openpractice.inventory.services import stock as stock_services
from openpractice.inventory.tests.factories import PlaceFactory
from openpractice.vendors.choices import VendorKind
from openpractice.vendors.models import Vendor

from .conftest import TokenClient

Api = Callable[[User], TokenClient]


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the vendor, inventory and compliance tables."""
    state = {}
    for label in ("vendors", "inventory", "compliance"):
        for model in apps.get_app_config(label).get_models():
            columns = [field.attname for field in model._meta.concrete_fields]
            state[model._meta.label] = list(model._default_manager.order_by("pk").values_list(*columns))
    return state


def denials(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["items"]]


def errors_on(response: Any) -> set[str]:
    """The fields a 422 names."""
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "validation_error"
    return {str(part) for error in body["errors"] for part in error["loc"]}


def messages(response: Any) -> str:
    return " ".join(error["msg"] for error in response.json()["errors"])


def make_vendor(name: str = "Piedmont Medical Supply", **fields: Any) -> Vendor:
    values: dict[str, Any] = {"kind": VendorKind.SUPPLIER, "order_email": "orders@vendor.test", **fields}
    return Vendor.objects.create(name=name, **values)


def place(location: Any, name: str = "Supply room", kind: str = PlaceKind.SUPPLY_ROOM) -> StoragePlace:
    return PlaceFactory(location=location, name=name, kind=kind)


def keeper() -> User:
    """Someone who may put stock anywhere (a senior office manager for all locations)."""
    found = User.objects.filter(username="stock-keeper").first()
    return found or user_with_role(Role.OFFICE_MANAGER, Tier.EXPERIENCED, username="stock-keeper")


def put(item: Item, where: StoragePlace, quantity: int, lot: str = "", expires_on: dt.date | None = None) -> None:
    stock_services.stock_receive(actor=keeper(), item=item, place=where, quantity=quantity, lot_number=lot,
                                 expires_on=expires_on, kind=MovementKind.RECEIVE, reason="opening balance")


def post_with_key(client: TokenClient, path: str, body: dict[str, Any], key: str | None) -> Any:
    headers = dict(client.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.client.post(path, json.dumps(body), content_type="application/json", headers=headers)


def list_queries(client: TokenClient, path: str, params: dict[str, Any] | None = None) -> int:
    """Queries of one list call, not counting the audit rows (a PHI list records one per patient)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, params or {"limit": 200})
    assert response.status_code == 200, response.content
    return sum(1 for query in captured.captured_queries if "audit_auditevent" not in query["sql"])
