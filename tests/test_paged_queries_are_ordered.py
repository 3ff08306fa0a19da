"""Every page, export and REST list of the demo practice orders what it pages and what it groups.

Django drops a model's Meta.ordering from any query with a GROUP BY (`.annotate(Count(...))`,
`.values(...).annotate(...)`), and a LIMIT/OFFSET without ORDER BY returns whichever rows the database likes: a
list built on such a query can skip or repeat rows from one page to the next, and an export may not match its
page. PostgreSQL really does this; SQLite mostly hides it. Rather than guessing which selectors are exposed, this
module signs in as someone holding every role, opens every UI page (the list pages of the URL resolver, then
every page, table partial and export they link to), calls every REST GET operation, captures the SQL, and
fails on:
- a SELECT (or sub-SELECT) with LIMIT or OFFSET and no ORDER BY at its own level;
- a top-level SELECT with GROUP BY and no ORDER BY: its rows are the ones shown or exported.
Excluded, because order cannot matter there: LIMIT 1 (`.exists()`, EXISTS(...) subqueries, picking the one row
a filter names) and LIMIT 21 (Django's `.get()`, which fails unless exactly one row matches).
"""

from __future__ import annotations

import os
import re
import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, resolve
from test_routes import NOT_UI_NAMES, NOT_UI_PREFIXES, PUBLIC_OR_AUTH_FLOW, ui_routes

import openpractice
from openpractice.accounts.models import User
from openpractice.accounts.tests.factories import sign_in
from openpractice.api.tests.schemathesis_support import (
    api_caller,
    discover_ids,
    openapi_document,
    seed_demo_practice,
)

pytestmark = pytest.mark.django_db

# Order cannot matter: `.get()` asks for at most 21 rows and fails unless one matches; LIMIT 1 is `.exists()`,
# an EXISTS(...) subquery, or the one row a filter names.
HARMLESS_LIMITS = frozenset({1, 21})
# Pages the crawl does not open: they end the session or are not pages of the practice.
NOT_CRAWLED = frozenset({"accounts:logout", *PUBLIC_OR_AUTH_FLOW, *NOT_UI_NAMES})
# A page's links differ in their query (filters, sort, page, export format). Each route is opened once with any
# query, plus once per kind of link that runs other queries: a later page, an export.
OTHER_QUERIES = frozenset({"page", "export", "format"})
APP_DIR = os.path.dirname(openpractice.__file__) + os.sep
_CURSOR = re.compile(r'^\s*DECLARE\s+"[^"]+"\s+.*?\bCURSOR\b.*?\bFOR\s+', re.IGNORECASE | re.DOTALL)
_LINK = re.compile(r"""(?:href|hx-get)\s*=\s*"([^"]+)\"""")


@dataclass(frozen=True)
class Caller:
    user: User
    secret: str


