"""The demo practice has equipment at every location, serviced by the demo firms, with maintenance plans and
checklists by months, days and meter; one asset out of service and one retired; and the preventive work orders the
daily task opened (some overdue). It all went through the services (audited); seeding again adds nothing."""

from __future__ import annotations

from typing import Any

import pytest

from openpractice.accounts.demo import seed_people
from openpractice.audit.models import AuditEvent
from openpractice.core.demo import seed_practice
from openpractice.core.selectors import practice_today
from openpractice.facilities.choices import AssetStatus, IntervalUnit, WorkOrderSource
from openpractice.facilities.demo import seed_assets
from openpractice.facilities.models import Asset, AssetDocument, MaintenancePlan, WorkOrder
from openpractice.vendors.demo import seed_vendors

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (Asset, MaintenancePlan, WorkOrder, AuditEvent)}


def test_the_demo_has_equipment_plans_and_preventive_work_orders_made_through_the_services(
        settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "uploads"
    context: dict[str, Any] = {"report": []}
    for seed in (seed_practice, seed_people, seed_vendors, seed_assets):
        seed(context)
    today = practice_today()

    assets = list(Asset.objects.all())
    assert len(assets) >= 12
    assert {asset.location_id for asset in assets} == {location.pk for location in context["locations"].values()}
    assert {AssetStatus.OUT_OF_SERVICE, AssetStatus.RETIRED} < {asset.status for asset in assets}
    assert Asset.objects.filter(service_vendor__isnull=False).count() >= 6
    assert AuditEvent.objects.filter(action="facilities.asset_created").count() == len(assets)
    assert AssetDocument.objects.count() == 1
    plans = MaintenancePlan.objects.all()
    assert set(plans.values_list("interval_unit", flat=True)) == set(IntervalUnit.values)
    assert all(plan.checklist.exists() for plan in plans)
    preventive = WorkOrder.objects.filter(source=WorkOrderSource.PREVENTIVE)
    assert 4 <= preventive.count() <= 12
    assert preventive.filter(due_on__lt=today).exists()  # overdue, for the report
    assert all(order.checklist.exists() for order in preventive)
    assert not MaintenancePlan.objects.filter(is_active=True, next_due_on__lt=today).exists()

    before = _counts()
    seed_assets(context)
    assert _counts() == before
