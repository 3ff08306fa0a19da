"""List export cases for the apps whose lists are not all core.web tables (compliance, facilities, front desk,
inventory, vendors, workforce): each app's test builds a `Case` per list (rows made for it, how to read them off the
page) and these checks compare the page with both files, refuse outsiders and hold the query count."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.models import User
from openpractice.audit.models import AuditEvent
from openpractice.core.models import Location

from .exports import export_rows
from .list_exports import FORMATS

# What exporting a list with patients in it records: the export, and one audited read per patient.
PATIENT_LIST_EXPORTED = ("reports.list_exported", "patients.exported")


@dataclass
class World:
    """Who exports and where: `user` opens every list unless a case names someone else."""

    user: User
    north: Location
    south: Location
    make_user: Callable[..., User]


@dataclass
class Case:
    """A list with rows made for it: the page's rows (from its context) must be the file's rows, in order, and
    `hidden` (rows the filters or the scope drop) must be in neither."""

    url: str
    params: dict[str, str]
    rows: Callable[[Any], Sequence[Any]]
    headers: tuple[str, ...]
    key: Callable[[Any], tuple[str, ...]]
    hidden: list[tuple[str, ...]] = field(default_factory=list)
    user: User | None = None
    count: int | None = None  # rows the filters keep, for lists whose dropped rows look alike


def table_rows(context: Any) -> Sequence[Any]:
    """The rows a core.web table shows on its page."""
    return list(context["table"].page.object_list)


def assert_exports_match_page(case: Case, world: World, signed_in: Callable[[User], Client],
                              ) -> dict[str, list[list[str]]]:
    """Signed in as the case's user (else the world's), the page offers an export and both files hold exactly the
    page's rows (the case's `headers` against its `key`), none of the `hidden` ones, and each export is recorded
    once. Returns each format's file rows, header first."""
    actor = case.user or world.user
    client = signed_in(actor)
    page = client.get(case.url, case.params)
    assert page.status_code == 200
    assert "export=csv" in page.content.decode()
    expected = [list(case.key(row)) for row in case.rows(page.context)]
    assert expected
    assert case.count is None or len(expected) == case.count
    files = {}
    for file_format in FORMATS:
        rows = export_rows(client.get(case.url, {**case.params, "export": file_format}))
        columns = [rows[0].index(header) for header in case.headers]
        exported = [[row[column] for column in columns] for row in rows[1:]]
        assert exported == expected, file_format
        for hidden in case.hidden:
            assert not any(row[:len(hidden)] == list(hidden) for row in exported)
        files[file_format] = rows
    assert AuditEvent.objects.filter(actor=actor, action="reports.list_exported").count() == 2
    return files


def assert_export_refused(case: Case, outsider: User, signed_in: Callable[[User], Client], *,
                          unrecorded: Sequence[str] = ("reports.list_exported",)) -> None:
    """`outsider` gets a 404 for both files, each refusal is audited, and none of the `unrecorded` actions (the
    export, and any read it would have audited) is."""
    client = signed_in(outsider)
    for file_format in FORMATS:
        assert client.get(case.url, {**case.params, "export": file_format}).status_code == 404
    assert not AuditEvent.objects.filter(actor=outsider, action__in=unrecorded).exists()
    assert AuditEvent.objects.filter(actor=outsider, action="access.denied").count() == 2


def export_sizes_at_fixed_queries(client: Client, url: str, grow: Callable[[int], object], *,
                                  params: dict[str, str] | None = None, sizes: tuple[int, int] = (2, 5),
                                  formats: tuple[str, str] = ("csv", "xlsx")) -> tuple[int, int]:
    """Grow the list by `sizes[0]` rows and export it (after a warming export that fills the caches a first
    request fills), grow it by `sizes[1]` more and export again: both exports must cost the same queries. Returns
    the rows (header excluded) each export held, for the caller to check."""
    params = params or {}
    grow(sizes[0])
    client.get(url, {**params, "export": "csv"})  # warm caches (grants, practice settings)
    with CaptureQueriesContext(connection) as few:
        small = len(export_rows(client.get(url, {**params, "export": formats[0]}))) - 1
    grow(sizes[1])
    with CaptureQueriesContext(connection) as many:
        large = len(export_rows(client.get(url, {**params, "export": formats[1]}))) - 1
    assert len(many) == len(few)
    return small, large
