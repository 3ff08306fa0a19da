"""Claims: a snapshot of a charge billed to one payer, its status history and what the scrubber found.

A claim copies what it bills from its charge when it is built (and rebuilt while still editable), so the
file sent to the payer and the record kept here always agree, whatever happens to the charge later.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from openpractice.core.models import TimeStampedModel

from ..choices import OPEN_BATCH_STATUSES, ClaimFrequency, ClaimStatus, Severity, StatusSource
from .charges import MAX_LINES, Charge, ChargeLine


def in_open_batch_q(prefix: str = "") -> Q:
    """Claims (or, with a prefix such as "claims__", rows reached through them) waiting in an unsent batch."""
    return Q(**{f"{prefix}batch__status__in": sorted(OPEN_BATCH_STATUSES)})


class Claim(TimeStampedModel):
    # CLM01, the patient control number: ours, unique, echoed back by 999/277CA/835.
    claim_number = models.CharField(_("claim number"), max_length=20, editable=False)
    charge = models.ForeignKey(Charge, on_delete=models.PROTECT, related_name="claims")
    # Every index is written again whenever a claim's status changes (10,000 at a time in a scrub; each index
    # costs about 40 ms per 10,000 claims on PostgreSQL), so only the lookups the app makes have one: by number,
    # charge, batch, (status, location), (payer, status), (patient, date). Patient and payer are led by those
    # composites; location, coverage, providers, and creator are read only through a claim (original claim: see Meta), and
    # deleting one of those (rare: they are deactivated) may scan the table to check PROTECT.
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="claims", db_index=False)
    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, related_name="claims", db_index=False)
    coverage = models.ForeignKey("patients.Coverage", on_delete=models.PROTECT, related_name="claims",
                                 db_index=False)
    payer = models.ForeignKey("patients.Payer", on_delete=models.PROTECT, related_name="claims", db_index=False)
    payer_rank = models.PositiveSmallIntegerField(_("payer order"), default=1,
                                                  help_text=_("1 primary, 2 secondary, 3 tertiary."))
    status = models.CharField(_("status"), max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.DRAFT)
    frequency_code = models.CharField(_("frequency"), max_length=1, choices=ClaimFrequency.choices,
                                      default=ClaimFrequency.ORIGINAL)
    original_claim = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, db_index=False,
                                       related_name="replacements", verbose_name=_("replaces claim"))
    payer_claim_number = models.CharField(_("payer claim control number"), max_length=50, blank=True,
                                          help_text=_("The payer's number for this claim (from the 277CA or 835)."))
    # Snapshot of the charge.
    date_of_service = models.DateField(_("date of service"))
    place_of_service = models.CharField(_("place of service"), max_length=2)
    rendering_provider = models.ForeignKey("scheduling.Provider", on_delete=models.PROTECT, related_name="+",
                                           db_index=False)
    billing_provider = models.ForeignKey("scheduling.Provider", on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="+", db_index=False)
    referring_provider = models.ForeignKey("scheduling.ReferringProvider", on_delete=models.PROTECT, null=True,
                                           blank=True, related_name="+", db_index=False)
    prior_authorization = models.CharField(_("prior authorization number"), max_length=50, blank=True)
    diagnosis_codes = models.JSONField(_("diagnoses"), default=list, help_text=_("ICD-10-CM codes, in order."))
    total_charge = models.DecimalField(_("total charge"), max_digits=12, decimal_places=2, default=Decimal(0))
    # What the earlier payer did (secondary claims: the 2320/2330 loops). Filled by remittance posting or by hand.
    prior_payer_paid = models.DecimalField(_("paid by the earlier payer"), max_digits=12, decimal_places=2,
                                           null=True, blank=True)
    prior_payer_paid_on = models.DateField(_("earlier payer's adjudication date"), null=True, blank=True)
    batch = models.ForeignKey("billing.ClaimBatch", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="claims")
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    scrubbed_at = models.DateTimeField(_("last scrubbed"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   db_index=False)

    class Meta:
        ordering = ["-date_of_service", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["claim_number"], name="claim_number_unique"),
            models.CheckConstraint(condition=Q(payer_rank__gte=1, payer_rank__lte=3), name="claim_payer_rank_range"),
            models.CheckConstraint(condition=Q(total_charge__gte=0), name="claim_total_not_negative"),
            models.CheckConstraint(
                condition=Q(frequency_code=ClaimFrequency.ORIGINAL) | Q(original_claim__isnull=False),
                name="claim_replacement_names_original"),
        ]
        indexes = [
            models.Index(fields=["status", "location"], name="claim_status_location_idx"),
            models.Index(fields=["payer", "status"], name="claim_payer_status_idx"),
            models.Index(fields=["patient", "date_of_service"], name="claim_patient_dos_idx"),
            # Partial: only corrected and void claims carry an original, so the index is almost never written.
            models.Index(fields=["original_claim"], condition=Q(original_claim__isnull=False),
                         name="claim_original_idx"),
        ]

    def __str__(self) -> str:
        return self.claim_number

    def get_absolute_url(self) -> str:
        return reverse("billing:claim_detail", args=[self.pk])

    @property
    def in_open_batch(self) -> bool:
        """Waiting in a built (or failed) batch: frozen until the batch is sent or discarded. After the batch is
        submitted the claim keeps its link to it but may be rejected, fixed and sent again in a new batch."""
        return self.batch_id is not None and self.batch is not None and self.batch.status in OPEN_BATCH_STATUSES


class ClaimLine(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="lines")
    charge_line = models.ForeignKey(ChargeLine, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    line_number = models.PositiveSmallIntegerField(_("line"))
    procedure_code = models.CharField(_("CPT/HCPCS"), max_length=5)
    modifiers = models.JSONField(_("modifiers"), default=list)
    units = models.DecimalField(_("units"), max_digits=7, decimal_places=2)
    service_date_from = models.DateField(_("from"))
    service_date_to = models.DateField(_("to"))
    pointers = models.JSONField(_("diagnosis pointers"), default=list)
    amount = models.DecimalField(_("charge"), max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["line_number"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "line_number"], name="claim_line_number_unique"),
            models.CheckConstraint(condition=Q(line_number__gte=1, line_number__lte=MAX_LINES),
                                   name="claim_line_number_range"),
            models.CheckConstraint(condition=Q(units__gt=0), name="claim_line_units_positive"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="claim_line_amount_not_negative"),
            models.CheckConstraint(condition=Q(service_date_to__gte=F("service_date_from")),
                                   name="claim_line_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id}/{self.line_number}: {self.procedure_code}"


class ClaimAdjustment(models.Model):
    """A claim-level adjustment by the earlier payer (CAS in loop 2320 of a secondary claim)."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="prior_adjustments")
    group_code = models.CharField(_("group"), max_length=2, choices=[("CO", "CO"), ("PR", "PR"), ("OA", "OA"),
                                                                     ("PI", "PI"), ("CR", "CR")])
    reason_code = models.CharField(_("reason (CARC)"), max_length=5)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.group_code}-{self.reason_code} {self.amount}"


