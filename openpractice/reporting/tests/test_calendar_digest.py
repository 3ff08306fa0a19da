"""The weekly digest: on Monday morning (practice time) it reaches a real SMTP server, once a week per person, with
text and HTML, absolute links and no PHI; one person's failure does not stop the others."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable
from email.header import decode_header, make_header
from typing import Any

import pytest
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.core.selectors import practice_timezone_name, practice_today
from openpractice.core.tests.smtp import Mailbox
from openpractice.reporting import services_calendar, tasks_calendar
from openpractice.reporting.models import CalendarDigest
from openpractice.reporting.services_calendar import calendar_digest_set, calendar_digests_send

from .calendar_support import located_obligations, practice_wide_obligations

pytestmark = pytest.mark.django_db


def _monday(hour: int, weeks: int = 0) -> dt.datetime:
    """This week's Monday (practice time) at `hour`, `weeks` later."""
    today = practice_today()
    monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=weeks)
    return dt.datetime.combine(monday, dt.time(hour, 5), tzinfo=zoneinfo.ZoneInfo(practice_timezone_name()))


def _bodies(message: Any) -> dict[str, str]:
    return {part.get_content_type(): part.get_payload(decode=True).decode() for part in message.walk()
            if part.get_content_type() in ("text/plain", "text/html")}


@pytest.fixture
def manager(make_user: Callable[..., User]) -> User:
    return make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, username="senior-pm", email="dana@clinic.example")


@pytest.fixture
def obligations(manager: User, north: Location) -> Any:
    """Dated from this week's Monday, the day the digest goes."""
    today = _monday(8).date()
    made = located_obligations(location=north, actor=manager, today=today)
    return practice_wide_obligations(actor=manager, today=today, made=made)


def test_the_digest_arrives_at_the_smtp_server_once_a_week(
        smtp_server: Mailbox, manager: User, obligations: Any) -> None:
    assert calendar_digests_send(now=_monday(8)) == 1

    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "dana@clinic.example"
    subject = str(make_header(decode_header(message["Subject"])))
    assert re.match(r"\d+ overdue, \d+ due soon — your compliance calendar", subject)
    bodies = _bodies(message)
    assert set(bodies) == {"text/plain", "text/html"}
    claim = obligations.objects["timely_filing"][0]
    for body in bodies.values():
        assert claim.claim_number in body
        assert f"http://testserver/billing/claims/{claim.pk}/" in body
        assert "http://testserver/calendar/" in body
        for name in obligations.patient_names:
            assert name not in body
    assert CalendarDigest.objects.get(user=manager).last_sent_on == _monday(8).date()
    assert AuditEvent.objects.filter(action="reporting.calendar_digest_sent").count() == 1

    # The job runs every hour: later that Monday, and the days after, nothing goes twice.
    assert calendar_digests_send(now=_monday(15)) == 0
    assert calendar_digests_send(now=_monday(9) + dt.timedelta(days=1)) == 0
    assert len(smtp_server.messages) == 1

    assert calendar_digests_send(now=_monday(8, weeks=1)) == 1
    assert len(smtp_server.messages) == 2


def test_nothing_goes_before_monday_morning_nor_on_other_days(
        smtp_server: Mailbox, manager: User, obligations: Any) -> None:
    assert calendar_digests_send(now=_monday(6)) == 0
    assert calendar_digests_send(now=_monday(8) + dt.timedelta(days=2)) == 0
    assert smtp_server.messages == []
    assert CalendarDigest.objects.filter(last_sent_on__isnull=False).count() == 0


def test_only_active_people_with_the_digest_on_and_something_to_say_get_one(
        smtp_server: Mailbox, make_user: Callable[..., User], manager: User, obligations: Any,
        administrator: User) -> None:
    off = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, username="off", email="off@clinic.example")
    calendar_digest_set(actor=off, enabled=False)
    gone = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, username="gone", email="gone@clinic.example",
                     is_active=False)

    assert calendar_digests_send(now=_monday(8)) == 1

    assert [message["To"] for message in smtp_server.messages] == ["dana@clinic.example"]
    assert not CalendarDigest.objects.filter(user__in=[off, gone, administrator], last_sent_on__isnull=False).exists()


def test_one_persons_failure_does_not_stop_the_others(
        smtp_server: Mailbox, make_user: Callable[..., User], manager: User, obligations: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, username="other", email="other@clinic.example")
    real = services_calendar.digest_items

    def failing_for_manager(*, actor: User, today: dt.date) -> Any:
        if actor.pk == manager.pk:
            raise RuntimeError("a bad row")
        return real(actor=actor, today=today)

    monkeypatch.setattr(services_calendar, "digest_items", failing_for_manager)

    assert calendar_digests_send(now=_monday(8)) == 1

    assert [message["To"] for message in smtp_server.messages] == ["other@clinic.example"]
    assert CalendarDigest.objects.get(user=manager).last_sent_on is None  # tried again at the next run
    monkeypatch.setattr(services_calendar, "digest_items", real)
    assert calendar_digests_send(now=_monday(9)) == 1
    assert [message["To"] for message in smtp_server.messages] == ["other@clinic.example", "dana@clinic.example"]


def test_a_refused_message_is_not_marked_sent(
        settings: Any, manager: User, obligations: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there

    assert calendar_digests_send(now=_monday(8)) == 0

    assert CalendarDigest.objects.get(user=manager).last_sent_on is None


def test_the_periodic_task_sends_the_digest(
        smtp_server: Mailbox, manager: User, obligations: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monday = _monday(8)
    monkeypatch.setattr(timezone, "now", lambda: monday.astimezone(dt.UTC))

    assert tasks_calendar.send_calendar_digests.call_local() == 1
    assert tasks_calendar.send_calendar_digests.call_local() == 0

    assert len(smtp_server.messages) == 1
