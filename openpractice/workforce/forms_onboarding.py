"""Forms for checklist templates, starting a checklist and working a task."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from openpractice.core.forms import Form

from .choices import ChecklistKind, TaskStatus
from .models import ChecklistTemplate, ChecklistTemplateItem, Position

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class TemplateForm(Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=ChecklistKind.choices)
    position = forms.ModelChoiceField(label=_("Position"), queryset=Position.objects.filter(is_active=True),
                                      required=False, help_text=_("Empty: every position without its own template."))


class TemplateItemForm(Form):
    title = forms.CharField(label=_("Task"), max_length=200)
    owner_role = forms.ChoiceField(label=_("Done by"), choices=ChecklistTemplateItem.owner_role.field.choices or [])
    due_days = forms.IntegerField(label=_("Due (days from the first or last day)"), initial=0,
                                  min_value=-365, max_value=365)


class ChecklistStartForm(Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ChecklistKind.choices)
    starts_on = forms.DateField(label=_("First (or last) day"), widget=_DATE)
    template = forms.ModelChoiceField(label=_("Template"), queryset=ChecklistTemplate.objects.none(),
                                      required=False, help_text=_("Empty: the position's template, else the general one."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        template_field = self.fields["template"]
        assert isinstance(template_field, forms.ModelChoiceField)
        template_field.queryset = ChecklistTemplate.objects.filter(is_active=True)


class TaskStatusForm(Form):
    status = forms.ChoiceField(choices=TaskStatus.choices)
    note = forms.CharField(max_length=300, required=False)
