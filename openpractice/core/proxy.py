"""The client's real address behind a reverse proxy.

The audit trail, the session list and the sign-in throttle all read REMOTE_ADDR. Behind nginx that is nginx's
address, so this middleware replaces it with the client's address from X-Forwarded-For — but only when the request
really came from a proxy listed in OPENPRACTICE_TRUSTED_PROXIES; anyone else could write that header themselves.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def _trusted_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(remote_addr: str, forwarded_for: str, trusted: tuple[str, ...]) -> str:
    """Walk X-Forwarded-For from the right (the entries our proxies appended) and return the first address that
    is not one of our proxies. Anything left of it was written by the client and is not believed."""
    networks = _trusted_networks(trusted)
    if not networks or not _is_trusted(remote_addr, networks):
        return remote_addr
    for hop in reversed([part.strip() for part in forwarded_for.split(",") if part.strip()]):
        if not _is_trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return remote_addr  # garbage in the header: keep the proxy's address rather than guess
    return remote_addr


class TrustedProxyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        trusted = tuple(settings.OPENPRACTICE_TRUSTED_PROXIES)
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if trusted and forwarded:
            request.META["REMOTE_ADDR"] = client_address(request.META.get("REMOTE_ADDR", ""), forwarded, trusted)
        return self.get_response(request)
