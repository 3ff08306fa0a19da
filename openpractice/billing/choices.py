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
# ready claims to submitted; acknowledgements move submitted claims to accepted or rejected; remittance (issue 5)
# and people move them on from there. Closed is the end.
CLAIM_TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.READY, S.HELD, S.CLOSED}),
    S.HELD: frozenset({S.READY, S.HELD, S.DRAFT, S.CLOSED}),
    S.READY: frozenset({S.SUBMITTED, S.HELD, S.READY, S.DRAFT, S.CLOSED}),
    S.SUBMITTED: frozenset({S.ACCEPTED, S.REJECTED, S.PAID, S.PARTIAL, S.DENIED, S.CLOSED}),
    S.ACCEPTED: frozenset({S.PAID, S.PARTIAL, S.DENIED, S.REJECTED, S.CLOSED}),
    S.REJECTED: frozenset({S.READY, S.HELD, S.DRAFT, S.CLOSED}),
    S.PAID: frozenset({S.CLOSED, S.PARTIAL}),
    S.PARTIAL: frozenset({S.PAID, S.APPEALED, S.CLOSED}),
    S.DENIED: frozenset({S.APPEALED, S.CLOSED, S.PAID, S.PARTIAL}),
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
