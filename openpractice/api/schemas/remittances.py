"""835 remittances: imported files, payments (one per payer and trace number), claim payments with their
service lines and CAS adjustments, provider-level (PLB) adjustments, and the import summary."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from .appointments import PatientRefOut, RefOut
from .claims import ActorOut

ZERO = Decimal("0.00")


class ImportSummaryOut(Schema):
    """What an import did; the keys of `openpractice billing import-835 --json`."""
    model_config = {"json_schema_extra": {"examples": [
        {"payments": 1, "claims_matched": 1, "claims_unmatched": 1, "paid_total": "125.00",
         "adjustment_total": "125.00", "patient_responsibility_total": "125.00", "denied_claims": 1,
         "reversed_claims": 1, "duplicates_skipped": 1, "errors": [""], "notices": [""], "dry_run": False,
         "import_id": 12}]}}

    payments: int = Field(0, description="Payments (ST-SE transaction sets) in the file.")
    claims_matched: int = 0
    claims_unmatched: int = Field(0, description="Claim payments left in the exceptions queue.")
    paid_total: Decimal = ZERO
    adjustment_total: Decimal = ZERO
    patient_responsibility_total: Decimal = ZERO
    denied_claims: int = 0
    reversed_claims: int = 0
    duplicates_skipped: int = Field(0, description="Payments or claim payments already posted: skipped.")
    errors: list[str] = Field(default_factory=list)
    notices: list[str] = Field(default_factory=list)
    dry_run: bool = Field(False, description="True when nothing was posted on purpose (check only).")
    import_id: int | None = Field(None, description="The imported file's record; none for a dry run.")


class RemittanceImportOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 12, "filename": "", "sha256": "", "size": 1, "status": "open", "error": "",
         "imported_by": {"id": 12, "username": "jsample"}, "imported_at": "2026-11-02T15:30:00Z",
         "summary": {"payments": 1, "claims_matched": 1, "claims_unmatched": 1, "paid_total": "125.00", "adjustment_total": "125.00", "patient_responsibility_total": "125.00", "denied_claims": 1, "reversed_claims": 1, "duplicates_skipped": 1, "errors": [""], "notices": [""], "dry_run": False, "import_id": 12}}]}}
    id: int
    filename: str
    sha256: str
    size: int
    status: str = Field(description="posted, duplicate (nothing posted) or refused (nothing posted).")
    error: str = Field(description="Why the file was refused (empty otherwise).")
    imported_by: ActorOut
    imported_at: dt.datetime
    summary: ImportSummaryOut

    @staticmethod
    def resolve_summary(obj: Any) -> dict[str, Any]:
        summary = dict(obj.summary or {})
        if getattr(obj, "hide_messages", False):
            # The file's errors and notices may name claims of other locations: for its importer and for users
            # who cover every location only (as on the web page).
            summary["errors"], summary["notices"] = [], []
        return summary


class RemittanceOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 12, "import_id": 12, "payer": {"id": 12, "name": "North Clinic"}, "payer_key": "",
         "payer_name": "Example", "trace_number": "TRN-88421", "payment_method": "", "payment_amount": "125.00",
         "credit_debit": "", "payment_date": "2026-11-02", "production_date": "2026-11-02", "payee_npi": "",
         "posted_at": "2026-11-02T15:30:00Z", "claim_count": 3}]}}
    id: int
    import_id: int = Field(description="The file this payment came in.")
    payer: RefOut | None = Field(description="Our payer, when the 835 names one we know.")
    payer_key: str = Field(description="The payer as the file identifies it (TRN03 or N1*PR).")
    payer_name: str
    trace_number: str = Field(description="TRN02: the check or EFT trace number.")
    payment_method: str = Field(description="BPR04: ACH, CHK, FWT, BOP or NON.")
    payment_amount: Decimal = Field(description="BPR02.")
    credit_debit: str = Field(description="BPR03: C credit, D debit.")
    payment_date: dt.date | None
    production_date: dt.date | None
    payee_npi: str
    posted_at: dt.datetime
    claim_count: int = Field(description="Claim payments of this remittance that you may see.")

    @staticmethod
    def resolve_import_id(obj: Any) -> int:
        return int(obj.source_id)


class AdjustmentOut(Schema):
    group_code: str = Field(description="CO, PR, OA, PI or CR.")
    reason_code: str = Field(description="CARC.")
    amount: Decimal
    quantity: Decimal | None


class RemittanceLineOut(Schema):
    position: int
    claim_line_id: int | None = Field(description="Our claim line, when matched.")
    procedure_code: str
    modifiers: list[str]
    charge_amount: Decimal = Field(description="SVC02.")
    paid_amount: Decimal = Field(description="SVC03.")
    units: Decimal | None
    service_date: dt.date | None
    control_number: str = Field(description="REF*6R: our line item control number.")
    allowed_amount: Decimal | None = Field(description="AMT*B6.")
    remark_codes: list[str]
    adjustments: list[AdjustmentOut]

    @staticmethod
    def resolve_adjustments(obj: Any) -> list[Any]:
        return list(obj.adjustments.all())


class ClaimPaymentOut(Schema):
    id: int
    claim_number: str = Field(description="CLP01 as the payer sent it.")
    claim_id: int | None = Field(description="Our claim; none while unmatched or when dismissed.")
    patient: PatientRefOut | None = Field(description="Our patient, when matched.")
    location_id: int | None
    match: str = Field(description="matched, unmatched (exceptions queue), resolved (matched by hand) or dismissed.")
    status_code: str = Field(description="CLP02: 1/2/3 processed, 4 denied, 22 reversal...")
    charge_amount: Decimal
    paid_amount: Decimal
    patient_responsibility: Decimal | None
    filing_indicator: str
    payer_claim_number: str
    patient_name: str = Field(description="The patient as the payer names them.")
    member_id: str
    service_date: dt.date | None
    remark_codes: list[str]
    reverses_id: int | None = Field(description="For a reversal: the claim payment it takes back.")
    note: str
    adjustments: list[AdjustmentOut] = Field(description="Claim-level CAS adjustments.")
    lines: list[RemittanceLineOut]

    @staticmethod
    def resolve_patient(obj: Any) -> Any:
        return obj.claim.patient if obj.claim_id is not None else None

    @staticmethod
    def resolve_location_id(obj: Any) -> int | None:
        return obj.claim.location_id if obj.claim_id is not None else None

    @staticmethod
    def resolve_adjustments(obj: Any) -> list[Any]:
        return list(obj.claim_adjustments)

    @staticmethod
    def resolve_lines(obj: Any) -> list[Any]:
        return list(obj.lines.all())


class ProviderAdjustmentOut(Schema):
    reason_code: str = Field(description="PLB03-1, e.g. WO overpayment recovery, L6 interest.")
    reference: str
    fiscal_period_date: dt.date | None
    amount: Decimal = Field(description="Positive reduces the payment.")


class RemittanceDetailOut(RemittanceOut):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 12, "import_id": 12, "payer": {"id": 12, "name": "North Clinic"}, "payer_key": "",
         "payer_name": "Example", "trace_number": "TRN-88421", "payment_method": "", "payment_amount": "125.00",
         "credit_debit": "", "payment_date": "2026-11-02", "production_date": "2026-11-02", "payee_npi": "",
         "posted_at": "2026-11-02T15:30:00Z", "claim_count": 3,
         "claims": [{"id": 12, "claim_number": "C-2026-000187", "claim_id": None, "patient": None, "location_id": None, "match": "", "status_code": "", "charge_amount": "125.00", "paid_amount": "125.00", "patient_responsibility": None, "filing_indicator": "", "payer_claim_number": "", "patient_name": "Example", "member_id": "XJH123456789", "service_date": None, "remark_codes": [""], "reverses_id": None, "note": "", "adjustments": [{"group_code": "", "reason_code": "", "amount": "125.00", "quantity": None}], "lines": [{"position": 1, "claim_line_id": None, "procedure_code": "99213", "modifiers": [], "charge_amount": "125.00", "paid_amount": "125.00", "units": None, "service_date": None, "control_number": "", "allowed_amount": None, "remark_codes": [], "adjustments": []}]}],
         "claims_not_shown": 1,
         "provider_adjustments": [{"reason_code": "", "reference": "auth 829301", "fiscal_period_date": None, "amount": "125.00"}]}]}}
    claims: list[ClaimPaymentOut] = Field(description="The claim payments you may see, in file order.")
    claims_not_shown: int = Field(description="Claim payments at locations you do not cover (or unmatched).")
    provider_adjustments: list[ProviderAdjustmentOut]

    @staticmethod
    def resolve_claims(obj: Any) -> list[Any]:
        return list(obj.shown_claims)

    @staticmethod
    def resolve_claims_not_shown(obj: Any) -> int:
        return int(obj.total_claims) - len(obj.shown_claims)

    @staticmethod
    def resolve_provider_adjustments(obj: Any) -> list[Any]:
        return list(obj.provider_adjustments.all())


class RemittanceFilters(Schema):
    payer_id: int | None = None
    payment_date_from: dt.date | None = None
    payment_date_to: dt.date | None = None
    trace_number: str = Field("", max_length=80, description="TRN02, exactly.")


class RemittanceImportFilters(Schema):
    status: str | None = Field(None, description="posted, duplicate or refused.")
