"""Pay forms: a new pay rate for an employee, and a market pay benchmark. Amounts are read by
services.pay.parse_pay_amount (plain digits, at most two decimals, more than 0), so the form and the API refuse
the same input with the same words."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .choices import PayBasis
from .models import PayBenchmark
from .services.pay import BENCHMARK_FIELDS, parse_pay_amount

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
AMOUNT_WIDGET = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})


def _amount(value: Any, field: str) -> Decimal:
    try:
        return parse_pay_amount(value, field=field)
    except ValidationError as error:
        raise ValidationError(error.message_dict[field]) from error


class PayRateForm(forms.Form):
    effective_from = forms.DateField(label=_("Effective from"), widget=DATE_WIDGET)
    basis = forms.ChoiceField(label=_("Basis"), choices=PayBasis.choices)
    amount = forms.CharField(label=_("Amount"), max_length=20, widget=AMOUNT_WIDGET,
                             help_text=_("An hourly rate (23.50) or a yearly salary (61000.00), in dollars."))
    hours_per_week = forms.DecimalField(label=_("Standard hours a week"), initial=Decimal(40), max_digits=5,
                                        decimal_places=2, min_value=Decimal("0.25"), max_value=Decimal(80))
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False,
                             help_text=_("Hire, merit increase, promotion, market adjustment …"))

    def clean_amount(self) -> Decimal:
        return _amount(self.cleaned_data.get("amount"), "amount")


class PayBenchmarkForm(forms.ModelForm):
    percentile_10 = forms.CharField(label=_("Bottom 10%"), max_length=20, widget=AMOUNT_WIDGET)
    median = forms.CharField(label=_("Median"), max_length=20, widget=AMOUNT_WIDGET)
    percentile_90 = forms.CharField(label=_("Top 10%"), max_length=20, widget=AMOUNT_WIDGET)

    class Meta:
        model = PayBenchmark
        fields = BENCHMARK_FIELDS
        widgets = {"as_of": DATE_WIDGET}
        help_texts = {"source": _("Who published the figures (Payscale, BLS, MGMA survey …)."),
                      "as_of": _("The date the figures describe.")}

    def clean_percentile_10(self) -> Decimal:
        return _amount(self.cleaned_data.get("percentile_10"), "percentile_10")

    def clean_median(self) -> Decimal:
        return _amount(self.cleaned_data.get("median"), "median")

    def clean_percentile_90(self) -> Decimal:
        return _amount(self.cleaned_data.get("percentile_90"), "percentile_90")
