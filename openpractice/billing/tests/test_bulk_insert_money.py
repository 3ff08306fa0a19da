"""insert_rows() with money, dates and JSON lists (the rows of a remittance, ledger entries): stored exactly as the
ORM stores them, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from openpractice.accounts.roles import Role
from openpractice.billing.models import ClaimLine
from openpractice.billing.tests.factories import make_claim
from openpractice.core.bulk_insert import insert_rows

pytestmark = pytest.mark.django_db


def test_decimals_dates_and_json_lists_vary_per_row(north: Any, make_user: Any) -> None:
    claim = make_claim(location=north, actor=make_user(Role.BILLER, locations=[north]))
    first = (claim.lines.order_by("-line_number").values_list("line_number", flat=True).first() or 0) + 1
    rows = [
        (claim.pk, first, "99213", ["25", "59"], Decimal("1.00"), dt.date(2026, 2, 28), dt.date(2026, 3, 1), [1, 2],
         Decimal("12345678.90")),
        (claim.pk, first + 1, "36415", [], Decimal("2.50"), dt.date(2024, 2, 29), dt.date(2024, 2, 29), [],
         Decimal("0.01")),
        (claim.pk, first + 2, "J1234", ["JW"], Decimal("99999.99"), dt.date(2026, 12, 31), dt.date(2026, 12, 31),
         [4], Decimal("0.00")),
    ]
    fields = ("claim", "line_number", "procedure_code", "modifiers", "units", "service_date_from",
              "service_date_to", "pointers", "amount")
    assert insert_rows(ClaimLine, fields, rows) == 3
    stored = list(ClaimLine.objects.filter(line_number__gte=first).order_by("line_number").values_list(
        "claim_id", "line_number", "procedure_code", "modifiers", "units", "service_date_from", "service_date_to",
        "pointers", "amount"))
    assert stored == rows
    # Exact amounts, not floating point: summed in the database they still come back to the cent.
    assert sum((row[-1] for row in stored), Decimal(0)) == Decimal("12345678.91")
