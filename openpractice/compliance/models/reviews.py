from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import FindingKind, RiskStatus, Safeguard, SraAnswer, SraStatus


class AccessReview(models.Model):
    """A quarterly review of who reached PHI, built from the audit log, signed off by the privacy officer."""

    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    signed_off_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+")
    signed_off_at = models.DateTimeField(null=True, blank=True)
    sign_off_note = models.TextField(_("conclusion"), blank=True)

    class Meta:
        ordering = ["-period_end", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")),
                                   name="access_review_period_ordered"),
        ]

    def __str__(self) -> str:
        return f"Access review {self.period_start} – {self.period_end}"


class AccessReviewFinding(models.Model):
    """One line of the review: a user with PHI access (their last sign-in and how many patients they opened),
    or something unusual they did; the reviewer notes what they found out."""

    review = models.ForeignKey(AccessReview, on_delete=models.CASCADE, related_name="findings")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=11, choices=FindingKind.choices)
    day = models.DateField(null=True, blank=True)
    patients = models.PositiveIntegerField(default=0)
    detail = models.CharField(max_length=300, blank=True)
    last_sign_in = models.DateTimeField(null=True, blank=True)
    reviewer_note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["review", "kind", "user", "day", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.user}"


class SraQuestion(models.Model):
    """A question of the security risk assessment (after the HHS/ONC SRA topics); the practice may add its own."""

    safeguard = models.CharField(_("safeguard"), max_length=14, choices=Safeguard.choices)
    reference = models.CharField(_("regulation"), max_length=40, blank=True)
    text = models.CharField(_("question"), max_length=500)
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["safeguard", "order", "pk"]

    def __str__(self) -> str:
        return self.text


class SecurityRiskAssessment(models.Model):
    """The yearly security risk assessment (164.308(a)(1)(ii)(A)): answers, then risks into the register."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    status = models.CharField(max_length=11, choices=SraStatus.choices, default=SraStatus.IN_PROGRESS)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    completed_at = models.DateTimeField(null=True, blank=True)
    summary = models.TextField(_("summary"), blank=True)

    class Meta:
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"Security risk assessment {self.year}"


class SraResponse(models.Model):
    assessment = models.ForeignKey(SecurityRiskAssessment, on_delete=models.CASCADE, related_name="responses")
    question = models.ForeignKey(SraQuestion, on_delete=models.PROTECT, related_name="+")
    answer = models.CharField(_("answer"), max_length=6, choices=SraAnswer.choices)
    notes = models.TextField(_("notes"), blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["assessment", "question__safeguard", "question__order", "pk"]
        constraints = [models.UniqueConstraint(fields=["assessment", "question"], name="sra_response_once")]

    def __str__(self) -> str:
        return f"{self.question}: {self.answer}"


class Risk(models.Model):
    """The risk register: likelihood x impact (1-5 each), an owner, a remediation plan and its due date."""

    assessment = models.ForeignKey(SecurityRiskAssessment, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="risks")
    question = models.ForeignKey(SraQuestion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    title = models.CharField(_("risk"), max_length=200)
    safeguard = models.CharField(_("safeguard"), max_length=14, choices=Safeguard.choices)
    description = models.TextField(_("threat and vulnerability"), blank=True)
    likelihood = models.PositiveSmallIntegerField(_("likelihood (1-5)"),
                                                  validators=[MinValueValidator(1), MaxValueValidator(5)])
    impact = models.PositiveSmallIntegerField(_("impact (1-5)"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    remediation = models.TextField(_("remediation plan"), blank=True)
    due_on = models.DateField(_("remediate by"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=9, choices=RiskStatus.choices, default=RiskStatus.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    closing_note = models.CharField(_("closing note"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["status", "-likelihood", "-impact", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(likelihood__gte=1) & Q(likelihood__lte=5) & Q(impact__gte=1)
                                   & Q(impact__lte=5), name="risk_scores_range"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def score(self) -> int:
        return self.likelihood * self.impact
