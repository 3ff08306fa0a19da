"""Safety-log services: a temperature is judged against its checkpoint's range by the server; out of range, the
location's facilities managers get a mail (through a real SMTP server) and the entry stays flagged until someone
records the corrective action; one current entry per checkpoint, day and slot, corrections keep the history; no
future days, a week late at most with a note; refusals are audited and change nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today
from openpractice.facilities import selectors_safety as selectors
from openpractice.facilities.choices import Priority, SafetyCheckKind, SafetyFrequency, WorkOrderSource
from openpractice.facilities.models import SafetyCheckpoint, SafetyLogEntry
from openpractice.facilities.services import safety as services

from .factories_assets import make_asset
from .factories_safety import denials, make_check, make_entry, make_fridge, rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def nurse(make_user: Callable[..., User], north: Location) -> User:
    """Clinical staff at North: takes the readings (facilities.view), manages nothing."""
    return make_user(Role.CLINICAL_STAFF, locations=[north], username="nurse")


@pytest.fixture
def manager(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north], username="om-north",
                     email="om.north@example.test")


@pytest.fixture
def fridge(north: Location) -> SafetyCheckpoint:
    return make_fridge(location=north, name="Vaccine refrigerator, lab", room="Lab")


def test_an_out_of_range_temperature_alerts_the_facilities_managers_of_its_location_by_mail(
        nurse: User, manager: User, fridge: SafetyCheckpoint, make_user: Callable[..., User], south: Location,
        smtp_server: Any, django_capture_on_commit_callbacks: Any) -> None:
    make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[south], username="om-south", email="om.south@example.test")

    with django_capture_on_commit_callbacks(execute=True):
        entry = services.safety_entry_record(actor=nurse, checkpoint=fridge, slot="pm", value="48.6",
                                             notes="Door found ajar")

    assert entry.passed is False
    assert [message["To"] for message in smtp_server.messages] == ["om.north@example.test"]
    mail = smtp_server.messages[0]
    assert "Out of range: Vaccine refrigerator, lab" in mail["Subject"]
    body = mail.get_payload(decode=True).decode()
    assert "48.6 °F" in body
    assert "36.0 to 46.0" in body
    assert f"/facilities/safety/entries/{entry.pk}/" in body
    entry.refresh_from_db()
    assert entry.alerted_at is not None
    assert AuditEvent.objects.filter(action="facilities.safety_alert_sent", object_id=str(entry.pk),
                                     location_id=fridge.location_id).exists()
    assert list(selectors.open_alerts(actor=nurse)) == [entry]


def test_whether_a_reading_passed_is_computed_from_the_range_never_taken_from_the_caller(
        nurse: User, fridge: SafetyCheckpoint, smtp_server: Any, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        entry = services.safety_entry_record(actor=nurse, checkpoint=fridge, slot="am", value=Decimal("46.0"),
                                             passed=False)
    assert entry.passed is True
    assert entry.value == Decimal("46.0")
    assert smtp_server.messages == []
    with pytest.raises(ValidationError) as missing:
        services.safety_entry_record(actor=nurse, checkpoint=fridge, slot="pm", passed=True)
    assert "value" in missing.value.message_dict


def test_a_check_is_a_pass_or_a_fail_and_a_failed_one_is_flagged(nurse: User, north: Location) -> None:
    eyewash = make_check(location=north)
    with pytest.raises(ValidationError) as reading:
        services.safety_entry_record(actor=nurse, checkpoint=eyewash, value="3.0", passed=True)
    assert "value" in reading.value.message_dict
    with pytest.raises(ValidationError) as undecided:
        services.safety_entry_record(actor=nurse, checkpoint=eyewash)
    assert "passed" in undecided.value.message_dict

    entry = services.safety_entry_record(actor=nurse, checkpoint=eyewash, passed=False, notes="Flow weak")

    assert (entry.slot, entry.value, entry.passed) == ("day", None, False)
    assert selectors.needs_action(entry)


def test_one_entry_per_slot_a_second_is_refused_and_a_correction_keeps_the_first(
        nurse: User, fridge: SafetyCheckpoint, smtp_server: Any, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = services.safety_entry_record(actor=nurse, checkpoint=fridge, slot="am", value="64.0")
    with pytest.raises(ValidationError) as twice:
        services.safety_entry_record(actor=nurse, checkpoint=fridge, slot="am", value="40.0")
    assert twice.value.code == "already_logged"
    assert "correct" in twice.value.messages[0]

    corrected = services.safety_entry_correct(actor=nurse, entry=first, value="46.0",
                                              notes="Typo: 46 read as 64")

    first.refresh_from_db()
    assert first.superseded_by == corrected
    assert (first.value, first.passed) == (Decimal("64.0"), False)  # as it was written
    assert corrected.passed
    assert not selectors.needs_action(first)
    assert selectors.entry_history(corrected) == [first, corrected]
    assert list(selectors.open_alerts(actor=nurse)) == []
    with pytest.raises(ValidationError) as again:
        services.safety_entry_correct(actor=nurse, entry=first, value="45.0", notes="again")
    assert again.value.code == "superseded"


def test_a_correction_still_out_of_range_keeps_the_alert_and_the_action_instead_of_mailing_again(
        nurse: User, manager: User, fridge: SafetyCheckpoint, smtp_server: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = services.safety_entry_record(actor=nurse, checkpoint=fridge, slot="am", value="50.0")
    with django_capture_on_commit_callbacks(execute=True):
        services.safety_entry_act(actor=nurse, entry=first, action="Vaccines moved to the back-up unit")
        corrected = services.safety_entry_correct(actor=nurse, entry=first, value="50.5", notes="Misread")
    assert len(smtp_server.messages) == 1
    first.refresh_from_db()
    assert corrected.alerted_at == first.alerted_at is not None
    assert corrected.corrective_action == "Vaccines moved to the back-up unit"


def test_no_entry_for_a_day_to_come_and_a_late_one_within_a_week_needs_a_note(
        nurse: User, fridge: SafetyCheckpoint) -> None:
    today = practice_today()
    for day, notes, field in ((today + dt.timedelta(days=1), "", "log_date"),
                              (today - dt.timedelta(days=8), "from the paper sheet", "log_date"),
                              (today - dt.timedelta(days=2), "", "notes")):
        with pytest.raises(ValidationError) as refused:
            services.safety_entry_record(actor=nurse, checkpoint=fridge, log_date=day, slot="am", value="40.0",
                                         notes=notes)
        assert field in refused.value.message_dict
    with pytest.raises(ValidationError) as slot:
        services.safety_entry_record(actor=nurse, checkpoint=fridge, value="40.0")
    assert "slot" in slot.value.message_dict

    late = services.safety_entry_record(actor=nurse, checkpoint=fridge, log_date=today - dt.timedelta(days=7),
                                        slot="pm", value="40.0", notes="Written on the paper sheet on the day")
    assert late.log_date == today - dt.timedelta(days=7)
    assert SafetyLogEntry.objects.count() == 1


def test_the_corrective_action_clears_the_flag_once_and_only_on_an_entry_out_of_range(
        nurse: User, fridge: SafetyCheckpoint) -> None:
    good = make_entry(checkpoint=fridge, log_date=practice_today(), recorded_by=nurse, value="40.0")
    bad = make_entry(checkpoint=fridge, log_date=practice_today(), slot="pm", recorded_by=nurse, value="49.0",
                     passed=False)
    with pytest.raises(ValidationError):
        services.safety_entry_act(actor=nurse, entry=good, action="Nothing to do")
    with pytest.raises(ValidationError) as blank:
        services.safety_entry_act(actor=nurse, entry=bad, action="   ")
    assert "corrective_action" in blank.value.message_dict

    services.safety_entry_act(actor=nurse, entry=bad, action="Door closed; re-check 41.0 °F")

    bad.refresh_from_db()
    assert (bad.corrective_action_by, bad.corrective_action_at is not None) == (nurse, True)
    assert not selectors.needs_action(bad)
    assert AuditEvent.objects.filter(action="facilities.safety_action_recorded", object_id=str(bad.pk)).exists()
    with pytest.raises(ValidationError):
        services.safety_entry_act(actor=nurse, entry=bad, action="Another")


def test_a_work_order_from_a_refrigerator_reading_is_urgent_for_its_equipment_and_opened_once(
        nurse: User, north: Location) -> None:
    asset = make_asset(location=north, room="Lab")
    fridge = make_fridge(location=north, asset=asset)
    entry = make_entry(checkpoint=fridge, log_date=practice_today(), recorded_by=nurse, value="52.3", passed=False)

    order = services.safety_entry_work_order(actor=nurse, entry=entry)

    assert (order.source, order.safety_entry, order.asset, order.priority, order.location) == (
        WorkOrderSource.SAFETY, entry, asset, Priority.URGENT, north)
    assert "52.3" in order.title
    assert order.room == "Lab"
    with pytest.raises(ValidationError) as twice:
        services.safety_entry_work_order(actor=nurse, entry=entry)
    assert twice.value.code == "already_open"


def test_staff_of_another_location_cannot_record_correct_or_act_and_nothing_changes(
        make_user: Callable[..., User], south: Location, nurse: User) -> None:
    south_fridge = make_fridge(location=south)
    entry = make_entry(checkpoint=south_fridge, log_date=practice_today(), recorded_by=nurse, value="50.0",
                       passed=False)
    before, refused = rows(), denials(nurse)

    for attempt in (
            lambda: services.safety_entry_record(actor=nurse, checkpoint=south_fridge, slot="pm", value="40.0"),
            lambda: services.safety_entry_correct(actor=nurse, entry=entry, value="40.0", notes="fix"),
            lambda: services.safety_entry_act(actor=nurse, entry=entry, action="done"),
            lambda: services.safety_entry_work_order(actor=nurse, entry=entry)):
        with pytest.raises(PermissionDenied):
            attempt()

    assert denials(nurse) == refused + 4
    assert rows() == before


def test_checkpoints_need_facilities_manage_a_range_for_temperatures_and_equipment_at_their_location(
        nurse: User, manager: User, north: Location, south: Location) -> None:
    data: dict[str, Any] = {"location": north, "name": "Vaccine freezer", "kind": SafetyCheckKind.FREEZER_TEMPERATURE,
                            "frequency": SafetyFrequency.TWICE_DAILY, "minimum": "5", "maximum": "-58", "unit": ""}
    before, refused = rows(), denials(nurse)
    with pytest.raises(PermissionDenied):
        services.checkpoint_create(actor=nurse, data=data)
    assert (rows(), denials(nurse)) == (before, refused + 1)

    with pytest.raises(ValidationError) as wrong:
        services.checkpoint_create(actor=manager, data={**data, "asset": make_asset(location=south)})
    assert {"maximum", "unit", "asset"} <= set(wrong.value.message_dict)

    freezer = services.checkpoint_create(actor=manager, data={**data, "minimum": "-58", "maximum": "5",
                                                              "unit": "°F"})
    eyewash = services.checkpoint_create(actor=manager, data={
        "location": north, "name": "Eyewash", "kind": SafetyCheckKind.EYEWASH,
        "frequency": SafetyFrequency.MONTHLY, "minimum": "1", "maximum": "2", "unit": "°F"})

    assert (freezer.minimum, freezer.maximum, freezer.unit) == (Decimal("-58.0"), Decimal("5.0"), "°F")
    assert (eyewash.minimum, eyewash.maximum, eyewash.unit) == (None, None, "")
    assert AuditEvent.objects.filter(action="facilities.checkpoint_created", location_id=north.pk).count() == 2


def test_a_checkpoint_keeps_its_kind_once_entries_are_logged(
        manager: User, nurse: User, fridge: SafetyCheckpoint) -> None:
    make_entry(checkpoint=fridge, log_date=practice_today(), recorded_by=nurse, value="40.0")
    data = {"location": fridge.location, "room": fridge.room, "name": "Renamed fridge", "kind": SafetyCheckKind.EYEWASH,
            "frequency": fridge.frequency}
    with pytest.raises(ValidationError) as kind:
        services.checkpoint_update(actor=manager, checkpoint=fridge, data=data)
    assert "kind" in kind.value.message_dict

    updated = services.checkpoint_update(actor=manager, checkpoint=fridge, data={
        **data, "kind": fridge.kind, "minimum": "35.0", "maximum": "46.0", "unit": "°F", "is_active": True})

    assert (updated.name, updated.minimum) == ("Renamed fridge", Decimal("35.0"))
    event = AuditEvent.objects.get(action="facilities.checkpoint_updated")
    assert sorted(event.changed_field_list) == ["minimum", "name"]
