"""Discipline forms: input only; the services decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from openpractice.core.forms import Form

from .choices import DisciplineStatus, DisciplineStep
from .models import DisciplinaryAction, Employee

DATE = forms.DateInput(attrs={"type": "date"})


class IssueForm(Form):
    employee = forms.ModelChoiceField(label=_("Employee"), queryset=Employee.objects.none())
    step = forms.ChoiceField(label=_("Step"), choices=DisciplineStep.choices)
    occurred_on = forms.DateField(label=_("Date of the conduct"), widget=DATE)
    policy = forms.CharField(label=_("Policy concerned"), max_length=200)
    facts = forms.CharField(label=_("Facts"), widget=forms.Textarea(attrs={"rows": 5}))
    expectations = forms.CharField(label=_("Improvement plan"), required=False,
                                   widget=forms.Textarea(attrs={"rows": 4}))
    previous = forms.ModelChoiceField(label=_("Follows"), queryset=DisciplinaryAction.objects.none(),
                                      required=False, help_text=_("The earlier step this one follows, if any."))
    follow_up_1 = forms.DateField(label=_("Follow up on"), required=False, widget=DATE)
    follow_up_2 = forms.DateField(label=_("Second follow-up"), required=False, widget=DATE)
    follow_up_3 = forms.DateField(label=_("Third follow-up"), required=False, widget=DATE)
    confirm_skip = forms.BooleanField(label=_("Issue this step although it skips a level"), required=False)

    def __init__(self, *args: Any, employees: QuerySet[Employee], previous: QuerySet[DisciplinaryAction],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["employee"].queryset = employees  # type: ignore[attr-defined]
        self.fields["previous"].queryset = previous  # type: ignore[attr-defined]

    def follow_up_dates(self) -> list[Any]:
        return [self.cleaned_data[name] for name in ("follow_up_1", "follow_up_2", "follow_up_3")
                if self.cleaned_data.get(name)]


class FollowUpAddForm(Form):
    due_on = forms.DateField(label=_("Follow up on"), widget=DATE)


class FollowUpRecordForm(Form):
    done_on = forms.DateField(label=_("Done on"), widget=DATE)
    outcome = forms.CharField(label=_("Outcome"), widget=forms.Textarea(attrs={"rows": 3}))


class CloseForm(Form):
    status = forms.ChoiceField(label=_("Outcome"), choices=[
        (value, label) for value, label in DisciplineStatus.choices if value != DisciplineStatus.OPEN])


class AcknowledgeForm(Form):
    comment = forms.CharField(label=_("Your comment (optional)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 4}))
