"""Busy pages cost the same number of queries with 3 rows as with 30."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import give_role, sign_in, user_with_role
from openpractice.audit.services import record, record_denied
from openpractice.core.models import Practice
from openpractice.core.tests.factories import DepartmentFactory, LocationFactory, OpeningHoursFactory, PracticeFactory


def add_rows(practice: Practice, first: int, last: int) -> None:
    """Locations `first`..`last - 1`, each with two opening periods every day, a department, a staff member
    and audit rows (allowed and denied)."""
    for n in range(first, last):
        location = LocationFactory.create(practice=practice, name=f"Site {n:02d}", code=f"site-{n:02d}")
        for weekday in range(7):
            OpeningHoursFactory(location=location, weekday=weekday, opens_at=dt.time(8), closes_at=dt.time(12))
            OpeningHoursFactory(location=location, weekday=weekday, opens_at=dt.time(13), closes_at=dt.time(17))
        DepartmentFactory.create(practice=practice, location=location, name=f"Desk {n:02d}")
        staff = user_with_role(Role.FRONT_DESK, locations=[location], username=f"staff{n:02d}")
        record(actor=staff, action="test.event")
        record_denied(actor=staff, action="access.denied")


def queries_for(client: Client, url: str) -> int:
    client.get(url)  # warm the per-process caches (practice settings) so both sizes are measured alike
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("url_name", ["core:location_list", "core:department_list", "reporting:home"])
def test_query_count_does_not_grow_with_rows(url_name: str, db: None, client: Client) -> None:
    practice = PracticeFactory.create()
    # Someone who sees every card of the home page: practice manager (senior) and auditor, all locations.
    user = user_with_role(Role.PRACTICE_MANAGER, Tier.SENIOR, username="viewer")
    give_role(user, Role.AUDITOR)
    sign_in(client, user)
    url = reverse(url_name)
    add_rows(practice, 0, 3)
    few = queries_for(client, url)
    add_rows(practice, 3, 30)
    many = queries_for(client, url)
    assert few == many, f"{url_name}: {few} queries with 3 rows, {many} with 30"
