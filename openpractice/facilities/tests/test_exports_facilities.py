"""Every facilities list exports (?export=csv|xlsx) exactly the rows its page shows for the same filters, a person who
cannot open a list cannot export it (404, nothing recorded), and the big lists export in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.core.tests.export_cases import (
    Case,
    World,
    assert_export_refused,
    assert_exports_match_page,
    export_sizes_at_fixed_queries,
    table_rows,
)
from openpractice.facilities.choices import (
    AssetKind,
    Priority,
    SafetyFrequency,
    WorkOrderSource,
    WorkOrderStatus,
)

from .factories_assets import make_asset, make_plan, make_work_order
from .factories_safety import make_check, make_inspection, make_schedule
from .factories_work_orders import make_firm

pytestmark = pytest.mark.django_db


def _assets(w: World) -> Case:
    make_asset(location=w.north, tag="N-1", name="Vaccine fridge")
    make_asset(location=w.north, tag="N-2", name="Lab fridge", room="Lab")
    make_asset(location=w.north, tag="N-3", name="Autoclave", kind=AssetKind.AUTOCLAVE)
    make_asset(location=w.south, tag="S-1", name="South fridge")
    return Case(reverse("facilities:asset_list"), {"kind": AssetKind.REFRIGERATOR, "sort": "tag"}, table_rows,
                ("Tag", "Name", "Location", "Open work orders"),
                lambda asset: (asset.tag, asset.name, asset.location.name, str(asset.open_work_orders)),
                hidden=[("N-3",), ("S-1",)])


def _plans(w: World) -> Case:
    asset = make_asset(location=w.north, tag="N-9")
    make_plan(asset=asset, title="Calibrate", steps=("Check", "Adjust"))
    make_plan(asset=asset, title="Defrost", interval=3)
    make_plan(asset=asset, title="Old plan", is_active=False)
    return Case(reverse("facilities:plan_list"), {"sort": "title"}, table_rows, ("Plan", "Asset tag", "Every", "Steps"),
                lambda plan: (plan.title, plan.asset.tag, f"{plan.interval} {plan.get_interval_unit_display()}",
                              str(plan.steps)),
                hidden=[("Old plan",)])


def _work_orders(w: World) -> Case:
    asset = make_asset(location=w.north, tag="N-5")
    firm = make_firm("Cold Fix")
    make_work_order(asset=asset, title="Warm fridge", priority=Priority.URGENT, vendor=firm)
    make_work_order(asset=asset, title="Door seal", assigned_to=w.user)
    make_work_order(asset=asset, title="Fixed already", status=WorkOrderStatus.DONE)
    return Case(reverse("facilities:workorder_list"), {"sort": "title"}, table_rows,
                ("Number", "Problem", "Assigned to", "Status"),
                lambda wo: (wo.number, wo.title, wo.vendor.name if wo.vendor else wo.assigned_to.display_name,
                            wo.get_status_display()),
                hidden=[("Fixed already",)])


def _my_reports(w: World) -> Case:
    nurse = w.make_user(Role.CLINICAL_STAFF, locations=[w.north])
    asset = make_asset(location=w.north)
    make_work_order(asset=asset, title="Leaking tap", reported_by=nurse)
    make_work_order(asset=asset, title="Broken chair", reported_by=nurse, status=WorkOrderStatus.DONE)
    make_work_order(asset=asset, title="Someone else's", reported_by=w.user)
    return Case(reverse("facilities:workorder_mine"), {"sort": "title"}, table_rows, ("Number", "Problem", "Status"),
                lambda wo: (wo.number, wo.title, wo.get_status_display()), hidden=[("Someone else's",)], user=nurse)


def _overdue(w: World) -> Case:
    today = practice_today()
    asset = make_asset(location=w.north, tag="N-7", name="Autoclave")
    make_work_order(asset=asset, title="Spore test", source=WorkOrderSource.PREVENTIVE,
                    due_on=today - dt.timedelta(days=4))
    make_work_order(asset=asset, title="Not yet", source=WorkOrderSource.PREVENTIVE,
                    due_on=today + dt.timedelta(days=4))
    make_plan(asset=asset, title="Yearly service", next_due_on=today - dt.timedelta(days=2))

    def rows(context: Any) -> list[Any]:
        return [*context["work_orders"], *context["plans"]]

    return Case(reverse("facilities:maintenance_overdue"), {}, rows, ("Title", "Asset tag", "Days late"),
                lambda row: (row.title, row.asset.tag, str(row.days_late)), hidden=[("Not yet",)])


def _schedules(w: World) -> Case:
    make_schedule(location=w.north, room="Lobby")
    make_schedule(location=w.north, room="Exam 1", vendor=make_firm("Sparkle Cleaning"))
    make_schedule(location=w.north, room="Old wing", is_active=False)
    return Case(reverse("facilities:cleaningschedule_list"), {"active": "yes"}, lambda context: context["schedules"],
                ("Location", "Room or area", "Cleaned by"),
                lambda schedule: (schedule.location.name, schedule.room,
                                  schedule.vendor.name if schedule.vendor else "Staff"),
                hidden=[("North Clinic", "Old wing")])


def _inspections(w: World) -> Case:
    lobby, exam = make_schedule(location=w.north, room="Lobby"), make_schedule(location=w.north, room="Exam 2")
    today = practice_today()
    make_inspection(schedule=lobby, inspector=w.user, inspected_on=today)
    make_inspection(schedule=lobby, inspector=w.user, failed=(1,), inspected_on=today - dt.timedelta(days=1))
    make_inspection(schedule=exam, inspector=w.user, inspected_on=today)
    return Case(reverse("facilities:cleaninginspection_list"), {"schedule": str(lobby.pk)}, table_rows,
                ("Date", "Room or area", "Tasks passed", "Tasks inspected"),
                lambda row: (row.inspected_on.isoformat(), row.schedule.room, str(row.items_passed),
                             str(row.items_total)))


def _checkpoints(w: World) -> Case:
    make_check(location=w.north, name="Eyewash station")
    make_check(location=w.north, name="Fire extinguisher", frequency=SafetyFrequency.WEEKLY)
    make_check(location=w.south, name="South eyewash")
    return Case(reverse("facilities:checkpoint_list"), {"location": str(w.north.pk)},
                lambda context: context["checkpoints"], ("Location", "Checkpoint", "How often"),
                lambda cp: (cp.location.name, cp.name, cp.get_frequency_display()),
                hidden=[("South Clinic", "South eyewash")])


def _missing(w: World) -> Case:
    make_check(location=w.north, name="Fire extinguisher", frequency=SafetyFrequency.WEEKLY, started_days_ago=40)
    make_check(location=w.south, name="South extinguisher", frequency=SafetyFrequency.WEEKLY, started_days_ago=40)
    today = practice_today()
    return Case(reverse("facilities:safetylog_missing"),
                {"location": str(w.north.pk), "since": (today - dt.timedelta(days=28)).isoformat(),
                 "until": (today - dt.timedelta(days=1)).isoformat()},
                lambda context: context["slots"], ("Location", "Checkpoint", "Missing", "Date"),
                lambda slot: (slot.checkpoint.location.name, slot.checkpoint.name, slot.label,
                              slot.log_date.isoformat()),
                hidden=[("South Clinic",)])


def _downtime(w: World) -> Case:
    for tag, location in (("N-DOWN-1", w.north), ("N-DOWN-2", w.north), ("S-DOWN", w.south)):
        make_work_order(asset=make_asset(location=location, tag=tag), asset_down=True)
    make_work_order(asset=make_asset(location=w.north, tag="N-UP"))
    return Case(reverse("facilities:downtime_report"), {"location": str(w.north.pk)}, lambda context: context["rows"],
                ("Tag", "Location", "Times reported down", "Still down"),
                lambda row: (row.asset.tag, row.asset.location.name, str(row.work_orders), str(row.still_down)),
                hidden=[("N-UP",), ("S-DOWN",)])


def _response_times(w: World) -> Case:
    now = timezone.now()
    for name, location in (("Alpha Biomed", w.north), ("Beta Repairs", w.north), ("South Fixers", w.south)):
        make_work_order(asset=make_asset(location=location), vendor=make_firm(name),
                        dispatched_at=now - dt.timedelta(hours=5), responded_at=now - dt.timedelta(hours=2))
    return Case(reverse("facilities:vendorresponse_report"), {}, lambda context: context["rows"],
                ("Firm", "Sent", "Answered", "Responded in time %"),
                lambda row: (row.vendor, str(row.dispatched), str(row.responded), str(row.response_on_time_rate)),
                hidden=[("South Fixers",)])


CASES: dict[str, Callable[[World], Case]] = {
    "assets": _assets, "maintenance plans": _plans, "work orders": _work_orders, "my problem reports": _my_reports,
    "overdue maintenance": _overdue, "cleaning schedules": _schedules, "cleaning inspections": _inspections,
    "safety checkpoints": _checkpoints, "missing safety entries": _missing, "downtime": _downtime,
    "firm response times": _response_times,
}


@pytest.fixture
def world(make_user: Callable[..., User], north: Location, south: Location) -> World:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY, locations=[north], username="facilities")
    return World(user=manager, north=north, south=south, make_user=make_user)


@pytest.mark.parametrize("name", list(CASES))
def test_each_list_exports_exactly_the_rows_its_page_shows_as_csv_and_xlsx(
        name: str, world: World, signed_in: Callable[[User], Client]) -> None:
    assert_exports_match_page(CASES[name](world), world, signed_in)


@pytest.mark.parametrize("name", [name for name in CASES if name != "my problem reports"])
def test_a_role_that_cannot_open_a_list_cannot_export_it(
        name: str, world: World, signed_in: Callable[[User], Client]) -> None:
    case = CASES[name](world)
    outsider = world.make_user(Role.FRONT_DESK)
    assert_export_refused(case, outsider, signed_in)


def _grow_assets(w: World, count: int) -> None:
    for _ in range(count):
        asset = make_asset(location=w.north, service_vendor=make_firm())
        make_plan(asset=asset)
        make_work_order(asset=asset)


def _grow_work_orders(w: World, count: int) -> None:
    for _ in range(count):
        make_work_order(asset=make_asset(location=w.north), vendor=make_firm(), reported_by=w.user)


@pytest.mark.parametrize(("url_name", "grow"), [
    ("facilities:asset_list", _grow_assets), ("facilities:plan_list", _grow_assets),
    ("facilities:workorder_list", _grow_work_orders),
])
def test_the_export_query_count_does_not_grow_with_rows(
        url_name: str, grow: Callable[[World, int], None], world: World,
        signed_in: Callable[[User], Client]) -> None:
    client = signed_in(world.user)
    assert export_sizes_at_fixed_queries(client, reverse(url_name), lambda count: grow(world, count)) == (2, 7)
