from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from openpractice.core.choices import StateChoices
from openpractice.core.models import TimeStampedModel

from ..choices import BreachDetermination, IncidentKind, IncidentStatus, NotificationAudience, RiskLevel


class Incident(TimeStampedModel):
    """A privacy or security incident, from discovery through the four-factor assessment (45 CFR 164.402) to the
    breach determination and, for a breach, the notification deadlines (164.404-408) counted from discovery."""

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=11, choices=IncidentKind.choices)
    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", help_text=_("Empty: the whole practice."))
    discovered_on = models.DateField(_("discovered on"),
                                     help_text=_("The first day it was known, or would have been with reasonable "
                                                 "diligence: the notification clock starts here."))
    occurred_on = models.DateField(_("occurred on"), null=True, blank=True)
    description = models.TextField(_("what happened"))
    phi_involved = models.TextField(_("PHI involved"), blank=True)
    individuals_affected = models.PositiveIntegerField(_("individuals affected"), default=0)
    status = models.CharField(_("status"), max_length=8, choices=IncidentStatus.choices, default=IncidentStatus.OPEN)
    determination = models.CharField(_("breach determination"), max_length=10, choices=BreachDetermination.choices,
                                     default=BreachDetermination.PENDING)
    determination_reason = models.TextField(_("reason"), blank=True)
    determined_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+")
    determined_at = models.DateTimeField(null=True, blank=True)
    # Sanctions: the disciplinary action taken against a workforce member because of this incident.
    disciplinary_action = models.ForeignKey("workforce.DisciplinaryAction", on_delete=models.SET_NULL, null=True,
                                            blank=True, related_name="+")
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-discovered_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(occurred_on__isnull=True)
                                   | Q(occurred_on__lte=models.F("discovered_on")),
                                   name="incident_occurred_before_discovery"),
        ]

    def __str__(self) -> str:
        return self.title


class IncidentState(models.Model):
    """How many of the affected individuals live in each state (500+ in a state: media notice)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="states")
    state = models.CharField(max_length=2, choices=StateChoices)
    individuals = models.PositiveIntegerField()

    class Meta:
        ordering = ["incident", "state"]
        constraints = [models.UniqueConstraint(fields=["incident", "state"], name="incident_state_once")]

    def __str__(self) -> str:
        return f"{self.state}: {self.individuals}"


class RiskAssessment(models.Model):
    """The four factors of 45 CFR 164.402(2): the nature and extent of the PHI, the unauthorized person, whether
    it was actually acquired or viewed, and how far the risk was mitigated."""

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="risk_assessment")
    nature_extent = models.TextField(_("1. nature and extent of the PHI (identifiers, likelihood of re-identification)"))
    nature_extent_risk = models.CharField(max_length=6, choices=RiskLevel.choices)
    recipient = models.TextField(_("2. the unauthorized person who used it or to whom it was disclosed"))
    recipient_risk = models.CharField(max_length=6, choices=RiskLevel.choices)
    acquired_viewed = models.TextField(_("3. whether the PHI was actually acquired or viewed"))
    acquired_viewed_risk = models.CharField(max_length=6, choices=RiskLevel.choices)
    mitigation = models.TextField(_("4. the extent to which the risk has been mitigated"))
    mitigation_risk = models.CharField(max_length=6, choices=RiskLevel.choices)
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Risk assessment of {self.incident}"


class NotificationDeadline(models.Model):
    """One notice a breach requires, as a dated task: to the individuals, to the media of a state, to HHS."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="deadlines")
    audience = models.CharField(max_length=11, choices=NotificationAudience.choices)
    state = models.CharField(max_length=2, choices=StateChoices, blank=True)
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")
    note = models.CharField(_("note"), max_length=300, blank=True)
    # Alerts already sent (days before the due date), so each goes once.
    alerted_days = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "audience", "state"], name="notification_deadline_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_audience_display()} by {self.due_on}"


class AffectedPatient(models.Model):
    """A patient whose PHI the incident touched: added by hand, or from the audit log (patients a user opened
    between two dates)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="affected_patients")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=40, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["incident", "pk"]
        constraints = [models.UniqueConstraint(fields=["incident", "patient"], name="affected_patient_once")]

    def __str__(self) -> str:
        return f"{self.patient_id} in {self.incident}"
