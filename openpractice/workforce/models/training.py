from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import TrainingStatus


class Course(models.Model):
    """A training course; a recurring one (HIPAA every 12 months) gets a new assignment when one is completed."""

    title = models.CharField(_("title"), max_length=150)
    code = models.CharField(_("code"), max_length=20, unique=True)
    description = models.TextField(_("description"), blank=True)
    provider_name = models.CharField(_("given by"), max_length=150, blank=True)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=2, null=True, blank=True)
    recurrence_months = models.PositiveSmallIntegerField(
        _("repeat every (months)"), null=True, blank=True, help_text=_("Empty: once."))
    due_within_days = models.PositiveSmallIntegerField(_("due within (days of assignment)"), default=30)
    # The course that keeps PHI access open when the practice setting asks for current HIPAA training.
    is_hipaa = models.BooleanField(_("HIPAA training"), default=False)
    # Credentials this course prepares for (career paths suggest it to close a gap).
    prepares_for = models.ManyToManyField("workforce.CredentialType", blank=True, related_name="courses")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["title", "pk"]

    def __str__(self) -> str:
        return self.title


class TrainingAssignment(models.Model):
    """A course assigned to an employee with a due date; completion carries evidence."""

    employee = models.ForeignKey("workforce.Employee", on_delete=models.PROTECT, related_name="trainings")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="assignments")
    assigned_on = models.DateField(_("assigned on"))
    due_on = models.DateField(_("due on"))
    status = models.CharField(_("status"), max_length=9, choices=TrainingStatus.choices,
                              default=TrainingStatus.ASSIGNED)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    # Until when this completion counts (completed_on + the course's recurrence); empty: for good.
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    evidence = models.FileField(_("certificate"), upload_to="workforce/training/", max_length=200, blank=True)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["status", "due_on"], name="training_status_due")]
        constraints = [
            models.CheckConstraint(condition=Q(due_on__gte=models.F("assigned_on")), name="training_due_after"),
            models.CheckConstraint(
                condition=Q(status=TrainingStatus.COMPLETED, completed_on__isnull=False)
                | (~Q(status=TrainingStatus.COMPLETED) & Q(completed_on__isnull=True)),
                name="training_completed_has_date"),
            # One open assignment of a course per person: assigning again while one is open is a mistake.
            models.UniqueConstraint(fields=["employee", "course"], condition=Q(status=TrainingStatus.ASSIGNED),
                                    name="training_one_open_per_course"),
        ]

    def __str__(self) -> str:
        return f"{self.course} due {self.due_on}"
