"""Stock forms: input only. services.stock, counts, catalog and samples decide what is allowed (never below zero,
a reason for removals, one count per place, a sample cabinet where the visit took place).

Every form that moves stock carries a hidden Idempotency-Key made when the form is shown: the same form submitted
twice (a double click, a resubmit after a slow answer) records one operation, as the stock services promise for
the same key from the same person.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from openpractice.core.forms import Form
from openpractice.core.models import Location
from openpractice.vendors.models import RepVisit

from .choices import MovementKind, PlaceKind
from .models import CycleCountLine, Item, Lot, StockLevel, StoragePlace
from .selectors import pages_stock

DATE = forms.DateInput(attrs={"type": "date"})
REMOVE_KINDS = [(value, label) for value, label in MovementKind.choices
                if value in (MovementKind.ADJUST_OUT, MovementKind.EXPIRE, MovementKind.DISPOSE)]
FIRST_EXPIRY = _("First expiry, first out")


def _place_label(place: StoragePlace) -> str:
    return f"{place.location.name} / {place.name}"


class PlaceChoiceField(forms.ModelChoiceField):
    default_error_messages = {
        "invalid_choice": _("Choose a storage place in use at one of your locations."),
    }

    def label_from_instance(self, obj: Any) -> str:
        return _place_label(obj)


class ItemNumberField(forms.CharField):
    """An item typed by its number (the catalogue can hold tens of thousands of items: no drop-down)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Item number"))
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Item | None:  # type: ignore[override]
        number = super().clean(value)
        if not number:
            return None
        item = pages_stock.item_by_number(number)
        if item is None:
            raise forms.ValidationError(_("No item in the catalogue has the number %(number)s."),
                                        params={"number": number}, code="unknown_item")
        return item


class KeyedForm(Form):
    """A form with the hidden Idempotency-Key of one showing of the form."""

    idempotency_key = forms.CharField(
        widget=forms.HiddenInput, max_length=80, label=_("Form key"),
        error_messages={"required": _("The form is incomplete: open it again and resubmit.")})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["idempotency_key"].initial = uuid.uuid4().hex

    def renew_key(self) -> None:
        """A new key for the next submission (the one posted was spent on another movement)."""
        data = QueryDict(mutable=True)
        data.update(self.data)  # type: ignore[arg-type]
        data[self.add_prefix("idempotency_key")] = uuid.uuid4().hex
        self.data = data


def _lot_choices(lots: Sequence[StockLevel], first: Any) -> list[tuple[Any, Any]]:
    choices: list[tuple[Any, Any]] = [("", first)] if first is not None else []
    for level in lots:
        assert level.lot is not None
        expiry = level.lot.expires_on.isoformat() if level.lot.expires_on else _("no expiry")
        choices.append((level.lot.pk, _("Lot %(lot)s, expires %(expiry)s, %(quantity)s on hand") % {
            "lot": level.lot.number, "expiry": expiry, "quantity": level.quantity}))
    return choices


class _LevelActionForm(KeyedForm):
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=10_000_000)
    lot = forms.TypedChoiceField(label=_("Lot"), coerce=int, required=False, empty_value=None)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args: Any, lots: Sequence[StockLevel], lot_required: bool = False,
                 default_lot: Lot | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lots = {level.lot.pk: level.lot for level in lots if level.lot is not None}
        lot = self.fields["lot"]
        if not self.lots:
            del self.fields["lot"]
            return
        lot.choices = _lot_choices(lots, None if lot_required else FIRST_EXPIRY)  # type: ignore[attr-defined]
        lot.required = lot_required
        if default_lot is not None and default_lot.pk in self.lots:
            lot.initial = default_lot.pk

    def chosen_lot(self) -> Lot | None:
        pk = self.cleaned_data.get("lot")
        return self.lots.get(pk) if pk is not None else None


class ConsumeForm(_LevelActionForm):
    field_order = ["quantity", "lot", "reason"]


class TransferForm(_LevelActionForm):
    destination = PlaceChoiceField(label=_("Move to"), queryset=StoragePlace.objects.none())
    field_order = ["quantity", "destination", "lot", "reason"]

    def __init__(self, *args: Any, destinations: QuerySet[StoragePlace], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["destination"].queryset = destinations  # type: ignore[attr-defined]


class RemoveForm(_LevelActionForm):
    kind = forms.ChoiceField(label=_("What happened"), choices=REMOVE_KINDS, initial=MovementKind.ADJUST_OUT)
    field_order = ["kind", "quantity", "lot", "reason"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        reason = self.fields["reason"]
        reason.required = True
        reason.help_text = _("Required: why the stock leaves the books (broken, expired, count correction…).")


class AddStockForm(KeyedForm):
    """An adjustment up (stock found, opening balance): inventory.manage, with a reason."""

    place = PlaceChoiceField(label=_("Storage place"), queryset=StoragePlace.objects.none())
    item = ItemNumberField()
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=10_000_000,
                                  help_text=_("In the item's unit (each), not in boxes."))
    lot_number = forms.CharField(label=_("Lot number"), max_length=40, required=False,
                                 help_text=_("Only for items that track lots."))
    expires_on = forms.DateField(label=_("Expires on"), required=False, widget=DATE)
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args: Any, places: QuerySet[StoragePlace], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = places  # type: ignore[attr-defined]


class PlaceForm(Form):
    location = forms.ModelChoiceField(label=_("Location"), queryset=Location.objects.none())
    name = forms.CharField(label=_("Name"), max_length=80, help_text=_("Supply room, Exam room 2, Sample cabinet…"))
    kind = forms.ChoiceField(label=_("Kind"), choices=PlaceKind.choices, initial=PlaceKind.SUPPLY_ROOM)
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True,
                                   help_text=_("Move the stock out before retiring a place."))

    def __init__(self, *args: Any, locations: QuerySet[Location], place: StoragePlace | None = None,
                 **kwargs: Any) -> None:
        if place is not None:
            kwargs.setdefault("initial", {"location": place.location_id, "name": place.name, "kind": place.kind,
                                          "is_active": place.is_active})
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]


