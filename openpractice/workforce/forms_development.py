"""Forms for development plans and their steps. They only shape input: the services check who may write, the
dates and the one-active-plan rule."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from openpractice.core.forms import Form

from .choices import PlanItemKind
from .models import Course, CredentialType, DevelopmentPlanItem, Position

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PlanForm(Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    target_position = forms.ModelChoiceField(label=_("Towards"), queryset=Position.objects.none(), required=False,
                                             help_text=_("Default: the next position on the employee's path."))
    starts_on = forms.DateField(label=_("Starts on"), widget=DATE)
    target_date = forms.DateField(label=_("Target date"), widget=DATE)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args: Any, with_prefill: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        target = self.fields["target_position"]
        assert isinstance(target, forms.ModelChoiceField)
        target.queryset = Position.objects.filter(is_active=True).order_by("title", "pk")
        if with_prefill:
            self.fields["prefill"] = forms.BooleanField(
                label=_("Add the steps that close the gap"), required=False, initial=True,
                help_text=_("One step per missing certification and per course that prepares for it, education "
                            "and time in role; due dates spread between the start and the target. You can change "
                            "them afterwards."))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts_on, target_date = data.get("starts_on"), data.get("target_date")
        if starts_on and target_date and target_date < starts_on:
            self.add_error("target_date", _("The target date cannot be before the start."))
        return data


class PlanItemForm(Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=PlanItemKind.choices)
    title = forms.CharField(label=_("Step"), max_length=200)
    credential_type = forms.ModelChoiceField(label=_("Certification or licence"), required=False,
                                             queryset=CredentialType.objects.none())
    course = forms.ModelChoiceField(label=_("Course"), required=False, queryset=Course.objects.none())
    due_on = forms.DateField(label=_("Due on"), widget=DATE)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, item: DevelopmentPlanItem | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        credential = self.fields["credential_type"]
        course = self.fields["course"]
        assert isinstance(credential, forms.ModelChoiceField)
        assert isinstance(course, forms.ModelChoiceField)
        # A step keeps its certification or course even after the catalog retires it.
        credential.queryset = CredentialType.objects.filter(
            Q(is_active=True) | Q(pk=item.credential_type_id if item else None)).order_by("code")
        course.queryset = Course.objects.filter(
            Q(is_active=True) | Q(pk=item.course_id if item else None)).order_by("title", "pk")


class PlanCloseForm(Form):
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class ItemDoneForm(Form):
    done = forms.BooleanField(required=False)
    done_on = forms.DateField(label=_("Done on"), widget=DATE, required=False)
