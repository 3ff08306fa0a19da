"""Builders for the asset and maintenance-plan tests and the route samples: rows made directly (no workflow, no
audit), so a test sets up exactly what it needs; the services are tested through their own calls."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from openpractice.facilities.choices import AssetKind, CostKind, IntervalUnit, WorkOrderSource, WorkOrderStatus
from openpractice.facilities.models import (
    Asset,
    AssetDocument,
    MaintenancePlan,
    PlanChecklistItem,
    WorkOrder,
    WorkOrderCost,
)

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
_numbers = itertools.count(1)


def make_asset(*, location: Any, tag: str = "", name: str = "Vaccine refrigerator",
               kind: str = AssetKind.REFRIGERATOR, **fields: Any) -> Asset:
    return Asset.objects.create(tag=tag or f"T-{next(_numbers):04d}", name=name, kind=kind, location=location,
                                **fields)


def make_plan(*, asset: Asset, title: str = "Yearly service", interval: int = 12,
              unit: str = IntervalUnit.MONTHS, next_due_on: dt.date | None = dt.date(2026, 3, 31),
              steps: tuple[str, ...] = (), **fields: Any) -> MaintenancePlan:
    if unit == IntervalUnit.METER:
        next_due_on = None
    plan = MaintenancePlan.objects.create(asset=asset, title=title, interval=interval, interval_unit=unit,
                                          next_due_on=next_due_on, **fields)
    for position, text in enumerate(steps, start=1):
        PlanChecklistItem.objects.create(plan=plan, position=position, text=text)
    return plan


def make_work_order(*, asset: Asset, status: str = WorkOrderStatus.NEW, title: str = "Not cooling",
                    source: str = WorkOrderSource.REPORTED, **fields: Any) -> WorkOrder:
    return WorkOrder.objects.create(asset=asset, location=asset.location, title=title, status=status,
                                    source=source, **fields)


def make_cost(*, work_order: WorkOrder, amount: str, kind: str = CostKind.VENDOR_INVOICE,
              recorded_at: dt.datetime | None = None) -> WorkOrderCost:
    cost = WorkOrderCost.objects.create(work_order=work_order, kind=kind, amount=Decimal(amount))
    if recorded_at is not None:
        WorkOrderCost.objects.filter(pk=cost.pk).update(recorded_at=recorded_at)
        cost.refresh_from_db()
    return cost


def make_document(*, asset: Asset, uploaded_by: Any, title: str = "User manual", content: bytes = PDF
                  ) -> AssetDocument:
    document = AssetDocument(asset=asset, title=title, content_type="application/pdf", uploaded_by=uploaded_by)
    document.file.save(f"sample-{next(_numbers):04d}.pdf", ContentFile(content), save=False)
    document.save(force_insert=True)
    return document


def at_noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))
