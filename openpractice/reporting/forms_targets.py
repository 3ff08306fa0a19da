"""The form of the KPI targets page: one KPI's target (set) or its removal (clear)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import Direction
from .kpis import KpiDefinition


class KpiTargetForm(forms.Form):
    """Set the target of the KPI `kpi` (a hidden field: the page has one form per KPI, each with its prefix)."""

    ACTIONS = (("save", _("Save")), ("clear", _("Remove the target")))

    kpi = forms.CharField(widget=forms.HiddenInput, max_length=40)
    action = forms.ChoiceField(choices=ACTIONS, initial="save", widget=forms.HiddenInput, required=False)
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices, required=False)
    target = forms.DecimalField(label=_("Target"), max_digits=12, decimal_places=2, required=False)
    warn_at = forms.DecimalField(label=_("Off target past"), max_digits=12, decimal_places=2, required=False,
                                 help_text=_("Between the target and this value the KPI shows as close. Leave "
                                             "empty: anything past the target is off target."))

    def __init__(self, *args: Any, definitions: list[KpiDefinition], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.definitions = {definition.key: definition for definition in definitions}

    def clean_kpi(self) -> str:
        key: str = self.cleaned_data["kpi"]
        if key not in self.definitions:
            raise forms.ValidationError(_("Choose a KPI of the list."), code="unknown_kpi")
        return key

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") != "clear":
            if not data.get("direction"):
                self.add_error("direction", _("Choose “at most” or “at least”."))
            if data.get("target") is None and "target" not in self.errors:
                self.add_error("target", _("Enter the target."))
        return data
