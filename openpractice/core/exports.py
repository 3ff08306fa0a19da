"""Every list exports to CSV and XLSX with the filters, search and sort the person chose (?export=csv|xlsx).

A list view declares its columns once (an `Export`) and answers the export from the same queryset it pages
through, so the file holds exactly the rows the list shows, unpaginated. `render_table()` does this for the
lists built with `table()`; other lists call `export_response()` themselves.

Safety. Text cells are never formulas: CSV cells go through csv_cell, and XLSX cells are written with
write_string (xlsxwriter's write() would turn "=..." into a formula). Every export is audited: one event for
the file (what, how many rows) and, for lists that show patients, one event per patient exported, as the
design asks of PHI reads. Exports are capped (MAX_EXPORT_ROWS): past the cap the person is asked to narrow the
filters rather than handed a silently cut file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from openpractice.audit.services import Event, record, record_many

from .spreadsheet import csv_cell

EXPORT_FORMATS = ("csv", "xlsx")
MAX_EXPORT_ROWS = 50_000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Accessor = str | Callable[[Any], Any]


@dataclass(frozen=True)
class Column:
    """One column: its header and how to read the cell from a row (a dotted attribute path, where a callable
    attribute such as get_status_display is called, or a function of the row)."""

    header: Any
    value: Accessor

    def read(self, row: Any) -> Any:
        if callable(self.value):
            return self.value(row)
        current = row
        for name in self.value.split("."):
            if current is None:
                return None
            current = current.get(name) if isinstance(current, dict) else getattr(current, name)
            if callable(current) and not isinstance(current, Model):
                current = current()
        return current


@dataclass(frozen=True)
class Export:
    """What a list exports. `name` names the file and the audit event; `patient_id` (a function of the row)
    marks a list that shows patients: each patient in the file is an audited PHI read."""

    name: str
    columns: Sequence[Column]
    patient_id: Callable[[Any], int | None] | None = None
    object_type: str = ""


def export_format(request: HttpRequest) -> str | None:
    """"csv" or "xlsx" when the request asks for a file, else None (unknown values show the list)."""
    wanted = request.GET.get("export", "")
    return wanted if wanted in EXPORT_FORMATS else None


def _plain(value: Any) -> Any:
    """A cell value as a spreadsheet should hold it: numbers and dates stay typed, the rest is text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, (int, Decimal, dt.date)):
        return value
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, Model):
        return str(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(str(item) for item in value)
    return str(value)


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value


def _csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_cell(header) for header in headers])
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, dt.datetime):
                value = _local(value).isoformat(sep=" ", timespec="minutes")
            # Numbers are written as numbers (a negative amount is not a formula); text is guarded.
            cells.append(str(value) if isinstance(value, (int, Decimal)) else csv_cell(value))
        writer.writerow(cells)
    # A byte-order mark so that Excel reads UTF-8 (names with accents) correctly.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _xlsx_bytes(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    import xlsxwriter  # only exports need it

    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True, "strings_to_formulas": False,
                                            "strings_to_urls": False, "strings_to_numbers": False})
    # Sheet names may not hold []:*?/\ nor start or end with an apostrophe (xlsxwriter refuses them).
    sheet = workbook.add_worksheet(re.sub(r"[\[\]:*?/\\]", " ", title).strip("' ")[:31] or "export")
    bold = workbook.add_format({"bold": True})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    time_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    money_format = workbook.add_format({"num_format": "#,##0.00"})
    for col, header in enumerate(headers):
        sheet.write_string(0, col, str(header), bold)
    widths = [len(str(header)) for header in headers]
    for index, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if isinstance(value, dt.datetime):
                sheet.write_datetime(index, col, _local(value), time_format)
            elif isinstance(value, dt.date):
                sheet.write_datetime(index, col, dt.datetime.combine(value, dt.time.min), date_format)
            elif isinstance(value, Decimal):
                sheet.write_number(index, col, float(value), money_format if value.as_tuple().exponent == -2
                                   else None)
            elif isinstance(value, int):
                sheet.write_number(index, col, value)
            else:
                sheet.write_string(index, col, str(value))
            if col < len(widths):
                widths[col] = min(max(widths[col], len(str(value))), 60)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width + 2)
    sheet.freeze_panes(1, 0)
    workbook.close()
    return output.getvalue()


def _rows(items: Iterable[Any], columns: Sequence[Column]) -> list[list[Any]]:
    return [[_plain(column.read(item)) for column in columns] for item in items]


def _iterate(source: QuerySet[Any] | Sequence[Any]) -> Iterable[Any]:
    if isinstance(source, QuerySet):
        return source.iterator(chunk_size=2000)
    return source


def _count(source: QuerySet[Any] | Sequence[Any]) -> int:
    return source.count() if isinstance(source, QuerySet) else len(source)


def export_response(request: HttpRequest, source: QuerySet[Any] | Sequence[Any], export: Export, *,
                    file_format: str | None = None) -> HttpResponse:
    """The list `source` (already filtered, searched and sorted for the person) as a CSV or XLSX download,
    audited. Past MAX_EXPORT_ROWS: back to the list with a message asking for narrower filters."""
    file_format = file_format or export_format(request) or "csv"
    total = _count(source)
    if total > MAX_EXPORT_ROWS:
        messages.error(request, _("This list has %(count)s rows; exports hold at most %(limit)s. Narrow the "
                                  "filters and export again.") % {"count": f"{total:,}", "limit": f"{MAX_EXPORT_ROWS:,}"})
        params = request.GET.copy()
        params.pop("export", None)
        return HttpResponseRedirect(f"{request.path}?{params.urlencode()}")
    items = list(_iterate(source))
    headers = [str(column.header) for column in export.columns]
    rows = _rows(items, export.columns)
    with transaction.atomic():
        record(actor=request.user, action="reports.list_exported", object_type=export.object_type or export.name,
               reason=f"{export.name}: {len(rows)} row(s) as {file_format}")
        if export.patient_id is not None:
            patient_ids = sorted({pid for pid in (export.patient_id(item) for item in items) if pid is not None})
            record_many(actor=request.user, events=[
                Event(action="patients.exported", object_type="patients.patient", object_id=str(pid),
                      patient_id=pid, reason=f"in the export of {export.name}")
                for pid in patient_ids])
    stamp = timezone.localdate().isoformat()
    filename = f"{slugify(export.name) or 'export'}-{stamp}.{file_format}"
    if file_format == "xlsx":
        response = HttpResponse(_xlsx_bytes(export.name, headers, rows), content_type=XLSX_TYPE)
    else:
        response = HttpResponse(_csv_bytes(headers, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def export_query(request: HttpRequest, file_format: str) -> str:
    """The current list's query string with ?export=<format> (and without the page number)."""
    params = request.GET.copy()
    params.pop("page", None)
    params["export"] = file_format
    return params.urlencode()
