from django.urls import path

from openpractice.core.web import login_required

from .views import auth

# All /accounts/mfa/ paths stay reachable before the second factor is given (MFARequiredMiddleware);
# everything that changes an enrolled authenticator lives under /accounts/profile/, which needs it.
urlpatterns = [
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("keepalive/", auth.keepalive, name="keepalive"),
    path("session/remaining/", auth.session_remaining, name="session_remaining"),
    path("location/", auth.switch_location, name="switch_location"),
    path("mfa/verify/", auth.mfa_verify, name="mfa_verify"),
    path("mfa/setup/", auth.mfa_setup, name="mfa_setup"),
    path("profile/", auth.profile, name="profile"),
    path("profile/sessions/end-others/", auth.sessions_end_others, name="sessions_end_others"),
    path("profile/recovery-codes/", auth.recovery_codes_regenerate, name="recovery_codes_regenerate"),
    path("profile/authenticator/remove/", auth.mfa_remove, name="mfa_remove"),
    path("password/change/", login_required(auth.PasswordChangeView.as_view()), name="password_change"),
    path("password/reset/", auth.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", auth.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", auth.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("password/reset/done/", auth.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
