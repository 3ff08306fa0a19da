from __future__ import annotations

from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict

from .common import AddressOut, address_of


class PracticeOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 1, "name": "Piedmont Family Medicine", "legal_name": "Piedmont Family Medicine PLLC",
         "ein": "56-1234567", "group_npi": "1234567893", "kind": "medical_group", "kind_name": "Medical group",
         "timezone": "America/New_York", "phone": "919-555-0140",
         "address": {"line1": "4200 Glenwood Ave", "line2": "Suite 210", "city": "Raleigh", "state": "NC", "postal_code": "27612"},
         "idle_timeout_minutes": 15, "absolute_session_hours": 12, "updated_at": "2026-08-05T13:15:00Z"}]}}
    id: int
    name: str
    legal_name: str
    ein: str
    group_npi: str
    kind: str
    kind_name: str
    timezone: str
    phone: str
    address: AddressOut
    idle_timeout_minutes: int
    absolute_session_hours: int
    updated_at: Any

    @staticmethod
    def resolve_kind_name(obj: Any) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_address(obj: Any) -> AddressOut:
        return address_of(obj)


class PracticePatchIn(Schema):
    """Only the fields sent are changed. Values are validated by the same rules as the settings page."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"phone": "555-0110", "idle_timeout_minutes": 15}]})

    name: str | None = Field(None, max_length=120)
    legal_name: str | None = Field(None, max_length=120)
    ein: str | None = Field(None, description="NN-NNNNNNN")
    group_npi: str | None = None
    kind: str | None = Field(None, description="medical_group, dental_office, outpatient_center, urgent_care or "
                                               "hospital_practice")
    timezone: str | None = Field(None, description="IANA time zone, e.g. America/New_York")
    phone: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    state: str | None = Field(None, description="Two-letter state code")
    postal_code: str | None = None
    idle_timeout_minutes: int | None = Field(None, ge=2, le=120)
    absolute_session_hours: int | None = Field(None, ge=1, le=24)
