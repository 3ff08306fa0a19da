"""Workforce reports: headcount on a day, hires, separations and turnover (DOMAIN.md: separations ÷ average
headcount), headcount by location and position, overdue training and expiring credentials, within the viewer's
locations; a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.roles import Role, Tier
from openpractice.workforce.models import TrainingAssignment
from openpractice.workforce.selectors.reports import workforce_report

from .factories import CourseFactory, EmployeeCredentialFactory, EmployeeFactory, PositionFactory

pytestmark = pytest.mark.django_db

START, END = dt.date(2025, 1, 1), dt.date(2025, 12, 31)


@pytest.fixture
def staff(north: Any, south: Any) -> dict[str, Any]:
    desk = PositionFactory(title="Front desk")
    people = {
        "long": EmployeeFactory(location=north, position=desk, hire_date=dt.date(2020, 5, 1)),
        "hired": EmployeeFactory(location=north, position=desk, hire_date=dt.date(2025, 6, 1)),
        "left": EmployeeFactory(location=north, hire_date=dt.date(2021, 1, 1), status="terminated",
                                termination_date=dt.date(2025, 3, 15)),
        "left_before": EmployeeFactory(location=north, hire_date=dt.date(2019, 1, 1), status="terminated",
                                       termination_date=dt.date(2024, 6, 30)),
        "south": EmployeeFactory(location=south, hire_date=dt.date(2022, 1, 1)),
    }
    course = CourseFactory()
    TrainingAssignment.objects.create(employee=people["long"], course=course, assigned_on=dt.date(2025, 11, 1),
                                      due_on=dt.date(2025, 12, 1))  # overdue at the end of the period
    EmployeeCredentialFactory(employee=people["long"], issued_on=dt.date(2024, 1, 1), expires_on=dt.date(2026, 2, 1))
    EmployeeCredentialFactory(employee=people["hired"], issued_on=dt.date(2023, 1, 1), expires_on=dt.date(2025, 7, 1))
    return people


def test_headcount_turnover_and_due_items_for_the_viewers_locations(make_user: Any, north: Any,
                                                                    staff: dict[str, Any]) -> None:
    hr_north = make_user(Role.HR, locations=[north])
    report = workforce_report(actor=hr_north, start=START, end=END)
    # North: on 1 January long + left employed (2); on 31 December long + hired (2); one separation in the year.
    assert (report.headcount_start, report.headcount_end, report.hires, report.separations) == (2, 2, 1, 1)
    assert report.turnover_percent == Decimal("50.0")  # 1 ÷ ((2 + 2) / 2)
    assert [(row.label, row.count) for row in report.by_position] == [("Front desk", 2)]
    assert [(row.label, row.count) for row in report.by_location] == [("North Clinic", 2)]
    assert (report.overdue_training, report.credentials_expiring, report.credentials_expired) == (1, 1, 1)

    everyone = workforce_report(actor=make_user(Role.HR, username="hr-all"), start=START, end=END)
    assert (everyone.headcount_start, everyone.headcount_end) == (3, 3)


def test_nobody_employed_means_no_turnover_figure(make_user: Any, south: Any) -> None:
    report = workforce_report(actor=make_user(Role.HR, locations=[south]), start=START, end=END)
    assert report.turnover_percent is None


def test_the_page_needs_workforce_view_and_its_queries_do_not_grow(make_user: Any, signed_in: Any, north: Any,
                                                                    staff: dict[str, Any]) -> None:
    url = reverse("workforce:workforce_reports")
    assert signed_in(make_user(Role.FRONT_DESK, username="desk")).get(url).status_code == 404
    client = signed_in(make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north]))
    page = client.get(url, {"start": START.isoformat(), "end": END.isoformat()})
    assert page.status_code == 200
    assert '<dd id="turnover">50.0%</dd>' in page.content.decode()
    with CaptureQueriesContext(connection) as few:
        client.get(url, {"start": START.isoformat(), "end": END.isoformat()})
    for n in range(15):
        EmployeeFactory(location=north, position=PositionFactory(), hire_date=dt.date(2024, 1, 1 + n))
    with CaptureQueriesContext(connection) as many:
        client.get(url, {"start": START.isoformat(), "end": END.isoformat()})
    assert len(many) == len(few)


def test_bad_dates_are_refused_with_a_message_and_the_default_period(make_user: Any, signed_in: Any) -> None:
    client = signed_in(make_user(Role.HR, username="hr-dates"))
    url = reverse("workforce:workforce_reports")
    assert client.get(url, {"start": "2025-13-40"}).status_code == 400
    backwards = client.get(url, {"start": "2025-12-31", "end": "2025-01-01"})
    assert backwards.status_code == 400
    assert "ends before it starts" in backwards.content.decode()
