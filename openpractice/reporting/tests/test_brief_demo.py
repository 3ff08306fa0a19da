"""The brief's demo data: settings naming the practice manager and the office manager plus an outside address,
saved by the practice manager, and three past weekly briefs produced by the real schedule run and mailed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail

from openpractice.accounts.models import User
from openpractice.core.selectors import practice_today
from openpractice.reporting.choices import BriefStatus
from openpractice.reporting.demo_brief import OWNERS_ADDRESS, seed_brief
from openpractice.reporting.models import Brief, BriefSettings

from . import brief_support as fx

pytestmark = pytest.mark.django_db
chief, office = fx.chief, fx.office


def test_the_demo_names_the_managers_and_the_owners_and_keeps_three_past_weeks(
        chief: User, office: User, django_capture_on_commit_callbacks: Callable[..., Any]) -> None:
    context: dict[str, Any] = {"users": {"pm_senior": chief, "om_experienced": office}, "report": []}
    with django_capture_on_commit_callbacks(execute=True):
        seed_brief(context)
    row = BriefSettings.objects.get()
    assert row.enabled
    assert row.updated_by == chief
    assert set(row.recipients.all()) == {chief, office}
    assert row.extra_recipients == OWNERS_ADDRESS
    briefs = list(Brief.objects.order_by("period_start"))
    assert len(briefs) == 3
    last_sunday = practice_today() - dt.timedelta(days=practice_today().weekday() + 1)
    assert [brief.period_end for brief in briefs] == [last_sunday - dt.timedelta(weeks=weeks) for weeks in (3, 2, 1)]
    assert {brief.status for brief in briefs} == {BriefStatus.SENT}
    assert all(bytes(brief.pdf).startswith(b"%PDF") for brief in briefs)
    assert len(mail.outbox) == 9
    assert context["report"] == ["reporting: operations brief settings and 3 past briefs"]
