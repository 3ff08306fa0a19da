"""Time and PTO forms: input only; the services decide what is allowed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from openpractice.core.forms import Form

DATE = forms.DateInput(attrs={"type": "date"})


class WeekForm(Form):
    """Hours worked on each day of one workweek (Monday–Sunday); empty means none."""

    def __init__(self, *args: Any, monday: dt.date, disabled_days: Collection[dt.date] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.monday = monday
        for offset in range(7):
            day = monday + dt.timedelta(days=offset)
            self.fields[f"day_{offset}"] = forms.DecimalField(
                label=formats.date_format(day, "l j N"), required=False, min_value=Decimal(0),
                max_value=Decimal(24), max_digits=5, decimal_places=2, disabled=day in disabled_days,
                widget=forms.NumberInput(attrs={"step": "0.25"}))

    def hours_by_day(self) -> dict[dt.date, Decimal | None]:
        return {self.monday + dt.timedelta(days=offset): self.cleaned_data.get(f"day_{offset}")
                for offset in range(7) if not self.fields[f"day_{offset}"].disabled}


class PtoRequestForm(Form):
    starts_on = forms.DateField(label=_("First day"), widget=DATE)
    ends_on = forms.DateField(label=_("Last day"), widget=DATE)
    hours = forms.DecimalField(label=_("Hours"), required=False, min_value=Decimal("0.25"), max_digits=6,
                               decimal_places=2, help_text=_("Empty: 8 hours for each weekday."))
    reason = forms.CharField(label=_("Note"), max_length=300, required=False)


class PtoDecisionForm(Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=[("approve", _("Approve")), ("deny", _("Deny"))])
    note = forms.CharField(label=_("Note"), max_length=300, required=False,
                           help_text=_("Required when denying."))


class PayPeriodForm(Form):
    starts_on = forms.DateField(label=_("First day"), widget=DATE)
    ends_on = forms.DateField(label=_("Last day"), widget=DATE)
