from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from openpractice.core.choices import StateChoices
from openpractice.core.fields import EncryptedTextField
from openpractice.core.models import TimeStampedModel
from openpractice.core.validators import validate_zip

from ..choices import DocumentKind, Education, EmployeeStatus, EmploymentType, FlsaStatus


class Employee(TimeStampedModel):
    """A person employed by the practice. HR data, not PHI; the sensitive fields (SSN, bank details) are
    encrypted at rest and shown only to those whose role allows (services decide, and audit every view)."""

    employee_number = models.CharField(_("employee number"), max_length=20, unique=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="employee", help_text=_("The person's OpenPractice account, if any."))
    first_name = models.CharField(_("first name"), max_length=60)
    last_name = models.CharField(_("last name"), max_length=60)
    preferred_name = models.CharField(_("preferred name"), max_length=60, blank=True)
    email = models.EmailField(_("work email"), blank=True)
    personal_email = models.EmailField(_("personal email"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    ssn = EncryptedTextField(_("SSN"), blank=True)
    bank_routing_number = EncryptedTextField(_("bank routing number"), blank=True)
    bank_account_number = EncryptedTextField(_("bank account number"), blank=True)
    # Home address: optional until the new hire's paperwork is in.
    address_line1 = models.CharField(_("address"), max_length=55, blank=True)
    address_line2 = models.CharField(_("address line 2"), max_length=55, blank=True)
    city = models.CharField(_("city"), max_length=30, blank=True)
    state = models.CharField(_("state"), max_length=2, choices=StateChoices, blank=True)
    postal_code = models.CharField(_("ZIP code"), max_length=10, validators=[validate_zip], blank=True)
    emergency_contact = models.CharField(_("emergency contact"), max_length=200, blank=True)
    position = models.ForeignKey("workforce.Position", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="employees")
    position_since = models.DateField(_("in this position since"), null=True, blank=True)
    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="employees", verbose_name=_("main location"))
    manager = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="direct_reports")
    # A provider's schedule entry, so an expired licence can be flagged where appointments are booked.
    provider = models.OneToOneField("scheduling.Provider", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="employee")
    employment_type = models.CharField(_("employment type"), max_length=10, choices=EmploymentType.choices,
                                       default=EmploymentType.FULL_TIME)
    flsa_status = models.CharField(_("FLSA status"), max_length=10, choices=FlsaStatus.choices,
                                   default=FlsaStatus.NON_EXEMPT)
    education = models.CharField(_("highest education"), max_length=12, choices=Education.choices,
                                 default=Education.NONE)
    hire_date = models.DateField(_("hire date"))
    status = models.CharField(_("status"), max_length=10, choices=EmployeeStatus.choices,
                              default=EmployeeStatus.ACTIVE)
    termination_date = models.DateField(_("termination date"), null=True, blank=True)
    termination_reason = models.CharField(_("termination reason"), max_length=300, blank=True)
    pto_hours_per_year = models.DecimalField(_("PTO hours a year"), max_digits=6, decimal_places=2, default=0)

    class Meta:
        ordering = ["last_name", "first_name", "pk"]
        indexes = [models.Index(fields=["status", "last_name"], name="employee_status_name")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=EmployeeStatus.TERMINATED, termination_date__isnull=False)
                | (~Q(status=EmployeeStatus.TERMINATED) & Q(termination_date__isnull=True)),
                name="employee_terminated_has_date"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return f"{self.preferred_name or self.first_name} {self.last_name}"


class EmployeeDocument(models.Model):
    """A file in the personnel folder, kept until its retention date (files live outside the web root and are
    served only through a permission-checked view)."""

    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("kind"), max_length=12, choices=DocumentKind.choices)
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to="workforce/documents/", max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    retain_until = models.DateField(_("keep until"), null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self) -> str:
        return self.title
