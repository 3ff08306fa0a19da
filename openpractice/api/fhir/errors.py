"""FHIR errors: every failure answers an OperationOutcome with an HTTP status."""

from __future__ import annotations

from typing import Any


class FhirError(Exception):
    """A refusal to answer with an OperationOutcome. `code` is from the FHIR issue-type value set
    (invalid, not-found, not-supported, processing, duplicate, conflict, security, login, throttled ...)."""

    def __init__(self, status: int, code: str, diagnostics: str, *, expression: list[str] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(diagnostics)
        self.status = status
        self.code = code
        self.diagnostics = diagnostics
        self.expression = expression or []
        self.headers = headers or {}


def operation_outcome(issues: list[tuple[str, str, str, list[str]]]) -> dict[str, Any]:
    """An OperationOutcome from (severity, code, diagnostics, expression) tuples."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {"severity": severity, "code": code, "diagnostics": diagnostics,
             **({"expression": expression} if expression else {})}
            for severity, code, diagnostics, expression in issues
        ],
    }


def outcome_for(error: FhirError) -> dict[str, Any]:
    return operation_outcome([("error", error.code, error.diagnostics, error.expression)])
