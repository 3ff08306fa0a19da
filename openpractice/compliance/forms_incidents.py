"""Incident forms: input only; the services decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from openpractice.accounts.models import User
from openpractice.core.choices import StateChoices
from openpractice.core.forms import Form
from openpractice.core.models import Location
from openpractice.patients.models import Patient
from openpractice.workforce.models import DisciplinaryAction

from .choices import BreachDetermination, IncidentKind, RiskLevel
from .models import Incident, RiskAssessment

DATE = forms.DateInput(attrs={"type": "date"})
STATE_ROWS = 8


class IncidentForm(Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=IncidentKind.choices)
    location = forms.ModelChoiceField(label=_("Location"), queryset=Location.objects.none(), required=False,
                                      empty_label=_("The whole practice / none"))
    discovered_on = forms.DateField(label=_("Discovered on"), widget=DATE,
                                    help_text=_("The first day it was known: the notification clock starts here."))
    occurred_on = forms.DateField(label=_("Occurred on"), widget=DATE, required=False)
    description = forms.CharField(label=_("What happened"), widget=forms.Textarea(attrs={"rows": 5}))
    phi_involved = forms.CharField(label=_("PHI involved"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                   help_text=_("The kinds of information, not the information itself."))

    def __init__(self, *args: Any, locations: QuerySet[Location], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(incident: Incident) -> dict[str, Any]:
        return {"title": incident.title, "kind": incident.kind, "location": incident.location_id,
                "discovered_on": incident.discovered_on, "occurred_on": incident.occurred_on,
                "description": incident.description, "phi_involved": incident.phi_involved}


class CountsForm(Form):
    individuals_affected = forms.IntegerField(label=_("Individuals affected (total)"), min_value=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for row in range(1, STATE_ROWS + 1):
            self.fields[f"state_{row}"] = forms.ChoiceField(label=_("State %(n)s") % {"n": row}, required=False,
                                                            choices=[("", "—"), *StateChoices])
            self.fields[f"count_{row}"] = forms.IntegerField(label=_("Residents %(n)s") % {"n": row},
                                                             required=False, min_value=0)

    @staticmethod
    def initial_for(incident: Incident) -> dict[str, Any]:
        initial: dict[str, Any] = {"individuals_affected": incident.individuals_affected}
        for row, state in enumerate(incident.states.order_by("state"), start=1):
            if row > STATE_ROWS:
                break
            initial[f"state_{row}"], initial[f"count_{row}"] = state.state, state.individuals
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        per_state: dict[str, int] = {}
        for row in range(1, STATE_ROWS + 1):
            state, count = data.get(f"state_{row}"), data.get(f"count_{row}")
            if not state and count in (None, 0):
                continue
            if not state:
                self.add_error(f"state_{row}", _("Choose the state."))
            elif count is None:
                self.add_error(f"count_{row}", _("Give the number of residents."))
            elif state in per_state:
                self.add_error(f"state_{row}", _("This state is listed twice."))
            else:
                per_state[state] = count
        data["per_state"] = per_state
        return data


class AssessmentForm(Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("nature_extent", "recipient", "acquired_viewed", "mitigation"):
            label = next(field.verbose_name for field in RiskAssessment._meta.concrete_fields if field.name == name)
            self.fields[name] = forms.CharField(label=label, widget=forms.Textarea(attrs={"rows": 3}))
            self.fields[f"{name}_risk"] = forms.ChoiceField(label=_("Risk"), choices=RiskLevel.choices)

    @staticmethod
    def initial_for(assessment: RiskAssessment | None) -> dict[str, Any]:
        if assessment is None:
            return {}
        return {name: getattr(assessment, name) for name in (
            "nature_extent", "nature_extent_risk", "recipient", "recipient_risk", "acquired_viewed",
            "acquired_viewed_risk", "mitigation", "mitigation_risk")}

    def factors(self) -> dict[str, tuple[str, str]]:
        return {name: (self.cleaned_data[name], self.cleaned_data[f"{name}_risk"])
                for name in ("nature_extent", "recipient", "acquired_viewed", "mitigation")}


class DetermineForm(Form):
    determination = forms.ChoiceField(label=_("Determination"), choices=[
        (value, label) for value, label in BreachDetermination.choices if value != BreachDetermination.PENDING])
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Required when this is not a breach: the assessment's conclusion or the "
                                         "exception that applies."))
    confirm_high_risk = forms.BooleanField(label=_("A factor is rated high: I confirm it is nevertheless not a "
                                                   "breach"), required=False)


class DeadlineDoneForm(Form):
    done_on = forms.DateField(label=_("Sent on"), widget=DATE)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class AffectedFromAuditForm(Form):
    user = forms.ModelChoiceField(label=_("Patients opened by"), queryset=User.objects.none())
    start = forms.DateField(label=_("From"), widget=DATE)
    end = forms.DateField(label=_("To"), widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.order_by("last_name", "first_name", "username")  # type: ignore[attr-defined]


class AffectedAddForm(Form):
    account_number = forms.CharField(label=_("Patient account number"), max_length=12)

    def clean_account_number(self) -> Patient:
        number = self.cleaned_data["account_number"].strip().upper()
        patient = Patient.objects.filter(account_number=number).first()
        if patient is None:
            raise forms.ValidationError(_("No patient has this account number."))
        return patient


class SanctionForm(Form):
    action = forms.ModelChoiceField(label=_("Disciplinary action"), queryset=DisciplinaryAction.objects.none(),
                                    required=False, empty_label=_("None (remove the link)"))

    def __init__(self, *args: Any, actions: QuerySet[DisciplinaryAction], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["action"]
        field.queryset = actions  # type: ignore[attr-defined]
        field.label_from_instance = lambda action: (  # type: ignore[attr-defined]
            f"{action.employee} · {action.get_step_display()} · {action.occurred_on}")
