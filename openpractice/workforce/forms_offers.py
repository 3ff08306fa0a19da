"""Offer and hire forms: input only; the services (offers, hiring_hire) decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from openpractice.accounts.roles import Role, Tier
from openpractice.core.forms import Form
from openpractice.core.models import Location

from .choices import EmploymentType, FlsaStatus, PayBasis
from .models import Employee

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class OfferForm(Form):
    start_date = forms.DateField(label=_("Start date"), widget=DATE)
    pay_basis = forms.ChoiceField(label=_("Pay basis"), choices=PayBasis.choices)
    # Text, so the service's own parser (no separators, at most two decimals) decides and explains.
    pay_amount = forms.CharField(label=_("Pay"), max_length=20,
                                 help_text=_("Digits and a point only, e.g. 23.50 an hour or 52000.00 a year."),
                                 widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    employment_type = forms.ChoiceField(label=_("Employment type"), choices=EmploymentType.choices)
    flsa_status = forms.ChoiceField(label=_("FLSA status"), choices=FlsaStatus.choices)
    expires_on = forms.DateField(label=_("Answer by"), widget=DATE)
    terms = forms.CharField(label=_("Other terms"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
                            help_text=_("Benefits, schedule, contingencies (background check, licence)."))
    confirm_out_of_range = forms.BooleanField(label=_("Pay outside the range is intended"), required=False)

    def __init__(self, *args: Any, show_confirm: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not show_confirm:
            self.fields["confirm_out_of_range"].widget = forms.HiddenInput()

    def service_data(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if name != "confirm_out_of_range"}


class ExtendForm(Form):
    send_letter = forms.BooleanField(label=_("Email the letter (PDF) to the applicant"), required=False)


class AnswerForm(Form):
    answer = forms.ChoiceField(label=_("Answer"), choices=[("accepted", _("Accepted")), ("declined", _("Declined"))])


class WithdrawForm(Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class HireForm(Form):
    employee_number = forms.CharField(label=_("Employee number"), max_length=20, required=False,
                                      help_text=_("Suggested from the last one; change it if you number otherwise."))
    manager = forms.ModelChoiceField(label=_("Manager"), queryset=Employee.objects.none(), required=False)
    create_account = forms.BooleanField(label=_("Create a user account (an invitation is emailed)"),
                                        required=False, help_text=_("Needs the “manage users” permission."))
    username = forms.CharField(label=_("Username"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=[("", "—"), *Role.choices], required=False)
    tier = forms.ChoiceField(label=_("Tier"), choices=[("", "—"), *Tier.choices], required=False)
    locations = forms.ModelMultipleChoiceField(label=_("Locations"), queryset=Location.objects.none(),
                                               required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, managers: QuerySet[Employee], locations: QuerySet[Location],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = managers  # type: ignore[attr-defined]
        self.fields["locations"].queryset = locations  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("create_account"):
            for name in ("username", "role", "tier", "locations"):
                if not data.get(name):
                    self.add_error(name, _("Needed for the user account."))
        return data
