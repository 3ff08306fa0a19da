from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import context


class AuditContextMiddleware:
    """Binds the caller's address and browser to the request so `audit.record()` can add them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        location_id = request.session.get("location_id") if hasattr(request, "session") else None
        token = context.bind(
            context.RequestContext(
                ip_address=request.META.get("REMOTE_ADDR") or None,
                user_agent=(request.META.get("HTTP_USER_AGENT") or "")[:300],
                location_id=location_id if isinstance(location_id, int) else None,
            )
        )
        try:
            return self.get_response(request)
        finally:
            context.reset(token)
