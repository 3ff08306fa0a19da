from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema


class CoverageOut(Schema):
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
