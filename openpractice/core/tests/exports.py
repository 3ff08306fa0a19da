"""Test helpers for list exports: read back what a list's ?export=csv|xlsx answered, as rows of text."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from django.http import HttpResponse


def export_rows(response: HttpResponse) -> list[list[str]]:
    """The rows of an exported file (header first), every cell as text (dates as YYYY-MM-DD)."""
    assert response.status_code == 200, response.status_code
    content = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
    if response["Content-Type"].startswith("text/csv"):
        return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    assert sheet is not None

    def text(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, dt.datetime):
            return value.date().isoformat() if value.time() == dt.time.min else value.isoformat(sep=" ")
        if isinstance(value, float):
            return f"{value:.2f}" if value != int(value) else str(int(value))
        return str(value)

    return [[text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
