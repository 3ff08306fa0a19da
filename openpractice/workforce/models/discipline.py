from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import DisciplineStatus, DisciplineStep


class DisciplinaryAction(models.Model):
    """One step of progressive discipline. Confidential: HR and senior practice managers, and the employee for
    their own (services enforce it and audit every view)."""

    employee = models.ForeignKey("workforce.Employee", on_delete=models.PROTECT, related_name="disciplinary_actions")
    step = models.CharField(_("step"), max_length=11, choices=DisciplineStep.choices)
    occurred_on = models.DateField(_("date of the conduct"))
    # The policy concerned: free text until the compliance module's policy library exists.
    policy = models.CharField(_("policy concerned"), max_length=200)
    facts = models.TextField(_("facts"))
    expectations = models.TextField(_("improvement plan"), blank=True)
    status = models.CharField(_("status"), max_length=9, choices=DisciplineStatus.choices,
                              default=DisciplineStatus.OPEN)
    previous = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="next_steps",
                                 verbose_name=_("follows"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(_("acknowledged by the employee"), null=True, blank=True)
    employee_comment = models.TextField(_("employee's comment"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_step_display()} {self.occurred_on}"


class DisciplineFollowUp(models.Model):
    """A dated check on the improvement plan."""

    action = models.ForeignKey(DisciplinaryAction, on_delete=models.CASCADE, related_name="follow_ups")
    due_on = models.DateField(_("follow up on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")

    class Meta:
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return f"follow-up {self.due_on}"
