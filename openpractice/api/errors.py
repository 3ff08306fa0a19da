"""Every API error is JSON: {"code": "...", "message": "..."}, plus "errors" for validation failures.

Installed on the API by `install()`. Django-level answers that never reach an operation (an unknown path under
/api/v1/, a method the path does not accept) are made JSON by `json_fallbacks()`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

logger = logging.getLogger("openpractice.api")

AUTHENTICATE_HEADER = 'Bearer realm="OpenPractice API"'


class ErrorOut(Schema):
    code: str
    message: str


class FieldErrorOut(Schema):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(ErrorOut):
    errors: list[FieldErrorOut]


# The error bodies each operation may answer with, for the OpenAPI document.
# 429: over the caller's rate limit (api/throttling.py), with Retry-After.
COMMON_RESPONSES: dict[int, Any] = {401: ErrorOut, 404: ErrorOut, 429: ErrorOut}
WRITE_RESPONSES: dict[int, Any] = {**COMMON_RESPONSES, 403: ErrorOut, 422: ValidationErrorOut}


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "message": message, **extra}


def unauthenticated(request: HttpRequest | None = None) -> JsonResponse:
    response = JsonResponse(
        error_body("not_authenticated",
                   _("Authentication required: send 'Authorization: Bearer <token>' or sign in.")),
        status=401,
    )
    response["WWW-Authenticate"] = AUTHENTICATE_HEADER
    return response


def not_found(request: HttpRequest | None = None, *args: Any, **kwargs: Any) -> JsonResponse:
    return JsonResponse(error_body("not_found", _("Not found.")), status=404)


def _django_validation_errors(exc: DjangoValidationError) -> list[dict[str, Any]]:
    if hasattr(exc, "error_dict"):
        return [
            {"loc": ["body", field], "msg": message, "type": "invalid"}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    return [{"loc": ["body"], "msg": message, "type": "invalid"} for message in exc.messages]


def _ninja_validation_errors(exc: NinjaValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": [str(part) if not isinstance(part, int) else part for part in error.get("loc", ())],
         "msg": str(error.get("msg", "")), "type": str(error.get("type", "invalid"))}
        for error in exc.errors
    ]


def install(api: NinjaAPI) -> None:
    """Replace django-ninja's default handlers with ones that answer in our error format."""

    def on_authentication(request: HttpRequest, exc: Any) -> HttpResponse:
        return unauthenticated(request)

    def on_not_found(request: HttpRequest, exc: Any) -> HttpResponse:
        return not_found(request)

    def on_permission_denied(request: HttpRequest, exc: Any) -> HttpResponse:
        # Services refuse (and audit) what the caller may not do; like the UI, the API answers "not found".
        return not_found(request)

    def on_validation(request: HttpRequest, exc: Any) -> HttpResponse:
        return api.create_response(
            request,
            error_body("validation_error", _("The request is not valid."), errors=_ninja_validation_errors(exc)),
            status=422,
        )

    def on_django_validation(request: HttpRequest, exc: Any) -> HttpResponse:
        return api.create_response(
            request,
            error_body("validation_error", _("The request is not valid."), errors=_django_validation_errors(exc)),
            status=422,
        )

    def on_http_error(request: HttpRequest, exc: Any) -> HttpResponse:
        codes = {400: "bad_request", 403: "forbidden", 405: "method_not_allowed", 429: "throttled"}
        code = codes.get(exc.status_code, "error")
        message = str(exc)
        if exc.status_code == 403 and "CSRF" in message:
            # Session callers must send the CSRF token on unsafe methods, exactly as the HTML forms do.
            code, message = "csrf_failed", _("CSRF check failed: send the X-CSRFToken header with the session.")
        response = api.create_response(request, error_body(code, message), status=exc.status_code)
        if isinstance(exc, Throttled) and exc.wait:
            response["Retry-After"] = str(int(exc.wait))
        return response

    def on_unexpected(request: HttpRequest, exc: Any) -> HttpResponse:
        logger.error("Unhandled error in API %s %s", request.method, request.path, exc_info=exc)
        return api.create_response(
            request, error_body("server_error", _("Something went wrong on our side. It has been logged.")),
            status=500,
        )

    def on_number_out_of_range(request: HttpRequest, exc: Any) -> HttpResponse:
        if not number_out_of_range(exc):
            return on_unexpected(request, exc)
        return api.create_response(
            request,
            error_body("validation_error", _("The request is not valid."),
                       errors=[{"loc": ["body"], "msg": _("A value in the request is out of range or contains a NUL "
                                                          "character."), "type": "out_of_range"}]),
            status=422,
        )

    api.add_exception_handler(Exception, on_unexpected)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(AuthenticationError, on_authentication)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(PermissionDenied, on_permission_denied)
    api.add_exception_handler(NinjaValidationError, on_validation)
    api.add_exception_handler(DjangoValidationError, on_django_validation)
    api.add_exception_handler(OverflowError, on_number_out_of_range)
    api.add_exception_handler(DataError, on_number_out_of_range)


def number_out_of_range(exc: BaseException) -> bool:
    """An id or count too large for the database's integers (SQLite and PostgreSQL hold 64 bits), or text with a
    NUL character (PostgreSQL), sent by the caller: bad input, not our failure. Pydantic's `int` has no upper
    bound, so any integer field or parameter without `le=` can carry one as far as the query."""
    if isinstance(exc, OverflowError):
        return "too large to convert to SQLite INTEGER" in str(exc)
    if not isinstance(exc, DataError):
        return False
    # psycopg refuses a NUL character in text before sending the query (PostgreSQL text cannot hold one).
    if "cannot contain NUL (0x00) bytes" in str(exc):
        return True
    # PostgreSQL: numeric_value_out_of_range (22003), e.g. "integer out of range" on insert.
    return getattr(exc.__cause__, "sqlstate", None) == "22003"


def declare_input_errors(document: dict[str, Any]) -> None:
    """Add to the OpenAPI document the errors any operation with input can answer, which routers do not list
    one by one: 422 for a query parameter, header or body that does not validate (django-ninja checks them before
    the operation runs), 400 for a body that is not JSON at all. Path parameters are matched by the URL patterns
    (a bad one is a 404), so they alone do not add 422."""
    components = document.setdefault("components", {}).setdefault("schemas", {})
    for model in (ErrorOut, ValidationErrorOut):
        if model.__name__ not in components:
            generated = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(generated.pop("$defs", {}))
            components[model.__name__] = generated
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            takes_input = any(parameter.get("in") != "path" for parameter in operation.get("parameters", []))
            if (takes_input or "requestBody" in operation) and 422 not in responses and "422" not in responses:
                responses[422] = _error_response("Unprocessable Entity", ValidationErrorOut)
            if "requestBody" in operation and 400 not in responses and "400" not in responses:
                responses[400] = _error_response("Bad Request", ErrorOut)


def _error_response(description: str, schema: type[Schema]) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema.__name__}"}}}}


def json_fallbacks(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap a route's view so django-ninja's plain-text 405 (and the root's bare 404) become our JSON errors."""

    @wraps(view)  # keeps csrf_exempt: CSRF is checked by the session authentication, not the middleware
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:  # the API root, which django-ninja answers by raising
            return not_found(request)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith("application/json"):
            allowed = response.get("Allow", "")
            body = error_body("method_not_allowed",
                              _("Method %(method)s is not allowed here.") % {"method": request.method},
                              allowed=[m.strip() for m in allowed.split(",") if m.strip()])
            json_response = HttpResponse(json.dumps(body), status=405, content_type="application/json")
            if allowed:
                json_response["Allow"] = allowed
            return json_response
        return response

    return wrapper
