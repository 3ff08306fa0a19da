"""Missing safety-log entries: twice a day and daily on the days the location is open, weekly once per ISO week and
monthly once per month (a period counts once it has ended), from the day the checkpoint was set up; only current
entries fill a slot. The daily round flags them (and what is still due today), and the early-morning job mails the
managers yesterday's gaps, once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.core.tests.factories import OpeningHoursFactory
from openpractice.facilities import selectors_safety as selectors
from openpractice.facilities.choices import SafetyCheckKind, SafetyFrequency
from openpractice.facilities.models import SafetyCheckpoint
from openpractice.facilities.services import safety as services

from .factories_safety import client_for, make_check, make_entry, make_fridge

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2025, 6, 2)


@pytest.fixture
def nurse(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.CLINICAL_STAFF, locations=[north], username="nurse")


def _set_up_on(checkpoint: SafetyCheckpoint, day: dt.date) -> SafetyCheckpoint:
    SafetyCheckpoint.objects.filter(pk=checkpoint.pk).update(
        created_at=timezone.make_aware(dt.datetime.combine(day, dt.time(12))))
    return checkpoint


def _missing(nurse: User, since: dt.date, until: dt.date) -> list[tuple[str, dt.date, str]]:
    return [(slot.checkpoint.name, slot.log_date, slot.slot)
            for slot in selectors.missing_entries(actor=nurse, since=since, until=until)]


def test_missing_entries_follow_the_frequency_and_the_days_the_location_is_open(
        nurse: User, north: Location) -> None:
    for weekday in range(5):  # open Monday to Friday
        OpeningHoursFactory(location=north, weekday=weekday)
    fridge = _set_up_on(make_fridge(location=north, name="Fridge"), dt.date(2025, 1, 1))
    spores = _set_up_on(make_check(location=north, name="Spores", kind=SafetyCheckKind.SPORE_TEST,
                                   frequency=SafetyFrequency.WEEKLY), dt.date(2025, 1, 1))
    eyewash = _set_up_on(make_check(location=north, name="Eyewash"), dt.date(2025, 1, 1))
    _set_up_on(make_check(location=north, name="New AED", kind=SafetyCheckKind.AED,
                          frequency=SafetyFrequency.DAILY), MONDAY + dt.timedelta(days=3))
    make_check(location=north, name="Retired", frequency=SafetyFrequency.DAILY, is_active=False)
    for day, slot in ((MONDAY, "am"), (MONDAY, "pm"), (MONDAY + dt.timedelta(days=1), "am")):
        make_entry(checkpoint=fridge, log_date=day, slot=slot, recorded_by=nurse, value="40.0")
    first = make_entry(checkpoint=fridge, log_date=MONDAY + dt.timedelta(days=1), slot="pm", recorded_by=nurse,
                       value="80.0", passed=False)
    correction = make_entry(checkpoint=fridge, log_date=MONDAY + dt.timedelta(days=1), slot="pm", recorded_by=nurse,
                            value="40.0")
    first.superseded_by = correction
    first.save(update_fields=["superseded_by"])
    make_entry(checkpoint=spores, log_date=MONDAY + dt.timedelta(days=9), recorded_by=nurse)  # week of June 9
    make_entry(checkpoint=eyewash, log_date=dt.date(2025, 5, 2), recorded_by=nurse)  # May, before the range

    missing = _missing(nurse, since=MONDAY - dt.timedelta(days=2), until=MONDAY + dt.timedelta(days=13))

    wednesday, thursday, friday = (MONDAY + dt.timedelta(days=n) for n in (2, 3, 4))
    assert [row for row in missing if row[0] == "Fridge"][:6] == [
        ("Fridge", wednesday, "am"), ("Fridge", wednesday, "pm"), ("Fridge", thursday, "am"),
        ("Fridge", thursday, "pm"), ("Fridge", friday, "am"), ("Fridge", friday, "pm")]
    assert len([row for row in missing if row[0] == "Fridge"]) == 6 + 10  # and all of the second week
    assert [row for row in missing if row[0] == "Spores"] == [("Spores", dt.date(2025, 5, 26), "day"),
                                                              ("Spores", MONDAY, "day")]
    assert next(row for row in missing if row[0] == "New AED") == ("New AED", thursday, "day")
    assert {row[0] for row in missing} == {"Fridge", "Spores", "New AED"}  # May's eyewash done, June not over


def test_the_daily_round_shows_what_is_due_today_and_flags_what_is_missing(nurse: User, north: Location) -> None:
    today = practice_today()
    fridge = make_fridge(location=north, name="Vaccine refrigerator", started_days_ago=2)
    make_entry(checkpoint=fridge, log_date=today, slot="am", recorded_by=nurse, value="40.1")
    make_entry(checkpoint=fridge, log_date=today - dt.timedelta(days=1), slot="am", recorded_by=nurse, value="40.2")

    [row] = selectors.daily_round(actor=nurse, location=north, today=today)

    assert [(due.slot, due.entry is not None) for due in row.due] == [("am", True), ("pm", False)]
    assert [(slot.log_date, slot.slot) for slot in row.late] == [
        (today - dt.timedelta(days=2), "am"), (today - dt.timedelta(days=2), "pm"),
        (today - dt.timedelta(days=1), "pm")]
    page = client_for(nurse).get(reverse("facilities:safetylog_today"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "3 missing in the last week" in html
    assert f'action="{reverse("facilities:safetylog_record", args=[fridge.pk])}"' in html
    assert f"date={(today - dt.timedelta(days=1)).isoformat()}&amp;slot=pm" in html


def test_the_morning_job_mails_yesterdays_gaps_once_and_retries_alerts_the_mail_server_refused(
        nurse: User, north: Location, make_user: Callable[..., User], smtp_server: Any) -> None:
    today = practice_today()
    make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north], username="om", email="om@example.test")
    fridge = make_fridge(location=north, name="Vaccine refrigerator", started_days_ago=3)
    unsent = make_entry(checkpoint=fridge, log_date=today, recorded_by=nurse, value="50.0", passed=False)

    assert services.safety_jobs_run(today=today) == (1, 1)
    assert services.safety_jobs_run(today=today) == (0, 0)

    subjects = sorted(message["Subject"] for message in smtp_server.messages)
    assert len(subjects) == 2
    assert "2 safety log entries missing at North Clinic" in subjects[0]
    summary = next(m for m in smtp_server.messages if "missing" in m["Subject"]).get_payload(decode=True).decode()
    assert "Vaccine refrigerator: " in summary
    assert "morning" in summary
    assert "afternoon" in summary
    assert AuditEvent.objects.filter(action=services.MISSING_REMINDER_ACTION, location_id=north.pk,
                                     reason=(today - dt.timedelta(days=1)).isoformat()).count() == 1
    unsent.refresh_from_db()
    assert unsent.alerted_at is not None
