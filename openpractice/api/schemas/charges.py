"""Charges: the header, the diagnoses (ICD-10-CM, as printed with the dot) and the procedure lines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from openpractice.billing.codes.icd10 import display_icd10

from .appointments import PatientRefOut, ProviderRefOut
from .common import LocationRefOut


class ChargeLineOut(Schema):
    id: int
    line_number: int
    procedure_code: str
    modifiers: list[str]
    units: Decimal
    service_date_from: dt.date
    service_date_to: dt.date
    pointers: list[int] = Field(description="Positions (1–12) in the charge's diagnosis list; the first is primary.")
    amount: Decimal


class ChargeClaimRefOut(Schema):
    id: int
    claim_number: str
    status: str
    payer_rank: int
    frequency_code: str


class ChargeOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 3318,
         "patient": {"id": 1042, "account_number": "A100245", "first_name": "Jordan", "last_name": "Sample"},
         "location": {"id": 1, "name": "Raleigh Main", "code": "ral"}, "appointment_id": 5530, "place_of_service": "11",
         "rendering_provider": {"id": 7, "display_name": "Priya Raman, MD"}, "billing_provider": None,
         "referring_provider_id": None, "prior_authorization": "", "date_of_service": "2026-10-14", "status": "billed",
         "diagnoses": ["I10", "E11.9"],
         "lines": [{"line_number": 1, "procedure_code": "99214", "modifiers": ["25"], "units": "1", "service_date_from": "2026-10-14", "service_date_to": "2026-10-14", "pointers": [1, 2], "amount": "165.00", "id": 9101}, {"line_number": 2, "procedure_code": "93000", "modifiers": [], "units": "1", "service_date_from": "2026-10-14", "service_date_to": "2026-10-14", "pointers": [1], "amount": "48.00", "id": 9102}],
         "total": "213.00",
         "claims": [{"id": 2291, "claim_number": "C-2026-000187", "status": "paid", "payer_rank": 1, "frequency_code": "1"}],
         "created_at": "2026-10-14T14:11:03Z", "updated_at": "2026-10-15T20:58:12Z"}]}}
    id: int
    patient: PatientRefOut
    location: LocationRefOut
    appointment_id: int | None
    place_of_service: str
    rendering_provider: ProviderRefOut
    billing_provider: ProviderRefOut | None = Field(description="None: the practice bills as a group.")
    referring_provider_id: int | None
    prior_authorization: str
    date_of_service: dt.date
    status: str
    diagnoses: list[str] = Field(description="ICD-10-CM codes in claim order, e.g. E11.9.")
    lines: list[ChargeLineOut]
    total: Decimal
    claims: list[ChargeClaimRefOut]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_diagnoses(obj: Any) -> list[str]:
        return [display_icd10(d.code) for d in obj.diagnoses.all()]

    @staticmethod
    def resolve_lines(obj: Any) -> list[Any]:
        return list(obj.lines.all())

    @staticmethod
    def resolve_total(obj: Any) -> Decimal:
        return sum((line.amount for line in obj.lines.all()), Decimal("0.00"))

    @staticmethod
    def resolve_claims(obj: Any) -> list[Any]:
        return list(obj.claims.all())


class ChargeFilters(Schema):
    status: str | None = Field(None, description="open, billed or void")
    location_id: int | None = None
    patient_id: int | None = None
    date_from: dt.date | None = Field(None, description="Dates of service on or after this day.")
    date_to: dt.date | None = Field(None, description="Dates of service on or before this day.")


class ChargeLineIn(Schema):
    procedure_code: str = Field(max_length=7, description="CPT or HCPCS Level II, e.g. 99213 or J1100.")
    modifiers: list[str] = Field(default_factory=list, max_length=4)
    units: Decimal = Field(Decimal(1), gt=0, max_digits=7, decimal_places=2)
    service_date_from: dt.date | None = Field(None, description="Default: the date of service.")
    service_date_to: dt.date | None = Field(None, description="Default: service_date_from.")
    pointers: list[int] = Field(default_factory=lambda: [1], min_length=1, max_length=4)
    amount: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2,
                                   description="Default: the standard fee x units.")


class ChargeIn(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"patient_id": 1042, "location_id": 1, "rendering_provider_id": 7, "date_of_service": "2026-11-02",
         "place_of_service": "11", "diagnoses": ["E11.9", "I10"],
         "lines": [{"procedure_code": "99214", "modifiers": ["25"], "pointers": [1, 2]},
                   {"procedure_code": "J1100", "units": "2", "amount": "30.00", "pointers": [1]}]},
        {"appointment_id": 5530, "diagnoses": ["J06.9"], "lines": [{"procedure_code": "99213"}]}]}}
    appointment_id: int | None = Field(None, description="A checked-out visit: patient, location, provider and "
                                                          "date come from it and the fields below are ignored.")
    patient_id: int | None = None
    location_id: int | None = None
    rendering_provider_id: int | None = None
    date_of_service: dt.date | None = None
    place_of_service: str = Field("", max_length=2, description="Default: the location's.")
    billing_provider_id: int | None = Field(None, description="Only with `group_bills` false; default: the "
                                                              "rendering provider when they bill under their own "
                                                              "NPI, else the group.")
    group_bills: bool | None = Field(None, description="true: the practice bills as a group (no billing provider).")
    referring_provider_id: int | None = None
    prior_authorization: str = Field("", max_length=50)
    diagnoses: list[str] = Field(default_factory=list, max_length=12, description="ICD-10-CM, e.g. E11.9.")
    lines: list[ChargeLineIn] = Field(default_factory=list, max_length=50)
