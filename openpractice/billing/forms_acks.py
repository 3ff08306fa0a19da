"""Upload forms for X12 files coming back: acknowledgements (999, 277CA) and eligibility responses (271).
The services check the content; the forms only check that a file of an acceptable size came."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from openpractice.core.forms import Form

from .services.acknowledgements import MAX_FILE_BYTES


class X12UploadForm(Form):
    file = forms.FileField(label=_("X12 file"))
    help_kind: Any = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = gettext("%(kind)s, as the clearinghouse sent it; at most %(mb)s MB.") % {
            "kind": self.help_kind, "mb": MAX_FILE_BYTES // (1024 * 1024)}

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(_("The file is larger than %(mb)s MB; ask the clearinghouse for smaller "
                                          "files.") % {"mb": MAX_FILE_BYTES // (1024 * 1024)})
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        return upload


class AckUploadForm(X12UploadForm):
    help_kind = _("A 999 or 277CA acknowledgement")


class EligibilityUploadForm(X12UploadForm):
    help_kind = _("A 271 eligibility response")
