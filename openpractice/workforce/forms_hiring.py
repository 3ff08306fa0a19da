"""Forms for requisitions and applicants. They shape input and offer only choices in the actor's reach; the
services validate again (scope, pay range, duplicates, stage moves) and their errors come back onto the form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from openpractice.core.forms import Form, ModelForm

from .models import Applicant, Requisition
from .selectors import hiring as selectors
from .services.hiring_applicants import APPLICANT_FIELDS, NEEDS_REASON
from .services.hiring_requisitions import REQUISITION_FIELDS

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_RESUME_ACCEPT = ("application/pdf,.pdf,application/vnd.openxmlformats-officedocument.wordprocessingml.document,"
                  ".docx")


def _resume_field(*, required: bool) -> forms.FileField:
    return forms.FileField(label=_("Résumé"), required=required, help_text=_("PDF or Word (DOCX), at most 5 MB."),
                           widget=forms.ClearableFileInput(attrs={"accept": _RESUME_ACCEPT}))


def _set_queryset(form: forms.BaseForm, name: str, queryset: QuerySet[Any]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = queryset


class RequisitionForm(ModelForm):
    class Meta:
        model = Requisition
        fields = REQUISITION_FIELDS
        widgets = {"target_start": _DATE, "justification": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "location", selectors.hiring_locations(actor=actor))
        _set_queryset(self, "position", selectors.position_choices())
        _set_queryset(self, "replaces", selectors.replaceable_employees(actor=actor))
        _set_queryset(self, "hiring_manager", selectors.hiring_manager_choices())
        self.fields["pay_min"].help_text = _("Inside the position's pay range, in its pay basis.")

    def _post_clean(self) -> None:
        # The service validates the model (and returns its errors to the form).
        pass

    def service_data(self) -> dict[str, Any]:
        names = self.changed_data if self.instance.pk else list(self.fields)
        return {name: self.cleaned_data[name] for name in names if name in self.cleaned_data}


class DecisionForm(Form):
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect,
                                 choices=[("approve", _("Approve")), ("reject", _("Do not approve"))])
    note = forms.CharField(label=_("Note"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("Required when not approving."))


class CancelForm(Form):
    note = forms.CharField(label=_("Why cancel?"), required=False, max_length=200)


class ApplicantForm(ModelForm):
    class Meta:
        model = Applicant
        fields = APPLICANT_FIELDS
        widgets = {"applied_on": _DATE, "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, actor: Any, with_resume: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "referred_by", selectors.referrers(actor=actor))
        if with_resume:
            self.fields["resume"] = _resume_field(required=False)

    def _post_clean(self) -> None:
        pass

    def service_data(self) -> dict[str, Any]:
        names = self.changed_data if self.instance.pk else list(self.fields)
        return {name: self.cleaned_data[name] for name in names
                if name in self.cleaned_data and name in APPLICANT_FIELDS}


class ResumeForm(Form):
    resume = _resume_field(required=True)


class StageMoveForm(Form):
    stage = forms.ChoiceField(label=_("Move to"))
    note = forms.CharField(label=_("Note or reason"), required=False, max_length=300,
                           help_text=_("Required when the applicant is not selected or withdraws."))

    def __init__(self, *args: Any, applicant: Applicant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["stage"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = selectors.moves_here(applicant)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("stage") in NEEDS_REASON and not (cleaned.get("note") or "").strip():
            self.add_error("note", _("Give the reason."))
        return cleaned
