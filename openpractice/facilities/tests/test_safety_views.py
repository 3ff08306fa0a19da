"""Safety-log pages: logging from the daily round, an out-of-range reading flagged on the pages until its corrective
action, corrections, the missing entries, the inspection-ready report (HTML with a query count that does not grow
with the entries, and a PDF), and objects of another location: 404, audited, nothing changed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.facilities.choices import SafetyCheckKind, WorkOrderSource
from openpractice.facilities.models import SafetyCheckpoint, SafetyLogEntry, WorkOrder

from .factories_safety import client_for, denials, make_check, make_entry, make_fridge, rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def nurse(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.CLINICAL_STAFF, locations=[north], username="nurse")


@pytest.fixture
def fridge(north: Location) -> SafetyCheckpoint:
    return make_fridge(location=north, name="Vaccine refrigerator")


def test_a_reading_logged_from_the_round_returns_to_the_round(nurse: User, fridge: SafetyCheckpoint) -> None:
    client = client_for(nurse)
    response = client.post(reverse("facilities:safetylog_record", args=[fridge.pk]), {
        "from": "today", "log_date": practice_today().isoformat(), "slot": "am", "value": "39.4"})

    assert response.status_code == 302
    assert response["Location"] == reverse("facilities:safetylog_today") + f"?location={fridge.location_id}"
    entry = SafetyLogEntry.objects.get()
    assert (entry.value, entry.passed, entry.recorded_by) == (Decimal("39.4"), True, nurse)
    again = client.post(reverse("facilities:safetylog_record", args=[fridge.pk]), {
        "log_date": practice_today().isoformat(), "slot": "am", "value": "39.0"})
    assert again.status_code == 400
    assert "already logged" in again.content.decode()
    assert SafetyLogEntry.objects.count() == 1


def test_an_out_of_range_reading_is_flagged_on_every_safety_page_until_its_corrective_action(
        nurse: User, fridge: SafetyCheckpoint) -> None:
    client = client_for(nurse)
    response = client.post(reverse("facilities:safetylog_record", args=[fridge.pk]), {
        "log_date": practice_today().isoformat(), "slot": "pm", "value": "47.0"})
    entry = SafetyLogEntry.objects.get()
    assert response["Location"] == reverse("facilities:safetylog_detail", args=[entry.pk])
    pages = [reverse(name) for name in ("facilities:safetylog_today", "facilities:checkpoint_list",
                                        "facilities:safetylog_missing", "facilities:safetylog_report")]
    pages.append(reverse("facilities:checkpoint_detail", args=[fridge.pk]))
    for page in pages:
        assert "data-safety-alerts" in client.get(page).content.decode(), page

    blank = client.post(reverse("facilities:safetylog_action", args=[entry.pk]), {"corrective_action": ""})
    assert blank.status_code == 400
    done = client.post(reverse("facilities:safetylog_action", args=[entry.pk]),
                       {"corrective_action": "Door closed, re-check 41 °F at 4:45 pm"})

    assert done.status_code == 302
    for page in pages:
        assert "data-safety-alerts" not in client.get(page).content.decode(), page


def test_a_correction_from_its_page_supersedes_the_entry_and_a_work_order_can_be_opened(
        nurse: User, fridge: SafetyCheckpoint) -> None:
    entry = make_entry(checkpoint=fridge, log_date=practice_today(), recorded_by=nurse, value="55.0", passed=False)
    client = client_for(nurse)
    assert client.post(reverse("facilities:safetylog_correct", args=[entry.pk]), {"value": "45.0"}).status_code == 400

    response = client.post(reverse("facilities:safetylog_correct", args=[entry.pk]),
                           {"value": "54.0", "notes": "Read the wrong display"})

    entry.refresh_from_db()
    assert entry.superseded_by is not None
    assert response["Location"] == reverse("facilities:safetylog_detail", args=[entry.superseded_by.pk])
    page = client.get(response["Location"]).content.decode()
    assert "History of this entry" in page
    assert "Read the wrong display" in page
    opened = client.post(reverse("facilities:safetylog_workorder", args=[entry.superseded_by.pk]))
    order = WorkOrder.objects.get()
    assert (order.source, order.safety_entry) == (WorkOrderSource.SAFETY, entry.superseded_by)
    assert opened["Location"] == reverse("facilities:workorder_detail", args=[order.pk])


def test_the_missing_entries_page_lists_the_gaps_with_a_way_to_record_them_late(
        nurse: User, north: Location) -> None:
    eyewash = make_check(location=north, name="Eyewash station, lab", kind=SafetyCheckKind.EYEWASH,
                         frequency="daily", started_days_ago=3)
    make_entry(checkpoint=eyewash, log_date=practice_today() - dt.timedelta(days=1), recorded_by=nurse)

    html = client_for(nurse).get(reverse("facilities:safetylog_missing")).content.decode()

    two_days_ago = practice_today() - dt.timedelta(days=2)
    assert html.count("Eyewash station, lab</a>") == 2  # three and two days ago; yesterday is done
    assert f"date={two_days_ago.isoformat()}" in html


def _report_queries(client: Any, location: Location) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("facilities:safetylog_report"), {"location": location.pk})
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_report_shows_every_entry_and_gap_at_a_constant_query_count_and_prints_as_a_pdf(
        nurse: User, north: Location, fridge: SafetyCheckpoint) -> None:
    today = practice_today()
    SafetyCheckpoint.objects.filter(pk=fridge.pk).update(created_at=fridge.created_at - dt.timedelta(days=20))
    make_entry(checkpoint=fridge, log_date=today - dt.timedelta(days=20), recorded_by=nurse, value="40.0")
    client = client_for(nurse)
    _report_queries(client, north)  # the first request of a session does a little more
    few = _report_queries(client, north)
    for days in range(1, 15):
        make_entry(checkpoint=fridge, log_date=today - dt.timedelta(days=days), recorded_by=nurse, value="41.0")
        make_entry(checkpoint=make_check(location=north, name=f"Check {days}", frequency="daily"),
                   log_date=today, recorded_by=nurse, passed=days % 2 == 0)
    make_entry(checkpoint=fridge, log_date=today, slot="pm", recorded_by=nurse, value="49.9", passed=False)
    assert _report_queries(client, north) == few

    html = client.get(reverse("facilities:safetylog_report"), {"location": north.pk}).content.decode()
    assert "OUT OF RANGE" in html
    assert "49.9" in html
    assert "NONE RECORDED" in html
    assert "MISSING" in html
    pdf = client.get(reverse("facilities:safetylog_report_pdf"), {
        "location": north.pk, "since": (today - dt.timedelta(days=7)).isoformat(), "until": today.isoformat()})
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="facilities.safety_report_exported", location_id=north.pk).count() == 1


def test_a_location_out_of_scope_is_not_found_and_changes_nothing(
        nurse: User, south: Location, make_user: Callable[..., User]) -> None:
    south_fridge = make_fridge(location=south)
    entry = make_entry(checkpoint=south_fridge, log_date=practice_today(), recorded_by=nurse, value="50.0",
                       passed=False)
    client = client_for(nurse)
    before, refused = rows(), denials(nurse)

    answers = [
        client.get(reverse("facilities:checkpoint_detail", args=[south_fridge.pk])).status_code,
        client.post(reverse("facilities:safetylog_record", args=[south_fridge.pk]), {
            "log_date": practice_today().isoformat(), "slot": "pm", "value": "40.0"}).status_code,
        client.post(reverse("facilities:safetylog_action", args=[entry.pk]),
                    {"corrective_action": "done"}).status_code,
        client.post(reverse("facilities:safetylog_workorder", args=[entry.pk])).status_code,
        client.get(reverse("facilities:safetylog_report_pdf"), {"location": south.pk}).status_code,
    ]

    assert answers == [404] * 5
    assert denials(nurse) == refused + 5
    assert rows() == before


def test_staff_who_only_read_the_log_cannot_set_up_a_checkpoint(nurse: User, north: Location) -> None:
    client = client_for(nurse)
    before, refused = rows(), denials(nurse)

    response = client.post(reverse("facilities:checkpoint_create"), {
        "location": north.pk, "name": "Fridge", "kind": SafetyCheckKind.FRIDGE_TEMPERATURE,
        "frequency": "twice_daily", "minimum": "36", "maximum": "46", "unit": "°F", "is_active": "on"})

    assert response.status_code == 404
    assert (rows(), denials(nurse)) == (before, refused + 1)


def test_a_manager_sets_up_a_checkpoint_from_the_form(make_user: Callable[..., User], north: Location) -> None:
    manager = make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north], username="om")
    client = client_for(manager)
    form = {"location": north.pk, "name": "Vaccine freezer", "kind": SafetyCheckKind.FREEZER_TEMPERATURE,
            "frequency": "twice_daily", "minimum": "", "maximum": "5", "unit": "°F", "is_active": "on"}

    refused = client.post(reverse("facilities:checkpoint_create"), form)
    created = client.post(reverse("facilities:checkpoint_create"), {**form, "minimum": "-58"})

    assert refused.status_code == 400
    assert "lowest acceptable value" in refused.content.decode()
    checkpoint = SafetyCheckpoint.objects.get()
    assert created["Location"] == reverse("facilities:checkpoint_detail", args=[checkpoint.pk])
    assert (str(checkpoint.minimum), str(checkpoint.maximum), checkpoint.unit) == ("-58.0", "5.0", "°F")
    edit = client.get(reverse("facilities:checkpoint_edit", args=[checkpoint.pk])).content.decode()
    assert 'value="Vaccine freezer"' in edit
    assert 'value="-58.0"' in edit
