"""Sign-in pages: password, second factor, sign-out, the idle keep-alive, the location switcher, one's own
profile (MFA, sessions), password change and reset by email."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN, redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from openpractice.audit.services import record
from openpractice.core.selectors import practice_settings
from openpractice.core.web import deny, login_required

from ..forms_auth import (
    CodeForm,
    LoginForm,
    MFAVerifyForm,
    PasswordChangeForm,
    PasswordResetRequestForm,
    SetPasswordForm,
)
from ..mfa import user_has_confirmed_device
from ..middleware import SESSION_LAST_SEEN, SESSION_STARTED
from ..models import User
from ..permissions import user_requires_mfa
from ..services import mfa as mfa_services
from ..services.passwords import password_reset_request, user_password_reset
from ..services.sessions import (
    session_end,
    session_list_open,
    session_location_set,
    session_register,
    session_rekey,
    sessions_end_all,
    user_password_set,
)

# The username shown in the audit trail for attempts by someone not (yet) signed in.
_ATTEMPT_LABEL_LENGTH = 150


@dataclass(frozen=True)
class _Attempt:
    """Who tried to sign in, for the audit row: a typed username, never a user and never a password."""

    username: str
    is_authenticated: bool = False


def _attempt(username: str) -> tuple[_Attempt, str]:
    """(actor, reason) for the audit row of a refused sign-in. The typed name is kept only when it is
    someone's username: people type their password into the username box, and the audit trail is append-only,
    so anything else is left out."""
    username = username[:_ATTEMPT_LABEL_LENGTH]
    if username and User._default_manager.filter(**{User.USERNAME_FIELD: username}).exists():
        return _Attempt(username), ""
    return _Attempt(""), "unknown username"


def _me(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _home() -> str:
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _safe_next(request: HttpRequest, url: str | None) -> str:
    """A same-site path to continue to after signing in, or "" when the value is missing or unsafe."""
    if not url:
        return ""
    if not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return ""
    # Never continue into signing out (the idle logoff lands on /logout/?expired=1).
    if url.startswith(reverse("accounts:logout")):
        return ""
    return url


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _code_error(form: CodeForm, check: mfa_services.CodeCheck) -> None:
    if check.throttled_until is not None:
        seconds = max(1, int(check.throttled_until.timestamp() - time.time()) + 1)
        form.code_error(_("Too many wrong codes. Wait %(seconds)s seconds, then try again.") % {"seconds": seconds})
    else:
        form.code_error(_("That code is not right, or was already used. Enter the code your app shows now."))


def _rotate_session(request: HttpRequest, user: User) -> None:
    """New session key after raising the session's privilege (second factor given)."""
    old_key = request.session.session_key
    request.session.cycle_key()
    session_rekey(user=user, old_key=old_key, new_key=request.session.session_key)


# Password -------------------------------------------------------------------------------------------------

@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.user.is_authenticated:
        # MFARequiredMiddleware has already sent anyone who still owes a code to the MFA pages.
        return redirect(next_url or _home())
    form = LoginForm(request.POST or None, initial={"next": next_url})
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        # request= lets django-axes count failures per username and address, and refuse while paused.
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        if isinstance(user, User):
            return _signed_in(request, user, next_url)
        if not getattr(request, "axes_locked_out", False):
            # A throttled attempt is audited by login_throttled instead.
            attempt, unknown = _attempt(username)
            record(actor=attempt, action="auth.login_failed", reason=unknown or "wrong password or account not active")
        form.add_error(None, _("The username or password is not right. Check both and try again."))
    expired = request.GET.get("expired")
    notice = ""
    if expired == "idle":
        notice = _("You were signed out after %(minutes)s minutes without activity, to protect patient privacy.") % {
            "minutes": practice_settings().idle_timeout_minutes}
    elif expired == "absolute":
        notice = _("Your session reached its time limit. Please sign in again.")
    return render(request, "accounts/auth/login.html", {"form": form, "notice": notice})


def _signed_in(request: HttpRequest, user: User, next_url: str) -> HttpResponse:
    login(request, user)  # rotates the session key: a key planted before sign-in is worthless after it
    now = time.time()
    request.session[SESSION_STARTED] = now
    request.session[SESSION_LAST_SEEN] = now
    session_register(user=user, request=request)
    if user_has_confirmed_device(user):
        return redirect(_with_next(reverse("accounts:mfa_verify"), next_url))
    if user_requires_mfa(user):
        return redirect(_with_next(reverse("accounts:mfa_setup"), next_url))
    return redirect(next_url or _home())


