from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from .common import AddressOut, address_of


class PayerPlanOut(Schema):
    id: int
    name: str
    plan_type: str
    is_active: bool


class PayerOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 3, "name": "Blue Cross NC", "payer_id": "BCBSNC",
         "address": {"line1": "PO Box 35", "line2": "", "city": "Durham", "state": "NC", "postal_code": "27702"},
         "claim_filing_indicator": "BL", "timely_filing_days": 180, "phone": "800-555-0166",
         "portal_url": "https://provider.bcbsnc.example", "notes": "", "is_active": True,
         "plans": [{"id": 11, "name": "Blue Advantage PPO", "plan_type": "ppo", "is_active": True}, {"id": 12, "name": "Blue Medicare HMO", "plan_type": "medicare_advantage", "is_active": True}],
         "updated_at": "2026-02-17T19:30:04Z"}]}}
    id: int
    name: str
    payer_id: str = Field(description="Electronic payer ID")
    address: AddressOut
    claim_filing_indicator: str = Field(description="X12 837 SBR09 code, e.g. CI, MB, MC")
    timely_filing_days: int
    phone: str
    portal_url: str
    notes: str
    is_active: bool
    plans: list[PayerPlanOut]
    updated_at: dt.datetime

    @staticmethod
    def resolve_address(obj: Any) -> AddressOut:
        return address_of(obj)

    @staticmethod
    def resolve_plans(obj: Any) -> list[Any]:
        return list(obj.plans.all())


class PayerIn(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"name": "Example Health Plan", "payer_id": "EXHP1", "address_line1": "PO Box 1000", "city": "Durham",
         "state": "NC", "postal_code": "27702", "claim_filing_indicator": "CI", "timely_filing_days": 180}]}}
    name: str
    payer_id: str = ""
    address_line1: str
    address_line2: str = ""
    city: str
    state: str
    postal_code: str
    claim_filing_indicator: str = "CI"
    timely_filing_days: int = 90
    phone: str = ""
    portal_url: str = ""
    notes: str = ""


class PayerPatchIn(Schema):
    model_config = {"json_schema_extra": {"examples": [{"timely_filing_days": 90}]}}
    name: str | None = None
    payer_id: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    claim_filing_indicator: str | None = None
    timely_filing_days: int | None = None
    phone: str | None = None
    portal_url: str | None = None
    notes: str | None = None
    is_active: bool | None = None
