"""Charges: what was done for a patient on a date of service, coded (diagnoses and procedure lines)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from openpractice.core.models import TimeStampedModel

from ..choices import ChargeStatus

MAX_DIAGNOSES = 12
MAX_MODIFIERS = 4
MAX_POINTERS = 4
MAX_LINES = 50  # 837P allows 50 service lines per claim


class Charge(TimeStampedModel):
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="charges")
    appointment = models.OneToOneField("scheduling.Appointment", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="charge")
    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, related_name="charges",
                                 verbose_name=_("location"))
    place_of_service = models.CharField(_("place of service"), max_length=2)
    rendering_provider = models.ForeignKey("scheduling.Provider", on_delete=models.PROTECT, related_name="+",
                                           verbose_name=_("rendering provider"))
    billing_provider = models.ForeignKey("scheduling.Provider", on_delete=models.PROTECT, related_name="+",
                                         null=True, blank=True, verbose_name=_("billing provider"),
                                         help_text=_("Empty: the practice bills as a group under its group NPI."))
    referring_provider = models.ForeignKey("scheduling.ReferringProvider", on_delete=models.PROTECT, null=True,
                                           blank=True, related_name="+", verbose_name=_("referring provider"))
    prior_authorization = models.CharField(_("prior authorization number"), max_length=50, blank=True)
    date_of_service = models.DateField(_("date of service"))
    status = models.CharField(_("status"), max_length=8, choices=ChargeStatus.choices, default=ChargeStatus.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-date_of_service", "-pk"]
        indexes = [models.Index(fields=["location", "status", "date_of_service"], name="charge_loc_status_dos_idx")]

    def __str__(self) -> str:
        return f"Charge {self.pk} ({self.date_of_service})"

    def get_absolute_url(self) -> str:
        return reverse("billing:charge_detail", args=[self.pk])


class ChargeDiagnosis(models.Model):
    """One ICD-10-CM code in position 1..12; lines point at positions."""

    charge = models.ForeignKey(Charge, on_delete=models.CASCADE, related_name="diagnoses")
    position = models.PositiveSmallIntegerField(_("position"))
    code = models.CharField(_("ICD-10-CM"), max_length=8, help_text=_("Without the dot, e.g. E119."))

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["charge", "position"], name="charge_diagnosis_position_unique"),
            models.UniqueConstraint(fields=["charge", "code"], name="charge_diagnosis_code_unique"),
            models.CheckConstraint(condition=Q(position__gte=1, position__lte=MAX_DIAGNOSES),
                                   name="charge_diagnosis_position_range"),
        ]

    def __str__(self) -> str:
        return f"{self.position}: {self.code}"


class ChargeLine(models.Model):
    charge = models.ForeignKey(Charge, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveSmallIntegerField(_("line"))
    procedure_code = models.CharField(_("CPT/HCPCS"), max_length=5)
    modifier1 = models.CharField(_("modifier 1"), max_length=2, blank=True)
    modifier2 = models.CharField(_("modifier 2"), max_length=2, blank=True)
    modifier3 = models.CharField(_("modifier 3"), max_length=2, blank=True)
    modifier4 = models.CharField(_("modifier 4"), max_length=2, blank=True)
    units = models.DecimalField(_("units"), max_digits=7, decimal_places=2, default=Decimal(1))
    service_date_from = models.DateField(_("from"))
    service_date_to = models.DateField(_("to"))
    # Diagnosis pointers: positions in the charge's diagnosis list; pointer1 is the primary for this line.
    pointer1 = models.PositiveSmallIntegerField(_("diagnosis pointer 1"))
    pointer2 = models.PositiveSmallIntegerField(_("diagnosis pointer 2"), null=True, blank=True)
    pointer3 = models.PositiveSmallIntegerField(_("diagnosis pointer 3"), null=True, blank=True)
    pointer4 = models.PositiveSmallIntegerField(_("diagnosis pointer 4"), null=True, blank=True)
    amount = models.DecimalField(_("charge"), max_digits=10, decimal_places=2,
                                 help_text=_("Line total (fee x units)."))

    class Meta:
        ordering = ["line_number"]
        constraints = [
            models.UniqueConstraint(fields=["charge", "line_number"], name="charge_line_number_unique"),
            models.CheckConstraint(condition=Q(line_number__gte=1, line_number__lte=MAX_LINES),
                                   name="charge_line_number_range"),
            models.CheckConstraint(condition=Q(units__gt=0), name="charge_line_units_positive"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="charge_line_amount_not_negative"),
            models.CheckConstraint(condition=Q(service_date_to__gte=F("service_date_from")),
                                   name="charge_line_dates_ordered"),
            models.CheckConstraint(condition=Q(pointer1__gte=1, pointer1__lte=MAX_DIAGNOSES),
                                   name="charge_line_pointer1_range"),
        ]

    def __str__(self) -> str:
        return f"{self.line_number}: {self.procedure_code}"

    @property
    def modifiers(self) -> list[str]:
        return [m for m in (self.modifier1, self.modifier2, self.modifier3, self.modifier4) if m]

    @property
    def pointers(self) -> list[int]:
        return [p for p in (self.pointer1, self.pointer2, self.pointer3, self.pointer4) if p]
