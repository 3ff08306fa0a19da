"""The HTTP side of the FHIR facade: who is calling, content negotiation, and errors as OperationOutcome.

Callers authenticate exactly as on the REST API: a personal API token (`Authorization: Bearer ...`) or the
signed-in browser session (MFA done where it applies; CSRF on unsafe methods). Out of role or out of scope answers
404 and the denial is audited, like everywhere else.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from ninja.utils import check_csrf

from openpractice.accounts.mfa import mfa_pending

from ..auth import BearerTokenAuth
from ..throttling import check_rate
from .errors import FhirError, operation_outcome, outcome_for

logger = logging.getLogger("openpractice.fhir")

FHIR_JSON = "application/fhir+json"
CONTENT_TYPE = f"{FHIR_JSON}; fhirVersion=4.0; charset=utf-8"
JSON_TYPES = (FHIR_JSON, "application/json", "application/json+fhir", "json", "*/*", "application/*")
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
MAX_BODY_BYTES = 1_000_000


def fhir_response(data: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(json.dumps(data, separators=(",", ":"), ensure_ascii=False), status=status,
                            content_type=CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(error: FhirError) -> HttpResponse:
    return fhir_response(outcome_for(error), status=error.status, headers=error.headers)


def _authenticate(request: HttpRequest) -> bool:
    """True when the request carries a valid token or a fully signed-in session; request.user is then the caller."""
    if BearerTokenAuth()(request) is not None:
        return True
    if request.headers.get("Authorization"):
        return False  # a bad token is not rescued by a session cookie
    user = request.user
    if user.is_authenticated and user.is_active and not mfa_pending(user):
        request.api_auth_method = "session"  # type: ignore[attr-defined]
        return True
    return False


def _check_format(request: HttpRequest) -> None:
    """JSON only: `_format` and Accept may ask for JSON (any spelling FHIR allows) or nothing in particular."""
    wanted = request.GET.get("_format", "").strip().lower()
    if wanted and wanted not in JSON_TYPES:
        raise FhirError(406, "not-supported", "Only JSON is supported (_format=json or application/fhir+json).")
    accept = request.headers.get("Accept", "").lower()
    if accept and not wanted and not any(kind in accept for kind in JSON_TYPES):
        raise FhirError(406, "not-supported", "Only JSON is supported: accept application/fhir+json.")


def read_body(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON resource, or a 4xx FhirError."""
    content_type = request.content_type.lower() if request.content_type else ""
    if content_type not in (FHIR_JSON, "application/json"):
        raise FhirError(415, "not-supported", "Send the resource as application/fhir+json.")
    if len(request.body) > MAX_BODY_BYTES:
        raise FhirError(413, "too-costly", "The resource is too large.")
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise FhirError(400, "invalid", "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise FhirError(400, "invalid", "The body must be a JSON object (a FHIR resource).")
    return body


def _validation_outcome(error: ValidationError) -> dict[str, Any]:
    issues: list[tuple[str, str, str, list[str]]] = []
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            for message in messages:
                issues.append(("error", "invalid", message, [field] if field != "__all__" else []))
    else:
        issues = [("error", "invalid", message, []) for message in error.messages]
    return operation_outcome(issues or [("error", "invalid", "The request is not valid.", [])])


ViewFunc = Callable[..., HttpResponse]


def fhir_endpoint(view: ViewFunc) -> ViewFunc:
    """Authentication, rate limit, format, CSRF for sessions, and every error as an OperationOutcome."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            _check_format(request)
            if not _authenticate(request):
                raise FhirError(401, "login", "Authentication required: send 'Authorization: Bearer <token>'.",
                                headers={"WWW-Authenticate": 'Bearer realm="OpenPractice FHIR"'})
            session = getattr(request, "api_auth_method", "") == "session"
            if session and request.method in UNSAFE_METHODS and check_csrf(request) is not None:
                raise FhirError(403, "security", "CSRF check failed: send the X-CSRFToken header.")
            _check_rate(request)
            return view(request, *args, **kwargs)
        except FhirError as error:
            return error_response(error)
        except (Http404, PermissionDenied):
            # Out of role, out of scope and missing look the same (the denial was audited where it happened).
            return error_response(FhirError(404, "not-found", "Not found."))
        except ValidationError as error:
            return fhir_response(_validation_outcome(error), status=422)

    wrapper.required_permission = "fhir"  # type: ignore[attr-defined]
    return wrapper


def _check_rate(request: HttpRequest) -> None:
    """The REST API's per-token rate limit applies to FHIR calls too (one budget per token for both)."""
    wait = check_rate(request)
    if wait is not None:
        raise FhirError(429, "throttled", "Too many requests: slow down.", headers={"Retry-After": str(wait)})
