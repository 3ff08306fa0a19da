"""TOTP authenticators and recovery codes, on django-otp's devices."""

from __future__ import annotations

from typing import Any

from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from .permissions import user_requires_mfa


def user_has_confirmed_device(user: Any) -> bool:
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or StaticDevice.objects.filter(user=user, confirmed=True, token_set__isnull=False).exists()
    )


def mfa_pending(user: Any) -> bool:
    """Is a second factor still owed in this session? True when the user has not given one yet and either has
    an authenticator (then they must use it) or holds a role that needs one (then they must set it up)."""
    if not getattr(user, "is_authenticated", False):
        return False
    is_verified = getattr(user, "is_verified", None)
    if is_verified is not None and is_verified():
        return False
    return user_has_confirmed_device(user) or user_requires_mfa(user)
