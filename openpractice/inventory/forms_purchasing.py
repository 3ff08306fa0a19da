"""Purchasing forms: input only. Items are typed by their catalogue number (a catalogue of thousands does not fit
a drop-down), packagings by name; the services decide what is allowed (limits, quantities still owed, the
three-way match)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.forms import BaseFormSet, formset_factory
from django.utils.translation import gettext_lazy as _

from openpractice.accounts.roles import Role, Tier
from openpractice.core.forms import Form
from openpractice.core.models import Location

from .choices import PlaceKind
from .models import PurchaseOrder, PurchaseOrderLine, RequisitionLine, RfqLine, StoragePlace
from .selectors import purchasing as selectors
from .services.purchasing import InvoicedIn, LineIn, ReceivedIn

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY_FIELD: dict[str, Any] = {"max_digits": 12, "decimal_places": 2, "min_value": Decimal("0")}
PRICE_FIELD: dict[str, Any] = {"max_digits": 12, "decimal_places": 4, "min_value": Decimal("0")}
MAX_QUANTITY = 100_000
MAX_LINES = 30


def _vendor_choices(vendors: Sequence[Any], empty: str) -> list[tuple[str, str]]:
    return [("", empty), *((str(vendor.pk), vendor.name) for vendor in vendors)]


def _vendor(value: str, vendors: Sequence[Any]) -> Any:
    return next((vendor for vendor in vendors if str(vendor.pk) == value), None)


# --- requisitions ----------------------------------------------------------------------------------------------


class RequisitionForm(Form):
    location = forms.ModelChoiceField(label=_("For location"), queryset=Location.objects.none())
    needed_by = forms.DateField(label=_("Needed by"), required=False, widget=DATE)
    justification = forms.CharField(label=_("Why"), required=False, max_length=2000,
                                    widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = selectors.requisition_locations(actor=actor)  # type: ignore[attr-defined]


class RequisitionLineForm(Form):
    sku = forms.CharField(label=_("Item number"), max_length=40, required=False,
                          help_text=_("From the catalogue. Leave empty for something not in it."))
    description = forms.CharField(label=_("Or describe it"), max_length=200, required=False,
                                  help_text=_("A waiting-room chair, a label printer …"))
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY, required=False)
    packaging = forms.CharField(label=_("Packaging"), max_length=40, required=False,
                                help_text=_("Box, case … as in the catalogue; empty: single units."))
    vendor = forms.ChoiceField(label=_("Vendor"), required=False)
    unit_price = forms.DecimalField(label=_("Estimated unit price"), required=False, **PRICE_FIELD,
                                    help_text=_("Empty: the vendor's price on file."))

    def __init__(self, *args: Any, vendors: Sequence[Any], today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.vendors, self.today = vendors, today
        self.fields["vendor"].choices = _vendor_choices(vendors, str(_("Not chosen yet")))  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        item = None
        if data.get("sku"):
            item = selectors.item_by_sku(data["sku"])
            if item is None:
                self.add_error("sku", _("No catalogue item has this number."))
                return data
        elif not (data.get("description") or "").strip():
            self.add_error("description", _("Give an item number or describe what is wanted."))
            return data
        if not data.get("quantity"):
            self.add_error("quantity", _("Enter how many."))
            return data
        packaging = None
        if data.get("packaging"):
            if item is None:
                self.add_error("packaging", _("Only catalogue items come in packagings."))
                return data
            packaging = selectors.packaging_named(item, data["packaging"])
            if packaging is None:
                self.add_error("packaging", _("This item does not come in “%(name)s”.") % {"name": data["packaging"]})
                return data
        vendor = _vendor(data.get("vendor") or "", self.vendors)
        price = data.get("unit_price")
        if price is None and item is not None and vendor is not None:
            price = selectors.price_on_file(item, vendor, packaging, self.today)
        if price is None:
            self.add_error("unit_price", _("No price on file: enter an estimate."))
            return data
        data["line"] = LineIn(quantity=data["quantity"], unit_price=price, item=item,
                              description="" if item else data["description"].strip(), packaging=packaging,
                              vendor=vendor)
        return data


class BaseLineFormSet(BaseFormSet):  # type: ignore[type-arg]
    """Rows left empty are skipped; at least one row must say something."""

    def clean(self) -> None:
        super().clean()
        if any(form.errors for form in self.forms):
            return
        if not self.entries():
            raise forms.ValidationError(_("Add at least one line."))

    def entries(self) -> list[Any]:
        return [form.cleaned_data["line"] for form in self.forms
                if form.has_changed() and "line" in getattr(form, "cleaned_data", {})]


def requisition_line_formset(*, data: Any = None, vendors: Sequence[Any], today: dt.date, rows: int = 5) -> Any:
    formset_class = formset_factory(RequisitionLineForm, formset=BaseLineFormSet, extra=rows, max_num=MAX_LINES,
                                    absolute_max=MAX_LINES)
    return formset_class(data=data, prefix="lines", form_kwargs={"vendors": vendors, "today": today})


class DecideForm(Form):
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect,
                                 choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("Required when rejecting: the requester reads it."))


class OrderCreateForm(Form):
    """Where the delivery goes, and a vendor for each line the requester left without one."""

    receive_into = forms.ModelChoiceField(label=_("Receive into"), queryset=StoragePlace.objects.none(),
                                          help_text=_("Where the delivery is put away."))

    def __init__(self, *args: Any, location_id: int, open_lines: Sequence[RequisitionLine], vendors: Sequence[Any],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        places = selectors.places_at(location_id)
        self.fields["receive_into"].queryset = places  # type: ignore[attr-defined]
        # Deliveries usually go to the supply room: offer it first.
        supply_room = next((place for place in places if place.kind == PlaceKind.SUPPLY_ROOM), None)
        if supply_room is not None:
            self.fields["receive_into"].initial = supply_room.pk
        self.vendors, self.open_lines = list(vendors), list(open_lines)
        for line in self.open_lines:
            self.fields[f"vendor_{line.pk}"] = forms.ChoiceField(
                label=_("Vendor for %(what)s") % {"what": line.item or line.description},
                choices=_vendor_choices(self.vendors, ""))

    def chosen_vendors(self) -> dict[int, Any]:
        return {line.pk: _vendor(self.cleaned_data.get(f"vendor_{line.pk}") or "", self.vendors)
                for line in self.open_lines}


# --- approval limits -------------------------------------------------------------------------------------------

NO_APPROVAL, UP_TO, NO_LIMIT = "none", "limit", "unlimited"


class ApprovalLimitsForm(Form):
    """Per role and tier that may approve: not at all, up to an amount, or without a limit."""

    def __init__(self, *args: Any, rows: Sequence[tuple[str, str, bool, Decimal | None]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pairs = [(role, tier) for role, tier, _approves, _amount in rows]
        for role, tier, approves, amount in rows:
            label = f"{Role(role).label} · {Tier(tier).label}"
            mode = NO_APPROVAL if not approves else (NO_LIMIT if amount is None else UP_TO)
            self.fields[f"mode_{role}_{tier}"] = forms.ChoiceField(
                label=label, initial=mode,
                choices=[(NO_APPROVAL, _("Does not approve")), (UP_TO, _("Approves up to the amount")),
                         (NO_LIMIT, _("Approves any amount"))])
            self.fields[f"amount_{role}_{tier}"] = forms.DecimalField(
                label=_("Amount (%(role)s)") % {"role": label}, required=False, initial=amount, **MONEY_FIELD)

    def rows(self) -> list[tuple[Any, Any]]:
        return [(self[f"mode_{role}_{tier}"], self[f"amount_{role}_{tier}"]) for role, tier in self.pairs]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for role, tier in self.pairs:
            if data.get(f"mode_{role}_{tier}") == UP_TO and data.get(f"amount_{role}_{tier}") is None:
                self.add_error(f"amount_{role}_{tier}", _("Enter the amount."))
        return data

    def limits(self) -> dict[tuple[str, str], Decimal | None]:
        data = self.cleaned_data
        result: dict[tuple[str, str], Decimal | None] = {}
        for role, tier in self.pairs:
            mode = data[f"mode_{role}_{tier}"]
            if mode == UP_TO:
                result[(role, tier)] = data[f"amount_{role}_{tier}"]
            elif mode == NO_LIMIT:
                result[(role, tier)] = None
        return result


# --- purchase orders -------------------------------------------------------------------------------------------


class OrderEditForm(Form):
    expected_on = forms.DateField(label=_("Delivery expected on"), required=False, widget=DATE,
                                  help_text=_("As the vendor confirmed it; on-time delivery is measured against it."))
    notes = forms.CharField(label=_("Notes to the vendor"), required=False, max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 3}),
                            help_text=_("Printed on the order; they no longer change once it is sent."))


class ReceiveForm(Form):
    """What arrived: per line still owed, packages in good condition, damaged ones, and the lot for lot-tracked
    items; into a storage place at the order's location."""

    place = forms.ModelChoiceField(label=_("Put away in"), queryset=StoragePlace.objects.none())
    packing_slip = forms.CharField(label=_("Packing slip"), max_length=60, required=False)

    def __init__(self, *args: Any, order: PurchaseOrder, lines: Sequence[PurchaseOrderLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = selectors.places_at(order.location_id)  # type: ignore[attr-defined]
        self.fields["place"].initial = order.receive_into_id
        self.lines = [line for line in lines if line.back_ordered > 0]
        for line in self.lines:
            self.fields[f"good_{line.pk}"] = forms.IntegerField(
                label=_("Good (%(what)s)") % {"what": line.item or line.description}, min_value=0,
                max_value=MAX_QUANTITY, required=False, initial=0)
            self.fields[f"damaged_{line.pk}"] = forms.IntegerField(
                label=_("Damaged (%(what)s)") % {"what": line.item or line.description}, min_value=0,
                max_value=MAX_QUANTITY, required=False, initial=0)
            if line.item is not None and line.item.lot_tracked:
                self.fields[f"lot_{line.pk}"] = forms.CharField(label=_("Lot number"), max_length=40, required=False)
                self.fields[f"expires_{line.pk}"] = forms.DateField(label=_("Expires on"), required=False,
                                                                    widget=DATE)

    def rows(self) -> list[tuple[PurchaseOrderLine, Any, Any, Any, Any]]:
        return [(line, self[f"good_{line.pk}"], self[f"damaged_{line.pk}"],
                 self[f"lot_{line.pk}"] if f"lot_{line.pk}" in self.fields else None,
                 self[f"expires_{line.pk}"] if f"expires_{line.pk}" in self.fields else None)
                for line in self.lines]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for line in self.lines:
            good = data.get(f"good_{line.pk}") or 0
            lot = (data.get(f"lot_{line.pk}") or "").strip()
            if good and f"lot_{line.pk}" in self.fields and not lot:
                self.add_error(f"lot_{line.pk}", _("This item tracks lots: enter the lot number."))
        return data

    def entries(self) -> list[ReceivedIn]:
        data = self.cleaned_data
        return [ReceivedIn(line=line, quantity=data.get(f"good_{line.pk}") or 0,
                           damaged=data.get(f"damaged_{line.pk}") or 0,
                           lot_number=(data.get(f"lot_{line.pk}") or "").strip(),
                           expires_on=data.get(f"expires_{line.pk}"))
                for line in self.lines]


class InvoiceForm(Form):
    """The vendor's invoice as printed: who sent it, its number, dates and total, and per order line the quantity
    and unit price invoiced."""

    vendor = forms.ChoiceField(label=_("Vendor on the invoice"))
    number = forms.CharField(label=_("Invoice number"), max_length=40)
    invoice_date = forms.DateField(label=_("Invoice date"), widget=DATE)
    due_on = forms.DateField(label=_("Due on"), required=False, widget=DATE)
    total = forms.DecimalField(label=_("Invoice total"), **MONEY_FIELD)

    def __init__(self, *args: Any, order: PurchaseOrder, lines: Sequence[PurchaseOrderLine], vendors: Sequence[Any],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.vendors = list(vendors) if any(v.pk == order.vendor_id for v in vendors) else [order.vendor, *vendors]
        self.fields["vendor"].choices = _vendor_choices(self.vendors, "")  # type: ignore[attr-defined]
        self.fields["vendor"].initial = str(order.vendor_id)
        self.lines = list(lines)
        for line in self.lines:
            outstanding = max(line.received - getattr(line, "invoiced", 0), 0)
            self.fields[f"quantity_{line.pk}"] = forms.IntegerField(
                label=_("Quantity (%(what)s)") % {"what": line.item or line.description}, min_value=0,
                max_value=MAX_QUANTITY, required=False, initial=outstanding)
            self.fields[f"price_{line.pk}"] = forms.DecimalField(
                label=_("Unit price (%(what)s)") % {"what": line.item or line.description}, required=False,
                initial=line.unit_price, **PRICE_FIELD)

    def rows(self) -> list[tuple[PurchaseOrderLine, Any, Any]]:
        return [(line, self[f"quantity_{line.pk}"], self[f"price_{line.pk}"]) for line in self.lines]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for line in self.lines:
            if data.get(f"quantity_{line.pk}") and data.get(f"price_{line.pk}") is None:
                self.add_error(f"price_{line.pk}", _("Enter the unit price invoiced."))
        return data

    def chosen_vendor(self) -> Any:
        return _vendor(self.cleaned_data.get("vendor") or "", self.vendors)

    def entries(self) -> list[InvoicedIn]:
        data = self.cleaned_data
        return [InvoicedIn(line=line, quantity=data.get(f"quantity_{line.pk}") or 0,
                           unit_price=data.get(f"price_{line.pk}") or Decimal("0"))
                for line in self.lines if data.get(f"quantity_{line.pk}")]


class InvoiceAcceptForm(Form):
    note = forms.CharField(label=_("Why the differences are accepted"), max_length=200,
                           widget=forms.Textarea(attrs={"rows": 2}))


# --- requests for quotes ---------------------------------------------------------------------------------------


class RfqForm(Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    due_on = forms.DateField(label=_("Answers due"), widget=DATE)
    vendors = forms.MultipleChoiceField(label=_("Ask these vendors"), widget=forms.CheckboxSelectMultiple,
                                        help_text=_("At least two."))

    def __init__(self, *args: Any, vendors: Sequence[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.vendor_list = list(vendors)
        self.fields["vendors"].choices = [(str(v.pk), v.name) for v in vendors]  # type: ignore[attr-defined]

    def chosen_vendors(self) -> list[Any]:
        chosen = set(self.cleaned_data.get("vendors") or [])
        return [vendor for vendor in self.vendor_list if str(vendor.pk) in chosen]


class RfqLineForm(Form):
    sku = forms.CharField(label=_("Item number"), max_length=40, required=False)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        if not data.get("sku"):
            self.add_error("sku", _("Enter the item number."))
            return data
        item = selectors.item_by_sku(data["sku"])
        if item is None:
            self.add_error("sku", _("No catalogue item has this number."))
            return data
        if not data.get("quantity"):
            self.add_error("quantity", _("Enter how many."))
            return data
        data["line"] = (item, data["quantity"])
        return data


def rfq_line_formset(*, data: Any = None, rows: int = 5) -> Any:
    formset_class = formset_factory(RfqLineForm, formset=BaseLineFormSet, extra=rows, max_num=MAX_LINES,
                                    absolute_max=MAX_LINES)
    return formset_class(data=data, prefix="lines")


class QuoteForm(Form):
    """One vendor's answer: a unit price per line (empty: not quoted) and the lead time."""

    vendor = forms.ChoiceField(label=_("Vendor"))
    lead_days = forms.IntegerField(label=_("Lead time (days)"), min_value=0, max_value=365, required=False)

    def __init__(self, *args: Any, vendors: Sequence[Any], lines: Sequence[RfqLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.vendors, self.lines = list(vendors), list(lines)
        self.fields["vendor"].choices = _vendor_choices(self.vendors, "")  # type: ignore[attr-defined]
        for line in self.lines:
            self.fields[f"price_{line.pk}"] = forms.DecimalField(
                label=_("Unit price: %(item)s × %(quantity)s") % {"item": line.item, "quantity": line.quantity},
                required=False, **PRICE_FIELD)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not self.prices():
            raise forms.ValidationError(_("Enter at least one price."))
        return data

    def chosen_vendor(self) -> Any:
        return _vendor(self.cleaned_data.get("vendor") or "", self.vendors)

    def prices(self) -> dict[int, Decimal]:
        data = self.cleaned_data
        return {line.pk: data[f"price_{line.pk}"] for line in self.lines
                if data.get(f"price_{line.pk}") is not None}


class AwardForm(Form):
    vendor = forms.ChoiceField(label=_("Award to"))
    effective_from = forms.DateField(label=_("Prices apply from"), widget=DATE)

    def __init__(self, *args: Any, vendors: Sequence[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.vendors = list(vendors)
        self.fields["vendor"].choices = _vendor_choices(self.vendors, "")  # type: ignore[attr-defined]

    def chosen_vendor(self) -> Any:
        return _vendor(self.cleaned_data.get("vendor") or "", self.vendors)


# --- reports ---------------------------------------------------------------------------------------------------

MAX_REPORT_DAYS = 366 * 5


class PeriodForm(Form):
    """A report's period (GET): from and to, both included."""

    start = forms.DateField(label=_("From"), widget=DATE)
    end = forms.DateField(label=_("To"), widget=DATE)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The end is before the start."))
            elif (end - start).days > MAX_REPORT_DAYS:
                self.add_error("start", _("Choose at most five years."))
        return data


class PriceHistoryForm(PeriodForm):
    sku = forms.CharField(label=_("Item number"), max_length=40)

    field_order = ["sku", "start", "end"]

    def clean_sku(self) -> Any:
        item = selectors.item_by_sku(self.cleaned_data["sku"], active_only=False)
        if item is None:
            raise forms.ValidationError(_("No catalogue item has this number."))
        return item
