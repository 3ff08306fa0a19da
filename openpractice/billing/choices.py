"""Choices of the billing domain, and the claim status lifecycle (which transitions a claim may take)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProcedureCodeKind(models.TextChoices):
    CPT = "CPT", _("CPT")
    HCPCS = "HCPCS", _("HCPCS Level II")


class ChargeStatus(models.TextChoices):
    OPEN = "open", _("Open")  # being coded; lines and diagnoses may change
    BILLED = "billed", _("Billed")  # a claim was built from it
    VOID = "void", _("Void")


class ClaimStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    READY = "ready", _("Ready to send")
    HELD = "held", _("Held by the scrubber")
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted by the payer")
    REJECTED = "rejected", _("Rejected")
    PAID = "paid", _("Paid")
    PARTIAL = "partial", _("Partially paid")
    DENIED = "denied", _("Denied")
    APPEALED = "appealed", _("Appealed")
    CLOSED = "closed", _("Closed")


S = ClaimStatus
# Which status may follow which. The scrubber moves draft/held/rejected claims to ready or held; a batch moves
# ready claims to submitted; acknowledgements move submitted claims to accepted or rejected; remittances (835)
# and people move them on from there. Closed is the end.
CLAIM_TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.READY, S.HELD, S.CLOSED}),
    S.HELD: frozenset({S.READY, S.HELD, S.DRAFT, S.CLOSED}),
    S.READY: frozenset({S.SUBMITTED, S.HELD, S.READY, S.DRAFT, S.CLOSED}),
    S.SUBMITTED: frozenset({S.ACCEPTED, S.REJECTED, S.PAID, S.PARTIAL, S.DENIED, S.CLOSED}),
    S.ACCEPTED: frozenset({S.PAID, S.PARTIAL, S.DENIED, S.REJECTED, S.CLOSED}),
    S.REJECTED: frozenset({S.READY, S.HELD, S.DRAFT, S.CLOSED}),
    # A reversal (835 CLP02 = 22) takes an adjudication back: the claim is with the payer again (accepted).
    S.PAID: frozenset({S.CLOSED, S.PARTIAL, S.DENIED, S.ACCEPTED}),
    S.PARTIAL: frozenset({S.PAID, S.APPEALED, S.CLOSED, S.DENIED, S.ACCEPTED}),
    S.DENIED: frozenset({S.APPEALED, S.CLOSED, S.PAID, S.PARTIAL, S.ACCEPTED}),
    S.APPEALED: frozenset({S.PAID, S.PARTIAL, S.DENIED, S.CLOSED}),
    S.CLOSED: frozenset(),
}
# Statuses in which the claim's content may still be rebuilt from its charge and scrubbed again.
EDITABLE_CLAIM_STATUSES: frozenset[str] = frozenset({S.DRAFT, S.HELD, S.READY, S.REJECTED})
# Statuses in which the claim is with the payer (a corrected or void claim may replace it).
SENT_CLAIM_STATUSES: frozenset[str] = frozenset({S.SUBMITTED, S.ACCEPTED, S.PAID, S.PARTIAL, S.DENIED, S.APPEALED})


class ClaimFrequency(models.TextChoices):
    """CLM05-3, the claim frequency type code."""

    ORIGINAL = "1", _("Original")
    CORRECTED = "7", _("Replacement of a prior claim")
    VOID = "8", _("Void of a prior claim")


class StatusSource(models.TextChoices):
    USER = "user", _("Person")
    SCRUBBER = "scrubber", _("Scrubber")
    BATCH = "batch", _("Batch")
    ACK_999 = "999", _("999 acknowledgement")
    ACK_277CA = "277CA", _("277CA acknowledgement")
    REMITTANCE = "835", _("Remittance (835)")


class Severity(models.TextChoices):
    ERROR = "error", _("Error (holds the claim)")
    WARNING = "warning", _("Warning")


class BatchStatus(models.TextChoices):
    BUILT = "built", _("Built")
    SUBMITTED = "submitted", _("Submitted")
    FAILED = "failed", _("Transport failed")
    DISCARDED = "discarded", _("Discarded (never sent)")


# A claim in a batch of these statuses waits to be sent: it may not change until the batch is sent or discarded.
# Once the batch is submitted the claim keeps the link (which file carried it) but is free to move on.
OPEN_BATCH_STATUSES: frozenset[str] = frozenset({BatchStatus.BUILT, BatchStatus.FAILED})


class UsageIndicator(models.TextChoices):
    TEST = "T", _("Test")
    PRODUCTION = "P", _("Production")


class AcknowledgementKind(models.TextChoices):
    ACK_999 = "999", _("999 implementation acknowledgement")
    ACK_277CA = "277CA", _("277CA claim acknowledgement")
    ELIGIBILITY_271 = "271", _("271 eligibility response")


class RemittanceImportStatus(models.TextChoices):
    POSTED = "posted", _("Posted")
    DUPLICATE = "duplicate", _("Already imported (nothing posted)")
    REFUSED = "refused", _("Refused (nothing posted)")


class RemittanceClaimMatch(models.TextChoices):
    MATCHED = "matched", _("Matched and posted")
    UNMATCHED = "unmatched", _("Not matched: in the exceptions queue")
    RESOLVED = "resolved", _("Matched by hand and posted")
    DISMISSED = "dismissed", _("Dismissed (not ours)")


class ClaimPaymentStatus(models.TextChoices):
    """CLP02, the claim status code of an 835 claim payment."""

    PRIMARY = "1", _("Processed as primary")
    SECONDARY = "2", _("Processed as secondary")
    TERTIARY = "3", _("Processed as tertiary")
    DENIED = "4", _("Denied")
    PRIMARY_FORWARDED = "19", _("Processed as primary, forwarded to another payer")
    SECONDARY_FORWARDED = "20", _("Processed as secondary, forwarded to another payer")
    TERTIARY_FORWARDED = "21", _("Processed as tertiary, forwarded to another payer")
    REVERSAL = "22", _("Reversal of a previous payment")
    NOT_OUR_CLAIM = "23", _("Not our claim, forwarded")
    PREDETERMINATION = "25", _("Predetermination pricing only, no payment")


class Party(models.TextChoices):
    """Who owes a ledger amount: the payer of the claim, or the patient (guarantor)."""

    PAYER = "payer", _("Payer")
    PATIENT = "patient", _("Patient")


class EntryKind(models.TextChoices):
    """What moved. Amounts are signed by their effect on what is owed: charges and refunds raise it, payments and
    adjustments lower it, a transfer moves it between parties (two entries that add up to zero)."""

    CHARGE = "charge", _("Charge")
    PAYER_PAYMENT = "payer_payment", _("Payer payment")
    CONTRACTUAL = "contractual", _("Contractual adjustment (CO)")
    PAYER_ADJUSTMENT = "payer_adjustment", _("Other payer adjustment (OA/PI)")
    TRANSFER = "transfer", _("Transfer of responsibility")
    PATIENT_PAYMENT = "patient_payment", _("Patient payment")
    WRITE_OFF = "write_off", _("Write-off")
    REFUND = "refund", _("Refund")
    PROVIDER_ADJUSTMENT = "provider_adjustment", _("Provider-level adjustment (PLB)")


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    CARD = "card", _("Card")
    CHECK = "check", _("Check")
    ACH = "ach", _("Bank transfer")


class WriteOffStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved and posted")
    REJECTED = "rejected", _("Rejected")


class DenialCategory(models.TextChoices):
    ELIGIBILITY = "eligibility", _("Eligibility")
    AUTHORIZATION = "authorization", _("Authorization")
    CODING = "coding", _("Coding")
    TIMELY_FILING = "timely_filing", _("Timely filing")
    DUPLICATE = "duplicate", _("Duplicate")
    OTHER = "other", _("Other")


class DenialStatus(models.TextChoices):
    OPEN = "open", _("Open")
    APPEALED = "appealed", _("Appealed")
    CORRECTED = "corrected", _("Corrected claim sent")
    RESOLVED = "resolved", _("Resolved")
    WRITTEN_OFF = "written_off", _("Written off")
