"""Reopening a closed pay period: workforce.payroll at every location, only the most recent closed period, a
reason required; audited; its time can be corrected again. Refusals change nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core.models import Location
from openpractice.workforce.choices import PayPeriodStatus
from openpractice.workforce.models import PayPeriod, TimeEntry
from openpractice.workforce.services import time as services
from openpractice.workforce.tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2025, 3, 3)


@pytest.fixture
def setup(make_user: Callable[..., User], north: Location) -> dict[str, Any]:
    payroll = make_user(Role.HR)
    user = make_user(Role.FRONT_DESK)
    employee = EmployeeFactory(user=user, location=north)
    services.timesheet_save_week(actor=user, employee=employee, week_of=MONDAY,
                                 hours={MONDAY + dt.timedelta(days=n): Decimal(8) for n in range(5)})
    first = services.pay_period_create(actor=payroll, starts_on=MONDAY, ends_on=MONDAY + dt.timedelta(days=13))
    second = services.pay_period_create(actor=payroll, starts_on=MONDAY + dt.timedelta(days=14),
                                        ends_on=MONDAY + dt.timedelta(days=27))
    services.pay_period_close(actor=payroll, period=first)
    services.pay_period_close(actor=payroll, period=second)
    return {"payroll": payroll, "user": user, "employee": employee, "first": first, "second": second,
            "partial": make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north])}


def _state() -> list[tuple[Any, ...]]:
    return [*PayPeriod.objects.order_by("pk").values_list("pk", "status", "closed_by_id", "closed_at"),
            *TimeEntry.objects.order_by("pk").values_list("pk", "hours")]


def test_the_most_recent_closed_period_reopens_with_a_reason_and_its_time_can_change(
        setup: dict[str, Any]) -> None:
    payroll, employee = setup["payroll"], setup["employee"]
    entry = TimeEntry.objects.filter(employee=employee).order_by("work_date").first()
    assert entry is not None
    services.pay_period_reopen(actor=payroll, period=setup["second"], reason="Missed holiday")
    # The first period is now the most recent closed one; its time is still frozen until it is reopened too.
    with pytest.raises(ValidationError):
        services.time_entry_update(actor=payroll, entry=entry, data={"hours": Decimal(6)})
    period = services.pay_period_reopen(actor=payroll, period=setup["first"], reason="Wrong hours on Monday")
    assert (period.status, period.closed_by, period.closed_at) == (PayPeriodStatus.OPEN, None, None)
    stored = PayPeriod.objects.get(pk=setup["first"].pk)
    assert (stored.status, stored.closed_by_id, stored.closed_at) == (PayPeriodStatus.OPEN, None, None)
    services.time_entry_update(actor=payroll, entry=entry, data={"hours": Decimal(6)})
    entry.refresh_from_db()
    assert entry.hours == Decimal(6)
    event = AuditEvent.objects.get(action="workforce.pay_period_reopened", object_id=str(setup["first"].pk))
    assert (event.actor_id, event.reason, event.outcome) == (payroll.pk, "Wrong hours on Monday", Outcome.ALLOWED)
    # Closed again, it freezes again.
    services.pay_period_close(actor=payroll, period=stored)
    with pytest.raises(ValidationError):
        services.time_entry_update(actor=payroll, entry=entry, data={"hours": Decimal(8)})


def test_reopen_refusals_change_nothing(setup: dict[str, Any]) -> None:
    payroll = setup["payroll"]
    before = _state()
    with pytest.raises(ValidationError) as missing:
        services.pay_period_reopen(actor=payroll, period=setup["second"], reason="  ")
    assert "reason" in missing.value.message_dict
    with pytest.raises(ValidationError, match="most recent"):
        services.pay_period_reopen(actor=payroll, period=setup["first"], reason="Older one")
    denied = AuditEvent.objects.filter(action="workforce.pay_period_reopen", outcome=Outcome.DENIED).count()
    with pytest.raises(PermissionDenied):  # payroll at one location only
        services.pay_period_reopen(actor=setup["partial"], period=setup["second"], reason="Mine")
    with pytest.raises(PermissionDenied):
        services.pay_period_reopen(actor=setup["user"], period=setup["second"], reason="Mine")
    assert AuditEvent.objects.filter(action="workforce.pay_period_reopen",
                                     outcome=Outcome.DENIED).count() == denied + 2
    assert _state() == before
    services.pay_period_reopen(actor=payroll, period=setup["second"], reason="Fix")
    with pytest.raises(ValidationError, match="open"):
        services.pay_period_reopen(actor=payroll, period=setup["second"], reason="Again")


def test_the_pay_period_page_reopens_the_latest_period(setup: dict[str, Any],
                                                       signed_in: Callable[[User], Client]) -> None:
    client = signed_in(setup["payroll"])
    page = client.get(reverse("workforce:payperiod_list")).content.decode()
    assert reverse("workforce:payperiod_reopen", args=[setup["second"].pk]) in page
    assert reverse("workforce:payperiod_reopen", args=[setup["first"].pk]) not in page
    url = reverse("workforce:payperiod_reopen", args=[setup["second"].pk])
    before = _state()
    assert client.post(url, {"reason": ""}).status_code == 302
    assert _state() == before
    assert client.post(url, {"reason": "Late timesheet"}).status_code == 302
    assert PayPeriod.objects.get(pk=setup["second"].pk).status == PayPeriodStatus.OPEN


def test_someone_without_payroll_cannot_reopen_through_the_page(setup: dict[str, Any],
                                                                signed_in: Callable[[User], Client]) -> None:
    client = signed_in(setup["user"])
    before = _state()
    response = client.post(reverse("workforce:payperiod_reopen", args=[setup["second"].pk]), {"reason": "Mine"})
    assert response.status_code == 404
    assert _state() == before
    assert AuditEvent.objects.filter(actor_id=setup["user"].pk, outcome=Outcome.DENIED).exists()

