from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from openpractice.core.models import TimeStampedModel

from ..choices import AgreementStatus, DisclosurePurpose


class Disclosure(models.Model):
    """A disclosure of a patient's PHI the patient may ask an accounting of (six years back, 164.528)."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    disclosed_on = models.DateField(_("disclosed on"))
    recipient = models.CharField(_("recipient"), max_length=200)
    recipient_address = models.CharField(_("recipient's address"), max_length=300, blank=True)
    purpose = models.CharField(_("purpose"), max_length=16, choices=DisclosurePurpose.choices)
    purpose_detail = models.CharField(_("purpose, in words"), max_length=500, blank=True)
    information = models.TextField(_("what was disclosed"))
    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    incident = models.ForeignKey("compliance.Incident", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="disclosures")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-disclosed_on", "-pk"]
        indexes = [models.Index(fields=["patient", "disclosed_on"], name="disclosure_patient_date")]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} to {self.recipient} on {self.disclosed_on}"


class BusinessAssociate(TimeStampedModel):
    """A vendor the practice shares PHI with, or might (a minimal reference until the vendors module links its
    own records here)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    services = models.CharField(_("what they do for the practice"), max_length=300)
    handles_phi = models.BooleanField(_("handles PHI"), default=True)
    contact_name = models.CharField(_("contact"), max_length=120, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The vendors module's record of the same firm, when it has one (a vendor that handles PHI, or has a contract
    # that does, is put in the register with this link).
    vendor = models.OneToOneField("vendors.Vendor", on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="business_associate")

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class BusinessAssociateAgreement(models.Model):
    """A BAA with one business associate: dates, the signed document, status. A PHI-handling associate with no
    active agreement in force today is flagged."""

    associate = models.ForeignKey(BusinessAssociate, on_delete=models.PROTECT, related_name="agreements")
    status = models.CharField(_("status"), max_length=10, choices=AgreementStatus.choices,
                              default=AgreementStatus.DRAFT)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    effective_on = models.DateField(_("in force from"), null=True, blank=True)
    expires_on = models.DateField(_("ends on"), null=True, blank=True, help_text=_("Empty: until terminated."))
    review_on = models.DateField(_("review by"), null=True, blank=True)
    document = models.FileField(upload_to="compliance/baa/", max_length=200, blank=True)
    document_content_type = models.CharField(max_length=100, blank=True)
    document_size = models.PositiveIntegerField(null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    terminated_on = models.DateField(_("terminated on"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["associate", "-effective_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(status="active") | (Q(signed_on__isnull=False)
                                                                    & Q(effective_on__isnull=False)),
                                   name="baa_active_is_signed"),
            models.CheckConstraint(condition=Q(expires_on__isnull=True) | Q(effective_on__isnull=True)
                                   | Q(expires_on__gte=models.F("effective_on")), name="baa_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"BAA {self.associate} ({self.get_status_display()})"
