from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PolicyCategory(models.TextChoices):
    PRIVACY = "privacy", _("Privacy (HIPAA Privacy Rule)")
    SECURITY = "security", _("Information security (HIPAA Security Rule)")
    HR = "hr", _("Human resources and conduct")
    BILLING = "billing", _("Billing and coding compliance")
    FRONT_OFFICE = "front_office", _("Front office and patient access")
    SAFETY = "safety", _("Safety and facilities (OSHA)")
    CLINICAL_OPS = "clinical_ops", _("Clinical operations")
    OTHER = "other", _("Other")


class VersionStatus(models.TextChoices):
    """draft -> in review -> approved -> published -> retired (a newer published version retires the last)."""

    DRAFT = "draft", _("Draft")
    REVIEW = "review", _("In review")
    APPROVED = "approved", _("Approved")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class Audience(models.TextChoices):
    EVERYONE = "everyone", _("Everyone")
    ROLES = "roles", _("People with these roles")
    LOCATIONS = "locations", _("People at these locations")


class IncidentKind(models.TextChoices):
    UNAUTHORIZED_ACCESS = "access", _("Unauthorized access or disclosure")
    MISDIRECTED = "misdirected", _("Misdirected mail, fax or email")
    LOSS_THEFT = "loss_theft", _("Lost or stolen device or paper records")
    HACKING = "hacking", _("Hacking or IT incident")
    DISPOSAL = "disposal", _("Improper disposal")
    OTHER = "other", _("Other")


class IncidentStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ASSESSED = "assessed", _("Assessed")
    CLOSED = "closed", _("Closed")


class BreachDetermination(models.TextChoices):
    PENDING = "pending", _("Not yet determined")
    NOT_BREACH = "not_breach", _("Not a breach (low probability of compromise)")
    EXCEPTION = "exception", _("Not a breach (a statutory exception applies)")
    BREACH = "breach", _("Breach: notification required")


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class NotificationAudience(models.TextChoices):
    INDIVIDUALS = "individuals", _("Affected individuals")
    MEDIA = "media", _("Prominent media outlets (state)")
    HHS_NOW = "hhs_now", _("HHS (500 or more affected)")
    HHS_ANNUAL = "hhs_annual", _("HHS annual log (fewer than 500)")


class DisclosurePurpose(models.TextChoices):
    """Disclosures a patient may ask an accounting of (45 CFR 164.528); treatment, payment, operations and
    disclosures to the patient are not accounted."""

    PUBLIC_HEALTH = "public_health", _("Public health activity")
    ABUSE_REPORT = "abuse_report", _("Report of abuse, neglect or domestic violence")
    HEALTH_OVERSIGHT = "oversight", _("Health oversight")
    JUDICIAL = "judicial", _("Judicial or administrative proceeding")
    LAW_ENFORCEMENT = "law_enforcement", _("Law enforcement")
    DECEDENT = "decedent", _("Coroner, medical examiner or funeral director")
    RESEARCH = "research", _("Research (with a waiver)")
    SAFETY = "safety", _("To avert a serious threat to health or safety")
    WORKERS_COMP = "workers_comp", _("Workers' compensation")
    BREACH = "breach", _("Impermissible disclosure (breach or incident)")
    OTHER = "other", _("Other")


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("Being negotiated")
    ACTIVE = "active", _("Signed, in force")
    TERMINATED = "terminated", _("Terminated")


class Safeguard(models.TextChoices):
    """The HIPAA Security Rule's safeguard families (the HHS/ONC SRA tool's sections)."""

    ADMINISTRATIVE = "administrative", _("Administrative safeguards (164.308)")
    PHYSICAL = "physical", _("Physical safeguards (164.310)")
    TECHNICAL = "technical", _("Technical safeguards (164.312)")


class SraAnswer(models.TextChoices):
    YES = "yes", _("Yes")
    PARTLY = "partly", _("Partly")
    NO = "no", _("No")
    NOT_APPLICABLE = "na", _("Not applicable")


class SraStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")


class RiskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    MITIGATED = "mitigated", _("Mitigated")
    ACCEPTED = "accepted", _("Accepted")


class FindingKind(models.TextChoices):
    PHI_ACCESS = "phi_access", _("Has PHI access")
    VOLUME = "volume", _("Many patient records in a day")
    AFTER_HOURS = "after_hours", _("Patient records opened after hours")
    SURNAME = "surname", _("Opened a patient sharing their surname")
    DORMANT = "dormant", _("PHI access but no sign-in for 90 days")
