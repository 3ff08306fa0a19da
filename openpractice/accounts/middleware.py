"""Session rules from the HIPAA Security Rule: automatic logoff when idle, an absolute limit, and MFA for the
roles that need it before any page is served."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from openpractice.core.selectors import practice_settings

from .mfa import mfa_pending, user_has_confirmed_device
from .services.sessions import session_end

SESSION_STARTED = "op_auth_started"
SESSION_LAST_SEEN = "op_last_seen"
# The page's idle watcher marks its own requests with this header; they are not the person being active.
BACKGROUND_HEADER = "X-OP-Background"
# Paths a half-signed-in user (password given, MFA not yet) may still reach. The REST API and the FHIR facade are
# listed because they answer for themselves: bearer tokens, and session calls only from a verified session
# (openpractice.api.auth, openpractice.api.fhir.http).
_API_PREFIXES = ("/api/", "/fhir/")
_MFA_EXEMPT_PREFIXES = ("/accounts/mfa/", "/accounts/logout/", "/static/", "/healthz", "/readyz", *_API_PREFIXES)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(_API_PREFIXES)


class SessionLimitsMiddleware:
    """Ends a session that has been idle too long or has lasted longer than the absolute limit."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            now = time.time()
            session = request.session
            # Sessions begun elsewhere than the sign-in page (which sets both) start counting now.
            started = float(session.setdefault(SESSION_STARTED, now))
            last_seen = float(session.setdefault(SESSION_LAST_SEEN, now))
            limits = practice_settings()
            reason = ""
            if now - last_seen > limits.idle_timeout_minutes * 60:
                reason = "idle"
            elif now - started > limits.absolute_session_hours * 3600:
                reason = "absolute"
            if reason:
                session_end(user=user, session_key=session.session_key,  # type: ignore[arg-type]
                            action="auth.session_expired", reason=reason)
                logout(request)
                return self._signed_out(request, reason)
            if request.headers.get(BACKGROUND_HEADER) != "1":
                session[SESSION_LAST_SEEN] = now
        return self.get_response(request)

    def _signed_out(self, request: HttpRequest, reason: str) -> HttpResponse:
        # The message travels in the login URL: MessageMiddleware runs after this one, so no flash here.
        if _is_api(request) or request.path == reverse("accounts:keepalive"):
            return JsonResponse({"code": "session_expired", "message": "Your session has ended."}, status=401)
        login_url = f"{reverse('accounts:login')}?{urlencode({'expired': reason})}"
        # django-htmx's request.htmx is set by a later middleware; read its header directly.
        if request.headers.get("HX-Request") == "true":
            response = HttpResponse(status=204)
            response["HX-Redirect"] = login_url
            return response
        # Come back to the page after signing in again, but only to pages one can GET, and never to sign-out.
        if request.method == "GET" and request.path != reverse("accounts:logout"):
            return redirect_to_login(request.get_full_path(), login_url=login_url)
        return redirect(login_url)


class MFARequiredMiddleware:
    """After the password, a user with an authenticator must enter a code; a user whose role sees PHI and
    has no authenticator yet must set one up. Until then only the MFA pages and sign-out are reachable."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not request.path.startswith(_MFA_EXEMPT_PREFIXES) and mfa_pending(user):
            next_query = f"?{urlencode({'next': request.get_full_path()})}" if request.method == "GET" else ""
            # An authenticator is there: use it. None yet, but the role needs one: set it up.
            step = "accounts:mfa_verify" if user_has_confirmed_device(user) else "accounts:mfa_setup"
            return redirect(f"{reverse(step)}{next_query}")
        return self.get_response(request)
