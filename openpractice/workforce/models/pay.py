from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from openpractice.accounts.roles import Role, Tier
from openpractice.core.fields import EncryptedTextField

from ..choices import PayBasis


class PayRate(models.Model):
    """One pay rate from a date on: the history is the rows. The amount is encrypted (pay is confidential), so
    sums and comparisons are made in Python by the services that may read it."""

    employee = models.ForeignKey("workforce.Employee", on_delete=models.PROTECT, related_name="pay_rates")
    effective_from = models.DateField(_("effective from"))
    basis = models.CharField(_("basis"), max_length=6, choices=PayBasis.choices)
    amount = EncryptedTextField(_("amount"))  # a decimal as text, e.g. "23.50" an hour or "61000.00" a year
    hours_per_week = models.DecimalField(_("standard hours a week"), max_digits=5, decimal_places=2, default=40)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["employee", "-effective_from", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["employee", "effective_from"], name="pay_rate_one_per_day"),
            models.CheckConstraint(condition=Q(hours_per_week__gt=0, hours_per_week__lte=80),
                                   name="pay_rate_hours_range"),
        ]

    def __str__(self) -> str:
        return f"{self.get_basis_display()} from {self.effective_from}"


class PayBenchmark(models.Model):
    """A market pay figure (annual): data the practice edits and dates, never a constant in code."""

    title = models.CharField(_("job title"), max_length=120)
    role = models.CharField(_("system role"), max_length=32, choices=Role.choices, blank=True)
    tier = models.CharField(_("seniority tier"), max_length=16, choices=Tier.choices, blank=True)
    region = models.CharField(_("region"), max_length=80, blank=True, help_text=_("Empty: national."))
    percentile_10 = models.DecimalField(_("bottom 10%"), max_digits=10, decimal_places=2)
    median = models.DecimalField(_("median"), max_digits=10, decimal_places=2)
    percentile_90 = models.DecimalField(_("top 10%"), max_digits=10, decimal_places=2)
    source = models.CharField(_("source"), max_length=200)
    as_of = models.DateField(_("as of"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title", "-as_of", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(percentile_10__gt=0, percentile_10__lte=models.F("median"),
                                               median__lte=models.F("percentile_90")),
                                   name="pay_benchmark_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.source}, {self.as_of})"
