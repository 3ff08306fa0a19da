from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import CredentialKind, VerificationMethod


class CredentialType(models.Model):
    """An entry of the credential catalog: a certification (CMPE, CPPM, CAP …) or a licence (RN, DEA …)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=150)
    issuer = models.CharField(_("issuing body"), max_length=150)
    kind = models.CharField(_("kind"), max_length=13, choices=CredentialKind.choices)
    renewal_months = models.PositiveSmallIntegerField(
        _("renewal every (months)"), null=True, blank=True, help_text=_("Empty: does not expire."))
    # A provider whose licence of this type has expired is flagged (or blocked) where appointments are booked.
    required_to_see_patients = models.BooleanField(_("needed to see patients"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class EmployeeCredential(models.Model):
    """One certificate or licence an employee holds. A renewal is a new row that `replaces` the old one, so the
    renewal history is the chain; the verification (who, when, how, evidence) belongs to each row."""

    employee = models.ForeignKey("workforce.Employee", on_delete=models.PROTECT, related_name="credentials")
    credential_type = models.ForeignKey(CredentialType, on_delete=models.PROTECT, related_name="held")
    number = models.CharField(_("number"), max_length=60, blank=True)
    state = models.CharField(_("state (licences)"), max_length=2, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    replaces = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="renewed_by")
    evidence = models.FileField(_("copy"), upload_to="workforce/credentials/", max_length=200, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_method = models.CharField(_("verified through"), max_length=14,
                                           choices=VerificationMethod.choices, blank=True)
    verification_note = models.CharField(_("verification note"), max_length=300, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["employee", "credential_type", "-issued_on", "-pk"]
        indexes = [models.Index(fields=["expires_on"], name="credential_expires_on")]
        constraints = [
            models.CheckConstraint(condition=Q(expires_on__isnull=True) | Q(issued_on__isnull=True)
                                   | Q(expires_on__gte=models.F("issued_on")), name="credential_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.credential_type.code} {self.number}".strip()


class CredentialAlert(models.Model):
    """An expiry alert sent for a credential at one threshold (90, 60, 30 days, or 0 = expired): the row makes
    each alert go once, however often the daily task runs."""

    credential = models.ForeignKey(EmployeeCredential, on_delete=models.CASCADE, related_name="alerts")
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)
    recipients = models.JSONField(default=list)  # user ids told (the employee, HR, their manager)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["credential", "days_before"], name="credential_alert_once")]

    def __str__(self) -> str:
        return f"{self.days_before} days before expiry"
