"""Forms of the charge pages: list filters, a stand-alone charge, the header, the 12 diagnosis slots and a line."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from openpractice.core.codes import place_of_service_choices
from openpractice.core.models import Location
from openpractice.scheduling.models import Provider, ReferringProvider

from .choices import ChargeStatus
from .models import MAX_DIAGNOSES, MAX_MODIFIERS, MAX_POINTERS

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ChargeFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any status")), *ChargeStatus.choices])
    location = forms.ModelChoiceField(label=_("Location"), required=False, queryset=Location.objects.none(),
                                      empty_label=_("All my locations"))
    date_from = forms.DateField(label=_("Service from"), required=False, widget=DATE_WIDGET)
    date_to = forms.DateField(label=_("Service to"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args: Any, locations: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]


class ChargeCreateForm(forms.Form):
    patient_account = forms.CharField(label=_("Patient account number"), max_length=12,
                                      help_text=_("E.g. P0001234. Search below if you do not have it."))
    location = forms.ModelChoiceField(label=_("Location"), queryset=Location.objects.none())
    rendering_provider = forms.ModelChoiceField(label=_("Rendering provider"), queryset=Provider.objects.none())
    date_of_service = forms.DateField(label=_("Date of service"), widget=DATE_WIDGET)
    place_of_service = forms.ChoiceField(label=_("Place of service"), required=False,
                                         help_text=_("Empty: the location's place of service."))
    referring_provider = forms.ModelChoiceField(label=_("Referring provider"),
                                                queryset=ReferringProvider.objects.none(), required=False)
    prior_authorization = forms.CharField(label=_("Prior authorization number"), max_length=50, required=False)

    def __init__(self, *args: Any, locations: QuerySet[Any], providers: QuerySet[Any], referring: QuerySet[Any],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]
        self.fields["rendering_provider"].queryset = providers  # type: ignore[attr-defined]
        self.fields["referring_provider"].queryset = referring  # type: ignore[attr-defined]
        self.fields["place_of_service"].choices = [  # type: ignore[attr-defined]
            ("", _("The location's")), *place_of_service_choices()]

    def clean_patient_account(self) -> str:
        return str(self.cleaned_data["patient_account"]).strip().upper()


class ChargeHeaderForm(forms.Form):
    date_of_service = forms.DateField(label=_("Date of service"), widget=DATE_WIDGET)
    place_of_service = forms.ChoiceField(label=_("Place of service"))
    rendering_provider = forms.ModelChoiceField(label=_("Rendering provider"), queryset=Provider.objects.none())
    billing_provider = forms.ModelChoiceField(
        label=_("Billing provider"), queryset=Provider.objects.none(), required=False,
        empty_label=_("The practice (group NPI)"),
        help_text=_("Only providers who bill under their own NPI are listed."))
    referring_provider = forms.ModelChoiceField(label=_("Referring provider"),
                                                queryset=ReferringProvider.objects.none(), required=False)
    prior_authorization = forms.CharField(label=_("Prior authorization number"), max_length=50, required=False)

    def __init__(self, *args: Any, providers: QuerySet[Any], billing: QuerySet[Any], referring: QuerySet[Any],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place_of_service"].choices = place_of_service_choices()  # type: ignore[attr-defined]
        self.fields["rendering_provider"].queryset = providers  # type: ignore[attr-defined]
        self.fields["billing_provider"].queryset = billing  # type: ignore[attr-defined]
        self.fields["referring_provider"].queryset = referring  # type: ignore[attr-defined]


class DiagnosesForm(forms.Form):
    """Twelve slots, in claim order; empty slots are skipped."""

    def __init__(self, *args: Any, codes: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for position in range(1, MAX_DIAGNOSES + 1):
            self.fields[f"code_{position}"] = forms.CharField(
                label=_("Diagnosis %(n)s") % {"n": position}, max_length=10, required=False,
                widget=forms.TextInput(attrs={"size": 8, "autocomplete": "off", "spellcheck": "false"}))
        for position, code in enumerate(codes or [], start=1):
            self.initial[f"code_{position}"] = code

    def codes(self) -> list[str]:
        return [self.cleaned_data[f"code_{n}"] for n in range(1, MAX_DIAGNOSES + 1) if self.cleaned_data.get(
            f"code_{n}", "").strip()]


def _split(text: str) -> list[str]:
    return [part for part in text.replace(",", " ").split() if part]


class LineForm(forms.Form):
    procedure_code = forms.CharField(label=_("CPT/HCPCS"), max_length=7,
                                     widget=forms.TextInput(attrs={"size": 6, "autocomplete": "off"}))
    modifiers = forms.CharField(label=_("Modifiers"), max_length=20, required=False,
                                help_text=_("Up to 4, separated by spaces, e.g. “25 59”."),
                                widget=forms.TextInput(attrs={"size": 10, "autocomplete": "off"}))
    units = forms.DecimalField(label=_("Units"), max_digits=7, decimal_places=2, initial=Decimal(1),
                               widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01"}))
    service_date_from = forms.DateField(label=_("From"), required=False, widget=DATE_WIDGET)
    service_date_to = forms.DateField(label=_("To"), required=False, widget=DATE_WIDGET)
    pointers = forms.CharField(label=_("Diagnosis pointers"), max_length=20, initial="1",
                               help_text=_("1 to 4 diagnosis numbers, the main one first, e.g. “1 2”."),
                               widget=forms.TextInput(attrs={"size": 8, "autocomplete": "off"}))
    amount = forms.DecimalField(label=_("Charge ($)"), max_digits=10, decimal_places=2, required=False,
                                help_text=_("Empty: the standard fee × units."),
                                widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}))

    def clean_modifiers(self) -> list[str]:
        values = _split(self.cleaned_data.get("modifiers") or "")
        if len(values) > MAX_MODIFIERS:
            raise forms.ValidationError(_("A line takes at most %(max)s modifiers.") % {"max": MAX_MODIFIERS})
        return values

    def clean_pointers(self) -> list[str]:
        values = _split(self.cleaned_data.get("pointers") or "")
        if len(values) > MAX_POINTERS:
            raise forms.ValidationError(_("A line points at most at %(max)s diagnoses.") % {"max": MAX_POINTERS})
        return values
