"""Access review forms: input only; the services decide what is allowed."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from openpractice.core.forms import Form

from .services.access_reviews import CONCLUSION_MAX, NOTE_MAX

DATE = forms.DateInput(attrs={"type": "date"})


class AccessReviewForm(Form):
    period_start = forms.DateField(label=_("From"), widget=DATE)
    period_end = forms.DateField(label=_("To"), widget=DATE,
                                 help_text=_("Practice-local days, both included. Default: the last full quarter."))


class FindingNoteForm(Form):
    finding = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), max_length=NOTE_MAX, required=False)


class SignOffForm(Form):
    conclusion = forms.CharField(label=_("Conclusion"), max_length=CONCLUSION_MAX, widget=forms.Textarea(
        attrs={"rows": 4}), help_text=_("What the review found and what follows (access removed, people spoken to)."))
