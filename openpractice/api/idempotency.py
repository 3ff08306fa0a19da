"""`@idempotent`: the Idempotency-Key contract on an API operation that moves money or stock.

    @router.post("/{int:order_id}/receipts", response={201: OrderDetailOut, **WRITE_RESPONSES}, ...)
    @idempotent
    def purchase_order_receive(request, order_id: int, payload: ReceiptIn): ...

The header is required (400 `idempotency_key_required` / `idempotency_key_invalid`). The first call with a key
runs; its answer (any status below 500) is kept 24 hours. A retry with the same key, method, path and body gets
that answer again (same status and body, header `Idempotent-Replayed: true`) and nothing is done twice; another
body or path under the key answers 409 `idempotency_key_reused`; a retry while the first call is still running
answers 409 `idempotency_in_progress`. A call that failed on our side (5xx, or raised) keeps nothing: retry it.

The decorator also documents all this in the operation's OpenAPI (header parameter, 400/409 answers, the
Idempotent-Replayed response header, a paragraph in the description). /payments and /stock-movements keep their
own service-level keys (the key is stored on the payment or movement itself) and only share IDEMPOTENCY_PARAMETER.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.utils.translation import gettext as _
from ninja.decorators import decorate_view
from ninja.operation import Operation
from ninja.utils import contribute_operation_callback
from pydantic import BaseModel

from openpractice.integrations import idempotency as services
from openpractice.integrations.models import IdempotencyRecord

from .errors import ErrorOut, error_body

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = services.MAX_KEY_LENGTH
_PENDING = "_op_idempotency_record"

IDEMPOTENCY_PARAMETER: dict[str, Any] = {
    "in": "header", "name": HEADER, "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
    "example": "3f2b6c1e-8d4a-4f7e-9b1a-2c5d7e9f0a13",
    "description": f"Required. One key per operation you mean to do once (e.g. a UUID): printable, at most "
                   f"{MAX_KEY_LENGTH} characters, per user. A retry with the same key and body does nothing "
                   "twice; the same key with another body answers 409 `idempotency_key_reused`.",
}

DESCRIPTION = (
    "\n\n**Idempotency-Key** (header, required): a retry with the same key and the same body does nothing twice "
    "and answers exactly what the first call answered (same status and body, with the header "
    "`Idempotent-Replayed: true`). The same key with another body or path answers 409 `idempotency_key_reused`; "
    "while the first call is still running, 409 `idempotency_in_progress` (retry in a moment). A call that failed "
    "on our side (5xx) keeps nothing, so retry it with the same key. Keys are per user and kept 24 hours. Missing "
    "or unusable: 400 `idempotency_key_required` / `idempotency_key_invalid`."
)


def _fingerprint_part(value: Any) -> Any:
    """The JSON form of one parsed argument of the operation (an uploaded file by its name and content hash)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": value.name, "sha256": digest.hexdigest()}
    if isinstance(value, list | tuple):
        return [_fingerprint_part(part) for part in value]
    return value


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status)


def _replay(record: IdempotencyRecord) -> HttpResponse:
    assert record.status_code is not None
    response = HttpResponse(record.response_body, status=record.status_code, content_type="application/json")
    response[REPLAYED_HEADER] = "true"
    return response


def _claiming(view: Callable[..., Any]) -> Callable[..., Any]:
    """Around the operation's function (after authentication and parsing): check the key, claim it, and answer
    a replay or a conflict without calling the function."""

    @wraps(view)
    def wrapper(request: HttpRequest, **values: Any) -> Any:
        key = (request.headers.get(HEADER) or "").strip()
        problem = services.key_problem(key)
        if problem == "required":
            return _error(400, "idempotency_key_required", _(
                "Send an Idempotency-Key header (e.g. a UUID) so that a retried call cannot do this twice."))
        if problem == "invalid":
            return _error(400, "idempotency_key_invalid", _(
                "The Idempotency-Key must be printable text of at most %(n)s characters.") % {"n": MAX_KEY_LENGTH})
        body = {name: _fingerprint_part(value) for name, value in values.items()}
        claim = services.claim(user=request.user, key=key, method=request.method or "POST", path=request.path,
                               body=body)
        if claim.outcome is services.Outcome.REPLAY:
            return _replay(claim.record)
        if claim.outcome is services.Outcome.CONFLICT:
            return _error(409, "idempotency_key_reused", _(
                "This Idempotency-Key was already used for a different request. Use a new key for a new "
                "operation."))
        if claim.outcome is services.Outcome.IN_PROGRESS:
            response = _error(409, "idempotency_in_progress", _(
                "The first request with this Idempotency-Key is still being answered. Retry in a moment."))
            response["Retry-After"] = "1"
            return response
        setattr(request, _PENDING, claim.record)
        try:
            return view(request, **values)
        except BaseException:
            # Raised (the API turns it into a 4xx or 5xx answer): keep nothing, the client may retry.
            setattr(request, _PENDING, None)
            services.release(record=claim.record)
            raise

    return wrapper


def _storing(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Around the whole operation: keep the final answer of a claimed call (below 500), or release the claim."""

    @wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            response = run(request, *args, **kwargs)
        except BaseException:
            record = getattr(request, _PENDING, None)
            if record is not None:
                services.release(record=record)
            raise
        record = getattr(request, _PENDING, None)
        if record is not None:
            setattr(request, _PENDING, None)
            if response.status_code < 500 and isinstance(response, HttpResponse):
                services.store(record=record, status_code=response.status_code,
                               body=response.content.decode("utf-8", errors="replace"))
            else:
                services.release(record=record)
        return response

    return wrapper


def _document(operation: Operation) -> None:
    """Add the header, the 400/409 answers and the Idempotent-Replayed response header to the OpenAPI."""
    extra = dict(operation.openapi_extra or {})
    parameters = [p for p in extra.get("parameters", []) if p.get("name") != HEADER]
    extra["parameters"] = [IDEMPOTENCY_PARAMETER, *parameters]
    replayed = {REPLAYED_HEADER: {"description": "`true` when this is the stored answer to an earlier call with "
                                                 "the same Idempotency-Key.",
                                  "schema": {"type": "string", "enum": ["true"]}}}
    responses = dict(extra.get("responses", {}))
    for status in operation.response_models:
        if isinstance(status, int) and 200 <= status < 300:
            # ninja keys its responses by int: the same key here merges instead of doubling "201".
            responses[status] = {**responses.get(status, {}), "headers": replayed}
    extra["responses"] = responses
    operation.openapi_extra = extra
    for status in (400, 409):
        if status not in operation.response_models:
            operation.response_models[status] = operation._create_response_model(ErrorOut)
    if HEADER not in (operation.description or ""):
        operation.description = (operation.description or "") + DESCRIPTION


def _install(operation: Operation) -> None:
    operation.view_func = _claiming(operation.view_func)
    _document(operation)


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Put the Idempotency-Key contract on an operation; place it right under the @router.post line."""
    contribute_operation_callback(view, _install)
    return decorate_view(_storing)(view)
