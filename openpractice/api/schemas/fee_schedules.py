from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Schema


class PayerRefOut(Schema):
    id: int
    name: str


class FeeScheduleOut(Schema):
    id: int
    name: str
    payer: PayerRefOut | None = Field(description="Empty for the practice's standard fees")
    is_standard: bool
    effective_from: dt.date
    effective_to: dt.date | None = Field(description="Empty while the schedule is current")
    entry_count: int
    updated_at: dt.datetime

    @staticmethod
    def resolve_entry_count(obj: Any) -> int:
        count = getattr(obj, "entry_count", None)
        return int(count) if count is not None else int(obj.entries.count())


class FeeScheduleIn(Schema):
    name: str = Field(max_length=80)
    payer_id: int | None = Field(None, description="A payer's id for its contract schedule; empty for standard fees")
    effective_from: dt.date
    effective_to: dt.date | None = None


class FeeSchedulePatchIn(Schema):
    name: str | None = Field(None, max_length=80)
    payer_id: int | None = None
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None


class FeeEntryOut(Schema):
    id: int
    procedure_code: str = Field(description="CPT or HCPCS code")
    modifier: str = Field(description="Empty for the fee of the bare code")
    amount: Decimal = Field(description="The fee (standard schedule) or allowed amount (payer schedule)")


class FeeEntryIn(Schema):
    amount: Decimal = Field(gt=0, max_digits=10, decimal_places=2, description="More than 0, at most 2 decimals")
