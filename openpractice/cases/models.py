"""Cases: patient complaints and grievances and staff conflicts and grievances, from intake to resolution.

What people say in a dispute is sensitive (DESIGN.md: grievance narratives are encrypted at rest): the narrative,
the complainant's contact details, the resolution and every timeline entry are EncryptedTextFields. The subject
is plain so lists can show and search it; its help text asks for no names or clinical detail.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from openpractice.core.fields import EncryptedTextField
from openpractice.core.models import TimeStampedModel

from .choices import CaseKind, CaseStatus, Confidentiality, EntryKind, LetterKind, Outcome, Severity


class CaseCategory(models.Model):
    """A kind of dispute with its service levels: acknowledge within N days, resolve within M."""

    kind = models.CharField(_("kind"), max_length=7, choices=CaseKind.choices)
    name = models.CharField(_("name"), max_length=80)
    acknowledge_days = models.PositiveSmallIntegerField(_("acknowledge within (days)"))
    resolve_days = models.PositiveSmallIntegerField(_("resolve within (days)"))
    opens_incident = models.BooleanField(
        _("opens a privacy incident"), default=False,
        help_text=_("A case in this category also opens an incident in the compliance incident log."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name_plural = "case categories"
        constraints = [
            models.UniqueConstraint(fields=["kind", "name"], name="case_category_name_once"),
            models.CheckConstraint(condition=Q(acknowledge_days__gte=1) & Q(resolve_days__gte=models.F(
                "acknowledge_days")), name="case_category_sla_order"),
        ]

    def __str__(self) -> str:
        return self.name


class Case(TimeStampedModel):
    kind = models.CharField(_("kind"), max_length=7, choices=CaseKind.choices)
    category = models.ForeignKey(CaseCategory, on_delete=models.PROTECT, related_name="cases",
                                 verbose_name=_("category"))
    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("location"),
                                 help_text=_("Empty: the whole practice."))
    subject = models.CharField(_("subject"), max_length=200,
                               help_text=_("A short summary without names or clinical detail (not encrypted)."))
    narrative = EncryptedTextField(_("what the complainant says"))
    complainant_name = EncryptedTextField(_("complainant"), blank=True)
    complainant_contact = EncryptedTextField(_("complainant's address, phone or email"), blank=True)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, default=Severity.MEDIUM)
    confidentiality = models.CharField(_("confidentiality"), max_length=12, choices=Confidentiality.choices,
                                       default=Confidentiality.NORMAL)
    status = models.CharField(_("status"), max_length=12, choices=CaseStatus.choices, default=CaseStatus.NEW)
    received_on = models.DateField(_("received on"))
    acknowledge_due_on = models.DateField(_("acknowledge by"))
    resolve_due_on = models.DateField(_("resolve by"))
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    resolution = EncryptedTextField(_("resolution"), blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="assigned_cases", verbose_name=_("assignee"))
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="filed_cases")
    # Links. A patient case may name the patient and a claim (a billing dispute); a staff case the employee who
    # raised it and the colleague it concerns. Privacy complaints open an incident.
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("patient"))
    claim = models.ForeignKey("billing.Claim", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("claim"))
    employee = models.ForeignKey("workforce.Employee", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("employee raising it"))
    respondent = models.ForeignKey("workforce.Employee", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("colleague concerned"))
    incident = models.ForeignKey("compliance.Incident", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("incident"))

    class Meta:
        ordering = ["-received_on", "-pk"]
        indexes = [models.Index(fields=["status", "resolve_due_on"], name="case_status_due_idx"),
                   models.Index(fields=["kind", "received_on"], name="case_kind_received_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(acknowledge_due_on__gte=models.F("received_on"))
                                   & Q(resolve_due_on__gte=models.F("acknowledge_due_on")),
                                   name="case_due_dates_order"),
            # Patient links only on patient cases, employee links only on staff cases.
            models.CheckConstraint(condition=Q(kind=CaseKind.PATIENT, employee__isnull=True,
                                               respondent__isnull=True)
                                   | Q(kind=CaseKind.STAFF, patient__isnull=True, claim__isnull=True),
                                   name="case_links_match_kind"),
            models.CheckConstraint(condition=~Q(status__in=[CaseStatus.RESOLVED, CaseStatus.CLOSED])
                                   | ~Q(outcome=""), name="case_resolved_has_outcome"),
        ]

    def __str__(self) -> str:
        return f"{self.number}: {self.subject}"

    @property
    def number(self) -> str:
        return f"CASE-{self.pk:05d}" if self.pk else "CASE-new"

    @property
    def is_open(self) -> bool:
        return self.status in (CaseStatus.NEW, CaseStatus.ACKNOWLEDGED)


class CaseEntry(models.Model):
    """One line of the case's timeline: a note, an action, a contact, or what the system did (status changes,
    assignments, escalations, letters). Entries are never edited; a correction is a new entry."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=9, choices=EntryKind.choices)
    body = EncryptedTextField(_("text"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", help_text=_("Empty: the system (escalations)."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.case_id}"


class CaseLetter(models.Model):
    """A letter sent to the complainant. Its text is kept as written, so downloading it again gives the same
    letter even after the case moved on."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="letters")
    kind = models.CharField(max_length=15, choices=LetterKind.choices)
    recipient = EncryptedTextField()
    body = EncryptedTextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.case_id}"
