"""The safety and cleaning demo (seeder 92): a month of logs at each location with two gaps the missing-entries page
shows, one refrigerator reading out of range with its alert, corrective action and work order, cleaning schedules
and two inspections (a failed task with its work order); seeding again adds nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import user_with_role
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Practice
from openpractice.core.selectors import practice_today
from openpractice.core.tests.factories import LocationFactory, OpeningHoursFactory
from openpractice.facilities import selectors_safety as selectors
from openpractice.facilities.choices import WorkOrderSource
from openpractice.facilities.demo_safety import seed_safety
from openpractice.facilities.models import CleaningInspection, SafetyCheckpoint, SafetyLogEntry, WorkOrder

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_a_month_of_logs_with_two_gaps_and_an_excursion_that_was_handled(
        practice: Practice, django_capture_on_commit_callbacks: Any) -> None:
    locations = {code: LocationFactory(practice=practice, code=code, name=code.title())
                 for code in ("downtown", "north-hills", "cary")}
    for location in locations.values():
        for weekday in range(5):
            OpeningHoursFactory(location=location, weekday=weekday)
    keeper = user_with_role(Role.OFFICE_MANAGER, Tier.EXPERIENCED, username="om_experienced")
    users = {"om_experienced": keeper,
             "om_mid": user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[locations["north-hills"]]),
             "clinical": user_with_role(Role.CLINICAL_STAFF, locations=[locations["north-hills"]]),
             "om_entry": user_with_role(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[locations["cary"]])}
    context: dict[str, Any] = {"users": users, "locations": locations, "report": []}

    with django_capture_on_commit_callbacks(execute=True):
        seed_safety(context)

    today = practice_today()
    missing = selectors.missing_entries(actor=keeper, since=today - dt.timedelta(days=7),
                                        until=today - dt.timedelta(days=1))
    assert sorted((slot.checkpoint.location.code, slot.checkpoint.kind) for slot in missing) == [
        ("downtown", "freezer_temp"), ("north-hills", "autoclave_cycle")]
    excursion = SafetyLogEntry.objects.get(passed=False)
    assert (excursion.value, excursion.alerted_at is not None, bool(excursion.corrective_action)) == (
        Decimal("48.6"), True, True)
    assert excursion.work_orders.get().priority == "urgent"
    assert list(selectors.open_alerts(actor=keeper)) == []
    inspection = CleaningInspection.objects.get(items__passed=False)
    assert WorkOrder.objects.get(source=WorkOrderSource.CLEANING).cleaning_inspection == inspection
    assert CleaningInspection.objects.count() == 2
    assert AuditEvent.objects.filter(action="facilities.safety_entry_recorded").count() == 1
    assert SafetyLogEntry.objects.filter(recorded_at__gt=dt.datetime.now(dt.UTC)).count() == 0
    counts = (SafetyCheckpoint.objects.count(), SafetyLogEntry.objects.count())

    seed_safety(context)

    assert (SafetyCheckpoint.objects.count(), SafetyLogEntry.objects.count()) == counts
    assert "already seeded" in context["report"][-1]
