"""Checks every list's export tests share: the file holds exactly the rows the list shows (same order), in CSV
and in XLSX; each patient in it is one audited read; an export costs the same queries whatever its size."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from openpractice.audit.models import AuditEvent

from .exports import export_rows

FORMATS = ("csv", "xlsx")


def exported(client: Client, url: str, params: dict[str, Any] | None = None,
             file_format: str = "csv") -> list[list[str]]:
    """The rows (header first) of the list at `url` with `params`, exported as `file_format`."""
    response = client.get(url, {**(params or {}), "export": file_format})
    return export_rows(response)  # type: ignore[arg-type]


def column(rows: list[list[str]], header: str) -> list[str]:
    """One column of an export, by its header, without the header."""
    index = rows[0].index(header)
    return [row[index] for row in rows[1:]]


def listed(client: Client, url: str, params: dict[str, Any] | None = None) -> list[Any]:
    """The rows of a list page (core.web table) for `params`, all on one page (tests keep lists short)."""
    response = client.get(url, params or {})
    assert response.status_code == 200, response.status_code
    table = response.context["table"]
    assert table.page.paginator.num_pages == 1, "keep the test list on one page"
    return list(table.page.object_list)


def assert_export_matches_list(client: Client, url: str, params: dict[str, Any] | None = None, *,
                               header: str = "ID", key: Callable[[Any], Any] = lambda row: row.pk,
                               ) -> list[list[str]]:
    """Both exports of the list at `url` with `params` hold exactly the rows the list shows, in its order (the
    `header` column against `key` of each shown row). Returns the CSV's rows."""
    shown = [str(key(row)) for row in listed(client, url, params)]
    assert shown, "the test needs rows in the list"
    files = {file_format: exported(client, url, params, file_format) for file_format in FORMATS}
    for file_format, rows in files.items():
        assert column(rows, header) == shown, file_format
    return files["csv"]


def exported_patients(user: Any) -> list[int]:
    """The patients whose export `user` was audited for, in id order (one event per patient and export)."""
    return sorted(AuditEvent.objects.filter(actor=user, action="patients.exported")
                  .values_list("patient_id", flat=True))


def export_query_count(client: Client, url: str, params: dict[str, Any] | None = None) -> int:
    """How many queries one CSV export of the list costs."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {**(params or {}), "export": "csv"})
        if response.streaming:  # a streamed file reads its rows as it is sent
            b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert response.status_code == 200, response.status_code
    return len(queries.captured_queries)


def assert_export_queries_constant(client: Client, url: str, add_rows: Callable[[], Iterable[Any]],
                                   params: dict[str, Any] | None = None) -> None:
    """An export's query count does not grow with its rows: export, add as many rows again, export again (after
    a first export that warms the caches a first request fills)."""
    size = len(exported(client, url, params)) - 1
    before = export_query_count(client, url, params)
    list(add_rows())
    assert len(exported(client, url, params)) - 1 > size, "add_rows() must add rows to the export"
    assert export_query_count(client, url, params) == before
