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
        {"payments": 1, "claims_matched": 3, "claims_unmatched": 0, "paid_total": "411.42",
         "adjustment_total": "151.40", "patient_responsibility_total": "60.00", "denied_claims": 0,
         "reversed_claims": 0, "duplicates_skipped": 0, "errors": [], "notices": [], "dry_run": False, "import_id": 58}]}}

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
        {"id": 58, "filename": "BCBSNC_835_20261103.edi",
         "sha256": "9f2c4e81a07b5d3366e1c0fa9b2d47e58c1a6f03d9e2b7c4a5f8061e3d2c9b7a", "size": 18452,
         "status": "posted", "error": "", "imported_by": {"id": 14, "username": "mlopez"},
         "imported_at": "2026-11-03T13:20:45Z",
         "summary": {"payments": 1, "claims_matched": 3, "claims_unmatched": 0, "paid_total": "411.42", "adjustment_total": "151.40", "patient_responsibility_total": "60.00", "denied_claims": 0, "reversed_claims": 0, "duplicates_skipped": 0, "errors": [], "notices": [], "dry_run": False, "import_id": 58}}]}}
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
        {"id": 61, "import_id": 58, "payer": {"id": 3, "name": "Blue Cross NC"}, "payer_key": "1560894904",
         "payer_name": "BLUE CROSS BLUE SHIELD OF NC", "trace_number": "883104729", "payment_method": "ACH",
         "payment_amount": "412.60", "credit_debit": "C", "payment_date": "2026-11-03", "production_date": "2026-10-31",
         "payee_npi": "1234567893", "posted_at": "2026-11-03T13:20:47Z", "claim_count": 3}]}}
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
        {"id": 61, "import_id": 58, "payer": {"id": 3, "name": "Blue Cross NC"}, "payer_key": "1560894904",
         "payer_name": "BLUE CROSS BLUE SHIELD OF NC", "trace_number": "883104729", "payment_method": "ACH",
         "payment_amount": "412.60", "credit_debit": "C", "payment_date": "2026-11-03", "production_date": "2026-10-31",
         "payee_npi": "1234567893", "posted_at": "2026-11-03T13:20:47Z", "claim_count": 1,
         "claims": [{"id": 204, "claim_number": "C-2026-000187", "claim_id": 2291, "patient": {"id": 1042, "account_number": "A100245", "first_name": "Jordan", "last_name": "Sample"}, "location_id": 1, "match": "matched", "status_code": "1", "charge_amount": "213.00", "paid_amount": "142.60", "patient_responsibility": "22.00", "filing_indicator": "BL", "payer_claim_number": "2026288KD41907", "patient_name": "SAMPLE, JORDAN", "member_id": "XJH123456789", "service_date": "2026-10-14", "remark_codes": [], "reverses_id": None, "note": "", "adjustments": [], "lines": [{"position": 1, "claim_line_id": 9101, "procedure_code": "99214", "modifiers": ["25"], "charge_amount": "165.00", "paid_amount": "98.60", "units": "1", "service_date": "2026-10-14", "control_number": "2291-1", "allowed_amount": "120.60", "remark_codes": [], "adjustments": [{"group_code": "CO", "reason_code": "45", "amount": "44.40", "quantity": None}, {"group_code": "PR", "reason_code": "3", "amount": "22.00", "quantity": None}]}, {"position": 2, "claim_line_id": 9102, "procedure_code": "93000", "modifiers": [], "charge_amount": "48.00", "paid_amount": "44.00", "units": "1", "service_date": "2026-10-14", "control_number": "2291-2", "allowed_amount": "44.00", "remark_codes": [], "adjustments": [{"group_code": "CO", "reason_code": "45", "amount": "4.00", "quantity": None}]}]}],
         "claims_not_shown": 2,
         "provider_adjustments": [{"reason_code": "L6", "reference": "INT2026Q3", "fiscal_period_date": "2026-12-31", "amount": "-1.18"}]}]}}
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
