"""The breach notification clock (45 CFR 164.404-408) as pure date arithmetic: no database, no "now".

Every date is a calendar date in the practice's time zone, so adding days never meets a daylight-saving change:
the caller turns "today" into a local date first (core.selectors.practice_today) and passes dates in.

- Individuals: within 60 calendar days of discovery.
- 500 or more residents of one state: prominent media of that state, same deadline.
- 500 or more in total: HHS at the same time.
- Fewer than 500 in total: HHS log within 60 days after the end of the calendar year of discovery.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..choices import NotificationAudience

NOTICE_DAYS = 60
LARGE_BREACH = 500
# Alerts before a due date (days left), most distant first; OVERDUE once the date has passed.
ALERT_DAYS: tuple[int, ...] = (30, 14, 7, 1)
OVERDUE = -1


@dataclass(frozen=True, order=True)
class Due:
    """One notice a breach requires: to whom (state for the media of one state) and by when."""

    audience: str
    state: str
    due_on: dt.date


def individuals_due(discovered_on: dt.date) -> dt.date:
    return discovered_on + dt.timedelta(days=NOTICE_DAYS)


def hhs_annual_due(discovered_on: dt.date) -> dt.date:
    """60 days after December 31 of the discovery's year: March 1, or February 29 in a leap year."""
    return dt.date(discovered_on.year, 12, 31) + dt.timedelta(days=NOTICE_DAYS)


def counts_problem(total: int, per_state: Mapping[str, int]) -> str | None:
    """Why the counts cannot be right (None when they can): the states are part of the total."""
    if total < 0 or any(count < 0 for count in per_state.values()):
        return "negative"
    if sum(per_state.values()) > total:
        return "states_exceed_total"
    return None


def deadlines(*, discovered_on: dt.date, total: int, per_state: Mapping[str, int]) -> list[Due]:
    """Every notice a breach with these counts requires, sorted by audience then state."""
    due = individuals_due(discovered_on)
    wanted = [Due(NotificationAudience.INDIVIDUALS, "", due)]
    if total >= LARGE_BREACH:
        wanted.append(Due(NotificationAudience.HHS_NOW, "", due))
    else:
        wanted.append(Due(NotificationAudience.HHS_ANNUAL, "", hhs_annual_due(discovered_on)))
    wanted.extend(Due(NotificationAudience.MEDIA, state, due)
                  for state, count in sorted(per_state.items()) if count >= LARGE_BREACH)
    return sorted(wanted)


def days_left(due_on: dt.date, today: dt.date) -> int:
    """Calendar days until the due date: 0 on the day, negative once overdue."""
    return (due_on - today).days


def alert_due(*, due_on: dt.date, today: dt.date, already: Iterable[int]) -> int | None:
    """The alert to send today (a value of ALERT_DAYS, or OVERDUE), or None.

    The alert is the most urgent threshold reached, so a run missed on the 30th day still warns on the 29th; an
    alert is moot when it, or a more urgent one, went already (OVERDUE is the most urgent)."""
    left = days_left(due_on, today)
    if left < 0:
        threshold = OVERDUE
    else:
        reached = [days for days in ALERT_DAYS if left <= days]
        if not reached:
            return None
        threshold = min(reached)
    # OVERDUE (-1) sorts before every threshold: the smaller, the more urgent.
    if any(days <= threshold for days in already):
        return None
    return threshold
