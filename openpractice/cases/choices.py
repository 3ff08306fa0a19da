from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseKind(models.TextChoices):
    """Who the dispute is about: a patient's complaint (PHI) or a staff conflict or grievance (an HR record)."""

    PATIENT = "patient", _("Patient complaint or grievance")
    STAFF = "staff", _("Staff conflict or grievance")


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class Confidentiality(models.TextChoices):
    """Who may see the case: everyone who works cases of its kind where it is, or only its assignee and the
    senior roles (practice manager senior, privacy officer, HR)."""

    NORMAL = "normal", _("Case workers")
    CONFIDENTIAL = "confidential", _("Confidential: assignee and senior roles only")


class CaseStatus(models.TextChoices):
    NEW = "new", _("New")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (CaseStatus.NEW, CaseStatus.ACKNOWLEDGED)


class Outcome(models.TextChoices):
    UPHELD = "upheld", _("Upheld")
    PARTLY_UPHELD = "partly", _("Partly upheld")
    NOT_UPHELD = "not_upheld", _("Not upheld")
    SETTLED = "settled", _("Settled by agreement")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class EntryKind(models.TextChoices):
    NOTE = "note", _("Note")
    ACTION = "action", _("Action taken")
    CONTACT = "contact", _("Contact with the complainant")
    STATUS = "status", _("Status change")
    ASSIGNED = "assigned", _("Assignment")
    ESCALATED = "escalated", _("Escalation")
    LETTER = "letter", _("Letter")


class LetterKind(models.TextChoices):
    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement letter")
    RESOLUTION = "resolution", _("Resolution letter")
