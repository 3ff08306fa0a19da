"""Shared fixtures of the operations brief tests: a fixed Monday morning, a hand-counted no-show KPI (8 visits and 2
no-shows in the brief's week, 5 and 1 the week before: 25.0% against 20.0%, target at most 10 / off past 15), brief
settings saved by a senior practice manager, and an SMTP server that refuses chosen addresses."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterator
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.core.tests.smtp import Mailbox, free_port
from openpractice.patients.tests.factories import PatientFactory
from openpractice.reporting.choices import BriefFrequency, Direction
from openpractice.reporting.models import Brief, BriefSettings, KpiTarget
from openpractice.reporting.services_brief import brief_settings_save
from openpractice.scheduling.tests.factories import AppointmentFactory, ProviderFactory

ZONE = zoneinfo.ZoneInfo("America/New_York")  # the PracticeFactory's zone
# Monday 9 March 2026, 08:00 in the practice: the weekly brief (Monday, 07:00) is due for 2-8 March.
MONDAY_8AM = dt.datetime(2026, 3, 9, 8, 0, tzinfo=ZONE)
WEEK = (dt.date(2026, 3, 2), dt.date(2026, 3, 8))
WEEK_BEFORE = (dt.date(2026, 2, 23), dt.date(2026, 3, 1))
OUTSIDE = "board@owners.example"


def visits(location: Location, day: dt.date, *, attended: int, no_shows: int) -> None:
    """`attended` completed visits and `no_shows` no-shows on `day` at 10:00 onwards."""
    provider = ProviderFactory(locations=[location])
    for index in range(attended + no_shows):
        starts_at = dt.datetime.combine(day, dt.time(10 + index % 6, 0), tzinfo=ZONE)
        AppointmentFactory(location=location, provider=provider, starts_at=starts_at,
                           patient=PatientFactory(home_location=location, last_name="Quigley"),
                           status="no_show" if index >= attended else "completed")


@pytest.fixture
def no_show_fixture(north: Location) -> None:
    visits(north, dt.date(2026, 3, 3), attended=4, no_shows=1)
    visits(north, dt.date(2026, 3, 5), attended=2, no_shows=1)  # the week: 8 scheduled, 2 no-shows
    visits(north, dt.date(2026, 2, 24), attended=4, no_shows=1)  # the week before: 5 scheduled, 1 no-show
    visits(north, dt.date(2026, 3, 10), attended=0, no_shows=3)  # after the week: not counted
    KpiTarget.objects.create(kpi="no_show_rate", direction=Direction.AT_MOST, target=10, warn_at=15)


@pytest.fixture
def chief(make_user: Callable[..., User]) -> User:
    return make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, email="dana@practice.example", first_name="Dana",
                     last_name="Whitfield")


@pytest.fixture
def office(make_user: Callable[..., User]) -> User:
    return make_user(Role.OFFICE_MANAGER, Tier.EXPERIENCED, email="linda@practice.example", first_name="Linda",
                     last_name="Ortiz")


@pytest.fixture
def brief_settings(chief: User, office: User) -> BriefSettings:
    return brief_settings_save(actor=chief, enabled=True, frequency=BriefFrequency.WEEKLY, weekday=0, hour=7,
                               recipients=[chief, office], extra_recipients=[OUTSIDE])


class PickyMailbox(Mailbox):
    """A mailbox that refuses the addresses in `refused` (550 at RCPT TO)."""

    def __init__(self, refused: set[str]) -> None:
        super().__init__()
        self.refused = refused

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        if address.lower() in self.refused:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def picky_smtp(settings: Any) -> Iterator[PickyMailbox]:
    mailbox = PickyMailbox({OUTSIDE})
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
    settings.OPENPRACTICE_BASE_URL = "http://testserver"
    try:
        yield mailbox
    finally:
        controller.stop()


def pdf_of(message: Message) -> bytes:
    [part] = [part for part in message.walk() if part.get_content_type() == "application/pdf"]
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload


def text_of(message: Message, subtype: str = "plain") -> str:
    [part] = [part for part in message.walk() if part.get_content_type() == f"text/{subtype}"]
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def state() -> tuple[Any, ...]:
    """What a refused request must leave alone: the briefs and the settings, recipients included."""
    row = BriefSettings.objects.order_by("pk").first()
    settings_state = None if row is None else (
        row.enabled, row.frequency, row.weekday, row.hour, row.extra_recipients, row.updated_by_id,
        tuple(sorted(row.recipients.values_list("pk", flat=True))))
    return (tuple(Brief.objects.order_by("pk").values_list("pk", "status", "error", "sent_at")), settings_state)


def denied(user: User) -> int:
    return AuditEvent.objects.filter(actor_id=user.pk, outcome="denied").count()
