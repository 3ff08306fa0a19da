"""/work-orders: facilities.view lists and reads the work orders at its locations (filters from an allowlist,
constant queries); anyone signed in reports a problem where they work; facilities.manage triages and assigns, the
assignee moves the status on. Elsewhere is 404 (audited); refusals change nothing; bad input is a 422."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.core.models import Location
from openpractice.facilities.choices import Priority, WorkOrderStatus
from openpractice.facilities.models import WorkOrder
from openpractice.facilities.services import work_orders as services
from openpractice.facilities.tests import factories_work_orders as fx
from openpractice.facilities.tests.factories_work_orders import denials, make_asset, reported, snapshot
from openpractice.vendors.models import Vendor

from .conftest import API
from .supply_support import Api, errors_on, ids

pytestmark = pytest.mark.django_db

# Fixtures shared with the other work order tests.
desk, firm, manager, media, nurse, south_manager, work_order = fx.desk, fx.firm, fx.manager, fx.media, fx.nurse, fx.south_manager, fx.work_order
WORK_ORDERS = f"{API}/work-orders"


def test_the_list_shows_the_callers_locations_with_allowlisted_filters_in_constant_queries(
        nurse: User, manager: User, south_manager: User, north: Location, south: Location, media: Path,
        api_as: Api) -> None:
    warm = reported(nurse, north, title="Fridge warm", asset=make_asset(north))
    door = reported(nurse, north, title="Door sticks")
    services.work_order_triage(actor=manager, work_order=door, priority=Priority.LOW)
    reported(south_manager, south, title="South roof")
    WorkOrder.objects.filter(pk=warm.pk).update(resolve_by=timezone.now() - dt.timedelta(minutes=5))
    client = api_as(nurse)

    assert ids(client.get(WORK_ORDERS)) == [door.pk, warm.pk]
    assert ids(client.get(WORK_ORDERS, {"priority": "low"})) == [door.pk]
    assert ids(client.get(WORK_ORDERS, {"overdue": "true"})) == [warm.pk]
    assert client.get(WORK_ORDERS, {"overdue": "true"}).json()["items"][0]["overdue"] is True
    assert ids(client.get(WORK_ORDERS, {"q": "door"})) == [door.pk]
    assert errors_on(client.get(WORK_ORDERS, {"status": "broken"})) >= {"status"}
    assert errors_on(client.get(WORK_ORDERS, {"order_by": "x", "limit": 500})) >= {"limit"}
    with CaptureQueriesContext(connection) as few:
        client.get(WORK_ORDERS)
    for number in range(8):
        reported(nurse, north, title=f"More {number}", asset=make_asset(north))
    with CaptureQueriesContext(connection) as many:
        assert len(ids(client.get(WORK_ORDERS))) == 10
    assert len(many.captured_queries) == len(few.captured_queries)


def test_anyone_reports_a_problem_where_they_work_and_nowhere_else(
        desk: User, north: Location, south: Location, media: Path, api_as: Api) -> None:
    client = api_as(desk)
    fridge = make_asset(north)

    created = client.post(WORK_ORDERS, {"location_id": north.pk, "title": "Fridge alarm", "asset_id": fridge.pk,
                                        "asset_down": True})
    elsewhere = client.post(WORK_ORDERS, {"location_id": south.pk, "title": "Not mine"})
    wrong_asset = client.post(WORK_ORDERS, {"location_id": north.pk, "title": "x",
                                            "asset_id": make_asset(south).pk})

    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["priority"], body["status"], body["asset"]["id"], body["room"]) == ("high", "new", fridge.pk, "Lab")
    assert errors_on(elsewhere) >= {"location_id"}
    assert errors_on(wrong_asset) >= {"asset_id"}
    assert WorkOrder.objects.count() == 1
    # Front desk holds no facilities.view: reading it back is not theirs.
    assert client.get(f"{WORK_ORDERS}/{body['id']}").status_code == 404


def test_the_manager_triages_and_assigns_and_the_assignee_moves_it_on(
        manager: User, nurse: User, work_order: WorkOrder, firm: Vendor, api_as: Api) -> None:
    url = f"{WORK_ORDERS}/{work_order.pk}"

    triaged = api_as(manager).patch(url, {"priority": "urgent", "assigned_to_id": nurse.pk})
    assert triaged.status_code == 200, triaged.content
    assert (triaged.json()["priority"], triaged.json()["assigned_to_id"]) == ("urgent", nurse.pk)
    moved = api_as(nurse).patch(url, {"status": "in_progress", "note": "Looking at it"})
    assert moved.status_code == 200, moved.content
    body = moved.json()
    assert body["status"] == "in_progress"
    assert body["responded_at"] is not None
    assert [event["kind"] for event in body["events"]][-1] == "status"
    handed = api_as(manager).patch(url, {"vendor_id": firm.pk})
    assert (handed.json()["vendor"]["id"], handed.json()["assigned_to_id"]) == (firm.pk, None)


def test_refusals_are_404_audited_and_change_nothing_and_bad_moves_are_422(
        manager: User, nurse: User, south_manager: User, work_order: WorkOrder, api_as: Api) -> None:
    url = f"{WORK_ORDERS}/{work_order.pk}"
    before = snapshot()

    assert api_as(nurse).patch(url, {"priority": "urgent"}).status_code == 404  # sees it, may not triage
    assert api_as(south_manager).get(url).status_code == 404  # elsewhere
    assert api_as(south_manager).patch(url, {"status": "cancelled"}).status_code == 404
    wrong = api_as(manager).patch(url, {"status": WorkOrderStatus.DONE})
    null = api_as(manager).patch(url, {"priority": None})

    assert errors_on(wrong) >= {"status"}
    assert errors_on(null) >= {"priority"}
    assert snapshot() == before
    assert denials(nurse) == 1
    assert denials(south_manager) == 2
