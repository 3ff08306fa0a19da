"""CSV cells that a spreadsheet shows but never evaluates (CSV injection): every export uses csv_cell."""

from __future__ import annotations

# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """Text for one CSV cell that a spreadsheet will show and never evaluate."""
    if value is None:
        return ""
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text