class ClaimStatusChange(models.Model):
    """Who (or what file) moved a claim from one status to another, when and why. Append-only."""

    # claim_status_change_idx (claim, at) serves every lookup by claim; users are never deleted.
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="status_changes", db_index=False)
    from_status = models.CharField(max_length=10, choices=ClaimStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=ClaimStatus.choices)
    source = models.CharField(max_length=8, choices=StatusSource.choices, default=StatusSource.USER)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", db_index=False)
    at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["claim", "at"], name="claim_status_change_idx"),
            # The clean claim rate reads submissions and rejections by date (selectors/receivables.py). Partial:
            # a scrub writes only ready/held rows, which never enter it; key columns (not INCLUDE, which SQLite
            # lacks) so the read needs no table rows on either database.
            models.Index(fields=["at", "claim", "to_status"], name="claim_change_sent_at_idx",
                         condition=Q(to_status__in=[ClaimStatus.SUBMITTED, ClaimStatus.REJECTED])),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id}: {self.from_status or '-'} -> {self.to_status}"


class ClaimIssue(models.Model):
    """One finding of the last scrub. Replaced as a whole each time the claim is scrubbed."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="issues", db_index=False)  # see Meta
    rule = models.CharField(_("rule"), max_length=40)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    line_number = models.PositiveSmallIntegerField(_("line"), null=True, blank=True)
    message = models.CharField(_("problem"), max_length=300)
    fix_hint = models.CharField(_("how to fix"), max_length=300, blank=True)

    class Meta:
        ordering = ["severity", "line_number", "pk"]
        indexes = [models.Index(fields=["claim", "severity"], name="claim_issue_severity_idx")]

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


