"""The breach clock: pure date arithmetic (no database) — 60 calendar days, the year-end HHS log, 500 thresholds,
and which alert is due on a given day."""

from __future__ import annotations

import datetime as dt

import pytest

from openpractice.compliance.choices import NotificationAudience as A
from openpractice.compliance.services import breach_clock as clock

D = dt.date


@pytest.mark.parametrize(("discovered", "due"), [
    # US daylight saving 2025: starts Sunday March 9, ends Sunday November 2.
    (D(2025, 3, 8), D(2025, 5, 7)),
    (D(2025, 3, 9), D(2025, 5, 8)),
    (D(2025, 3, 10), D(2025, 5, 9)),
    (D(2025, 11, 1), D(2025, 12, 31)),
    (D(2025, 11, 2), D(2026, 1, 1)),
    (D(2025, 11, 3), D(2026, 1, 2)),
    (D(2024, 1, 1), D(2024, 3, 1)),  # through a leap February
])
def test_individuals_are_due_sixty_calendar_days_after_discovery(discovered: dt.date, due: dt.date) -> None:
    assert clock.individuals_due(discovered) == due
    assert (due - discovered).days == 60


@pytest.mark.parametrize(("discovered", "due"), [
    (D(2025, 1, 1), D(2026, 3, 1)),
    (D(2025, 12, 31), D(2026, 3, 1)),
    (D(2023, 6, 15), D(2024, 2, 29)),  # the year after is a leap year
    (D(2024, 6, 15), D(2025, 3, 1)),
])
def test_the_hhs_log_is_due_sixty_days_after_the_discovery_year_ends(discovered: dt.date, due: dt.date) -> None:
    assert clock.hhs_annual_due(discovered) == due


def _kinds(total: int, per_state: dict[str, int]) -> list[tuple[str, str]]:
    return [(due.audience, due.state) for due in clock.deadlines(discovered_on=D(2025, 3, 8), total=total,
                                                                 per_state=per_state)]


def test_499_in_total_means_individuals_and_the_annual_hhs_log() -> None:
    due = clock.deadlines(discovered_on=D(2025, 3, 8), total=499, per_state={"NC": 499})
    assert [(d.audience, d.state, d.due_on) for d in due] == [
        (A.HHS_ANNUAL, "", D(2026, 3, 1)), (A.INDIVIDUALS, "", D(2025, 5, 7))]


def test_500_in_total_means_hhs_at_once_but_no_media_when_no_state_reaches_500() -> None:
    due = clock.deadlines(discovered_on=D(2025, 3, 8), total=500, per_state={"NC": 499, "VA": 1})
    assert [(d.audience, d.state, d.due_on) for d in due] == [
        (A.HHS_NOW, "", D(2025, 5, 7)), (A.INDIVIDUALS, "", D(2025, 5, 7))]


def test_media_for_each_state_with_500_residents_on_the_individuals_date() -> None:
    assert _kinds(1200, {"NC": 500, "VA": 499, "SC": 700}) == [
        (A.HHS_NOW, ""), (A.INDIVIDUALS, ""), (A.MEDIA, "NC"), (A.MEDIA, "SC")]
    media = [d for d in clock.deadlines(discovered_on=D(2025, 3, 8), total=1200, per_state={"NC": 500})
             if d.audience == A.MEDIA]
    assert media[0].due_on == D(2025, 5, 7)


def test_states_may_not_add_up_to_more_than_the_total() -> None:
    assert clock.counts_problem(500, {"NC": 300, "VA": 200}) is None
    assert clock.counts_problem(500, {"NC": 300, "VA": 201}) == "states_exceed_total"
    assert clock.counts_problem(5, {"NC": -1}) == "negative"


@pytest.mark.parametrize(("today", "already", "expected"), [
    (D(2025, 4, 6), [], None),          # 31 days left
    (D(2025, 4, 7), [], 30),            # 30 days left
    (D(2025, 4, 10), [], 30),           # a missed run still warns
    (D(2025, 4, 10), [30], None),       # once
    (D(2025, 4, 23), [30], 14),
    (D(2025, 4, 30), [30, 14], 7),
    (D(2025, 5, 6), [30, 14, 7], 1),
    (D(2025, 5, 7), [30, 14, 7, 1], None),  # due today: the 1-day alert went yesterday
    (D(2025, 5, 8), [30, 14, 7, 1], clock.OVERDUE),
    (D(2025, 5, 9), [30, 14, 7, 1, clock.OVERDUE], None),
    (D(2025, 5, 1), [1], None),         # a more urgent alert went already
])
def test_each_alert_goes_once_at_30_14_7_1_days_and_when_overdue(
        today: dt.date, already: list[int], expected: int | None) -> None:
    assert clock.alert_due(due_on=D(2025, 5, 7), today=today, already=already) == expected
