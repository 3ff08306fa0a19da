"""The "Build a batch" form: which payer's ready claims (or every payer's, for the clearinghouse), and whether
pyx12 should check the file."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from openpractice.core.forms import Form
from openpractice.patients.models import Payer

from .selectors.batches import ReadyForPayer
from .services.batches import VALIDATE_MAX_CLAIMS


class _PayerChoice(forms.ModelChoiceField):
    def __init__(self, *args: Any, ready: dict[int, ReadyForPayer], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ready = ready

    def label_from_instance(self, obj: Any) -> str:
        row = self.ready.get(obj.pk)
        if row is None:
            return str(obj)
        return str(_("%(name)s (%(id)s) — %(count)s ready claim(s), $%(total)s") % {
            "name": obj.name, "id": obj.payer_id or "no payer ID", "count": row.claims, "total": row.total})


class BatchBuildForm(Form):
    def __init__(self, *args: Any, ready: list[ReadyForPayer], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        by_payer = {row.payer_id: row for row in ready}
        self.fields["payer"] = _PayerChoice(
            queryset=Payer.objects.filter(pk__in=list(by_payer)).order_by("name"), ready=by_payer, required=False,
            label=_("Payer"), empty_label=_("Every payer: one file for the clearinghouse"),
            help_text=_("Only payers with ready claims in your locations are listed."),
        )
        self.fields["validate"] = forms.BooleanField(
            label=_("Check the file with pyx12 after building it"), required=False, initial=True,
            help_text=_("For batches of up to %(count)s claims; larger ones are checked with "
                        "`openpractice billing export-837 --validate`.") % {"count": VALIDATE_MAX_CLAIMS},
        )
