"""The audit viewer's filter form (a GET form: filters live in the URL so a view can be shared and exported)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Outcome

# Form field -> the keyword of `audit_event_list()` it feeds.
FILTER_FIELDS = ("user", "patient", "action", "outcome", "date_from", "date_to")


class AuditFilterForm(forms.Form):
    user = forms.TypedChoiceField(label=_("User"), required=False, coerce=int, empty_value=None)
    patient = forms.IntegerField(label=_("Patient id"), required=False, min_value=1)
    action = forms.CharField(
        label=_("Action"), required=False, max_length=81,
        help_text=_("Exact action, or a prefix ending in * (billing.*)."),
        widget=forms.TextInput(attrs={"list": "audit-actions", "autocomplete": "off"}),
    )
    outcome = forms.ChoiceField(label=_("Outcome"), required=False,
                                choices=[("", _("Any")), *Outcome.choices])
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, user_choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [("", _("Anyone")), *user_choices]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        date_from: date | None = cleaned.get("date_from")
        date_to: date | None = cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned

    def selector_filters(self) -> dict[str, Any]:
        """Keyword arguments for `audit_event_list()` (call after is_valid())."""
        data = self.cleaned_data
        return {
            "user_id": data.get("user"),
            "patient_id": data.get("patient"),
            "action": (data.get("action") or "").strip() or None,
            "outcome": data.get("outcome") or None,
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
        }

    def used_filter_names(self) -> list[str]:
        """Names (never values: a patient id is PHI-adjacent) of the filters in use, for the audit row."""
        data = self.cleaned_data
        return [name for name in FILTER_FIELDS if data.get(name) not in (None, "")]
