"""The operations brief end to end: the period it covers, the schedule (due or not, once per period), its figures
against a hand-counted KPI, the mail that reaches a real local SMTP server with the PDF, a refused address, a
compiler who may no longer compile it, and a snapshot that later data does not change."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.utils import timezone

from openpractice.accounts.models import RoleAssignment, User
from openpractice.accounts.permissions import forget
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.core.tests.smtp import Mailbox, free_port
from openpractice.reporting import tasks_brief
from openpractice.reporting.brief import is_due, last_complete_period
from openpractice.reporting.choices import BriefFrequency, BriefStatus
from openpractice.reporting.models import Brief, BriefSettings
from openpractice.reporting.services_brief import (
    brief_html,
    brief_schedule_run,
    brief_send_now,
    brief_settings_save,
)

from . import brief_support as fx
from .brief_support import MONDAY_8AM, OUTSIDE, WEEK, WEEK_BEFORE, PickyMailbox, pdf_of, state, text_of, visits

pytestmark = pytest.mark.django_db
# Fixtures shared with the brief's view tests.
brief_settings, chief, office, no_show_fixture, picky_smtp = (fx.brief_settings, fx.chief, fx.office,
                                                              fx.no_show_fixture, fx.picky_smtp)
D = dt.date
Capture = Callable[..., Any]


# --- periods and the schedule ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("frequency", "today", "period"), [
    (BriefFrequency.WEEKLY, D(2026, 3, 9), (D(2026, 3, 2), D(2026, 3, 8))),  # a Monday: the week just ended
    (BriefFrequency.WEEKLY, D(2026, 3, 8), (D(2026, 2, 23), D(2026, 3, 1))),  # a Sunday: its week is not over
    (BriefFrequency.FORTNIGHTLY, D(2024, 1, 15), (D(2024, 1, 1), D(2024, 1, 14))),
    (BriefFrequency.FORTNIGHTLY, D(2024, 1, 22), (D(2024, 1, 1), D(2024, 1, 14))),  # mid-fortnight: the same
    (BriefFrequency.FORTNIGHTLY, D(2024, 1, 29), (D(2024, 1, 15), D(2024, 1, 28))),
    (BriefFrequency.MONTHLY, D(2026, 3, 1), (D(2026, 2, 1), D(2026, 2, 28))),
    (BriefFrequency.MONTHLY, D(2026, 1, 20), (D(2025, 12, 1), D(2025, 12, 31))),
])
def test_a_brief_covers_the_last_complete_week_fortnight_or_month(frequency: str, today: dt.date,
                                                                  period: tuple[dt.date, dt.date]) -> None:
    got = last_complete_period(frequency, today)
    assert (got.start, got.end) == period


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=MONDAY_8AM.tzinfo)


def test_the_schedule_is_due_on_its_day_from_its_hour_in_practice_time() -> None:
    weekly = {"frequency": BriefFrequency.WEEKLY, "weekday": 0, "hour": 7}
    assert is_due(**weekly, local_now=_at(D(2026, 3, 9), 7))
    assert is_due(**weekly, local_now=_at(D(2026, 3, 9), 15))  # a worker down at 7 catches up the same day
    assert not is_due(**weekly, local_now=_at(D(2026, 3, 9), 6))
    assert not is_due(**weekly, local_now=_at(D(2026, 3, 10), 7))
    fortnightly = {**weekly, "frequency": BriefFrequency.FORTNIGHTLY}
    assert is_due(**fortnightly, local_now=_at(D(2024, 1, 15), 7))
    assert not is_due(**fortnightly, local_now=_at(D(2024, 1, 22), 7))  # the fortnight is half over
    monthly = {**weekly, "frequency": BriefFrequency.MONTHLY}
    assert is_due(**monthly, local_now=_at(D(2026, 4, 1), 7))
    assert not is_due(**monthly, local_now=_at(D(2026, 4, 2), 7))


def test_the_brief_arrives_at_a_local_smtp_server_with_its_pdf_and_figures(
        smtp_server: Mailbox, brief_settings: BriefSettings, no_show_fixture: None,
        django_capture_on_commit_callbacks: Capture) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        brief = brief_schedule_run(now=MONDAY_8AM)
    assert brief is not None
    brief.refresh_from_db()
    assert (brief.period_start, brief.period_end) == WEEK
    assert brief.status == BriefStatus.SENT
    assert brief.sent_at is not None
    assert brief.error == ""
    assert brief.created_by is None
    assert sorted(message["To"] for message in smtp_server.messages) == sorted(
        ["dana@practice.example", "linda@practice.example", OUTSIDE])
    for message in smtp_server.messages:
        assert "Mar 2, 2026 to Mar 8, 2026" in str(message["Subject"]).replace("\r\n", "")
        assert pdf_of(message).startswith(b"%PDF")
        assert pdf_of(message) == bytes(brief.pdf)
        text = text_of(message)
        assert "No-show rate: 25.0% (previous 20.0%; target at most 10.0%" in text
        assert "Off target" in text
        assert "25.0%" in text_of(message, "html")
        assert "Quigley" not in text + text_of(message, "html")  # never a patient
    assert AuditEvent.objects.filter(action="reporting.brief_generated", object_id=str(brief.pk)).count() == 1
    assert AuditEvent.objects.filter(action="reporting.brief_sent", object_id=str(brief.pk)).count() == 1


def test_the_snapshot_holds_the_hand_counted_figures_and_is_what_the_pdf_shows(
        brief_settings: BriefSettings, chief: User, north: Location, no_show_fixture: None) -> None:
    brief = brief_schedule_run(now=MONDAY_8AM)
    assert brief is not None
    [row] = [row for row in brief.snapshot["kpis"] if row["key"] == "no_show_rate"]
    assert (row["value"], row["previous"], row["target"], row["warn_at"], row["status"]) == (
        "25.0", "20.0", "10.00", "15.00", "missed")
    assert row["detail"] == "2 no-shows of 8 scheduled appointments"
    assert brief.snapshot["period"]["start"] == WEEK[0].isoformat()
    assert brief.snapshot["previous"]["start"] == WEEK_BEFORE[0].isoformat()
    assert brief.snapshot["compiler"]["name"] == "Dana Whitfield"
    assert "all locations" in brief.snapshot["compiler"]["scope"][0]
    [missed] = [section for section in brief.snapshot["exceptions"] if section["key"] == "kpis_missed"]
    assert "No-show rate: 25.0% against a target of 10.0%" in missed["items"]
    html = brief_html(brief)
    for figure in ("25.0%", "20.0%", "+5.0 pts"):
        assert figure in html
    assert "Dana Whitfield" in html
    assert "<svg" in html  # the trend charts, inline
    # Data corrected later does not change the brief: its page and PDF come from the snapshot.
    visits(north, D(2026, 3, 4), attended=0, no_shows=4)
    brief.refresh_from_db()
    assert brief_html(brief) == html
    assert bytes(brief.pdf).startswith(b"%PDF")


def test_the_schedule_sends_once_per_period_however_often_it_runs(
        smtp_server: Mailbox, brief_settings: BriefSettings, monkeypatch: pytest.MonkeyPatch,
        django_capture_on_commit_callbacks: Capture) -> None:
    monkeypatch.setattr(timezone, "now", lambda: MONDAY_8AM.astimezone(dt.UTC))
    with django_capture_on_commit_callbacks(execute=True):
        first = tasks_brief.send_scheduled_brief.call_local()
        second = tasks_brief.send_scheduled_brief.call_local()
    assert first is not None
    assert second is None
    assert Brief.objects.count() == 1
    assert len(smtp_server.messages) == 3
    later = MONDAY_8AM + dt.timedelta(hours=5)
    assert brief_schedule_run(now=later) is None  # later the same day: the period is done
    next_week = MONDAY_8AM + dt.timedelta(days=7)
    with django_capture_on_commit_callbacks(execute=True):
        brief = brief_schedule_run(now=next_week)
    assert brief is not None
    assert brief.period_start == D(2026, 3, 9)
    assert len(smtp_server.messages) == 6


def test_the_wrong_day_or_hour_or_a_schedule_turned_off_sends_nothing(
        smtp_server: Mailbox, brief_settings: BriefSettings, chief: User,
        django_capture_on_commit_callbacks: Capture) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert brief_schedule_run(now=MONDAY_8AM - dt.timedelta(hours=2)) is None  # 06:00
        assert brief_schedule_run(now=MONDAY_8AM + dt.timedelta(days=1)) is None  # Tuesday
        assert brief_schedule_run(now=MONDAY_8AM - dt.timedelta(days=1)) is None  # Sunday
        brief_settings_save(actor=chief, enabled=False, frequency=BriefFrequency.WEEKLY, weekday=0, hour=7,
                            recipients=[chief], extra_recipients=[])
        assert brief_schedule_run(now=MONDAY_8AM) is None
    assert Brief.objects.count() == 0
    assert smtp_server.messages == []


def test_a_brief_sent_by_hand_for_the_period_keeps_the_schedule_from_sending_it_again(
        smtp_server: Mailbox, brief_settings: BriefSettings, office: User,
        django_capture_on_commit_callbacks: Capture) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        by_hand = brief_send_now(actor=office, now=MONDAY_8AM - dt.timedelta(hours=3))
    by_hand.refresh_from_db()
    assert by_hand.status == BriefStatus.SENT
    assert by_hand.created_by == office
    assert (by_hand.period_start, by_hand.period_end) == WEEK
    assert brief_schedule_run(now=MONDAY_8AM) is None
    assert len(smtp_server.messages) == 3


# --- delivery problems -----------------------------------------------------------------------------------------


def test_a_refused_address_gives_partly_sent_and_the_others_still_receive_it(
        picky_smtp: PickyMailbox, brief_settings: BriefSettings,
        django_capture_on_commit_callbacks: Capture) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        brief = brief_schedule_run(now=MONDAY_8AM)
    assert brief is not None
    brief.refresh_from_db()
    assert brief.status == BriefStatus.PARTLY_SENT
    assert sorted(message["To"] for message in picky_smtp.messages) == ["dana@practice.example",
                                                                        "linda@practice.example"]
    assert "Not delivered to 1 of 3 recipients" in brief.error
    assert f"{OUTSIDE}: 550 5.1.1 No such mailbox here" in brief.error
    assert brief.sent_at is not None


def test_a_mail_server_that_is_down_leaves_the_brief_stored_and_failed_with_the_error(
        settings: Any, brief_settings: BriefSettings, django_capture_on_commit_callbacks: Capture) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    with django_capture_on_commit_callbacks(execute=True):
        brief = brief_schedule_run(now=MONDAY_8AM)
    assert brief is not None
    brief.refresh_from_db()
    assert brief.status == BriefStatus.FAILED
    assert brief.sent_at is None
    assert "Not delivered to 3 of 3 recipients" in brief.error
    assert bytes(brief.pdf).startswith(b"%PDF")
    assert brief_schedule_run(now=MONDAY_8AM + dt.timedelta(hours=1)) is None  # not retried every hour


@pytest.mark.parametrize("how", ["deactivated", "role_removed"])
def test_a_compiler_who_may_no_longer_see_the_figures_makes_the_run_fail_with_the_reason(
        smtp_server: Mailbox, brief_settings: BriefSettings, chief: User, how: str,
        django_capture_on_commit_callbacks: Capture) -> None:
    if how == "deactivated":
        User.objects.filter(pk=chief.pk).update(is_active=False)
    else:
        RoleAssignment.objects.filter(user=chief).update(role=Role.FRONT_DESK, tier=Tier.STANDARD)
    forget(chief)
    with django_capture_on_commit_callbacks(execute=True):
        brief = brief_schedule_run(now=MONDAY_8AM)
    assert brief is not None
    assert brief.status == BriefStatus.FAILED
    assert "Dana Whitfield" in brief.error
    assert ("no longer active" if how == "deactivated" else "reports.manage") in brief.error
    assert "kpis" not in brief.snapshot
    assert bytes(brief.pdf) == b""
    assert smtp_server.messages == []
    assert AuditEvent.objects.filter(action="reporting.brief_failed", object_id=str(brief.pk)).count() == 1


def test_sending_now_without_settings_fails_with_a_clear_error(office: User) -> None:
    brief = brief_send_now(actor=office, now=MONDAY_8AM)
    assert brief.status == BriefStatus.FAILED
    assert "save them first" in brief.error


def test_a_brief_without_recipients_is_produced_but_not_sent(brief_settings: BriefSettings, chief: User,
                                                             office: User) -> None:
    brief_settings.recipients.set([])
    BriefSettings.objects.filter(pk=brief_settings.pk).update(extra_recipients="")
    brief = brief_send_now(actor=office, now=MONDAY_8AM)
    assert brief.status == BriefStatus.GENERATED
    assert "No recipient" in brief.error
    assert bytes(brief.pdf).startswith(b"%PDF")


def test_a_monthly_brief_compares_with_the_calendar_month_before(
        brief_settings: BriefSettings, chief: User, north: Location) -> None:
    brief_settings_save(actor=chief, enabled=True, frequency=BriefFrequency.MONTHLY, weekday=0, hour=7,
                        recipients=[chief], extra_recipients=[])
    visits(north, D(2026, 3, 10), attended=3, no_shows=1)  # March: 1 of 4
    visits(north, D(2026, 2, 3), attended=9, no_shows=1)  # February: 1 of 10
    visits(north, D(2026, 1, 31), attended=0, no_shows=5)  # January: outside both
    brief = brief_schedule_run(now=dt.datetime(2026, 4, 1, 9, 0, tzinfo=MONDAY_8AM.tzinfo))
    assert brief is not None
    assert (brief.period_start, brief.period_end) == (D(2026, 3, 1), D(2026, 3, 31))
    [row] = [row for row in brief.snapshot["kpis"] if row["key"] == "no_show_rate"]
    assert (row["value"], row["previous"]) == ("25.0", "10.0")
    assert brief.snapshot["previous"]["label"] == "February 2026"


# --- settings --------------------------------------------------------------------------------------------------


def test_saving_the_settings_makes_the_saver_the_compiler_and_is_audited(
        brief_settings: BriefSettings, office: User) -> None:
    row = brief_settings_save(actor=office, enabled=True, frequency=BriefFrequency.FORTNIGHTLY, weekday=4, hour=16,
                              recipients=[office], extra_recipients=["  Board@Owners.example ", "", OUTSIDE])
    row.refresh_from_db()
    assert row.updated_by == office
    assert (row.frequency, row.weekday, row.hour) == (BriefFrequency.FORTNIGHTLY, 4, 16)
    assert row.extra_recipients == OUTSIDE  # trimmed, lower case, once
    assert list(row.recipients.all()) == [office]
    event = AuditEvent.objects.filter(action="reporting.brief_settings_saved", actor=office).get()
    assert {"frequency", "weekday", "hour", "recipients", "updated_by"} <= set(event.changed_fields.split(","))


@pytest.mark.parametrize(("change", "field"), [
    ({"extra_recipients": ["not an address"]}, "extra_recipients"),
    ({"recipients": [], "extra_recipients": []}, "recipients"),
    ({"hour": 24}, "hour"),
])
def test_bad_settings_are_refused_and_nothing_changes(brief_settings: BriefSettings, chief: User,
                                                      change: dict[str, Any], field: str) -> None:
    values: dict[str, Any] = {"enabled": True, "frequency": BriefFrequency.WEEKLY, "weekday": 0, "hour": 7,
                              "recipients": [chief], "extra_recipients": [OUTSIDE], **change}
    before = state()
    with pytest.raises(ValidationError) as error:
        brief_settings_save(actor=chief, **values)
    assert field in error.value.message_dict
    assert state() == before


def test_an_inactive_person_cannot_be_named_a_recipient(brief_settings: BriefSettings, chief: User,
                                                        make_user: Callable[..., User]) -> None:
    gone = make_user(Role.BILLER, email="gone@practice.example", is_active=False)
    before = state()
    with pytest.raises(ValidationError) as error:
        brief_settings_save(actor=chief, enabled=True, frequency=BriefFrequency.WEEKLY, weekday=0, hour=7,
                            recipients=[chief, gone], extra_recipients=[])
    assert "recipients" in error.value.message_dict
    assert state() == before


def test_someone_without_reports_manage_cannot_save_the_settings_or_send_now(
        brief_settings: BriefSettings, make_user: Callable[..., User]) -> None:
    biller = make_user(Role.BILLER)
    before = state()
    with pytest.raises(PermissionDenied):
        brief_settings_save(actor=biller, enabled=False, frequency=BriefFrequency.WEEKLY, weekday=0, hour=7,
                            recipients=[], extra_recipients=[])
    with pytest.raises(PermissionDenied):
        brief_send_now(actor=biller, now=MONDAY_8AM)
    assert state() == before
    assert AuditEvent.objects.filter(actor=biller, outcome="denied").count() == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="needs concurrent writers; SQLite serialises every writer with BEGIN IMMEDIATE anyway")
def test_workers_running_the_schedule_at_the_same_moment_send_one_brief(brief_settings: BriefSettings) -> None:
    workers = 4
    barrier = threading.Barrier(workers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            barrier.wait()
            outcome = "sent" if brief_schedule_run(now=MONDAY_8AM) is not None else "nothing"
        except Exception as exc:  # noqa: BLE001 - any other failure must show up in the assertion
            outcome = f"error: {exc!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["nothing"] * (workers - 1) + ["sent"]
    assert Brief.objects.count() == 1
    assert len(mail.outbox) == 3
