"""Disclosure forms: input only; the services decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from openpractice.core.forms import Form
from openpractice.core.models import Location
from openpractice.patients.models import Patient

from .choices import DisclosurePurpose
from .models import Disclosure, Incident

DATE = forms.DateInput(attrs={"type": "date"})


class DisclosureForm(Form):
    disclosed_on = forms.DateField(label=_("Disclosed on"), widget=DATE)
    recipient = forms.CharField(label=_("Recipient"), max_length=200,
                                help_text=_("The person or organization that received the information."))
    recipient_address = forms.CharField(label=_("Recipient's address"), max_length=300, required=False,
                                        help_text=_("If known: it appears on the patient's accounting."))
    purpose = forms.ChoiceField(label=_("Purpose"), choices=DisclosurePurpose.choices)
    purpose_detail = forms.CharField(label=_("Purpose, in words"), max_length=500, required=False,
                                     help_text=_("A brief statement of the basis of the disclosure (required for "
                                                 "\"Other\")."))
    information = forms.CharField(label=_("What was disclosed"), widget=forms.Textarea(attrs={"rows": 3}),
                                  help_text=_("A brief description of the information, e.g. \"immunization "
                                              "record\"."))
    location = forms.ModelChoiceField(label=_("Disclosed from"), queryset=Location.objects.none(), required=False,
                                      empty_label=_("The whole practice / not recorded"))
    incident = forms.ModelChoiceField(label=_("Incident"), queryset=Incident.objects.none(), required=False,
                                      empty_label=_("None"),
                                      help_text=_("For an impermissible disclosure: the incident it is part of."))

    def __init__(self, *args: Any, locations: QuerySet[Location], incidents: QuerySet[Incident] | None,
                 **kwargs: Any) -> None:
        """`incidents` None: the link is not the actor's to change (no field; the service keeps it)."""
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]
        if incidents is None:
            del self.fields["incident"]
        else:
            self.fields["incident"].queryset = incidents  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(disclosure: Disclosure) -> dict[str, Any]:
        return {name: getattr(disclosure, f"{name}_id" if name in ("location", "incident") else name)
                for name in ("disclosed_on", "recipient", "recipient_address", "purpose", "purpose_detail",
                             "information", "location", "incident")}


class DisclosureNewForm(DisclosureForm):
    """Recording from the practice-wide list: the patient by account number, among those the actor keeps."""

    account_number = forms.CharField(label=_("Patient account number"), max_length=12)
    field_order = ["account_number"]

    def __init__(self, *args: Any, patients: QuerySet[Patient], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.patients = patients

    def clean_account_number(self) -> Patient:
        number = self.cleaned_data["account_number"].strip().upper()
        patient = self.patients.filter(account_number=number).first()
        if patient is None:
            raise forms.ValidationError(_("No patient whose disclosures you keep has this account number."))
        return patient


class AccountingForm(Form):
    """The date the six years end on (the request date)."""

    as_of = forms.DateField(label=_("Six years up to"), widget=DATE, required=False)


class DisclosureFilterForm(Form):
    purpose = forms.ChoiceField(label=_("Purpose"), choices=[("", _("Every purpose")), *DisclosurePurpose.choices],
                                required=False)
    since = forms.DateField(label=_("From"), widget=DATE, required=False)
    until = forms.DateField(label=_("To"), widget=DATE, required=False)
    account = forms.CharField(label=_("Patient account"), max_length=12, required=False)
