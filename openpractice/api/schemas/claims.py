"""Claims: what was billed to which payer, the scrubber's findings and the status history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from openpractice.billing.codes.icd10 import display_icd10

from .appointments import PatientRefOut, ProviderRefOut, RefOut
from .common import LocationRefOut


class ClaimOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 2291, "claim_number": "C-2026-000187", "payer_claim_number": "2026288KD41907", "charge_id": 3318,
         "patient": {"id": 1042, "account_number": "A100245", "first_name": "Jordan", "last_name": "Sample"},
         "location": {"id": 1, "name": "Raleigh Main", "code": "ral"}, "payer": {"id": 3, "name": "Blue Cross NC"},
         "payer_rank": 1, "status": "paid", "frequency_code": "1", "original_claim_id": None,
         "date_of_service": "2026-10-14", "total_charge": "213.00", "submitted_at": "2026-10-15T21:04:00Z",
         "scrubbed_at": "2026-10-15T20:58:12Z", "error_count": 0, "warning_count": 0}]}}
    id: int
    claim_number: str = Field(description="CLM01, ours.")
    payer_claim_number: str
    charge_id: int
    patient: PatientRefOut
    location: LocationRefOut
    payer: RefOut
    payer_rank: int = Field(description="1 primary, 2 secondary, 3 tertiary.")
    status: str
    frequency_code: str = Field(description="1 original, 7 corrected, 8 void.")
    original_claim_id: int | None
    date_of_service: dt.date
    total_charge: Decimal
    submitted_at: dt.datetime | None
    scrubbed_at: dt.datetime | None
    error_count: int = 0
    warning_count: int = 0


class ClaimLineOut(Schema):
    line_number: int
    procedure_code: str
    modifiers: list[str]
    units: Decimal
    service_date_from: dt.date
    service_date_to: dt.date
    pointers: list[int]
    amount: Decimal


class ClaimIssueOut(Schema):
    rule: str
    severity: str
    line_number: int | None
    message: str
    fix_hint: str


class ClaimAdjustmentOut(Schema):
    group_code: str
    reason_code: str
    amount: Decimal


class ClaimDetailOut(ClaimOut):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 2347, "claim_number": "C-2026-000203", "payer_claim_number": "", "charge_id": 3318,
         "patient": {"id": 1042, "account_number": "A100245", "first_name": "Jordan", "last_name": "Sample"},
         "location": {"id": 1, "name": "Raleigh Main", "code": "ral"}, "payer": {"id": 5, "name": "Aetna"},
         "payer_rank": 2, "status": "ready", "frequency_code": "1", "original_claim_id": None,
         "date_of_service": "2026-10-14", "total_charge": "213.00", "submitted_at": None,
         "scrubbed_at": "2026-11-04T14:12:40Z", "error_count": 0, "warning_count": 1, "place_of_service": "11",
         "rendering_provider": {"id": 7, "display_name": "Priya Raman, MD"}, "billing_provider": None,
         "referring_provider_id": None, "prior_authorization": "", "diagnoses": ["I10", "E11.9"],
         "lines": [{"line_number": 1, "procedure_code": "99214", "modifiers": ["25"], "units": "1", "service_date_from": "2026-10-14", "service_date_to": "2026-10-14", "pointers": [1, 2], "amount": "165.00"}, {"line_number": 2, "procedure_code": "93000", "modifiers": [], "units": "1", "service_date_from": "2026-10-14", "service_date_to": "2026-10-14", "pointers": [1], "amount": "48.00"}],
         "issues": [{"rule": "icd10_not_checked", "severity": "warning", "line_number": None, "message": "E11.9 was not checked against this year's ICD-10-CM code set.", "fix_hint": "Load the current code set under Billing > Codes."}],
         "prior_payer_paid": "142.60", "prior_payer_paid_on": "2026-11-03",
         "prior_adjustments": [{"group_code": "CO", "reason_code": "45", "amount": "48.40"}, {"group_code": "PR", "reason_code": "3", "amount": "22.00"}]}]}}
    place_of_service: str
    rendering_provider: ProviderRefOut
    billing_provider: ProviderRefOut | None
    referring_provider_id: int | None
    prior_authorization: str
    diagnoses: list[str]
    lines: list[ClaimLineOut]
    issues: list[ClaimIssueOut]
    prior_payer_paid: Decimal | None
    prior_payer_paid_on: dt.date | None
    prior_adjustments: list[ClaimAdjustmentOut]

    @staticmethod
    def resolve_diagnoses(obj: Any) -> list[str]:
        return [display_icd10(code) for code in obj.diagnosis_codes]

    @staticmethod
    def resolve_lines(obj: Any) -> list[Any]:
        return list(obj.lines.all())

    @staticmethod
    def resolve_issues(obj: Any) -> list[Any]:
        return list(obj.issues.all())

    @staticmethod
    def resolve_prior_adjustments(obj: Any) -> list[Any]:
        return list(obj.prior_adjustments.all())

    @staticmethod
    def resolve_error_count(obj: Any) -> int:
        return sum(1 for issue in obj.issues.all() if issue.severity == "error")

    @staticmethod
    def resolve_warning_count(obj: Any) -> int:
        return sum(1 for issue in obj.issues.all() if issue.severity == "warning")


class ActorOut(Schema):
    id: int
    username: str


class ClaimStatusChangeOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"at": "2026-10-16T09:12:30Z", "from_status": "submitted", "to_status": "accepted", "source": "277CA",
         "actor": None, "reason": "A1:20 accepted for processing"},
        {"at": "2026-11-03T13:20:47Z", "from_status": "accepted", "to_status": "paid", "source": "835",
         "actor": {"id": 14, "username": "mlopez"}, "reason": ""}]}}
    at: dt.datetime
    from_status: str = Field(description="Empty for the first entry (the claim was built).")
    to_status: str
    source: str = Field(description="user, scrubber, batch, 999, 277CA or 835.")
    actor: ActorOut | None
    reason: str


class ClaimFilters(Schema):
    status: str | None = None
    payer_id: int | None = None
    location_id: int | None = None
    q: str = Field("", max_length=100, description="A claim number (ours or the payer's), or a patient: name, "
                                                   "date of birth or account number.")


class ClaimStatusIn(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"to_status": "accepted", "reason": "277CA: accepted by the payer"}]}}
    to_status: str = Field(description="draft, accepted, rejected, paid, partial, denied, appealed or closed.")
    reason: str = Field("", max_length=500, description="Required for denied, appealed and closed.")
