from .charges import MAX_DIAGNOSES, MAX_LINES, MAX_MODIFIERS, MAX_POINTERS, Charge, ChargeDiagnosis, ChargeLine
from .claims import Claim, ClaimAdjustment, ClaimIssue, ClaimLine, ClaimStatusChange, in_open_batch_q
from .codes import ProcedureCode
from .fees import FeeSchedule, FeeScheduleEntry
from .rules import ScrubRule
from .x12 import AcknowledgementImport, BatchSubmission, BillingSettings, ClaimBatch, ControlNumber

__all__ = [
    "MAX_DIAGNOSES", "MAX_LINES", "MAX_MODIFIERS", "MAX_POINTERS", "AcknowledgementImport", "BatchSubmission",
    "BillingSettings", "Charge", "ChargeDiagnosis", "ChargeLine", "Claim", "ClaimAdjustment", "ClaimBatch",
    "ClaimIssue", "ClaimLine", "ClaimStatusChange", "ControlNumber", "FeeSchedule", "FeeScheduleEntry",
    "ProcedureCode", "ScrubRule", "in_open_batch_q",
]
