"""Session rules from the HIPAA Security Rule: automatic logoff when idle, an absolute limit, and MFA for the
roles that need it before any page is served."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from openpractice.audit.services import record
from openpractice.core.selectors import practice_settings

from .mfa import user_has_confirmed_device
from .permissions import user_requires_mfa

SESSION_STARTED = "op_auth_started"
SESSION_LAST_SEEN = "op_last_seen"
# Paths a half-signed-in user (password given, MFA not yet) may still reach.
_MFA_EXEMPT_PREFIXES = ("/accounts/mfa/", "/accounts/logout/", "/static/", "/healthz", "/readyz", "/api/")


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


class SessionLimitsMiddleware:
    """Ends a session that has been idle too long or has lasted longer than the absolute limit."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            now = time.time()
            session = request.session
            started = session.setdefault(SESSION_STARTED, now)
            last_seen = session.setdefault(SESSION_LAST_SEEN, now)
            limits = practice_settings()
            reason = ""
            if now - last_seen > limits.idle_timeout_minutes * 60:
                reason = "idle"
            elif now - started > limits.absolute_session_hours * 3600:
                reason = "absolute"
            if reason:
                record(actor=user, action="auth.session_expired", target=user, reason=reason)
                logout(request)
                return self._signed_out(request, reason)
            # The idle warning's own "are you still there?" check must not count as activity.
            if request.headers.get("X-OP-Background") != "1":
                session[SESSION_LAST_SEEN] = now
        return self.get_response(request)

    def _signed_out(self, request: HttpRequest, reason: str) -> HttpResponse:
        if _is_api(request):
            return JsonResponse({"code": "session_expired", "message": "Your session has ended."}, status=401)
        text = (
            _("You were signed out after a period of inactivity.")
            if reason == "idle"
            else _("Your session reached its time limit. Please sign in again.")
        )
        messages.info(request, text)
        if request.htmx:  # type: ignore[attr-defined]
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse("accounts:login")
            return response
        return redirect_to_login(request.get_full_path())


class MFARequiredMiddleware:
    """After the password, a user with an authenticator must enter a code; a user whose role sees PHI and
    has no authenticator yet must set one up. Until then only the MFA pages and sign-out are reachable."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not user.is_verified() and not request.path.startswith(_MFA_EXEMPT_PREFIXES):  # type: ignore[attr-defined]
            if user_has_confirmed_device(user):
                return redirect(f"{reverse('accounts:mfa_verify')}?next={request.get_full_path()}")
            if user_requires_mfa(user):
                return redirect(reverse("accounts:mfa_setup"))
        return self.get_response(request)
