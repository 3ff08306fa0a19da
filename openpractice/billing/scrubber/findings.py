"""What the scrubber reports: one finding per problem, in words a biller understands."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise

from ..choices import Severity


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem on a claim (or on one of its lines).

    `rule` is a stable code ("npi_check_digit", "practice_12") that tests, reports and the claim page key on;
    `message` says what is wrong and `fix_hint` where to put it right.
    """

    rule: str
    severity: str
    message: str
    fix_hint: str = ""
    line_number: int | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == Severity.ERROR


def error(rule: str, message: str | Promise, fix_hint: str | Promise = "", *, line: int | None = None) -> Finding:
    return Finding(rule=rule, severity=Severity.ERROR, message=str(message), fix_hint=str(fix_hint), line_number=line)


def warning(rule: str, message: str | Promise, fix_hint: str | Promise = "", *, line: int | None = None) -> Finding:
    return Finding(rule=rule, severity=Severity.WARNING, message=str(message), fix_hint=str(fix_hint),
                   line_number=line)


def has_error(findings: list[Finding] | tuple[Finding, ...]) -> bool:
    return any(finding.is_error for finding in findings)


def first_error(findings: list[Finding] | tuple[Finding, ...]) -> Finding | None:
    return next((finding for finding in findings if finding.is_error), None)
