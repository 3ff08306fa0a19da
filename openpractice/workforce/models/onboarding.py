from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import ChecklistKind, TaskStatus


class ChecklistTemplate(models.Model):
    """What to do when someone starts in (or leaves) a position: HIPAA training, policy acknowledgements,
    accounts, keys … A template with no position applies to every position without one of its own."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=11, choices=ChecklistKind.choices)
    position = models.ForeignKey("workforce.Position", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="checklist_templates")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "name", "pk"]

    def __str__(self) -> str:
        return self.name


class ChecklistTemplateItem(models.Model):
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("task"), max_length=200)
    # Who does it: the new hire's manager, HR, IT (the practice administrator), or the employee.
    owner_role = models.CharField(_("done by"), max_length=12, choices=[
        ("manager", _("Their manager")), ("hr", _("HR")), ("it", _("System administrator")),
        ("employee", _("The employee")), ("office", _("Office manager")),
    ])
    due_days = models.SmallIntegerField(_("due (days from start)"), default=0,
                                        help_text=_("Negative: before the first (or last) day."))
    course = models.ForeignKey("workforce.Course", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", help_text=_("Assigns this course when the checklist starts."))

    class Meta:
        ordering = ["template", "order", "pk"]

    def __str__(self) -> str:
        return self.title


class Checklist(models.Model):
    """One employee's onboarding or offboarding, made from a template; its tasks are copies, so editing the
    template later does not change a checklist under way."""

    employee = models.ForeignKey("workforce.Employee", on_delete=models.PROTECT, related_name="checklists")
    kind = models.CharField(_("kind"), max_length=11, choices=ChecklistKind.choices)
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    starts_on = models.DateField(_("first (or last) day"))
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["employee", "kind"], condition=Q(completed_at__isnull=True),
                                    name="checklist_one_open_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_on}"


class ChecklistTask(models.Model):
    checklist = models.ForeignKey(Checklist, on_delete=models.CASCADE, related_name="tasks")
    order = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("task"), max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="workforce_tasks")
    due_on = models.DateField(_("due on"))
    status = models.CharField(_("status"), max_length=7, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")
    done_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["checklist", "order", "pk"]
        indexes = [models.Index(fields=["owner", "status", "due_on"], name="checklist_task_owner_due")]

    def __str__(self) -> str:
        return self.title
