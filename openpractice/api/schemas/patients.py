from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from .common import AddressOut, address_of


class PatientOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 1042, "account_number": "A100245", "first_name": "Jordan", "middle_name": "", "last_name": "Sample",
         "date_of_birth": "1984-07-19", "sex": "F",
         "address": {"line1": "100 Example Street", "line2": "", "city": "Raleigh", "state": "NC", "postal_code": "27609"},
         "phone_mobile": "919-555-0100", "phone_home": "", "email": "jordan.sample@example.org",
         "preferred_contact": "sms", "preferred_language": "en", "home_location_id": 1, "guarantor_id": None,
         "emergency_contact_name": "Casey Sample", "emergency_contact_phone": "919-555-0101",
         "emergency_contact_relationship": "spouse", "ssn_last4": "6789", "is_active": True, "merged_into_id": None,
         "created_at": "2024-03-11T14:02:55Z", "updated_at": "2026-09-30T18:47:10Z"}]}}
    id: int
    account_number: str
    first_name: str
    middle_name: str
    last_name: str
    date_of_birth: dt.date
    sex: str = Field(description="F, M, U (unknown) or X")
    address: AddressOut
    phone_mobile: str
    phone_home: str
    email: str
    preferred_contact: str
    preferred_language: str
    home_location_id: int
    guarantor_id: int | None = Field(description="The patient who pays this patient's balance; null: self")
    emergency_contact_name: str
    emergency_contact_phone: str
    emergency_contact_relationship: str
    ssn_last4: str = Field(description="The last four digits only; the full SSN is never returned by the API")
    is_active: bool
    merged_into_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_address(obj: Any) -> AddressOut:
        return address_of(obj)


class PatientIn(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"first_name": "Jordan", "last_name": "Sample", "date_of_birth": "1984-07-19", "sex": "F",
         "address_line1": "100 Example Street", "city": "Springfield", "state": "NC", "postal_code": "27601",
         "phone_mobile": "555-0100", "email": "jordan.sample@example.org", "preferred_language": "en",
         "home_location": 1}]}}
    first_name: str
    middle_name: str = ""
    last_name: str
    date_of_birth: dt.date
    sex: str
    address_line1: str
    address_line2: str = ""
    city: str
    state: str
    postal_code: str
    phone_mobile: str = ""
    phone_home: str = ""
    email: str = ""
    preferred_contact: str = "mobile"
    preferred_language: str = "English"
    home_location: int = Field(description="Location id; you need patients.edit_demographics there")
    guarantor: int | None = None
    emergency_contact_name: str = ""
    emergency_contact_phone: str = ""
    emergency_contact_relationship: str = ""
    ssn: str = Field("", description="Needs patients.view_ssn")
    confirm_not_duplicate: bool = Field(
        False, description="Register even though possible duplicates were found (answered 409 before)")


class PatientPatchIn(Schema):
    model_config = {"json_schema_extra": {"examples": [{"phone_mobile": "555-0199", "preferred_language": "es"}]}}
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    date_of_birth: dt.date | None = None
    sex: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    phone_mobile: str | None = None
    phone_home: str | None = None
    email: str | None = None
    preferred_contact: str | None = None
    preferred_language: str | None = None
    home_location: int | None = None
    guarantor: int | None = None
    emergency_contact_name: str | None = None
    emergency_contact_phone: str | None = None
    emergency_contact_relationship: str | None = None
    ssn: str | None = Field(None, description="Needs patients.view_ssn")
    is_active: bool | None = None


class DuplicateOut(Schema):
    id: int
    account_number: str
    first_name: str
    last_name: str
    date_of_birth: dt.date
    reasons: list[str]


class DuplicatesOut(Schema):
    code: str
    message: str
    candidates: list[DuplicateOut]
