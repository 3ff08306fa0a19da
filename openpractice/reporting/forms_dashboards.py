"""The filters of the role dashboards: the period and one of the viewer's locations."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from openpractice.core.models import Location

from .selectors_dashboards import DEFAULT_PERIOD, PERIODS


class DashboardFilterForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, initial=DEFAULT_PERIOD, required=False)
    location = forms.TypedChoiceField(label=_("Location"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, locations: list[Location], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        location = self.fields["location"]
        assert isinstance(location, forms.TypedChoiceField)
        location.choices = [("", _("All my locations")),
                                           *((location.pk, location.name) for location in locations)]
        self.location_names = {location.pk: location.name for location in locations}

    def clean_period(self) -> str:
        return self.cleaned_data.get("period") or DEFAULT_PERIOD
