"""Where a webhook may point: https on a public address only, so a manager's URL can never make the server call
into the practice's own network (SSRF: a database, a router, the cloud metadata service). The address is checked
when the URL is saved AND again when each delivery connects, and the connection goes to the address that was
checked (a name that resolves to a public address at save time and a private one later gets nowhere).

settings.OPENPRACTICE_WEBHOOKS_ALLOW_PRIVATE = True lifts both rules (http and private addresses), for a receiver
on the same machine or network, and for the tests.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_URL_LENGTH = 500


def private_allowed() -> bool:
    return bool(getattr(settings, "OPENPRACTICE_WEBHOOKS_ALLOW_PRIVATE", False))


@dataclass(frozen=True)
class Target:
    """A URL taken apart, with the address to connect to."""

    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line
    address: str


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone id ("fe80::1%eth0") is link-local anyway
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # is_global is False for private, loopback, link-local, shared (100.64/10), reserved and unspecified ranges.
    return ip.is_global and not ip.is_multicast


def _parts(url: str) -> tuple[str, str, int, str]:
    url = (url or "").strip()
    if not url:
        raise ValidationError(_("Enter the URL of the receiver."), code="required")
    if len(url) > MAX_URL_LENGTH:
        raise ValidationError(_("The URL is longer than %(n)s characters.") % {"n": MAX_URL_LENGTH}, code="too_long")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValidationError(_("This is not a valid URL."), code="invalid") from exc
    scheme = parts.scheme.lower()
    allowed = ("https", "http") if private_allowed() else ("https",)
    if scheme not in allowed:
        raise ValidationError(_("The URL must start with https://."), code="https_required")
    if parts.username or parts.password:
        raise ValidationError(_("Leave user names and passwords out of the URL; deliveries are signed instead."),
                              code="credentials")
    if not parts.hostname:
        raise ValidationError(_("This is not a valid URL."), code="invalid")
    if parts.fragment:
        raise ValidationError(_("Leave the #fragment out of the URL."), code="invalid")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80), path


def resolve(url: str) -> Target:
    """The URL's parts and the address to connect to; ValidationError when the URL is not allowed or the name does
    not resolve. Every address of the name must be public (an attacker's DNS may answer several)."""
    scheme, host, port, path = _parts(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise ValidationError(_("The host %(host)s could not be found.") % {"host": host}, code="unresolvable") from exc
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise ValidationError(_("The host %(host)s could not be found.") % {"host": host}, code="unresolvable")
    if not private_allowed() and not all(_is_public(address) for address in addresses):
        raise ValidationError(_("The URL points to a private, loopback or link-local address; webhooks go to "
                                "public addresses only."), code="private_address")
    return Target(scheme=scheme, host=host, port=port, path=path, address=addresses[0])


def validate_webhook_url(url: str) -> str:
    """The URL as it will be stored (trimmed), or ValidationError."""
    resolve(url)
    return url.strip()
