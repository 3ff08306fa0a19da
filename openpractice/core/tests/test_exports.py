"""List exports (core.exports): the same rows as the list, typed cells, never a formula, audited, capped."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent
from openpractice.core import exports
from openpractice.core.exports import Column, Export, export_response
from openpractice.core.tests.exports import export_rows

pytestmark = pytest.mark.django_db

ROWS = [
    {"name": "=HYPERLINK(\"http://evil\")", "amount": Decimal("12.50"), "day": dt.date(2026, 11, 2), "pid": 7},
    {"name": "Ana Lima", "amount": Decimal("3.00"), "day": dt.date(2026, 11, 3), "pid": 8},
    {"name": "+1 cmd", "amount": Decimal("-4.25"), "day": None, "pid": 7},
]
EXPORT = Export(name="test rows", patient_id=lambda row: row["pid"], columns=[
    Column("Name", "name"), Column("Amount", "amount"), Column("Day", "day"),
    Column("Twice", lambda row: row["pid"] * 2),
])


@pytest.fixture
def request_for(make_user: Callable[..., User]) -> Callable[[str], Any]:
    user = make_user(Role.PRACTICE_MANAGER, tier="senior", username="exporter")

    def build(query: str) -> Any:
        request = RequestFactory().get(f"/somewhere/?{query}")
        request.user = user
        request.session = {}  # type: ignore[assignment]
        request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
        return request

    return build


def test_a_csv_export_holds_every_row_with_formulas_neutralised(request_for: Callable[[str], Any]) -> None:
    response = export_response(request_for("export=csv"), ROWS, EXPORT)
    assert response["Content-Disposition"].startswith('attachment; filename="test-rows-')
    assert response["Cache-Control"] == "private, no-store"
    assert export_rows(response) == [
        ["Name", "Amount", "Day", "Twice"],
        ["'=HYPERLINK(\"http://evil\")", "12.50", "2026-11-02", "14"],
        ["Ana Lima", "3.00", "2026-11-03", "16"],
        ["'+1 cmd", "-4.25", "", "14"],
    ]


def test_an_xlsx_export_types_its_cells_and_writes_text_never_a_formula(request_for: Callable[[str], Any]) -> None:
    response = export_response(request_for("export=xlsx"), ROWS, EXPORT)
    assert response["Content-Type"] == exports.XLSX_TYPE
    rows = export_rows(response)
    assert rows[0] == ["Name", "Amount", "Day", "Twice"]
    assert rows[1] == ["=HYPERLINK(\"http://evil\")", "12.50", "2026-11-02", "14"]  # a string cell, not a formula
    import io

    from openpyxl import load_workbook
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A2"].data_type == "s"
    assert sheet["B2"].data_type == "n"
    assert sheet["C2"].is_date


def test_an_export_is_audited_once_and_once_per_patient_in_it(request_for: Callable[[str], Any]) -> None:
    request = request_for("export=csv")
    export_response(request, ROWS, EXPORT)
    summary = AuditEvent.objects.get(action="reports.list_exported")
    assert summary.actor == request.user
    assert "3 row(s) as csv" in summary.reason
    exported = AuditEvent.objects.filter(action="patients.exported")
    assert sorted(event.patient_id or 0 for event in exported) == [7, 8]


def test_an_export_past_the_cap_asks_for_narrower_filters_and_writes_nothing(
        request_for: Callable[[str], Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "MAX_EXPORT_ROWS", 2)
    request = request_for("status=held&export=xlsx&page=3")
    response = export_response(request, ROWS, EXPORT)
    assert response.status_code == 302
    assert response["Location"] == "/somewhere/?status=held&page=3"
    assert not AuditEvent.objects.filter(action__in=["reports.list_exported", "patients.exported"]).exists()


def test_a_sheet_named_with_characters_excel_refuses_still_exports(request_for: Callable[[str], Any]) -> None:
    export = Export(name="A/R aging: [north]?", columns=[Column("Name", "name")])
    response = export_response(request_for("export=xlsx"), ROWS[:1], export)
    assert export_rows(response)[1] == ["=HYPERLINK(\"http://evil\")"]
