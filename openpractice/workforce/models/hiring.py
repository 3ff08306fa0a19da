from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from openpractice.core.models import TimeStampedModel

from ..choices import (
    ApplicantSource,
    ApplicantStage,
    EmploymentType,
    FlsaStatus,
    InterviewKind,
    InterviewStatus,
    OfferStatus,
    PayBasis,
    Recommendation,
    RequisitionReason,
    RequisitionStatus,
)


class Requisition(TimeStampedModel):
    """A request to hire into a position. Raised by hiring staff, approved by a senior role (workforce.approve_hiring)
    before applicants can be taken; filled when its openings are hired."""

    position = models.ForeignKey("workforce.Position", on_delete=models.PROTECT, related_name="requisitions")
    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, related_name="requisitions")
    openings = models.PositiveSmallIntegerField(_("openings"), default=1, validators=[MinValueValidator(1)])
    reason = models.CharField(_("reason"), max_length=11, choices=RequisitionReason.choices,
                              default=RequisitionReason.NEW)
    replaces = models.ForeignKey("workforce.Employee", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("replaces"))
    target_start = models.DateField(_("wanted start date"), null=True, blank=True)
    pay_min = models.DecimalField(_("offer range from"), max_digits=10, decimal_places=2, null=True, blank=True)
    pay_max = models.DecimalField(_("offer range to"), max_digits=10, decimal_places=2, null=True, blank=True)
    justification = models.TextField(_("why the practice needs this hire"), blank=True)
    hiring_manager = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+", verbose_name=_("hiring manager"))
    status = models.CharField(_("status"), max_length=9, choices=RequisitionStatus.choices,
                              default=RequisitionStatus.DRAFT)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)
    # Set when the requisition is approved (the clock for time to fill) and when it is filled or cancelled.
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "location"], name="requisition_status_location")]
        constraints = [
            models.CheckConstraint(condition=Q(openings__gte=1), name="requisition_openings_positive"),
            models.CheckConstraint(condition=Q(pay_min__isnull=True) | Q(pay_max__isnull=True)
                                   | Q(pay_min__lte=models.F("pay_max")), name="requisition_pay_range_ordered"),
            models.CheckConstraint(condition=Q(status__in=["draft", "pending"]) | Q(decided_at__isnull=False)
                                   | Q(status="cancelled"), name="requisition_decided_has_time"),
        ]

    def __str__(self) -> str:
        return f"REQ-{self.pk:05d} {self.position}" if self.pk else str(self.position)

    @property
    def reference(self) -> str:
        return f"REQ-{self.pk:05d}"