@pytest.fixture(scope="module")
def demo_once(django_db_setup: None, django_db_blocker: Any) -> Iterator[Caller]:
    """The demo practice and a person holding every role at every location, made once for this module inside a
    transaction rolled back after its last test; each test runs in a savepoint inside it."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            seed_demo_practice()
            user, secret = api_caller()
            yield Caller(user=user, secret=secret)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def demo(demo_once: Caller, db: None) -> Caller:
    return demo_once


# --- reading SQL -----------------------------------------------------------------------------------------------


def _levels(sql: str) -> list[tuple[bool, str]]:
    """The SELECT statements of `sql` (is it the outer one?, its text), each with its literals blanked and its own
    nested parentheses (subqueries, function arguments, window clauses) emptied, so each keyword found is its
    own. A PostgreSQL server-side cursor (`.iterator()`) is read as the SELECT it declares."""
    sql = _CURSOR.sub("", sql, count=1)
    levels: list[list[str]] = [[]]
    done: list[str] = []
    quote = ""
    for char in sql:
        if quote:
            if char == quote:
                quote = ""
                levels[-1].append(char)
            continue
        if char in "'\"":
            quote = char
            levels[-1].append(char)
        elif char == "(":
            levels[-1].append("()")
            levels.append([])
        elif char == ")" and len(levels) > 1:
            done.append("".join(levels.pop()))
        else:
            levels[-1].append(char)
    texts = [(True, "".join(levels[0]).strip())] + [(False, text.strip()) for text in done]
    return [(outer, text) for outer, text in texts if text.upper().startswith("SELECT")]


def unordered_reason(sql: str) -> str | None:
    """Why this statement returns rows in an undefined order that matters, or None."""
    for outer, level in _levels(sql):
        upper = level.upper()
        ordered = re.search(r"\bORDER\s+BY\b", upper) is not None
        if ordered:
            continue
        limit = re.search(r"\bLIMIT\s+(-?\d+)", upper)
        offset = re.search(r"\bOFFSET\s+(\d+)", upper)
        if limit is not None and int(limit.group(1)) in HARMLESS_LIMITS and offset is None:
            continue  # at most one row (or an error): nothing to order
        if limit is not None or (offset is not None and int(offset.group(1)) > 0):
            return "LIMIT/OFFSET without ORDER BY" + ("" if outer else " in a subquery")
        if outer and re.search(r"\bGROUP\s+BY\b", upper):
            return "GROUP BY without ORDER BY (Meta.ordering is dropped)"
    return None


def test_the_sql_reader_finds_unordered_pages_and_groups() -> None:
    """The reader itself: what it must flag, and what it must let through."""
    assert unordered_reason('SELECT "a"."id" FROM "a" LIMIT 25 OFFSET 50') is not None
    assert unordered_reason('SELECT "a"."id" FROM "a" ORDER BY "a"."name" ASC LIMIT 25') is None
    assert unordered_reason('SELECT "a"."id", COUNT("b"."id") FROM "a" LEFT JOIN "b" GROUP BY "a"."id"') is not None
    assert unordered_reason('SELECT "a"."id", COUNT("b"."id") FROM "a" GROUP BY 1 ORDER BY "a"."id" ASC') is None
    assert unordered_reason('SELECT "a"."id" FROM "a" WHERE "a"."id" IN (SELECT "b"."a_id" FROM "b" LIMIT 5) '
                            'ORDER BY "a"."id"') is not None
    # An ORDER BY inside a window clause or subquery does not order the outer rows.
    assert unordered_reason('SELECT ROW_NUMBER() OVER (ORDER BY "a"."id") FROM "a" LIMIT 10') is not None
    # `.get()`, `.exists()`, EXISTS subqueries, counts of a grouped queryset, and literals that look like SQL.
    assert unordered_reason('SELECT "a"."id" FROM "a" WHERE "a"."id" = 3 LIMIT 21') is None
    assert unordered_reason('SELECT 1 AS "a" FROM "a" LIMIT 1') is None
    assert unordered_reason('SELECT "a"."id", MIN("b"."d") FROM "a" WHERE "a"."id" = 3 GROUP BY 1 LIMIT 21') is None
    assert unordered_reason('SELECT "a"."id" FROM "a" LIMIT 1 OFFSET 5') is not None
    # `.iterator()` on PostgreSQL: the cursor's SELECT is the outer one, not its first subquery.
    cursor = 'DECLARE "_django_curs_1" NO SCROLL CURSOR WITH HOLD FOR SELECT "a"."id", (SELECT SUM("b"."n") FROM "b" '
    assert unordered_reason(cursor + 'GROUP BY "b"."a_id") FROM "a" ORDER BY "a"."id" ASC') is None
    assert unordered_reason(cursor + 'GROUP BY "b"."a_id") FROM "a" GROUP BY "a"."id"') is not None
    assert unordered_reason('SELECT COUNT(*) FROM (SELECT "a"."id" FROM "a" GROUP BY "a"."id") subquery') is None
    assert unordered_reason("""SELECT "a"."id" FROM "a" WHERE "a"."note" = 'x) LIMIT 5 (' ORDER BY 1""") is None


# Grouped queries whose rows are read into a dict (or summed, or sorted in Python by a unique key), so the order
# the database returns them in cannot show anywhere: (module, function that runs the query) -> why.
ORDER_DOES_NOT_MATTER: dict[tuple[str, str], str] = {
    ("openpractice/billing/selectors/denials.py", "denial_groups"): "dict by category, listed in category order",
    ("openpractice/billing/selectors/receivables.py", "aging_summary"): "payer rows sorted by name and payer id",
    ("openpractice/billing/selectors/receivables.py", "_ledger_figures"): "dicts by kind of entry",
    ("openpractice/billing/selectors/receivables.py", "payer_performance"):
        "sorted by code, average paid, payer name and payer id",
    ("openpractice/billing/selectors/stats.py", "claims_by_status"): "dict by status",
    ("openpractice/billing/selectors/stats.py", "open_denials_by_category"): "dict by category",
    ("openpractice/billing/services/statements.py", "_visits_of_run"): "summed into dicts by patient and visit",
    ("openpractice/facilities/selectors_stats.py", "open_work_order_counts"): "dict by status",
    ("openpractice/frontdesk/selectors_reports.py", "_counts"): "dict by value, listed in the choices' order",
    ("openpractice/inventory/selectors/spend.py", "spend_by"): "summed into a dict, sorted by amounts and label",
    ("openpractice/inventory/selectors/spend.py", "negotiation_savings"):
        "one row per vendor name, sorted by savings and name",
    ("openpractice/inventory/selectors/spend.py", "vendor_performance"): "dict by vendor",
    ("openpractice/workforce/selectors/stats.py", "hiring_pipeline"): "dict by stage, listed in the stages' order",
}


@dataclass(frozen=True)
class Origin:
    """Where a query was run: the innermost frame of the app's own code (not a test) on the stack."""

    path: str
    line: int
    function: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} ({self.function})"


