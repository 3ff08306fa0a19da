"""Cleaning: schedules per location and room by a firm under its contract (facilities.manage there), inspections
that pass or fail each task, a failed task opening a work order (at once or later, once), pass rates per schedule
at a constant query count, and a schedule or inspection of another location: 404, audited, nothing changed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.facilities.choices import SafetyFrequency, WorkOrderSource
from openpractice.facilities.models import CleaningInspection, CleaningSchedule, WorkOrder
from openpractice.facilities.services import cleaning as services
from openpractice.vendors.choices import VendorKind
from openpractice.vendors.tests.factories_ui import make_contract, make_vendor

from .factories_safety import TASKS, client_for, denials, make_inspection, make_schedule, rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(make_user: Callable[..., User], north: Location) -> User:
    """Office manager (mid) at North: facilities.manage and vendors.view there."""
    return make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north], username="om-north")


def test_a_schedule_names_a_firm_with_its_own_contract_and_needs_facilities_manage(
        manager: User, make_user: Callable[..., User], north: Location) -> None:
    firm = make_vendor(name="Sparkle Commercial Cleaning", kind=VendorKind.CLEANING)
    other = make_vendor(name="BioMed Equipment Services", kind=VendorKind.MAINTENANCE)
    contract = make_contract(vendor=firm, title="Janitorial services")
    data: dict[str, Any] = {"location": north, "room": "Exam rooms", "vendor": other, "contract": contract,
                            "frequency": SafetyFrequency.DAILY, "weekdays": [4, 0, 2], "tasks": "\n  Mop\n\nDust \n"}
    with pytest.raises(ValidationError) as mismatch:
        services.cleaning_schedule_create(actor=manager, data=data)
    assert "contract" in mismatch.value.message_dict
    nurse = make_user(Role.CLINICAL_STAFF, locations=[north], username="nurse")
    before, refused = rows(), denials(nurse)
    with pytest.raises(PermissionDenied):
        services.cleaning_schedule_create(actor=nurse, data={**data, "vendor": firm})
    assert (rows(), denials(nurse)) == (before, refused + 1)

    schedule = services.cleaning_schedule_create(actor=manager, data={**data, "vendor": firm})

    assert (schedule.weekdays, schedule.task_lines(), schedule.contract) == ("0,2,4", ["Mop", "Dust"], contract)
    assert AuditEvent.objects.filter(action="facilities.cleaning_schedule_created", location_id=north.pk).exists()


def test_an_inspection_with_a_failed_task_opens_a_work_order_titled_by_the_task(
        manager: User, north: Location) -> None:
    schedule = make_schedule(location=north, room="Restrooms")
    results = [services.TaskResult(passed=True), services.TaskResult(passed=True),
               services.TaskResult(passed=False, note="No paper towels", work_order=True)]
    with pytest.raises(ValidationError) as short:
        services.cleaning_inspection_record(actor=manager, schedule=schedule, inspected_on=practice_today(),
                                            results=results[:2])
    assert short.value.code == "tasks_changed"

    inspection = services.cleaning_inspection_record(actor=manager, schedule=schedule,
                                                     inspected_on=practice_today(), results=results)

    assert [(item.text, item.passed) for item in inspection.items.all()] == [
        (TASKS[0], True), (TASKS[1], True), (TASKS[2], False)]
    order = WorkOrder.objects.get()
    assert (order.title, order.source, order.cleaning_inspection, order.room, order.location) == (
        TASKS[2], WorkOrderSource.CLEANING, inspection, "Restrooms", north)
    assert "No paper towels" in order.description
    with pytest.raises(ValidationError) as twice:
        services.cleaning_item_work_order(actor=manager, item=inspection.items.get(passed=False))
    assert twice.value.code == "already_open"


def test_the_inspection_form_lists_the_schedules_tasks_and_saves_each_result(
        manager: User, north: Location) -> None:
    schedule = make_schedule(location=north)
    client = client_for(manager)
    url = reverse("facilities:cleaninginspection_create")
    form = client.get(url, {"schedule": schedule.pk}).content.decode()
    assert all(task in form for task in TASKS)
    post = {"schedule": schedule.pk, "inspected_on": practice_today().isoformat(), "task_0": "pass",
            "task_1": "fail", "note_1": "Streaks on table 2", "task_2": "fail"}
    assert client.post(url, {**post, "task_0": ""}).status_code == 400

    response = client.post(url, post)

    inspection = CleaningInspection.objects.get()
    assert response["Location"] == reverse("facilities:cleaninginspection_detail", args=[inspection.pk])
    assert [item.passed for item in inspection.items.all()] == [True, False, False]
    assert not WorkOrder.objects.exists()
    failed = inspection.items.get(position=2)
    opened = client.post(reverse("facilities:cleaninginspection_workorder", args=[inspection.pk]),
                         {"item": failed.pk})
    assert opened.status_code == 302
    assert WorkOrder.objects.get().title == TASKS[2]
    detail = client.get(reverse("facilities:cleaninginspection_detail", args=[inspection.pk])).content.decode()
    assert WorkOrder.objects.get().number in detail
    assert client.post(reverse("facilities:cleaninginspection_workorder", args=[inspection.pk]),
                       {"item": failed.pk}).status_code == 400
    assert WorkOrder.objects.count() == 1


def test_the_schedule_list_shows_pass_rates_at_a_constant_query_count(manager: User, north: Location) -> None:
    client = client_for(manager)

    def queries() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("facilities:cleaningschedule_list"))
        assert response.status_code == 200
        return len(captured.captured_queries), response.content.decode()

    schedule = make_schedule(location=north, room="Lobby")
    make_inspection(schedule=schedule, inspector=manager, failed=(0,))
    queries()  # the first request of a session does a little more
    few, _html = queries()
    for number in range(6):
        other = make_schedule(location=north, room=f"Room {number}",
                              vendor=make_vendor(name=f"Firm {number}", kind=VendorKind.CLEANING))
        make_inspection(schedule=other, inspector=manager)
    many, html = queries()

    assert many == few
    assert "67 %" in html  # Lobby: two of three tasks passed
    assert html.count("100 %") == 6


def test_cleaning_of_another_location_is_not_found_and_changes_nothing(
        manager: User, south: Location, make_user: Callable[..., User]) -> None:
    schedule = make_schedule(location=south)
    inspection = make_inspection(schedule=schedule, inspector=manager, failed=(1,))
    client = client_for(manager)
    before, refused = rows(), denials(manager)

    answers = [
        client.get(reverse("facilities:cleaningschedule_detail", args=[schedule.pk])).status_code,
        client.post(reverse("facilities:cleaningschedule_edit", args=[schedule.pk]), {
            "location": south.pk, "frequency": "daily", "tasks": "Mop"}).status_code,
        client.get(reverse("facilities:cleaninginspection_create"), {"schedule": schedule.pk}).status_code,
        client.post(reverse("facilities:cleaninginspection_workorder", args=[inspection.pk]),
                    {"item": inspection.items.get(passed=False).pk}).status_code,
    ]

    assert answers == [404] * 4
    assert denials(manager) == refused + 4
    assert rows() == before
    assert CleaningSchedule.objects.get().tasks == "\n".join(TASKS)
