"""Vocabularies of the workforce app."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Education(models.TextChoices):
    """Highest education completed, in order (a position's requirement is met by that level or above)."""

    NONE = "none", _("None required")
    HIGH_SCHOOL = "high_school", _("High school diploma or GED")
    CERTIFICATE = "certificate", _("Vocational certificate")
    ASSOCIATE = "associate", _("Associate degree")
    BACHELOR = "bachelor", _("Bachelor's degree")
    MASTER = "master", _("Master's degree (MBA, MPH, MHA …)")
    DOCTORATE = "doctorate", _("Doctorate (MD, DO, PhD …)")


EDUCATION_ORDER: tuple[str, ...] = tuple(Education.values)


class PayBasis(models.TextChoices):
    HOURLY = "hourly", _("Hourly")
    ANNUAL = "annual", _("Annual salary")


class EmploymentType(models.TextChoices):
    FULL_TIME = "full_time", _("Full time")
    PART_TIME = "part_time", _("Part time")
    PER_DIEM = "per_diem", _("Per diem")
    CONTRACTOR = "contractor", _("Contractor")


class FlsaStatus(models.TextChoices):
    """Under the Fair Labor Standards Act only non-exempt staff earn overtime over 40 hours a week."""

    NON_EXEMPT = "non_exempt", _("Non-exempt (overtime)")
    EXEMPT = "exempt", _("Exempt")


class EmployeeStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ON_LEAVE = "on_leave", _("On leave")
    TERMINATED = "terminated", _("Terminated")


class DocumentKind(models.TextChoices):
    CONTRACT = "contract", _("Employment contract")
    I9 = "i9", _("Form I-9")
    W4 = "w4", _("Form W-4")
    IDENTITY = "identity", _("Identity document")
    RESUME = "resume", _("Résumé")
    CERTIFICATE = "certificate", _("Certificate or licence copy")
    REVIEW = "review", _("Performance review")
    OTHER = "other", _("Other")


class CredentialKind(models.TextChoices):
    CERTIFICATION = "certification", _("Professional certification")
    LICENCE = "licence", _("Licence or registration")


class VerificationMethod(models.TextChoices):
    PRIMARY_SOURCE = "primary_source", _("Primary source (issuer's website or letter)")
    DOCUMENT = "document", _("Copy of the certificate or licence")
    OTHER = "other", _("Other")


class TrainingStatus(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned")
    COMPLETED = "completed", _("Completed")
    WAIVED = "waived", _("Waived")


class ChecklistKind(models.TextChoices):
    ONBOARDING = "onboarding", _("Onboarding")
    OFFBOARDING = "offboarding", _("Offboarding")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Not needed")


class DisciplineStep(models.TextChoices):
    """Progressive discipline, in order."""

    COACHING = "coaching", _("Coaching")
    VERBAL = "verbal", _("Verbal warning")
    WRITTEN = "written", _("Written warning")
    FINAL = "final", _("Final warning")
    TERMINATION = "termination", _("Termination")


DISCIPLINE_ORDER: tuple[str, ...] = tuple(DisciplineStep.values)


class DisciplineStatus(models.TextChoices):
    OPEN = "open", _("Open (improvement plan running)")
    CLOSED_IMPROVED = "improved", _("Closed: improved")
    CLOSED_ESCALATED = "escalated", _("Closed: escalated to the next step")
    CLOSED_OTHER = "closed", _("Closed")


class PayPeriodStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class TimeKind(models.TextChoices):
    WORKED = "worked", _("Worked")
    PTO = "pto", _("Paid time off")
    HOLIDAY = "holiday", _("Paid holiday")


class TimeSource(models.TextChoices):
    CLOCK = "clock", _("Clock in/out")
    WEEKLY = "weekly", _("Weekly entry")
    CORRECTION = "correction", _("Correction by a manager")


class PtoStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    DENIED = "denied", _("Denied")
    CANCELLED = "cancelled", _("Cancelled")
