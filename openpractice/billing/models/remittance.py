"""835 remittances as imported: the file, each payment (one ST-SE), its claim payments, lines, adjustments,
remark codes and provider-level adjustments. What was posted from them is in the ledger (models/ledger.py).

Exactly once: a payment is identified by its payer and its trace number (TRN02); a claim payment inside it by
its position among the payment's claim payments with the same CLP01. Unique constraints hold both, so a file
imported twice, the same payment inside another file, or two imports racing each other post it once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import ClaimPaymentStatus, RemittanceClaimMatch, RemittanceImportStatus


def money(verbose_name: Any = None, **kwargs: Any) -> models.DecimalField[Any, Any]:
    """An amount of money: NUMERIC(12, 2)."""
    kwargs.update(max_digits=12, decimal_places=2)
    return models.DecimalField(verbose_name, **kwargs)


class RemittanceImport(models.Model):
    """One 835 file as received: who imported it, what it held and what came of it (the JSON summary)."""

    filename = models.CharField(_("file"), max_length=255)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveBigIntegerField(_("bytes"))
    status = models.CharField(_("status"), max_length=10, choices=RemittanceImportStatus.choices)
    summary = models.JSONField(_("summary"), default=dict)
    error = models.TextField(_("why it was refused"), blank=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField(_("imported"), default=timezone.now)

    class Meta:
        ordering = ["-imported_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("billing:remittance_import_detail", args=[self.pk])


class Remittance(models.Model):
    """One payment (BPR/TRN) from a payer: an ST-SE transaction set of an 835."""

    source = models.ForeignKey(RemittanceImport, on_delete=models.PROTECT, related_name="remittances")
    payer = models.ForeignKey("patients.Payer", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="remittances", help_text=_("Empty when the 835 names no payer we know."))
    # The payer as the file names it: TRN03 (or N1*PR's identifier) is what makes a trace number unique.
    payer_key = models.CharField(_("payer identifier"), max_length=80)
    payer_name = models.CharField(_("payer name (N1*PR)"), max_length=120, blank=True)
    trace_number = models.CharField(_("trace number (TRN02)"), max_length=80)
    payment_method = models.CharField(_("payment method (BPR04)"), max_length=3, blank=True)
    payment_amount = money(_("payment (BPR02)"))
    credit_debit = models.CharField(_("credit or debit (BPR03)"), max_length=1, default="C")
    payment_date = models.DateField(_("payment date (BPR16)"), null=True, blank=True)
    production_date = models.DateField(_("production date (DTM*405)"), null=True, blank=True)
    payee_npi = models.CharField(_("payee NPI"), max_length=10, blank=True)
    posted_at = models.DateTimeField(_("posted"), default=timezone.now)
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-posted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["payer_key", "trace_number"], name="remittance_payer_trace_unique"),
        ]
        indexes = [models.Index(fields=["payer", "payment_date"], name="remittance_payer_date_idx")]

    def __str__(self) -> str:
        return f"{self.payer_name or self.payer_key} {self.trace_number}"

    def get_absolute_url(self) -> str:
        return reverse("billing:remittance_detail", args=[self.pk])


class RemittanceClaim(models.Model):
    """One claim payment (CLP) of a remittance, matched to our claim or waiting in the exceptions queue."""

    remittance = models.ForeignKey(Remittance, on_delete=models.PROTECT, related_name="claims")
    # Position among this remittance's claim payments with the same CLP01 (1 for the first): part of the key.
    occurrence = models.PositiveSmallIntegerField(default=1)
    claim = models.ForeignKey("billing.Claim", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="remittance_claims")
    match = models.CharField(_("match"), max_length=10, choices=RemittanceClaimMatch.choices)
    claim_number = models.CharField(_("patient control number (CLP01)"), max_length=38)
    status_code = models.CharField(_("claim status (CLP02)"), max_length=2, choices=ClaimPaymentStatus.choices)
    charge_amount = money(_("charged (CLP03)"))
    paid_amount = money(_("paid (CLP04)"))
    patient_responsibility = money(_("patient responsibility (CLP05)"), null=True, blank=True)
    filing_indicator = models.CharField(_("filing indicator (CLP06)"), max_length=2, blank=True)
    payer_claim_number = models.CharField(_("payer claim control number (CLP07)"), max_length=50, blank=True)
    patient_name = models.CharField(_("patient as the payer names them"), max_length=120, blank=True)
    member_id = models.CharField(_("member ID"), max_length=80, blank=True)
    service_date = models.DateField(_("service date"), null=True, blank=True)
    remark_codes = models.JSONField(_("remark codes (RARC)"), default=list)
    reverses = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversals",
                                 help_text=_("For a reversal (CLP02 = 22): the claim payment it takes back."))
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["remittance", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["remittance", "claim_number", "occurrence"],
                                    name="remittance_claim_occurrence_unique"),
            # A claim payment is reversed at most once.
            models.UniqueConstraint(fields=["reverses"], condition=Q(reverses__isnull=False),
                                    name="remittance_claim_reversed_once"),
            models.CheckConstraint(condition=Q(match__in=["unmatched", "dismissed"]) | Q(claim__isnull=False),
                                   name="remittance_claim_matched_has_claim"),
        ]
        indexes = [
            models.Index(fields=["claim"], condition=Q(claim__isnull=False), name="remit_claim_claim_idx"),
            models.Index(fields=["match"], condition=Q(match="unmatched"), name="remit_claim_unmatched_idx"),
            models.Index(fields=["claim_number"], name="remit_claim_number_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.claim_number} ({self.get_status_code_display()})"


class RemittanceLine(models.Model):
    """One service line payment (SVC) of a claim payment."""

    remittance_claim = models.ForeignKey(RemittanceClaim, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    claim_line = models.ForeignKey("billing.ClaimLine", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="remittance_lines")
    procedure_code = models.CharField(_("procedure"), max_length=48)
    modifiers = models.JSONField(_("modifiers"), default=list)
    charge_amount = money(_("charged (SVC02)"))
    paid_amount = money(_("paid (SVC03)"))
    units = models.DecimalField(_("units paid"), max_digits=9, decimal_places=3, null=True, blank=True)
    service_date = models.DateField(_("service date"), null=True, blank=True)
    control_number = models.CharField(_("line control number (REF*6R)"), max_length=50, blank=True)
    allowed_amount = money(_("allowed (AMT*B6)"), null=True, blank=True)
    remark_codes = models.JSONField(_("remark codes (LQ*HE)"), default=list)

    class Meta:
        ordering = ["remittance_claim", "position"]
        constraints = [
            models.UniqueConstraint(fields=["remittance_claim", "position"], name="remittance_line_position_unique"),
        ]
        indexes = [models.Index(fields=["claim_line"], condition=Q(claim_line__isnull=False),
                                name="remit_line_claim_line_idx")]

    def __str__(self) -> str:
        return f"{self.procedure_code}: {self.paid_amount}"


class RemittanceAdjustment(models.Model):
    """One CAS adjustment: claim level (line empty) or line level."""

    remittance_claim = models.ForeignKey(RemittanceClaim, on_delete=models.PROTECT, related_name="adjustments")
    line = models.ForeignKey(RemittanceLine, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="adjustments")
    group_code = models.CharField(_("group"), max_length=2)
    reason_code = models.CharField(_("reason (CARC)"), max_length=5)
    amount = money(_("amount"))
    quantity = models.DecimalField(_("quantity"), max_digits=9, decimal_places=3, null=True, blank=True)

    class Meta:
        ordering = ["remittance_claim", "pk"]

    def __str__(self) -> str:
        return f"{self.group_code}-{self.reason_code} {self.amount}"


class ProviderAdjustment(models.Model):
    """A provider-level adjustment (PLB): interest, recoupment, forward balance... Positive reduces the payment."""

    remittance = models.ForeignKey(Remittance, on_delete=models.PROTECT, related_name="provider_adjustments")
    fiscal_period_date = models.DateField(_("fiscal period"), null=True, blank=True)
    reason_code = models.CharField(_("reason (PLB03-1)"), max_length=2)
    reference = models.CharField(_("reference (PLB03-2)"), max_length=50, blank=True)
    amount = money(_("amount"))

    class Meta:
        ordering = ["remittance", "pk"]

    def __str__(self) -> str:
        return f"{self.reason_code} {self.amount}"


ZERO = Decimal("0.00")
