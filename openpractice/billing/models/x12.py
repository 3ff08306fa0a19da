"""Electronic interchange: billing settings (submitter/receiver), control numbers, batches and their
submission log, and the acknowledgement files imported."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import AcknowledgementKind, BatchStatus, UsageIndicator


class BillingSettings(models.Model):
    """Who the practice is on the wire (submitter, loop 1000A) and who receives its files (1000B, ISA08)."""

    singleton = models.BooleanField(default=True, editable=False, unique=True)
    submitter_name = models.CharField(_("submitter name"), max_length=60)
    submitter_id = models.CharField(_("submitter ID (ETIN)"), max_length=15,
                                    help_text=_("ISA06 / GS02 / 1000A NM109, as the clearinghouse assigned it."))
    contact_name = models.CharField(_("EDI contact name"), max_length=60)
    contact_phone = models.CharField(_("EDI contact phone"), max_length=10, help_text=_("Ten digits."))
    contact_email = models.EmailField(_("EDI contact email"), blank=True)
    receiver_name = models.CharField(_("receiver (clearinghouse) name"), max_length=60)
    receiver_id = models.CharField(_("receiver ID"), max_length=15, help_text=_("ISA08 / GS03 / 1000B NM109."))
    usage_indicator = models.CharField(_("usage"), max_length=1, choices=UsageIndicator.choices,
                                       default=UsageIndicator.TEST, help_text=_("ISA15: test or production."))
    drop_directory = models.CharField(_("drop directory"), max_length=300, blank=True,
                                      help_text=_("Where submitted batches are written for the clearinghouse "
                                                  "client to pick up. Empty: <data dir>/x12/outbox."))
    # Receivables.
    write_off_approval_threshold = models.DecimalField(
        _("write-offs above this need approval"), max_digits=10, decimal_places=2, default=Decimal("50.00"),
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("A write-off larger than this waits for a senior role (billing.approve_write_offs)."))
    statement_minimum_balance = models.DecimalField(
        _("no statement below"), max_digits=10, decimal_places=2, default=Decimal("5.00"),
        validators=[MinValueValidator(Decimal(0))])
    statement_how_to_pay = models.TextField(
        _("how to pay (printed on statements)"), blank=True,
        help_text=_("Where to send a check, the phone number for card payments, office hours."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "billing settings"

    def __str__(self) -> str:
        return self.submitter_name


class ControlNumber(models.Model):
    """A persisted counter (ISA13, GS06, claim numbers …); taken under a row lock so no two files share one."""

    name = models.CharField(max_length=20, unique=True)
    last_value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.last_value}"


class ClaimBatch(models.Model):
    """One 837P interchange file: the claims for one payer, or every ready claim for the clearinghouse."""

    payer = models.ForeignKey("patients.Payer", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="claim_batches")
    interchange_control_number = models.PositiveIntegerField(_("ISA13"))
    group_control_number = models.PositiveIntegerField(_("GS06"))
    status = models.CharField(_("status"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.BUILT)
    claim_count = models.PositiveIntegerField(_("claims"), default=0)
    total_charge = models.DecimalField(_("total charge"), max_digits=14, decimal_places=2, default=0)
    file_name = models.CharField(_("file"), max_length=120)
    file_sha256 = models.CharField(max_length=64, blank=True)
    file_size = models.PositiveBigIntegerField(default=0)
    usage_indicator = models.CharField(max_length=1, choices=UsageIndicator.choices)
    # Empty when a command run on the server built it (`openpractice billing export-837`).
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["interchange_control_number"], name="batch_isa13_unique"),
            models.UniqueConstraint(fields=["group_control_number"], name="batch_gs06_unique"),
            models.CheckConstraint(condition=Q(interchange_control_number__gte=1,
                                               interchange_control_number__lte=999_999_999),
                                   name="batch_isa13_range"),
        ]

    def __str__(self) -> str:
        return f"Batch {self.interchange_control_number:09d}"

    def get_absolute_url(self) -> str:
        return reverse("billing:batch_detail", args=[self.pk])


class BatchSubmission(models.Model):
    """The submission log: every attempt to hand a batch to a transport, and how it went."""

    batch = models.ForeignKey(ClaimBatch, on_delete=models.PROTECT, related_name="submissions")
    transport = models.CharField(max_length=40)
    destination = models.CharField(max_length=300)
    succeeded = models.BooleanField()
    detail = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.batch_id} via {self.transport}: {'ok' if self.succeeded else 'failed'}"


class AcknowledgementImport(models.Model):
    """A 999, 277CA or 271 file that was imported. Its hash makes a second import of the same file by the same
    person a no-op; a biller of other locations may import it again to apply it to their claims."""

    kind = models.CharField(max_length=5, choices=AcknowledgementKind.choices)
    file_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    summary = models.JSONField(default=dict)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-imported_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["kind", "sha256", "imported_by"], name="ack_import_file_unique")]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name}"
