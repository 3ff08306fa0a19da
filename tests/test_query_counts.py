"""Busy pages cost the same number of queries with 3 rows as with 30."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import sign_in
from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import give_role, user_with_role
from openpractice.audit.services import record, record_denied
from openpractice.core.models import Practice
from openpractice.core.tests.factories import DepartmentFactory, LocationFactory, OpeningHoursFactory, PracticeFactory


def build(rows: int) -> Practice:
    """`rows` locations, each with two opening periods today-ish, a department and a staff member; audit rows."""
    practice = PracticeFactory()
    for n in range(rows):
        location = LocationFactory(practice=practice, name=f"Site {n:02d}", code=f"site-{n:02d}")
        for weekday in range(7):
            OpeningHoursFactory(location=location, weekday=weekday, opens_at=dt.time(8), closes_at=dt.time(12))
            OpeningHoursFactory(location=location, weekday=weekday, opens_at=dt.time(13), closes_at=dt.time(17))
        DepartmentFactory(practice=practice, location=location, name=f"Desk {n:02d}")
        staff = user_with_role(Role.FRONT_DESK, locations=[location], username=f"staff{n:02d}")
        record(actor=staff, action="test.event")
        record_denied(actor=staff, action="access.denied")
    return practice


def viewer() -> User:
    """Someone who sees every card of the home page: practice manager (senior) and auditor."""
    user = user_with_role(Role.PRACTICE_MANAGER, Tier.SENIOR, username="viewer")
    give_role(user, Role.AUDITOR)
    return user


def queries_for(client: Client, url: str) -> int:
    client.get(url)  # warm the per-process caches (practice settings) so both sizes are measured alike
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def count(rows: int, url_name: str, client: Client) -> int:
    build(rows)
    return queries_for(sign_in(client, viewer()), reverse(url_name))


@pytest.mark.parametrize("url_name", ["core:location_list", "core:department_list", "reporting:home"])
def test_query_count_does_not_grow_with_rows(
    url_name: str, django_db_blocker: object, client: Client, transactional_db: None,
    django_db_serialized_rollback: Callable[..., None] | None = None,
) -> None:
    few = count(3, url_name, client)
    # A second, bigger world in a clean database: flush what the first one wrote.
    from django.core.management import call_command

    call_command("flush", verbosity=0, interactive=False)
    client.logout()
    many = count(30, url_name, client)
    assert few == many, f"{url_name}: {few} queries with 3 rows, {many} with 30"
