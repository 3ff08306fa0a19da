"""The ledger: every money movement is one immutable row; every balance is derived from the rows.

An entry's `amount` is signed by its effect on what is owed (charges and refunds raise it, payments and
adjustments lower it; a transfer from payer to patient is a pair that adds up to zero). For every claim and every
patient: balance = charges - payments - adjustments + refunds = the sum of their entries.

`AccountBalance` is a cache of those sums per (patient, claim, party, payer), kept in the same transaction as
the entries by services/ledger.py so A/R aging reads a few thousand open balances instead of millions of
entries. `openpractice billing check-ledger` recomputes it from the entries and reports any difference.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import (
    DenialCategory,
    DenialStatus,
    EntryKind,
    Party,
    PaymentMethod,
    WriteOffStatus,
)
from .remittance import money


class LedgerEntryImmutable(Exception):
    """A ledger entry is never changed or deleted: correct it with a new entry (a reversal)."""


class LedgerEntry(models.Model):
    kind = models.CharField(_("kind"), max_length=20, choices=EntryKind.choices)
    amount = money(_("amount"))
    party = models.CharField(_("owed by"), max_length=7, choices=Party.choices)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="ledger_entries",
                                db_index=False)
    payer = models.ForeignKey("patients.Payer", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              db_index=False)
    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, related_name="+", db_index=False)
    claim = models.ForeignKey("billing.Claim", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="ledger_entries", db_index=False)
    claim_line = models.ForeignKey("billing.ClaimLine", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", db_index=False)
    charge = models.ForeignKey("billing.Charge", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="ledger_entries", db_index=False)
    service_date = models.DateField(_("date of service"), null=True, blank=True)
    posted_on = models.DateField(_("posted on"))
    group_code = models.CharField(_("group"), max_length=2, blank=True)
    reason_code = models.CharField(_("reason (CARC)"), max_length=5, blank=True)
    # Where it came from (at most one of these).
    remittance_claim = models.ForeignKey("billing.RemittanceClaim", on_delete=models.PROTECT, null=True,
                                         blank=True, related_name="entries", db_index=False)
    remittance = models.ForeignKey("billing.Remittance", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", db_index=False)
    payment = models.ForeignKey("billing.PatientPayment", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="entries", db_index=False)
    reverses = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 db_index=False)
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   db_index=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["posted_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["reverses"], condition=Q(reverses__isnull=False),
                                    name="ledger_entry_reversed_once"),
            models.CheckConstraint(condition=Q(party="patient") | Q(payer__isnull=False),
                                   name="ledger_payer_party_names_payer"),
        ]
        indexes = [
            models.Index(fields=["claim", "posted_on"], condition=Q(claim__isnull=False), name="ledger_claim_idx"),
            models.Index(fields=["patient", "posted_on"], name="ledger_patient_idx"),
            # Covering (PostgreSQL): the KPIs and the monthly finances sum amounts by location straight from the index.
            models.Index(fields=["posted_on", "kind"], include=["location", "amount"], name="ledger_posted_kind_idx"),
            models.Index(fields=["remittance_claim"], condition=Q(remittance_claim__isnull=False),
                         name="ledger_remit_claim_idx"),
            models.Index(fields=["payment"], condition=Q(payment__isnull=False), name="ledger_payment_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise LedgerEntryImmutable("A ledger entry cannot be changed; post a reversal instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise LedgerEntryImmutable("A ledger entry cannot be deleted; post a reversal instead.")


class AccountBalance(models.Model):
    """Derived: the sum of the ledger entries of one (patient, claim, party, payer). Kept by services/ledger.py."""

    # "patient:claim:party:payer" with 0 for an empty claim or payer: one portable unique key (SQLite has no
    # NULLS NOT DISTINCT), written by services/ledger.py.
    key = models.CharField(max_length=80, unique=True)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+", db_index=False)
    claim = models.ForeignKey("billing.Claim", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              db_index=False)
    party = models.CharField(max_length=7, choices=Party.choices)
    payer = models.ForeignKey("patients.Payer", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              db_index=False)
    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, related_name="+", db_index=False)
    service_date = models.DateField(null=True, blank=True)
    balance = money()
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["patient"], name="account_balance_patient_idx"),
            models.Index(fields=["claim"], condition=Q(claim__isnull=False), name="account_balance_claim_idx"),
            # A/R reads only open balances.
            models.Index(fields=["party", "payer", "service_date"], condition=~Q(balance=0),
                         name="account_balance_open_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.party} {self.balance}"


class PatientPayment(models.Model):
    """Money from a patient (at the desk or through the API). Its ledger entries apply it to claims."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="payments")
    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, related_name="+")
    amount = money(_("amount"))
    method = models.CharField(_("method"), max_length=5, choices=PaymentMethod.choices)
    reference = models.CharField(_("check number or card reference"), max_length=60, blank=True)
    received_on = models.DateField(_("received on"))
    idempotency_key = models.CharField(max_length=80, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="patient_payment_positive"),
            models.UniqueConstraint(fields=["received_by", "idempotency_key"], condition=~Q(idempotency_key=""),
                                    name="patient_payment_idempotency_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} ({self.get_method_display()})"


class Refund(models.Model):
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey(PatientPayment, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="refunds")
    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, related_name="+")
    amount = money(_("amount"))
    method = models.CharField(_("method"), max_length=5, choices=PaymentMethod.choices)
    reason = models.CharField(_("reason"), max_length=300)
    refunded_on = models.DateField(_("refunded on"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-refunded_on", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_positive")]

    def __str__(self) -> str:
        return f"{self.amount}"


