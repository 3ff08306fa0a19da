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


class RequisitionReason(models.TextChoices):
    NEW = "new", _("New position or added headcount")
    REPLACEMENT = "replacement", _("Replacement")
    TEMPORARY = "temporary", _("Temporary cover")


class RequisitionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING = "pending", _("Waiting for approval")
    OPEN = "open", _("Approved, recruiting")
    REJECTED = "rejected", _("Not approved")
    FILLED = "filled", _("Filled")
    CANCELLED = "cancelled", _("Cancelled")


class ApplicantSource(models.TextChoices):
    REFERRAL = "referral", _("Employee referral")
    JOB_BOARD = "job_board", _("Job board")
    WEBSITE = "website", _("Practice website")
    AGENCY = "agency", _("Agency")
    SCHOOL = "school", _("School or program")
    WALK_IN = "walk_in", _("Walk-in")
    OTHER = "other", _("Other")


class ApplicantStage(models.TextChoices):
    """The pipeline, in order; hired, rejected and withdrawn end it."""

    APPLIED = "applied", _("Applied")
    SCREENING = "screening", _("Screening")
    INTERVIEW = "interview", _("Interviewing")
    OFFER = "offer", _("Offer")
    HIRED = "hired", _("Hired")
    REJECTED = "rejected", _("Not selected")
    WITHDRAWN = "withdrawn", _("Withdrew")


class InterviewKind(models.TextChoices):
    PHONE = "phone", _("Phone screen")
    IN_PERSON = "in_person", _("In person")
    VIDEO = "video", _("Video call")
    PANEL = "panel", _("Panel")
    WORKING = "working", _("Working interview")


class InterviewStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    COMPLETED = "completed", _("Held")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("Applicant did not come")


class Recommendation(models.TextChoices):
    STRONG_YES = "strong_yes", _("Strong hire")
    YES = "yes", _("Hire")
    NO = "no", _("Do not hire")
    STRONG_NO = "strong_no", _("Strong no hire")


class OfferStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    EXTENDED = "extended", _("Extended, waiting for an answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class PlanStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class PlanItemKind(models.TextChoices):
    CREDENTIAL = "credential", _("Earn a certification or licence")
    COURSE = "course", _("Complete a course")
    EDUCATION = "education", _("Education")
    EXPERIENCE = "experience", _("Experience or project")
    OTHER = "other", _("Other")