UNKNOWN = Origin(path="?", line=0, function="?")


@dataclass
class Captured:
    """The SQL a request ran (CaptureQueriesContext) and, query by query, the app code that ran it."""

    queries: CaptureQueriesContext
    origins: list[Origin]


def _origin() -> Origin:
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith(APP_DIR) and f"{os.sep}tests{os.sep}" not in filename:
            return Origin(path=os.path.relpath(filename, os.path.dirname(APP_DIR.rstrip(os.sep))), line=frame.f_lineno,
                          function=frame.f_code.co_name)
        frame = frame.f_back  # type: ignore[assignment]
    return UNKNOWN


def _offences(captured: Captured, where: str) -> list[str]:
    found = []
    queries = captured.queries.captured_queries
    origins = captured.origins if len(captured.origins) == len(queries) else [UNKNOWN] * len(queries)
    for query, origin in zip(queries, origins, strict=True):
        reason = unordered_reason(query["sql"])
        if reason and not (reason.startswith("GROUP BY") and (origin.path, origin.function) in ORDER_DOES_NOT_MATTER):
            found.append(f"{where}: {reason}, from {origin}:\n    {query['sql']}")
    return found


def _fetch(client: Client, url: str, **extra: Any) -> tuple[Any, bytes, Captured]:
    """GET `url`; a streamed body (CSV exports) is read inside the capture, since its queries run then."""
    origins: list[Origin] = []

    def note_origin(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        origins.append(_origin())
        return execute(sql, params, many, context)

    with CaptureQueriesContext(connection) as queries, connection.execute_wrapper(note_origin):
        response: Any = client.get(url, **extra)
        body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body, Captured(queries=queries, origins=origins)


# --- the UI ----------------------------------------------------------------------------------------------------


def _route_of(url: str) -> tuple[str, frozenset[str]] | None:
    """(route name, names of the query parameters) of a link inside the app, or None for other links."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.lstrip("/").startswith(
            NOT_UI_PREFIXES):
        return None
    try:
        name = resolve(parts.path).view_name
    except Resolver404:
        return None
    if name in NOT_CRAWLED:
        return None
    return name, frozenset(key for key, _ in parse_qsl(parts.query, keep_blank_values=True)) & OTHER_QUERIES


def test_every_page_and_export_orders_the_rows_it_pages_or_groups(demo: Caller) -> None:
    client = sign_in(Client(), demo.user)
    start = [route.pattern for route in ui_routes()
             if not route.kwarg_names and route.name not in NOT_CRAWLED and "<" not in route.pattern]
    queue = deque("/" + pattern.lstrip("^").rstrip("$") for pattern in start)
    seen: dict[str, set[frozenset[str]]] = {}  # route name -> the kinds of link opened
    opened: list[str] = []
    problems: list[str] = []
    while queue:
        url = queue.popleft()
        route = _route_of(url)
        if route is None:
            continue
        name, keys = route
        variants = seen.setdefault(name, set())
        if keys in variants:
            continue
        variants.add(keys)
        response, body, captured = _fetch(client, url)
        opened.append(url)
        if response.status_code >= 500:
            problems.append(f"{name} {url}: {response.status_code}")
        problems.extend(_offences(captured, f"{name} {url}"))
        if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
            queue.extend(link.replace("&amp;", "&") for link in _LINK.findall(body.decode()))
    assert len(seen) > 100, f"the crawl reached only {sorted(seen)}"
    assert problems == [], f"{len(problems)} unordered queries in {len(opened)} pages:\n" + "\n".join(problems)


# --- the REST API ----------------------------------------------------------------------------------------------


def test_every_rest_read_orders_the_rows_it_pages_or_groups(demo: Caller) -> None:
    document = openapi_document()
    headers = {"Authorization": f"Bearer {demo.secret}"}
    client = Client()
    with override_settings(OPENPRACTICE_API_RATE_LIMIT="off", OPENPRACTICE_API_WRITE_RATE_LIMIT="off"):
        ids = discover_ids(document, demo.secret)
        problems: list[str] = []
        called = 0
        for template, operations in document["paths"].items():
            if "get" not in operations:
                continue
            path = template
            if "{" in template:
                if not ids.by_path.get(template):
                    continue
                for name, value in ids.by_path[template][0].items():
                    path = path.replace("{" + name + "}", str(value))
            # A page past the first, as a client paging through a list asks for it.
            for query in ({}, {"limit": 5, "offset": 5}):
                response, _body, captured = _fetch(client, path, query_params=query, headers=headers)
                called += 1
                if response.status_code >= 500:
                    problems.append(f"GET {path} {query}: {response.status_code}")
                problems.extend(_offences(captured, f"GET {template} {query}"))
    assert called > 50, f"only {called} REST reads were made"
    assert problems == [], f"{len(problems)} unordered queries in {called} calls:\n" + "\n".join(problems)
