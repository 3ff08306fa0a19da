"""Forms of the code sets page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from openpractice.core.forms import Form

from .services.codes import CSV_MAX_BYTES, SOURCE_MAX_LENGTH


class Icd10LookupForm(Form):
    code = forms.CharField(label=_("ICD-10-CM code"), max_length=10, help_text=_("With or without the dot: E11.9"))
    on = forms.DateField(label=_("Date of service"), required=False,
                         widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                         help_text=_("Today when left empty."))

    def clean_on(self) -> Any:
        return self.cleaned_data.get("on") or timezone.localdate()


class DescriptorImportForm(Form):
    file = forms.FileField(label=_("CSV file"))
    source = forms.CharField(
        label=_("source of the descriptors"), max_length=SOURCE_MAX_LENGTH,
        help_text=_("The licensed file they come from, e.g. “AMA CPT 2026 data file, licence 12345”."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = gettext(
            "UTF-8 CSV with the header row code,descriptor; at most %(mb)s MB.") % {
            "mb": CSV_MAX_BYTES // (1024 * 1024)}

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > CSV_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than %(mb)s MB.")
                                        % {"mb": CSV_MAX_BYTES // (1024 * 1024)})
        return upload
