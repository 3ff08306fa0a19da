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
        {"id": 12, "claim_number": "C-2026-000187", "payer_claim_number": "", "charge_id": 12,
         "patient": {"id": 12, "account_number": "A100245", "first_name": "Jordan", "last_name": "Sample"},
         "location": {"id": 12, "name": "North Clinic", "code": "north"}, "payer": {"id": 12, "name": "North Clinic"},
         "payer_rank": 1, "status": "open", "frequency_code": "", "original_claim_id": 12,
         "date_of_service": "2026-11-02", "total_charge": "", "submitted_at": "2026-11-02T15:30:00Z",
         "scrubbed_at": "2026-11-02T15:30:00Z", "error_count": 3, "warning_count": 3}]}}
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
        {"id": 12, "claim_number": "C-2026-000187", "payer_claim_number": "", "charge_id": 12,
         "patient": {"id": 12, "account_number": "A100245", "first_name": "Jordan", "last_name": "Sample"},
         "location": {"id": 12, "name": "North Clinic", "code": "north"}, "payer": {"id": 12, "name": "North Clinic"},
         "payer_rank": 1, "status": "open", "frequency_code": "", "original_claim_id": 12,
         "date_of_service": "2026-11-02", "total_charge": "", "submitted_at": "2026-11-02T15:30:00Z",
         "scrubbed_at": "2026-11-02T15:30:00Z", "error_count": 3, "warning_count": 3, "place_of_service": "11",
         "rendering_provider": {"id": 12, "display_name": "Avery Example, MD"},
         "billing_provider": {"id": 12, "display_name": "Avery Example, MD"}, "referring_provider_id": 12,
         "prior_authorization": "", "diagnoses": ["I10"],
         "lines": [{"line_number": 1, "procedure_code": "99213", "modifiers": ["25"], "units": "1", "service_date_from": "2026-11-02", "service_date_to": "2026-11-02", "pointers": [1], "amount": "125.00"}],
         "issues": [{"rule": "", "severity": "", "line_number": None, "message": "", "fix_hint": ""}],
         "prior_payer_paid": "", "prior_payer_paid_on": "2026-11-02",
         "prior_adjustments": [{"group_code": "", "reason_code": "", "amount": "125.00"}]}]}}
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
        {"at": "2026-11-02T15:30:00Z", "from_status": "", "to_status": "", "source": "",
         "actor": {"id": 12, "username": "jsample"}, "reason": ""}]}}
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
