from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from openpractice.core.models import TimeStampedModel

from ..choices import Audience, PolicyCategory, VersionStatus


class Policy(TimeStampedModel):
    """A policy or procedure in the practice's library. Its text lives in versions; at most one version is published
    (in force) at a time, and who acknowledged which version is kept forever."""

    title = models.CharField(_("title"), max_length=200)
    category = models.CharField(_("category"), max_length=12, choices=PolicyCategory.choices)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("owner"))
    review_months = models.PositiveSmallIntegerField(_("review every (months)"), default=12)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["category", "title", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(review_months__gte=1) & Q(review_months__lte=60),
                                   name="policy_review_months_range"),
        ]

    def __str__(self) -> str:
        return self.title


class PolicyVersion(models.Model):
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    # Sanitised (nh3) before it is stored; rendered as HTML.
    body_html = models.TextField(_("text"))
    change_summary = models.CharField(_("what changed"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=9, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    effective_on = models.DateField(_("effective date"), null=True, blank=True)
    next_review_on = models.DateField(_("next review"), null=True, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    # Review reminders already sent for next_review_on (days before: 30, 0), so each goes once whatever the number
    # of workers or missed days.
    review_reminders_sent = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["policy", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="policy_version_number_unique"),
            models.UniqueConstraint(fields=["policy"], condition=Q(status="published"),
                                    name="policy_one_published_version"),
            models.UniqueConstraint(fields=["policy"], condition=Q(status__in=["draft", "review", "approved"]),
                                    name="policy_one_version_in_progress"),
        ]

    def __str__(self) -> str:
        return f"{self.policy} v{self.number}"


class PolicyAttachment(models.Model):
    """A file that belongs to a version (a form, a flowchart): typed from its bytes, stored outside the web root."""

    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="attachments")
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(upload_to="compliance/policies/", max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["version", "title", "pk"]

    def __str__(self) -> str:
        return self.title


class AcknowledgementCampaign(models.Model):
    """Ask an audience (everyone, some roles, some locations) to read and acknowledge a published version by a
    date. The people asked are fixed when it starts (AcknowledgementRequest rows), so progress is countable."""

    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="campaigns")
    audience = models.CharField(_("audience"), max_length=9, choices=Audience.choices, default=Audience.EVERYONE)
    roles = models.JSONField(_("roles"), default=list, blank=True)
    locations = models.ManyToManyField("core.Location", blank=True, related_name="+")
    due_on = models.DateField(_("acknowledge by"))
    attestation = models.CharField(
        _("attestation"), max_length=500,
        default="I have read and understood this policy and will follow it.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.version} ({self.get_audience_display()})"


class AcknowledgementRequest(models.Model):
    campaign = models.ForeignKey(AcknowledgementCampaign, on_delete=models.CASCADE, related_name="requests")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="policy_requests")
    due_on = models.DateField()
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["campaign", "user"]
        constraints = [models.UniqueConstraint(fields=["campaign", "user"], name="ack_request_once")]

    def __str__(self) -> str:
        return f"{self.user} · {self.campaign}"


class Acknowledgement(models.Model):
    """A person's attestation for one version, kept forever (the rows are never updated or deleted). A new version
    needs a new acknowledgement: the old one stays as history."""

    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="acknowledgements")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="policy_acks")
    acknowledged_at = models.DateTimeField(default=timezone.now)
    attestation = models.CharField(max_length=500)

    class Meta:
        ordering = ["-acknowledged_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["version", "user"], name="ack_once_per_version")]

    def __str__(self) -> str:
        return f"{self.user} · {self.version}"
