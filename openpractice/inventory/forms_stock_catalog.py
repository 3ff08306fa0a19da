"""Catalogue forms: input only. services.catalog and services.imports decide what is allowed (the item number
unique ignoring case, an item with lots keeps tracking them, one price a day per vendor and packaging)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from openpractice.core.forms import Form
from openpractice.vendors.models import Vendor

from .choices import ItemCategory
from .models import Item
from .selectors import pages_stock

DATE = forms.DateInput(attrs={"type": "date"})


class ItemForm(Form):
    sku = forms.CharField(label=_("Item number"), max_length=40,
                          help_text=_("The practice's own number for the item; unique, case does not matter."))
    name = forms.CharField(label=_("Name"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), choices=ItemCategory.choices)
    base_unit = forms.CharField(label=_("Unit"), max_length=20, initial="each",
                                help_text=_("The smallest unit stock is counted in (each, pair, ream…)."))
    lot_tracked = forms.BooleanField(label=_("Tracks lots and expiry"), required=False,
                                     help_text=_("Stock is kept by lot; used first expiry, first out."))
    preferred_vendor = forms.ModelChoiceField(label=_("Preferred vendor"), queryset=pages_stock.vendor_choices(),
                                              required=False, empty_label=_("None"),
                                              help_text=_("Suggested orders go to this vendor."))
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True,
                                   help_text=_("An item no longer in use keeps its history but is not reordered."))

    def __init__(self, *args: Any, item: Item | None = None, **kwargs: Any) -> None:
        if item is not None:
            kwargs.setdefault("initial", {
                "sku": item.sku, "name": item.name, "category": item.category, "base_unit": item.base_unit,
                "lot_tracked": item.lot_tracked, "preferred_vendor": item.preferred_vendor_id,
                "description": item.description, "is_active": item.is_active})
        super().__init__(*args, **kwargs)
        vendor = self.fields["preferred_vendor"]
        assert isinstance(vendor, forms.ModelChoiceField)
        if item is not None and item.preferred_vendor_id:
            # The item's vendor stays offered even once it is no longer active.
            vendor.queryset = (pages_stock.vendor_choices()
                               | Vendor.objects.filter(pk=item.preferred_vendor_id)).distinct()
        else:
            vendor.queryset = pages_stock.vendor_choices()


class PackagingForm(Form):
    name = forms.CharField(label=_("Packaging"), max_length=40, help_text=_("How it is bought: box, case, carton…"))
    base_quantity = forms.IntegerField(label=_("Units in it"), min_value=1, max_value=1_000_000,
                                       help_text=_("How many of the item's units one of these holds."))


class PriceForm(Form):
    vendor = forms.ModelChoiceField(label=_("Vendor"), queryset=pages_stock.vendor_choices())
    packaging = forms.TypedChoiceField(label=_("Priced per"), coerce=int, required=False, empty_value=None)
    vendor_sku = forms.CharField(label=_("Vendor's item number"), max_length=60, required=False)
    price = forms.DecimalField(label=_("Price"), min_value=0, max_digits=12, decimal_places=4)
    effective_from = forms.DateField(label=_("From"), widget=DATE,
                                     help_text=_("The vendor's earlier open-ended price ends the day before."))
    contract = forms.ModelChoiceField(label=_("Under contract"), queryset=pages_stock.contract_choices(),
                                      required=False, empty_label=_("None (list price)"))

    def __init__(self, *args: Any, item: Item, show_contracts: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.packagings = {packaging.pk: packaging for packaging in item.packagings.all()}
        self.fields["packaging"].choices = [  # type: ignore[attr-defined]
            ("", _("One %(unit)s") % {"unit": item.base_unit}),
            *((pk, str(packaging)) for pk, packaging in self.packagings.items())]
        self.fields["vendor"].queryset = pages_stock.vendor_choices()  # type: ignore[attr-defined]
        if show_contracts:
            contract = self.fields["contract"]
            assert isinstance(contract, forms.ModelChoiceField)
            contract.queryset = pages_stock.contract_choices()
            contract.label_from_instance = lambda obj: f"{obj.vendor.name}: {obj.title}"  # type: ignore[method-assign]
        else:
            del self.fields["contract"]

    def chosen_packaging(self) -> Any:
        pk = self.cleaned_data.get("packaging")
        return self.packagings.get(pk) if pk is not None else None


class CatalogueImportForm(Form):
    file = forms.FileField(label=_("CSV file"), widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
                           help_text=_("UTF-8 CSV with a header row, at most 5 MB. Download the template for the "
                                       "columns."))
