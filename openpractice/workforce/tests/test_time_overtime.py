"""Overtime arithmetic (hypothesis): per workweek, regular + overtime == worked, overtime == max(0, worked - 40) for
non-exempt staff and 0 for exempt staff, whatever the split of the week's hours over its days; PTO and holidays
never count toward the threshold; a pay period cutting a week gets the overtime of its own days."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openpractice.workforce.choices import TimeKind
from openpractice.workforce.models import TimeEntry
from openpractice.workforce.selectors.time import split_overtime, totals_for, week_start

FORTY = Decimal(40)
MONDAY = dt.date(2025, 3, 3)

hours_st = st.decimals(min_value=0, max_value=24, places=2, allow_nan=False, allow_infinity=False)
week_st = st.lists(hours_st, min_size=7, max_size=7)


def _week(hours: list[Decimal], monday: dt.date = MONDAY) -> dict[dt.date, Decimal]:
    return {monday + dt.timedelta(days=n): h for n, h in enumerate(hours)}


def _sums(split: dict[dt.date, tuple[Decimal, Decimal]]) -> tuple[Decimal, Decimal]:
    return sum((r for r, _o in split.values()), Decimal(0)), sum((o for _r, o in split.values()), Decimal(0))


@given(week_st)
def test_regular_plus_overtime_is_worked_and_overtime_is_what_passes_forty(hours: list[Decimal]) -> None:
    split = split_overtime(_week(hours), threshold=FORTY, eligible=True)
    regular, overtime = _sums(split)
    worked = sum(hours, Decimal(0))
    assert regular + overtime == worked
    assert overtime == max(Decimal(0), worked - FORTY)
    assert all(r >= 0 and o >= 0 for r, o in split.values())


@given(week_st)
def test_exempt_staff_have_no_overtime(hours: list[Decimal]) -> None:
    regular, overtime = _sums(split_overtime(_week(hours), threshold=FORTY, eligible=False))
    assert overtime == 0
    assert regular == sum(hours, Decimal(0))


@given(week_st, st.randoms())
def test_any_split_of_a_weeks_hours_over_its_days_gives_the_same_totals(hours: list[Decimal], rnd: object) -> None:
    total = sum(hours, Decimal(0))
    # Spread the same total over the days differently (a shuffle, and all on as few days as 24 h allows).
    shuffled = list(hours)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    packed: list[Decimal] = []
    left = total
    for _n in range(7):
        packed.append(min(Decimal(24), left))
        left -= packed[-1]
    for variant in (shuffled, packed):
        assert sum(variant, Decimal(0)) == total
        assert _sums(split_overtime(_week(variant), threshold=FORTY, eligible=True)) == \
            _sums(split_overtime(_week(hours), threshold=FORTY, eligible=True))


@given(week_st, week_st)
def test_each_workweek_is_counted_on_its_own(first: list[Decimal], second: list[Decimal]) -> None:
    days = {**_week(first), **_week(second, MONDAY + dt.timedelta(days=7))}
    _regular, overtime = _sums(split_overtime(days, threshold=FORTY, eligible=True))
    assert overtime == max(Decimal(0), sum(first, Decimal(0)) - FORTY) + max(Decimal(0), sum(second, Decimal(0)) - FORTY)


@given(week_st, st.lists(hours_st, min_size=7, max_size=7))
def test_pto_and_holiday_hours_do_not_count_toward_overtime(worked: list[Decimal], paid_off: list[Decimal]) -> None:
    entries = [TimeEntry(work_date=MONDAY + dt.timedelta(days=n), kind=TimeKind.WORKED, hours=h)
               for n, h in enumerate(worked)]
    entries += [TimeEntry(work_date=MONDAY + dt.timedelta(days=n), kind=TimeKind.PTO if n % 2 else TimeKind.HOLIDAY,
                          hours=h) for n, h in enumerate(paid_off)]
    totals = totals_for(entries, threshold=FORTY, eligible=True, first=MONDAY, last=MONDAY + dt.timedelta(days=6))
    assert totals.overtime == max(Decimal(0), sum(worked, Decimal(0)) - FORTY)
    assert totals.pto + totals.holiday == sum(paid_off, Decimal(0))


def test_a_period_cutting_a_week_gets_the_overtime_of_its_own_days() -> None:
    # 10 h Monday to Friday: the 40 h are reached on Thursday, Friday's 10 h are overtime.
    entries = [TimeEntry(work_date=MONDAY + dt.timedelta(days=n), kind=TimeKind.WORKED, hours=Decimal(10))
               for n in range(5)]
    wednesday = MONDAY + dt.timedelta(days=2)
    early = totals_for(entries, threshold=FORTY, eligible=True, first=MONDAY - dt.timedelta(days=10), last=wednesday)
    late = totals_for(entries, threshold=FORTY, eligible=True, first=wednesday + dt.timedelta(days=1),
                      last=MONDAY + dt.timedelta(days=13))
    assert (early.regular, early.overtime) == (Decimal(30), Decimal(0))
    assert (late.regular, late.overtime) == (Decimal(10), Decimal(10))


@pytest.mark.parametrize("day", [dt.date(2025, 3, 3), dt.date(2025, 3, 6), dt.date(2025, 3, 9)])
def test_the_workweek_runs_monday_to_sunday(day: dt.date) -> None:
    assert week_start(day) == dt.date(2025, 3, 3)