class ParForm(Form):
    place = PlaceChoiceField(label=_("Storage place"), queryset=StoragePlace.objects.none())
    item = ItemNumberField()
    par = forms.IntegerField(label=_("Par level"), min_value=1, max_value=10_000_000, required=False,
                             help_text=_("Keep this many on hand (in the item's unit)."))
    reorder_point = forms.IntegerField(label=_("Reorder point"), min_value=0, max_value=10_000_000, required=False,
                                       help_text=_("At or below this, order back up to par."))
    remove = forms.BooleanField(label=_("Remove the par level"), required=False,
                                help_text=_("Stop watching this item at this place."))

    def __init__(self, *args: Any, places: QuerySet[StoragePlace], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = places  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("remove"):
            for name in ("par", "reorder_point"):
                if cleaned.get(name) is None and not self.has_error(name):
                    self.add_error(name, _("Enter a whole number (or tick “Remove the par level”)."))
        return cleaned


class CountStartForm(Form):
    place = PlaceChoiceField(label=_("Storage place to count"), queryset=StoragePlace.objects.none())

    def __init__(self, *args: Any, places: QuerySet[StoragePlace], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = places  # type: ignore[attr-defined]


class CountEntryForm(Form):
    """One field per line: what is on the shelf. Empty: not counted yet."""

    def __init__(self, *args: Any, lines: Sequence[CycleCountLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            label = line.item.name if line.lot is None else _("%(item)s, lot %(lot)s") % {
                "item": line.item.name, "lot": line.lot.number}
            self.fields[self.field_name(line)] = forms.IntegerField(
                label=label, min_value=0, max_value=10_000_000, required=False,
                initial=line.counted, widget=forms.NumberInput(attrs={"inputmode": "numeric"}))

    @staticmethod
    def field_name(line: CycleCountLine) -> str:
        return f"line_{line.pk}"

    def rows(self) -> list[tuple[CycleCountLine, Any]]:
        return [(line, self[self.field_name(line)]) for line in self.lines]

    def counted(self) -> dict[int, int]:
        return {line.pk: self.cleaned_data[self.field_name(line)] for line in self.lines
                if self.cleaned_data.get(self.field_name(line)) is not None}


class SamplesForm(KeyedForm):
    visit = forms.ModelChoiceField(label=_("Representative's visit"), queryset=RepVisit.objects.none(),
                                   help_text=_("Visits of the last 90 days at your locations."))
    place = PlaceChoiceField(label=_("Sample cabinet"), queryset=StoragePlace.objects.none())

    def __init__(self, *args: Any, visits: QuerySet[Any], cabinets: QuerySet[StoragePlace], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        visit = self.fields["visit"]
        assert isinstance(visit, forms.ModelChoiceField)
        visit.queryset = visits
        visit.label_from_instance = lambda obj: " · ".join((  # type: ignore[method-assign]
            timezone.localtime(obj.visited_at).date().isoformat(), obj.vendor.name,
            obj.rep.name if obj.rep else obj.rep_name, obj.location.name))
        self.fields["place"].queryset = cabinets  # type: ignore[attr-defined]


class SampleLineForm(Form):
    item = ItemNumberField(required=False)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=100_000, required=False)
    lot_number = forms.CharField(label=_("Lot number"), max_length=40, required=False)
    expires_on = forms.DateField(label=_("Expires on"), required=False, widget=DATE)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("item") is not None and cleaned.get("quantity") is None and not self.has_error("quantity"):
            self.add_error("quantity", _("How many were left?"))
        if cleaned.get("item") is None and not self.has_error("item") and (
                cleaned.get("quantity") or cleaned.get("lot_number") or cleaned.get("expires_on")):
            self.add_error("item", _("Which item?"))
        return cleaned


SampleLineFormSet = forms.formset_factory(SampleLineForm, extra=4, max_num=20, validate_max=True)


class SuggestionForm(Form):
    location = forms.ModelChoiceField(queryset=Location.objects.none())
    vendor = forms.IntegerField(min_value=1)

    def __init__(self, *args: Any, locations: QuerySet[Location], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]
