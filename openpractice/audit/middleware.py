from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import context


class AuditContextMiddleware:
    """Binds the caller's address and browser to the request so `audit.record()` can add them.

    Not the location picked in the switcher: that is where the actor is looking, not where the audited object
    belongs, and reviewers limited to some locations are scoped by the object's location (see `record()`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = context.bind(
            context.RequestContext(
                ip_address=request.META.get("REMOTE_ADDR") or None,
                user_agent=(request.META.get("HTTP_USER_AGENT") or "")[:300],
            )
        )
        try:
            return self.get_response(request)
        finally:
            context.reset(token)
