"""Forms of the claim pages: list filters, a status move, the payer's claim number, the primary's payment."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from openpractice.core.models import Location
from openpractice.patients.models import Payer

from .choices import ClaimStatus

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
ADJUSTMENT_ROWS = 6
GROUP_CHOICES = [("", "—"), ("CO", _("CO contractual")), ("PR", _("PR patient responsibility")),
                 ("OA", _("OA other")), ("PI", _("PI payer initiated")), ("CR", _("CR correction / reversal"))]


class ClaimFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any status")),
                                                                           *ClaimStatus.choices])
    payer = forms.ModelChoiceField(label=_("Payer"), required=False, queryset=Payer.objects.none(),
                                   empty_label=_("Any payer"))
    location = forms.ModelChoiceField(label=_("Location"), required=False, queryset=Location.objects.none(),
                                      empty_label=_("All my locations"))

    def __init__(self, *args: Any, payers: QuerySet[Any], locations: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["payer"].queryset = payers  # type: ignore[attr-defined]
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]


class ClaimStatusForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New status"))
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False,
                             help_text=_("Needed for denied, appealed and closed: e.g. the payer's reason code."),
                             widget=forms.TextInput(attrs={"size": 40}))
    payer_claim_number = forms.CharField(label=_("Payer's claim number"), max_length=50, required=False,
                                         help_text=_("From the 277CA, the remittance or the payer's portal."))

    def __init__(self, *args: Any, statuses: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = [  # type: ignore[attr-defined]
            (value, ClaimStatus(value).label) for value in statuses]


class PayerClaimNumberForm(forms.Form):
    payer_claim_number = forms.CharField(
        label=_("Payer's claim number"), max_length=50,
        help_text=_("The number the payer gave the claim being replaced (277CA, remittance or portal)."))


class PriorPaymentForm(forms.Form):
    """What the primary payer paid and adjusted; paid + adjustments must equal the primary claim's charge."""

    paid = forms.DecimalField(label=_("Paid by the primary ($)"), max_digits=12, decimal_places=2, min_value=0,
                              widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}))
    paid_on = forms.DateField(label=_("Adjudicated on"), widget=DATE_WIDGET)

    def __init__(self, *args: Any, required: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["paid"].required = required
        self.fields["paid_on"].required = required
        for row in range(1, ADJUSTMENT_ROWS + 1):
            self.fields[f"group_{row}"] = forms.ChoiceField(label=_("Group %(n)s") % {"n": row}, required=False,
                                                            choices=GROUP_CHOICES)
            self.fields[f"reason_{row}"] = forms.CharField(
                label=_("Reason code %(n)s") % {"n": row}, max_length=5, required=False,
                widget=forms.TextInput(attrs={"size": 5, "autocomplete": "off"}))
            self.fields[f"amount_{row}"] = forms.DecimalField(
                label=_("Amount %(n)s ($)") % {"n": row}, max_digits=12, decimal_places=2, required=False,
                widget=forms.NumberInput(attrs={"step": "0.01"}))

    def adjustments(self) -> list[tuple[str, str, Any]]:
        rows: list[tuple[str, str, Any]] = []
        for row in range(1, ADJUSTMENT_ROWS + 1):
            group = self.cleaned_data.get(f"group_{row}") or ""
            reason = (self.cleaned_data.get(f"reason_{row}") or "").strip()
            amount = self.cleaned_data.get(f"amount_{row}")
            if group or reason or amount is not None:
                rows.append((group, reason, amount))
        return rows

    def adjustment_rows(self) -> list[tuple[Any, Any, Any]]:
        return [(self[f"group_{row}"], self[f"reason_{row}"], self[f"amount_{row}"])
                for row in range(1, ADJUSTMENT_ROWS + 1)]

    @property
    def entered(self) -> bool:
        return self.is_bound and self.cleaned_data.get("paid") is not None
