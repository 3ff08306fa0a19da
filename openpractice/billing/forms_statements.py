"""The "Run statements" form: the statement date, the cycle (or everybody) and the run's minimum balance."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from openpractice.core.forms import Form

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def cycle_choices() -> list[tuple[str, Any]]:
    return [("", _("Everybody with a balance (no cycle)")),
            *((str(day), _("Day %(day)s (guarantors born on day %(day)s)") % {"day": day} if day > 3
               else _("Day %(day)s (guarantors born on day %(day)s or %(late)s)") % {"day": day, "late": day + 28})
              for day in range(1, 29))]


class StatementRunForm(Form):
    statement_date = forms.DateField(label=_("Statement date"), widget=DATE_WIDGET)
    cycle_day = forms.TypedChoiceField(
        label=_("Cycle"), required=False, coerce=int, empty_value=None, choices=cycle_choices,
        help_text=_("Each guarantor's cycle is the day of the month they were born (the 29th to 31st count as the "
                    "1st to 3rd). Run today's cycle every day to spread statements over the month."))
    minimum_balance = forms.DecimalField(
        label=_("Minimum balance ($)"), required=False, min_value=0, max_digits=10, decimal_places=2,
        help_text=_("No statement for less than this or the practice's minimum in billing settings, whichever is "
                    "larger."))

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"statement_date": today, "cycle_day": today.day if today.day <= 28 else "",
                                      "minimum_balance": Decimal("0.00")})
        super().__init__(*args, **kwargs)

    def clean_minimum_balance(self) -> Decimal:
        value = self.cleaned_data.get("minimum_balance")
        return value if value is not None else Decimal("0.00")
