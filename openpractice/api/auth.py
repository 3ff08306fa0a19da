"""Who is calling: a personal API token (Authorization: Bearer) or the browser's signed-in session.

Either way the caller ends up as `request.user`, so that permission checks and the audit trail treat API calls
exactly like page views.
"""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from ninja.security import APIKeyCookie, HttpBearer

from openpractice.accounts.mfa import mfa_pending, user_has_confirmed_device
from openpractice.accounts.services.tokens import token_lookup

from .errors import unauthenticated

TOKEN = "token"
SESSION = "session"


class BearerTokenAuth(HttpBearer):
    """`Authorization: Bearer op_xxxxxxxx_...`: a personal API token."""

    def __call__(self, request: HttpRequest) -> Any:
        # Parsed here rather than by HttpBearer, which logs the whole header (the secret) in DEBUG mode when
        # the scheme is not "Bearer".
        scheme, _space, credentials = (request.headers.get(self.header) or "").partition(" ")
        if scheme.lower() != self.openapi_scheme or not credentials.strip():
            return None
        return self.authenticate(request, credentials)

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = token_lookup(token.strip())
        if found is None:
            return None
        user = found.user
        # The token stands for the user: the same permission table and audit rows as their own session.
        request.user = user
        request.api_auth_method = TOKEN  # type: ignore[attr-defined]
        request.api_token_id = found.pk  # type: ignore[attr-defined]  # rate limits are per token
        return user


class SessionMFAAuth(APIKeyCookie):
    """The signed-in browser session, with CSRF required on unsafe methods and MFA done where it applies."""

    # Read when the API is built (after settings), not at import: the cookie name comes from settings.
    param_name = "op_session"

    def __init__(self, csrf: bool = True) -> None:
        from django.conf import settings

        self.param_name = settings.SESSION_COOKIE_NAME
        super().__init__(csrf=csrf)

    def _get_key(self, request: HttpRequest) -> str | None:
        # No usable session: answer 401, not a CSRF complaint. CSRF is checked only once there is a fully
        # signed-in session to protect.
        user = request.user
        if not user.is_authenticated or not user.is_active or mfa_pending(user):
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if key is None:
            return None
        request.api_auth_method = SESSION  # type: ignore[attr-defined]
        return request.user


def docs_require_sign_in(view: Any) -> Any:
    """The API documentation is for signed-in staff: the OpenAPI JSON answers 401 JSON to anyone else, the
    docs page sends a browser to sign in (or to finish MFA). The JSON also accepts a personal API token, so
    that client generators can fetch it."""
    wants_json = getattr(view, "func", None) is not None and view.func.__name__ == "openapi_json"
    bearer = BearerTokenAuth()

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if wants_json and bearer(request) is not None:
            return view(request, *args, **kwargs)
        user = request.user
        if not user.is_authenticated or not user.is_active:
            if wants_json:
                return unauthenticated(request)
            return redirect_to_login(request.get_full_path())
        if mfa_pending(user):
            if wants_json:
                return unauthenticated(request)
            if user_has_confirmed_device(user):
                return redirect(f"{reverse('accounts:mfa_verify')}?next={request.get_full_path()}")
            return redirect(reverse("accounts:mfa_setup"))
        return view(request, *args, **kwargs)

    return wrapper
