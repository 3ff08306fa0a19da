"""Helpers shared by the vendor page tests (plain functions, no fixtures: the app has no conftest of its own)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.tests.factories import sign_in
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.vendors.models import (
    Contract,
    Negotiation,
    RepAccessPolicy,
    RepVisit,
    Vendor,
    VendorCategory,
    VendorContact,
)

VENDOR_MODELS = (Vendor, VendorCategory, VendorContact, Contract, Negotiation, RepVisit, RepAccessPolicy)


def client_for(user: Any) -> Client:
    return sign_in(Client(), user)


def rows(models: Iterable[Any] = VENDOR_MODELS) -> list[list[Any]]:
    """Every row of the vendor tables, every column: what a refusal must leave as it was."""
    return [list(model.objects.order_by("pk").values_list()) for model in models]


def denials(user: Any) -> int:
    return AuditEvent.objects.filter(actor_id=user.pk, outcome=Outcome.DENIED).count()


def events(action: str, **lookup: Any) -> int:
    return AuditEvent.objects.filter(action=action, outcome=Outcome.ALLOWED, **lookup).count()


def queries_for(client: Client, url: str) -> int:
    client.get(url)  # warm the per-process caches so both sizes are measured alike
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def text(response: Any) -> str:
    return response.content.decode()
