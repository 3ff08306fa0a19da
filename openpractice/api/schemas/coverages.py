from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema


class CoverageOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 731, "patient_id": 1042, "rank": 1, "payer_id": 3, "plan_id": 11, "member_id": "XJH123456789",
         "group_number": "GRP-004512", "subscriber_relationship": "spouse", "subscriber_first_name": "Casey",
         "subscriber_last_name": "Sample", "subscriber_date_of_birth": "1981-03-02", "subscriber_sex": "M",
         "subscriber_address_line1": "100 Example Street", "subscriber_address_line2": "", "subscriber_city": "Raleigh",
         "subscriber_state": "NC", "subscriber_postal_code": "27609", "effective_from": "2026-01-01",
         "effective_to": None, "copay": "25.00", "is_active": True}]}}
    id: int
    patient_id: int
    rank: int = Field(description="1 primary, 2 secondary, 3 tertiary")
    payer_id: int
    plan_id: int | None
    member_id: str
    group_number: str
    subscriber_relationship: str = Field(description="self, spouse, child or other")
    subscriber_first_name: str
    subscriber_last_name: str
    subscriber_date_of_birth: dt.date | None
    subscriber_sex: str
    subscriber_address_line1: str
    subscriber_address_line2: str
    subscriber_city: str
    subscriber_state: str
    subscriber_postal_code: str
    effective_from: dt.date
    effective_to: dt.date | None
    copay: Decimal
    is_active: bool


class CoverageIn(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"patient": 1042, "rank": 1, "payer": 3, "member_id": "XJH123456789", "group_number": "GRP-004512",
         "subscriber_relationship": "self", "effective_from": "2026-01-01", "copay": "25.00"}]}}
    patient: int
    rank: int = 1
    payer: int
    plan: int | None = None
    member_id: str
    group_number: str = ""
    subscriber_relationship: str = "self"
    subscriber_first_name: str = ""
    subscriber_last_name: str = ""
    subscriber_date_of_birth: dt.date | None = None
    subscriber_sex: str = ""
    subscriber_address_line1: str = ""
    subscriber_address_line2: str = ""
    subscriber_city: str = ""
    subscriber_state: str = ""
    subscriber_postal_code: str = ""
    effective_from: dt.date
    effective_to: dt.date | None = None
    copay: Decimal = Decimal("0.00")


class CoveragePatchIn(Schema):
    model_config = {"json_schema_extra": {"examples": [{"effective_to": "2026-12-31"}]}}
    rank: int | None = None
    payer: int | None = None
    plan: int | None = None
    member_id: str | None = None
    group_number: str | None = None
    subscriber_relationship: str | None = None
    subscriber_first_name: str | None = None
    subscriber_last_name: str | None = None
    subscriber_date_of_birth: dt.date | None = None
    subscriber_sex: str | None = None
    subscriber_address_line1: str | None = None
    subscriber_address_line2: str | None = None
    subscriber_city: str | None = None
    subscriber_state: str | None = None
    subscriber_postal_code: str | None = None
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    copay: Decimal | None = None
