"""Forms of the 835 pages: the upload, the list filters and the two exceptions-queue actions. The posting
service checks the file's content; these check only what came in the request."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from openpractice.core.forms import Form
from openpractice.patients.models import Payer

from .choices import RemittanceImportStatus
from .forms_acks import X12UploadForm

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RemittanceUploadForm(X12UploadForm):
    help_kind = _("An 835 remittance (ERA)")
    dry_run = forms.BooleanField(
        label=_("Check only, post nothing"), required=False,
        help_text=_("Reads and matches the file and shows what posting it would do; nothing is saved."))


def dry_run_requested(data: Any) -> bool:
    """The upload form's checkbox as the form reads it ("on", "true", "1" are ticked; absent is not)."""
    return bool(forms.BooleanField(required=False).clean(data.get("dry_run")))


class RemittanceFilterForm(forms.Form):
    payer = forms.ModelChoiceField(label=_("Payer"), required=False, queryset=Payer.objects.none(),
                                   empty_label=_("Any payer"))
    date_from = forms.DateField(label=_("Paid from"), required=False, widget=DATE_WIDGET)
    date_to = forms.DateField(label=_("Paid to"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args: Any, payers: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["payer"].queryset = payers  # type: ignore[attr-defined]


class RemittanceImportFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any status")), *RemittanceImportStatus.choices])


class ExceptionResolveForm(Form):
    claim = forms.IntegerField(label=_("Claim"), min_value=1,
                               error_messages={"required": _("Choose the claim this payment is for.")})


class ExceptionDismissForm(Form):
    note = forms.CharField(label=_("Why it is not ours"), max_length=500,
                           error_messages={"required": _("Say why the payment is dismissed (e.g. another "
                                                         "practice's patient, returned to the payer).")})