def login_throttled(
    request: HttpRequest, original_response: Any = None, credentials: dict[str, Any] | None = None,
    *args: Any, **kwargs: Any,
) -> HttpResponse:
    """django-axes calls this (AXES_LOCKOUT_CALLABLE) when a username+address pair is paused."""
    from axes.helpers import get_cool_off

    if isinstance(original_response, dict) and credentials is None:  # axes' older two-argument call
        credentials = original_response
    username = str((credentials or {}).get("username") or request.POST.get("username") or "")
    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else 15
    attempt, unknown = _attempt(username)
    paused = f"paused for {minutes} min after {settings.AXES_FAILURE_LIMIT} failures"
    record(actor=attempt, action="auth.login_throttled", reason=f"{paused}; {unknown}" if unknown else paused)
    response = render(request, "accounts/auth/throttled.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


# Second factor --------------------------------------------------------------------------------------------

@never_cache
def mfa_verify(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    user = _me(request)
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if user.is_verified():  # type: ignore[attr-defined]
        return redirect(next_url or _home())
    if not user_has_confirmed_device(user):
        return redirect(_with_next(reverse("accounts:mfa_setup"), next_url) if user_requires_mfa(user) else _home())
    form = MFAVerifyForm(request.POST or None, initial={"next": next_url})
    if request.method == "POST" and form.is_valid():
        result = mfa_services.mfa_check(user=user, token=form.cleaned_data["code"])
        if result.ok:
            otp_login(request, result.device)
            _rotate_session(request, user)
            if result.used_recovery_code:
                messages.warning(request, _(
                    "You signed in with a recovery code; it cannot be used again. %(left)s left. "
                    "Make new ones on your profile page.") % {"left": result.recovery_codes_left})
            return redirect(next_url or _home())
        _code_error(form, result)
    return render(request, "accounts/auth/mfa_verify.html", {"form": form})


@never_cache
def mfa_setup(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    user = _me(request)
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if user_has_confirmed_device(user):
        # Replacing an authenticator needs the current one first; never let a password alone do it.
        if not user.is_verified():  # type: ignore[attr-defined]
            return redirect(_with_next(reverse("accounts:mfa_verify"), next_url))
        messages.info(request, _("You already use an authenticator app."))
        return redirect("accounts:profile")
    device = mfa_services.totp_device_pending(user=user)
    form = CodeForm(request.POST or None, label=_("Code from the app"),
                    help_text=_("Six digits. The code changes every 30 seconds."))
    if request.method == "POST" and form.is_valid():
        check, codes = mfa_services.totp_device_confirm(user=user, device=device, token=form.cleaned_data["code"])
        if check.ok:
            otp_login(request, check.device)
            _rotate_session(request, user)
            return _show_recovery_codes(request, codes, continue_url=next_url or _home(), first_time=True)
        _code_error(form, check)
    return render(request, "accounts/auth/mfa_setup.html", {
        "form": form,
        "next": next_url,
        "required": user_requires_mfa(user),
        "qr_svg": mfa_services.totp_qr_svg(device, label=_("QR code for your authenticator app")),
        "secret": mfa_services.totp_secret_text(device),
    })


def _show_recovery_codes(request: HttpRequest, codes: list[str], *, continue_url: str, first_time: bool) -> HttpResponse:
    """Shown once: only the codes' hashes-free rows exist in the database, and this page is never cached."""
    response = render(request, "accounts/auth/recovery_codes.html",
                      {"codes": codes, "continue_url": continue_url, "first_time": first_time})
    response["Cache-Control"] = "no-store"
    return response


# Sign-out, keep-alive, location ---------------------------------------------------------------------------

@never_cache
def logout_view(request: HttpRequest) -> HttpResponse:
    """POST signs out. GET ?expired=1 is where the idle timer in the page lands: it signs out too and shows
    the login page with the reason. A bare GET asks for confirmation."""
    expired = request.method == "GET" and request.GET.get("expired") == "1"
    if request.method == "POST" or expired:
        if request.user.is_authenticated:
            session_end(user=_me(request), session_key=request.session.session_key,
                        action="auth.session_expired" if expired else "auth.logout",
                        reason="idle (in the page)" if expired else "")
            logout(request)
        if expired:
            return redirect(f"{reverse('accounts:login')}?expired=idle")
        messages.success(request, _("You are signed out."))
        return redirect("accounts:login")
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    return render(request, "accounts/auth/logout_confirm.html")


@require_POST
def keepalive(request: HttpRequest) -> HttpResponse:
    """"Stay signed in": SessionLimitsMiddleware has already counted this request as activity."""
    if not request.user.is_authenticated:
        return HttpResponse(status=401)
    return HttpResponse(status=204)


@require_POST
@login_required
def switch_location(request: HttpRequest) -> HttpResponse:
    raw = (request.POST.get("location") or "").strip()
    location_id: int | None = None
    if raw:
        try:
            location_id = int(raw)
        except ValueError:
            raise deny(request, permission="location.switch", object_type="core.location",
                       object_id=raw[:64]) from None
    if not session_location_set(user=_me(request), request=request, location_id=location_id):
        raise deny(request, permission="location.switch", object_type="core.location", object_id=raw)
    back = request.META.get("HTTP_REFERER", "")
    safe = url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return redirect(back if back and safe else _home())


# Profile ---------------------------------------------------------------------------------------------------

def _profile_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    user = _me(request)
    context: dict[str, Any] = {
        "assignments": user.role_assignments.prefetch_related("locations"),
        "has_authenticator": mfa_services.confirmed_totp_device(user=user) is not None,
        "recovery_codes_left": mfa_services.recovery_codes_left(user=user),
        "mfa_required": user_requires_mfa(user),
        "sessions": session_list_open(user=user),
        "current_session_key": request.session.session_key,
        "codes_form": CodeForm(auto_id="codes_%s", label=_("Current code from your app")),
        "remove_form": CodeForm(auto_id="remove_%s", label=_("Current code from your app")),
    }
    context.update(extra)
    return context


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/auth/profile.html", _profile_context(request))


@require_POST
@login_required
def sessions_end_others(request: HttpRequest) -> HttpResponse:
    ended = sessions_end_all(user=_me(request), except_session_key=request.session.session_key)
    messages.success(request, _("Signed out %(count)s other session(s).") % {"count": ended})
    return redirect("accounts:profile")


@require_POST
@login_required
def recovery_codes_regenerate(request: HttpRequest) -> HttpResponse:
    user = _me(request)
    form = CodeForm(request.POST, auto_id="codes_%s", label=_("Current code from your app"))
    if form.is_valid():
        check, codes = mfa_services.recovery_codes_regenerate(user=user, token=form.cleaned_data["code"])
        if check.ok:
            return _show_recovery_codes(request, codes, continue_url=reverse("accounts:profile"), first_time=False)
        _code_error(form, check)
    return render(request, "accounts/auth/profile.html", _profile_context(request, codes_form=form), status=400)


@require_POST
@login_required
def mfa_remove(request: HttpRequest) -> HttpResponse:
    user = _me(request)
    form = CodeForm(request.POST, auto_id="remove_%s", label=_("Current code from your app"))
    if form.is_valid():
        try:
            check = mfa_services.totp_device_remove(user=user, token=form.cleaned_data["code"])
        except mfa_services.MFARequiredError:
            form.code_error(_("Your role works with patient information, so it needs an authenticator."))
        else:
            if check.ok:
                messages.success(request, _("Your authenticator and recovery codes were removed."))
                return redirect("accounts:profile")
            _code_error(form, check)
    return render(request, "accounts/auth/profile.html", _profile_context(request, remove_form=form), status=400)


# Passwords -------------------------------------------------------------------------------------------------

class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/auth/password_change.html"
    form_class = PasswordChangeForm
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:  # type: ignore[override]
        request = self.request
        user = _me(request)
        old_key = request.session.session_key
        user_password_set(actor=user, user=user, new_password=form.cleaned_data["new_password1"],
                          keep_session_key=old_key, action="auth.password_changed")
        update_session_auth_hash(request, user)  # stay signed in here, on a new session key
        session_rekey(user=user, old_key=old_key, new_key=request.session.session_key)
        messages.success(request, _("Your password was changed. Your other sessions were signed out."))
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link. The answer is the same whether or not the address belongs to someone."""

    template_name = "accounts/auth/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    form_class = PasswordResetRequestForm
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form: PasswordResetRequestForm) -> HttpResponse:  # type: ignore[override]
        # The mail goes out from a background task after commit: no mail-server outage or delay shows here.
        password_reset_request(users=form.get_users(form.cleaned_data["email"]))
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/auth/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/auth/password_reset_confirm.html"
    form_class = SetPasswordForm
    success_url = reverse_lazy("accounts:password_reset_complete")
    post_reset_login = False

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:  # type: ignore[override]
        user = form.user
        request = self.request
        # A reset means the password may have been known to someone else: every session and API token ends.
        user_password_reset(user=user, new_password=form.cleaned_data["new_password1"])
        if request.user.is_authenticated and request.user.pk == user.pk:
            logout(request)  # this browser's session row is already gone; start a clean one
        else:
            request.session.pop(INTERNAL_RESET_SESSION_TOKEN, None)
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/auth/password_reset_complete.html"


@never_cache
@login_required
def session_remaining(request: HttpRequest) -> HttpResponse:
    """The idle warning asks this before signing a tab out: activity in another tab of the same session may
    have moved the server's idle clock. The page sends it with the background header, so SessionLimitsMiddleware
    does not count it as activity. Seconds until the server would end the session (idle or absolute limit)."""
    from django.http import JsonResponse  # kept local: this function is an isolated addition to the module

    if request.method != "GET":
        return HttpResponse(status=405, headers={"Allow": "GET"})
    now = time.time()
    limits = practice_settings()
    session = request.session
    idle_left = limits.idle_timeout_minutes * 60 - (now - float(session.get(SESSION_LAST_SEEN, now)))
    absolute_left = limits.absolute_session_hours * 3600 - (now - float(session.get(SESSION_STARTED, now)))
    return JsonResponse({"seconds_left": max(0, int(min(idle_left, absolute_left)))})
