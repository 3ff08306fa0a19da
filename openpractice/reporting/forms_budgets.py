"""Forms of practice finances: the page's filters, which budget to edit, and the budget grid (7 categories x 12
months, plus an annual amount per category to spread evenly)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.dates import MONTHS, MONTHS_3
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from openpractice.core.models import Location

from . import selectors_finance as selectors
from .choices import BudgetCategory
from .services_budgets import MAX_AMOUNT, MAX_YEAR, MIN_YEAR, amount_key, spread_evenly


def month_abbr(month: int) -> str:
    """The short name of a month ("Jan" … "Dec"), translated."""
    return capfirst(str(MONTHS_3[month]))


def annual_key(category: str) -> str:
    return f"{category}_annual"


class FinanceFilterForm(forms.Form):
    """The year and the location (empty: all the viewer's locations) of the finances page."""

    year = forms.IntegerField(label=_("Year"), min_value=MIN_YEAR, max_value=MAX_YEAR)
    month = forms.TypedChoiceField(label=_("Month"), coerce=int, required=False, empty_value=None)
    location = forms.ModelChoiceField(label=_("Location"), queryset=Location.objects.none(), required=False,
                                      empty_label=_("All my locations"))

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["location"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = selectors.finance_locations(actor=actor)
        month = self.fields["month"]
        assert isinstance(month, forms.TypedChoiceField)
        month.choices = [("", _("Current")), *((number, MONTHS[number]) for number in range(1, 13))]


class BudgetTargetForm(forms.Form):
    """Whose budget of which year: a location, or (for those who set budgets everywhere) the practice as a whole."""

    year = forms.IntegerField(label=_("Year"), min_value=MIN_YEAR, max_value=MAX_YEAR)
    location = forms.ModelChoiceField(label=_("Location"), queryset=Location.objects.none(), required=False,
                                      empty_label=_("Practice-wide (all locations)"))

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["location"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = selectors.budget_locations(actor=actor)
        self.practice_wide_allowed = selectors.may_set_practice_wide_budget(actor)
        if not self.practice_wide_allowed:
            field.required = True
            field.empty_label = None


def _amount_field(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=False, min_value=Decimal(0), max_value=MAX_AMOUNT, max_digits=10, decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal", "class": "amount",
                                        "aria-label": label}))


@dataclass(frozen=True)
class GridRow:
    category: str
    label: str
    months: list[forms.BoundField]
    annual: forms.BoundField


class BudgetGridForm(forms.Form):
    """One amount per category and month (empty: no budget for that month) and an optional annual amount per
    category, which "spread" divides over the twelve months."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for category, label in BudgetCategory.choices:
            for month in range(1, 13):
                self.fields[amount_key(category, month)] = _amount_field(
                    f"{label}, {MONTHS[month]}")
            self.fields[annual_key(category)] = _amount_field(f"{label}, {_('annual amount to spread')}")

    @classmethod
    def from_amounts(cls, amounts: dict[tuple[str, int], Decimal]) -> BudgetGridForm:
        """An unbound form showing these amounts."""
        return cls(initial={amount_key(category, month): amount for (category, month), amount in amounts.items()})

    def rows(self) -> list[GridRow]:
        return [GridRow(category=category, label=str(label),
                        months=[self[amount_key(category, month)] for month in range(1, 13)],
                        annual=self[annual_key(category)])
                for category, label in BudgetCategory.choices]

    def amounts(self) -> dict[tuple[str, int], Decimal | None]:
        """The grid's amounts after is_valid(): {(category, month): amount or None}."""
        return {(category, month): self.cleaned_data.get(amount_key(category, month))
                for category in BudgetCategory.values for month in range(1, 13)}

    def spread_data(self) -> QueryDict:
        """The submitted data with each category that has an annual amount spread evenly over its months (and the
        annual amount cleared). After is_valid()."""
        data = self.data.copy() if isinstance(self.data, QueryDict) else QueryDict(mutable=True)
        if not isinstance(self.data, QueryDict):
            data.update(self.data)
        for category in BudgetCategory.values:
            annual = self.cleaned_data.get(annual_key(category))
            if annual is None:
                continue
            for month, amount in enumerate(spread_evenly(annual), start=1):
                data[amount_key(category, month)] = f"{amount:.2f}"
            data[annual_key(category)] = ""
        return data
