"""Safety-log forms: input only. services.safety decides what is allowed (the range of a temperature, whether a
reading passed, one entry per slot, how late an entry may be made)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from openpractice.core.forms import Form
from openpractice.core.models import Location

from .choices import SafetyCheckKind, SafetyFrequency
from .models import Asset, SafetyCheckpoint
from .selectors_safety import MAX_RANGE_DAYS, TEMPERATURE_KINDS, slot_label, slots_for
from .services.safety import UNITS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
RESULT_CHOICES = [("pass", _("Pass")), ("fail", _("Fail"))]


class LocationField(forms.ModelChoiceField):
    default_error_messages = {"invalid_choice": _("Choose one of your locations.")}


class AssetField(forms.ModelChoiceField):
    default_error_messages = {"invalid_choice": _("Choose equipment at one of your locations.")}

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.location.name} / {obj.tag} {obj.name}"


class CheckpointForm(Form):
    location = LocationField(label=_("Location"), queryset=Location.objects.none())
    room = forms.CharField(label=_("Room"), max_length=60, required=False)
    name = forms.CharField(label=_("Name"), max_length=120,
                           help_text=_("What staff see on the daily round, e.g. “Vaccine refrigerator, lab”."))
    kind = forms.ChoiceField(label=_("What is checked"), choices=SafetyCheckKind.choices)
    frequency = forms.ChoiceField(label=_("How often"), choices=SafetyFrequency.choices,
                                  help_text=_("Vaccine refrigerators and freezers: twice a day."))
    asset = AssetField(label=_("Equipment"), queryset=Asset.objects.none(), required=False,
                       help_text=_("Optional: the appliance checked, at the same location."))
    minimum = forms.DecimalField(label=_("Lowest acceptable"), max_digits=4, decimal_places=1, required=False,
                                 help_text=_("Temperatures only. Refrigerator 36 °F, freezer -58 °F."))
    maximum = forms.DecimalField(label=_("Highest acceptable"), max_digits=4, decimal_places=1, required=False,
                                 help_text=_("Temperatures only. Refrigerator 46 °F, freezer 5 °F."))
    unit = forms.ChoiceField(label=_("Unit"), choices=[("", "—"), *[(unit, unit) for unit in UNITS]],
                             required=False)
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, data: Any = None, *, locations: QuerySet[Location], assets: QuerySet[Asset],
                 checkpoint: SafetyCheckpoint | None = None, **kwargs: Any) -> None:
        if checkpoint is not None and data is None:
            kwargs["initial"] = {
                "location": checkpoint.location_id, "room": checkpoint.room, "name": checkpoint.name,
                "kind": checkpoint.kind, "frequency": checkpoint.frequency, "asset": checkpoint.asset_id,
                "minimum": checkpoint.minimum, "maximum": checkpoint.maximum, "unit": checkpoint.unit,
                "is_active": checkpoint.is_active}
        super().__init__(data, **kwargs)
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]
        self.fields["asset"].queryset = assets  # type: ignore[attr-defined]

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class _ResultForm(Form):
    """A reading (temperatures) or a pass/fail (checks), with a note; the fields follow the checkpoint's kind."""

    value = forms.DecimalField(label=_("Reading"), max_digits=4, decimal_places=1, required=False)
    result = forms.ChoiceField(label=_("Result"), choices=RESULT_CHOICES, widget=forms.RadioSelect, required=False)
    notes = forms.CharField(label=_("Notes"), max_length=300, required=False)

    def __init__(self, *args: Any, checkpoint: SafetyCheckpoint, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.checkpoint = checkpoint
        if checkpoint.kind in TEMPERATURE_KINDS:
            del self.fields["result"]
            value = self.fields["value"]
            value.required = True
            value.label = _("Temperature (%(unit)s)") % {"unit": checkpoint.unit}
            value.help_text = _("Acceptable: %(low)s to %(high)s %(unit)s.") % {
                "low": checkpoint.minimum, "high": checkpoint.maximum, "unit": checkpoint.unit}
            value.widget.attrs.update({"step": "0.1", "inputmode": "decimal"})
        else:
            del self.fields["value"]
            self.fields["result"].required = True

    def service_result(self) -> dict[str, Any]:
        data = self.cleaned_data
        if "value" in self.fields:
            return {"value": data.get("value")}
        return {"passed": {"pass": True, "fail": False}.get(data.get("result") or "")}


class EntryForm(_ResultForm):
    log_date = forms.DateField(label=_("Date"), widget=DATE,
                               help_text=_("Today, or up to 7 days back with a note saying why."))
    slot = forms.ChoiceField(label=_("Time of day"), required=False)

    field_order = ["log_date", "slot", "value", "result", "notes"]

    def __init__(self, *args: Any, checkpoint: SafetyCheckpoint, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, checkpoint=checkpoint, **kwargs)
        self.fields["log_date"].initial = today
        slots = slots_for(checkpoint.frequency)
        if len(slots) > 1:
            self.fields["slot"].choices = [  # type: ignore[attr-defined]
                (slot, str(slot_label(slot)).capitalize()) for slot in slots]
            self.fields["slot"].required = True
        else:
            del self.fields["slot"]

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"log_date": data["log_date"], "slot": data.get("slot") or "", "notes": data.get("notes") or "",
                **self.service_result()}


class CorrectionForm(_ResultForm):
    def __init__(self, *args: Any, checkpoint: SafetyCheckpoint, **kwargs: Any) -> None:
        super().__init__(*args, checkpoint=checkpoint, **kwargs)
        notes = self.fields["notes"]
        notes.required = True
        notes.label = _("Why is it corrected?")
        notes.help_text = _("The first entry stays in the log, marked as corrected.")

    def service_data(self) -> dict[str, Any]:
        return {"notes": self.cleaned_data.get("notes") or "", **self.service_result()}


class ActionForm(Form):
    corrective_action = forms.CharField(
        label=_("Corrective action"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was done: e.g. vaccines moved to the back-up unit and marked “do not use” until the "
                    "manufacturer was consulted; the door seal replaced; the unit re-checked at 2 pm."))


class RangeForm(Form):
    """A location and a date range (the missing entries, the report); GET parameters, so never bound to POST."""

    location = LocationField(label=_("Location"), queryset=Location.objects.none(), required=False)
    since = forms.DateField(label=_("From"), widget=DATE, required=False)
    until = forms.DateField(label=_("To"), widget=DATE, required=False)

    def __init__(self, *args: Any, locations: QuerySet[Location], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until:
            if since > until:
                self.add_error("until", _("The end of the range must not be before its start."))
            elif (until - since).days >= MAX_RANGE_DAYS:
                self.add_error("until", _("Choose a range of at most a year."))
        return data
