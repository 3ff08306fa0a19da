from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Schema


class PayerRefOut(Schema):
    id: int
    name: str


class FeeScheduleOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 4, "name": "Blue Cross NC 2026", "payer": {"id": 3, "name": "Blue Cross NC"}, "is_standard": False,
         "effective_from": "2026-01-01", "effective_to": "2026-12-31", "entry_count": 214,
         "updated_at": "2026-01-06T15:02:19Z"}]}}
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
    model_config = {"json_schema_extra": {"examples": [
        {"name": "Aetna 2027", "payer_id": 5, "effective_from": "2027-01-01"}]}}
    name: str = Field(max_length=80)
    payer_id: int | None = Field(None, description="A payer's id for its contract schedule; empty for standard fees")
    effective_from: dt.date
    effective_to: dt.date | None = None


class FeeSchedulePatchIn(Schema):
    model_config = {"json_schema_extra": {"examples": [{"effective_to": "2027-12-31"}]}}
    name: str | None = Field(None, max_length=80)
    payer_id: int | None = None
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None


class FeeEntryOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 5120, "procedure_code": "99214", "modifier": "", "amount": "165.00"},
        {"id": 5188, "procedure_code": "93000", "modifier": "", "amount": "48.00"}]}}
    id: int
    procedure_code: str = Field(description="CPT or HCPCS code")
    modifier: str = Field(description="Empty for the fee of the bare code")
    amount: Decimal = Field(description="The fee (standard schedule) or allowed amount (payer schedule)")


class FeeEntryIn(Schema):
    model_config = {"json_schema_extra": {"examples": [{"amount": "180.00"}]}}
    amount: Decimal = Field(gt=0, max_digits=10, decimal_places=2, description="More than 0, at most 2 decimals")
