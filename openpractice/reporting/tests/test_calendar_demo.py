"""The calendar's demo seeder: every demo person's digest setting, and a live feed for the senior practice manager."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.reporting.demo_calendar import seed_calendar
from openpractice.reporting.models import CalendarDigest, CalendarFeed

pytestmark = pytest.mark.django_db


def test_demo_people_get_a_digest_setting_and_the_senior_manager_a_feed(
        make_user: Callable[..., User], administrator: User) -> None:
    users = {"pm_senior": make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, username="pm_senior"),
             "hr": make_user(Role.HR, username="hr"), "admin": administrator}
    context: dict[str, object] = {"users": users, "report": []}

    seed_calendar(context)

    assert dict(CalendarDigest.objects.values_list("user__username", "enabled")) == {
        "pm_senior": True, "hr": True, "admin": False}  # the administrator's roles open no source
    assert list(CalendarFeed.objects.filter(revoked_at__isnull=True).values_list("user__username", flat=True)) == [
        "pm_senior"]
    assert context["report"] == ["reporting: 2 calendar digests on, one calendar feed"]
