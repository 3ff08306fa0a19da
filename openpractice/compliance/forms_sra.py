"""Security risk assessment forms: input only; the services decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from openpractice.core.forms import Form

from .choices import RiskStatus, Safeguard, SraAnswer
from .models import SraQuestion, SraResponse
from .selectors.sra import SCALE, owner_choices

SCALE_CHOICES = [(value, str(value)) for value in SCALE]


class StartForm(Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    copy_previous = forms.BooleanField(
        label=_("Start from last year's answers"), required=False, initial=True,
        help_text=_("Copied answers are marked “to review” until their section is saved again."))


class SectionForm(Form):
    """One safeguard section: an answer and notes per question (fields answer_<id>, notes_<id>)."""

    def __init__(self, *args: Any, rows: list[tuple[SraQuestion, SraResponse | None, bool]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        for question, response, _carried in rows:
            if not question.is_active:
                continue
            self.fields[f"answer_{question.pk}"] = forms.ChoiceField(
                label=question.text, choices=SraAnswer.choices, widget=forms.RadioSelect,
                help_text=question.reference, initial=response.answer if response else None)
            self.fields[f"notes_{question.pk}"] = forms.CharField(
                label=_("Notes"), required=False, initial=response.notes if response else "",
                widget=forms.Textarea(attrs={"rows": 2}))

    def groups(self) -> list[tuple[SraQuestion, bool, Any, Any]]:
        """(question, carried over, answer field, notes field) per active question, for the template."""
        return [(question, carried, self[f"answer_{question.pk}"], self[f"notes_{question.pk}"])
                for question, _response, carried in self.rows if question.is_active]

    def answers(self) -> dict[int, tuple[str, str]]:
        return {question.pk: (self.cleaned_data[f"answer_{question.pk}"], self.cleaned_data[f"notes_{question.pk}"])
                for question, _response, _carried in self.rows if question.is_active}


class CompleteForm(Form):
    summary = forms.CharField(label=_("Summary of the findings and the plan"),
                              widget=forms.Textarea(attrs={"rows": 6}))


class RiskForm(Form):
    title = forms.CharField(label=_("Risk"), max_length=200)
    safeguard = forms.ChoiceField(label=_("Safeguard"), choices=Safeguard.choices)
    description = forms.CharField(label=_("Threat and vulnerability"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    likelihood = forms.TypedChoiceField(label=_("Likelihood (1 rare – 5 almost certain)"), choices=SCALE_CHOICES,
                                        coerce=int)
    impact = forms.TypedChoiceField(label=_("Impact (1 negligible – 5 severe)"), choices=SCALE_CHOICES, coerce=int)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=owner_choices())
    remediation = forms.CharField(label=_("Remediation plan"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    due_on = forms.DateField(label=_("Remediate by"), required=False,
                             widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owner_choices()  # type: ignore[attr-defined]


class CloseForm(Form):
    status = forms.ChoiceField(label=_("Outcome"), choices=[(RiskStatus.MITIGATED, RiskStatus.MITIGATED.label),
                                                            (RiskStatus.ACCEPTED, RiskStatus.ACCEPTED.label)],
                               widget=forms.RadioSelect)
    note = forms.CharField(label=_("How it was mitigated, or why it is accepted"), max_length=500, required=False,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("Required. Accepting a high or critical risk is a management decision: "
                                       "say why."))
