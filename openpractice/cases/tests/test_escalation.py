"""Escalation to the senior practice managers: the daily run with frozen dates (not acknowledged in time, not
resolved in time), once per case, a mail through a real local SMTP server to the seniors covering the case with no
words of the complaint, a mail server that is down, and escalating by hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from email.message import Message
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.cases import selectors, services, tasks
from openpractice.cases.choices import CaseStatus, EntryKind, Outcome
from openpractice.cases.models import Case
from openpractice.core.models import Location
from openpractice.core.tests.smtp import Mailbox, free_port

from .support import events, state

pytestmark = pytest.mark.django_db
D = dt.date
# CaseFactory: received 2026-03-02, acknowledge by 2026-03-05, resolve by 2026-04-01.
SECRET_WORDS = ("March", "billed", "twice", "card", "Dana", "Reyes", "Elm")


def _body(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


@pytest.fixture
def seniors(make_user: Callable[..., User], north: Location, south: Location) -> dict[str, User]:
    return {
        "north": make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north], email="North.Senior@example.test"),
        "all": make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, email="chief@example.test"),
        "south": make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[south], email="south@example.test"),
        "advanced": make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED, locations=[north], email="adv@example.test"),
    }


def test_a_case_not_acknowledged_in_time_is_escalated_once(make_case: Callable[..., Case]) -> None:
    case = make_case()
    assert services.overdue_escalate(today=D(2026, 3, 5)) == 0  # the due day itself is still in time
    assert services.overdue_escalate(today=D(2026, 3, 6)) == 1
    stored = Case.objects.get(pk=case.pk)
    assert stored.escalated_at is not None
    assert stored.status == CaseStatus.NEW
    entry = selectors.timeline(case)[-1]
    assert (entry.kind, entry.author) == (EntryKind.ESCALATED, None)
    assert "not acknowledged by 2026-03-05" in entry.body
    assert services.overdue_escalate(today=D(2026, 3, 7)) == 0
    assert services.overdue_escalate(today=D(2026, 4, 20)) == 0  # late for resolving too: still once
    [event] = events("cases.case_escalated")
    assert (event.actor, event.object_id, event.reason) == (None, str(case.pk), "not acknowledged by 2026-03-05")


def test_an_acknowledged_case_is_escalated_when_not_resolved_in_time(make_case: Callable[..., Case]) -> None:
    case = make_case(status=CaseStatus.ACKNOWLEDGED)
    assert services.overdue_escalate(today=D(2026, 3, 20)) == 0
    assert services.overdue_escalate(today=D(2026, 4, 1)) == 0
    assert services.overdue_escalate(today=D(2026, 4, 2)) == 1
    assert "not resolved by 2026-04-01" in selectors.timeline(case)[-1].body


def test_resolved_and_closed_cases_are_never_escalated(make_case: Callable[..., Case]) -> None:
    for status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        make_case(status=status, outcome=Outcome.UPHELD, resolution="Refunded.")
    before = state()
    assert services.overdue_escalate(today=D(2027, 1, 1)) == 0
    assert state() == before


def test_the_daily_task_uses_the_practice_day(make_case: Callable[..., Case], monkeypatch: pytest.MonkeyPatch) -> None:
    case = make_case()
    monkeypatch.setattr(services, "practice_today", lambda: D(2026, 3, 5))
    assert tasks.escalate_overdue_cases.call_local() == 0
    monkeypatch.setattr(services, "practice_today", lambda: D(2026, 3, 6))
    assert tasks.escalate_overdue_cases.call_local() == 1
    assert Case.objects.get(pk=case.pk).escalated_at is not None


def test_the_mail_goes_to_the_senior_practice_managers_covering_the_case_without_the_complaint(
        smtp_server: Mailbox, seniors: dict[str, User], make_case: Callable[..., Case],
        django_capture_on_commit_callbacks: Any) -> None:
    case = make_case()
    wide = make_case(location=None)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.overdue_escalate(today=D(2026, 3, 6)) == 2
    by_case: dict[str, list[str]] = {}
    for message in smtp_server.messages:
        by_case.setdefault(message["Subject"], []).append(message["To"])
    assert by_case == {f"Case {case.number} escalated to you": ["north.senior@example.test", "chief@example.test"],
                       f"Case {wide.number} escalated to you": ["chief@example.test"]}
    body = _body(smtp_server.messages[0])
    assert case.number in body
    assert "not acknowledged by 2026-03-05" in body
    assert f"http://testserver/cases/{case.pk}/" in body
    for word in (*SECRET_WORDS, case.subject):
        assert word not in body


def test_a_mail_server_that_is_down_does_not_undo_the_escalation(
        settings: Any, seniors: dict[str, User], make_case: Callable[..., Case],
        django_capture_on_commit_callbacks: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    case = make_case()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert services.overdue_escalate(today=D(2026, 3, 6)) == 1
    assert len(callbacks) == 1
    assert Case.objects.get(pk=case.pk).escalated_at is not None
    assert len(events("cases.case_escalated")) == 1
    assert services.overdue_escalate(today=D(2026, 3, 7)) == 0


def test_escalating_by_hand_needs_a_reason_and_an_open_case_not_yet_escalated(
        pm_entry: User, make_case: Callable[..., Case]) -> None:
    case = make_case()
    before = state()
    with pytest.raises(ValidationError) as error:
        services.case_escalate(actor=pm_entry, case=case, reason="  ")
    assert "reason" in error.value.message_dict
    done = make_case(status=CaseStatus.RESOLVED, outcome=Outcome.UPHELD, resolution="Refunded.")
    before = state()
    with pytest.raises(ValidationError):
        services.case_escalate(actor=pm_entry, case=done, reason="Too late")
    assert state() == before
    services.case_escalate(actor=pm_entry, case=case, reason="Threatens legal action")
    assert case.escalated_at is not None
    before = state()
    with pytest.raises(ValidationError):
        services.case_escalate(actor=pm_entry, case=case, reason="Again")
    assert state() == before
    assert services.overdue_escalate(today=D(2026, 5, 1)) == 0  # already escalated


def test_the_reason_given_by_hand_stays_on_the_encrypted_timeline_not_in_the_audit_log_or_the_mail(
        smtp_server: Mailbox, seniors: dict[str, User], pm_entry: User, make_case: Callable[..., Case],
        django_capture_on_commit_callbacks: Any) -> None:
    case = make_case()
    reason = "Dana Reyes says her lawyer will sue over the HIV test bill"
    with django_capture_on_commit_callbacks(execute=True):
        services.case_escalate(actor=pm_entry, case=case, reason=reason)
    assert reason in selectors.timeline(case)[-1].body
    [event] = events("cases.case_escalated")
    assert event.actor == pm_entry
    assert "Dana" not in event.reason
    assert "HIV" not in event.reason
    assert sorted(message["To"] for message in smtp_server.messages) == ["chief@example.test",
                                                                         "north.senior@example.test"]
    body = _body(smtp_server.messages[0])
    assert "HIV" not in body
    assert "Dana" not in body
    assert "lawyer" not in body
    assert case.number in body
