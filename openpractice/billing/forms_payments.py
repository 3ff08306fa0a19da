"""Forms of the patient account pages: a payment at the desk, a refund, a write-off, a payment plan, a decision
on a write-off. Amount limits and balances are the services' to check; these forms only parse."""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import Party, PaymentMethod

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def new_form_key() -> str:
    """A one-time key for one rendering of the payment form: sending that form twice posts one payment."""
    return "form-" + secrets.token_urlsafe(24)


def _money_field(label: Any, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(label=label, max_digits=12, decimal_places=2,
                              widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}),
                              **kwargs)


class PatientPaymentForm(forms.Form):
    amount = _money_field(_("Amount ($)"))
    method = forms.ChoiceField(label=_("Paid by"), choices=PaymentMethod.choices)
    received_on = forms.DateField(label=_("Received on"), widget=DATE_WIDGET)
    reference = forms.CharField(label=_("Check number or card reference"), max_length=60, required=False,
                                help_text=_("Required for a check. Never the full card number."))
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=80,
                                      error_messages={"required": _("This form has expired: reload the page and "
                                                                    "enter the payment again.")})


class RefundForm(forms.Form):
    amount = _money_field(_("Amount to refund ($)"))
    method = forms.ChoiceField(label=_("Refunded by"), choices=PaymentMethod.choices)
    payment = forms.TypedChoiceField(label=_("Refund of payment"), required=False, coerce=int, empty_value=None,
                                     help_text=_("The payment the money goes back for, if it is one payment."))
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.TextInput(attrs={"size": 50}))

    def __init__(self, *args: Any, payments: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["payment"].choices = [("", _("Not one payment: from the credit")), *payments]  # type: ignore[attr-defined]


class WriteOffForm(forms.Form):
    claim = forms.TypedChoiceField(label=_("Claim"), required=False, coerce=int, empty_value=None,
                                   help_text=_("Leave empty to write off the patient's balance over all claims, "
                                               "oldest first."))
    party = forms.ChoiceField(label=_("Balance owed by"), choices=Party.choices, initial=Party.PATIENT)
    amount = _money_field(_("Amount ($)"))
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.TextInput(attrs={"size": 50}),
                             help_text=_("E.g. small balance, hardship (with the policy's form), uncollectable."))

    def __init__(self, *args: Any, claims: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["claim"].choices = [("", _("All the patient's claims")), *claims]  # type: ignore[attr-defined]


class PaymentPlanForm(forms.Form):
    total = _money_field(_("Amount the plan covers ($)"))
    installment = _money_field(_("Monthly installment ($)"))
    starts_on = forms.DateField(label=_("First installment due"), widget=DATE_WIDGET)
    day_of_month = forms.IntegerField(label=_("Then due on day"), min_value=1, max_value=28, required=False,
                                      help_text=_("1 to 28; empty: the day of the first installment."))
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class WriteOffDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    note = forms.CharField(label=_("Why (needed to reject)"), max_length=300, required=False)
