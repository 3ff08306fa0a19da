"""Security headers on every page, and no inline script, inline style or event-handler attribute anywhere:
the Content Security Policy forbids them, so a page that used one would silently break in the browser."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import TIERS_BY_ROLE, Role
from openpractice.accounts.tests.factories import give_role
from openpractice.core.models import Location

# Script types the browser does not execute (data blocks such as Django's json_script): allowed inline.
_DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}


class InlineCodeFinder(HTMLParser):
    """Collects everything in a page that CSP without 'unsafe-inline' would block or that runs code inline."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.links.append(str(attributes["href"]))
        if tag == "script" and not attributes.get("src") and attributes.get("type") not in _DATA_SCRIPT_TYPES:
            self.problems.append(f"inline <script> at line {self.getpos()[0]}")
        if tag == "style":
            self.problems.append(f"<style> block at line {self.getpos()[0]}")
        for name, value in attrs:
            if name == "style":
                self.problems.append(f"style= on <{tag}> at line {self.getpos()[0]}")
            elif name.startswith("on") or name.startswith(("hx-on", "data-hx-on")):
                self.problems.append(f"{name}= on <{tag}> at line {self.getpos()[0]}")
            elif name in {"href", "src", "action", "formaction"} and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"javascript: URL on <{tag}> at line {self.getpos()[0]}")


def inline_code(html: str) -> list[str]:
    return scan(html).problems


def scan(html: str) -> InlineCodeFinder:
    finder = InlineCodeFinder()
    finder.feed(html)
    finder.close()
    return finder


def csp_directives(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def assert_secure_headers(response: Any) -> None:
    csp = response.headers.get("Content-Security-Policy")
    assert csp, "no Content-Security-Policy header"
    directives = csp_directives(csp)
    script_src = directives.get("script-src", directives.get("default-src"))
    assert script_src is not None
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    assert "'unsafe-inline'" not in directives.get("style-src", directives.get("default-src", []))
    assert directives.get("frame-ancestors") == ["'none'"]
    assert directives.get("object-src") == ["'none'"]
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("Referrer-Policy") in {"same-origin", "no-referrer", "strict-origin-when-cross-origin"}
    assert response.headers.get("X-Frame-Options") == "DENY"


def test_the_login_page_sends_the_security_headers(client: Client, db: Any) -> None:
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert_secure_headers(response)


def test_the_login_page_has_no_inline_script_or_style(client: Client, db: Any) -> None:
    response = client.get(reverse("accounts:login"))
    assert inline_code(response.content.decode()) == []


def test_the_checker_finds_what_csp_would_block() -> None:
    page = (
        '<script src="/static/x.js"></script><script type="application/json">{}</script>'
        "<script>alert(1)</script><p style='color:red' onclick=\"x()\">"
        '<a href="javascript:void(0)">x</a><div hx-on:click="x()"></div><style>p{}</style>'
    )
    assert len(inline_code(page)) == 6


def _simple_paths(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    """Every routed path that takes no parameters, e.g. /settings/locations/."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.pattern.converters or "(?P<" in str(entry.pattern) or "<" in str(entry.pattern):
                continue
            yield from _simple_paths(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            route = str(entry.pattern)
            if entry.pattern.converters or "<" in route or "(" in route:
                continue
            yield "/" + (prefix + route).lstrip("^").rstrip("$").replace("^", "")


@pytest.fixture
def everyone(make_user: Callable[..., User], north: Location, south: Location) -> User:
    """A user holding every role at its highest tier, so that every page is theirs to open."""
    user = make_user(Role.ADMINISTRATOR, username="everyone")
    for role, tiers in TIERS_BY_ROLE.items():
        if role != Role.ADMINISTRATOR:
            give_role(user, role, tiers[-1])
    return user


# Paths that end the session, or that are machine endpoints rather than pages.
_NOT_PAGES = ("/accounts/logout/", "/api/", "/healthz", "/readyz", "/static/", "/media/")


def test_every_page_a_signed_in_user_can_open_has_the_headers_and_no_inline_code(
    signed_in: Callable[[User], Client], everyone: User
) -> None:
    """Start from every route without parameters, then follow the links the pages show (detail pages …)."""
    client = signed_in(everyone)
    queue = sorted(set(_simple_paths(get_resolver().url_patterns)))
    seen = set(queue)
    checked: list[str] = []
    while queue and len(checked) < 300:
        path = queue.pop(0)
        if path.startswith(_NOT_PAGES):
            continue
        response = client.get(path)
        if response.status_code != 200 or not response.headers.get("Content-Type", "").startswith("text/html"):
            continue
        assert_secure_headers(response)
        page = scan(response.content.decode())
        assert page.problems == [], path
        checked.append(path)
        for link in page.links:
            target = urlsplit(link)
            if not target.netloc and target.path.startswith("/") and target.path not in seen:
                seen.add(target.path)
                queue.append(target.path)
    home = client.get(reverse("reporting:home"))
    assert home.status_code == 200, "the crawl signed the user out"
    assert reverse("reporting:home") in checked
    assert reverse("accounts:profile") in checked
    assert everyone.get_absolute_url() in checked  # a page reached only by following a link
