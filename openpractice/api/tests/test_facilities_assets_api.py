"""/assets and /maintenance-plans: facilities.view reads the equipment and plans at its locations; facilities.manage
there adds and changes them through the services (audited; status and meter too, all or nothing). An asset or plan
elsewhere answers 404, audited, and nothing changes; bad input is a 422 naming the field; lists cost the same
queries whatever the rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core.models import Location
from openpractice.facilities.choices import AssetStatus, IntervalUnit
from openpractice.facilities.models import Asset, MaintenancePlan, PlanChecklistItem
from openpractice.facilities.tests.factories_assets import make_asset, make_plan
from openpractice.vendors.tests.factories_ui import make_vendor

from .conftest import API
from .supply_support import Api, errors_on, ids

pytestmark = pytest.mark.django_db

ASSETS = f"{API}/assets"
PLANS = f"{API}/maintenance-plans"


@pytest.fixture
def viewer(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.CLINICAL_STAFF, locations=[north], username="nurse")


@pytest.fixture
def manager(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north], username="om-mid")


def denials(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def table_rows() -> list[list[Any]]:
    return [list(model.objects.order_by("pk").values_list()) for model in (Asset, MaintenancePlan,
                                                                             PlanChecklistItem)]


def test_the_asset_list_shows_the_callers_locations_filtered_and_costs_the_same_queries(
        viewer: User, north: Location, south: Location, api_as: Api) -> None:
    fridge = make_asset(location=north, tag="A-0001", name="Vaccine refrigerator", serial_number="HS-77")
    autoclave = make_asset(location=north, tag="A-0002", name="Autoclave", kind="autoclave",
                           service_vendor=make_vendor(name="BioMed"))
    make_asset(location=south, tag="S-0001")
    client = api_as(viewer)

    assert ids(client.get(ASSETS)) == [autoclave.pk, fridge.pk]
    assert ids(client.get(ASSETS, {"kind": "autoclave"})) == [autoclave.pk]
    assert ids(client.get(ASSETS, {"q": "hs-77"})) == [fridge.pk]
    assert ids(client.get(ASSETS, {"location_id": south.pk})) == []
    body = client.get(f"{ASSETS}/{autoclave.pk}").json()
    assert (body["tag"], body["service_vendor"]["name"], body["status"]) == ("A-0002", "BioMed", "in_service")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(ASSETS).status_code == 200
        return len(captured.captured_queries)

    few = queries()
    for _ in range(12):
        make_asset(location=north, service_vendor=make_vendor())
    assert queries() == few


def test_a_manager_adds_and_changes_an_asset_with_its_status_and_meter_in_one_call(
        manager: User, north: Location, api_as: Api) -> None:
    client = api_as(manager)

    created = client.post(ASSETS, {"tag": "a-0003", "name": "Autoclave", "kind": "autoclave",
                                   "location_id": north.pk, "meter_unit": "cycles", "purchase_cost": "7995.00"})
    assert created.status_code == 201, created.content
    asset_id = created.json()["id"]
    assert created.json()["tag"] == "A-0003"

    changed = client.patch(f"{ASSETS}/{asset_id}", {"room": "Sterilization", "meter_reading": 120,
                                                    "status": "out_of_service", "status_reason": "Door latch"})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["room"], changed.json()["meter_reading"], changed.json()["status"]) == (
        "Sterilization", 120, "out_of_service")
    assert AuditEvent.objects.filter(object_id=str(asset_id), action__startswith="facilities.asset_").count() == 4

    duplicate = client.post(ASSETS, {"tag": "A-0003", "name": "Another", "kind": "other", "location_id": north.pk})
    assert errors_on(duplicate) >= {"tag"}
    backwards = client.patch(f"{ASSETS}/{asset_id}", {"room": "Lab", "meter_reading": 3})
    assert errors_on(backwards) >= {"meter_reading"}
    assert Asset.objects.get(pk=asset_id).room == "Sterilization"  # all or nothing


def test_assets_elsewhere_and_changes_without_manage_are_404_audited_and_change_nothing(
        manager: User, viewer: User, north: Location, south: Location, api_as: Api) -> None:
    mine = make_asset(location=north, tag="A-0001")
    theirs = make_asset(location=south, tag="S-0001")
    before = table_rows()

    assert api_as(manager).get(f"{ASSETS}/{theirs.pk}").status_code == 404
    assert api_as(manager).patch(f"{ASSETS}/{theirs.pk}", {"room": "X"}).status_code == 404
    assert api_as(manager).post(ASSETS, {"tag": "S-0002", "name": "Fridge", "kind": "refrigerator",
                                         "location_id": south.pk}).status_code == 404
    assert api_as(manager).patch(f"{ASSETS}/{mine.pk}", {"location_id": south.pk}).status_code == 404
    assert api_as(viewer).patch(f"{ASSETS}/{mine.pk}", {"status": AssetStatus.RETIRED}).status_code == 404

    assert (denials(manager), denials(viewer)) == (4, 1)
    assert table_rows() == before


def test_a_manager_sets_up_and_changes_a_plan_with_its_checklist(manager: User, viewer: User, north: Location,
                                                                 api_as: Api) -> None:
    fridge = make_asset(location=north, tag="A-0001")
    biomed = make_vendor(name="BioMed Equipment Services", kind="maintenance")
    client = api_as(manager)

    created = client.post(PLANS, {"asset_id": fridge.pk, "title": "Yearly calibration", "interval": 12,
                                  "interval_unit": "months", "next_due_on": "2026-03-31", "lead_days": 14,
                                  "vendor_id": biomed.pk, "checklist": ["Clean the coil", "Check the logger"]})
    assert created.status_code == 201, created.content
    plan_id = created.json()["id"]
    assert created.json()["checklist"] == ["Clean the coil", "Check the logger"]
    assert created.json()["vendor"]["name"] == "BioMed Equipment Services"

    changed = client.patch(f"{PLANS}/{plan_id}", {"vendor_id": None, "assignee_id": viewer.pk,
                                                  "checklist": ["Clean the coil"]})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["vendor"], changed.json()["assignee_id"], changed.json()["checklist"]) == (
        None, viewer.pk, ["Clean the coil"])
    listed = api_as(viewer).get(PLANS, {"due_before": "2026-04-01", "asset_id": fridge.pk})
    assert ids(listed) == [plan_id]

    by_meter = client.post(PLANS, {"asset_id": fridge.pk, "title": "By cycles", "interval": 500,
                                   "interval_unit": IntervalUnit.METER})
    assert errors_on(by_meter) >= {"next_due_meter"}
    both = client.patch(f"{PLANS}/{plan_id}", {"vendor_id": biomed.pk})
    assert errors_on(both) >= {"vendor"}


def test_plans_elsewhere_are_not_found_and_a_viewer_cannot_add_one(manager: User, viewer: User, north: Location,
                                                                   south: Location, api_as: Api) -> None:
    fridge = make_asset(location=north, tag="A-0001")
    theirs = make_plan(asset=make_asset(location=south, tag="S-0001"), next_due_on=dt.date(2026, 3, 31))
    before = table_rows()

    assert api_as(manager).get(f"{PLANS}/{theirs.pk}").status_code == 404
    assert api_as(manager).patch(f"{PLANS}/{theirs.pk}", {"lead_days": 3}).status_code == 404
    refused = api_as(viewer).post(PLANS, {"asset_id": fridge.pk, "title": "Service", "interval": 1,
                                          "interval_unit": "months", "next_due_on": "2026-03-31"})
    assert refused.status_code == 404
    unknown = api_as(manager).post(PLANS, {"asset_id": theirs.asset_id, "title": "Service", "interval": 1,
                                           "interval_unit": "months", "next_due_on": "2026-03-31"})
    assert errors_on(unknown) >= {"asset_id"}  # the same answer as an asset that does not exist

    assert (denials(manager), denials(viewer)) == (2, 1)
    assert table_rows() == before
