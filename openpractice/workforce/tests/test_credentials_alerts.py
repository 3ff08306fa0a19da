"""Expiry alerts: 90, 60 and 30 days before and at expiry, each sent once, to the employee, their manager and
HR, through a real SMTP server; the clock is the `today` the daily run is given."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location
from openpractice.workforce.models import CredentialAlert, CredentialType, WorkforceSettings
from openpractice.workforce.services.credentials import credential_alerts_send
from openpractice.workforce.tasks import send_credential_expiry_alerts

from .factories import EmployeeCredentialFactory, EmployeeFactory

pytestmark = pytest.mark.django_db

EXPIRES = dt.date(2026, 9, 30)


@pytest.fixture
def people(make_user: Callable[..., User], north: Location, south: Location) -> dict[str, Any]:
    hr_north = make_user(Role.HR, locations=[north], username="hrn", email="hr.north@example.com")
    make_user(Role.HR, locations=[south], username="hrs", email="hr.south@example.com")  # not this clinic
    boss_user = make_user(Role.PRACTICE_MANAGER, "senior", username="boss", email="boss@example.com")
    boss = EmployeeFactory(user=boss_user, location=north)
    nurse_user = make_user(Role.CLINICAL_STAFF, username="nurse", email="nurse@example.com")
    nurse = EmployeeFactory(user=nurse_user, location=north, manager=boss, first_name="Nina")
    credential = EmployeeCredentialFactory(employee=nurse, credential_type=CredentialType.objects.get(code="RN"),
                                           added_by=hr_north, issued_on=dt.date(2024, 9, 30), expires_on=EXPIRES)
    return {"hr": hr_north, "boss": boss_user, "nurse": nurse_user, "employee": nurse, "credential": credential}


def recipients(smtp_server: Any) -> list[str]:
    return sorted(address for envelope in smtp_server.envelopes for address in envelope.rcpt_tos)


@pytest.mark.parametrize(("days_before", "threshold"), [(90, 90), (89, 90), (60, 60), (45, 60), (30, 30),
                                                        (1, 30), (0, 0), (-3, 0)])
def test_each_threshold_sends_once(people: dict[str, Any], smtp_server: Any, days_before: int,
                                   threshold: int) -> None:
    today = EXPIRES - dt.timedelta(days=days_before)
    assert credential_alerts_send(today=today) == 1
    assert recipients(smtp_server) == ["boss@example.com", "hr.north@example.com", "nurse@example.com"]
    message = smtp_server.messages[0]
    assert "RN" in message["Subject"]
    assert "Nina" in message["Subject"]
    body = message.get_payload(decode=True).decode()
    assert "09/30/2026" in body
    assert f"/workforce/credentials/{people['credential'].pk}/" in body
    alert = CredentialAlert.objects.get()
    assert alert.days_before == threshold
    assert sorted(alert.recipients) == sorted([people["nurse"].pk, people["boss"].pk, people["hr"].pk])
    # The same day again, and the next day inside the same threshold: nothing more.
    assert credential_alerts_send(today=today) == 0
    if days_before != 1:  # the day after 1 day left is expiry day: a new threshold
        assert credential_alerts_send(today=today + dt.timedelta(days=1)) == 0
    assert len(smtp_server.messages) == 3
    assert AuditEvent.objects.filter(action="credentials.expiry_alert_sent").count() == 1


def test_a_year_of_daily_runs_sends_four_alerts(people: dict[str, Any], smtp_server: Any) -> None:
    day = EXPIRES - dt.timedelta(days=120)
    while day <= EXPIRES + dt.timedelta(days=10):
        credential_alerts_send(today=day)
        day += dt.timedelta(days=1)
    assert sorted(CredentialAlert.objects.values_list("days_before", flat=True)) == [0, 30, 60, 90]
    assert len(smtp_server.messages) == 4 * 3
    sent_on = {message["Subject"] for message in smtp_server.messages}
    assert any("expires in 90 days" in subject for subject in sent_on)
    assert any("expires today" in subject for subject in sent_on)


def test_found_late_only_the_most_urgent_goes(people: dict[str, Any], smtp_server: Any) -> None:
    assert credential_alerts_send(today=EXPIRES - dt.timedelta(days=20)) == 1
    assert list(CredentialAlert.objects.values_list("days_before", flat=True)) == [30]
    assert credential_alerts_send(today=EXPIRES - dt.timedelta(days=10)) == 0


def test_practice_thresholds_and_renewed_or_departed_staff(people: dict[str, Any], smtp_server: Any) -> None:
    settings_row = WorkforceSettings.load()
    settings_row.credential_alert_days = [14]
    settings_row.save()
    assert credential_alerts_send(today=EXPIRES - dt.timedelta(days=30)) == 0
    assert credential_alerts_send(today=EXPIRES - dt.timedelta(days=14)) == 1
    renewed = people["credential"]
    EmployeeCredentialFactory(employee=people["employee"], credential_type=renewed.credential_type,
                              replaces=renewed, added_by=people["hr"], issued_on=EXPIRES,
                              expires_on=EXPIRES + dt.timedelta(days=730))
    assert credential_alerts_send(today=EXPIRES) == 0  # renewed: the old one is no longer held
    gone = EmployeeFactory(status="terminated", termination_date=dt.date(2026, 1, 1))
    EmployeeCredentialFactory(employee=gone, added_by=people["hr"], expires_on=EXPIRES)
    assert credential_alerts_send(today=EXPIRES) == 0


def test_mail_server_down_releases_the_claim(people: dict[str, Any], settings: Any) -> None:
    from openpractice.core.tests.smtp import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens there
    assert credential_alerts_send(today=EXPIRES - dt.timedelta(days=30)) == 0
    assert not CredentialAlert.objects.exists()


def test_daily_task_runs_the_alerts(people: dict[str, Any], mailoutbox: list[Any]) -> None:
    people["credential"].expires_on = dt.date.today() + dt.timedelta(days=29)
    people["credential"].save()
    send_credential_expiry_alerts.call_local()
    assert len(mailoutbox) == 3
    send_credential_expiry_alerts.call_local()
    assert len(mailoutbox) == 3
