"""Preventive maintenance: plans repeat by days, calendar months (clamped to the month's end) or meter; the daily
task opens ONE work order per plan and due date, lead days ahead, with the plan's checklist and assignee, and moves
the plan on; run twice the same day it opens nothing more. The clock is frozen by passing `today`. Plans change
only at the actor's locations (refusals audited, nothing changed)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import user_with_role
from openpractice.audit.models import AuditEvent
from openpractice.core.selectors import practice_today
from openpractice.facilities.choices import AssetStatus, IntervalUnit, Priority, WorkOrderSource, WorkOrderStatus
from openpractice.facilities.models import MaintenancePlan, WorkOrder
from openpractice.facilities.services import plans as services
from openpractice.facilities.services.plans import add_months, plans_open_due_work_orders
from openpractice.facilities.tasks import open_preventive_work_orders
from openpractice.vendors.tests.factories_ui import make_vendor

from .factories_assets import make_asset, make_plan, make_work_order
from .support_assets import denials, event, rows

pytestmark = pytest.mark.django_db

MARCH_31 = dt.date(2026, 3, 31)


@pytest.fixture
def manager(north: Any) -> Any:
    return user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[north], username="om-north")


@pytest.fixture
def fridge(north: Any) -> Any:
    return make_asset(location=north, tag="A-0001", room="Lab")


@pytest.mark.parametrize(("day", "months", "expected"), [
    (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
    (dt.date(2028, 1, 31), 1, dt.date(2028, 2, 29)),  # leap year
    (dt.date(2026, 3, 31), 6, dt.date(2026, 9, 30)),
    (dt.date(2026, 11, 15), 3, dt.date(2027, 2, 15)),
    (dt.date(2026, 5, 31), 12, dt.date(2027, 5, 31)),
])
def test_months_are_calendar_months_clamped_to_the_end_of_a_shorter_month(
        day: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(day, months) == expected


def test_a_plan_opens_one_work_order_lead_days_ahead_with_its_checklist_and_firm_and_moves_on(fridge: Any) -> None:
    biomed = make_vendor(name="BioMed Equipment Services", kind="maintenance")
    plan = make_plan(asset=fridge, title="Yearly calibration", next_due_on=MARCH_31, lead_days=14,
                     priority=Priority.HIGH, vendor=biomed, steps=("Clean the coil", "Check the logger"))

    assert plans_open_due_work_orders(today=dt.date(2026, 3, 16)) == []  # 15 days ahead: not yet
    opened = plans_open_due_work_orders(today=dt.date(2026, 3, 17))

    assert len(opened) == 1
    work_order = WorkOrder.objects.get()
    assert (work_order.plan, work_order.due_on, work_order.source) == (plan, MARCH_31, WorkOrderSource.PREVENTIVE)
    assert (work_order.asset, work_order.location_id, work_order.room) == (fridge, fridge.location_id, "Lab")
    assert (work_order.priority, work_order.vendor, work_order.assigned_to) == (Priority.HIGH, biomed, None)
    assert work_order.reported_by is None
    assert work_order.status == WorkOrderStatus.NEW
    assert list(work_order.checklist.values_list("position", "text", "done")) == [
        (1, "Clean the coil", False), (2, "Check the logger", False)]
    assert list(work_order.events.values_list("kind", flat=True)) == ["created", "assigned"]
    plan.refresh_from_db()
    assert plan.next_due_on == dt.date(2027, 3, 31)
    assert event("facilities.plan_advanced", object_id=str(plan.pk)).changed_fields == "next_due_on"


def test_running_the_task_twice_the_same_day_opens_nothing_more(fridge: Any, north: Any) -> None:
    make_plan(asset=fridge, interval=30, unit=IntervalUnit.DAYS, next_due_on=dt.date(2026, 4, 10), lead_days=14)
    heater = make_asset(location=north, tag="A-0002", name="Rooftop HVAC")
    make_plan(asset=heater, interval=90, unit=IntervalUnit.DAYS, next_due_on=dt.date(2026, 4, 1), lead_days=7)
    today = dt.date(2026, 3, 30)

    assert len(plans_open_due_work_orders(today=today)) == 2
    plans_before, orders_before = rows([MaintenancePlan]), rows([WorkOrder])

    assert plans_open_due_work_orders(today=today) == []
    assert (rows([MaintenancePlan]), rows([WorkOrder])) == (plans_before, orders_before)
    assert list(WorkOrder.objects.order_by("due_on").values_list("due_on", flat=True)) == [
        dt.date(2026, 4, 1), dt.date(2026, 4, 10)]


def test_the_daily_task_runs_the_service_for_the_practices_today(fridge: Any) -> None:
    plan = make_plan(asset=fridge, interval=1, unit=IntervalUnit.MONTHS, next_due_on=practice_today(), lead_days=0)

    assert open_preventive_work_orders.call_local() == 1
    assert open_preventive_work_orders.call_local() == 0
    assert WorkOrder.objects.get().due_on == practice_today()
    plan.refresh_from_db()
    assert plan.next_due_on == add_months(practice_today(), 1)


def test_a_month_end_plan_moves_to_the_end_of_the_shorter_month(fridge: Any) -> None:
    plan = make_plan(asset=fridge, interval=1, unit=IntervalUnit.MONTHS, next_due_on=dt.date(2026, 1, 31),
                     lead_days=0)

    plans_open_due_work_orders(today=dt.date(2026, 1, 31))

    plan.refresh_from_db()
    assert plan.next_due_on == dt.date(2026, 2, 28)


def test_occurrences_missed_while_the_task_did_not_run_fold_into_one_work_order(fridge: Any) -> None:
    plan = make_plan(asset=fridge, interval=7, unit=IntervalUnit.DAYS, next_due_on=dt.date(2026, 3, 1), lead_days=2)

    plans_open_due_work_orders(today=dt.date(2026, 3, 25))

    assert list(WorkOrder.objects.values_list("due_on", flat=True)) == [dt.date(2026, 3, 1)]
    plan.refresh_from_db()
    assert plan.next_due_on == dt.date(2026, 3, 29)  # the first occurrence not before today


def test_a_plan_by_meter_opens_when_the_meter_reaches_the_reading_and_moves_past_it(north: Any) -> None:
    autoclave = make_asset(location=north, tag="A-0003", name="Autoclave", kind="autoclave", meter_unit="cycles",
                           meter_reading=1490)
    plan = make_plan(asset=autoclave, interval=500, unit=IntervalUnit.METER, next_due_meter=1500,
                     steps=("Replace the gasket",))
    today = dt.date(2026, 3, 30)

    assert plans_open_due_work_orders(today=today) == []
    autoclave.meter_reading = 2020  # a busy month: past the next due reading too
    autoclave.save(update_fields=["meter_reading"])
    opened = plans_open_due_work_orders(today=today)

    assert [(work_order.due_on, work_order.checklist.count()) for work_order in opened] == [(today, 1)]
    plan.refresh_from_db()
    assert plan.next_due_meter == 2500
    assert plans_open_due_work_orders(today=today) == []


def test_stopped_plans_and_retired_assets_open_nothing(fridge: Any, north: Any) -> None:
    make_plan(asset=fridge, next_due_on=dt.date(2026, 3, 1), is_active=False)
    old = make_asset(location=north, tag="A-0009", status=AssetStatus.RETIRED)
    make_plan(asset=old, next_due_on=dt.date(2026, 3, 1))

    assert plans_open_due_work_orders(today=dt.date(2026, 3, 30)) == []
    assert not WorkOrder.objects.exists()


def test_a_work_order_already_open_for_the_due_date_is_not_opened_twice(fridge: Any) -> None:
    plan = make_plan(asset=fridge, next_due_on=MARCH_31, lead_days=14)
    make_work_order(asset=fridge, plan=plan, due_on=MARCH_31, source=WorkOrderSource.PREVENTIVE)

    assert plans_open_due_work_orders(today=dt.date(2026, 3, 20)) == []

    assert WorkOrder.objects.count() == 1
    plan.refresh_from_db()
    assert plan.next_due_on == dt.date(2027, 3, 31)


def test_a_manager_sets_up_a_plan_with_its_checklist_and_the_change_is_audited(manager: Any, fridge: Any) -> None:
    plan = services.plan_create(actor=manager, asset=fridge, checklist=["  Clean the coil ", "", "Check the logger"],
                                data={"title": "Yearly calibration", "interval": 12,
                                      "interval_unit": IntervalUnit.MONTHS, "next_due_on": MARCH_31,
                                      "lead_days": 14, "assignee": manager})

    assert list(plan.checklist.values_list("text", flat=True)) == ["Clean the coil", "Check the logger"]
    created = event("facilities.plan_created", object_id=str(plan.pk))
    assert created.location_id == fridge.location_id
    assert "checklist" in created.changed_fields

    services.plan_update(actor=manager, plan=plan, data={"lead_days": 30, "title": "Yearly calibration"},
                         checklist=["Clean the coil"])
    assert event("facilities.plan_updated", object_id=str(plan.pk)).changed_fields == "checklist,lead_days"


@pytest.mark.parametrize(("changes", "field"), [
    ({"interval_unit": IntervalUnit.METER, "next_due_on": None}, "next_due_meter"),
    ({"next_due_on": None}, "next_due_on"),
    ({"lead_days": 400}, "lead_days"),
    ({"interval": 0}, "interval"),
])
def test_a_plan_that_breaks_a_rule_is_refused_in_plain_words(manager: Any, fridge: Any, changes: dict[str, Any],
                                                             field: str) -> None:
    data = {"title": "Service", "interval": 12, "interval_unit": IntervalUnit.MONTHS, "next_due_on": MARCH_31,
            **changes}
    with pytest.raises(ValidationError) as raised:
        services.plan_create(actor=manager, asset=fridge, data=data)
    assert field in raised.value.message_dict
    assert not MaintenancePlan.objects.exists()


def test_a_plan_names_a_person_who_works_there_or_a_firm_never_both(manager: Any, fridge: Any, south: Any) -> None:
    elsewhere = user_with_role(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[south])
    data = {"title": "Service", "interval": 12, "interval_unit": IntervalUnit.MONTHS, "next_due_on": MARCH_31}

    with pytest.raises(ValidationError) as raised:
        services.plan_create(actor=manager, asset=fridge, data={**data, "assignee": elsewhere})
    assert "assignee" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        services.plan_create(actor=manager, asset=fridge,
                             data={**data, "assignee": manager, "vendor": make_vendor(kind="maintenance")})
    assert "vendor" in raised.value.message_dict
    assert not MaintenancePlan.objects.exists()


def test_a_manager_elsewhere_cannot_add_or_change_a_plan_and_nothing_changes(fridge: Any, south: Any) -> None:
    plan = make_plan(asset=fridge, steps=("Clean the coil",))
    other = user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[south])
    viewer = user_with_role(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[fridge.location])
    before, events = rows(), AuditEvent.objects.count()

    for actor in (other, viewer):
        with pytest.raises(PermissionDenied):
            services.plan_update(actor=actor, plan=plan, data={"lead_days": 1}, checklist=[])
        with pytest.raises(PermissionDenied):
            services.plan_create(actor=actor, asset=fridge, data={"title": "x", "interval": 1,
                                                                  "interval_unit": IntervalUnit.DAYS,
                                                                  "next_due_on": MARCH_31})
        assert denials(actor) == 2

    assert rows() == before
    assert AuditEvent.objects.count() == events + 4


def test_a_plan_whose_person_no_longer_works_there_opens_an_unassigned_work_order(fridge: Any) -> None:
    gone = user_with_role(Role.CLINICAL_STAFF, locations=[fridge.location], is_active=False)
    make_plan(asset=fridge, next_due_on=MARCH_31, lead_days=14, assignee=gone)

    [work_order] = plans_open_due_work_orders(today=MARCH_31)

    assert (work_order.assigned_to, work_order.vendor) == (None, None)
    assert list(work_order.events.values_list("kind", flat=True)) == ["created"]
