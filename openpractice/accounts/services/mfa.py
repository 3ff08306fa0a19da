"""Second factor: enrolling an authenticator app (TOTP), checking codes, recovery codes.

All codes are checked by django-otp, which refuses a TOTP code already used (it remembers the last time step)
and slows down repeated wrong codes. Checks run inside a transaction with the device row locked, so two
requests cannot both spend the same code. A wrong code is not an exception: the throttle counter django-otp
raised and the audit row must both be committed.
"""

from __future__ import annotations

import re
from base64 import b32encode
from dataclasses import dataclass
from datetime import datetime

import django_otp
import qrcode
import qrcode.image.svg
from django.db import transaction
from django.utils.html import escape
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from openpractice.audit.services import record

from ..models import User
from ..permissions import user_requires_mfa

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
_TOTP_SHAPE = re.compile(r"^\d{6}$")


@dataclass(frozen=True)
class CodeCheck:
    """The result of checking a code: the device that accepted it, or why nothing did."""

    device: TOTPDevice | StaticDevice | None
    used_recovery_code: bool = False
    recovery_codes_left: int = 0
    throttled_until: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.device is not None


def normalise_code(raw: str) -> str:
    """Accept what people type: spaces, dashes, upper case."""
    return re.sub(r"[\s-]", "", raw or "").lower()


def confirmed_totp_device(*, user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def recovery_codes_left(*, user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def _throttled_until(device: TOTPDevice | StaticDevice) -> datetime | None:
    allowed, data = device.verify_is_allowed()
    if allowed or not data:
        return None
    until = data.get("locked_until")
    return until if isinstance(until, datetime) else None


def _verify_locked(user: User, device: TOTPDevice | StaticDevice, token: str) -> TOTPDevice | StaticDevice | None:
    # django_otp.verify_token reloads the device with SELECT ... FOR UPDATE inside its own atomic block.
    verified = django_otp.verify_token(user, device.persistent_id, token)
    return verified  # type: ignore[no-any-return]


def _check(user: User, devices: list[TOTPDevice | StaticDevice], token: str) -> CodeCheck:
    """Try `token` on `devices`. When every one of them is still waiting out django-otp's pause after
    earlier wrong codes, say until when (the pause is only reported if it was already on before this try)."""
    waits = [until for device in devices if (until := _throttled_until(device)) is not None]
    if devices and len(waits) == len(devices):
        return CodeCheck(device=None, throttled_until=min(waits))
    for device in devices:
        verified = _verify_locked(user, device, token)
        if verified is not None:
            return CodeCheck(device=verified)
    return CodeCheck(device=None)


# Enrolment ------------------------------------------------------------------------------------------------

@transaction.atomic
def totp_device_pending(*, user: User) -> TOTPDevice:
    """The authenticator being set up: the same secret on every reload until it is confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
        device.full_clean()
        device.save()
    return device


def totp_secret_text(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, for typing into an app by hand."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def totp_qr_svg(device: TOTPDevice, *, label: str) -> str:
    """The otpauth:// URL as an inline SVG QR code, drawn here so the secret never leaves the server."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg = image.to_string(encoding="unicode")
    assert isinstance(svg, str)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)


@transaction.atomic
def _recovery_codes_replace(user: User) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    if not device.confirmed:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def totp_device_confirm(*, user: User, device: TOTPDevice, token: str) -> tuple[CodeCheck, list[str]]:
    """Confirm the pending authenticator with a code from the app. On success returns the new recovery codes
    (to show once); a wrong code is audited and counted by django-otp's throttle."""
    if device.user_id != user.pk or device.confirmed:
        raise ValueError("Not this user's pending authenticator.")
    token = normalise_code(token)
    check = _check(user, [device], token) if _TOTP_SHAPE.match(token) else CodeCheck(device=None)
    if not check.ok:
        record(actor=user, action="auth.mfa_failed", target=user, reason="enrolment code")
        return check, []
    confirmed = check.device
    assert isinstance(confirmed, TOTPDevice)
    confirmed.confirmed = True
    confirmed.save(update_fields=["confirmed"])
    # One authenticator per person: drop any other half-finished or older ones.
    TOTPDevice.objects.filter(user=user).exclude(pk=confirmed.pk).delete()
    codes = _recovery_codes_replace(user)
    record(actor=user, action="auth.mfa_enrolled", target=user)
    return check, codes


# Sign-in ---------------------------------------------------------------------------------------------------

@transaction.atomic
def mfa_check(*, user: User, token: str) -> CodeCheck:
    """Check a code typed at sign-in: six digits go to the authenticator, anything else is tried as a
    recovery code (which is then used up)."""
    token = normalise_code(token)
    devices: list[TOTPDevice | StaticDevice]
    if _TOTP_SHAPE.match(token):
        devices = list(TOTPDevice.objects.filter(user=user, confirmed=True))
        used_recovery = False
    else:
        devices = list(StaticDevice.objects.filter(user=user, confirmed=True))
        used_recovery = True
    check = _check(user, devices, token)
    if not check.ok:
        record(actor=user, action="auth.mfa_failed", target=user,
               reason="recovery code" if used_recovery else "authenticator code")
        return check
    left = recovery_codes_left(user=user)
    if used_recovery:
        record(actor=user, action="auth.recovery_code_used", target=user, reason=f"{left} left")
    else:
        record(actor=user, action="auth.mfa_verified", target=user)
    return CodeCheck(device=check.device, used_recovery_code=used_recovery, recovery_codes_left=left)


# Profile ---------------------------------------------------------------------------------------------------

def _check_current_totp(user: User, token: str) -> CodeCheck:
    device = confirmed_totp_device(user=user)
    token = normalise_code(token)
    if device is None or not _TOTP_SHAPE.match(token):
        return CodeCheck(device=None)
    return _check(user, [device], token)


@transaction.atomic
def recovery_codes_regenerate(*, user: User, token: str) -> tuple[CodeCheck, list[str]]:
    """New recovery codes (the old ones stop working), after a current authenticator code."""
    check = _check_current_totp(user, token)
    if not check.ok:
        record(actor=user, action="auth.mfa_failed", target=user, reason="recovery code regeneration")
        return check, []
    codes = _recovery_codes_replace(user)
    record(actor=user, action="auth.recovery_codes_generated", target=user)
    return check, codes


class MFARequiredError(Exception):
    """The user's roles see PHI, so their authenticator cannot be removed."""


@transaction.atomic
def totp_device_remove(*, user: User, token: str) -> CodeCheck:
    """Remove the authenticator and recovery codes, after a current code. Refused for roles that require
    MFA."""
    if user_requires_mfa(user):
        raise MFARequiredError
    check = _check_current_totp(user, token)
    if not check.ok:
        record(actor=user, action="auth.mfa_failed", target=user, reason="authenticator removal")
        return check
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    record(actor=user, action="auth.mfa_removed", target=user)
    return check
