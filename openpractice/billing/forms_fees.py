"""Forms of the fee schedule pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from openpractice.core.forms import Form, ModelForm
from openpractice.patients.models import Payer

from .models import FeeSchedule
from .money import parse_money
from .services.codes import CSV_MAX_BYTES

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class FeeScheduleForm(ModelForm):
    class Meta:
        model = FeeSchedule
        fields = ("name", "payer", "effective_from", "effective_to")
        widgets = {"effective_from": _DATE, "effective_to": _DATE}
        help_texts = {"effective_to": _("Leave empty while the schedule is current.")}

    def __init__(self, *args: Any, payers: QuerySet[Payer], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["payer"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = payers.order_by("name")
        field.empty_label = _("None — the practice's standard fees")

    def _post_clean(self) -> None:
        # The service validates the whole schedule (dates, overlaps); the form only parses input.
        pass


class FeeEntryForm(Form):
    procedure_code = forms.CharField(label=_("CPT/HCPCS code"), max_length=10)
    modifier = forms.CharField(label=_("modifier"), max_length=2, required=False,
                               help_text=_("Optional: a fee for the code with this modifier (e.g. 26, TC)."))
    amount = forms.CharField(label=_("amount"), max_length=40,
                             widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
                             help_text=_("Dollars and cents, e.g. 125.00."))

    def clean_amount(self) -> Decimal:
        try:
            return parse_money(self.cleaned_data["amount"], allow_zero=False)
        except ValueError as error:
            raise forms.ValidationError(str(error), code="invalid") from error


class FeeImportForm(Form):
    file = forms.FileField(label=_("CSV file"))
    replace = forms.BooleanField(
        label=_("Replace the whole schedule"), required=False,
        help_text=_("Remove the entries the file does not list. Without this, they stay as they are."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = gettext(
            "UTF-8 CSV with the header row code,modifier,amount (modifier optional); at most %(mb)s MB."
        ) % {"mb": CSV_MAX_BYTES // (1024 * 1024)}

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > CSV_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than %(mb)s MB.")
                                        % {"mb": CSV_MAX_BYTES // (1024 * 1024)})
        return upload
