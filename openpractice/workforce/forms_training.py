"""Training forms: input only; the services decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from openpractice.core.forms import Form, ModelForm
from openpractice.core.models import Location

from .models import Course, Employee, Position


class CourseForm(ModelForm):
    class Meta:
        model = Course
        fields = ["title", "code", "description", "provider_name", "hours", "recurrence_months", "due_within_days",
                  "is_hipaa", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class AssignForm(Form):
    course = forms.ModelChoiceField(label=_("Course"), queryset=Course.objects.none())
    employee = forms.ModelChoiceField(label=_("Employee"), queryset=Employee.objects.none(), required=False,
                                      help_text=_("One person; or leave empty and choose a position or location."))
    position = forms.ModelChoiceField(label=_("Everyone in the position"), queryset=Position.objects.none(),
                                      required=False)
    location = forms.ModelChoiceField(label=_("Everyone at the location"), queryset=Location.objects.none(),
                                      required=False)
    due_on = forms.DateField(label=_("Due on"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                             help_text=_("Empty: the course's usual delay."))
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, courses: QuerySet[Course], employees: QuerySet[Employee],
                 positions: QuerySet[Position], locations: QuerySet[Location], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses  # type: ignore[attr-defined]
        self.fields["employee"].queryset = employees  # type: ignore[attr-defined]
        self.fields["position"].queryset = positions  # type: ignore[attr-defined]
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        group = data.get("position") or data.get("location")
        if data.get("employee") and group:
            raise forms.ValidationError(_("Choose either one employee or a position/location, not both."))
        if not data.get("employee") and not group:
            raise forms.ValidationError(_("Choose an employee, a position or a location."))
        return data


class CompleteForm(Form):
    completed_on = forms.DateField(label=_("Completed on"), widget=forms.DateInput(attrs={"type": "date"}))
    evidence = forms.FileField(label=_("Certificate"), required=False,
                               help_text=_("PDF, PNG or JPEG, at most 5 MB."),
                               widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}))
    score = forms.DecimalField(label=_("Score"), max_digits=5, decimal_places=2, required=False, min_value=0)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class WaiveForm(Form):
    note = forms.CharField(label=_("Why it is waived"), max_length=300)


class TrainingSettingsForm(Form):
    block_phi_without_hipaa_training = forms.BooleanField(
        label=_("Block PHI access for staff whose HIPAA training has lapsed"), required=False,
        help_text=_("Staff with a current completion of a HIPAA course, or a HIPAA assignment not yet due, keep "
                    "their access."))