class WriteOff(models.Model):
    """A request to write off a balance; above the practice's threshold it waits for a senior role's approval."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="write_offs")
    claim = models.ForeignKey("billing.Claim", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="write_offs")
    party = models.CharField(_("balance of"), max_length=7, choices=Party.choices)
    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, related_name="+")
    amount = money(_("amount"))
    reason = models.CharField(_("reason"), max_length=300)
    status = models.CharField(_("status"), max_length=8, choices=WriteOffStatus.choices)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    # Why it was rejected, for the person who asked (required when rejecting).
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="write_off_positive")]

    def __str__(self) -> str:
        return f"{self.amount} ({self.get_status_display()})"


class PaymentPlan(models.Model):
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="payment_plans")
    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, related_name="+")
    total = money(_("amount covered"))
    installment = money(_("monthly installment"))
    day_of_month = models.PositiveSmallIntegerField(_("due on day"), default=1)
    starts_on = models.DateField(_("first installment"))
    is_active = models.BooleanField(default=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(total__gt=0, installment__gt=0), name="payment_plan_positive"),
            models.CheckConstraint(condition=Q(day_of_month__gte=1, day_of_month__lte=28),
                                   name="payment_plan_day_range"),
            models.UniqueConstraint(fields=["patient"], condition=Q(is_active=True),
                                    name="payment_plan_one_active"),
        ]

    def __str__(self) -> str:
        return f"{self.installment}/month"


class Denial(models.Model):
    """A denied claim (or line) to work: category from its CARC/RARC, suggested next step, what was done."""

    claim = models.ForeignKey("billing.Claim", on_delete=models.PROTECT, related_name="denials")
    remittance_claim = models.OneToOneField("billing.RemittanceClaim", on_delete=models.PROTECT,
                                            related_name="denial")
    category = models.CharField(_("category"), max_length=14, choices=DenialCategory.choices)
    reason_codes = models.JSONField(_("reason codes"), default=list)
    remark_codes = models.JSONField(_("remark codes"), default=list)
    amount = money(_("amount denied"))
    status = models.CharField(_("status"), max_length=11, choices=DenialStatus.choices, default=DenialStatus.OPEN)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    note = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "category"], name="denial_status_category_idx")]

    def __str__(self) -> str:
        return f"{self.claim_id}: {self.get_category_display()}"

    def get_absolute_url(self) -> str:
        return reverse("billing:denial_detail", args=[self.pk])


class StatementRun(models.Model):
    """One batch of patient statements (a cycle's run)."""

    cycle_day = models.PositiveSmallIntegerField(_("cycle"), null=True, blank=True,
                                                 help_text=_("Patients whose cycle is this day of the month; "
                                                             "empty for every patient with a balance."))
    statement_date = models.DateField(_("statement date"))
    minimum_balance = money(_("minimum balance"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.statement_date}"


class Statement(models.Model):
    run = models.ForeignKey(StatementRun, on_delete=models.PROTECT, related_name="statements")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="statements")
    guarantor = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    amount_due = money(_("amount due"))
    aging = models.JSONField(_("aging"), default=dict)
    delivery = models.CharField(_("delivery"), max_length=5, choices=[("email", _("Email")), ("print", _("Print"))])
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["run", "patient"]
        constraints = [models.UniqueConstraint(fields=["run", "patient"], name="statement_run_patient_unique")]

    def __str__(self) -> str:
        return f"{self.patient_id}: {self.amount_due}"
