from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import PlanItemKind, PlanStatus


class DevelopmentPlan(models.Model):
    """An employee's dated plan towards the next position on their path: the certifications, courses and
    experience that close the gap the career page shows."""

    employee = models.ForeignKey("workforce.Employee", on_delete=models.PROTECT, related_name="development_plans")
    target_position = models.ForeignKey("workforce.Position", on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+", verbose_name=_("towards"))
    title = models.CharField(_("title"), max_length=200)
    starts_on = models.DateField(_("starts on"))
    target_date = models.DateField(_("target date"))
    status = models.CharField(_("status"), max_length=9, choices=PlanStatus.choices, default=PlanStatus.ACTIVE)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(target_date__gte=models.F("starts_on")),
                                   name="development_plan_dates_ordered"),
            models.UniqueConstraint(fields=["employee"], condition=Q(status="active"),
                                    name="development_plan_one_active"),
        ]

    def __str__(self) -> str:
        return self.title


class DevelopmentPlanItem(models.Model):
    plan = models.ForeignKey(DevelopmentPlan, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=PlanItemKind.choices)
    title = models.CharField(_("step"), max_length=200)
    credential_type = models.ForeignKey("workforce.CredentialType", on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+")
    course = models.ForeignKey("workforce.Course", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["plan", "order", "due_on", "pk"]

    def __str__(self) -> str:
        return self.title
