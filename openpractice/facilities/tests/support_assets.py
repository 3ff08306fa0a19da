"""Helpers shared by the asset and maintenance-plan tests (plain functions: the app keeps no conftest)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.tests.factories import sign_in
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.facilities.models import (
    Asset,
    AssetDocument,
    MaintenancePlan,
    PlanChecklistItem,
    WorkOrder,
    WorkOrderChecklistItem,
)

ASSET_MODELS = (Asset, AssetDocument, MaintenancePlan, PlanChecklistItem, WorkOrder, WorkOrderChecklistItem)


def client_for(user: Any) -> Client:
    return sign_in(Client(), user)


def rows(models: Iterable[Any] = ASSET_MODELS) -> list[list[Any]]:
    """Every row of the asset and plan tables, every column: what a refusal must leave as it was."""
    return [list(model.objects.order_by("pk").values_list()) for model in models]


def denials(user: Any) -> int:
    return AuditEvent.objects.filter(actor_id=user.pk, outcome=Outcome.DENIED).count()


def event(action: str, **lookup: Any) -> AuditEvent:
    return AuditEvent.objects.filter(action=action, outcome=Outcome.ALLOWED, **lookup).latest("seq")


def queries_for(client: Client, url: str) -> int:
    client.get(url)  # warm the per-process caches so both sizes are measured alike
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)