class Applicant(TimeStampedModel):
    """A person applying for one requisition, moving through the pipeline stages. The résumé is typed from its
    bytes and stored under a random name outside the web root; only hiring staff in scope open it."""

    requisition = models.ForeignKey(Requisition, on_delete=models.PROTECT, related_name="applicants")
    first_name = models.CharField(_("first name"), max_length=60)
    last_name = models.CharField(_("last name"), max_length=60)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    source = models.CharField(_("source"), max_length=9, choices=ApplicantSource.choices,
                              default=ApplicantSource.JOB_BOARD)
    referred_by = models.ForeignKey("workforce.Employee", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("referred by"))
    applied_on = models.DateField(_("applied on"))
    resume = models.FileField(_("résumé"), upload_to="workforce/resumes/", max_length=200, blank=True)
    resume_content_type = models.CharField(max_length=100, blank=True)
    resume_size = models.PositiveIntegerField(null=True, blank=True)
    stage = models.CharField(_("stage"), max_length=9, choices=ApplicantStage.choices,
                             default=ApplicantStage.APPLIED)
    stage_changed_at = models.DateTimeField(default=timezone.now)
    rejection_reason = models.CharField(_("reason"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # The employee record made when the applicant is hired.
    employee = models.OneToOneField("workforce.Employee", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="applicant")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-applied_on", "-pk"]
        indexes = [models.Index(fields=["requisition", "stage"], name="applicant_requisition_stage")]
        constraints = [
            models.CheckConstraint(condition=Q(stage="hired") | Q(employee__isnull=True),
                                   name="applicant_employee_only_when_hired"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class ApplicantStageChange(models.Model):
    """The pipeline history: every move between stages, for time in stage and time to hire."""

    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(max_length=9, choices=ApplicantStage.choices, blank=True)
    to_stage = models.CharField(max_length=9, choices=ApplicantStage.choices)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["applicant", "changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_stage or '-'} -> {self.to_stage}"


class Interview(models.Model):
    """An interview with interviewers, time and place; invitations go by email with an .ics attachment whose UID
    stays the same and whose SEQUENCE grows when the interview is moved or cancelled."""

    applicant = models.ForeignKey(Applicant, on_delete=models.PROTECT, related_name="interviews")
    kind = models.CharField(_("kind"), max_length=9, choices=InterviewKind.choices, default=InterviewKind.IN_PERSON)
    starts_at = models.DateTimeField(_("starts at"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("length (minutes)"), default=45, validators=[MinValueValidator(10), MaxValueValidator(480)])
    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    place = models.CharField(_("room, address or call link"), max_length=300, blank=True)
    interviewers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="interviews")
    status = models.CharField(_("status"), max_length=9, choices=InterviewStatus.choices,
                              default=InterviewStatus.SCHEDULED)
    ical_uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    ical_sequence = models.PositiveIntegerField(default=0)
    invitations_sent_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["status", "starts_at"], name="interview_status_start")]
        constraints = [
            models.CheckConstraint(condition=Q(duration_minutes__gte=10) & Q(duration_minutes__lte=480),
                                   name="interview_duration_range"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.applicant}"


class ScorecardCriterion(models.Model):
    """What interviewers rate (1-5). Criteria with no position apply to every position; a position may add its own."""

    position = models.ForeignKey("workforce.Position", on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="scorecard_criteria")
    name = models.CharField(_("criterion"), max_length=120)
    guidance = models.CharField(_("what good looks like"), max_length=500, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "name", "pk"]

    def __str__(self) -> str:
        return self.name


class Scorecard(models.Model):
    """One interviewer's structured assessment of one interview: a rating per criterion and a recommendation."""

    interview = models.ForeignKey(Interview, on_delete=models.PROTECT, related_name="scorecards")
    interviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recommendation = models.CharField(_("recommendation"), max_length=10, choices=Recommendation.choices)
    summary = models.TextField(_("summary"), blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["interview", "submitted_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["interview", "interviewer"], name="scorecard_one_per_interviewer"),
        ]

    def __str__(self) -> str:
        return f"{self.get_recommendation_display()} ({self.interview})"


class ScorecardRating(models.Model):
    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="ratings")
    criterion = models.ForeignKey(ScorecardCriterion, on_delete=models.PROTECT, related_name="+")
    rating = models.PositiveSmallIntegerField(_("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta:
        ordering = ["scorecard", "criterion__order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "criterion"], name="scorecard_rating_once"),
            models.CheckConstraint(condition=Q(rating__gte=1) & Q(rating__lte=5), name="scorecard_rating_range"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.rating}"


class Offer(models.Model):
    """The terms offered to an applicant; the letter is a PDF made from them. Accepting it lets the applicant be
    hired, which makes the employee record (and, if wanted, a user account)."""

    applicant = models.ForeignKey(Applicant, on_delete=models.PROTECT, related_name="offers")
    start_date = models.DateField(_("start date"))
    pay_basis = models.CharField(_("pay basis"), max_length=6, choices=PayBasis.choices, default=PayBasis.HOURLY)
    pay_amount = models.DecimalField(_("pay"), max_digits=10, decimal_places=2)
    employment_type = models.CharField(_("employment type"), max_length=10, choices=EmploymentType.choices,
                                       default=EmploymentType.FULL_TIME)
    flsa_status = models.CharField(_("FLSA status"), max_length=10, choices=FlsaStatus.choices,
                                   default=FlsaStatus.NON_EXEMPT)
    expires_on = models.DateField(_("answer by"))
    terms = models.TextField(_("other terms"), blank=True,
                             help_text=_("Benefits, schedule, contingencies (background check, licence)."))
    status = models.CharField(_("status"), max_length=9, choices=OfferStatus.choices, default=OfferStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    extended_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(pay_amount__gt=0), name="offer_pay_positive"),
            models.UniqueConstraint(fields=["applicant"], condition=Q(status__in=["draft", "extended", "accepted"]),
                                    name="offer_one_live_per_applicant"),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} offer to {self.applicant}"
