"""Checks other apps add to booking without scheduling importing them (the import contract forbids it).

An app registers a check from its AppConfig.ready(): `register("workforce.licence", check)`. A check gets the
provider and the practice-local date of the visit and returns BookingIssue objects: a blocking one refuses the
booking (ValidationError on `provider`), the others let it through and are audited as flags on the appointment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError


@dataclass(frozen=True)
class BookingIssue:
    message: str
    blocking: bool = False
    code: str = "booking_check"


Check = Callable[[Any, dt.date], Iterable[BookingIssue]]

# Keyed by name, so ready() running twice (tests, reloads) does not register a check twice.
_checks: dict[str, Check] = {}


def register(name: str, check: Check) -> None:
    _checks[name] = check


def unregister(name: str) -> None:
    _checks.pop(name, None)


def registered() -> tuple[str, ...]:
    return tuple(_checks)


def run(*, provider: Any, on: dt.date) -> list[BookingIssue]:
    issues: list[BookingIssue] = []
    for check in list(_checks.values()):
        issues.extend(check(provider, on))
    return issues


def check_booking(*, provider: Any, on: dt.date) -> list[str]:
    """Raise ValidationError when a check refuses the booking; else return the flags' messages."""
    issues = run(provider=provider, on=on)
    blocking = [issue for issue in issues if issue.blocking]
    if blocking:
        raise ValidationError({"provider": [ValidationError(issue.message, code=issue.code) for issue in blocking]})
    return [issue.message for issue in issues]
