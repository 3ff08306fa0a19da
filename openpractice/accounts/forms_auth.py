"""Forms of the sign-in pages. Errors render inline next to their field (Django sets aria-invalid and
aria-describedby); a wrong password is a form-level error that never says which half was wrong."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

from .models import User


class _NoColon:
    """Labels without Django's trailing colon, like the rest of the product's forms."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class LoginForm(_NoColon, forms.Form):
    username = forms.CharField(
        label=_("Username"), max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"), strip=False, max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput, max_length=2000)


class CodeForm(_NoColon, forms.Form):
    """One code: six digits from the authenticator app, or (at sign-in) a recovery code."""

    code = forms.CharField(
        label=_("Code"), max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "autocapitalize": "none", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, label: str | None = None, help_text: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if label:
            self.fields["code"].label = label
        if help_text:
            self.fields["code"].help_text = help_text

    def code_error(self, message: str) -> None:
        self.add_error("code", message)


class MFAVerifyForm(CodeForm):
    next = forms.CharField(required=False, widget=forms.HiddenInput, max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(
            *args,
            label=str(_("Authentication code")),
            help_text=str(_("The six digits your authenticator app shows, or one of your recovery codes.")),
            **kwargs,
        )
        # A recovery code has letters, so the phone keypad must not be forced.
        self.fields["code"].widget.attrs["inputmode"] = "text"


class PasswordResetRequestForm(_NoColon, auth_forms.PasswordResetForm):
    email = forms.EmailField(
        label=_("Email address"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def get_users(self, email: str) -> Any:
        # Deactivated people get no link; Django's own check (active, usable password) stays.
        return (user for user in super().get_users(email) if getattr(user, "deactivated_at", None) is None)


class SetPasswordForm(_NoColon, auth_forms.SetPasswordForm):
    """New password after a reset link: the validators (minimum 12 characters …) apply."""

    user: User


class PasswordChangeForm(_NoColon, auth_forms.PasswordChangeForm):
    user: User
