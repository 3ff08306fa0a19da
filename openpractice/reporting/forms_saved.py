"""The "Save this view" form: a name for the list as it is shown now (its URL name and query string come from the
list page as hidden fields; the service checks them)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .selectors_saved import QUERY_MAX_LENGTH


class SavedReportForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, strip=True,
                           help_text=_("For example “Held claims, North”. You find it under My reports."))
    route = forms.CharField(max_length=100, widget=forms.HiddenInput)
    # Longer than what may be saved, so the service can say the filters are too long instead of a bare error.
    query = forms.CharField(max_length=QUERY_MAX_LENGTH * 2, required=False, widget=forms.HiddenInput)

    def add_error(self, field: str | None, error: Any) -> None:
        """The hidden fields' errors at the top of the form, where they can be read."""
        super().add_error(None if field in ("route", "query") else field, error)
