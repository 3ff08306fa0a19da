from .charges import MAX_DIAGNOSES, MAX_LINES, MAX_MODIFIERS, MAX_POINTERS, Charge, ChargeDiagnosis, ChargeLine
from .claims import Claim, ClaimAdjustment, ClaimIssue, ClaimLine, ClaimStatusChange, in_open_batch_q
from .codes import ProcedureCode
from .fees import FeeSchedule, FeeScheduleEntry
from .ledger import (
    AccountBalance,
    Denial,
    LedgerEntry,
    LedgerEntryImmutable,
    PatientPayment,
    PaymentPlan,
    Refund,
    Statement,
    StatementRun,
    WriteOff,
)
from .remittance import (
    ProviderAdjustment,
    Remittance,
    RemittanceAdjustment,
    RemittanceClaim,
    RemittanceImport,
    RemittanceLine,
)
from .rules import ScrubRule
from .x12 import AcknowledgementImport, BatchSubmission, BillingSettings, ClaimBatch, ControlNumber

__all__ = [
    "MAX_DIAGNOSES",
    "MAX_LINES",
    "MAX_MODIFIERS",
    "MAX_POINTERS",
    "AccountBalance",
    "AcknowledgementImport",
    "BatchSubmission",
    "BillingSettings",
    "Charge",
    "ChargeDiagnosis",
    "ChargeLine",
    "Claim",
    "ClaimAdjustment",
    "ClaimBatch",
    "ClaimIssue",
    "ClaimLine",
    "ClaimStatusChange",
    "ControlNumber",
    "Denial",
    "FeeSchedule",
    "FeeScheduleEntry",
    "LedgerEntry",
    "LedgerEntryImmutable",
    "PatientPayment",
    "PaymentPlan",
    "ProcedureCode",
    "ProviderAdjustment",
    "Refund",
    "Remittance",
    "RemittanceAdjustment",
    "RemittanceClaim",
    "RemittanceImport",
    "RemittanceLine",
    "ScrubRule",
    "Statement",
    "StatementRun",
    "WriteOff",
    "in_open_batch_q",
]
