"""The warm-up job: figures computed once per scope of the dashboards' readers, so their first view is cheap."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.core.models import Location
from openpractice.reporting.tasks_dashboards import dashboards_warm

pytestmark = pytest.mark.django_db


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_warm_up_runs_once_per_scope_and_spares_the_first_view_its_figures(
        make_user: Callable[..., User], signed_in: Callable[[User], Client], north: Location) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, username="pm-all")
    make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, username="pm-all-too")  # the same scope: no second warm-up
    make_user(Role.FRONT_DESK, locations=[north], username="desk")  # reads no dashboard: skipped
    url = reverse("reporting:dashboard_practice")
    client = signed_in(manager)
    cold = _queries(client, url)
    cache.clear()
    assert dashboards_warm() == 1
    warm = _queries(client, url)
    assert warm < cold
