"""Fee schedules: the practice's standard fees (no payer) and payer contract schedules (allowed amounts)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from openpractice.core.models import TimeStampedModel


class FeeSchedule(TimeStampedModel):
    name = models.CharField(_("name"), max_length=80)
    payer = models.ForeignKey("patients.Payer", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="fee_schedules", verbose_name=_("payer"),
                              help_text=_("Empty for the practice's standard fees; a payer for its contracted "
                                          "allowed amounts."))
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective until"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["payer__name", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["name"], name="fee_schedule_name_unique"),
            models.CheckConstraint(condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                                   name="fee_schedule_dates_ordered"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_standard(self) -> bool:
        return self.payer_id is None

    def get_absolute_url(self) -> str:
        return reverse("billing:fee_schedule_detail", args=[self.pk])


class FeeScheduleEntry(models.Model):
    schedule = models.ForeignKey(FeeSchedule, on_delete=models.CASCADE, related_name="entries")
    procedure_code = models.CharField(_("CPT/HCPCS"), max_length=5)
    modifier = models.CharField(_("modifier"), max_length=2, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["procedure_code", "modifier"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "procedure_code", "modifier"], name="fee_entry_unique"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="fee_entry_amount_not_negative"),
        ]

    def __str__(self) -> str:
        suffix = f"-{self.modifier}" if self.modifier else ""
        return f"{self.procedure_code}{suffix}: {self.amount}"
