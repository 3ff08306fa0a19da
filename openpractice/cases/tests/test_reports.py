"""Reports: open cases by age bucket and category, and cases received and resolved per category per month, against
hand-computed fixtures (bucket edges, month edges in the practice's time zone, America/New_York)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from openpractice.accounts.models import User
from openpractice.cases import selectors
from openpractice.cases.choices import CaseKind, CaseStatus, Outcome
from openpractice.cases.models import Case
from openpractice.cases.tests.factories import category
from openpractice.core.models import Location

pytestmark = pytest.mark.django_db
D = dt.date
UTC = dt.UTC


def test_open_cases_by_age_fall_in_the_right_buckets(pm_entry: User, make_case: Callable[..., Case],
                                                     south: Location) -> None:
    today = D(2026, 3, 31)
    billing, conduct = category(), category(name="Staff conduct")
    for age in (0, 7, 8, 30, 31, 60, 61, 90, 91, 400):
        make_case(category=billing, received_on=today - dt.timedelta(days=age))
    for age in (3, 45):
        make_case(category=conduct, received_on=today - dt.timedelta(days=age), status=CaseStatus.ACKNOWLEDGED)
    # Not counted: resolved or closed, another location, a kind the manager does not see.
    make_case(category=billing, received_on=today, status=CaseStatus.RESOLVED, outcome=Outcome.UPHELD,
              resolution="x")
    make_case(category=billing, received_on=today, status=CaseStatus.CLOSED, outcome=Outcome.UPHELD, resolution="x")
    make_case(category=billing, received_on=today, location=south)
    make_case(kind=CaseKind.STAFF, received_on=today)
    rows, totals = selectors.open_by_age(actor=pm_entry, today=today)
    assert [(row.category, row.counts, row.total) for row in rows] == [
        ("Billing dispute", [2, 2, 2, 2, 2], 10), ("Staff conduct", [1, 0, 1, 0, 0], 2)]
    assert totals == [3, 2, 3, 2, 2]
    assert [label for label, _low, _high in selectors.AGE_BUCKETS] == ["0-7", "8-30", "31-60", "61-90", "90+"]


def test_no_open_cases_no_rows(pm_entry: User) -> None:
    assert selectors.open_by_age(actor=pm_entry, today=D(2026, 3, 31)) == ([], [0, 0, 0, 0, 0])


def _resolved(make_case: Callable[..., Case], at: dt.datetime) -> Case:
    return make_case(received_on=D(2025, 11, 1), status=CaseStatus.RESOLVED, outcome=Outcome.UPHELD,
                     resolution="Refunded.", resolved_at=at)


def test_trends_count_received_and_resolved_per_practice_month(pm_senior: User, make_case: Callable[..., Case],
                                                               south: Location) -> None:
    for day in (D(2025, 12, 31), D(2026, 1, 1), D(2026, 2, 28), D(2026, 3, 1), D(2026, 3, 31), D(2026, 4, 2),
                D(2026, 5, 2)):  # the first and the last fall outside the four months
        make_case(received_on=day)
    make_case(kind=CaseKind.STAFF, category=category(CaseKind.STAFF, "Conflict between colleagues"),
              received_on=D(2026, 2, 1))
    make_case(received_on=D(2026, 3, 5), location=south)  # not visible at North
    for moment in (
        dt.datetime(2025, 12, 31, 23, 0, tzinfo=UTC),  # Dec 31 18:00 in New York: outside
        dt.datetime(2026, 1, 1, 4, 59, tzinfo=UTC),  # Dec 31 23:59 EST: outside
        dt.datetime(2026, 1, 1, 5, 0, tzinfo=UTC),  # Jan 1 00:00 EST: January
        dt.datetime(2026, 1, 31, 12, 0, tzinfo=UTC),  # January
        dt.datetime(2026, 3, 1, 4, 59, tzinfo=UTC),  # Feb 28 23:59 EST: February
        dt.datetime(2026, 4, 1, 3, 30, tzinfo=UTC),  # Mar 31 23:30 EDT (summer time): March
        dt.datetime(2026, 4, 1, 4, 0, tzinfo=UTC),  # Apr 1 00:00 EDT: April
    ):
        _resolved(make_case, moment)
    starts, rows = selectors.trends(actor=pm_senior, today=D(2026, 4, 10), months=4)
    assert starts == [D(2026, 1, 1), D(2026, 2, 1), D(2026, 3, 1), D(2026, 4, 1)]
    assert [(row.category, row.received, row.resolved) for row in rows] == [
        ("Billing dispute", [1, 1, 2, 1], [2, 1, 1, 1]),
        ("Conflict between colleagues", [0, 1, 0, 0], [0, 0, 0, 0])]


def test_twelve_months_run_across_the_new_year(pm_senior: User, make_case: Callable[..., Case]) -> None:
    make_case(received_on=D(2025, 2, 1))
    make_case(received_on=D(2025, 1, 31))  # thirteen months back: outside
    starts, rows = selectors.trends(actor=pm_senior, today=D(2026, 1, 15))
    assert starts[0] == D(2025, 2, 1)
    assert starts[-1] == D(2026, 1, 1)
    assert len(starts) == 12
    assert len({(start.year, start.month) for start in starts}) == 12
    assert [(row.category, row.received) for row in rows] == [("Billing dispute", [1] + [0] * 11)]
